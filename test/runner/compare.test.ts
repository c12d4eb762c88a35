// `compare`: paired bootstrap and McNemar on run directories built here, checked against hand-computed values,
// and the CLI's verdict and noise note (needs the build for the CLI part: npm run build).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compareRuns, noiseNote } from "../../src/runner/compare.js";
import { makeScoredRun } from "../support/scored-runs.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const tmp = mkdtempSync(join(tmpdir(), "openrs-compare-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const makeRun = (name: string, suites: Record<string, boolean[][]>): string => makeScoredRun(tmp, name, suites);

const single = (pred: (p: number) => boolean, count: number): boolean[][] => Array.from({ length: count }, (_, p) => [pred(p)]);

// AIME-sized, one sample: both right on 0–9, A only on 10–14 (b = 5), B only on 15–24 (c = 10), both wrong 25–29.
const aimeA = makeRun("aimeA", { aime24: single((p) => p < 15, 30), big: single((p) => p < 60, 200) });
const aimeB = makeRun("aimeB", { aime24: single((p) => p < 10 || (p >= 15 && p < 25), 30), big: single((p) => p < 100, 200) });

describe("compareRuns", () => {
  const c = compareRuns(aimeA, aimeB, { resamples: 4000, seed: 5 });
  const aime = c.suites.find((s) => s.suite === "aime24")!;
  const big = c.suites.find((s) => s.suite === "big")!;

  it("pairs problems and reports B − A", () => {
    expect(aime.problems).toBe(30);
    expect(aime.a).toBeCloseTo(0.5, 12);
    expect(aime.b).toBeCloseTo(20 / 30, 12);
    expect(aime.diff).toBeCloseTo(5 / 30, 12);
  });

  it("McNemar on the discordant pairs matches the hand value: b=5, c=10 → p = 2·4944/32768", () => {
    expect(aime.mcnemar).toEqual({ b: 5, c: 10, p: expect.closeTo((2 * 4944) / 32768, 12) });
  });

  it("a 16.7-point gain on 30 problems is not distinguishable from noise; +20 points on 200 problems is", () => {
    expect(aime.distinguishable).toBe(false);
    expect(aime.bootstrap.lo).toBeLessThan(0);
    expect(aime.bootstrap.hi).toBeGreaterThan(0);
    expect(big.mcnemar).toMatchObject({ b: 0, c: 40 });
    expect(big.mcnemar!.p).toBeLessThan(1e-10);
    expect(big.bootstrap.lo).toBeGreaterThan(0);
    expect(big.distinguishable).toBe(true);
  });

  it("tells users that one sample on AIME is about ±9 points", () => {
    expect(100 * aime.seA).toBeCloseTo(100 * Math.sqrt(0.25 / 29), 6);
    expect(noiseNote(aime)).toMatch(/AIME24: 30 problems at 1 sample\(s\) per problem; one standard error from sampling alone is ±9\.\d points for A's score/);
  });

  it("is deterministic for a seed and skips McNemar when runs have several samples", () => {
    expect(compareRuns(aimeA, aimeB, { resamples: 4000, seed: 5 })).toEqual(c);
    const multiA = makeRun("multiA", { s: Array.from({ length: 20 }, (_, p) => [p < 10, p < 5, true, false]) });
    const multiB = makeRun("multiB", { s: Array.from({ length: 20 }, (_, p) => [p < 10, p < 10, true, false]) });
    const m = compareRuns(multiA, multiB, { resamples: 2000 });
    expect(m.suites[0].mcnemar).toBeNull();
    expect(m.suites[0].diff).toBeCloseTo(5 / 80, 12);
  });
});

describe("openrs-eval compare", () => {
  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(process.execPath, [join(root, "bin", "openrs-eval.js"), ...args], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
      );
    });

  it("prints the table, the verdicts with their test, and the noise note", async () => {
    const r = await cli(["compare", aimeA, aimeB, "--resamples", "2000"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("McNemar");
    expect(r.stdout).toMatch(/AIME24 .*McNemar p=0\.302 +no clear difference/);
    expect(r.stdout).toMatch(/BIG .*McNemar p<0\.001 +B higher/);
    expect(r.stdout).toMatch(/one standard error from sampling alone\s+is\s+±9\.\d\s+points/);
  });

  it("a missing run directory is a one-line usage error", async () => {
    const r = await cli(["compare", aimeA, join(tmp, "nope")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^openrs-eval: .*nope is not a run directory \(no run\.json\)$/);
  });
});
