// Grading throughput on realistic completions (see test/support/completions.ts), in-thread. The full report with
// percentiles and pool scaling is `npx tsx tools/bench/grading-bench.ts` (run by `npm run bench` after this file).
import { bench, describe } from "vitest";
import { extractAnswer } from "../../grading/extract.js";
import { grade } from "../../grading/grade.js";
import { EVAL, REWARD } from "../../grading/options.js";
import { realisticCompletions } from "../support/completions.js";

const items = realisticCompletions(2000, 1);
const opts = { time: 2000, warmupTime: 300 };

function cycler() {
  let i = 0;
  return () => items[i++ % items.length];
}

describe("grade, one realistic completion per call (in-thread)", () => {
  const nextEval = cycler();
  bench(
    "grade (eval preset)",
    () => {
      const it = nextEval();
      grade(it.completion, it.gold, EVAL);
    },
    opts,
  );

  const nextReward = cycler();
  bench(
    "grade (reward preset)",
    () => {
      const it = nextReward();
      grade(it.completion, it.gold, REWARD);
    },
    opts,
  );

  const nextExtract = cycler();
  bench(
    "extractAnswer only",
    () => {
      extractAnswer(nextExtract().completion, EVAL);
    },
    opts,
  );
});
