// Learning-rate schedules (trainer/optim/schedule.ts) against values computed by hand from transformers' formulas,
// and the AdamW / clip_grad_norm_ references (trainer/optim/adamw-reference.ts) against hand-computed steps.
import { describe, expect, it } from "vitest";
import { AdamWReference, clipGradNorm, hfNoDecay } from "../../trainer/optim/adamw-reference.js";
import { lrLambda, makeSchedule, warmupStepsOf } from "../../trainer/optim/schedule.js";

const lrs = (s: { lrAt(k: number): number }, steps: number[]) => steps.map((k) => s.lrAt(k));

describe("lr schedules (transformers' get_scheduler formulas, LambdaLR step convention)", () => {
  it("constant, and constant_with_warmup: k/warmup then flat", () => {
    expect(lrs(makeSchedule({ name: "constant", lr: 2e-5, totalSteps: 5 }), [0, 4, 9])).toEqual([2e-5, 2e-5, 2e-5]);
    const s = makeSchedule({ name: "constant_with_warmup", lr: 1, totalSteps: 10, warmupSteps: 4 });
    expect(lrs(s, [0, 1, 2, 3, 4, 9, 20])).toEqual([0, 0.25, 0.5, 0.75, 1, 1, 1]);
  });

  it("linear: warmup 2 of 10, then (10 - k) / 8 down to 0 and never negative", () => {
    const s = makeSchedule({ name: "linear", lr: 0.4, totalSteps: 10, warmupSteps: 2 });
    expect(lrs(s, [0, 1, 2, 6, 9, 10, 12])).toEqual([0, 0.2, 0.4, 0.2, 0.05, 0, 0]);
    expect(lrs(makeSchedule({ name: "linear", lr: 3, totalSteps: 3 }), [0, 1, 2])).toEqual([3, 2, 1]);
  });

  it("cosine: half a wave from lr to 0 after the warmup", () => {
    const s = makeSchedule({ name: "cosine", lr: 1, totalSteps: 10 });
    const got = lrs(s, [0, 5, 10]);
    expect(got[0]).toBe(1);
    expect(got[1]).toBeCloseTo(0.5, 15);
    expect(got[2]).toBe(0);
    // warmup 2 of 6: progress (k - 2) / 4; k = 3 -> 0.5(1 + cos(π/4))
    const w = makeSchedule({ name: "cosine", lr: 1, totalSteps: 6, warmupSteps: 2 });
    expect(w.lrAt(1)).toBe(0.5);
    expect(w.lrAt(3)).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 15);
    // numCycles 1: a full wave, back to lr at the end
    expect(makeSchedule({ name: "cosine", lr: 1, totalSteps: 10, numCycles: 1 }).lrAt(10)).toBeCloseTo(1, 15);
  });

  it("cosine_with_min_lr: the cosine lands on the floor (open-rs recipes: min_lr_rate 0.1)", () => {
    const s = makeSchedule({ name: "cosine_with_min_lr", lr: 1e-6, totalSteps: 11, warmupSteps: 1, minLrRate: 0.1 });
    expect(s.lrAt(0)).toBe(0);
    expect(s.lrAt(1)).toBeCloseTo(1e-6, 21);
    expect(s.lrAt(6)).toBeCloseTo(0.55e-6, 21); // progress 0.5: cosine 0.5 -> 0.5 · 0.9 + 0.1
    expect(s.lrAt(11)).toBeCloseTo(0.1e-6, 21);
    const abs = makeSchedule({ name: "cosine_with_min_lr", lr: 1e-6, totalSteps: 11, warmupSteps: 1, minLr: 1e-7 });
    for (const k of [0, 1, 3, 6, 11]) expect(abs.lrAt(k)).toBeCloseTo(s.lrAt(k), 21);
  });

  it("warmupRatio rounds up (TrainingArguments.get_warmup_steps); warmupSteps wins", () => {
    expect(warmupStepsOf({ totalSteps: 15, warmupRatio: 0.1 })).toBe(2);
    expect(warmupStepsOf({ totalSteps: 15, warmupRatio: 0.1, warmupSteps: 5 })).toBe(5);
    expect(warmupStepsOf({ totalSteps: 15 })).toBe(0);
    expect(lrLambda({ name: "linear", lr: 1, totalSteps: 15, warmupRatio: 0.1 })(1)).toBe(0.5);
  });

  it("bad options are one-line errors", () => {
    expect(() => makeSchedule({ name: "constant", lr: 1, totalSteps: 5, warmupSteps: 1 })).toThrow(/'constant' has no warmup \(use 'constant_with_warmup'\)/);
    expect(() => makeSchedule({ name: "polynomial" as "linear", lr: 1, totalSteps: 5 })).toThrow(/unknown schedule 'polynomial'/);
    expect(() => makeSchedule({ name: "linear", lr: 1, totalSteps: 0 })).toThrow(/totalSteps must be an integer >= 1/);
    expect(() => makeSchedule({ name: "linear", lr: -1, totalSteps: 3 })).toThrow(/lr must be a finite number >= 0/);
    expect(() => makeSchedule({ name: "cosine_with_min_lr", lr: 1, totalSteps: 3 })).toThrow(/exactly one of minLr and minLrRate/);
    expect(() => makeSchedule({ name: "cosine_with_min_lr", lr: 1, totalSteps: 3, minLr: 0.1, minLrRate: 0.1 })).toThrow(/exactly one/);
    expect(() => makeSchedule({ name: "linear", lr: 1, totalSteps: 3, warmupRatio: 2 })).toThrow(/warmupRatio must be in \[0, 1\]/);
    expect(() => makeSchedule({ name: "linear", lr: 1, totalSteps: 3 }).lrAt(-1)).toThrow(/step must be an integer >= 0/);
  });
});

