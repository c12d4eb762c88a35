// What the HTML report shows, gathered from a run directory: per-suite pass@1 with its interval (the run's own metric
// code), failure-mode rates, completion lengths of right and wrong samples, per-group scores over the metadata the
// suite's data file carries (read through benchmarks/load.ts), and every problem with its samples (completions
// clipped to a size budget). No HTML here; see html.ts.
import { join } from "node:path";
import { readSuiteRows } from "../../benchmarks/load.js";
import { SUITES } from "../../benchmarks/registry.js";
import type { BenchmarkRow } from "../../benchmarks/types.js";
import { computeMetrics, DEFAULT_RESAMPLES, type ScoredSample } from "../runner/metrics.js";
import { type RunManifest, RunDirError, readManifest, SAMPLES_FILE, SampleScanner } from "../runner/run-dir.js";
import { scoreLabel } from "../runner/report.js";
import { toScored } from "../runner/scoring.js";
import { bootstrapMeans, intervalCaveat, mean, percentileInterval, subSeed } from "../runner/stats.js";

export interface ReportSample {
  sample: number;
  correct: boolean;
  extracted: string | null;
  reason: string;
  finish: string;
  tokens: number | null;
  think: boolean;
  drift: boolean;
  /** The completion, its middle cut out when longer than the budget (a marker says how much and where it is). */
  completion: string;
  /** 1-based record number in samples.jsonl (the full text is there). */
  line: number;
}

export interface ReportProblem {
  suite: string;
  id: string;
  /** The question from the suite's data file, else the prompt the sample was given. */
  question: string;
  gold: string;
  /** The suite's breakdown fields for this problem, as text. */
  meta: Record<string, string>;
  samples: ReportSample[];
}

/** A score with its 95 % bootstrap interval, and why the interval means little when it does. */
export interface IntervalScore {
  problems: number;
  value: number;
  lo: number;
  hi: number;
  caveat: string | null;
}

export interface Group extends IntervalScore {
  label: string;
}

export interface FieldBreakdown {
  field: string;
  groups: Group[];
}

export interface SuiteReport {
  id: string;
  name: string;
  samples: number;
  /** Samples per problem (the smallest). */
  n: number;
  pass1: IntervalScore;
  se: number;
  /** pass@k and maj@k from run.json (labels like "pass@4"), when the run has finished metrics. */
  extras: { label: string; value: number }[];
  counts: { noAnswer: number; truncated: number; think: number; drift: number };
  meanTokens: number | null;
  /** Completion lengths (tokens, or characters when a sample has no token count) of right and wrong samples. */
  lengths: { correct: number[]; wrong: number[] };
  breakdown: FieldBreakdown[];
}

export interface RunReport {
  dir: string;
  manifest: RunManifest;
  suites: SuiteReport[];
  overall: IntervalScore | null;
  lengthUnit: "tokens" | "characters";
  /** `suite\u0000id` → problem. */
  problems: Map<string, ReportProblem>;
  /** Things the page must say it could not show (missing benchmark data, unknown suites). */
  notes: string[];
  /** Completions whose middle was cut to fit the size budget. */
  clipped: number;
}

export interface CollectOptions {
  /** Folder holding the suites' data files (default: the usual resolution, see benchmarks/data-dir.ts). */
  dataDir?: string;
  /** Most characters of one completion kept (default: COMPLETION_BUDGET shared over the run's samples). */
  completionChars?: number;
}

/** Characters of completions one report page holds at most by default (the page stays a few tens of MB). */
export const COMPLETION_BUDGET = 24_000_000;
const MIN_COMPLETION_CHARS = 400;
const MAX_COMPLETION_CHARS = 60_000;

export const problemKey = (suite: string, id: string): string => `${suite}\u0000${id}`;

