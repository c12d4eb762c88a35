// `compare` states one verdict rule and the test behind each verdict, says when its two tests disagree, warns when
// the runs were made differently (samples, token limit, prompts, problem subsets) and says when a suite has too few
// problems for an interval to mean anything (issue 14, section 4).
import { mkdtempSync, rmSync, } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { comparisonText } from "../../src/commands/compare.js";
import { compareRuns } from "../../src/runner/compare.js";
import { PAPER_SAMPLING } from "../../src/runner/runner.js";
import { makeScoredRun, type RunPatch } from "../support/scored-runs.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-compare-verdict-"));
afterAll(() => { if (!process.env.KEEP) rmSync(tmp, { recursive: true, force: true }); });

const makeRun = (name: string, suites: Record<string, boolean[][]>, patch: RunPatch = {}): string => makeScoredRun(tmp, name, suites, patch);

const single = (pred: (p: number) => boolean, count: number): boolean[][] => Array.from({ length: count }, (_, p) => [pred(p)]);

// The issue's AIME24 case: B right on 5 problems A missed and no other difference (McNemar b = 0, c = 5, p = 1/16);
// the paired bootstrap over the 30 problems puts its interval at about [+3.3, +30.0].
const issueA = makeRun("issueA", { aime24: single((p) => p < 10, 30) });
const issueB = makeRun("issueB", { aime24: single((p) => p < 15, 30) });

describe("one verdict rule, with the test that produced it", () => {
  const c = compareRuns(issueA, issueB, { resamples: 4000, seed: 1 });
  const s = c.suites[0];

  it("single-sample runs: McNemar's exact test decides; the bootstrap that disagrees is reported, not silently dropped", () => {
    expect(s.mcnemar).toEqual({ b: 0, c: 5, p: 0.0625 });
    expect(s.bootstrap.lo).toBeGreaterThan(0);
    expect(s.test).toBe("mcnemar");
    expect(s.p).toBeCloseTo(0.0625, 12);
    expect(s.verdict).toBe("tests disagree");
    expect(s.disagreement).toMatch(/McNemar.*p = 0\.063.*bootstrap.*excludes 0/);
  });

  it("the text states the rule, names each verdict's test and explains the disagreement", () => {
    const text = comparisonText(c);
    expect(text).toMatch(/Verdict rule: .*McNemar's exact test when both runs have one sample per problem.*otherwise the paired bootstrap/s);
    expect(text).toMatch(/AIME24 .*McNemar p=0\.063 .*tests disagree/);
    expect(text).toMatch(/AIME24: the tests disagree/);
    // The unpaired rule of thumb printed beside a paired test is gone.
    expect(text).not.toMatch(/are noise/);
  });

  it("multi-sample runs: the paired bootstrap decides (McNemar does not apply)", () => {
    const a = makeRun("multiA", { s: Array.from({ length: 40 }, (_, p) => [p < 10, p < 10, false, false]) });
    const b = makeRun("multiB", { s: Array.from({ length: 40 }, (_, p) => [p < 30, p < 30, p < 30, false]) });
    const m = compareRuns(a, b, { resamples: 2000 }).suites[0];
    expect(m.mcnemar).toBeNull();
    expect(m.test).toBe("bootstrap");
    expect(m.verdict).toBe("B higher");
    expect(m.disagreement).toBeNull();
  });

  it("agreeing tests give a plain verdict", () => {
    const a = makeRun("agreeA", { big: single((p) => p < 60, 200) });
    const b = makeRun("agreeB", { big: single((p) => p < 20, 200) });
    const m = compareRuns(a, b, { resamples: 2000 }).suites[0];
    expect(m.verdict).toBe("B lower");
    expect(m.test).toBe("mcnemar");
    expect(m.disagreement).toBeNull();
  });
});

describe("runs made differently", () => {
  const a = makeRun("setA", { aime24: single((p) => p % 2 === 0, 30) });
  const b = makeRun("setB", { aime24: Array.from({ length: 10 }, (_, p) => [p % 3 === 0, true, false, p < 5]) }, {
    settings: { samples: 4, sampling: { ...PAPER_SAMPLING, maxNewTokens: 4096, temperature: 0.7 }, limit: 10 },
    promptFormat: "chat-template:abc",
    grader: "t2",
  });
  const c = compareRuns(a, b, { resamples: 1000 });

  it("lists every difference that can move a score and the problems a subset comparison used", () => {
    const w = c.warnings.join("\n");
    expect(w).toMatch(/samples per problem: 1 vs 4/);
    expect(w).toMatch(/max new tokens: 32768 vs 4096/);
    expect(w).toMatch(/temperature: 0\.6 vs 0\.7/);
    expect(w).toMatch(/prompt format: user-message vs chat-template:abc/);
    expect(w).toMatch(/grader version: t vs t2/);
    expect(w).toMatch(/AIME24: compared on the 10 problems both runs have \(A has 30, B has 10\)/);
    expect(c.suites[0].problems).toBe(10);
  });

  it("the text shows the warnings", () => {
    const text = comparisonText(c);
    expect(text).toMatch(/warning: the runs differ in settings that change scores/);
    expect(text).toContain("compared on the 10 problems both runs have");
  });

  it("prompts that differ under the same prompt format are named", () => {
    const x = makeRun("hashA", { aime24: single(() => true, 12) });
    const y = makeRun("hashB", { aime24: single(() => true, 12) }, { promptHash: "1" });
    expect(compareRuns(x, y, { resamples: 100 }).warnings.join("\n")).toMatch(/AIME24: the rendered prompts differ/);
  });

  it("identical settings give no warning", () => {
    expect(compareRuns(issueA, issueB, { resamples: 100 }).warnings).toEqual([]);
  });
});

describe("too few problems for an interval", () => {
  it("3 problems: the interval is flagged, and a bootstrap-decided verdict says it cannot tell", () => {
    const a = makeRun("tinyA", { s: Array.from({ length: 3 }, () => [false, false]) });
    const b = makeRun("tinyB", { s: Array.from({ length: 3 }, () => [false, false]) });
    const c = compareRuns(a, b, { resamples: 500 });
    expect(c.suites[0].intervalNote).toMatch(/only 3 problems/);
    expect(c.suites[0].verdict).toBe("too few problems");
    const text = comparisonText(c);
    expect(text).toMatch(/S: only 3 problems/);
    expect(text).not.toMatch(/\[0\.0, 0\.0\]/);
  });
});

describe("the text fits 100 columns", () => {
  it("every line of the table is at most 100 characters, notes wrap", () => {
    const a = makeRun("wideA", { olympiadbench: single((p) => p % 3 === 0, 675), math500: single((p) => p % 2 === 0, 500), aime24: single((p) => p < 9, 30) });
    const b = makeRun("wideB", { olympiadbench: single((p) => p % 4 === 0, 675), math500: single((p) => p % 5 === 0, 500), aime24: single((p) => p < 14, 30) });
    const text = comparisonText(compareRuns(a, b, { resamples: 500 }));
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });
});
