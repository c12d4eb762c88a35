// The grader on the real benchmark golds: every gold parses, reference solutions grade correct, distinct golds differ.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { readSuiteRows } from "../../benchmarks/load.js";
import { getSuite, SUITE_IDS } from "../../benchmarks/registry.js";
import { grade, isEquivalent } from "../../grading/grade.js";
import { parseAnswer } from "../../grading/parse.js";

const dataDir = findDataDir();
if (!dataDir) console.warn("real-data tests skipped: ../shared/benchmarks not found and OPENRS_DATA_DIR not set");

/** Golds that are legitimately words or a choice letter (parsed as text, compared as text). */
const TEXT_GOLDS: Record<string, string[]> = {
  math500: [
    "math500/test/algebra/1349.json", // \text{Evelyn}
    "math500/test/prealgebra/105.json", // \text{east}
    "math500/test/intermediate_algebra/128.json", // \text{even}
    "math500/test/precalculus/819.json", // \text{(C)}
    "math500/test/precalculus/452.json", // \text{(E)}
    "math500/test/intermediate_algebra/754.json", // \text{(B)}
    "math500/test/intermediate_algebra/860.json", // \text{ellipse}
    "math500/test/prealgebra/1991.json", // \text{Navin}
  ],
};

/** Golds no structured reading fits; compared as text only. Each is explained. */
const UNPARSED_GOLDS: Record<string, string[]> = {
  olympiadbench: [
    "olympiadbench/1965", // "$f(x)=a x+b$, where $b$ is an arbitrary integer, and ..." — prose with conditions
    "olympiadbench/2045", // "$t(0,4]$" — a garbled "t \in (0,4]" in the source
  ],
};

/**
 * Pairs of distinct gold strings (within a suite) that the grader judges equal. Each is the same value under a
 * documented convention; any pair not listed here is a false positive.
 */
const EQUAL_GOLD_PAIRS: [string, string, string][] = [
  ["gsm8k", "14,000", "14000"], // thousands separator
  ["gsm8k", "5,600", "5600"],
  ["math500", "(-2,1)", "-2,1"], // tuple vs bare list of the same items
  ["math500", "(-2,1)", "1,-2"], // bare list gold is unordered
  ["math500", "-2,1", "1,-2"],
  ["math500", "10,\\!080", "10080"],
  ["math500", "120", "120^\\circ"], // degrees
  ["math500", "15", "15\\mbox{ cm}^2"], // units
  ["math500", "180^\\circ", "\\pi"], // degree gold accepts radians
  ["math500", "2 \\sqrt{5}", "2\\sqrt{5}"],
  ["math500", "30", "30^\\circ"],
  ["math500", "36", "36^\\circ"],
  ["math500", "36", "\\$36"], // currency
  ["math500", "36^\\circ", "\\$36"],
  ["math500", "5", "x=5"], // assignment to a lone variable
  ["math500", "90", "90^\\circ"],
  ["math500", "\\frac14", "\\frac{1}{4}"],
  ["math500", "40", "40_9"], // a base-9 gold accepts its digits written without the base (never the value 36)
  ["minerva", "+2", "2"],
  ["olympiadbench", "$1/3$", "$\\frac{1}{3}$"],
  ["olympiadbench", "$2 n$", "$2n$"],
  ["olympiadbench", "$44^{\\circ}$", "44"],
  ["olympiadbench", "$45^{\\circ}$", "45"],
  ["olympiadbench", "$4^{\\circ}$", "4"],
  ["olympiadbench", "$8 \\%$", "8"], // percent gold accepts the bare number
  ["olympiadbench", "$k=1$", "1"],
  ["olympiadbench", "$k=3$", "3"],
  ["olympiadbench", "$f(x)=1$", "1"], // gold names a function: f(x) = 1 gives the value 1
  ["olympiadbench", "2,3,4", "2,4,3"], // unordered list
];

