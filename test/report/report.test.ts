// `openrs-eval report`: what the page is built from (numbers equal to run.json's, groups from the data file's
// metadata, lengths and failure counts from samples.jsonl), that it is self-contained and escapes what it shows,
// long completions clipped with a pointer to the full text, and the command's outputs and one-line errors.
// The page in a real browser: report-browser.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectRun, type RunReport } from "../../src/report/collect.js";
import { reportHtml } from "../../src/report/html.js";
import type { RunManifest, SampleRecord } from "../../src/runner/run-dir.js";
import { makeRun, runCli, writeReplay, writeSyntheticData } from "../support/report-fixture.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dataDir = join(tmp, "data");
const o = { dataDir, suites: ["aime24", "math500"], limit: 40, samples: 4 };
const runA = join(tmp, "runA");
const runB = join(tmp, "runB");
let report: RunReport;
let manifest: RunManifest;
let records: SampleRecord[];

beforeAll(async () => {
  writeSyntheticData(dataDir);
  await makeRun(runA, writeReplay(join(tmp, "a.jsonl"), o), o);
  await makeRun(runB, writeReplay(join(tmp, "b.jsonl"), { ...o, skill: 3 }), o);
  report = collectRun(runA, { dataDir });
  manifest = JSON.parse(readFileSync(join(runA, "run.json"), "utf8"));
  records = readFileSync(join(runA, "samples.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}, 60_000);

describe("collectRun", () => {
  it("pass@1 and its interval are run.json's", () => {
    for (const s of report.suites) {
      const m = manifest.metrics!.suites[s.id];
      expect(s.pass1.value).toBe(m.scores[m.primary]);
      expect([s.pass1.lo, s.pass1.hi]).toEqual([m.ci95.lo, m.ci95.hi]);
      expect(s.extras.map((e) => e.label)).toEqual(["pass@2", "pass@4", "maj@2", "maj@4"]);
    }
    expect(report.overall!.value).toBe(manifest.metrics!.overall!.scores[manifest.metrics!.overall!.primary]);
  });

  it("groups MATH-500 by the data file's level and subject; AIME24 declares no metadata", () => {
    const math = report.suites.find((s) => s.id === "math500")!;
    expect(math.breakdown.map((b) => b.field)).toEqual(["level", "subject"]);
    const level = math.breakdown[0].groups;
    expect(level.map((g) => [g.label, g.problems])).toEqual([["1", 8], ["2", 8], ["3", 8], ["4", 8], ["5", 8]]);
    // Level 5 by hand from samples.jsonl: problems i with i % 5 === 4 among the first 40 rows.
    const rows = readFileSync(join(dataDir, "math500.jsonl"), "utf8").trim().split("\n").slice(0, 40).map((l) => JSON.parse(l));
    const ids = new Set(rows.filter((r) => r.level === 5).map((r) => r.id));
    const perProblem = [...ids].map((id) => {
      const own = records.filter((r) => r.id === id);
      return own.filter((r) => r.correct).length / own.length;
    });
    expect(level[4].value).toBeCloseTo(perProblem.reduce((a, b) => a + b, 0) / perProblem.length, 12);
    expect(level[4].caveat).toMatch(/only 8 problems/);
    expect(math.breakdown[1].groups.map((g) => g.label)).toContain("Counting & Probability");
    expect(report.suites.find((s) => s.id === "aime24")!.breakdown).toEqual([]);
  });

  it("lengths and failure counts come from every sample", () => {
    for (const s of report.suites) {
      const own = records.filter((r) => r.suite === s.id);
      expect(s.lengths.correct.length + s.lengths.wrong.length).toBe(own.length);
      expect(s.lengths.correct.length).toBe(own.filter((r) => r.correct).length);
      expect(s.counts.truncated).toBe(own.filter((r) => r.finish === "length").length);
      expect(s.counts.noAnswer).toBe(manifest.metrics!.suites[s.id].counts.noAnswer);
      expect(s.counts.drift).toBe(manifest.metrics!.suites[s.id].counts.languageDrift);
      expect(s.counts.drift).toBeGreaterThan(0);
    }
    expect(report.lengthUnit).toBe("tokens");
  });

  it("keeps each problem's question, gold, metadata and samples in order", () => {
    const p = report.problems.get("math500\u0000math500/test/geometry/2.json")!;
    expect(p.question).toMatch(/^Problem 2 \(Geometry\)/);
    expect(p.meta).toEqual({ level: "3", subject: "Geometry" });
    expect(p.samples.map((s) => s.sample)).toEqual([0, 1, 2, 3]);
  });
});

describe("the page", () => {
  it("is self-contained: no external URL, stylesheet, script or image", () => {
    const html = reportHtml(report);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    const refs = [...html.matchAll(/(?:src|href)\s*=|https?:\/\/[^"\s<]+|@import|url\(/g)].map((m) => m[0]);
    // The only URL is the SVG namespace, once per chart.
    expect(refs.length).toBe((html.match(/<svg /g) ?? []).length);
    expect(new Set(refs)).toEqual(new Set(["http://www.w3.org/2000/svg"]));
  });

  it("cannot be broken out of by a completion holding </script> or markup", () => {
    const html = reportHtml(report);
    expect(records.some((r) => r.completion.includes("</script><b>not markup</b>"))).toBe(true);
    expect(html.split("</script>").length - 1).toBe(2);
    expect(html).not.toContain("<b>not markup</b>");
  });

  it("shows per-suite scores, the breakdown, failure rates and a histogram per suite", () => {
    const html = reportHtml(report);
    expect(html).toMatch(/<td>MATH-500<\/td><td class="num">40<\/td>/);
    expect(html).toContain("<th>level</th>");
    expect(html).toContain("<th>subject</th>");
    expect(html).toMatch(/language drift/);
    expect(html.match(/aria-label="[^"]*MATH-500"/g)).toHaveLength(1);
    expect(html).toMatch(/\d+\.\d% \(\d+\)/);
  });

  it("clips long completions to the budget and says where the full text is", () => {
    const small = collectRun(runA, { dataDir, completionChars: 2000 });
    expect(small.clipped).toBeGreaterThan(0);
    const long = [...small.problems.values()].flatMap((p) => p.samples).find((s) => s.completion.includes("characters cut here"))!;
    expect(long.completion.length).toBeLessThan(2300);
    expect(long.completion).toMatch(/the full completion is record \d+ of samples\.jsonl/);
    expect(long.completion.endsWith("</script><b>not markup</b>")).toBe(true);
  });

  it("compare: paired verdicts under the stated rule and both runs' samples", () => {
    const html = reportHtml(report, collectRun(runB, { dataDir }), null);
    expect(html).toContain("A and B score differently");
    expect(html).toContain("openrs report: replay:");
  });
});

describe("openrs-eval report", () => {
  it("writes <run>/report.html, and report-vs-<run2>.html with --compare", async () => {
    const r = await runCli(["report", runA, "--data-dir", dataDir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^report: wrote .*runA\/report\.html \(\d+\.\d MB\); open it in a browser\n$/);
    expect(readFileSync(join(runA, "report.html"), "utf8")).toContain("pass@1 by suite");
    const c = await runCli(["report", runA, "--compare", runB, "--data-dir", dataDir]);
    expect(c.code).toBe(0);
    const html = readFileSync(join(runA, "report-vs-runB.html"), "utf8");
    expect(html).toContain("Verdict rule:");
    expect(html).toMatch(/McNemar|bootstrap p/);
  });

  it("without the benchmark data the page still renders, saying what it could not show", async () => {
    const empty = join(tmp, "empty-data");
    mkdirSync(empty);
    const out = join(tmp, "nodata.html");
    const r = await runCli(["report", runA, "--data-dir", empty, "-o", out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/report: MATH-500: benchmark data not available \(benchmark file missing: .*math500\.jsonl/);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("benchmark data not available");
    expect(html).not.toContain("<th>level</th>");
  });

  // (args, expected stderr)
  const bad: [string[], RegExp][] = [
    [["report", join(tmp, "nope")], /^openrs-eval: .*nope is not a directory \(expected a run directory holding run\.json\)\n$/],
    [["report", dataDir], /^openrs-eval: .*data is not a run directory \(no run\.json\)\n$/],
    [["report", runA, "--compare", join(tmp, "nope2")], /nope2 is not a directory/],
    [["report", runA, "-o", join(tmp, "no", "such", "dir", "r.html")], /^openrs-eval: output directory not found: /],
    [["report", runA, "--completion-chars", "0"], /--completion-chars must be a positive integer/],
  ];
  it.each(bad)("%j is a one-line usage error", async (args, expected) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
  });
});

it("a corrupt samples.jsonl is named", async () => {
  const dir = join(tmp, "corrupt");
  mkdirSync(dir);
  writeFileSync(join(dir, "run.json"), readFileSync(join(runA, "run.json")));
  writeFileSync(join(dir, "samples.jsonl"), "{not json}\n");
  const r = await runCli(["report", dir, "--data-dir", dataDir]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/samples\.jsonl:1: corrupt sample line/);
});
