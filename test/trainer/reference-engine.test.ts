// The float64 reference TrainEngine: its steps are exactly the reference backward + clip_grad_norm_ + AdamW composed
// by hand; non-finite gradients are refused before anything is applied; checkpoints are HF directories (f32, bf16
// rounded to nearest even) that the native inference engine loads and scores like the reference; a failed save
// (NaN weights, a full disk) leaves the previous checkpoint intact; save/load of the training state resumes to
// bit-identical weights.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { NativeModel, nativeStatus } from "../../native/ts/native.js";
import { loadTrainModel, referenceBackward, referenceForward } from "../../native/ts/reference-train.js";
import { readSafetensors, toBf16 } from "../../native/ts/safetensors.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";
import type { AdamWStep } from "../../trainer/engine.js";
import { ReferenceEngine } from "../../trainer/engines/reference.js";
import { AdamWReference, clipGradNorm, hfNoDecay } from "../../trainer/optim/adamw-reference.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const tmp = mkdtempSync(join(tmpdir(), "openrs-refengine-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const model = join(tmp, "model");
writeTinyModel(model, { arch: "qwen3", hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, tied: true, seed: 11, scale: 0.5 });
const seqs = [
  { tokens: [257, 10, 20, 30, 40, 50], promptLen: 3 },
  { tokens: [257, 60, 70, 80, 258], promptLen: 2 },
];
const scored = seqs.reduce((a, s) => a + s.tokens.length - s.promptLen, 0);
const w = seqs.map((s) => new Array(s.tokens.length - s.promptLen).fill(-1 / scored));
const adam: AdamWStep = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 0.5 };

const bytesOf = (m: Map<string, Float64Array>) => Buffer.concat([...m.values()].map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)));

describe("ReferenceEngine steps", () => {
  it("equals the references composed by hand, bit for bit, over three steps", async () => {
    const e = await ReferenceEngine.load(model);
    const m = loadTrainModel(model);
    const opt = new AdamWReference(m.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, noDecay: hfNoDecay });
    for (let k = 0; k < 3; k++) {
      const r = referenceBackward(m, seqs, w);
      const norm = clipGradNorm(r.grads, 0.5);
      opt.update(r.grads, 1e-2);
      const lp = await e.backward(seqs, w);
      expect(lp.logprobs).toEqual(r.logprobs);
      const s = await e.step(adam);
      expect(s).toEqual({ gradNorm: norm, step: k + 1 });
    }
    expect(bytesOf(e.model.params).equals(bytesOf(m.params))).toBe(true);
  });

  it("accumulates micro-batches: two backward calls give the gradient of one call over both", async () => {
    const a = await ReferenceEngine.load(model);
    const b = await ReferenceEngine.load(model);
    await a.backward(seqs, w);
    await b.backward([seqs[0]], [w[0]]);
    await b.backward([seqs[1]], [w[1]]);
    const [sa, sb] = [await a.step(adam), await b.step(adam)];
    expect(Math.abs(sa.gradNorm - sb.gradNorm)).toBeLessThan(1e-12 * sa.gradNorm);
    for (const [n, p] of a.model.params) {
      const q = b.model.params.get(n) as Float64Array;
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-12);
    }
  });

  it("refuses a non-finite gradient naming the tensor, and applies nothing of that call", async () => {
    const e = await ReferenceEngine.load(model);
    const clean = await ReferenceEngine.load(model);
    await expect(e.backward(seqs, [w[0].map(() => -1e308), w[1]])).rejects.toThrow(/gradient of \S+ is not finite .*nothing was applied/);
    await e.backward(seqs, w);
    await clean.backward(seqs, w);
    await e.step(adam);
    await clean.step(adam);
    expect(bytesOf(e.model.params).equals(bytesOf(clean.model.params))).toBe(true);
  });

  it("logprobs match the reference forward and include entropy when asked", async () => {
    const e = await ReferenceEngine.load(model);
    const r = await e.logprobs(seqs, { entropy: true, temperature: 0.7 });
    const ref = referenceForward(model, seqs, { temperature: 0.7 });
    expect(r.logprobs).toEqual(ref.logprobs);
    expect(r.entropy).toEqual(ref.entropy);
    expect((await e.logprobs(seqs)).entropy).toBeUndefined();
  });

  it("refuses to change AdamW's constants after the first step", async () => {
    const e = await ReferenceEngine.load(model);
    await e.backward(seqs, w);
    await e.step(adam);
    await e.backward(seqs, w);
    await expect(e.step({ ...adam, beta2: 0.95 })).rejects.toThrow(/fixed after the first step/);
  });
});

