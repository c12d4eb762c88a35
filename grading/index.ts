// Public entry point of the grader: extraction, parsing, equivalence, grading, and the bounded worker pool.
export { EVAL, EVAL_NUMERIC, REWARD, PRESETS, resolveOptions } from "./options.js";
export type { GradeOptions, ExtractionRuleName } from "./options.js";
export type { GradeResult } from "./result.js";
export { extractAnswer } from "./extract.js";
export type { Extraction } from "./extract.js";
export { grade, isEquivalent, goldAnswer } from "./grade.js";
export { GraderPool, gradeBatch, defaultJobs } from "./pool.js";
export type { GradeItem, GraderPoolOptions } from "./pool.js";
export { parseAnswer, describe as describeValue } from "./parse.js";
export type { ParsedAnswer, ParseOptions, Value, RelOp } from "./parse.js";
export { normalizeAnswer, rules as normalizationRules, RULE_ORDER as NORMALIZATION_ORDER } from "./normalize.js";
export { EXTRACTION_RULES, answerScope } from "./extract.js";
export { GRADER_VERSION } from "./version.js";
export { isLanguageDrift, LANGUAGE_DRIFT_THRESHOLD, nonLatinProseFraction, proseOf } from "./language.js";
export { mulberry32, Rng } from "./rng.js";
