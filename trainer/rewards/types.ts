// The shapes every reward function shares: a batch in, one value per item out (null = "exclude from the group").

/** A gold answer as datasets give it: a string, or missing. */
export type Gold = string | null | undefined;

/** Counts the tokens of a completion (a loaded tokenizer, or anything that knows the policy's tokenization). */
export interface TokenCounter {
  count(text: string): number;
  /** Exact when the count is below `limit`; may return `limit` for any text with at least that many tokens. */
  countUpTo?(text: string, limit: number): number;
}

/**
 * Per-batch facts a reward may use, computed once by the caller and shared by every function of a recipe:
 * grading verdicts (so accuracy and cosine never grade twice, and grading can run in the worker pool) and
 * completion token counts (which the RL engine already has).
 */
export interface RewardContext {
  /**
   * Grader verdict per item under the `reward` preset: true/false, or null when the gold cannot be parsed.
   * When absent, functions that need it grade in-thread with `grade(completion, gold, REWARD)`.
   */
  correct?: readonly (boolean | null)[];
  /** Completion length in tokens per item (a missing entry falls back to `tokenCounter`). */
  completionTokens?: readonly (number | null | undefined)[];
  /** Tokenizer used when `completionTokens` lacks an entry. */
  tokenCounter?: TokenCounter;
}

/** A reward function with its options bound: pure over a batch, aligned with `completions`. */
export interface Reward {
  /** Registry name, e.g. "cosine". */
  readonly name: string;
  /** The resolved options (defaults filled in), frozen; logged beside the values. */
  readonly options: Readonly<object>;
  /** Whether it reads grading verdicts (the scorer then grades the batch once, in the pool). */
  readonly needsVerdicts: boolean;
  /** Whether it needs completion token counts. */
  readonly needsTokens: boolean;
  score(completions: readonly string[], golds: readonly Gold[], ctx?: RewardContext): (number | null)[];
}

/** A named reward function: its defaults and a constructor that validates options. */
export interface RewardSpec {
  readonly name: string;
  /** One line for `--help` and the README. */
  readonly description: string;
  /** Builds the bound function; throws an Error naming the bad option on invalid input. */
  create(options?: Record<string, unknown>): Reward;
}