describe("AdamW and clip_grad_norm_ references (torch semantics)", () => {
  it("one step by hand: decay first, bias-corrected moments, eps outside the square root", () => {
    const p = new Map([["w", Float64Array.of(1, -2)]]);
    const opt = new AdamWReference(p, { weightDecay: 0.1 });
    opt.update(new Map([["w", Float64Array.of(0.5, 0)]]), 0.1);
    // w0: 1 · (1 - 0.01) = 0.99; m = 0.05, v = 0.00025; m̂ = 0.5, √v̂ = 0.5 -> 0.99 - 0.1 · 0.5 / (0.5 + 1e-8)
    expect(p.get("w")?.[0]).toBeCloseTo(0.99 - (0.1 * 0.5) / (0.5 + 1e-8), 15);
    // w1: zero gradient -> only the decay
    expect(p.get("w")?.[1]).toBe(-2 * (1 - 0.01));
    // second step: bias corrections use step 2
    opt.update(new Map([["w", Float64Array.of(0.5, 0)]]), 0.1);
    const m = 0.9 * 0.05 + 0.1 * 0.5;
    const v = 0.999 * 0.00025 + 0.001 * 0.25;
    const w1 = 0.99 - (0.1 * 0.5) / (0.5 + 1e-8);
    expect(p.get("w")?.[0]).toBeCloseTo(w1 * 0.99 - ((0.1 / (1 - 0.81)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8), 15);
    expect(opt.step).toBe(2);
  });

  it("noDecay tensors skip the decay; HF's exclusions are biases and norm weights", () => {
    const p = new Map([
      ["model.layers.0.self_attn.q_proj.bias", Float64Array.of(1)],
      ["model.layers.0.mlp.up_proj.weight", Float64Array.of(1)],
    ]);
    new AdamWReference(p, { weightDecay: 0.5, noDecay: hfNoDecay }).update(
      new Map([...p.keys()].map((n) => [n, Float64Array.of(0)])),
      0.1,
    );
    expect([...p.values()].map((t) => t[0])).toEqual([1, 0.95]);
    const names = ["model.norm.weight", "model.layers.3.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight", "model.layers.1.self_attn.q_norm.weight", "model.layers.1.self_attn.k_norm.weight", "model.layers.0.self_attn.v_proj.bias"];
    for (const n of names) expect(hfNoDecay(n), n).toBe(true);
    for (const n of ["model.embed_tokens.weight", "lm_head.weight", "model.layers.0.self_attn.o_proj.weight", "model.layers.2.mlp.down_proj.weight"]) expect(hfNoDecay(n), n).toBe(false);
  });

  it("clip_grad_norm_: coef = max / (norm + 1e-6), clamped to 1; returns the norm before clipping", () => {
    const g = new Map([
      ["a", Float64Array.of(3)],
      ["b", Float64Array.of(0, 4)],
    ]);
    expect(clipGradNorm(g, 1)).toBe(5);
    expect(g.get("a")?.[0]).toBe(3 * (1 / (5 + 1e-6)));
    expect(g.get("b")?.[1]).toBe(4 * (1 / (5 + 1e-6)));
    const h = new Map([["a", Float64Array.of(3, 4)]]);
    expect(clipGradNorm(h, 5)).toBe(5); // 5 / (5 + 1e-6) < 1: still scaled, as torch does
    expect(h.get("a")?.[0]).toBe(3 * (5 / (5 + 1e-6)));
    const k = new Map([["a", Float64Array.of(3, 4)]]);
    clipGradNorm(k, 10);
    expect([...(k.get("a") as Float64Array)]).toEqual([3, 4]);
  });

  it("bad input: non-finite gradient names the tensor; bad hyper-parameters are refused", () => {
    expect(() => clipGradNorm(new Map([["ok", Float64Array.of(1)], ["model.norm.weight", Float64Array.of(Number.NaN)]]), 1)).toThrow(/gradient of model.norm.weight is not finite/);
    expect(() => clipGradNorm(new Map(), 0)).toThrow(/maxNorm must be a finite number > 0/);
    expect(() => new AdamWReference(new Map(), { beta1: 1 })).toThrow(/betas must be in \[0, 1\)/);
    const opt = new AdamWReference(new Map([["w", Float64Array.of(1)]]));
    expect(() => opt.update(new Map(), 0.1)).toThrow(/no 1-value gradient for w/);
    expect(() => opt.update(new Map([["w", Float64Array.of(1)]]), Number.NaN)).toThrow(/lr must be a finite number >= 0/);
  });
});
