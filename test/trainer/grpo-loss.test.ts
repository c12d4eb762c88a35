// The GRPO loss (trainer/grpo/loss.ts): every loss type and flag on numbers worked out by hand in the comments, and
// finite differences holding the weights w_t to the gradient of the loss with respect to the log-probs.
import { describe, expect, it } from "vitest";
import { Rng } from "../../grading/rng.js";
import { completionMask } from "../../trainer/grpo/mask.js";
import { type GrpoLossOptions, type GrpoSequence, grpoLoss, LOSS_TYPES, logprobTemperature } from "../../trainer/grpo/loss.js";

const close = (got: ArrayLike<number>, want: number[], digits = 14) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], digits);
};

// k3 by hand: d = ref - logp; e^d - d - 1
const K3_MINUS_HALF = Math.exp(-0.5) + 0.5 - 1; // 0.1065306597126334
const K3_PLUS_HALF = Math.exp(0.5) - 0.5 - 1; // 0.1487212707001282

// one prompt group, two completions; the second has a token past its EOS (maskLength 2 of 3)
const group = (mask2: number): GrpoSequence[] => [
  { logprobs: [-1, -2], refLogprobs: [-1.5, -2], advantage: 1 },
  { logprobs: [-0.5, -3, -1], refLogprobs: [-0.5, -2.5, -1], advantage: -1, maskLength: mask2 },
];

describe("grpoLoss: the paper's default (TRL at open-rs's pin: bnpo per group, beta 0.04, eps 0.2, mu 1)", () => {
  it("token mean over the group's counted tokens, ratio 1, k3 to the reference", () => {
    const r = grpoLoss([group(2)]);
    // 4 counted tokens; policy terms -1, -1, +1, +1 cancel; KL 0.04 * (k3(-0.5) + k3(0.5)) / 4
    expect(r.loss).toBeCloseTo((0.04 * (K3_MINUS_HALF + K3_PLUS_HALF)) / 4, 16);
    expect(r.loss).toBeCloseTo(0.002552519304127616, 16);
    // w = (1/4)(-A + 0.04 (1 - e^d))
    close(r.weights[0][0], [0.25 * (-1 + 0.04 * (1 - Math.exp(-0.5))), -0.25]);
    close(r.weights[0][1], [0.25, 0.25 * (1 + 0.04 * (1 - Math.exp(0.5))), 0]);
    expect(r.weights[0][0][0]).toBeCloseTo(-0.24606530659712633, 15);
    expect(r.stats.kl).toBeCloseTo((K3_MINUS_HALF + K3_PLUS_HALF) / 4, 15);
    expect(r.stats).toMatchObject({ tokens: 4, sequences: 2, "clip_ratio/region_mean": 0, entropy: null });
  });

  it("ratio exactly 1 and KL exactly 0 when the policy is the reference and pi_old", () => {
    const s: GrpoSequence = { logprobs: [-1, -2], oldLogprobs: [-1, -2], refLogprobs: [-1, -2], advantage: 0.7 };
    const r = grpoLoss([[s]]);
    expect(r.stats.kl).toBe(0);
    expect(r.loss).toBe(-0.7);
    close(r.weights[0][0], [-0.35, -0.35], 16);
  });

  it("beta 0 needs no reference; with one it is required", () => {
    expect(grpoLoss([[{ logprobs: [-1], advantage: 2 }]], { beta: 0 }).loss).toBe(-2);
    expect(() => grpoLoss([[{ logprobs: [-1], advantage: 2 }]])).toThrow(/group 0 sequence 0: beta is 0.04 but no refLogprobs/);
  });
});

