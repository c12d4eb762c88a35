// Robustness under adversarial input: `grade` must never throw, must always return a boolean verdict with a
// reason, and must stay within the per-grade time budget, for the known-hard cases and for seeded random fuzz.
// The pool part needs the compiled worker (npm run build). FUZZ_SEED / FUZZ_N override the fuzz seed and size.
import { afterAll, describe, expect, it } from "vitest";
import { type FuzzCase, fuzzCases, HARD_CASES } from "../../tools/fuzz/cases.js";
import { grade } from "../../grading/grade.js";
import { EVAL } from "../../grading/options.js";
import { GraderPool } from "../../grading/pool.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const N = Number(process.env.FUZZ_N ?? 1500);
const BUDGET_MS = EVAL.budgetMs;

interface Timed {
  label: string;
  ms: number;
}

function preview(s: string): string {
  const t = JSON.stringify(s.length > 80 ? `${s.slice(0, 60)}…${s.slice(-15)}` : s);
  return `${t} (${s.length} chars)`;
}

/** Grades one case in-thread; returns a problem description (or null) and the measured wall time. */
function check(c: FuzzCase, label: string): { problem: string | null; ms: number } {
  const t0 = performance.now();
  let problem: string | null = null;
  try {
    const r = grade(c.completion, c.gold, EVAL);
    if (typeof r.correct !== "boolean") problem = `correct is ${typeof r.correct}`;
    else if (typeof r.reason !== "string" || r.reason.length === 0) problem = `reason is ${JSON.stringify(r.reason)}`;
  } catch (e) {
    problem = `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  const ms = performance.now() - t0;
  if (problem === null && ms > BUDGET_MS) problem = `took ${ms.toFixed(0)} ms > budget ${BUDGET_MS} ms`;
  return { problem: problem && `${label}: ${problem}; gold ${preview(c.gold)}, completion ${preview(c.completion)}`, ms };
}

function slowest(times: Timed[], k = 5): string {
  return [...times]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, k)
    .map((t) => `${t.ms.toFixed(1)} ms  ${t.label}`)
    .join("\n  ");
}

describe("fuzz generator", () => {
  it("is deterministic for a seed and varies across seeds", () => {
    const a = fuzzCases(50, 7);
    expect(fuzzCases(50, 7)).toEqual(a);
    expect(fuzzCases(50, 8)).not.toEqual(a);
    expect(a.every((c) => typeof c.gold === "string" && typeof c.completion === "string")).toBe(true);
  });

  it("includes the named hard cases", () => {
    const names = HARD_CASES.map((c) => c.name).join("\n");
    for (const want of ["x^{x^{x^{x}}}", "(1+x)^{1000}", "10^{10^{10}}", "1000000!", "2^{2^{2^{2^{2}}}}", "sqrt nested 200 deep", "10k nested braces", "10k unbalanced {", "100k-char prose", "1 MB completion", "binary junk", "100k digits", "\\frac{1}{0}", "0^0", "\\boxed{ unclosed", "frac nested"]) {
      expect(names).toContain(want);
    }
    expect(HARD_CASES.some((c) => c.completion.length >= 1_000_000)).toBe(true);
  });
});

describe("grade never throws and stays within budget (in-thread)", () => {
  it(`all ${HARD_CASES.length} hard cases`, () => {
    const problems: string[] = [];
    const times: Timed[] = [];
    for (const c of HARD_CASES) {
      const { problem, ms } = check(c, c.name);
      times.push({ label: c.name, ms });
      if (problem) problems.push(problem);
    }
    console.log(`hard cases: slowest\n  ${slowest(times)}`);
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it(`fuzzCases(${N}, ${SEED})`, () => {
    const cases = fuzzCases(N, SEED);
    const problems: string[] = [];
    const times: Timed[] = [];
    cases.forEach((c, i) => {
      const label = `#${i} [${c.kind}]`;
      const { problem, ms } = check(c, label);
      times.push({ label, ms });
      if (problem) problems.push(problem);
    });
    const total = times.reduce((s, t) => s + t.ms, 0);
    console.log(`fuzz seed ${SEED}: ${cases.length} cases in ${total.toFixed(0)} ms; slowest\n  ${slowest(times)}`);
    expect(problems.slice(0, 20), `${problems.length} failing cases (first 20):\n${problems.slice(0, 20).join("\n")}`).toEqual([]);
  });
});

describe("hard cases through GraderPool (jobs 2)", () => {
  let pool: GraderPool | null = null;
  afterAll(async () => {
    await pool?.close();
  });

  it("loses no item and gives every result a verdict and a reason", async () => {
    pool = new GraderPool({ jobs: 2, options: EVAL, budgetMs: BUDGET_MS });
    const items = HARD_CASES.map((c) => ({ completion: c.completion, gold: c.gold }));
    const results = await pool.gradeMany(items);
    expect(results).toHaveLength(items.length);
    const bad: string[] = [];
    results.forEach((r, i) => {
      if (!r || typeof r.correct !== "boolean" || typeof r.reason !== "string" || r.reason.length === 0) {
        bad.push(`${HARD_CASES[i].name}: ${JSON.stringify(r)}`);
      }
    });
    expect(bad, bad.join("\n")).toEqual([]);
    const reasons = new Map<string, number>();
    for (const r of results) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    console.log(`pool hard-case reasons: ${[...reasons].map(([k, v]) => `${k}×${v}`).join(", ")}`);
  });
});
