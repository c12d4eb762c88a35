// CI regression: the committed graded samples (results/regression/samples.jsonl, made by tools/data/make-regression-set.ts)
// are regraded with the current grader; any changed verdict fails, listing every changed sample. The file holds its
// golds and completions, so this needs no benchmark data.
import { describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { buildRegressionSet, describeChange, KINDS, PLAN, readRegressionSet, verdictOf } from "../../tools/data/make-regression-set.js";

const samples = readRegressionSet();

describe("regression set", () => {
  it("covers the 7 suites and every kind of sample, as planned", () => {
    expect(samples.length).toBeGreaterThanOrEqual(1_450);
    const suites = new Set(samples.map((s) => s.suite));
    expect([...suites].sort()).toEqual(Object.keys(PLAN).sort());
    for (const kind of Object.keys(KINDS)) expect(samples.some((s) => s.kind === kind), kind).toBe(true);
    expect(new Set(samples.map((s) => s.key)).size).toBe(samples.length);
  });

  it("recorded verdicts agree with how each sample was made (where that decides it)", () => {
    const off = samples.filter((s) => s.expected !== null && s.expected !== s.correct).map((s) => `${s.key} (${s.kind}): expected ${s.expected}, recorded ${s.correct}`);
    expect(off).toEqual([]);
  });

  it("the current grader gives every sample its recorded verdict", () => {
    const changed: string[] = [];
    for (const s of samples) {
      const now = verdictOf(s);
      if (now.correct !== s.correct) changed.push(describeChange(s, now));
    }
    // On an intended grader change: `npx tsx tools/data/make-regression-set.ts --accept`, then review the diff.
    expect(changed, `${changed.length} verdicts changed:\n${changed.join("\n")}`).toEqual([]);
  });

  const data = findDataDir();
  (data ? it : it.skip)(`the generator reproduces the committed file from the benchmark data${data ? "" : " (skipped: no benchmark data; set OPENRS_DATA_DIR)"}`, () => {
    const rebuilt = buildRegressionSet(data!).samples;
    expect(rebuilt.map((s) => s.key)).toEqual(samples.map((s) => s.key));
    expect(rebuilt.map((s) => s.completion)).toEqual(samples.map((s) => s.completion));
    expect(rebuilt.map((s) => s.gold)).toEqual(samples.map((s) => s.gold));
  });
});