/** Keeps the head (a quarter) and the tail (where the answer is) of a long completion. */
export function clipCompletion(text: string, max: number, line: number): { text: string; clipped: boolean } {
  if (text.length <= max) return { text, clipped: false };
  const head = Math.floor(max / 4);
  const tail = max - head;
  const cut = text.length - head - tail;
  return {
    text: `${text.slice(0, head)}\n\n[… ${cut.toLocaleString("en-US")} characters cut here; the full completion is record ${line} of samples.jsonl …]\n\n${text.slice(-tail)}`,
    clipped: true,
  };
}

function metaText(v: unknown): string {
  if (v === null || v === undefined || v === "") return "(none)";
  if (Array.isArray(v)) return v.map(String).join(", ");
  return String(v);
}

/** The data file's rows by id, or a note saying why they are not available. */
function suiteRows(suiteId: string, dataDir: string | undefined): { rows: Map<string, BenchmarkRow> | null; note: string | null } {
  const config = Object.hasOwn(SUITES, suiteId) ? SUITES[suiteId] : undefined;
  if (!config) return { rows: null, note: `${suiteId}: not a registered suite, so its problem texts and metadata are not shown` };
  try {
    return { rows: new Map(readSuiteRows(config, dataDir).map((r) => [r.id, r])), note: null };
  } catch (e) {
    return { rows: null, note: `${config.name}: benchmark data not available (${(e as Error).message}); questions are taken from the prompts and no breakdown is shown` };
  }
}

function intervalScore(perProblem: Float64Array, resamples: number, seed: number): IntervalScore {
  const reps = bootstrapMeans(perProblem, resamples, seed);
  const [lo, hi] = percentileInterval(reps, 0.95);
  return { problems: perProblem.length, value: mean(perProblem), lo, hi, caveat: intervalCaveat(perProblem.length, lo, hi) };
}

