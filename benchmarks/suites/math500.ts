// Suite math500: the 500-problem MATH test subset (PRM800K), graded against the full solution as the paper did.
import type { SuiteSource } from "../source.js";
import type { SuiteConfig } from "../types.js";

export const suite: SuiteConfig = Object.freeze({
  id: "math500",
  name: "MATH-500",
  dataset: "HuggingFaceH4/MATH-500",
  split: "test",
  count: 500,
  questionField: "problem",
  // Open-RS passed the whole `solution` to math-verify, which took its last \boxed{} as the gold.
  goldFrom: "solution",
  preset: "eval-numeric", // see PRESET_CHOICE in registry.ts
  paper: true,
  promptHash: "adf0cc8311011db2",
  version: "1",
  breakdown: Object.freeze(["level", "subject"]),
});

export const source: SuiteSource = Object.freeze({
  fields: Object.freeze({ id: ["unique_id"], problem: ["problem"], answer: ["answer"], solution: ["solution"] }),
  keep: Object.freeze(["unique_id", "subject", "level"]),
});
