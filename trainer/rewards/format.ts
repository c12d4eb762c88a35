// The open-rs format rewards: the closing think tag exactly once (the prompt already opened it), and tag_count.
import type { Gold, Reward, RewardSpec } from "./types.js";
import { checkAligned, rejectUnknown } from "./validate.js";

const OPEN = "<think>\n";
const CLOSE = "\n</think>\n";

/** Non-overlapping occurrences of `needle`, stopping at `cap` (callers only distinguish 0, 1 and more). */
export function countOccurrences(text: string, needle: string, cap = Number.POSITIVE_INFINITY): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0 && n < cap; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** 1.0 when `"\n</think>\n"` occurs exactly once, else 0. */
export function formatValue(completion: string): number {
  return countOccurrences(completion, CLOSE, 2) === 1 ? 1 : 0;
}

/** +0.5 when `"<think>\n"` occurs exactly once, +0.5 when `"\n</think>\n"` occurs exactly once. */
export function tagCountValue(completion: string): number {
  return (countOccurrences(completion, OPEN, 2) === 1 ? 0.5 : 0) + (countOccurrences(completion, CLOSE, 2) === 1 ? 0.5 : 0);
}

export function formatReward(completions: readonly string[], golds?: readonly Gold[]): number[] {
  if (golds) checkAligned("format", completions, golds);
  return completions.map((c) => formatValue(typeof c === "string" ? c : ""));
}

export function tagCountReward(completions: readonly string[], golds?: readonly Gold[]): number[] {
  if (golds) checkAligned("tag_count", completions, golds);
  return completions.map((c) => tagCountValue(typeof c === "string" ? c : ""));
}

function noOptions(name: string, fn: (c: readonly string[], g: readonly Gold[]) => number[]): RewardSpec["create"] {
  return (given = {}): Reward => {
    rejectUnknown(name, given, []);
    return { name, options: Object.freeze({}), needsVerdicts: false, needsTokens: false, score: (c, g) => fn(c, g) };
  };
}

export const format: RewardSpec = {
  name: "format",
  description: 'open-rs format: 1 when "\\n</think>\\n" occurs exactly once, else 0',
  create: noOptions("format", formatReward),
};

export const tagCount: RewardSpec = {
  name: "tag_count",
  description: '+0.5 for exactly one "<think>\\n", +0.5 for exactly one "\\n</think>\\n"',
  create: noOptions("tag_count", tagCountReward),
};