/** Reads a run directory into what the report shows. Throws RunDirError when it is not a run directory. */
export function collectRun(dir: string, opts: CollectOptions = {}): RunReport {
  const manifest = readManifest(dir);
  if (!manifest) throw new RunDirError(`${dir} is not a run directory (no run.json)`);
  const n = manifest.settings.samples;
  const expected = Math.max(1, manifest.suites.reduce((a, s) => a + s.problems, 0) * n);
  const cap = opts.completionChars ?? Math.min(MAX_COMPLETION_CHARS, Math.max(MIN_COMPLETION_CHARS, Math.floor(COMPLETION_BUDGET / expected)));
  const notes: string[] = [];
  const rowsBySuite = new Map<string, Map<string, BenchmarkRow> | null>();
  for (const s of manifest.suites) {
    const { rows, note } = suiteRows(s.id, opts.dataDir);
    rowsBySuite.set(s.id, rows);
    if (note) notes.push(note);
  }
  const problems = new Map<string, ReportProblem>();
  const scored: ScoredSample[] = [];
  let line = 0;
  let clipped = 0;
  let allTokens = true;
  for (const r of new SampleScanner(join(dir, SAMPLES_FILE)).records()) {
    line++;
    if (r.sample >= n) continue;
    const s = toScored(r);
    scored.push(s);
    if (r.completionTokens === null) allTokens = false;
    const key = problemKey(r.suite, r.id);
    let p = problems.get(key);
    if (!p) {
      const row = rowsBySuite.get(r.suite)?.get(r.id);
      const config = Object.hasOwn(SUITES, r.suite) ? SUITES[r.suite] : undefined;
      const meta: Record<string, string> = {};
      // The data row when present, else what newer samples carry themselves (question, meta).
      for (const f of config?.breakdown ?? []) {
        const v = row ? row[f] : r.meta?.[f];
        if (v !== undefined) meta[f] = metaText(v);
      }
      const question = row && config ? String(row[config.questionField]) : (r.question ?? r.prompt ?? "");
      p = { suite: r.suite, id: r.id, question, gold: r.gold, meta, samples: [] };
      problems.set(key, p);
    }
    const c = clipCompletion(r.completion, cap, line);
    if (c.clipped) clipped++;
    p.samples.push({
      sample: r.sample,
      correct: r.correct,
      extracted: r.extracted,
      reason: r.reason,
      finish: r.finish,
      tokens: r.completionTokens,
      think: s.think,
      drift: s.drift,
      completion: c.text,
      line,
    });
  }
  for (const p of problems.values()) p.samples.sort((a, b) => a.sample - b.sample);
  // pass@1 and its interval through the runner's own metric code, with the run's seed and resamples, so the page
  // shows the numbers run.json holds.
  const resamples = manifest.settings.resamples ?? DEFAULT_RESAMPLES;
  const seed = manifest.settings.sampling.seed;
  const metrics = computeMetrics(scored, { k: [1], resamples, seed }, manifest.suites.map((s) => s.id));
  const suites: SuiteReport[] = [];
  for (const entry of manifest.suites) {
    const m = metrics.suites[entry.id];
    if (!m) continue;
    const list = [...problems.values()].filter((p) => p.suite === entry.id).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const lengths = { correct: [] as number[], wrong: [] as number[] };
    for (const p of list) {
      // A failed sample (finish "error") has no completion to measure: it is neither right nor wrong.
      for (const x of p.samples) if (x.finish !== "error") (x.correct ? lengths.correct : lengths.wrong).push(allTokens && x.tokens !== null ? x.tokens : x.completion.length);
    }
    const recorded = manifest.metrics?.suites[entry.id];
    const extras = recorded
      ? Object.entries(recorded.scores)
          .filter(([k]) => k !== recorded.primary)
          .map(([k, v]) => ({ label: scoreLabel(k), value: v }))
      : [];
    const config = Object.hasOwn(SUITES, entry.id) ? SUITES[entry.id] : undefined;
    const breakdown: FieldBreakdown[] = [];
    if (rowsBySuite.get(entry.id)) {
      for (const field of config?.breakdown ?? []) {
        const groups = new Map<string, number[]>();
        for (const p of list) {
          const v = p.meta[field] ?? "(none)";
          const graded = p.samples.filter((x) => x.finish !== "error");
          if (graded.length === 0) continue;
          const frac = graded.filter((x) => x.correct).length / graded.length;
          const g = groups.get(v);
          if (g) g.push(frac);
          else groups.set(v, [frac]);
        }
        const labels = [...groups.keys()];
        const numeric = labels.every((l) => l !== "" && Number.isFinite(Number(l)));
        labels.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
        breakdown.push({
          field,
          groups: labels.map((label) => ({
            label,
            ...intervalScore(Float64Array.from(groups.get(label)!), resamples, subSeed(seed, `${entry.id}/${field}/${label}`)),
          })),
        });
      }
    }
    suites.push({
      id: entry.id,
      name: entry.name,
      samples: m.samples,
      n: m.n,
      pass1: { problems: m.problems, value: m.scores[m.primary], lo: m.ci95.lo, hi: m.ci95.hi, caveat: intervalCaveat(m.problems, m.ci95.lo, m.ci95.hi) },
      se: m.se.value,
      extras,
      counts: { noAnswer: m.counts.noAnswer, truncated: m.counts.truncated, think: m.counts.format, drift: m.counts.languageDrift },
      meanTokens: m.meanCompletionTokens,
      lengths,
      breakdown,
    });
  }
  const o = metrics.overall;
  const total = suites.reduce((a, s) => a + s.pass1.problems, 0);
  const overall = o && suites.length > 1 ? { problems: total, value: o.scores[o.primary], lo: o.ci95.lo, hi: o.ci95.hi, caveat: intervalCaveat(total, o.ci95.lo, o.ci95.hi) } : null;
  return { dir, manifest, suites, overall, lengthUnit: allTokens ? "tokens" : "characters", problems, notes, clipped };
}
