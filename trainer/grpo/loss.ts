// The GRPO objective over one optimizer step, in float64: its value, the per-token weights w_t = ∂L/∂logπ(o_t)
// that TrainEngine.backward turns into parameter gradients (L is minimised), and the statistics TRL logs.
//
// Per token (TRL's GRPOTrainer): ℓ_t = −min(ρ_t·A, clip(ρ_t, 1−ε_low, 1+ε_high)·A) + β·k3_t, with ρ_t = π/π_old and
// k3_t = e^{r−ℓ} − (r−ℓ) − 1 (r = reference log-prob, ℓ = policy log-prob; Schulman's unbiased, always ≥ 0 estimator).
//
// How tokens are averaged is the loss type. A "micro-batch" is `microBatchGroups` consecutive prompt groups (one by
// default: at the paper's pin the per-device batch of 6 was exactly one group of 6 generations), and gradient
// accumulation averages the micro-batches of the step:
//   bnpo     token mean within each micro-batch, then mean over micro-batches. The default: this is what TRL ran
//            at the commit open-rs pinned (`(loss · mask).sum() / mask.sum()` per micro-batch).
//   grpo     token mean within each sequence, sequence mean within each micro-batch, mean over micro-batches.
//   dr_grpo  sum over the micro-batch divided by (sequences × max_completion_length): no length normalisation.
//   dapo     token mean over the whole step (every token of every micro-batch weighs the same).
import type { ScaleRewards } from "./advantages.js";

export const LOSS_TYPES = ["bnpo", "grpo", "dr_grpo", "dapo"] as const;
export type LossType = (typeof LOSS_TYPES)[number];

export const LOGPROB_TEMPERATURES = ["raw", "tempered"] as const;
export type LogprobTemperature = (typeof LOGPROB_TEMPERATURES)[number];

type Vec = Float64Array | readonly number[];

export interface GrpoSequence {
  /** log π_θ(o_t) of the completion tokens under the weights being trained. */
  logprobs: Vec;
  /** log π_old(o_t): the log-probs the completion was sampled with. Absent = π_old is π_θ (ρ = 1, gradient of ρ = 1). */
  oldLogprobs?: Vec;
  /** log π_ref(o_t) of the frozen starting weights; required when beta > 0. */
  refLogprobs?: Vec;
  /** Entropy per position, only for the logged `entropy`. */
  entropy?: Vec;
  /** The completion's group-relative advantage. */
  advantage: number;
  /** Leading tokens the loss counts (see mask.ts); default all of them. */
  maskLength?: number;
}

export interface GrpoLossOptions {
  lossType?: LossType;
  /** KL coefficient; the paper's 0.04. */
  beta?: number;
  /** Lower clip range ε (and the upper one unless epsilonHigh is set). */
  epsilon?: number;
  /** Upper clip range (DAPO's clip-higher, e.g. 0.28); default = epsilon. */
  epsilonHigh?: number | null;
  /** Consecutive groups per micro-batch (the per-device batch divided by num_generations). Default 1. */
  microBatchGroups?: number;
  /** dr_grpo's constant denominator. */
  maxCompletionLength?: number;
}

/** What TRL logs from the loss, under TRL's names, plus counts the loop reports. */
export interface GrpoLossStats {
  loss: number;
  /** Token mean of k3 over the counted tokens; null when no reference log-probs were given. */
  kl: number | null;
  entropy: number | null;
  "clip_ratio/low_mean": number;
  "clip_ratio/high_mean": number;
  "clip_ratio/region_mean": number;
  "clip_ratio/low_min": number;
  "clip_ratio/high_max": number;
  tokens: number;
  sequences: number;
}

export interface GrpoLossResult {
  loss: number;
  /** weights[g][i][t] = ∂L/∂logprobs[g][i][t]; 0 past each mask. Hand them to TrainEngine.backward as they are. */
  weights: Float64Array[][];
  stats: GrpoLossStats;
}

