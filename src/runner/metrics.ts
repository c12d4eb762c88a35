// Run metrics from scored samples: pass@1 (mean over samples), unbiased pass@k, maj@k, the plain mean over suites,
// 95 % intervals (problem-level bootstrap, seeded) and clustered standard errors, failure-mode counts, mean tokens.
import type { Generation } from "../backends/types.js";
import { bootstrapMeans, clusteredStandardError, mean, passAtK, percentileInterval, subSeed } from "./stats.js";

/** What the metrics need from one graded sample. */
export interface ScoredSample {
  suite: string;
  /** Problem id. */
  id: string;
  /** Sample index within the problem. */
  sample: number;
  correct: boolean;
  extracted: string | null;
  finish: Generation["finishReason"];
  completionTokens: number | null;
  /** Its new-token limit was lowered to fit the model's context (optional in hand-made samples: false). */
  clamped?: boolean;
  /** `</think>` present in the completion (the format the model was trained to produce). */
  think: boolean;
  /** The prose drifted out of Latin script (see language.ts). */
  drift: boolean;
  /**
   * maj@k vote class within the problem: answers equal under the grader share a class; class 0 is "equal to the
   * gold" (every correct sample), null means no answer (no vote).
   */
  vote: number | null;
}

export interface MetricOptions {
  /** k values for pass@k and maj@k; values above a suite's samples per problem are skipped. */
  k: readonly number[];
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Bootstrap seed (default 1234). */
  seed?: number;
}

export const CI_LEVEL = 0.95;
export const DEFAULT_RESAMPLES = 1000;

export interface Uncertainty {
  /** 95 % percentile interval of the primary score from a seeded problem-level bootstrap. */
  ci95: { method: "problem-bootstrap"; level: number; resamples: number; seed: number; lo: number; hi: number };
  /** Standard error of the primary score, clustered by problem (samples of one problem are not independent). */
  se: { method: "clustered-by-problem"; value: number };
}

export interface FailureCounts {
  /** Samples where no final answer could be extracted. */
  noAnswer: number;
  /** Samples that stopped at the token limit (finish reason "length"). */
  truncated: number;
  /** Samples containing `</think>`. */
  format: number;
  /** Samples whose prose is mostly non-Latin script. */
  languageDrift: number;
  /** Samples whose new-token limit was lowered to fit the model's context (prompt + limit > context). */
  contextClamped: number;
}

export interface SuiteMetrics extends Uncertainty {
  problems: number;
  samples: number;
  /**
   * Samples the backend failed to produce (finish reason "error", e.g. a server's HTTP 500 after every retry). They
   * have no answer, so they are left out of every score and count rather than counted wrong; see failedNote.
   */
  errors: number;
  /** Problems without one graded sample (every sample failed): left out of the scores. */
  unscoredProblems: number;
  /** Samples per problem (the smallest, if they differ). */
  n: number;
  /** Key of the primary score in `scores` (`pass@1:n=N`). */
  primary: string;
  /** Scores in [0, 1], keys carry their parameters: `pass@1:n=8`, `pass@k:k=4&n=8`, `maj@k:k=4&n=8`. */
  scores: Record<string, number>;
  counts: FailureCounts;
  /** Mean completion tokens over samples that report a count; null when none does. */
  meanCompletionTokens: number | null;
}

export interface OverallMetrics extends Uncertainty {
  /** Suites averaged, in order. */
  suites: string[];
  primary: string;
  /** Plain (unweighted) mean over suites of every score key all suites share, as the paper averages. */
  scores: Record<string, number>;
  counts: FailureCounts;
  meanCompletionTokens: number | null;
  /** Failed samples over all suites (see SuiteMetrics.errors). */
  errors: number;
}

export interface RunMetrics {
  suites: Record<string, SuiteMetrics>;
  overall: OverallMetrics | null;
}

interface ProblemRow {
  /** Graded samples (failed ones are counted in `errors` only). */
  samples: ScoredSample[];
  correct: number;
  /** Samples of the problem, failed ones included. */
  total: number;
  errors: number;
}

