// The shape of a benchmark suite: configuration as data (one small module per suite under benchmarks/suites/).
import type { GradeOptions } from "../grading/options.js";

export interface SuiteConfig {
  /** Registry id: "aime24", "math500", ... */
  readonly id: string;
  /** Display name for tables ("AIME24", "MATH-500"). */
  readonly name: string;
  /** Source dataset on the Hugging Face hub and its split (what `data pull` downloads). */
  readonly dataset: string;
  readonly split: string;
  /** Expected number of problems; loading verifies it. */
  readonly count: number;
  /** Field holding the question text. */
  readonly questionField: string;
  /** Where the gold comes from: the short `answer` field, or the full `solution` (the paper graded MATH-500 and Minerva against the solution). */
  readonly goldFrom: "answer" | "solution";
  /** Grader preset used for this suite ("eval" or "eval-numeric"). */
  readonly preset: string;
  /** Part of the paper's five (`--bench all`). */
  readonly paper: boolean;
  /** lighteval's `hash_examples` for the paper's prompt over this suite, when known. */
  readonly promptHash?: string;
  /** Bumped whenever the prompt, gold choice or metric changes. */
  readonly version: string;
  /** Optional grader option overrides for this suite. */
  readonly grader?: Partial<GradeOptions>;
  /**
   * Row fields (kept metadata) that group the problems, e.g. MATH's `level` and `subject`: reports score each
   * group. Display only; it changes no prompt, gold or metric, so it does not bump `version`.
   */
  readonly breakdown?: readonly string[];
  /**
   * The suite's problems ship with the package: this JSONL path, relative to the package root, instead of
   * `<data dir>/<id>.jsonl`. Nothing to download; `data pull` and `bench list` report it as bundled.
   */
  readonly bundled?: string;
  /** The user prompt with `{Question}`, when the suite does not use the paper's (e.g. a short one for a small context). */
  readonly promptTemplate?: string;
}

/** One problem ready to run: the question and the gold string the grader compares with. */
export interface Problem {
  readonly id: string;
  readonly suite: string;
  readonly question: string;
  readonly gold: string;
  /** The data row's descriptive fields (MATH level and subject, OlympiadBench subfield, ...): short scalars only. */
  readonly meta?: Readonly<Record<string, string | number | boolean>>;
}

/** One line of a suite's normalised JSONL: id, problem text, gold answer (and/or solution), and any metadata. */
export interface BenchmarkRow {
  id: string;
  problem: string;
  answer: string;
  solution?: string;
  [field: string]: unknown;
}
