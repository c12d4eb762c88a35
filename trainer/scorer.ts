// Scores batches for a recipe with grading in the grader's worker pool (hard per-item budget); the pool's single
// queue is what batches items from concurrent callers (e.g. many HTTP connections) into worker-sized chunks.
import { GraderPool } from "../grading/pool.js";
import { REWARD } from "../grading/options.js";
import { goldIsParsable, rewardVerdicts } from "./rewards/accuracy.js";
import { loadTokenCounter } from "./rewards/tokenizer.js";
import type { Gold, TokenCounter } from "./rewards/types.js";
import type { RewardBatch, RewardSet } from "./rewards/weighted.js";
import { loadRecipe, parseRecipe, type Recipe, rewardSetOf, shippedRecipes } from "./recipe.js";

export interface RewardScorerOptions {
  recipe: Recipe;
  /** Grader worker threads; 0 grades in-thread (no hard budget, for tests and one-off scripts). */
  jobs?: number;
  /** Token counter for clamped cosine; default: loaded from the recipe's `tokenizer` when set. */
  tokenCounter?: TokenCounter;
}

export interface ScoreRequest {
  completions: readonly string[];
  golds: readonly Gold[];
  completionTokens?: readonly (number | null | undefined)[];
  /** Another reward set than the recipe's (e.g. a per-request recipe). */
  set?: RewardSet;
  /** Grade even when no function of the set needs verdicts (the OpenRLHF `scores` field wants them). */
  forceVerdicts?: boolean;
}

const SET_CACHE_MAX = 32;

/** A scored batch and which items' grading ran past the budget. */
export type ScoredBatch = RewardBatch & { timedOut: boolean[] };

/** A reward function refused the batch (e.g. token counts missing for clamped cosine): the caller's input is at fault. */
export class RewardInputError extends Error {}

export class RewardScorer {
  readonly recipe: Recipe;
  readonly set: RewardSet;
  readonly tokenCounter: TokenCounter | undefined;
  private readonly pool: GraderPool | null;
  private readonly setCache = new Map<string, RewardSet>();

  constructor(opts: RewardScorerOptions) {
    this.recipe = opts.recipe;
    this.set = rewardSetOf(opts.recipe);
    this.tokenCounter = opts.tokenCounter ?? (opts.recipe.tokenizer ? loadTokenCounter(opts.recipe.tokenizer) : undefined);
    const jobs = opts.jobs ?? 2;
    this.pool = jobs > 0 ? new GraderPool({ jobs, options: REWARD, budgetMs: opts.recipe.graderBudgetMs }) : null;
  }

  get jobs(): number {
    return this.pool?.jobs ?? 0;
  }

  get poolStats(): { timeouts: number; crashes: number; workers: number } {
    return this.pool?.stats ?? { timeouts: 0, crashes: 0, workers: 0 };
  }

  /**
   * The reward set for a per-request recipe: a mapping in the recipe format, or the name of a shipped recipe; cached
   * by content. A request may not name files on this machine, so file paths and `tokenizer` are refused.
   */
  setFor(raw: unknown): RewardSet {
    const key = JSON.stringify(raw);
    const hit = this.setCache.get(key);
    if (hit) return hit;
    let recipe: Recipe;
    if (typeof raw === "string") {
      const shipped = shippedRecipes();
      if (!shipped.includes(raw)) throw new Error(`recipe "${raw}" is not a shipped recipe (${shipped.join(", ")}); send a recipe mapping instead`);
      recipe = loadRecipe(raw);
    } else {
      if (raw !== null && typeof raw === "object" && "tokenizer" in raw) throw new Error('recipe: "tokenizer" cannot be set per request (start the server with a recipe that names it)');
      recipe = parseRecipe(raw, "in request");
    }
    const set = rewardSetOf(recipe);
    if (this.setCache.size >= SET_CACHE_MAX) this.setCache.delete(this.setCache.keys().next().value as string);
    this.setCache.set(key, set);
    return set;
  }

  /** Verdicts under the `reward` preset: unparsable golds are null and never reach the pool. */
  async verdicts(completions: readonly string[], golds: readonly Gold[]): Promise<(boolean | null)[]> {
    return (await this.gradeBatch(completions, golds)).correct;
  }

  /** Verdicts and which items ran past the pool's budget (graded wrong by the pool). */
  private async gradeBatch(completions: readonly string[], golds: readonly Gold[]): Promise<{ correct: (boolean | null)[]; timedOut: boolean[] }> {
    if (!this.pool) return { correct: rewardVerdicts(completions, golds), timedOut: completions.map(() => false) };
    const rs = await Promise.all(
      completions.map((c, i) => {
        const g = golds[i];
        if (!goldIsParsable(g)) return null;
        return this.pool!.grade(c, g as string);
      }),
    );
    return { correct: rs.map((r) => (r ? r.correct : null)), timedOut: rs.map((r) => r?.reason === "timeout") };
  }

  async score(req: ScoreRequest): Promise<ScoredBatch> {
    const set = req.set ?? this.set;
    if (req.completions.length !== req.golds.length) throw new Error(`${req.completions.length} completions but ${req.golds.length} golds`);
    const graded = set.needsVerdicts || req.forceVerdicts ? await this.gradeBatch(req.completions, req.golds) : undefined;
    const correct = graded?.correct;
    let batch: RewardBatch;
    try {
      batch = set.score(req.completions, req.golds, { correct, completionTokens: req.completionTokens, tokenCounter: this.tokenCounter });
    } catch (e) {
      throw new RewardInputError((e as Error).message);
    }
    const timedOut = graded?.timedOut ?? req.completions.map(() => false);
    // the recipe's rule for a grading timeout: the pool's wrong verdict stands, or the item leaves its group
    const total = set === this.set && this.recipe.training.rewardTimeout === "exclude" && set.needsVerdicts ? batch.total.map((t, i) => (timedOut[i] ? null : t)) : batch.total;
    return { ...batch, total, correct: correct ?? batch.correct, timedOut };
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
