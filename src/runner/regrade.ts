// Regrading a finished run with the current grader: every sample of samples.jsonl graded again through GraderPool,
// every changed verdict listed, metrics recomputed; optionally written back (samples.jsonl rewritten atomically).
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { RunMetrics, ScoredSample } from "./metrics.js";
import { type RunManifest, RunDirError, readManifest, SAMPLES_FILE, type SampleRecord, SampleScanner, type SuiteEntry, writeManifest, writeSummary } from "./run-dir.js";
import { summaryMarkdown } from "./report.js";
import { GRADER_VERSION, metricsFor } from "./runner.js";
import { GraderPools, suiteGradeOptions, toScored } from "./scoring.js";

/** Samples graded per window while streaming the file. */
const REGRADE_WINDOW = 2048;

export interface VerdictChange {
  suite: string;
  id: string;
  sample: number;
  before: { correct: boolean; extracted: string | null; reason: string };
  after: { correct: boolean; extracted: string | null; reason: string };
}

export interface RegradeResult {
  dir: string;
  samples: number;
  /** Samples whose `correct` flipped. */
  changed: VerdictChange[];
  /** Samples whose extracted answer or reason changed while the verdict did not. */
  detailChanged: number;
  gradedWith: string;
  recordedWith: string;
  before: RunMetrics | null;
  after: RunMetrics;
  written: boolean;
}

export interface RegradeOptions {
  /** Rewrite samples.jsonl, run.json and summary.md with the new verdicts. */
  write?: boolean;
  jobs?: number;
  /** Grading budget per sample in ms (default: the one the run recorded, else the preset's). */
  budgetMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Regrades the run in `dir`; see RegradeOptions. */
export async function regradeRun(dir: string, opts: RegradeOptions = {}): Promise<RegradeResult> {
  const manifest = readManifest(dir);
  if (!manifest) throw new RunDirError(`${dir} is not a run directory (no run.json)`);
  const file = join(dir, SAMPLES_FILE);
  const suites = new Map<string, SuiteEntry>(manifest.suites.map((s) => [s.id, s]));
  const budgetMs = opts.budgetMs ?? manifest.grader?.budgetMs;
  const pools = new GraderPools(opts.jobs, budgetMs);
  const tmp = `${file}.regrade-${process.pid}`;
  const out = opts.write ? openSync(tmp, "w") : null;
  try {
    // Streams the file in windows: a run of long completions does not fit in memory at once.
    const changed: VerdictChange[] = [];
    const inRun: ScoredSample[] = [];
    let detailChanged = 0;
    let samples = 0;
    let window: SampleRecord[] = [];
    const flushWindow = async (): Promise<void> => {
      const batch = window;
      window = [];
      const fresh = await Promise.all(
        // Samples of suites the manifest does not list (an earlier invocation's) are graded with the default preset.
        // Failed samples (finish "error") have no completion to grade: they stay as recorded.
        batch.map((r) =>
          r.finish === "error"
            ? { correct: r.correct, extracted: r.extracted, reason: r.reason }
            : pools.get(suiteGradeOptions(suites.get(r.suite) ?? { preset: "eval" })).grade(r.completion, r.gold),
        ),
      );
      const lines: string[] = [];
      batch.forEach((r, i) => {
        const v = fresh[i];
        if (v.correct !== r.correct) {
          changed.push({
            suite: r.suite,
            id: r.id,
            sample: r.sample,
            before: { correct: r.correct, extracted: r.extracted, reason: r.reason },
            after: { correct: v.correct, extracted: v.extracted, reason: v.reason },
          });
        } else if (v.extracted !== r.extracted || v.reason !== r.reason) {
          detailChanged++;
        }
        const u: SampleRecord = { ...r, correct: v.correct, extracted: v.extracted, reason: v.reason };
        if (suites.has(u.suite) && u.sample < manifest.settings.samples) inRun.push(toScored(u));
        if (out !== null) lines.push(`${JSON.stringify(u)}\n`);
      });
      if (out !== null) writeSync(out, lines.join(""));
      samples += batch.length;
      opts.onProgress?.(samples, samples);
    };
    for (const r of new SampleScanner(file).records()) {
      window.push(r);
      if (window.length >= REGRADE_WINDOW) await flushWindow();
    }
    await flushWindow();
    if (samples === 0) throw new RunDirError(`${file} has no samples to regrade`);
    const after = await metricsFor(inRun, manifest.suites, manifest.settings.k, manifest.settings.sampling.seed, pools, manifest.settings.resamples);
    const result: RegradeResult = {
      dir,
      samples,
      changed,
      detailChanged,
      gradedWith: GRADER_VERSION,
      recordedWith: manifest.grader.version,
      before: manifest.metrics,
      after,
      written: false,
    };
    if (out !== null) {
      fsyncSync(out);
      closeSync(out);
      renameSync(tmp, file);
      const next: RunManifest = { ...manifest, metrics: after, grader: { version: GRADER_VERSION, ...(budgetMs !== undefined ? { budgetMs } : {}) } };
      writeManifest(dir, next);
      writeSummary(dir, summaryMarkdown(next));
      result.written = true;
    }
    return result;
  } finally {
    if (out !== null && existsSync(tmp)) {
      try {
        closeSync(out);
      } catch {
        // already closed after a successful write
      }
      rmSync(tmp, { force: true });
    }
    await pools.close();
  }
}
