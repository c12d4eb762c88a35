// A real evaluation through the native backend: `openrs-eval --model <tiny checkpoint> --bench math500 --limit 5`
// as a child process (built CLI), then a resume of the same run that generates nothing new.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { nativeStatus } from "../../native/ts/native.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const status = nativeStatus();
const dataDir = findDataDir();
const skip = !status.available ? `native library unavailable: ${status.reason}` : !dataDir ? "benchmark data not found (../shared/benchmarks or OPENRS_DATA_DIR)" : null;
if (skip) console.warn(`native eval run skipped: ${skip}`);

const tmp = mkdtempSync(join(tmpdir(), "openrs-native-run-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): string {
  return execFileSync(process.execPath, [join(root, "bin", "openrs-eval.js"), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

describe.skipIf(skip !== null)("evaluation through the native backend", () => {
  it("runs math500 --limit 5 end to end on a tiny checkpoint, and a rerun resumes without regenerating", () => {
    const model = join(tmp, "tiny");
    writeTinyModel(model, { arch: "qwen2", seed: 3 });
    const out = join(tmp, "run");
    const args = ["--model", model, "--bench", "math500", "--limit", "5", "--samples", "2", "--max-new-tokens", "16", "--out", out, "--data-dir", dataDir!, "-q", "--json"];
    cli(args);
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run.backend).toBe("native-cpu");
    expect(run.provenance.backend.kernels).toMatch(/avx512|avx2|scalar/); // the kernel path that made the logits
    // Where it ran: the engine build, the device and a hash of the checkpoint's weights.
    expect(run.provenance.backend).toMatchObject({ device: "native-cpu", engine: expect.stringMatching(/^built /), weights: { hash: expect.stringMatching(/^xxh64:[0-9a-f]{16}$/), files: 1 } });
    expect(run.settings.kvCache).toBe("f32");
    const samples = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(samples).toHaveLength(10);
    for (const s of samples) {
      expect(typeof s.completion).toBe("string");
      expect(["stop", "length"]).toContain(s.finish);
      expect(s.completionTokens).toBeGreaterThan(0);
      expect(s.completionTokens).toBeLessThanOrEqual(16);
      expect(typeof s.correct).toBe("boolean");
    }
    const before = readFileSync(join(out, "samples.jsonl"), "utf8");
    cli(args);
    expect(readFileSync(join(out, "samples.jsonl"), "utf8")).toBe(before);
  });

  it("problems decoded together (continuous batching) get exactly the completions they get one at a time; --kv-cache bf16 and --activations bf16 run", () => {
    const model = join(tmp, "tiny-batch");
    writeTinyModel(model, { arch: "qwen2", seed: 4 });
    const base = ["--model", model, "--bench", "math500", "--limit", "6", "--samples", "2", "--max-new-tokens", "12", "--data-dir", dataDir!, "-q", "--json"];
    const completions = (out: string) =>
      readFileSync(join(out, "samples.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .map((x) => `${x.id}#${x.sample}: ${x.completion}`)
        .sort();
    cli([...base, "--out", join(tmp, "batched")]);
    cli([...base, "--concurrency", "1", "--out", join(tmp, "serial")]);
    expect(completions(join(tmp, "batched"))).toEqual(completions(join(tmp, "serial")));
    cli([...base, "--kv-cache", "bf16", "--out", join(tmp, "bf16")]);
    expect(completions(join(tmp, "bf16"))).toHaveLength(12);
    // The KV dtype is a setting of the run: a bf16 rerun into the f32 run's folder is refused, not silently reused.
    expect(() => cli([...base, "--kv-cache", "bf16", "--out", join(tmp, "batched")])).toThrow(/different settings \(kv-cache "f32" → "bf16"\)/);
    // bf16 matmul inputs: batching stays exact on every kernel path, the setting is recorded and guarded the same way.
    cli([...base, "--activations", "bf16", "--out", join(tmp, "act")]);
    cli([...base, "--activations", "bf16", "--concurrency", "1", "--out", join(tmp, "act-serial")]);
    expect(completions(join(tmp, "act"))).toEqual(completions(join(tmp, "act-serial")));
    expect(JSON.parse(readFileSync(join(tmp, "act", "run.json"), "utf8")).settings.activations).toBe("bf16");
    expect(() => cli([...base, "--activations", "bf16", "--out", join(tmp, "batched")])).toThrow(/different settings \(activations "f32" → "bf16"\)/);
  });

  it("the paper's default 32,768 new tokens on a checkpoint with a 1,024-token context: clamped to fit, recorded, run completes", () => {
    const model = join(tmp, "tiny-short");
    writeTinyModel(model, { arch: "qwen2", seed: 5, maxPositions: 1024 });
    const out = join(tmp, "short");
    cli(["--model", model, "--bench", "math500", "--limit", "2", "--out", out, "--data-dir", dataDir!, "-q", "--json"]);
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run.status).toBe("complete");
    expect(run.settings.sampling.maxNewTokens).toBe(32768);
    expect(run.metrics.suites.math500.counts.contextClamped).toBe(2);
    const samples = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    for (const s of samples) {
      expect(s.maxNewTokens).toBe(1024 - s.promptTokens);
      expect(s.promptTokens + s.completionTokens).toBeLessThanOrEqual(1024);
    }
  });

  it("--kv-cache takes f32 or bf16 only (usage error, exit 2)", () => {
    try {
      cli(["--model", join(tmp, "tiny"), "--bench", "math500", "--kv-cache", "f16"]);
      expect.unreachable();
    } catch (e) {
      const err = e as { status: number; stderr: string };
      expect(err.status).toBe(2);
      expect(err.stderr).toMatch(/--kv-cache must be f32 or bf16, got "f16"/);
    }
  });
});
