// Compares two runs suite by suite: the paired difference in pass@1 over shared problems, a paired bootstrap over
// problems (seeded) and, for single-sample runs, McNemar's exact test; one stated verdict rule (VERDICT_RULE), the
// disagreement of the two tests named, and the ways the runs were made differently listed.
import { join } from "node:path";
import { type RunManifest, RunDirError, readManifest, SAMPLES_FILE, SampleScanner } from "./run-dir.js";
import { bootstrapMeans, clusteredStandardError, type McNemarResult, mcnemarExact, mean, percentileInterval, subSeed, tooFewProblems } from "./stats.js";

export const COMPARE_ALPHA = 0.05;

/** The test whose p-value decides a suite's verdict. */
export type VerdictTest = "mcnemar" | "bootstrap";

/**
 * "B higher" / "B lower": the verdict's test finds a difference at COMPARE_ALPHA (two-sided); "no clear difference":
 * it does not; "tests disagree": the other test reaches the other conclusion (see `disagreement`); "too few
 * problems": the bootstrap decides and the suite is too small for it (see `intervalNote`).
 */
export type Verdict = "B higher" | "B lower" | "no clear difference" | "tests disagree" | "too few problems";

/** The rule every verdict follows, printed with the comparison. */
export const VERDICT_RULE =
  `Verdict rule: a difference counts when the verdict's test gives p < ${COMPARE_ALPHA} (two-sided). That test is ` +
  "McNemar's exact test when both runs have one sample per problem (exact for paired right/wrong outcomes), " +
  "otherwise the paired bootstrap over problems (p from its replicates; its 95% interval excludes 0 exactly when " +
  `p < ${COMPARE_ALPHA}). The bootstrap interval is shown for every suite; when it and McNemar reach different ` +
  'conclusions the verdict is "tests disagree", with both numbers in a note.';

export interface SuiteComparison {
  suite: string;
  name: string;
  /** Problems present in both runs (the paired set). */
  problems: number;
  /** Problems with samples in each run (larger than `problems` when the runs cover different subsets). */
  problemsA: number;
  problemsB: number;
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
  /** Standard error of the paired difference: sd of the per-problem differences / √problems. */
  seDiff: number;
  /** Paired bootstrap over problems: 95 % percentile interval of the difference and a two-sided p-value. */
  bootstrap: { resamples: number; seed: number; lo: number; hi: number; p: number };
  /** McNemar's exact test, only when both runs have one sample per problem. */
  mcnemar: McNemarResult | null;
  /** The test that decides the verdict, and its p-value. */
  test: VerdictTest;
  p: number;
  verdict: Verdict;
  /** The verdict's test finds a difference (p < COMPARE_ALPHA). */
  distinguishable: boolean;
  /** Both tests' numbers and conclusions, when they disagree; null otherwise. */
  disagreement: string | null;
  /** Why the bootstrap interval cannot be read as one (too few problems), or null. */
  intervalNote: string | null;
}

