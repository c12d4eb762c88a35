// The grader's version, recorded in every run: bump it whenever any verdict can change (rules, parsing, tolerance).
export const GRADER_VERSION = "openrs-grader/1.2.0";
