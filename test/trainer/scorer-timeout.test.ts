// A grading timeout counts as the recipe says (training.reward_timeout): the pool's wrong verdict stands ("wrong",
// the default), or the item's total reward is null so it leaves its group's statistics ("exclude"); either way the
// scorer marks it timedOut, which the GRPO loop counts in grader_timeouts.
import { afterAll, describe, expect, it } from "vitest";
import { parseRecipe } from "../../trainer/recipe.js";
import { RewardScorer } from "../../trainer/scorer.js";
import { SLOW_PAIR } from "../support/slow-pair.js";

const scorers: RewardScorer[] = [];
afterAll(async () => {
  for (const s of scorers) await s.close();
});
const scorer = (rewardTimeout?: string) => {
  const s = new RewardScorer({
    recipe: parseRecipe({ name: "t", reward_funcs: ["accuracy", "format"], grader_budget_ms: 10, ...(rewardTimeout ? { training: { reward_timeout: rewardTimeout } } : {}) }),
    jobs: 1,
  });
  scorers.push(s);
  return s;
};

describe("reward_timeout", () => {
  const req = { completions: [SLOW_PAIR.completion, "The answer is $\\boxed{4}$."], golds: [SLOW_PAIR.gold, "4"] };

  it("wrong (default): the timed-out item is graded wrong and marked", async () => {
    const b = await scorer().score(req);
    expect(b.timedOut).toEqual([true, false]);
    expect(b.correct).toEqual([false, true]);
    expect(b.total).toEqual([0, 1]);
  }, 30_000);

  it("exclude: the timed-out item's total is null (left out of its group), the other is scored", async () => {
    const b = await scorer("exclude").score(req);
    expect(b.timedOut).toEqual([true, false]);
    expect(b.total).toEqual([null, 1]);
    expect(b.perFunction.accuracy).toEqual([0, 1]);
  }, 30_000);

  it("refuses an unknown rule in one line", () => {
    expect(() => parseRecipe({ name: "t", reward_funcs: ["accuracy"], training: { reward_timeout: "retry" } })).toThrow(/"training.reward_timeout" must be one of wrong, exclude/);
  });
});
