// A recipe's reward functions with their weights: one pass over a batch gives the weighted totals and every
// function's values (kept for logging). Grading happens once per batch, shared by accuracy and cosine.
import { rewardVerdicts } from "./accuracy.js";
import { makeReward } from "./registry.js";
import type { Gold, Reward, RewardContext } from "./types.js";

export interface RewardSetConfig {
  /** Function names, in order (open-r1's `reward_funcs`). */
  funcs: readonly string[];
  /** One weight per function (open-r1's `reward_weights`); default all 1.0. */
  weights?: readonly number[];
  /** Options per function name. */
  options?: Readonly<Record<string, Record<string, unknown>>>;
}

export interface RewardBatch {
  /** Weighted sum per item; null when any function with a nonzero weight returned null (exclude the item). */
  total: (number | null)[];
  /** Each function's values, aligned with the batch. */
  perFunction: Record<string, (number | null)[]>;
  /** The grading verdicts used (true/false/null for an unparsable gold), or null when no function needed them. */
  correct: (boolean | null)[] | null;
}

export class RewardSet {
  readonly rewards: readonly Reward[];
  readonly weights: readonly number[];

  constructor(config: RewardSetConfig) {
    const { funcs } = config;
    if (!Array.isArray(funcs) || funcs.length === 0) throw new Error("reward_funcs must be a non-empty list of reward function names");
    const weights = config.weights ?? funcs.map(() => 1.0);
    if (!Array.isArray(weights) || weights.length !== funcs.length) {
      throw new Error(`reward_weights has ${Array.isArray(weights) ? weights.length : "no"} entries but reward_funcs has ${funcs.length}`);
    }
    weights.forEach((w, i) => {
      if (typeof w !== "number" || !Number.isFinite(w)) throw new Error(`reward_weights[${i}] must be a finite number, got ${JSON.stringify(w)}`);
    });
    const seen = new Set<string>();
    for (const f of funcs) {
      if (typeof f !== "string") throw new Error(`reward_funcs entries must be names, got ${JSON.stringify(f)}`);
      if (seen.has(f)) throw new Error(`reward function "${f}" is listed twice in reward_funcs`);
      seen.add(f);
    }
    for (const k of Object.keys(config.options ?? {})) {
      if (!seen.has(k)) throw new Error(`options given for "${k}", which is not in reward_funcs (${funcs.join(", ")})`);
    }
    this.rewards = Object.freeze(funcs.map((f) => makeReward(f, config.options?.[f] ?? {})));
    this.weights = Object.freeze([...weights]);
  }

  get names(): string[] {
    return this.rewards.map((r) => r.name);
  }

  /** Whether any function reads grading verdicts (so the caller should grade the batch, e.g. in the pool). */
  get needsVerdicts(): boolean {
    return this.rewards.some((r) => r.needsVerdicts);
  }

  /** Whether any function needs completion token counts. */
  get needsTokens(): boolean {
    return this.rewards.some((r) => r.needsTokens);
  }

  /** Scores a batch in-thread; verdicts come from `ctx.correct` when given, else are graded once here. */
  score(completions: readonly string[], golds: readonly Gold[], ctx: RewardContext = {}): RewardBatch {
    if (completions.length !== golds.length) throw new Error(`${completions.length} completions but ${golds.length} golds`);
    let correct: readonly (boolean | null)[] | null = null;
    if (this.needsVerdicts) {
      correct = ctx.correct ?? rewardVerdicts(completions, golds);
      ctx = { ...ctx, correct };
    }
    const perFunction: Record<string, (number | null)[]> = {};
    const total: (number | null)[] = new Array(completions.length).fill(0);
    this.rewards.forEach((r, k) => {
      let values: (number | null)[];
      try {
        values = r.score(completions, golds, ctx);
      } catch (e) {
        // a trainer step that fails must say which function failed
        const msg = (e as Error).message;
        throw new Error(msg.startsWith(`reward "${r.name}"`) ? msg : `reward "${r.name}" failed: ${msg}`);
      }
      perFunction[r.name] = values;
      const w = this.weights[k];
      if (w === 0) return;
      for (let i = 0; i < values.length; i++) {
        const t = total[i];
        const v = values[i];
        total[i] = t === null || v === null ? null : t + w * v;
      }
    });
    return { total, perFunction, correct: correct ? [...correct] : null };
  }
}
