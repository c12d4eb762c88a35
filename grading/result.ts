// The shapes the grader returns: one per graded completion, JSON-serialisable.

export interface GradeResult {
  /** The verdict. Never thrown: every failure mode is a `false` with a reason. */
  correct: boolean;
  /** The final answer string the extraction rules found, or null. */
  extracted: string | null;
  /** Which extraction rule fired ("boxed", "anchored", "mathSpan", "lastNumber"), or null. */
  rule: string | null;
  /** Short machine-readable reason, e.g. "equal:rational", "not-equal:value", "no-answer", "timeout", "gold-unparsed". */
  reason: string;
  /** Human-readable description of the parsed gold value. */
  goldParsed: string | null;
  /** Human-readable description of the parsed prediction. */
  predParsed: string | null;
  /** Preset name of the options used. */
  preset: string;
  /** Wall time spent, milliseconds. */
  ms: number;
}