export const GRPO_DEFAULTS = Object.freeze({ lossType: "bnpo" as LossType, beta: 0.04, epsilon: 0.2, scaleRewards: "group" as ScaleRewards });

/** The temperature the log-probs of the loss are computed at: 1 (raw logits, the paper's pin) or the sampling temperature. */
export function logprobTemperature(mode: LogprobTemperature, samplingTemperature: number): number {
  return mode === "tempered" ? samplingTemperature : 1;
}

function fail(msg: string): never {
  throw new Error(`grpo loss: ${msg}`);
}

/** Loss, weights and statistics of one step over `groups` (each a prompt's completions). */
export function grpoLoss(groups: readonly (readonly GrpoSequence[])[], opts: GrpoLossOptions = {}): GrpoLossResult {
  const lossType = opts.lossType ?? GRPO_DEFAULTS.lossType;
  const beta = opts.beta ?? GRPO_DEFAULTS.beta;
  const epsLow = opts.epsilon ?? GRPO_DEFAULTS.epsilon;
  const epsHigh = opts.epsilonHigh ?? epsLow;
  const mbGroups = opts.microBatchGroups ?? 1;
  if (!LOSS_TYPES.includes(lossType)) fail(`loss_type must be one of ${LOSS_TYPES.join(", ")} (got ${JSON.stringify(lossType)})`);
  if (!(Number.isFinite(beta) && beta >= 0)) fail(`beta must be a finite number >= 0 (got ${beta})`);
  if (!(Number.isFinite(epsLow) && epsLow > 0 && epsLow < 1)) fail(`epsilon must be in (0, 1) (got ${epsLow})`);
  if (!(Number.isFinite(epsHigh) && epsHigh > 0)) fail(`epsilon_high must be a finite number > 0 (got ${epsHigh})`);
  if (!Number.isInteger(mbGroups) || mbGroups < 1) fail(`microBatchGroups must be an integer >= 1 (got ${mbGroups})`);
  if (groups.length === 0) fail("no groups to train on");
  if (groups.length % mbGroups !== 0) fail(`${groups.length} groups is not a whole number of micro-batches of ${mbGroups}`);
  const maxLen = opts.maxCompletionLength;
  if (lossType === "dr_grpo" && !(Number.isInteger(maxLen) && (maxLen as number) >= 1)) fail("dr_grpo needs maxCompletionLength (an integer >= 1)");

  // validate and resolve masks
  const masks: number[][] = groups.map((grp, g) => {
    if (grp.length === 0) fail(`group ${g} is empty`);
    return grp.map((s, i) => {
      const where = `group ${g} sequence ${i}`;
      const T = s.logprobs.length;
      const m = s.maskLength ?? T;
      if (!Number.isInteger(m) || m < 0 || m > T) fail(`${where}: maskLength ${m} outside [0, ${T}]`);
      if (!Number.isFinite(s.advantage)) fail(`${where}: advantage is ${s.advantage}`);
      for (const [name, v] of [["oldLogprobs", s.oldLogprobs], ["refLogprobs", s.refLogprobs], ["entropy", s.entropy]] as const) {
        if (v !== undefined && v.length !== T) fail(`${where}: ${name} has ${v.length} values, logprobs ${T}`);
      }
      if (beta > 0 && s.refLogprobs === undefined) fail(`${where}: beta is ${beta} but no refLogprobs were given`);
      for (let t = 0; t < m; t++) {
        if (!Number.isFinite(s.logprobs[t]) || (s.oldLogprobs && !Number.isFinite(s.oldLogprobs[t])) || (s.refLogprobs && !Number.isFinite(s.refLogprobs[t]))) {
          fail(`${where}: non-finite log-prob at token ${t}`);
        }
      }
      return m;
    });
  });

  const nMicro = groups.length / mbGroups;
  let stepTokens = 0;
  for (const ms of masks) for (const m of ms) stepTokens += m;

  let loss = 0;
  let klSum = 0;
  let entSum = 0;
  let lowClip = 0;
  let highClip = 0;
  let regionClip = 0;
  let lowMin = Number.POSITIVE_INFINITY;
  let highMax = Number.NEGATIVE_INFINITY;
  let sequences = 0;
  const hasRef = groups.every((grp) => grp.every((s) => s.refLogprobs !== undefined));
  const hasEntropy = groups.every((grp) => grp.every((s) => s.entropy !== undefined));
  const weights: Float64Array[][] = groups.map((grp) => grp.map((s) => new Float64Array(s.logprobs.length)));

  for (let mb = 0; mb < nMicro; mb++) {
    const gs = Array.from({ length: mbGroups }, (_, k) => mb * mbGroups + k);
    let mbTokens = 0;
    let mbSeqs = 0;
    for (const g of gs) {
      mbSeqs += groups[g].length;
      for (const m of masks[g]) mbTokens += m;
    }
    for (const g of gs) {
      groups[g].forEach((s, i) => {
        const m = masks[g][i];
        sequences++;
        // the coefficient of every counted token of this sequence in L (clamps as TRL's .clamp(min=1))
        let c: number;
        switch (lossType) {
          case "bnpo":
            c = 1 / (nMicro * Math.max(1, mbTokens));
            break;
          case "grpo":
            c = 1 / (nMicro * mbSeqs * Math.max(1, m));
            break;
          case "dr_grpo":
            c = 1 / (nMicro * mbSeqs * (maxLen as number));
            break;
          case "dapo":
            c = 1 / Math.max(1, stepTokens);
            break;
        }
        const A = s.advantage;
        const w = weights[g][i];
        let seqLow = 0;
        let seqHigh = 0;
        for (let t = 0; t < m; t++) {
          const lp = s.logprobs[t];
          const rho = s.oldLogprobs ? Math.exp(lp - s.oldLogprobs[t]) : 1;
          const clipped = Math.min(Math.max(rho, 1 - epsLow), 1 + epsHigh);
          const unclippedObj = rho * A;
          const clippedObj = clipped * A;
          // d/dlogp of -min(ρA, clip(ρ)A): -ρA when the unclipped branch is the minimum (ties included: there the
          // two branches have the same gradient, since clip passes it through inside its range), else 0
          let lTok = -Math.min(unclippedObj, clippedObj);
          let gTok = unclippedObj <= clippedObj ? -rho * A : 0;
          if (beta > 0) {
            const d = (s.refLogprobs as Vec)[t] - lp;
            const ed = Math.exp(d);
            lTok += beta * (ed - d - 1);
            gTok += beta * (1 - ed);
          }
          if (s.refLogprobs) {
            const d = s.refLogprobs[t] - lp;
            klSum += Math.exp(d) - d - 1;
          }
          if (s.entropy) entSum += s.entropy[t];
          loss += c * lTok;
          w[t] = c * gTok;
          const lo = rho < 1 - epsLow && A < 0;
          const hi = rho > 1 + epsHigh && A > 0;
          if (lo) seqLow++;
          if (hi) seqHigh++;
        }
        lowClip += seqLow;
        highClip += seqHigh;
        regionClip += seqLow + seqHigh; // the two cases exclude each other (A < 0 vs A > 0)
        if (m > 0) {
          lowMin = Math.min(lowMin, seqLow / m);
          highMax = Math.max(highMax, seqHigh / m);
        }
      });
    }
  }
  const perTok = (x: number) => x / Math.max(1, stepTokens);
  return {
    loss,
    weights,
    stats: {
      loss,
      kl: hasRef ? perTok(klSum) : null,
      entropy: hasEntropy ? perTok(entSum) : null,
      "clip_ratio/low_mean": perTok(lowClip),
      "clip_ratio/high_mean": perTok(highClip),
      "clip_ratio/region_mean": perTok(regionClip),
      "clip_ratio/low_min": Number.isFinite(lowMin) ? lowMin : 0,
      "clip_ratio/high_max": Number.isFinite(highMax) ? highMax : 0,
      tokens: stepTokens,
      sequences,
    },
  };
}