/** What reports say under a table when samples failed. */
export function failedNote(errors: number): string {
  return (
    `${errors} sample${errors === 1 ? "" : "s"} failed in the backend (finish reason "error", the server's message in ` +
    "samples.jsonl) and are left out of the scores, not counted wrong; rerun with --retry-errors to retry them."
  );
}

function groupBySuite(samples: readonly ScoredSample[], order?: readonly string[]): Map<string, Map<string, ProblemRow>> {
  const suites = new Map<string, Map<string, ProblemRow>>();
  for (const id of order ?? []) suites.set(id, new Map());
  for (const s of samples) {
    let problems = suites.get(s.suite);
    if (!problems) suites.set(s.suite, (problems = new Map()));
    let row = problems.get(s.id);
    if (!row) problems.set(s.id, (row = { samples: [], correct: 0, total: 0, errors: 0 }));
    row.total++;
    if (s.finish === "error") {
      row.errors++;
      continue;
    }
    row.samples.push(s);
    if (s.correct) row.correct++;
  }
  return suites;
}

/**
 * Majority vote over the first k samples (by sample index): the most frequent answer class wins, ties go to the
 * class seen first; samples without an answer do not vote. Correct when the winner is the gold class (0).
 */
export function majorityCorrect(sortedSamples: readonly ScoredSample[], k: number): boolean {
  // Map iteration follows insertion order, so among equal counts the class seen first wins.
  const counts = new Map<number, number>();
  for (const s of sortedSamples.slice(0, k)) if (s.vote !== null) counts.set(s.vote, (counts.get(s.vote) ?? 0) + 1);
  let best: number | null = null;
  let bestCount = 0;
  for (const [cls, c] of counts) {
    if (c > bestCount) {
      best = cls;
      bestCount = c;
    }
  }
  return best === 0;
}

function zeroCounts(): FailureCounts {
  return { noAnswer: 0, truncated: 0, format: 0, languageDrift: 0, contextClamped: 0 };
}

function suiteMetrics(problems: Map<string, ProblemRow>, suite: string, ks: readonly number[], resamples: number, seed: number): {
  metrics: SuiteMetrics;
  replicates: Float64Array;
} {
  // Sorting by id makes the result independent of the order samples were written in (resumed runs).
  const all = [...problems.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, r]) => r);
  for (const r of all) r.samples.sort((a, b) => a.sample - b.sample);
  // n is the samples asked per problem (failed ones included), so a failure does not rename the score keys; a
  // problem enters a score only with enough graded samples for it (one for pass@1, k for pass@k and maj@k).
  const n = all.length ? Math.min(...all.map((r) => r.total)) : 0;
  const rows = all.filter((r) => r.samples.length > 0);
  const perProblem = Float64Array.from(rows, (r) => r.correct / r.samples.length);
  const primary = `pass@1:n=${n}`;
  const scores: Record<string, number> = { [primary]: mean(perProblem) };
  for (const k of ks) {
    if (k < 2 || k > n) continue;
    const full = rows.filter((r) => r.samples.length >= k);
    scores[`pass@k:k=${k}&n=${n}`] = mean(full.map((r) => passAtK(r.samples.length, r.correct, k)));
  }
  for (const k of ks) {
    if (k < 2 || k > n) continue;
    const full = rows.filter((r) => r.samples.length >= k);
    scores[`maj@k:k=${k}&n=${n}`] = mean(full.map((r) => (majorityCorrect(r.samples, k) ? 1 : 0)));
  }
  const counts = zeroCounts();
  let tokens = 0;
  let tokenSamples = 0;
  let samples = 0;
  let errors = 0;
  for (const r of all) {
    samples += r.total;
    errors += r.errors;
    for (const s of r.samples) {
      if (s.extracted === null) counts.noAnswer++;
      if (s.finish === "length") counts.truncated++;
      if (s.think) counts.format++;
      if (s.drift) counts.languageDrift++;
      if (s.clamped) counts.contextClamped++;
      if (s.completionTokens !== null) {
        tokens += s.completionTokens;
        tokenSamples++;
      }
    }
  }
  const suiteSeed = subSeed(seed, suite);
  const replicates = bootstrapMeans(perProblem, resamples, suiteSeed);
  const [lo, hi] = percentileInterval(replicates, CI_LEVEL);
  return {
    replicates,
    metrics: {
      problems: all.length,
      samples,
      errors,
      unscoredProblems: all.length - rows.length,
      n,
      primary,
      scores,
      ci95: { method: "problem-bootstrap", level: CI_LEVEL, resamples, seed: suiteSeed, lo, hi },
      se: { method: "clustered-by-problem", value: clusteredStandardError(perProblem) },
      counts,
      meanCompletionTokens: tokenSamples ? tokens / tokenSamples : null,
    },
  };
}