describe("ReferenceEngine bad input", () => {
  it.each([
    [{ architectures: ["GPT2LMHeadModel"] }, /unsupported for training: architecture GPT2LMHeadModel \(supported: Qwen2ForCausalLM/],
    [{ use_sliding_window: true }, /unsupported for training: sliding-window attention/],
    [{ hidden_act: "gelu" }, /unsupported for training: activation gelu \(only silu\)/],
    [{ rope_scaling: { rope_type: "dynamic", factor: 2 } }, /not trainable: .*rope_scaling.*dynamic/],
  ])("a checkpoint with %j is refused naming the feature", async (patch, msg) => {
    const dir = join(tmp, `bad-${Object.keys(patch)[0]}`);
    writeTinyModel(dir, { arch: "llama", hidden: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 16 });
    const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...cfg, ...patch }));
    await expect(ReferenceEngine.load(dir)).rejects.toThrow(msg);
  });

  it("out-of-range token ids and a weights length mismatch are one-line errors", async () => {
    const e = await ReferenceEngine.load(model);
    await expect(e.backward([{ tokens: [257, 300, 1], promptLen: 1 }], [[-1, -1]])).rejects.toThrow(/sequence 0: token 1 = 300 is outside \[0, 259\)/);
    await expect(e.backward(seqs, [w[0], w[1].slice(1)])).rejects.toThrow(/sequence 1: 2 weights for 3 scored tokens/);
    await expect(e.backward(seqs, [w[0]])).rejects.toThrow(/1 weight vectors for 2 sequences/);
  });
});

