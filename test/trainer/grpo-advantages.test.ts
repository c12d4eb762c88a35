// Group-relative advantages (trainer/grpo/advantages.ts) on numbers worked out by hand: the unbiased std with the
// 1e-4 epsilon of TRL at open-rs's pin, null rewards left out of the statistics, all-null groups as counted skips,
// scale_rewards group | batch | none, and DAPO's dynamic-sampling filter.
import { describe, expect, it } from "vitest";
import { dynamicSamplingFilter, groupAdvantages } from "../../trainer/grpo/advantages.js";

const arr = (a: Float64Array) => Array.from(a);

describe("groupAdvantages", () => {
  it("A = (R - mean) / (unbiased std + 1e-4) per group", () => {
    // group [1, 0, 0, 1]: mean 0.5, unbiased std sqrt(1/3) = 0.5773502691896257
    const r = groupAdvantages([1, 0, 0, 1], { numGenerations: 4 });
    const a = 0.5 / 0.5774502691896257;
    expect(a).toBeCloseTo(0.86587543, 8);
    const got = arr(r.advantages);
    expect(got.map((x) => x / a)).toEqual([1, -1, -1, 1]);
    expect(r.groups[0]).toMatchObject({ n: 4, mean: 0.5, zeroStd: false, skipped: false });
    expect(r.groups[0].std).toBeCloseTo(0.5773502691896257, 15);
    expect(r.stats).toMatchObject({ reward: 0.5, frac_reward_zero_std: 0 });
  });

  it("null rewards are left out of the group's mean and std and get advantage 0", () => {
    // [2, null, 0, null]: statistics over [2, 0]: mean 1, std sqrt(2)
    const r = groupAdvantages([2, null, 0, null], { numGenerations: 4 });
    const a = 1 / (Math.SQRT2 + 1e-4);
    const got = arr(r.advantages);
    expect(got[0]).toBeCloseTo(a, 14);
    expect(got[2]).toBeCloseTo(-a, 14);
    expect([got[1], got[3]]).toEqual([0, 0]);
    expect(r.nullRewards).toBe(2);
  });

  it("an all-null group is a counted skip with zero advantages, never NaN", () => {
    const r = groupAdvantages([null, null, 1, 3], { numGenerations: 2 });
    expect(r.skippedGroups).toBe(1);
    expect(r.groups[0]).toMatchObject({ n: 0, skipped: true, zeroStd: true });
    expect(arr(r.advantages).every(Number.isFinite)).toBe(true);
    expect(arr(r.advantages).slice(0, 2)).toEqual([0, 0]);
    // [1, 3]: mean 2, std sqrt(2)
    expect(r.advantages[3]).toBeCloseTo(1 / (Math.SQRT2 + 1e-4), 14);
    expect(r.stats.frac_reward_zero_std).toBe(0.5);
  });

  it("a lone scored reward has std 0 and advantage 0", () => {
    const r = groupAdvantages([null, 5], { numGenerations: 2 });
    expect(arr(r.advantages)).toEqual([0, 0]);
    expect(r.groups[0]).toMatchObject({ n: 1, mean: 5, std: 0, zeroStd: true, skipped: false });
  });

  it("scale_rewards: batch divides by the std of the whole batch, none by nothing", () => {
    // groups [1, 0] and [3, 3]; batch [1, 0, 3, 3]: mean 1.75, unbiased variance 6.75 / 3 = 2.25, std 1.5
    const b = groupAdvantages([1, 0, 3, 3], { numGenerations: 2, scaleRewards: "batch" });
    const got = arr(b.advantages);
    expect(got[0]).toBeCloseTo(0.5 / 1.5001, 14);
    expect(got[1]).toBeCloseTo(-0.5 / 1.5001, 14);
    expect(got.slice(2)).toEqual([0, 0]);
    expect(b.stats.reward_std).toBeCloseTo(1.5, 14);
    expect(b.stats.reward).toBe(1.75);
    const n = groupAdvantages([1, 0, 3, 5], { numGenerations: 2, scaleRewards: "none" });
    expect(arr(n.advantages)).toEqual([0.5, -0.5, -1, 1]);
    expect(arr(n.scale)).toEqual([1, 1, 1, 1]);
  });

  it("equal rewards: zero std, zero advantages (1e-4 keeps the division finite)", () => {
    const r = groupAdvantages([0.1, 0.1, 0.1], { numGenerations: 3 });
    expect(arr(r.advantages).every((x) => Math.abs(x) < 1e-9)).toBe(true);
    expect(r.groups[0].zeroStd).toBe(true);
  });

  it("bad input is one line naming what is wrong", () => {
    expect(() => groupAdvantages([1, 2, 3], { numGenerations: 2 })).toThrow(/3 rewards is not a whole number of groups of 2/);
    expect(() => groupAdvantages([1, Number.NaN], { numGenerations: 2 })).toThrow(/reward 1 is NaN/);
    expect(() => groupAdvantages([1, 2], { numGenerations: 2, scaleRewards: "sum" as never })).toThrow(/scale_rewards must be one of group, batch, none/);
  });
});

describe("dynamicSamplingFilter", () => {
  it("drops zero-variance and all-null groups and says how many the loop must refill", () => {
    const r = groupAdvantages([1, 0, 1, 1, null, null, 0, 2], { numGenerations: 2 });
    expect(dynamicSamplingFilter(r, 4)).toEqual({ keep: [0, 3], dropped: 2, missing: 2 });
    expect(dynamicSamplingFilter(r, 1)).toEqual({ keep: [0, 3], dropped: 2, missing: 0 });
  });
});