/**
 * Computes every metric of a run. `suiteOrder` fixes the order of suites in the result (and which suites the
 * overall mean covers); suites without samples are left out of the overall mean.
 */
export function computeMetrics(samples: readonly ScoredSample[], opts: MetricOptions, suiteOrder?: readonly string[]): RunMetrics {
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const seed = opts.seed ?? 1234;
  const ks = [...new Set(opts.k)].sort((a, b) => a - b);
  const grouped = groupBySuite(samples, suiteOrder);
  const suites: Record<string, SuiteMetrics> = {};
  const reps: Float64Array[] = [];
  for (const [suite, problems] of grouped) {
    if (problems.size === 0) continue;
    const { metrics, replicates } = suiteMetrics(problems, suite, ks, resamples, seed);
    suites[suite] = metrics;
    reps.push(replicates);
  }
  const ids = Object.keys(suites);
  if (ids.length === 0) return { suites, overall: null };
  const list = ids.map((id) => suites[id]);
  const shared = Object.keys(list[0].scores).filter((key) => list.every((m) => key in m.scores));
  const scores: Record<string, number> = {};
  for (const key of shared) scores[key] = mean(list.map((m) => m.scores[key]));
  const primaries = list.map((m) => m.primary);
  const primary = primaries.every((p) => p === primaries[0]) ? primaries[0] : "pass@1";
  if (!(primary in scores)) scores[primary] = mean(list.map((m) => m.scores[m.primary]));
  // The overall replicate b is the mean of the suites' replicate b (suites resampled independently).
  const overallReps = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (const r of reps) s += r[b];
    overallReps[b] = s / reps.length;
  }
  const [lo, hi] = percentileInterval(overallReps, CI_LEVEL);
  const seSum = list.reduce((acc, m) => acc + m.se.value ** 2, 0);
  const counts = zeroCounts();
  let tokens = 0;
  let tokenSuites = 0;
  let errors = 0;
  for (const m of list) {
    errors += m.errors;
    for (const key of Object.keys(counts) as (keyof FailureCounts)[]) counts[key] += m.counts[key];
    if (m.meanCompletionTokens !== null) {
      tokens += m.meanCompletionTokens;
      tokenSuites++;
    }
  }
  return {
    suites,
    overall: {
      suites: ids,
      primary,
      scores,
      ci95: { method: "problem-bootstrap", level: CI_LEVEL, resamples, seed, lo, hi },
      // The mean of S independent suite means: SE = sqrt(Σ SE_s²) / S.
      se: { method: "clustered-by-problem", value: Math.sqrt(seSum) / list.length },
      counts,
      meanCompletionTokens: tokenSuites ? tokens / tokenSuites : null,
      errors,
    },
  };
}

/** Default k list for n samples: 1, the powers of two below n, and n. */
export function defaultKs(n: number): number[] {
  const ks = new Set<number>([1]);
  for (let k = 2; k < n; k *= 2) ks.add(k);
  ks.add(n);
  return [...ks].sort((a, b) => a - b);
}