describe("ReferenceEngine checkpoints", () => {
  it("writes an HF directory in f32 and in bf16 (nearest even), tokenizer files copied", async () => {
    const e = await ReferenceEngine.load(model);
    await e.backward(seqs, w);
    await e.step(adam);
    for (const dtype of ["f32", "bf16"] as const) {
      const dir = join(tmp, `ckpt-${dtype}`);
      await e.saveCheckpoint(dir, { dtype });
      for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "model.safetensors"]) expect(existsSync(join(dir, f)), f).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).torch_dtype).toBe(dtype === "f32" ? "float32" : "bfloat16");
      const st = readSafetensors(join(dir, "model.safetensors"));
      expect([...st.keys()]).toEqual([...e.model.shapes.keys()]);
      for (const [n, p] of e.model.params) {
        const got = st.get(n)?.data as Float64Array;
        for (let i = 0; i < p.length; i += 7) {
          const want = dtype === "f32" ? Math.fround(p[i]) : new Float32Array(new Uint32Array([toBf16(Math.fround(p[i])) << 16]).buffer)[0];
          expect(got[i]).toBe(want);
        }
      }
      expect(readdirSync(tmp).filter((f) => f.startsWith("."))).toEqual([]);
    }
  });

  it("refuses to write NaN weights, naming the tensor, and keeps the previous checkpoint", async () => {
    const e = await ReferenceEngine.load(model);
    const dir = join(tmp, "ckpt-nan");
    await e.saveCheckpoint(dir);
    const before = readFileSync(join(dir, "model.safetensors"));
    (e.model.params.get("model.layers.1.mlp.up_proj.weight") as Float64Array)[3] = Number.NaN;
    await expect(e.saveCheckpoint(dir)).rejects.toThrow(/tensor model\.layers\.1\.mlp\.up_proj\.weight holds NaN at index 3; nothing was written/);
    await expect(e.saveState(join(tmp, "state-nan"))).rejects.toThrow(/model\.layers\.1\.mlp\.up_proj\.weight holds NaN/);
    expect(readFileSync(join(dir, "model.safetensors")).equals(before)).toBe(true);
    expect(existsSync(join(tmp, "state-nan"))).toBe(false);
  });

  it("a full disk while saving (EFBIG under ulimit -f) fails with one line and leaves the previous checkpoint intact", () => {
    const dir = join(tmp, "ckpt-full");
    const script = join(tmp, "save.mts");
    writeFileSync(
      script,
      `import { ReferenceEngine } from ${JSON.stringify(join(root, "trainer/engines/reference.ts"))};
const e = await ReferenceEngine.load(${JSON.stringify(model)});
if (process.argv[2] === "first") {
  await e.saveCheckpoint(${JSON.stringify(dir)});
  process.stdout.write("first\\n");
  process.exit(0);
}
(e.model.params.get("model.norm.weight") as Float64Array)[0] = 3;
await e.saveCheckpoint(${JSON.stringify(dir)}).catch((x) => { process.stdout.write("second failed: " + String(x.message).split("\\n")[0] + "\\n"); process.exitCode = 1; });
`,
    );
    // the first save without a limit, the second (other weights, same directory) under a file-size limit
    const first = spawnSync(process.execPath, ["--import", "tsx", script, "first"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(first.stdout).toMatch(/^first\n/);
    const before = readFileSync(join(dir, "model.safetensors"));
    // safetensors is ~45 KB; 40 KiB blocks let every other file through and stop the weights mid-write
    const r = spawnSync("bash", ["-c", `ulimit -f 40; exec "${process.execPath}" --import tsx "${script}" second`], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(r.stdout, r.stderr).toMatch(/^second failed: EFBIG: file too large, write\n$/);
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, "model.safetensors")).equals(before)).toBe(true);
    expect(readdirSync(tmp).filter((f) => f.startsWith(".ckpt-full"))).toEqual([]);
  });

  it("save state -> load state resumes to bit-identical weights; a damaged state is refused", async () => {
    const a = await ReferenceEngine.load(model);
    for (let k = 0; k < 2; k++) {
      await a.backward(seqs, w);
      await a.step(adam);
    }
    const stateDir = join(tmp, "state");
    await a.saveState(stateDir);
    for (let k = 0; k < 2; k++) {
      await a.backward(seqs, w);
      await a.step(adam);
    }
    const b = await ReferenceEngine.load(model);
    await b.loadState(stateDir);
    for (let k = 0; k < 2; k++) {
      await b.backward(seqs, w);
      expect((await b.step(adam)).step).toBe(3 + k);
    }
    expect(bytesOf(b.model.params).equals(bytesOf(a.model.params))).toBe(true);
    const bin = readFileSync(join(stateDir, "tensors.bin"));
    bin[100] ^= 1;
    writeFileSync(join(stateDir, "tensors.bin"), bin);
    await expect(b.loadState(stateDir)).rejects.toThrow(/does not match its sha256/);
    const other = join(tmp, "other");
    writeTinyModel(other, { arch: "qwen3", hidden: 32, layers: 1, heads: 4, kvHeads: 2, ffn: 48, tied: true });
    const c = await ReferenceEngine.load(other);
    await c.saveState(join(tmp, "state-other"));
    await expect(b.loadState(join(tmp, "state-other"))).rejects.toThrow(/do not match the model/);
  });
});

const status = nativeStatus();
describe.skipIf(!status.available)(`a saved checkpoint in the native inference engine${status.available ? "" : ` (skipped: ${status.reason})`}`, () => {
  it("loads, scores like the float64 reference of the saved weights, and generates", async () => {
    const e = await ReferenceEngine.load(model);
    for (let k = 0; k < 3; k++) {
      await e.backward(seqs, w);
      await e.step({ ...adam, lr: 5e-2 });
    }
    const dir = join(tmp, "ckpt-native");
    await e.saveCheckpoint(dir);
    const nm = await NativeModel.load(dir, { device: "cpu", threads: 1 });
    try {
      expect(nm.info.vocab).toBe(259);
      const s = nm.session();
      const ref = referenceForward(dir, seqs);
      for (const [i, q] of seqs.entries()) {
        const lp = await s.score(q.tokens, q.promptLen);
        expect(lp.length).toBe(ref.logprobs[i].length);
        lp.forEach((x, j) => {
          expect(Math.abs(x - ref.logprobs[i][j])).toBeLessThan(1e-4);
        });
      }
      const g = await s.generate({ prompts: [[257, 10, 20]], nSamples: 1, params: { temperature: 0, maxNewTokens: 4 } });
      expect(g.sequences[0].tokens.length).toBeGreaterThan(0);
      s.close();
    } finally {
      nm.close();
    }
  });
});
