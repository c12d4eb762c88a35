// In-process reward throughput on realistic completions, per batch of 64 (multiply the hz by 64 for rewards/s;
// the target for the paper's recipe, format + cosine with grading, is >= 5,000 rewards/s on one core). The server
// load figures come from `npx tsx tools/bench/reward-load-bench.ts`.
import { bench, describe } from "vitest";
import { loadRecipe, rewardSetOf } from "../../trainer/recipe.js";
import { formatReward, languageReward, makeReward, repetitionReward, rewardVerdicts } from "../../trainer/rewards/index.js";
import { realisticCompletions } from "../support/completions.js";

const B = 64;
const items = realisticCompletions(4096, 1);
const batches = Array.from({ length: items.length / B }, (_, k) => {
  const s = items.slice(k * B, k * B + B);
  return { c: s.map((x) => x.completion), g: s.map((x) => x.gold), t: s.map((x) => Math.ceil(x.completion.length / 3.5)) };
});
const opts = { time: 2000, warmupTime: 300 };

// Golds repeat in training (a group shares one; epochs revisit them), so measure with the gold caches warm: one pass
// over every batch parses each distinct gold once (~0.3 ms per gold, cold) before any timing.
{
  const warm = rewardSetOf(loadRecipe("openrs-exp3"));
  for (const b of batches) warm.score(b.c, b.g);
}

function cycler() {
  let i = 0;
  return () => batches[i++ % batches.length];
}

describe(`rewards, one batch of ${B} realistic completions per call (in-thread, grading included)`, () => {
  const exp3 = rewardSetOf(loadRecipe("openrs-exp3"));
  const n1 = cycler();
  bench("paper recipe openrs-exp3: format×1 + cosine×2 (openrs mode)", () => {
    const b = n1();
    exp3.score(b.c, b.g);
  }, opts);

  const exp2 = rewardSetOf(loadRecipe("openrs-exp2"));
  const n2 = cycler();
  bench("openrs-exp2: accuracy + format", () => {
    const b = n2();
    exp2.score(b.c, b.g);
  }, opts);

  const clamped = makeReward("cosine", { mode: "clamped", maxLen: 3584 });
  const n3 = cycler();
  bench("cosine clamped with caller token counts", () => {
    const b = n3();
    clamped.score(b.c, b.g, { completionTokens: b.t });
  }, opts);

  const n4 = cycler();
  bench("grading verdicts only (reward preset)", () => {
    const b = n4();
    rewardVerdicts(b.c, b.g);
  }, opts);

  const n5 = cycler();
  bench("format only", () => {
    formatReward(n5().c);
  }, opts);

  const n6 = cycler();
  bench("repetition (3-grams)", () => {
    repetitionReward(n6().c);
  }, opts);

  const n7 = cycler();
  bench("language drift", () => {
    languageReward(n7().c);
  }, opts);
});
