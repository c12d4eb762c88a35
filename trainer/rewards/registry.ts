// The reward functions by name, as recipes and the server refer to them.
import { accuracy } from "./accuracy.js";
import { cosine } from "./cosine.js";
import { format, tagCount } from "./format.js";
import { language } from "./language.js";
import { repetition } from "./repetition.js";
import type { Reward, RewardSpec } from "./types.js";

export const REWARDS: Readonly<Record<string, RewardSpec>> = Object.freeze({
  accuracy,
  format,
  tag_count: tagCount,
  cosine,
  repetition,
  language,
});

/** The bound reward `name` with `options` (validated); throws naming the unknown function or bad option. */
export function makeReward(name: string, options: Record<string, unknown> = {}): Reward {
  if (!Object.hasOwn(REWARDS, name)) throw new Error(`unknown reward function "${name}" (known: ${Object.keys(REWARDS).join(", ")})`);
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new Error(`reward "${name}": options must be a mapping of option names to values`);
  }
  return REWARDS[name].create(options);
}
