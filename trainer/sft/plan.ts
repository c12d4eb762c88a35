// The whole run's batches, fixed up front from the data, the seed and the batch size: every epoch is a fresh seeded
// shuffle (mulberry32, Fisher–Yates) packed greedily into batches of at most batchTokens tokens. Because the plan is a
// pure function of its inputs, resuming needs no RNG state beyond the seed: step k always trains on batch k.
import { mulberry32 } from "../../grading/rng.js";

export interface PlanOptions {
  epochs: number;
  batchTokens: number;
  seed: number;
  /** Stop after this many steps (the schedule's length too) even if epochs remain. */
  maxSteps?: number;
}

export interface PlannedBatch {
  epoch: number;
  /** Indices into the example list. */
  items: number[];
  tokens: number;
}

/** Fisher–Yates with mulberry32(seed): the same order on every platform. */
export function shuffled(n: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Batches for every epoch; an example never exceeds batchTokens (the caller truncates to maxLen <= batchTokens). */
export function planBatches(lengths: readonly number[], o: PlanOptions): PlannedBatch[] {
  const batches: PlannedBatch[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // one seed per epoch derived from the run's seed, so epoch e's order does not depend on how many draws e-1 made
    const order = shuffled(lengths.length, (o.seed + Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
    let cur: PlannedBatch = { epoch, items: [], tokens: 0 };
    for (const i of order) {
      if (lengths[i] > o.batchTokens) throw new Error(`example ${i} has ${lengths[i]} tokens, more than --batch-tokens ${o.batchTokens}`);
      if (cur.tokens + lengths[i] > o.batchTokens) {
        batches.push(cur);
        cur = { epoch, items: [], tokens: 0 };
      }
      cur.items.push(i);
      cur.tokens += lengths[i];
    }
    if (cur.items.length) batches.push(cur);
  }
  return o.maxSteps !== undefined ? batches.slice(0, o.maxSteps) : batches;
}
