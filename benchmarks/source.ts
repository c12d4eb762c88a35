// How a suite's Hugging Face dataset maps onto the normalised JSONL schema (data, read by `data pull`); no I/O here.

/** Where a suite's files live on the hub and which source columns feed the normalised fields. */
export interface SuiteSource {
  /** Dataset config (subset) folder in the repo, e.g. "main" for openai/gsm8k; files outside it are ignored. */
  readonly config?: string;
  /** Source column names for each normalised field, tried in order; the first column present wins. */
  readonly fields: {
    readonly id?: readonly string[];
    readonly problem: readonly string[];
    readonly answer?: readonly string[];
    readonly solution?: readonly string[];
  };
  /**
   * How to make `answer` when no answer column is present: the content of the last `\boxed{}` in the solution
   * (Minerva), or the text after `####` in the solution (GSM8K).
   */
  readonly deriveAnswer?: "boxed-in-solution" | "after-hashes";
  /** Metadata columns copied through unchanged when present. */
  readonly keep?: readonly string[];
}
