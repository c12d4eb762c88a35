// Suite amc23: 40 problems from AMC 12A/12B 2023 (Open-RS's knoveleng/AMC-23 copy).
import type { SuiteSource } from "../source.js";
import type { SuiteConfig } from "../types.js";

export const suite: SuiteConfig = Object.freeze({
  id: "amc23",
  name: "AMC23",
  dataset: "knoveleng/AMC-23",
  split: "train",
  count: 40,
  questionField: "problem",
  goldFrom: "answer",
  preset: "eval-numeric", // integer golds; see PRESET_CHOICE in registry.ts
  paper: true,
  promptHash: "57f3ead69f601b6a",
  version: "1",
});

export const source: SuiteSource = Object.freeze({
  fields: Object.freeze({ id: ["id", "idx"], problem: ["problem", "question"], answer: ["answer"], solution: ["solution"] }),
  keep: Object.freeze(["url"]),
});
