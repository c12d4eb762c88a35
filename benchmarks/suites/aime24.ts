// Suite aime24: AIME 2024 I and II, 30 problems, as Open-RS evaluated it (lighteval task `aime24`).
import type { SuiteSource } from "../source.js";
import type { SuiteConfig } from "../types.js";

export const suite: SuiteConfig = Object.freeze({
  id: "aime24",
  name: "AIME24",
  dataset: "HuggingFaceH4/aime_2024",
  split: "train",
  count: 30,
  questionField: "problem",
  goldFrom: "answer",
  // Integer golds 0-999; the paper's math-verify read a bare final number too (see PRESET_CHOICE in registry.ts).
  preset: "eval-numeric",
  paper: true,
  promptHash: "ddec8fc79d0a014b",
  version: "1",
});

export const source: SuiteSource = Object.freeze({
  fields: Object.freeze({ id: ["id"], problem: ["problem"], answer: ["answer"], solution: ["solution"] }),
  keep: Object.freeze(["url", "year"]),
});
