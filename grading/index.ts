// Public entry point of the grader: extraction, parsing, equivalence, grading, and the bounded worker pool.
export { EVAL, EVAL_NUMERIC, REWARD, PRESETS, resolveOptions } from "./options.js";
export type { GradeOptions, ExtractionRuleName } from "./options.js";
export type { GradeResult } from "./result.js";
export { extractAnswer } from "./extract.js";
export type { Extraction } from "./extract.js";
export { grade, isEquivalent } from "./grade.js";
export { GraderPool, gradeBatch, defaultJobs } from "./pool.js";
export type { GradeItem, GraderPoolOptions } from "./pool.js";
