// Reruns into an existing run directory never shrink it; failures and interruptions are recorded; older run
// directories (rendered prompt on every line, no rule/question) still resume and regrade; the kv-cache setting is
// part of the fingerprint.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Problem, SuiteConfig } from "../../benchmarks/types.js";
import { TestBackend } from "../../src/backends/test-backend.js";
import { regradeRun } from "../../src/runner/regrade.js";
import { readManifest, readSamples, sampleFingerprint, type SuiteEntry } from "../../src/runner/run-dir.js";
import { PAPER_SAMPLING, type RunOptions, runEval } from "../../src/runner/runner.js";

const root = mkdtempSync(join(tmpdir(), "openrs-rerun-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = (): string => join(root, `run${dirs++}`);

function suite(id: string, n: number): { config: SuiteConfig; problems: Problem[] } {
  const config: SuiteConfig = {
    id,
    name: id.toUpperCase(),
    dataset: "in-test",
    split: "test",
    count: n,
    questionField: "problem",
    goldFrom: "answer",
    preset: "eval-numeric",
    paper: false,
    version: "1",
  };
  return { config, problems: Array.from({ length: n }, (_, i) => ({ id: `${id}/${i}`, suite: id, question: `Question ${i} [gold: ${i + 2}]`, gold: String(i + 2) })) };
}
const A = suite("a", 4);
const B = suite("b", 3);

function options(out: string, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    backend: new TestBackend("test:correct=0.6"),
    suites: [A, B],
    render: (p) => ({ prompt: `PROMPT ${p.question}`, messages: [{ role: "user", content: p.question }] }),
    promptFormat: "user-message",
    out,
    samples: 2,
    sampling: PAPER_SAMPLING,
    k: [1, 2],
    concurrency: 2,
    jobs: 1,
    resamples: 100,
    progress: "off",
    ...extra,
  };
}

describe("a rerun with fewer suites", () => {
  it("extends the run: every suite with samples keeps its metrics in run.json and summary.md", async () => {
    const dir = newDir();
    const full = await runEval(options(dir));
    const again = await runEval(options(dir, { suites: [B] }));
    expect(again.generated).toBe(0);
    const m = readManifest(dir)!;
    expect(m.suites.map((s) => s.id)).toEqual(["a", "b"]);
    expect(Object.keys(m.metrics!.suites)).toEqual(["a", "b"]);
    expect(m.metrics).toEqual(full.manifest.metrics);
    expect(readFileSync(join(dir, "summary.md"), "utf8")).toMatch(/A \| B/);
  });

  it("refuses fewer samples per problem, and a carried suite left unfinished", async () => {
    const dir = newDir();
    await runEval(options(dir));
    await expect(runEval(options(dir, { samples: 1, k: [1] }))).rejects.toThrow(/holds 2 samples per problem and this run asks for 1; rerun with --samples 2/);
    const part = newDir();
    await runEval(options(part));
    const file = join(part, "samples.jsonl");
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    writeFileSync(file, `${lines.filter((l) => !l.includes('"suite":"a","id":"a/3"')).join("\n")}\n`);
    await expect(runEval(options(part, { suites: [B] }))).rejects.toThrow(/also holds a, unfinished \(6 of 8 samples\); include it in --bench/);
  });
});

describe("the status of a run that stops", () => {
  it("is interrupted (with the message) when the caller aborts, and the rerun resumes to complete", async () => {
    const dir = newDir();
    const abort = new AbortController();
    const inner = new TestBackend("test:delay=5");
    let calls = 0;
    // Aborts as Ctrl-C would, once two problems are done and the third is being generated.
    const backend = {
      name: inner.name,
      model: inner.model,
      generate: (req: Parameters<TestBackend["generate"]>[0], signal?: AbortSignal) => {
        if (++calls === 3) abort.abort();
        return inner.generate(req, signal);
      },
      close: () => inner.close(),
    };
    const run = runEval(options(dir, { backend, signal: abort.signal, concurrency: 1 }));
    await expect(run).rejects.toThrow(/interrupted/);
    const m = readManifest(dir)!;
    expect(m.status).toBe("interrupted");
    expect(m.error).toMatch(/rerun the same command to resume/);
    const resumed = await runEval(options(dir, { backend: new TestBackend("test:delay=5") }));
    expect(resumed.reused).toBeGreaterThanOrEqual(4);
    expect(resumed.manifest.status).toBe("complete");
    expect(resumed.manifest.error).toBeUndefined();
  });
});

describe("run records", () => {
  it("kv-cache bf16 is part of the fingerprint; f32 keeps the fingerprint runs had before the setting was recorded", () => {
    const entry = { id: "a", version: "1", promptHash: "0123456789abcdef" } as SuiteEntry;
    const legacy = sampleFingerprint("m", "native-cpu", PAPER_SAMPLING, entry, "user-message");
    expect(sampleFingerprint("m", "native-cpu", PAPER_SAMPLING, entry, "user-message", { kvCache: "f32" })).toBe(legacy);
    expect(sampleFingerprint("m", "native-cpu", PAPER_SAMPLING, entry, "user-message", { kvCache: "bf16" })).not.toBe(legacy);
    // bf16 activations likewise: f32 keeps the old fingerprint, bf16 makes another (and another again with a bf16 cache).
    const act = sampleFingerprint("m", "native-cpu", PAPER_SAMPLING, entry, "user-message", { activations: "bf16" });
    expect(sampleFingerprint("m", "native-cpu", PAPER_SAMPLING, entry, "user-message", { kvCache: "f32", activations: "f32" })).toBe(legacy);
    expect(act).not.toBe(legacy);
    expect(sampleFingerprint("m", "native-cpu", PAPER_SAMPLING, entry, "user-message", { kvCache: "bf16", activations: "bf16" })).not.toBe(act);
  });

  it("records kv-cache, provenance and synthetic in run.json", async () => {
    const dir = newDir();
    const provenance = { command: ["openrs-eval", "--model", "x"], node: process.version, platform: "linux-x64", host: { cpu: "c", cores: 2, memoryGiB: 1, gpu: null } };
    await runEval(options(dir, { kvCache: "bf16", provenance, synthetic: true }));
    const m = readManifest(dir)!;
    expect(m.settings.kvCache).toBe("bf16");
    expect(m.provenance).toEqual(provenance);
    expect(m.synthetic).toBe(true);
  });

  it("an older run directory (rendered prompt on every line, no rule or question) still resumes and regrades", async () => {
    const dir = newDir();
    const ref = await runEval(options(dir));
    const file = join(dir, "samples.jsonl");
    const old = readSamples(file).records.map(({ rule: _r, question, meta: _m, ...rest }) => ({ ...rest, prompt: `PROMPT ${question}` }));
    writeFileSync(file, `${old.slice(0, -3).map((r) => JSON.stringify(r)).join("\n")}\n`);
    const resumed = await runEval(options(dir));
    expect(resumed.reused).toBe(old.length - 3);
    expect(resumed.manifest.metrics).toEqual(ref.manifest.metrics);
    const rg = await regradeRun(dir, { jobs: 1 });
    expect(rg.changed).toEqual([]);
  });
});
