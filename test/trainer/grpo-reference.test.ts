// The GRPO weights composed with the float64 reference backward (the TrainEngine contract: gradient of
// Σ w_t·logp_t): <∇θ, d> must equal the finite-difference derivative of the GRPO loss itself along a random weight
// direction d, and a small step against that gradient must lower the loss. This holds the sign convention and the
// chain rule through the model, not just ∂L/∂logp.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { Rng } from "../../grading/rng.js";
import { loadTrainModel, referenceBackward, referenceForward, type TrainModel } from "../../native/ts/reference-train.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";
import { groupAdvantages } from "../../trainer/grpo/advantages.js";
import { type GrpoLossOptions, type GrpoSequence, grpoLoss } from "../../trainer/grpo/loss.js";

const dir = mkdtempSync(join(tmpdir(), "openrs-grporef-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (s: string) => [...Buffer.from(s)];
// two prompts, two completions each; rewards 1/0 per group
const seqs = [
  { tokens: [257, ...bytes("2+2="), ...bytes("4"), 258], promptLen: 5 },
  { tokens: [257, ...bytes("2+2="), ...bytes("5!"), 258], promptLen: 5 },
  { tokens: [257, ...bytes("3*3="), ...bytes("9"), 258], promptLen: 5 },
  { tokens: [257, ...bytes("3*3="), ...bytes("6"), 258], promptLen: 5 },
];
const rewards = [1, 0, 1, 0];

function lossAt(m: TrainModel, old: Float64Array[], ref: Float64Array[], opts: GrpoLossOptions) {
  const { logprobs } = referenceForward(m, seqs);
  const adv = groupAdvantages(rewards, { numGenerations: 2 }).advantages;
  const groups: GrpoSequence[][] = [0, 1].map((g) =>
    [0, 1].map((j) => {
      const i = 2 * g + j;
      // the last token left out of the mask, so masking is part of what the check covers
      return { logprobs: logprobs[i], oldLogprobs: old[i], refLogprobs: ref[i], advantage: adv[i], maskLength: logprobs[i].length - 1 };
    }),
  );
  return grpoLoss(groups, opts);
}

it.each([
  ["bnpo, beta 0.04 (the paper)", { lossType: "bnpo", beta: 0.04 }],
  ["dapo, eps_high 0.28", { lossType: "dapo", beta: 0, epsilonHigh: 0.28 }],
  ["grpo, beta 0.1", { lossType: "grpo", beta: 0.1 }],
] as [string, GrpoLossOptions][])("%s: <grad, d> = dL/dh along d, and a step down lowers L", (_name, opts) => {
  writeTinyModel(dir, { arch: "qwen2", hidden: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 32, tied: false, seed: 3, scale: 0.3 });
  const m = loadTrainModel(dir);
  const rng = new Rng(11);
  const base = referenceForward(m, seqs).logprobs;
  // pi_old a little off the current weights (num_iterations > 1), the reference further off
  const old = base.map((lp) => lp.map((x) => x + 0.05 * (rng.float() - 0.5)));
  const ref = base.map((lp) => lp.map((x) => x + 0.5 * (rng.float() - 0.5)));
  const r = lossAt(m, old, ref, opts);
  const { grads } = referenceBackward(m, seqs, r.weights.flat());
  const dirs = new Map([...m.params].map(([k, p]) => [k, Float64Array.from(p, () => rng.float() - 0.5)]));
  let dot = 0;
  for (const [k, d] of dirs) {
    const g = grads.get(k) as Float64Array;
    for (let i = 0; i < d.length; i++) dot += g[i] * d[i];
  }
  const shifted = (h: number) => {
    const saved = new Map([...m.params].map(([k, p]) => [k, Float64Array.from(p)]));
    for (const [k, p] of m.params) {
      const d = dirs.get(k) as Float64Array;
      for (let i = 0; i < p.length; i++) p[i] += h * d[i];
    }
    const l = lossAt(m, old, ref, opts).loss;
    for (const [k, p] of m.params) p.set(saved.get(k) as Float64Array);
    return l;
  };
  const h = 1e-5;
  const fd = (shifted(h) - shifted(-h)) / (2 * h);
  expect(Math.abs(fd - dot) / Math.max(1e-8, Math.abs(dot))).toBeLessThan(1e-5);
  // descend: theta - lr * grad lowers the loss
  let g2 = 0;
  for (const g of grads.values()) for (const x of g) g2 += x * x;
  const lr = 1e-3 / Math.sqrt(g2);
  for (const [k, p] of m.params) {
    const g = grads.get(k) as Float64Array;
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
  }
  expect(lossAt(m, old, ref, opts).loss).toBeLessThan(r.loss);
});