export interface Comparison {
  a: { dir: string; model: string; status: string };
  b: { dir: string; model: string; status: string };
  suites: SuiteComparison[];
  /** Plain mean over the compared suites, with the suites' bootstrap replicates averaged (the bootstrap decides). */
  overall: { a: number; b: number; diff: number; lo: number; hi: number; p: number; distinguishable: boolean; verdict: Verdict } | null;
  /** How the runs were made differently (settings, prompts, problem subsets, suites of one run only). */
  warnings: string[];
  /** VERDICT_RULE. */
  rule: string;
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

const signedPct = (v: number): string => `${v > 0 ? "+" : ""}${(100 * v).toFixed(1)}`;

function direction(diff: number): Verdict {
  return diff > 0 ? "B higher" : diff < 0 ? "B lower" : "no clear difference";
}

/** The verdict under VERDICT_RULE, and the note when McNemar and the bootstrap disagree. */
function decide(
  diff: number,
  boot: SuiteComparison["bootstrap"],
  mcnemar: McNemarResult | null,
  few: string | null,
): Pick<SuiteComparison, "test" | "p" | "verdict" | "distinguishable" | "disagreement"> {
  const bootSays = boot.lo > 0 || boot.hi < 0;
  if (!mcnemar) {
    const distinguishable = few === null && boot.p < COMPARE_ALPHA;
    const verdict: Verdict = few ? "too few problems" : distinguishable ? direction(diff) : "no clear difference";
    return { test: "bootstrap", p: boot.p, verdict, distinguishable, disagreement: null };
  }
  const distinguishable = mcnemar.p < COMPARE_ALPHA;
  let disagreement: string | null = null;
  if (few === null && bootSays !== distinguishable) {
    const mc = `McNemar's exact test (the verdict's test): ${mcnemar.b} problem(s) right only in A, ${mcnemar.c} only in B, p = ${mcnemar.p.toFixed(3)}, ${distinguishable ? "a difference" : "no clear difference"}`;
    const bs = `the paired bootstrap: 95% interval [${signedPct(boot.lo)}, ${signedPct(boot.hi)}] ${bootSays ? "excludes 0" : "includes 0"} (p = ${boot.p.toFixed(3)})`;
    const why = bootSays
      ? "the bootstrap is optimistic when few problems differ between the runs"
      : "the bootstrap is the more cautious of the two here";
    disagreement = `${mc}; ${bs}. Treat the difference as unsettled (${why}); more problems or more samples per problem would settle it.`;
  }
  const verdict: Verdict = disagreement ? "tests disagree" : distinguishable ? direction(diff) : "no clear difference";
  return { test: "mcnemar", p: mcnemar.p, verdict, distinguishable, disagreement };
}

function fmt(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Settings of the two runs that change completions or verdicts, and the problem subsets compared. */
function differences(A: Loaded, B: Loaded, suites: readonly SuiteComparison[]): string[] {
  const out: string[] = [];
  const sa = A.manifest.settings;
  const sb = B.manifest.settings;
  const cmp = (label: string, x: unknown, y: unknown): void => {
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${label}: ${fmt(x ?? "unset")} vs ${fmt(y ?? "unset")}`);
  };
  cmp("samples per problem", sa.samples, sb.samples);
  cmp("max new tokens", sa.sampling.maxNewTokens, sb.sampling.maxNewTokens);
  cmp("temperature", sa.sampling.temperature, sb.sampling.temperature);
  cmp("top-p", sa.sampling.topP, sb.sampling.topP);
  // Other sampling fields a backend may record (the seed is left out: another draw is what a rerun is for).
  const known = new Set(["maxNewTokens", "temperature", "topP", "seed"]);
  for (const key of new Set([...Object.keys(sa.sampling), ...Object.keys(sb.sampling)])) {
    if (!known.has(key)) cmp(key, (sa.sampling as unknown as Record<string, unknown>)[key], (sb.sampling as unknown as Record<string, unknown>)[key]);
  }
  // Settings fields beyond the ones that cannot change a completion or verdict (throughput, which k are reported).
  const inert = new Set(["samples", "sampling", "limit", "k", "resamples", "concurrency", "preset"]);
  for (const key of new Set([...Object.keys(sa), ...Object.keys(sb)])) {
    if (!inert.has(key)) cmp(key, (sa as unknown as Record<string, unknown>)[key], (sb as unknown as Record<string, unknown>)[key]);
  }
  cmp("prompt format", A.manifest.promptFormat, B.manifest.promptFormat);
  cmp("grader version", A.manifest.grader.version, B.manifest.grader.version);
  for (const s of suites) {
    const ea = A.manifest.suites.find((e) => e.id === s.suite);
    const eb = B.manifest.suites.find((e) => e.id === s.suite);
    if (ea && eb) {
      if (ea.version !== eb.version) out.push(`${s.name}: suite version ${ea.version} vs ${eb.version}`);
      if (ea.lightevalHash && eb.lightevalHash && ea.lightevalHash !== eb.lightevalHash) {
        out.push(`${s.name}: the problem texts differ (lighteval hash ${ea.lightevalHash} vs ${eb.lightevalHash})`);
      } else if (A.manifest.promptFormat === B.manifest.promptFormat && ea.promptHash !== eb.promptHash) {
        out.push(`${s.name}: the rendered prompts differ (rendered-prompt hash ${ea.promptHash} vs ${eb.promptHash})`);
      }
    }
    if (s.problems < Math.max(s.problemsA, s.problemsB)) {
      out.push(`${s.name}: compared on the ${s.problems} problems both runs have (A has ${s.problemsA}, B has ${s.problemsB})`);
    }
  }
  const compared = new Set(suites.map((s) => s.suite));
  for (const [X, label] of [
    [A, "A"],
    [B, "B"],
  ] as const) {
    for (const e of X.manifest.suites) if (!compared.has(e.id) && X.scores.has(e.id)) out.push(`${e.name}: only in run ${label}; not compared`);
  }
  return out;
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
    const bootstrap = { resamples, seed: suiteSeed, lo, hi, p: twoSidedP(r) };
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
    const diff = mean(d);
    const intervalNote = tooFewProblems(ids.length);
    suites.push({
      suite: entry.id,
      name: entry.name,
      problems: ids.length,
      problemsA: sa.size,
      problemsB: sb.size,
      nA,
      nB,
      a: mean(pa),
      b: mean(pb),
      diff,
      seA: clusteredStandardError(pa),
      seB: clusteredStandardError(pb),
      seDiff: clusteredStandardError(d),
      bootstrap,
      mcnemar,
      ...decide(diff, bootstrap, mcnemar, intervalNote),
      intervalNote,
    });
  }
  let overall: Comparison["overall"] = null;
  if (suites.length > 1) {
    const avg = new Float64Array(resamples);
    for (let i = 0; i < resamples; i++) avg[i] = mean(reps.map((r) => r[i]));
    const [lo, hi] = percentileInterval(avg, 0.95);
    const p = twoSidedP(avg);
    const diff = mean(suites.map((s) => s.diff));
    const distinguishable = p < COMPARE_ALPHA;
    overall = {
      a: mean(suites.map((s) => s.a)),
      b: mean(suites.map((s) => s.b)),
      diff,
      lo,
      hi,
      p,
      distinguishable,
      verdict: distinguishable ? direction(diff) : "no clear difference",
    };
  }
  return {
    a: { dir: dirA, model: A.manifest.model, status: A.manifest.status },
    b: { dir: dirB, model: B.manifest.model, status: B.manifest.status },
    suites,
    overall,
    warnings: differences(A, B, suites),
    rule: VERDICT_RULE,
  };
}

/** How far sampling alone moves each run's score, and the paired difference's own standard error. */
export function noiseNote(s: SuiteComparison): string {
  const n = s.nA === s.nB ? `${s.nA} sample(s)` : `${s.nA} (A) and ${s.nB} (B) samples`;
  return (
    `${s.name}: ${s.problems} problems at ${n} per problem; one standard error from sampling alone is ` +
    `±${(100 * s.seA).toFixed(1)} points for A's score, ±${(100 * s.seB).toFixed(1)} for B's, and ` +
    `±${(100 * s.seDiff).toFixed(1)} for the paired difference.`
  );
}
