// Suite aime25 (extra, not in the paper's table): AIME 2025 I and II, 30 problems (yentinglin/aime_2025).
import type { SuiteSource } from "../source.js";
import type { SuiteConfig } from "../types.js";

export const suite: SuiteConfig = Object.freeze({
  id: "aime25",
  name: "AIME25",
  dataset: "yentinglin/aime_2025",
  split: "train",
  count: 30,
  questionField: "problem",
  goldFrom: "answer",
  preset: "eval-numeric", // integer golds; see PRESET_CHOICE in registry.ts
  paper: false,
  // No Open-RS result log for aime25, so no recorded hash to check against.
  version: "1",
});

export const source: SuiteSource = Object.freeze({
  fields: Object.freeze({ id: ["id"], problem: ["problem"], answer: ["answer"] }),
  keep: Object.freeze(["url", "year"]),
});
