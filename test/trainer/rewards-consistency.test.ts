// The accuracy reward against the evaluation grader on real benchmark solutions (and wrong variants of them),
// plus reward-hacking probes: each gets the intended reward and every call stays within its time budget.
import { describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { extractAnswer, readBraced } from "../../grading/extract.js";
import { Rng } from "../../grading/rng.js";
import { grade } from "../../grading/grade.js";
import { EVAL, REWARD } from "../../grading/options.js";
import { loadRecipe } from "../../trainer/recipe.js";
import { RewardScorer } from "../../trainer/scorer.js";
import {
  accuracyReward,
  cosineReward,
  formatReward,
  goldIsParsable,
  languageReward,
  makeReward,
  repetitionReward,
  resolveCosineOptions,
  tagCountReward,
} from "../../trainer/rewards/index.js";
import { benchmarkRows, realisticCompletions, wrongVariant } from "../support/completions.js";

const dataDir = findDataDir();
if (!dataDir) console.warn("reward consistency tests skipped: ../shared/benchmarks not found and OPENRS_DATA_DIR not set");

/** The solution with the content of its last \boxed{} replaced, or null when it has no box. */
function replaceLastBox(solution: string, by: (content: string) => string): string | null {
  const at = solution.lastIndexOf("\\boxed");
  if (at < 0) return null;
  const open = solution.indexOf("{", at);
  const b = open < 0 ? null : readBraced(solution, open);
  if (!b) return null;
  return `${solution.slice(0, open + 1)}${by(b.content)}${solution.slice(b.end - 1)}`;
}

interface Case {
  completion: string;
  gold: string;
  id: string;
}

function solutionCases(): Case[] {
  const rows = benchmarkRows();
  const answers = rows.map((x) => x.row.answer);
  const r = new Rng(7);
  const out: Case[] = [];
  for (const { suite, row } of rows) {
    const sol = typeof row.solution === "string" ? row.solution : "";
    const right = replaceLastBox(sol, (x) => x);
    if (right === null) continue;
    out.push({ completion: right, gold: row.answer, id: `${suite}:${row.id}` });
    const wrong = replaceLastBox(sol, (x) => wrongVariant(r, x, answers));
    if (wrong !== null) out.push({ completion: wrong, gold: row.answer, id: `${suite}:${row.id}:wrong` });
  }
  return out;
}

describe.skipIf(!dataDir)("accuracy reward agrees with the evaluation grader whenever the final answer is boxed", () => {
  const cases = dataDir ? solutionCases() : [];
  const realistic = dataDir ? realisticCompletions(2000, 3).map((c, i) => ({ completion: c.completion, gold: c.gold, id: `realistic:${i}` })) : [];
  const all = [...cases, ...realistic];

  it("covers the benchmark solutions with boxes, right and wrong", () => {
    expect(cases.length).toBeGreaterThan(1500); // math500 and minerva solutions all end in a box, some others do
    expect(cases.filter((c) => c.id.endsWith(":wrong")).length).toBeGreaterThan(750);
  });

  it("in-thread: reward 1 exactly where grade(..., EVAL) says correct (unparsable golds are skipped)", () => {
    const boxed = all.filter((c) => extractAnswer(c.completion, EVAL).rule === "boxed");
    expect(boxed.length).toBeGreaterThan(0.9 * all.length);
    const rewards = accuracyReward(
      boxed.map((c) => c.completion),
      boxed.map((c) => c.gold),
    );
    const disagree: string[] = [];
    let right = 0;
    let wrong = 0;
    boxed.forEach((c, i) => {
      if (!goldIsParsable(c.gold)) {
        if (rewards[i] !== null) disagree.push(`${c.id}: unparsable gold but reward ${rewards[i]}`);
        return;
      }
      const evalVerdict = grade(c.completion, c.gold, EVAL).correct;
      if (rewards[i] !== (evalVerdict ? 1 : 0)) disagree.push(`${c.id}: reward ${rewards[i]}, eval ${evalVerdict}`);
      if (evalVerdict) right++;
      else wrong++;
    });
    expect(disagree).toEqual([]);
    expect(right).toBeGreaterThan(1000); // both verdicts are well represented
    expect(wrong).toBeGreaterThan(1000);
  });

  it("through the worker pool (RewardScorer): the same verdicts as in-thread", async () => {
    const sample = all.filter((_, i) => i % 10 === 0);
    const scorer = new RewardScorer({ recipe: loadRecipe("openrs-exp1"), jobs: 1 });
    try {
      const pooled = await scorer.verdicts(
        sample.map((c) => c.completion),
        sample.map((c) => c.gold),
      );
      const inThread = sample.map((c) => (goldIsParsable(c.gold) ? grade(c.completion, c.gold, REWARD).correct : null));
      expect(pooled).toEqual(inThread);
    } finally {
      await scorer.close();
    }
  });
});

/** Runs `fn` and checks it returns within `budgetMs` (the reward preset's per-item budget). */
function timed<T>(budgetMs: number, fn: () => T): T {
  const t0 = performance.now();
  const v = fn();
  expect(performance.now() - t0).toBeLessThan(budgetMs);
  return v;
}

describe("reward hacking probes: the intended reward, within the time budget", () => {
  const budget = REWARD.budgetMs;
  const T = "\n</think>\n";
  const openrs = resolveCosineOptions({ mode: "openrs" });

  const accuracyProbes: [string, string, string, number][] = [
    ["many boxed numbers in one sentence", `x${T}It is one of ${Array.from({ length: 1000 }, (_, i) => `\\boxed{${i}}`).join(", ")}.`, "500", 0],
    ["many boxed numbers on separate lines", `x${T}${Array.from({ length: 1000 }, (_, i) => `Maybe \\boxed{${i}}.`).join("\n")}`, "500", 0],
    ["the gold boxed only inside the reasoning", `<think>\nso it is \\boxed{42}${T}The answer is $\\boxed{41}$.`, "42", 0],
    ["the gold stated only inside the reasoning", `<think>\nthe answer is 42${T}I am not sure.`, "42", 0],
    ["the gold stated after the reasoning but not boxed", `<think>\nhmm${T}The final answer is 42.`, "42", 0],
    ["an empty completion", "", "42", 0],
    ["the gold boxed once after the reasoning", `<think>\nhmm${T}The final answer is $\\boxed{42}$.`, "42", 1],
  ];
  it.each(accuracyProbes)("%s → accuracy %s", (_why, completion, gold, expected) => {
    expect(timed(budget, () => accuracyReward([completion], [gold]))).toEqual([expected]);
  });

  it("an empty completion: nothing for format, accuracy or tags; cosine at L = 0 as each mode defines it", () => {
    expect(formatReward([""])).toEqual([0]);
    expect(tagCountReward([""])).toEqual([0]);
    expect(cosineReward([""], ["42"], undefined, openrs)).toEqual([0]); // wrong at L = 0: minWrong = 0.0 in open-rs
    expect(cosineReward([""], ["42"], { completionTokens: [0] }, resolveCosineOptions({}))).toEqual([-1]); // clamped: minWrong = -1
    expect(repetitionReward([""])).toEqual([0]);
    expect(languageReward([""])).toEqual([0]);
  });

  it("a 1 MB completion with the right answer: every function gives its intended value within the budget", () => {
    const tail = `${T}The final answer is $\\boxed{5}$.`;
    const filler = "Let me think about it again. ";
    let text = filler.repeat(Math.ceil(1_000_000 / filler.length)).slice(0, 1_000_000 - tail.length) + tail;
    text = text.slice(0, 1_000_000);
    expect(text.length).toBe(1_000_000);
    expect(timed(budget, () => accuracyReward([text], ["5"]))).toEqual([1]);
    expect(timed(budget, () => formatReward([text]))).toEqual([1]);
    // openrs mode: L = 1,000,000 code points = 1000·maxLen, cos(1000π) = 1: the full correct reward (periodicity).
    expect(timed(budget, () => cosineReward([text], ["5"], undefined, openrs))[0]).toBeCloseTo(1.0, 9);
    // clamped mode with a tokenizer-free count past maxLen: saturated at minCorrect.
    expect(timed(budget, () => cosineReward([text], ["5"], { completionTokens: [250_000] }, resolveCosineOptions({})))).toEqual([0.5]);
    const rep = timed(budget, () => repetitionReward([text]))[0];
    expect(rep).toBeLessThan(-0.99); // the same 6-word sentence over and over
    expect(timed(budget, () => languageReward([text]))).toEqual([0]);
  });

  const hostile: [string, string][] = [
    ["1 MB of boxes", "\\boxed{1} ".repeat(100_000)],
    ["1 MB of unclosed \\(", "\\(".repeat(500_000)],
    ["1 MB of dollar signs", "$".repeat(1_000_000)],
    ["1 MB of backticks", "`".repeat(1_000_000)],
    ["1 MB of nested braces", `\\boxed${"{".repeat(500_000)}${"}".repeat(499_990)}`],
    ["1 MB of closing tags", "\n</think>\n".repeat(100_000)],
  ];
  it.each(hostile)("%s: every function returns a bounded value within the budget", (_why, text) => {
    const set = ["accuracy", "format", "tag_count", "repetition", "language"].map((n) => makeReward(n));
    for (const r of set) {
      const [v] = timed(budget, () => r.score([text], ["5"]));
      expect(v === null || (Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
    }
    const [acc] = makeReward("accuracy").score([text], ["5"]);
    expect(acc).toBe(0);
  });

  it("a 1 MB completion through the worker pool comes back graded, not timed out", async () => {
    const scorer = new RewardScorer({ recipe: loadRecipe("openrs-exp3"), jobs: 1 });
    try {
      const big = `${"Let me think. ".repeat(71_000)}\n</think>\n$\\boxed{5}$`;
      const t0 = performance.now();
      const batch = await scorer.score({ completions: [big, "\\boxed{1} ".repeat(100_000)], golds: ["5", "5"] });
      expect(performance.now() - t0).toBeLessThan(2 * budget + 1000); // worker start-up plus one budget per item
      expect(batch.correct).toEqual([true, false]);
      expect(scorer.poolStats.timeouts).toBe(0);
    } finally {
      await scorer.close();
    }
  });
});
