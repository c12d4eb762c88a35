// Run directories with given verdicts and no completions, for the statistics of `compare` (problem p of suite s is
// `s/p`; correct[p][i] is sample i's verdict): what compare reads, written by the runner's own run-dir code.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunManifest, type SampleRecord, writeManifest } from "../../src/runner/run-dir.js";
import { PAPER_SAMPLING } from "../../src/runner/runner.js";

export type RunPatch = { settings?: Partial<RunManifest["settings"]>; promptFormat?: string; promptHash?: string; grader?: string };

/** A run directory under `root` whose suite `id` has correct[p][s] as the verdict of problem p, sample s; `patch` changes its settings. */
export function makeScoredRun(root: string, name: string, suites: Record<string, boolean[][]>, patch: RunPatch = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const n = Object.values(suites)[0][0].length;
  const m: RunManifest = {
    schema: "openrs-run",
    schemaVersion: 1,
    status: "complete",
    model: name,
    backend: "replay",
    settings: { samples: n, sampling: { ...PAPER_SAMPLING }, limit: null, k: [1], concurrency: 1, preset: "openrs-paper", ...patch.settings },
    promptFormat: patch.promptFormat ?? "user-message",
    suites: Object.entries(suites).map(([id, rows]) => ({
      id,
      name: id.toUpperCase(),
      version: "1",
      dataset: "t",
      split: "t",
      goldFrom: "answer",
      preset: "eval",
      problems: rows.length,
      promptHash: patch.promptHash ?? "0",
    })),
    grader: { version: patch.grader ?? "t" },
    git: { commit: null, dirty: null },
    timings: { started: "", updated: "", seconds: 0, generationSeconds: 0, gradingSeconds: 0, resumes: 0 },
    resumedSamples: 0,
    metrics: null,
  };
  writeManifest(dir, m);
  const lines: string[] = [];
  for (const [suite, rows] of Object.entries(suites)) {
    rows.forEach((flags, p) => {
      flags.forEach((correct, sample) => {
        const r: SampleRecord = { suite, id: `${suite}/${p}`, sample, cfg: "x", correct, extracted: null, reason: "", finish: "stop", promptTokens: null, completionTokens: null, gold: "1", prompt: "", completion: "" };
        lines.push(JSON.stringify(r));
      });
    });
  }
  writeFileSync(join(dir, "samples.jsonl"), `${lines.join("\n")}\n`);
  return dir;
}

