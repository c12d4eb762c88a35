// Suite gsm8k (extra, not in the paper's table): GSM8K test split, 1319 grade-school word problems.
import type { SuiteSource } from "../source.js";
import type { SuiteConfig } from "../types.js";

export const suite: SuiteConfig = Object.freeze({
  id: "gsm8k",
  name: "GSM8K",
  dataset: "openai/gsm8k",
  split: "test",
  count: 1319,
  questionField: "problem",
  goldFrom: "answer",
  preset: "eval-numeric", // plain-number golds; see PRESET_CHOICE in registry.ts
  paper: false,
  version: "1",
});

export const source: SuiteSource = Object.freeze({
  config: "main",
  // The source's `answer` column is the worked solution ending in "#### N"; the gold is N.
  fields: Object.freeze({ problem: ["question"], solution: ["answer"] }),
  deriveAnswer: "after-hashes",
});
