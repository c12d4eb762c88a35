// Suite olympiadbench: OlympiadBench, English text-only open-ended maths (OE_TO_maths_en_COMP), 675 problems.
import type { SuiteSource } from "../source.js";
import type { SuiteConfig } from "../types.js";

export const suite: SuiteConfig = Object.freeze({
  id: "olympiadbench",
  name: "OlympiadBench",
  dataset: "knoveleng/OlympiadBench",
  split: "train",
  count: 675,
  questionField: "problem",
  goldFrom: "answer",
  preset: "eval-numeric", // see PRESET_CHOICE in registry.ts
  paper: true,
  promptHash: "96eebb759f237c57",
  version: "1",
  breakdown: Object.freeze(["subfield", "answer_type"]),
});

export const source: SuiteSource = Object.freeze({
  fields: Object.freeze({
    id: ["id", "idx"],
    problem: ["problem", "question"],
    // `final_answer` is a one-element list in the source; lists are joined with ", ".
    answer: ["answer", "final_answer"],
    solution: ["solution", "solutions"],
  }),
  keep: Object.freeze(["final_answer", "is_multiple_answer", "answer_type", "unit", "subfield", "error"]),
});
