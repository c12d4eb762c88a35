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
    // The generator leaves out samples that grade slower than 100 ms (they would test the clock, not the grader), and
    // which those are depends on the machine's load: the committed set and a rebuild may differ by those alone.
    const { samples: rebuilt, dropped } = buildRegressionSet(data!);
    const slowNow = new Set(dropped.map((d) => d.split(" ")[0]));
    const committed = new Map(samples.map((s) => [s.key, s]));
    const rebuiltKeys = new Set(rebuilt.map((s) => s.key));
    expect(samples.filter((s) => !rebuiltKeys.has(s.key) && !slowNow.has(s.key)).map((s) => s.key)).toEqual([]);
    expect(rebuilt.filter((s) => !committed.has(s.key)).length).toBeLessThanOrEqual(10);
    const common = rebuilt.filter((s) => committed.has(s.key));
    expect(common.length).toBeGreaterThan(samples.length - 20);
    expect(common.map((s) => s.completion)).toEqual(common.map((s) => committed.get(s.key)!.completion));
    expect(common.map((s) => s.gold)).toEqual(common.map((s) => committed.get(s.key)!.gold));
  });
});
