// The n-gram repetition penalty (open-r1's `repetition_penalty_reward`): r = (1 − unique/total n-grams)·maxPenalty.
import type { Gold, Reward, RewardSpec } from "./types.js";
import { checkAligned, finiteNumber, positiveInt, rejectUnknown } from "./validate.js";

export interface RepetitionOptions {
  /** Words per n-gram. */
  ngramSize: number;
  /** Penalty of a text that is one n-gram repeated (≤ 0). */
  maxPenalty: number;
}

export const REPETITION_DEFAULTS: Readonly<RepetitionOptions> = Object.freeze({ ngramSize: 3, maxPenalty: -1.0 });

// Python's str.split() whitespace (which differs from JS \s: it includes \x1c-\x1f and \x85, excludes \ufeff).
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** `text.lower().split()` as Python computes it. */
export function pythonWords(text: string): string[] {
  const words = text.toLowerCase().split(PY_WHITESPACE);
  // split() yields "" at the ends when the text starts or ends with whitespace; Python drops them.
  if (words.length > 0 && words[0] === "") words.shift();
  if (words.length > 0 && words[words.length - 1] === "") words.pop();
  return words;
}

export function repetitionValue(text: string, o: RepetitionOptions = REPETITION_DEFAULTS): number {
  if (text === "") return 0;
  const words = pythonWords(text);
  const n = o.ngramSize;
  if (words.length < n) return 0;
  const seen = new Set<string>();
  const total = words.length - n + 1;
  for (let i = 0; i < total; i++) {
    // Words never contain a space (it is whitespace), so joining with one keeps n-grams distinct.
    let key = words[i];
    for (let j = 1; j < n; j++) key += ` ${words[i + j]}`;
    seen.add(key);
  }
  const scaling = 1 - seen.size / total;
  return scaling * o.maxPenalty + 0; // + 0: no -0 for a text without repeats
}

export function repetitionReward(completions: readonly string[], golds?: readonly Gold[], options: RepetitionOptions = REPETITION_DEFAULTS): number[] {
  if (golds) checkAligned("repetition", completions, golds);
  return completions.map((c) => repetitionValue(typeof c === "string" ? c : "", options));
}

export function resolveRepetitionOptions(given: Record<string, unknown> = {}): RepetitionOptions {
  rejectUnknown("repetition", given, Object.keys(REPETITION_DEFAULTS));
  const ngramSize = given.ngramSize === undefined ? REPETITION_DEFAULTS.ngramSize : positiveInt("repetition", "ngramSize", given.ngramSize);
  const maxPenalty = given.maxPenalty === undefined ? REPETITION_DEFAULTS.maxPenalty : finiteNumber("repetition", "maxPenalty", given.maxPenalty);
  if (maxPenalty > 0) throw new Error(`reward "repetition": option "maxPenalty" must be <= 0 (it is a penalty), got ${maxPenalty}`);
  return Object.freeze({ ngramSize, maxPenalty });
}

export const repetition: RewardSpec = {
  name: "repetition",
  description: "n-gram repetition penalty: (1 - unique/total n-grams) * maxPenalty over lower-cased whitespace words",
  create(given): Reward {
    const options = resolveRepetitionOptions(given);
    return { name: "repetition", options, needsVerdicts: false, needsTokens: false, score: (c, g) => repetitionReward(c, g, options) };
  },
};
