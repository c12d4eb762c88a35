// Grader configuration as frozen plain objects with named presets; the preset name is recorded in every result.

/** Names of the extraction rules, in the order the `eval` preset tries them. */
export type ExtractionRuleName = "boxed" | "anchored" | "mathSpan" | "lastNumber";

export interface GradeOptions {
  /** Preset name recorded in results ("eval", "reward", or "custom"). */
  readonly preset: string;
  /** Extraction rules tried in order; the first that yields a candidate wins. */
  readonly rules: readonly ExtractionRuleName[];
  /** Restrict extraction to the text after the last `</think>` when one is present. */
  readonly afterThink: boolean;
  /** Relative tolerance for numeric comparison when either side is irrational or approximate. */
  readonly relTol: number;
  /** Gold `10\%` also accepts `0.1` (a prediction `10\%` is read as 10 or as 0.1, whichever the gold is). */
  readonly percentAsFraction: boolean;
  /**
   * Read an answer that is one number with a decimal comma (`1,22`, `1.000,5`) as a decimal. Off by default: in
   * English text `1,22` is two numbers and `1,220` is one thousand two hundred and twenty.
   */
  readonly decimalComma: boolean;
  /** Hard time budget per grade in milliseconds (cooperative in-thread, enforced by the worker pool). */
  readonly budgetMs: number;
  /** Longest completion accepted, in characters; longer ones are graded on their last `maxCompletionChars`. */
  readonly maxCompletionChars: number;
  /** Longest answer string that is parsed; longer extracted answers are reported as `too-long`. */
  readonly maxAnswerChars: number;
  /** Number of random evaluation points for expressions with free variables. */
  readonly samplePoints: number;
}

const base = {
  afterThink: true,
  relTol: 1e-6,
  percentAsFraction: true,
  decimalComma: false,
  budgetMs: 1000,
  maxCompletionChars: 2_000_000,
  maxAnswerChars: 4000,
  samplePoints: 8,
} as const;

/** Benchmark scoring: boxed, then anchored phrases, then the last math span. */
export const EVAL: GradeOptions = Object.freeze({ ...base, preset: "eval", rules: Object.freeze(["boxed", "anchored", "mathSpan"] as const) });

/** Benchmark scoring for suites whose answers are plain numbers (GSM8K, AIME): also falls back to the last number. */
export const EVAL_NUMERIC: GradeOptions = Object.freeze({
  ...base,
  preset: "eval-numeric",
  rules: Object.freeze(["boxed", "anchored", "mathSpan", "lastNumber"] as const),
});

/** Training reward: `\boxed{}` only, so a policy cannot farm reward by spraying numbers. */
export const REWARD: GradeOptions = Object.freeze({ ...base, preset: "reward", rules: Object.freeze(["boxed"] as const) });

export const PRESETS: Readonly<Record<string, GradeOptions>> = Object.freeze({
  eval: EVAL,
  "eval-numeric": EVAL_NUMERIC,
  reward: REWARD,
});

/** Resolves a preset name or partial options (over the `eval` preset) to full frozen options. */
export function resolveOptions(opts?: string | Partial<GradeOptions>): GradeOptions {
  if (opts === undefined) return EVAL;
  if (Object.isFrozen(opts) && (opts as GradeOptions).rules !== undefined && (opts as GradeOptions).preset !== undefined) return opts as GradeOptions;
  if (typeof opts === "string") {
    const p = PRESETS[opts];
    if (!p) throw new Error(`unknown grader preset "${opts}" (known: ${Object.keys(PRESETS).join(", ")})`);
    return p;
  }
  const basis = opts.preset && PRESETS[opts.preset] ? PRESETS[opts.preset] : EVAL;
  const merged = { ...basis, ...opts };
  if (opts.preset === undefined || !PRESETS[opts.preset]) merged.preset = opts.preset ?? "custom";
  return Object.freeze(merged);
}
