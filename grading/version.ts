// The grader's version, recorded in every run: bump it whenever any verdict can change (rules, parsing, tolerance).
export const GRADER_VERSION = "1.0.0";