describe("grpoLoss: loss types on hand-computed numbers", () => {
  // second completion counts 3 tokens: policy terms -1, -1, +1, +1, +1; KL terms as above (the third token's is 0)
  const KL = 0.04 * (K3_MINUS_HALF + K3_PLUS_HALF);

  it("bnpo: (1 + KL) / 5 tokens", () => {
    expect(grpoLoss([group(3)], { lossType: "bnpo" }).loss).toBeCloseTo((1 + KL) / 5, 15);
    expect((1 + KL) / 5).toBeCloseTo(0.2020420154433021, 15);
  });

  it("grpo: per-sequence means, then the mean of the sequences", () => {
    // (1/2)[(-2 + 0.04 k3(-0.5)) / 2 + (3 + 0.04 k3(0.5)) / 3]
    const want = 0.5 * ((-2 + 0.04 * K3_MINUS_HALF) / 2 + (3 + 0.04 * K3_PLUS_HALF) / 3);
    expect(want).toBeCloseTo(0.002056781735127189, 15);
    const r = grpoLoss([group(3)], { lossType: "grpo" });
    expect(r.loss).toBeCloseTo(want, 15);
    close(r.weights[0][1], [1 / 6, (1 + 0.04 * (1 - Math.exp(0.5))) / 6, 1 / 6]);
  });

  it("dr_grpo: sum over (sequences x max_completion_length)", () => {
    expect(grpoLoss([group(3)], { lossType: "dr_grpo", maxCompletionLength: 4 }).loss).toBeCloseTo((1 + KL) / 8, 15);
    expect(() => grpoLoss([group(3)], { lossType: "dr_grpo" })).toThrow(/dr_grpo needs maxCompletionLength/);
  });

  it("dapo: one token mean over the whole step, where bnpo averages per-group means", () => {
    const second: GrpoSequence[] = [{ logprobs: [-1], advantage: 0.5 }];
    const groups = [group(3), second];
    // policy sums: group A +1 over 5 tokens, group B -0.5 over 1 token
    expect(grpoLoss(groups, { lossType: "dapo", beta: 0 }).loss).toBeCloseTo(0.5 / 6, 15);
    expect(grpoLoss(groups, { lossType: "bnpo", beta: 0 }).loss).toBeCloseTo((1 / 5 - 0.5) / 2, 15);
    // two groups in one micro-batch: bnpo is then a token mean over both
    expect(grpoLoss(groups, { lossType: "bnpo", beta: 0, microBatchGroups: 2 }).loss).toBeCloseTo(0.5 / 6, 15);
  });

  it("dapo's clip-higher: epsilon_high 0.28 lets rho 1.25 through that eps 0.2 clips", () => {
    const s: GrpoSequence = { logprobs: [Math.log(1.25), Math.log(1.3)], oldLogprobs: [0, 0], advantage: 1 };
    // eps_high 0.28: rho 1.25 inside (ties: -1.25, grad -1.25/2); rho 1.3 clipped at 1.28 (grad 0)
    const hi = grpoLoss([[s]], { lossType: "dapo", beta: 0, epsilonHigh: 0.28 });
    expect(hi.loss).toBeCloseTo((-1.25 - 1.28) / 2, 14);
    close(hi.weights[0][0], [-0.625, 0]);
    expect(hi.stats["clip_ratio/high_mean"]).toBe(0.5);
    // symmetric 0.2: both clipped at 1.2
    const sym = grpoLoss([[s]], { lossType: "dapo", beta: 0 });
    expect(sym.loss).toBeCloseTo(-1.2, 14);
    close(sym.weights[0][0], [0, 0]);
    expect(sym.stats["clip_ratio/high_mean"]).toBe(1);
  });
});

describe("grpoLoss: num_iterations > 1 (pi_old differs, clipping is live)", () => {
  const rho = [1.1, 1.3, 0.7, 0.9];
  const seq = (A: number): GrpoSequence => ({ logprobs: rho.map(Math.log), oldLogprobs: [0, 0, 0, 0], advantage: A });

  it("A > 0: rho 1.3 is clipped at 1.2 (no gradient); rho 0.7 is not (min picks the unclipped term)", () => {
    const r = grpoLoss([[seq(2)]], { beta: 0 });
    // terms -2.2, -2.4, -1.4, -1.8; grads -2.2, 0, -1.4, -1.8; over 4 tokens
    expect(r.loss).toBeCloseTo(-7.8 / 4, 14);
    close(r.weights[0][0], [-0.55, 0, -0.35, -0.45]);
    expect(r.stats).toMatchObject({ "clip_ratio/high_mean": 0.25, "clip_ratio/low_mean": 0, "clip_ratio/region_mean": 0.25, "clip_ratio/high_max": 0.25 });
  });

  it("A < 0: rho 0.7 is clipped at 0.8, rho 1.3 is not", () => {
    const r = grpoLoss([[seq(-2)]], { beta: 0 });
    // terms 2.2, 2.6, 1.6, 1.8; grads 2.2, 2.6, 0, 1.8
    expect(r.loss).toBeCloseTo(8.2 / 4, 14);
    close(r.weights[0][0], [0.55, 0.65, 0, 0.45]);
    expect(r.stats).toMatchObject({ "clip_ratio/high_mean": 0, "clip_ratio/low_mean": 0.25, "clip_ratio/region_mean": 0.25, "clip_ratio/low_min": 0.25 });
  });
});

describe("completion masks and mask_truncated_completions", () => {
  it("through the first EOS; a truncated completion counts in full or, masked, not at all", () => {
    expect(completionMask([5, 7, 2, 9, 2], [2])).toEqual({ length: 3, truncated: false });
    expect(completionMask([5, 7], new Set([2, 3]))).toEqual({ length: 2, truncated: true });
    expect(completionMask([5, 7], [2], { maskTruncated: true })).toEqual({ length: 0, truncated: true });
    expect(() => completionMask([1], [])).toThrow(/no end-of-sequence token ids/);
  });

  it("a masked truncated completion adds nothing and takes no weight; the group mean is over the rest", () => {
    const g: GrpoSequence[] = [
      { logprobs: [-1, -1], advantage: 1, maskLength: 2 },
      { logprobs: [-1, -1, -1], advantage: -3, maskLength: 0 },
    ];
    const r = grpoLoss([g], { beta: 0 });
    expect(r.loss).toBe(-1);
    close(r.weights[0][1], [0, 0, 0]);
    expect(r.stats.tokens).toBe(2);
    // every token masked: 0, as TRL's clamp(min=1), never NaN
    expect(grpoLoss([[{ logprobs: [-1], advantage: 1, maskLength: 0 }]], { beta: 0 }).loss).toBe(0);
  });
});

