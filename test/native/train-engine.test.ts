// The native trainer as an engine: AdamW (3 steps) and gradients against the committed PyTorch fixtures, training-path
// log-probs bit-equal to the generation path's on the live weights, steps refused while a session generates, f32/bf16
// checkpoints (save -> load -> generate = live generate), resumable state, NaN and bad-input errors.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { NativeModel, nativeStatus } from "../../native/ts/native.js";
import { readSafetensors, toBf16 } from "../../native/ts/safetensors.js";
import { type TinyModelOptions, writeTinyModel } from "../../native/ts/tiny-model.js";
import { NativeTrainer, pack } from "../../native/ts/train.js";
import { NativeTrainEngine } from "../../trainer/engines/native.js";
import { makeSchedule, type ScheduleOptions } from "../../trainer/optim/schedule.js";

const st = nativeStatus();
const root = mkdtempSync(join(tmpdir(), "openrs-train-eng-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Summary {
  norm: number;
  sum: number;
  samples: [number, number][];
}
interface Fixture {
  name: string;
  model: TinyModelOptions;
  sequences: { tokens: number[]; promptLen: number }[];
  weights: number[][];
  temperature: number;
  logprobs: number[][];
  grads: Record<string, Summary>;
  adamw: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; maxNorm: number; steps: number; schedule: Omit<ScheduleOptions, "lr"> };
  adamwResult: { steps: { lr: number; loss: number; gradNorm: number }[]; delta: Record<string, Summary> };
}
const fixDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixtures = readdirSync(fixDir)
  .filter((f) => /^torch-.*\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(fixDir, f), "utf8")) as Fixture);

function expectSummary(what: string, got: ArrayLike<number>, want: Summary, tol: number): void {
  let sq = 0;
  let sum = 0;
  for (let i = 0; i < got.length; i++) {
    sq += got[i] * got[i];
    sum += got[i];
  }
  const scale = Math.max(want.norm, 1e-300);
  expect(Math.abs(Math.sqrt(sq) - want.norm) / scale, `${what}: norm ${Math.sqrt(sq)} vs torch ${want.norm}`).toBeLessThanOrEqual(tol);
  expect(Math.abs(sum - want.sum) / scale, `${what}: sum ${sum} vs torch ${want.sum}`).toBeLessThanOrEqual(tol);
  for (const [i, v] of want.samples) expect(Math.abs(got[i] - v) / scale, `${what}[${i}]: ${got[i]} vs torch ${v}`).toBeLessThanOrEqual(tol);
}

const tiny = (name: string, o: Partial<TinyModelOptions> = {}): string => {
  const dir = join(root, name);
  writeTinyModel(dir, { arch: "qwen3", hidden: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, ffn: 48, seed: 7, ...o });
  return dir;
};
const SEQS = [
  { tokens: [256, 10, 20, 30, 40, 50, 60, 70], promptLen: 3 },
  { tokens: [1, 2, 3, 4, 5, 6], promptLen: 2 },
];

