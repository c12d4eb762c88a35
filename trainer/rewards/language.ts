// The language-drift penalty reward over the grader's language measure (`nonLatinProseFraction`), the same
// measure the eval runner counts drift with.
import { nonLatinProseFraction } from "../../grading/language.js";
import type { Gold, Reward, RewardSpec } from "./types.js";
import { checkAligned, finiteNumber, rejectUnknown } from "./validate.js";

export { nonLatinProseFraction, proseOf } from "../../grading/language.js";

export interface LanguageOptions {
  /** Reward of a completion whose prose is entirely non-Latin (≤ 0); the value scales linearly with the share. */
  maxPenalty: number;
}

export const LANGUAGE_DEFAULTS: Readonly<LanguageOptions> = Object.freeze({ maxPenalty: -1.0 });

export function languageReward(completions: readonly string[], golds?: readonly Gold[], options: LanguageOptions = LANGUAGE_DEFAULTS): number[] {
  if (golds) checkAligned("language", completions, golds);
  // `+ 0` turns the -0 of an all-Latin text into 0, so logs and JSON show a plain zero.
  return completions.map((c) => nonLatinProseFraction(typeof c === "string" ? c : "") * options.maxPenalty + 0);
}

export function resolveLanguageOptions(given: Record<string, unknown> = {}): LanguageOptions {
  rejectUnknown("language", given, Object.keys(LANGUAGE_DEFAULTS));
  const maxPenalty = given.maxPenalty === undefined ? LANGUAGE_DEFAULTS.maxPenalty : finiteNumber("language", "maxPenalty", given.maxPenalty);
  if (maxPenalty > 0) throw new Error(`reward "language": option "maxPenalty" must be <= 0 (it is a penalty), got ${maxPenalty}`);
  return Object.freeze({ maxPenalty });
}

export const language: RewardSpec = {
  name: "language",
  description: "language-drift penalty: maxPenalty * share of prose letters (outside math/code) in non-Latin scripts",
  create(given): Reward {
    const options = resolveLanguageOptions(given);
    return { name: "language", options, needsVerdicts: false, needsTokens: false, score: (c, g) => languageReward(c, g, options) };
  },
};
