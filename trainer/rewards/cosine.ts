// The length-scaled accuracy reward (cosine schedule), in the paper's exact form (`openrs`) and the corrected
// form (`clamped`, default). Correctness comes from the grader via the shared verdicts.
import { badGoldValue, ON_BAD_GOLD, type OnBadGold, verdictsFor } from "./accuracy.js";
import type { Gold, Reward, RewardContext, RewardSpec } from "./types.js";
import { finiteNumber, oneOf, positiveNumber, rejectUnknown } from "./validate.js";

/**
 * `openrs`: bit-faithful to open-rs/open-r1 `cosine_scaled_reward`: L is `len(content)` (Unicode code points, not
 * tokens) and the progress L/maxLen is NOT clamped, so the reward is periodic in L with period 2·maxLen: a
 * completion of 2·maxLen characters earns what an empty one does.
 * `clamped`: L is the completion's token count and the progress is clamped to 1, so the reward saturates at the
 * long end (maxCorrect→minCorrect for right answers, minWrong→maxWrong for wrong ones).
 */
export type CosineMode = "openrs" | "clamped";
export const COSINE_MODES: readonly CosineMode[] = ["openrs", "clamped"];

export interface CosineOptions {
  mode: CosineMode;
  /** Reward of a wrong answer at L = 0. */
  minWrong: number;
  /** Reward of a wrong answer at L = maxLen. */
  maxWrong: number;
  /** Reward of a right answer at L = maxLen. */
  minCorrect: number;
  /** Reward of a right answer at L = 0. */
  maxCorrect: number;
  /** Length scale: code points in `openrs` mode, tokens in `clamped` mode. */
  maxLen: number;
  /** Value when the gold cannot be parsed (open-rs returns 1.0). */
  onBadGold: OnBadGold;
}

/** open-rs's recipe values (its `cosine_*` settings); Experiment 3 set maxLen 3584. */
export const COSINE_OPENRS_DEFAULTS: Readonly<CosineOptions> = Object.freeze({
  mode: "openrs",
  minWrong: 0.0,
  maxWrong: -0.5,
  minCorrect: 0.5,
  maxCorrect: 1.0,
  maxLen: 1000,
  onBadGold: "one",
});

export const COSINE_CLAMPED_DEFAULTS: Readonly<CosineOptions> = Object.freeze({
  mode: "clamped",
  minWrong: -1.0,
  maxWrong: -0.5,
  minCorrect: 0.5,
  maxCorrect: 1.0,
  maxLen: 1000,
  onBadGold: "skip",
});

/** Length in Unicode code points, as Python's `len(str)` counts it (a lone surrogate counts as one). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The cosine schedule for one item of length `len` (already in the mode's unit). */
export function cosineValue(correct: boolean, len: number, o: CosineOptions): number {
  let progress = len / o.maxLen;
  if (o.mode === "clamped" && progress > 1) progress = 1;
  const cosine = Math.cos(progress * Math.PI);
  // Same operation order as the Python original, so openrs mode matches it to the last bit libm allows.
  const [minValue, maxValue] = correct ? [o.minCorrect, o.maxCorrect] : [o.maxWrong, o.minWrong];
  return minValue + 0.5 * (maxValue - minValue) * (1.0 + cosine);
}

/** Token count of item i; clamped mode only needs it up to maxLen, so a long text need not be tokenized in full. */
function tokenLength(completion: string, i: number, ctx: RewardContext | undefined, maxLen: number): number {
  const given = ctx?.completionTokens?.[i];
  if (given !== undefined && given !== null) {
    if (!Number.isFinite(given) || given < 0) throw new Error(`reward "cosine": completion token count ${i} is not a non-negative number (${given})`);
    return given;
  }
  const tc = ctx?.tokenCounter;
  if (tc) return tc.countUpTo ? tc.countUpTo(completion, Math.ceil(maxLen)) : tc.count(completion);
  throw new Error(
    'reward "cosine" (mode clamped) needs completion token counts: pass completion_tokens / ctx.completionTokens, or set `tokenizer:` in the recipe',
  );
}

export function cosineReward(
  completions: readonly string[],
  golds: readonly Gold[],
  ctx: RewardContext | undefined,
  options: CosineOptions,
): (number | null)[] {
  const verdicts = verdictsFor("cosine", completions, golds, ctx);
  return completions.map((raw, i) => {
    const v = verdicts[i];
    if (v === null) return badGoldValue(options.onBadGold);
    const c = typeof raw === "string" ? raw : "";
    const len = options.mode === "openrs" ? codePointLength(c) : tokenLength(c, i, ctx, options.maxLen);
    return cosineValue(v, len, options);
  });
}

const KEYS = Object.keys(COSINE_OPENRS_DEFAULTS);

export function resolveCosineOptions(given: Record<string, unknown> = {}): CosineOptions {
  rejectUnknown("cosine", given, KEYS);
  const mode = given.mode === undefined ? "clamped" : oneOf("cosine", "mode", given.mode, COSINE_MODES);
  const d = mode === "openrs" ? COSINE_OPENRS_DEFAULTS : COSINE_CLAMPED_DEFAULTS;
  const num = (k: "minWrong" | "maxWrong" | "minCorrect" | "maxCorrect") => (given[k] === undefined ? d[k] : finiteNumber("cosine", k, given[k]));
  return Object.freeze({
    mode,
    minWrong: num("minWrong"),
    maxWrong: num("maxWrong"),
    minCorrect: num("minCorrect"),
    maxCorrect: num("maxCorrect"),
    maxLen: given.maxLen === undefined ? d.maxLen : positiveNumber("cosine", "maxLen", given.maxLen),
    onBadGold: given.onBadGold === undefined ? d.onBadGold : oneOf("cosine", "onBadGold", given.onBadGold, ON_BAD_GOLD),
  });
}

export const cosine: RewardSpec = {
  name: "cosine",
  description: "length-scaled accuracy on a cosine schedule; mode openrs (code points, periodic) or clamped (tokens, saturating; default)",
  create(given): Reward {
    const options = resolveCosineOptions(given);
    return {
      name: "cosine",
      options,
      needsVerdicts: true,
      needsTokens: options.mode === "clamped",
      score: (completions, golds, ctx) => cosineReward(completions, golds, ctx, options),
    };
  },
};
