// Suite minerva: Minerva OCWCourses (MIT OpenCourseWare), 272 problems, graded against the full solution as the paper did.
import type { SuiteSource } from "../source.js";
import type { SuiteConfig } from "../types.js";

export const suite: SuiteConfig = Object.freeze({
  id: "minerva",
  name: "Minerva",
  dataset: "knoveleng/Minerva-Math",
  split: "train",
  count: 272,
  questionField: "problem",
  // Open-RS passed the whole `solution` to math-verify, which took its (only) \boxed{} as the gold.
  goldFrom: "solution",
  preset: "eval-numeric", // see PRESET_CHOICE in registry.ts
  paper: true,
  promptHash: "2380609739db80f4",
  version: "1",
  breakdown: Object.freeze(["type"]),
});

export const source: SuiteSource = Object.freeze({
  fields: Object.freeze({ id: ["idx", "id"], problem: ["problem", "question"], answer: ["answer"], solution: ["solution"] }),
  // The source has no answer column: the normalised `answer` is the boxed content of the solution.
  deriveAnswer: "boxed-in-solution",
  keep: Object.freeze(["type"]),
});
