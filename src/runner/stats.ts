// Statistics the runner reports: the unbiased pass@k estimator, seeded problem-level bootstrap, clustered
// standard error, and McNemar's exact test. Pure functions over numbers; no I/O.
import { Rng } from "../../grading/rng.js";

/**
 * Unbiased pass@k (Chen et al. 2021): 1 − C(n−c, k) / C(n, k) for a problem with n samples of which c are correct,
 * computed as 1 − ∏_{i=n−c+1}^{n} (1 − k/i), which never forms the (huge) binomials.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || k < 1 || k > n || c < 0 || c > n) {
    throw new RangeError(`passAtK: need integers 1 ≤ k ≤ n and 0 ≤ c ≤ n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/**
 * Standard error of a mean of per-problem scores, clustered by problem: the samples of one problem are correlated,
 * so the problem (not the sample) is the independent unit. sqrt(Σ(x_i − x̄)² / (P(P − 1))); NaN below 2 problems.
 */
export function clusteredStandardError(perProblem: ArrayLike<number>): number {
  const p = perProblem.length;
  if (p < 2) return Number.NaN;
  const m = mean(perProblem);
  let ss = 0;
  for (let i = 0; i < p; i++) ss += (perProblem[i] - m) ** 2;
  return Math.sqrt(ss / (p * (p - 1)));
}

/** Linear-interpolated quantile of an ascending array (q in [0, 1]). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** A stable 32-bit seed from a base seed and a label (so each suite gets its own stream). */
export function subSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Bootstrap replicates of the mean: `resamples` means of `values` resampled with replacement (problem level).
 * Deterministic for a given seed.
 */
export function bootstrapMeans(values: ArrayLike<number>, resamples: number, seed: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(resamples);
  if (n === 0) return out.fill(Number.NaN);
  const rng = new Rng(seed);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng.float() * n)];
    out[b] = s / n;
  }
  return out;
}

/** Percentile interval [lo, hi] of bootstrap replicates at the given level (e.g. 0.95). */
export function percentileInterval(replicates: Float64Array, level = 0.95): [number, number] {
  const sorted = Float64Array.from(replicates).sort();
  const a = (1 - level) / 2;
  return [quantileSorted(sorted, a), quantileSorted(sorted, 1 - a)];
}

/** log C(n, k) via a running sum (n is at most a few thousand discordant pairs here). */
function logBinom(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

export interface McNemarResult {
  /** Discordant pairs: A right and B wrong. */
  b: number;
  /** Discordant pairs: A wrong and B right. */
  c: number;
  /** Exact two-sided p-value: 2 · P(X ≤ min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1. */
  p: number;
}

/** McNemar's exact test on the discordant pair counts of two paired binary outcomes. */
export function mcnemarExact(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, p: 1 };
  const m = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= m; i++) tail += Math.exp(logBinom(n, i) - n * Math.LN2);
  return { b, c, p: Math.min(1, 2 * tail) };
}

/**
 * Fewest problems for a problem-level bootstrap interval to be worth printing. Below this the resampling
 * distribution has only a handful of distinct values and the percentile interval covers far less often than its
 * nominal 95 % (with 3 problems all wrong it reads [0, 0] although the true rate could be most of the range).
 */
export const MIN_INTERVAL_PROBLEMS = 10;

/** The sentence for a suite too small for any bootstrap interval, or null. */
export function tooFewProblems(problems: number): string | null {
  return problems < MIN_INTERVAL_PROBLEMS
    ? `only ${problems} problem${problems === 1 ? "" : "s"}: a 95% interval needs at least ${MIN_INTERVAL_PROBLEMS} to mean anything`
    : null;
}

/**
 * Why a bootstrap interval over `problems` problems should not be read as one, or null when it is fine: too few
 * problems, or every problem scoring the same (the interval has no width, yet the true rate is uncertain; the
 * "rule of three" bound 3/P is the 95 % limit on the other side).
 */
export function intervalCaveat(problems: number, lo: number, hi: number): string | null {
  const few = tooFewProblems(problems);
  if (few) return few;
  if (lo === hi && (lo === 0 || lo === 1)) {
    const bound = (300 / problems).toFixed(1);
    return `every one of the ${problems} problems scored ${lo === 0 ? "0" : "1"}, so the bootstrap interval has no width; the true rate could still be ${lo === 0 ? `up to ${bound}%` : `down to ${(100 - 300 / problems).toFixed(1)}%`} (rule of three)`;
  }
  return null;
}
