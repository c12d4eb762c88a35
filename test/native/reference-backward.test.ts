// The float64 training reference (native/ts/reference-train.ts) checked against central finite differences of its own
// forward, tensor by tensor, on every architecture, tied and untied, MHA and GQA, and each RoPE scaling; plus the
// invariants a backward must keep and its agreement with the existing reference forward.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ReferenceModel } from "../../native/ts/reference.js";
import { loadTrainModel, referenceBackward, referenceForward, type TrainModel, type TrainSequence } from "../../native/ts/reference-train.js";
import { writeSafetensors } from "../../native/ts/safetensors.js";
import { rngFrom, type TinyModelOptions, writeTinyModel } from "../../native/ts/tiny-model.js";

const root = mkdtempSync(join(tmpdir(), "openrs-refbwd-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dims = { hidden: 16, layers: 2, heads: 4, headDim: 8, ffn: 24 };
const LLAMA3 = { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1024 };
const YARN = { rope_type: "yarn", factor: 4, original_max_position_embeddings: 64 };
const LINEAR = { rope_type: "linear", factor: 2 };

// Each architecture appears tied and untied, with MHA and GQA; every RoPE scaling appears at least once.
const CASES: { name: string; model: TinyModelOptions; temperature: number }[] = [
  { name: "qwen2 untied MHA default rope", model: { arch: "qwen2", ...dims, kvHeads: 4, tied: false, seed: 21 }, temperature: 1 },
  { name: "qwen2 tied GQA linear rope", model: { arch: "qwen2", ...dims, kvHeads: 2, tied: true, seed: 22, ropeScaling: LINEAR }, temperature: 0.8 },
  { name: "llama untied GQA(4/1) llama3 rope", model: { arch: "llama", ...dims, kvHeads: 1, tied: false, seed: 23, ropeScaling: LLAMA3 }, temperature: 1 },
  { name: "llama tied MHA yarn rope", model: { arch: "llama", ...dims, kvHeads: 4, tied: true, seed: 24, ropeScaling: YARN, maxPositions: 256 }, temperature: 1.5 },
  { name: "qwen3 untied MHA yarn rope", model: { arch: "qwen3", ...dims, kvHeads: 4, tied: false, seed: 25, ropeScaling: YARN, maxPositions: 256 }, temperature: 1 },
  { name: "qwen3 tied GQA llama3 rope", model: { arch: "qwen3", ...dims, kvHeads: 2, tied: true, seed: 26, ropeScaling: LLAMA3 }, temperature: 0.7 },
];

// Two packed sequences; token 7 repeats so an embedding row receives several contributions.
const SEQS: TrainSequence[] = [
  { tokens: [256, 7, 42, 7, 130, 9, 258], promptLen: 3 },
  { tokens: [1, 200, 7, 33, 255], promptLen: 1 },
];
const W = [
  [0.7, -1.2, 0.4, 1.0],
  [-0.5, 0.9, 0.0, 1.3],
];

function model(name: string, opts: TinyModelOptions): TrainModel {
  const dir = join(root, name.replace(/[^a-z0-9]+/gi, "-"));
  writeTinyModel(dir, opts);
  return loadTrainModel(dir);
}

const objective = (m: TrainModel, temperature: number) =>
  referenceForward(m, SEQS, { temperature }).logprobs.reduce((acc, lp, i) => acc + lp.reduce((a, v, j) => a + v * W[i][j], 0), 0);

/**
 * Sixth-order central difference of f along a perturbation set(ε). Truncation error O(h⁶) lets h be 1e-3, which keeps
 * the rounding noise (~1e-16 · |f| / h) small next to gradient coordinates a thousand times below the tensor's largest.
 */
function centralDiff(f: () => number, set: (eps: number) => void, h = 1e-3): number {
  const at = (e: number) => {
    set(e);
    const v = f();
    set(0);
    return v;
  };
  return (45 * (at(h) - at(-h)) - 9 * (at(2 * h) - at(-2 * h)) + (at(3 * h) - at(-3 * h))) / (60 * h);
}

/** |a − b| / max(|a|, |b|, floor); floor keeps coordinates whose gradient is ~0 from dividing by noise. */
const relErr = (a: number, b: number, floor: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor));

describe("reference backward vs finite differences (relative error <= 1e-6)", () => {
  for (const c of CASES)
    it(c.name, () => {
      const m = model(c.name, c.model);
      const { grads, loss } = referenceBackward(m, SEQS, W, { temperature: c.temperature });
      expect(loss).toBeCloseTo(objective(m, c.temperature), 12);
      const f = () => objective(m, c.temperature);
      const rnd = rngFrom(c.model.seed ?? 0);
      let worst = 0;
      let checked = 0;
      for (const [name, p] of m.params) {
        const g = grads.get(name) as Float64Array;
        let gmax = 0;
        for (const v of g) gmax = Math.max(gmax, Math.abs(v));
        expect(gmax, `${name} has an all-zero gradient`).toBeGreaterThan(0);
        const floor = 1e-4 * gmax;
        // coordinates: the two largest |g|, four random ones with a non-zero gradient, two uniformly random
        const order = [...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
        const nonzero = order.filter((i) => g[i] !== 0);
        const coords = new Set([order[0], order[1]]);
        for (let k = 0; k < 4; k++) coords.add(nonzero[Math.floor(rnd() * nonzero.length)]);
        for (let k = 0; k < 2; k++) coords.add(Math.floor(rnd() * p.length));
        for (const i of coords) {
          const orig = p[i];
          const fd = centralDiff(f, (e) => {
            p[i] = orig + e;
          });
          const err = relErr(fd, g[i], floor);
          worst = Math.max(worst, err);
          checked++;
          expect(err, `${name}[${i}]: analytic ${g[i]} vs finite difference ${fd}`).toBeLessThanOrEqual(1e-6);
        }
        // a random direction u over the whole tensor: d/dε L(θ + εu) = g·u
        const u = Float64Array.from(p, () => rnd() * 2 - 1);
        const un = Math.hypot(...u);
        for (let i = 0; i < u.length; i++) u[i] /= un; // unit length: the step along u is as long as a coordinate step
        const base = p.slice();
        const dd = centralDiff(f, (e) => {
          for (let i = 0; i < p.length; i++) p[i] = base[i] + e * u[i];
        });
        const gu = g.reduce((a, v, i) => a + v * u[i], 0);
        const err = relErr(dd, gu, 0);
        worst = Math.max(worst, err);
        expect(err, `${name}: directional derivative ${gu} vs finite difference ${dd}`).toBeLessThanOrEqual(1e-6);
      }
      expect(checked).toBeGreaterThan(100);
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
});

describe("reference training invariants", () => {
  const m = model("invariants", { arch: "qwen3", ...dims, kvHeads: 2, tied: true, seed: 31, ropeScaling: YARN, maxPositions: 256 });

  it("log-probs are the reference forward's log_softmax(logits / T); entropy is that distribution's", () => {
    const tau = 0.6;
    const ref = new ReferenceModel(join(root, "invariants"));
    const { logprobs, entropy } = referenceForward(m, SEQS, { temperature: tau });
    SEQS.forEach((s, i) => {
      const logits = ref.logits([...s.tokens]);
      for (let t = s.promptLen; t < s.tokens.length; t++) {
        const z = logits[t - 1].map((v) => v / tau);
        const mx = Math.max(...z);
        const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
        const ent = -z.reduce((a, v) => a + Math.exp(v - lse) * (v - lse), 0);
        expect(logprobs[i][t - s.promptLen]).toBeCloseTo(z[s.tokens[t]] - lse, 11);
        expect(entropy[i][t - s.promptLen]).toBeCloseTo(ent, 11);
      }
    });
  });

  it("takes a checkpoint directory as well as a loaded model", () => {
    const fromDir = referenceBackward(join(root, "invariants"), SEQS, W);
    const fromModel = referenceBackward(m, SEQS, W);
    expect(fromDir.loss).toBe(fromModel.loss);
    expect(fromDir.grads.get("model.norm.weight")).toEqual(fromModel.grads.get("model.norm.weight"));
    expect(referenceForward(join(root, "invariants"), SEQS).entropy).toEqual(fromModel.entropy);
  });

  it("a zero weight vector gives exactly zero gradient (and the log-probs still)", () => {
    const zero = SEQS.map((s) => new Array(s.tokens.length - s.promptLen).fill(0));
    const r = referenceBackward(m, SEQS, zero);
    expect(r.loss).toBe(0);
    for (const [name, g] of r.grads) expect(g.every((v) => v === 0), name).toBe(true);
    expect(r.logprobs[0]).toEqual(referenceForward(m, SEQS).logprobs[0]);
  });

  it("accumulating two micro-batches equals one pack of both; gradients are linear in w", () => {
    const both = referenceBackward(m, SEQS, W);
    const acc = referenceBackward(m, [SEQS[0]], [W[0]]).grads;
    referenceBackward(m, [SEQS[1]], [W[1]], { accumulate: acc });
    const doubled = referenceBackward(m, SEQS, W.map((w) => w.map((v) => 2 * v))).grads;
    for (const [name, g] of both.grads) {
      const a = acc.get(name) as Float64Array;
      const d = doubled.get(name) as Float64Array;
      for (let i = 0; i < g.length; i++) {
        expect(Math.abs(a[i] - g[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(g[i])));
        expect(d[i]).toBeCloseTo(2 * g[i], 12);
      }
    }
  });

  it("a sequence with no scored tokens contributes nothing", () => {
    const r = referenceBackward(m, [{ tokens: [5, 6, 7], promptLen: 3 }], [[]]);
    expect(r.logprobs[0].length).toBe(0);
    for (const g of r.grads.values()) expect(g.every((v) => v === 0)).toBe(true);
  });

  it("bad input is a one-line error naming what is wrong", () => {
    expect(() => referenceForward(m, [{ tokens: [1, 2], promptLen: 0 }])).toThrow(/sequence 0: promptLen 0 must be an integer in \[1, 2\]/);
    expect(() => referenceForward(m, [{ tokens: [1, 259], promptLen: 1 }])).toThrow(/sequence 0: token 1 = 259 is outside \[0, 259\)/);
    expect(() => referenceForward(m, SEQS, { temperature: 0 })).toThrow(/temperature must be a finite number > 0/);
    expect(() => referenceBackward(m, SEQS, [W[0]])).toThrow(/1 weight vectors for 2 sequences/);
    expect(() => referenceBackward(m, SEQS, [W[0], [1]])).toThrow(/sequence 1: 1 weights for 4 scored tokens/);
    expect(() => referenceBackward(m, SEQS, [W[0], [1, Number.NaN, 0, 0]])).toThrow(/sequence 1: weight 1 is NaN/);
    expect(() => referenceBackward(m, SEQS, W, { accumulate: new Map() })).toThrow(/accumulate map lacks a 4144-value tensor model.embed_tokens.weight/);
  });

  it("a checkpoint tensor the model does not use is refused (it would silently not train)", () => {
    const dir = join(root, "extra");
    writeTinyModel(dir, { arch: "llama", ...dims, tied: true, seed: 3 });
    const m2 = loadTrainModel(dir);
    const specs = [...m2.params].map(([name, data]) => ({ name, shape: m2.shapes.get(name) as number[], fill: (o: Float32Array) => o.set(data) }));
    specs.push({ name: "model.layers.0.self_attn.o_proj.bias", shape: [16], fill: (o: Float32Array) => o.fill(0) });
    writeSafetensors(join(dir, "model.safetensors"), "F32", specs);
    expect(() => loadTrainModel(dir)).toThrow(/tensor model.layers.0.self_attn.o_proj.bias is not used by a LlamaForCausalLM model with tied embeddings/);
  });
});
