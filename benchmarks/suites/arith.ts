// Suite arith (the project's own, not in the paper's table): 500 generated 1–3-step word problems with integer
// answers, for the tiny model this project trains (issue 12). Made by benchmarks/arith-gen.ts; bundled, not pulled.
import type { SuiteConfig } from "../types.js";

/** Short enough for a 512-position model: the paper's prompt alone is ~400 byte-level tokens. */
export const ARITH_PROMPT_TEMPLATE = "{Question}\nPut the final answer in \\boxed{}.";

export const suite: SuiteConfig = Object.freeze({
  id: "arith",
  name: "Arith",
  dataset: "openrs/arith (generated: benchmarks/arith-gen.ts)",
  split: "test-v1",
  count: 500,
  questionField: "problem",
  goldFrom: "answer",
  preset: "eval-numeric", // integer golds; see PRESET_CHOICE in registry.ts
  paper: false,
  // lighteval hash_examples of the 500 questions under ARITH_PROMPT_TEMPLATE (test/benchmarks/arith.test.ts).
  promptHash: "7edc8238baf85772",
  version: "1",
  bundled: "benchmarks/data/arith-test-v1.jsonl",
  promptTemplate: ARITH_PROMPT_TEMPLATE,
  breakdown: Object.freeze(["difficulty"]),
});