describe("logprob_temperature", () => {
  it("raw is the paper's pin (temperature 1); tempered divides logits by the sampling temperature", () => {
    expect(logprobTemperature("raw", 0.7)).toBe(1);
    expect(logprobTemperature("tempered", 0.7)).toBe(0.7);
  });
});

describe("grpoLoss: bad input", () => {
  it("one line naming the sequence or option", () => {
    const s: GrpoSequence = { logprobs: [-1, -1], advantage: 1 };
    expect(() => grpoLoss([[s]], { lossType: "ppo" as never })).toThrow(/loss_type must be one of bnpo, grpo, dr_grpo, dapo/);
    expect(() => grpoLoss([[{ ...s, maskLength: 3 }]], { beta: 0 })).toThrow(/group 0 sequence 0: maskLength 3 outside \[0, 2\]/);
    expect(() => grpoLoss([[{ ...s, oldLogprobs: [0] }]], { beta: 0 })).toThrow(/oldLogprobs has 1 values, logprobs 2/);
    expect(() => grpoLoss([[{ ...s, logprobs: [-1, Number.NaN] }]], { beta: 0 })).toThrow(/non-finite log-prob at token 1/);
    expect(() => grpoLoss([[{ ...s, advantage: Number.NaN }]], { beta: 0 })).toThrow(/advantage is NaN/);
    expect(() => grpoLoss([[s], [s], [s]], { beta: 0, microBatchGroups: 2 })).toThrow(/3 groups is not a whole number of micro-batches of 2/);
    expect(() => grpoLoss([], {})).toThrow(/no groups/);
  });
});

describe("grpoLoss: w_t is dL/dlogp_t (central finite differences)", () => {
  const rng = new Rng(7);
  const randomStep = (withOld: boolean): GrpoSequence[][] =>
    Array.from({ length: 4 }, () =>
      Array.from({ length: 3 }, () => {
        const T = 2 + Math.floor(rng.float() * 4);
        const logprobs = Array.from({ length: T }, () => -0.1 - 3 * rng.float());
        const s: GrpoSequence = {
          logprobs,
          refLogprobs: logprobs.map((l) => l + (rng.float() - 0.5)),
          entropy: logprobs.map(() => rng.float()),
          advantage: 2 * rng.float() - 1,
          maskLength: 1 + Math.floor(rng.float() * T),
        };
        // ratios spread over [0.6, 1.5] so all clip cases occur
        if (withOld) s.oldLogprobs = logprobs.map((l) => l - Math.log(0.6 + 0.9 * rng.float()));
        return s;
      }),
    );

  const cases: [string, GrpoLossOptions][] = LOSS_TYPES.flatMap((lossType) => [
    [`${lossType}`, { lossType, beta: 0.04, maxCompletionLength: 6 }],
    [`${lossType} eps_high 0.28 beta 0`, { lossType, beta: 0, epsilonHigh: 0.28, maxCompletionLength: 6 }],
    [`${lossType} 2 groups per micro-batch`, { lossType, beta: 0.1, microBatchGroups: 2, maxCompletionLength: 6 }],
  ]);

  for (const withOld of [false, true]) {
    for (const [name, opts] of cases) {
      it(`${name}${withOld ? ", pi_old != pi" : ", pi_old = pi (mu 1)"}`, () => {
        const step = randomStep(withOld);
        const { weights } = grpoLoss(step, opts);
        // pi_old absent means "the current log-probs, detached": hold it fixed while perturbing
        const frozen = step.map((g) => g.map((s) => ({ ...s, oldLogprobs: s.oldLogprobs ?? [...s.logprobs] })));
        const h = 1e-6;
        let worst = 0;
        let clipped = 0;
        frozen.forEach((g, gi) => {
          g.forEach((s, si) => {
            for (let t = 0; t < s.logprobs.length; t++) {
              const at = (delta: number) => {
                const lp = [...s.logprobs];
                lp[t] += delta;
                const moved = frozen.map((gg, a) => gg.map((ss, b) => (a === gi && b === si ? { ...ss, logprobs: lp } : ss)));
                return grpoLoss(moved, opts).loss;
              };
              const fd = (at(h) - at(-h)) / (2 * h);
              const w = weights[gi][si][t];
              if (w === 0 && t < (s.maskLength ?? 0)) clipped++;
              worst = Math.max(worst, Math.abs(fd - w) / Math.max(1e-3, Math.abs(w)));
            }
          });
        });
        expect(worst).toBeLessThan(1e-6);
        if (withOld && opts.beta === 0) expect(clipped).toBeGreaterThan(0); // the clipped branch was exercised
      });
    }
  }
});
