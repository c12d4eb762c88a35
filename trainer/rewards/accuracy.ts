// The accuracy reward: the grader itself under the `reward` preset (no second copy of the rules), plus the
// bad-gold policy that decides what a problem whose gold cannot be parsed is worth.
import { Budget } from "../../grading/budget.js";
import { grade } from "../../grading/grade.js";
import { REWARD } from "../../grading/options.js";
import { parseAnswer } from "../../grading/parse.js";
import type { Gold, Reward, RewardContext, RewardSpec } from "./types.js";
import { checkAligned, oneOf, rejectUnknown } from "./validate.js";

/** `skip`: null (the trainer leaves the item out of the group statistics); `one`: 1.0, as open-rs does. */
export type OnBadGold = "skip" | "one";
export const ON_BAD_GOLD: readonly OnBadGold[] = ["skip", "one"];

export interface AccuracyOptions {
  onBadGold: OnBadGold;
}

export const ACCURACY_DEFAULTS: Readonly<AccuracyOptions> = Object.freeze({ onBadGold: "skip" });

// Golds repeat across the samples of a group (and across epochs): parse each once.
const parsableCache = new Map<string, boolean>();
const CACHE_MAX = 50_000;

/**
 * Whether the grader can read this gold: a missing/empty gold, or one whose parsed `value` is null (or whose
 * parse fails or overruns the reward budget), is unparsable.
 */
export function goldIsParsable(gold: Gold): boolean {
  if (typeof gold !== "string" || gold.trim() === "") return false;
  const hit = parsableCache.get(gold);
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    ok = parseAnswer(gold, {}, Budget.ms(REWARD.budgetMs)).value !== null;
  } catch {
    ok = false;
  }
  if (parsableCache.size >= CACHE_MAX) parsableCache.clear();
  parsableCache.set(gold, ok);
  return ok;
}

/** In-thread verdicts under the `reward` preset: true/false per item, null where the gold is unparsable. */
export function rewardVerdicts(completions: readonly string[], golds: readonly Gold[]): (boolean | null)[] {
  checkAligned("accuracy", completions, golds);
  return completions.map((c, i) => {
    const g = golds[i];
    if (!goldIsParsable(g)) return null;
    return grade(typeof c === "string" ? c : "", g as string, REWARD).correct;
  });
}

/** The verdicts the caller precomputed (checked for alignment), or in-thread ones. */
export function verdictsFor(fn: string, completions: readonly string[], golds: readonly Gold[], ctx?: RewardContext): readonly (boolean | null)[] {
  checkAligned(fn, completions, golds);
  const given = ctx?.correct;
  if (given === undefined) return rewardVerdicts(completions, golds);
  if (given.length !== completions.length) throw new Error(`reward "${fn}": ${completions.length} completions but ${given.length} verdicts in ctx.correct`);
  return given;
}

/** Value of an item whose gold is unparsable under the policy. */
export function badGoldValue(policy: OnBadGold): number | null {
  return policy === "one" ? 1.0 : null;
}

export function accuracyReward(
  completions: readonly string[],
  golds: readonly Gold[],
  ctx?: RewardContext,
  options: AccuracyOptions = ACCURACY_DEFAULTS,
): (number | null)[] {
  const v = verdictsFor("accuracy", completions, golds, ctx);
  return v.map((c) => (c === null ? badGoldValue(options.onBadGold) : c ? 1 : 0));
}

export function resolveAccuracyOptions(given: Record<string, unknown> = {}): AccuracyOptions {
  rejectUnknown("accuracy", given, Object.keys(ACCURACY_DEFAULTS));
  const onBadGold = given.onBadGold === undefined ? ACCURACY_DEFAULTS.onBadGold : oneOf("accuracy", "onBadGold", given.onBadGold, ON_BAD_GOLD);
  return Object.freeze({ onBadGold });
}

export const accuracy: RewardSpec = {
  name: "accuracy",
  description: "1 when the grader (reward preset: \\boxed{} only) finds the gold answer, else 0; unparsable gold per onBadGold",
  create(given): Reward {
    const options = resolveAccuracyOptions(given);
    return {
      name: "accuracy",
      options,
      needsVerdicts: true,
      needsTokens: false,
      score: (completions, golds, ctx) => accuracyReward(completions, golds, ctx, options),
    };
  },
};
