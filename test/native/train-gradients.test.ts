// The native f32 training path against the float64 reference (native/ts/reference-train.ts): per-tensor relative L2
// error of every gradient <= 1e-4 and log-probs/entropies within 1e-5, on Qwen2 / Llama / Qwen3 tiny models, tied
// and untied, MHA and GQA, each RoPE scaling, with and without activation recompute; and the invariants (zero
// weights give zero gradient, two runs are bit-identical, gradients accumulate across calls).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nativeStatus } from "../../native/ts/native.js";
import { loadTrainModel, referenceBackward } from "../../native/ts/reference-train.js";
import { type TinyModelOptions, writeTinyModel } from "../../native/ts/tiny-model.js";
import { NativeTrainer, pack } from "../../native/ts/train.js";

const st = nativeStatus();
const root = mkdtempSync(join(tmpdir(), "openrs-train-grad-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dims = { hidden: 32, layers: 2, heads: 4, headDim: 8, ffn: 48 };
const LLAMA3 = { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1024 };
const YARN = { rope_type: "yarn", factor: 4, original_max_position_embeddings: 64 };
const LINEAR = { rope_type: "linear", factor: 2 };

const CASES: { name: string; model: TinyModelOptions; temperature: number; recompute?: boolean }[] = [
  { name: "qwen2 untied MHA default rope", model: { arch: "qwen2", ...dims, kvHeads: 4, tied: false, seed: 31 }, temperature: 1 },
  { name: "qwen2 tied GQA linear rope", model: { arch: "qwen2", ...dims, kvHeads: 2, tied: true, seed: 32, ropeScaling: LINEAR }, temperature: 0.8 },
  { name: "llama untied GQA(4/1) llama3 rope", model: { arch: "llama", ...dims, kvHeads: 1, tied: false, seed: 33, ropeScaling: LLAMA3 }, temperature: 1 },
  { name: "llama tied MHA yarn rope (recompute)", model: { arch: "llama", ...dims, kvHeads: 4, tied: true, seed: 34, ropeScaling: YARN, maxPositions: 256 }, temperature: 1.5, recompute: true },
  { name: "qwen3 untied MHA yarn rope", model: { arch: "qwen3", ...dims, kvHeads: 4, tied: false, seed: 35, ropeScaling: YARN, maxPositions: 256 }, temperature: 1 },
  { name: "qwen3 tied GQA llama3 rope (recompute)", model: { arch: "qwen3", ...dims, kvHeads: 2, tied: true, seed: 36, ropeScaling: LLAMA3 }, temperature: 0.7, recompute: true },
];

const SEQS = [
  { tokens: [256, 7, 42, 7, 130, 9, 258, 17, 99, 3, 7, 7], promptLen: 3 },
  { tokens: [1, 200, 7, 33, 255], promptLen: 1 },
  { tokens: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], promptLen: 9 },
];
const W = SEQS.map((s, i) => Array.from({ length: s.tokens.length - s.promptLen }, (_, j) => Math.round(Math.sin(1 + 3 * i + j * 1.7) * 1000) / 1000));
const flatW = () => Float32Array.from(W.flat());

function relL2(got: Float32Array, want: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

describe.skipIf(!st.available)(`native training vs the float64 reference${st.available ? "" : ` (skipped: ${st.reason})`}`, () => {
  for (const c of CASES)
    it(`${c.name}: gradients (rel L2 <= 1e-4 per tensor), log-probs and entropy (<= 1e-5)`, async () => {
      const dir = join(root, c.name.replace(/[^a-z0-9]+/gi, "-"));
      writeTinyModel(dir, { ...c.model, dtype: "F32" });
      const ref = referenceBackward(loadTrainModel(dir), SEQS, W, { temperature: c.temperature });
      const tr = await NativeTrainer.load(dir, { threads: 2, recompute: c.recompute });
      try {
        const p = pack(SEQS);
        const r = await tr.backward(p, flatW(), { temperature: c.temperature, entropy: true });
        SEQS.forEach((_, i) => {
          for (let j = 0; j < ref.logprobs[i].length; j++) {
            expect(Math.abs(r.logprobs[p.offsets[i] + j] - ref.logprobs[i][j]), `logprob ${i}.${j}`).toBeLessThanOrEqual(1e-5);
            expect(Math.abs((r.entropy as Float32Array)[p.offsets[i] + j] - ref.entropy[i][j]), `entropy ${i}.${j}`).toBeLessThanOrEqual(1e-5);
          }
        });
        expect([...tr.tensorNames].sort()).toEqual([...ref.grads.keys()].sort());
        let worst = 0;
        for (const [name, g] of ref.grads) {
          const e = relL2(tr.tensor(name, "grad"), g);
          worst = Math.max(worst, e);
          expect(e, name).toBeLessThanOrEqual(1e-4);
        }
        if (process.env.OPENRS_TRAIN_VERBOSE) console.log(`${c.name}: worst relative L2 ${worst.toExponential(2)}`);
      } finally {
        tr.close();
      }
    });

  it("a zero weight vector gives exactly zero gradient; gradients accumulate; two runs are bit-identical", async () => {
    const dir = join(root, "inv");
    writeTinyModel(dir, { arch: "qwen3", ...dims, kvHeads: 2, tied: true, seed: 40, dtype: "BF16" });
    const p = pack(SEQS);
    const grads = async (w: Float32Array, times = 1) => {
      const tr = await NativeTrainer.load(dir, { threads: 2 });
      try {
        for (let k = 0; k < times; k++) await tr.backward(p, w);
        return new Map(tr.tensorNames.map((n) => [n, tr.tensor(n, "grad")]));
      } finally {
        tr.close();
      }
    };
    const zero = await grads(new Float32Array(p.offsets[p.offsets.length - 1]));
    for (const [n, g] of zero) expect(g.every((v) => v === 0), n).toBe(true);
    const a = await grads(flatW());
    const b = await grads(flatW());
    for (const [n, g] of a) expect(Buffer.from(g.buffer).equals(Buffer.from((b.get(n) as Float32Array).buffer)), n).toBe(true);
    const twice = await grads(flatW(), 2);
    for (const [n, g] of a) {
      const g2 = twice.get(n) as Float32Array;
      let err = 0;
      for (let i = 0; i < g.length; i++) err = Math.max(err, Math.abs(g2[i] - 2 * g[i]));
      expect(err, n).toBeLessThanOrEqual(1e-5 * Math.max(1e-30, ...g.map(Math.abs)));
    }
  });
});