describe.skipIf(!st.available)(`native trainer${st.available ? "" : ` (skipped: ${st.reason})`}`, () => {
  for (const fx of fixtures)
    it(`${fx.name}: log-probs, gradients and ${fx.adamw.steps} AdamW steps (clip, schedule, HF no-decay groups) match torch`, async () => {
      const dir = join(root, fx.name);
      writeTinyModel(dir, fx.model);
      const eng = await NativeTrainEngine.open(dir, { threads: 2 });
      try {
        const r = await eng.backward(fx.sequences, fx.weights, { temperature: fx.temperature });
        for (const [i, lps] of fx.logprobs.entries())
          for (const [j, lp] of lps.entries()) expect(Math.abs(r.logprobs[i][j] - lp), `logprob ${i}.${j}`).toBeLessThanOrEqual(1e-5);
        for (const [name, want] of Object.entries(fx.grads)) expectSummary(`grad ${name}`, eng.trainer.tensor(name, "grad"), want, 1e-4);
        eng.zeroGrad();
        const before = new Map(eng.trainer.tensorNames.map((n) => [n, eng.trainer.tensor(n)]));
        const o = fx.adamw;
        const sched = makeSchedule({ ...o.schedule, lr: o.lr });
        const descend = fx.weights.map((w) => w.map((v) => -v));
        for (const [k, want] of fx.adamwResult.steps.entries()) {
          const b = await eng.backward(fx.sequences, descend, { temperature: fx.temperature });
          const loss = b.logprobs.reduce((acc, lp, i) => acc + lp.reduce((a, v, j) => a + v * descend[i][j], 0), 0);
          expect(Math.abs(loss - want.loss) / Math.abs(want.loss), `step ${k} loss`).toBeLessThanOrEqual(1e-5);
          const s = await eng.step({ lr: sched.lrAt(k), beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, maxGradNorm: o.maxNorm });
          expect(s.step).toBe(k + 1);
          expect(Math.abs(s.gradNorm - want.gradNorm) / want.gradNorm, `step ${k} grad norm`).toBeLessThanOrEqual(1e-5);
        }
        for (const [name, want] of Object.entries(fx.adamwResult.delta)) {
          const p = eng.trainer.tensor(name);
          const b0 = before.get(name) as Float32Array;
          // f32 weights and gradients: Adam divides by sqrt(v) + eps, so coordinates whose gradient is near eps turn
          // f32 rounding of the gradient into visible update differences (seen up to 1.01e-4 of the norm).
          expectSummary(`Δ${name}`, Float64Array.from(p, (v, i) => v - b0[i]), want, 3e-4);
        }
      } finally {
        eng.close();
      }
    });

  it("training-path log-probs equal the generation path's exactly (score and sampled tokens), before and after a step", async () => {
    const dir = tiny("exact", { dtype: "BF16", tied: false });
    const eng = await NativeTrainEngine.open(dir, { threads: 2 });
    const session = eng.model().session();
    try {
      for (let round = 0; round < 2; round++) {
        const g = await session.generate({ prompts: [[256, 10, 20]], nSamples: 2, params: [0, 1].map((i) => ({ temperature: 1, seed: 5 + i + round, maxNewTokens: 12 })) });
        const seqs = g.sequences.map((s) => ({ tokens: [256, 10, 20, ...s.tokens], promptLen: 3 }));
        const lp = await eng.logprobs(seqs);
        for (const [i, s] of g.sequences.entries()) expect(Float32Array.from(lp.logprobs[i])).toEqual(s.logprobs);
        for (const [i, s] of SEQS.entries()) expect(Float32Array.from((await eng.logprobs([s])).logprobs[0])).toEqual(await session.score(SEQS[i].tokens, SEQS[i].promptLen));
        await eng.backward(SEQS, SEQS.map((s) => new Array(s.tokens.length - s.promptLen).fill(-0.5)));
        await eng.step({ lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
      }
    } finally {
      session.close();
      eng.close();
    }
  });

  it("a step while a session generates is refused with a clear error; after the sequences stop it runs", async () => {
    const eng = await NativeTrainEngine.open(tiny("busy"), { threads: 2 });
    const session = eng.model().session();
    try {
      const ev = await session.start([256, 1, 2], [{ temperature: 0, maxNewTokens: 50 }]);
      await eng.backward(SEQS, SEQS.map((s) => new Array(s.tokens.length - s.promptLen).fill(-1)));
      const opt = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: null };
      await expect(eng.step(opt)).rejects.toThrow(/training step refused: a session is generating from these weights \(1 running sequences\)/);
      session.stop(ev[0].id);
      expect((await eng.step(opt)).step).toBe(1);
    } finally {
      session.close();
      eng.close();
    }
  });

  it("save (f32) -> load -> generate gives the live weights' tokens; bf16 saves round to nearest even; a save is atomic", async () => {
    const dir = tiny("save", { tied: true });
    const eng = await NativeTrainEngine.open(dir, { threads: 2 });
    const out = join(root, "saved");
    try {
      for (let k = 0; k < 3; k++) {
        await eng.backward(SEQS, SEQS.map((s) => new Array(s.tokens.length - s.promptLen).fill(-1)));
        await eng.step({ lr: 2e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 });
      }
      const req = { prompts: [[256, 5, 6]], nSamples: 3, params: [0, 1, 2].map((i) => ({ temperature: i === 0 ? 0 : 0.9, seed: 40 + i, maxNewTokens: 24 })) };
      const s = eng.model().session();
      const live = await s.generate(req);
      s.close();
      await eng.saveCheckpoint(out);
      expect(existsSync(join(out, "tokenizer.json")) && existsSync(join(out, "config.json"))).toBe(true);
      const loaded = await NativeModel.load(out, { threads: 2, device: "cpu" });
      const ls = loaded.session();
      const again = await ls.generate(req);
      ls.close();
      loaded.close();
      again.sequences.forEach((q, i) => {
        expect(q.tokens).toEqual(live.sequences[i].tokens);
        expect(q.logprobs).toEqual(live.sequences[i].logprobs);
      });
      const saved = readSafetensors(join(out, "model.safetensors"));
      expect(saved.has("lm_head.weight")).toBe(false); // tied
      expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).torch_dtype).toBe("float32");
      await eng.saveCheckpoint(out, { dtype: "bf16" });
      // config.json names the dtype written (the source's other fields unchanged)
      const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
      expect(cfg).toEqual({ ...JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), torch_dtype: "bfloat16" });
      const bf = readSafetensors(join(out, "model.safetensors"));
      const w = eng.trainer.tensor("model.layers.0.mlp.up_proj.weight");
      const got = (bf.get("model.layers.0.mlp.up_proj.weight") as { dtype: string; data: Float64Array }).data;
      const u16 = new Uint16Array(1);
      const f32 = new Float32Array(new Uint32Array(1).buffer);
      const u32 = new Uint32Array(f32.buffer);
      for (let i = 0; i < w.length; i++) {
        u16[0] = toBf16(w[i]);
        u32[0] = u16[0] << 16;
        expect(got[i]).toBe(f32[0]);
      }
      expect(readdirSync(root).filter((n) => /saved\.(tmp|old)-/.test(n))).toEqual([]);
    } finally {
      eng.close();
    }
  });

  it("saveState -> loadState resumes with bit-identical weights and moments", async () => {
    const dir = tiny("resume", { arch: "qwen2", tied: false });
    const opt = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 0.5 };
    const w = SEQS.map((s) => new Array(s.tokens.length - s.promptLen).fill(-0.25));
    const a = await NativeTrainEngine.open(dir, { threads: 2 });
    const b = await NativeTrainEngine.open(dir, { threads: 2 });
    try {
      for (let k = 0; k < 2; k++) {
        await a.backward(SEQS, w);
        await a.step(opt);
      }
      await a.saveState(join(root, "state"));
      await a.backward(SEQS, w);
      await a.step(opt);
      await b.loadState(join(root, "state"));
      expect(b.trainer.step).toBe(2);
      await b.backward(SEQS, w);
      expect((await b.step(opt)).step).toBe(3);
      for (const n of a.trainer.tensorNames)
        for (const kind of ["weight", "m", "v"] as const) expect(Buffer.from(b.trainer.tensor(n, kind).buffer).equals(Buffer.from(a.trainer.tensor(n, kind).buffer)), `${n} ${kind}`).toBe(true);
      await expect(b.loadState(join(root, "nope"))).rejects.toThrow(/cannot open .*nope\/state\.bin/);
    } finally {
      a.close();
      b.close();
    }
  });

  it("NaN weights: backward names the tensor, no checkpoint is written and the previous one stays intact", async () => {
    const eng = await NativeTrainEngine.open(tiny("nan"), { threads: 2 });
    const out = join(root, "nan-ckpt");
    try {
      await eng.saveCheckpoint(out);
      const before = readFileSync(join(out, "model.safetensors"));
      const name = "model.layers.1.mlp.down_proj.weight";
      const w = eng.trainer.tensor(name);
      w[3] = Number.NaN;
      eng.trainer.setTensor(name, "weight", w);
      await expect(eng.backward(SEQS, SEQS.map((s) => new Array(s.tokens.length - s.promptLen).fill(-1)))).rejects.toThrow(/gradient of \S+ is not finite/);
      await expect(eng.step({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 })).rejects.toThrow(/step 1: gradient of \S+ is not finite; no update applied/);
      await expect(eng.saveCheckpoint(out)).rejects.toThrow(`weight ${name} is not finite; checkpoint not written`);
      expect(readFileSync(join(out, "model.safetensors")).equals(before)).toBe(true);
    } finally {
      eng.close();
    }
  });

  it("bad input gets one-line errors", async () => {
    const tr = await NativeTrainer.load(tiny("bad"), { threads: 1 });
    try {
      await expect(tr.forward(pack([{ tokens: [1, 2, 400], promptLen: 1 }]))).rejects.toThrow("sequence 0: token id 400 at position 2 is outside the vocabulary [0, 259)");
      expect(() => pack([{ tokens: [1, 2], promptLen: 0 }])).toThrow("sequence 0: promptLen 0 must be in [1, 2]");
      await expect(tr.backward(pack(SEQS), new Float32Array(3))).rejects.toThrow("backward: 3 weights for 9 scored tokens");
      await expect(tr.forward(pack(SEQS), { temperature: 0 })).rejects.toThrow("temperature must be a finite number > 0");
      expect(() => tr.tensor("model.nope")).toThrow("no tensor named model.nope");
      expect(() => tr.setTensor("model.norm.weight", "weight", new Float32Array(3))).toThrow("tensor model.norm.weight has 32 values, the buffer 3");
      await expect(NativeTrainer.load(join(root, "missing"))).rejects.toThrow(/^training .*missing: /);
      const sw = tiny("sliding");
      const cfg = JSON.parse(readFileSync(join(sw, "config.json"), "utf8"));
      writeFileSync(join(sw, "config.json"), JSON.stringify({ ...cfg, use_sliding_window: true }));
      await expect(NativeTrainer.load(sw)).rejects.toThrow(/^training \S+sliding: config\.json: use_sliding_window is true; sliding-window attention is not supported/);
      expect(tr.info.actBytesPerTokenRecompute).toBeLessThan(tr.info.actBytesPerToken);
    } finally {
      tr.close();
    }
  });
});
