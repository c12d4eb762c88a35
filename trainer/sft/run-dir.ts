// An SFT output directory: the settings the run was started with (sft-run.json, so a resume with other settings is
// refused), metrics.jsonl (one line per step, appended), checkpoint-NNNNNN/ (a Hugging Face checkpoint with the
// engine's training state inside and progress.json written last, so its presence marks the checkpoint complete)
// and final/ (the trained model).
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../checkpoint.js";

export const RUN_FILE = "sft-run.json";
export const METRICS_FILE = "metrics.jsonl";
export const STATE_DIR = "training-state";
export const PROGRESS_FILE = "progress.json";

export class RunDirError extends Error {}

export interface Progress {
  step: number;
  totalSteps: number;
}

export const checkpointName = (step: number): string => `checkpoint-${String(step).padStart(6, "0")}`;

/** Complete checkpoints (progress.json present), oldest first. */
export function completeCheckpoints(out: string): { dir: string; step: number }[] {
  if (!existsSync(out)) return [];
  return readdirSync(out)
    .map((e) => /^checkpoint-(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(out, m[0], PROGRESS_FILE)))
    .map((m) => ({ dir: join(out, m[0]), step: Number(m[1]) }))
    .sort((a, b) => a.step - b.step);
}

/** Checkpoint directories a kill left without progress.json: they are not resumable and are removed on resume. */
export function removeIncompleteCheckpoints(out: string): void {
  if (!existsSync(out)) return;
  for (const e of readdirSync(out)) if (/^checkpoint-\d+$/.test(e) && !existsSync(join(out, e, PROGRESS_FILE))) rmSync(join(out, e), { recursive: true, force: true });
}

/** Keeps the newest `keep` complete checkpoints. */
export function pruneCheckpoints(out: string, keep: number): void {
  const all = completeCheckpoints(out);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) rmSync(c.dir, { recursive: true, force: true });
}

/** Settings must match exactly on resume; these keys may change (they do not affect the weights). */
const FREE_KEYS = new Set(["saveEvery", "keep"]);

/** Records the settings of a new run, or checks a resumed run's settings against them (first difference named). */
export function checkRunSettings(out: string, settings: Record<string, unknown>, resume: boolean): void {
  const file = join(out, RUN_FILE);
  if (!existsSync(file)) {
    if (existsSync(join(out, METRICS_FILE)) || completeCheckpoints(out).length)
      throw new RunDirError(`${out} holds training output but no ${RUN_FILE}; choose another --out`);
    writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`);
    return;
  }
  if (!resume) throw new RunDirError(`${out} already holds an SFT run; pass --resume to continue it, or choose another --out`);
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new RunDirError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  for (const k of new Set([...Object.keys(saved), ...Object.keys(settings)])) {
    if (FREE_KEYS.has(k)) continue;
    if (JSON.stringify(saved[k]) !== JSON.stringify(settings[k]))
      throw new RunDirError(`cannot resume ${out}: ${k} was ${JSON.stringify(saved[k])}, now ${JSON.stringify(settings[k])} (the weights would differ from one uninterrupted run)`);
  }
}

/** Keeps the metrics lines of steps <= step (a torn last line and lines written after the checkpoint are dropped). */
export function truncateMetrics(out: string, step: number): void {
  const file = join(out, METRICS_FILE);
  if (!existsSync(file)) return;
  const keep: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as { step?: number };
      if (typeof r.step === "number" && r.step <= step) keep.push(line);
    } catch {
      // a torn last line from a kill
    }
  }
  writeFileAtomic(file, keep.map((l) => `${l}\n`).join(""));
}

export function appendMetrics(out: string, record: Record<string, unknown>): void {
  appendFileSync(join(out, METRICS_FILE), `${JSON.stringify(record)}\n`);
}