describe.skipIf(!dataDir)("real benchmark golds", () => {
  for (const suite of SUITE_IDS) {
    const rows = dataDir ? readSuiteRows(getSuite(suite), dataDir) : [];

    it(`${suite}: every gold parses to a structured value (text golds listed)`, () => {
      const text: string[] = [];
      const unparsed: string[] = [];
      for (const r of rows) {
        const p = parseAnswer(r.answer);
        if (!p.value) unparsed.push(r.id);
        else if (p.value.kind === "text") text.push(r.id);
      }
      expect(unparsed.sort()).toEqual((UNPARSED_GOLDS[suite] ?? []).slice().sort());
      expect(text.sort()).toEqual((TEXT_GOLDS[suite] ?? []).slice().sort());
    });

    it(`${suite}: every reference solution with \\boxed{} grades correct against its gold`, () => {
      const failures: string[] = [];
      let n = 0;
      for (const r of rows) {
        if (!r.solution || !/\\boxed|\\fbox/.test(r.solution)) continue;
        n++;
        const g = grade(r.solution, r.answer);
        if (!g.correct) failures.push(`${r.id}: gold ${r.answer} extracted ${g.extracted} (${g.reason})`);
      }
      expect(failures).toEqual([]);
      if (["aime24", "math500", "minerva"].includes(suite)) expect(n).toBeGreaterThan(0);
    });

    it(`${suite}: distinct golds are never judged equal (except the listed same-value pairs)`, () => {
      const golds = [...new Set(rows.map((r) => r.answer))];
      const allowed = new Set(EQUAL_GOLD_PAIRS.filter((p) => p[0] === suite).map((p) => `${p[1]}\u0000${p[2]}`));
      const unexpected: string[] = [];
      for (let i = 0; i < golds.length; i++) {
        for (let j = 0; j < golds.length; j++) {
          if (i === j || !isEquivalent(golds[i], golds[j]).equal) continue;
          const key = [golds[i], golds[j]].sort().join("\u0000");
          if (!allowed.has(key)) unexpected.push(`${golds[i]}  ==  ${golds[j]}`);
        }
      }
      expect(unexpected).toEqual([]);
    });
  }

  it("gsm8k: the eval-numeric preset reads the `#### N` line of every reference solution", () => {
    const failures = (dataDir ? readSuiteRows(getSuite("gsm8k"), dataDir) : [])
      .map((r) => ({ r, g: grade(r.solution ?? "", r.answer, "eval-numeric") }))
      .filter(({ g }) => !g.correct)
      .map(({ r, g }) => `${r.id}: ${r.answer} vs ${g.extracted}`);
    expect(failures).toEqual([]);
  });
});

const trainFile = dataDir ? join(dataDir, "..", "train", "deepscaler_aime_math.jsonl") : "";

/** Training answers no structured reading fits (8,449 answers; each explained). */
const UNPARSED_TRAIN = new Set([
  "\\frac{1}{7}\\triangle ABC", // an area in terms of a named triangle
  "4\\!:\\!51\\!:\\!06 \\text{ p.m.}", // a clock time
  "\\text{A5}_{11}", // a base-11 numeral with a letter digit
  "", // empty answers in the source
]);

describe.skipIf(!trainFile || !existsSync(trainFile))("training answers (DeepScaleR AIME + MATH train)", () => {
  const rows = trainFile && existsSync(trainFile) ? readFileSync(trainFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];

  it("every answer parses to a structured value except the listed ones", () => {
    const unparsed = rows.filter((r) => r.answer !== null && !parseAnswer(String(r.answer)).value).map((r) => String(r.answer));
    expect([...new Set(unparsed)].filter((a) => !UNPARSED_TRAIN.has(a))).toEqual([]);
  });

  it("every boxed AIME training solution grades correct against its answer", () => {
    const failures = rows
      .filter((r) => r.answer !== null && typeof r.solution === "string" && r.solution.includes("\\boxed"))
      .map((r) => ({ r, g: grade(r.solution, String(r.answer)) }))
      .filter(({ g }) => !g.correct)
      .map(({ r, g }) => `${r.id}: ${r.answer} vs ${g.extracted} (${g.reason})`);
    expect(failures).toEqual([]);
  });
});
