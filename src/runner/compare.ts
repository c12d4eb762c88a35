// Compares two runs suite by suite: the paired difference in pass@1 over shared problems, a paired bootstrap over
// problems (seeded) and, for single-sample runs, McNemar's exact test, with a verdict on whether it beats noise.
import { join } from "node:path";
import { type RunManifest, RunDirError, readManifest, SAMPLES_FILE, SampleScanner } from "./run-dir.js";
import { bootstrapMeans, clusteredStandardError, type McNemarResult, mcnemarExact, mean, percentileInterval, subSeed } from "./stats.js";

export const COMPARE_ALPHA = 0.05;

export interface SuiteComparison {
  suite: string;
  name: string;
  /** Problems present in both runs (the paired set). */
  problems: number;
  nA: number;
  nB: number;
  /** pass@1 of each run over the paired problems, in [0, 1]. */
  a: number;
  b: number;
  /** b − a. */
  diff: number;
  /** Clustered standard error of each run's pass@1 (what sampling noise alone moves a score by). */
  seA: number;
  seB: number;
  /** Paired bootstrap over problems: 95 % percentile interval of the difference and a two-sided p-value. */
  bootstrap: { resamples: number; seed: number; lo: number; hi: number; p: number };
  /** McNemar's exact test, only when both runs have one sample per problem. */
  mcnemar: McNemarResult | null;
  /** The difference is distinguishable from noise: the bootstrap interval excludes 0 (and McNemar p < 0.05 when it applies). */
  distinguishable: boolean;
}

export interface Comparison {
  a: { dir: string; model: string; status: string };
  b: { dir: string; model: string; status: string };
  suites: SuiteComparison[];
  /** Plain mean over the compared suites, with the suites' bootstrap replicates averaged. */
  overall: { a: number; b: number; diff: number; lo: number; hi: number; p: number; distinguishable: boolean } | null;
}

interface Loaded {
  dir: string;
  manifest: RunManifest;
  /** suite → problem id → correct flags by sample. */
  scores: Map<string, Map<string, boolean[]>>;
}

function load(dir: string): Loaded {
  const manifest = readManifest(dir);
  if (!manifest) throw new RunDirError(`${dir} is not a run directory (no run.json)`);
  const n = manifest.settings.samples;
  const scores = new Map<string, Map<string, boolean[]>>();
  for (const r of new SampleScanner(join(dir, SAMPLES_FILE)).records()) {
    // A failed sample (finish "error") has no verdict: it is left out, as the run's own scores leave it out.
    if (r.sample >= n || r.finish === "error") continue;
    let s = scores.get(r.suite);
    if (!s) scores.set(r.suite, (s = new Map()));
    let flags = s.get(r.id);
    if (!flags) s.set(r.id, (flags = []));
    flags[r.sample] = r.correct;
  }
  return { dir, manifest, scores };
}

function frac(flags: boolean[]): number {
  let c = 0;
  let n = 0;
  for (const f of flags) {
    if (f === undefined) continue;
    n++;
    if (f) c++;
  }
  return n ? c / n : 0;
}

function twoSidedP(replicates: Float64Array): number {
  let le = 0;
  let ge = 0;
  for (const d of replicates) {
    if (d <= 0) le++;
    if (d >= 0) ge++;
  }
  return Math.min(1, (2 * Math.min(le, ge)) / replicates.length);
}

/** Compares run B against run A (B − A). */
export function compareRuns(dirA: string, dirB: string, opts: { resamples?: number; seed?: number } = {}): Comparison {
  const resamples = opts.resamples ?? 10_000;
  const seed = opts.seed ?? 1234;
  const A = load(dirA);
  const B = load(dirB);
  const suites: SuiteComparison[] = [];
  const reps: Float64Array[] = [];
  for (const entry of A.manifest.suites) {
    const sa = A.scores.get(entry.id);
    const sb = B.scores.get(entry.id);
    if (!sa || !sb) continue;
    const graded = (flags: boolean[] | undefined): boolean => flags?.some((f) => f !== undefined) === true;
    const ids = [...sa.keys()].filter((id) => graded(sa.get(id)) && graded(sb.get(id))).sort();
    if (ids.length === 0) continue;
    const pa = Float64Array.from(ids, (id) => frac(sa.get(id)!));
    const pb = Float64Array.from(ids, (id) => frac(sb.get(id)!));
    const d = pb.map((v, i) => v - pa[i]);
    const suiteSeed = subSeed(seed, entry.id);
    const r = bootstrapMeans(d, resamples, suiteSeed);
    reps.push(r);
    const [lo, hi] = percentileInterval(r, 0.95);
    const p = twoSidedP(r);
    const nA = A.manifest.settings.samples;
    const nB = B.manifest.settings.samples;
    let mcnemar: McNemarResult | null = null;
    if (nA === 1 && nB === 1) {
      let b = 0;
      let c = 0;
      ids.forEach((_, i) => {
        if (pa[i] === 1 && pb[i] === 0) b++;
        else if (pa[i] === 0 && pb[i] === 1) c++;
      });
      mcnemar = mcnemarExact(b, c);
    }
    const excludesZero = lo > 0 || hi < 0;
    suites.push({
      suite: entry.id,
      name: entry.name,
      problems: ids.length,
      nA,
      nB,
      a: mean(pa),
      b: mean(pb),
      diff: mean(d),
      seA: clusteredStandardError(pa),
      seB: clusteredStandardError(pb),
      bootstrap: { resamples, seed: suiteSeed, lo, hi, p },
      mcnemar,
      distinguishable: excludesZero && (mcnemar === null || mcnemar.p < COMPARE_ALPHA),
    });
  }
  let overall: Comparison["overall"] = null;
  if (suites.length > 1) {
    const avg = new Float64Array(resamples);
    for (let i = 0; i < resamples; i++) avg[i] = mean(reps.map((r) => r[i]));
    const [lo, hi] = percentileInterval(avg, 0.95);
    overall = {
      a: mean(suites.map((s) => s.a)),
      b: mean(suites.map((s) => s.b)),
      diff: mean(suites.map((s) => s.diff)),
      lo,
      hi,
      p: twoSidedP(avg),
      distinguishable: lo > 0 || hi < 0,
    };
  }
  return {
    a: { dir: dirA, model: A.manifest.model, status: A.manifest.status },
    b: { dir: dirB, model: B.manifest.model, status: B.manifest.status },
    suites,
    overall,
  };
}

/** The sentence users must see: how far sampling noise alone moves a suite's score. */
export function noiseNote(s: SuiteComparison): string {
  const se = Math.max(s.seA, s.seB);
  return `${s.name}: ${s.problems} problems; at ${Math.min(s.nA, s.nB)} sample(s) per problem a score moves by ±${(100 * se).toFixed(1)} points (one standard error) from sampling alone, so differences under about ±${(196 * se).toFixed(1)} points are noise.`;
}
