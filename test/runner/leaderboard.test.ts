// The leaderboard: committed reference rows, run.json records made with the runner's own types and metric code,
// tolerance of partial and foreign records, the markdown table, the self-contained HTML page, and the CLI.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultReferenceFile } from "../../src/commands/leaderboard.js";
import { buildLeaderboard, formatScore, leaderboardHtml, leaderboardMarkdown, loadReference, readRun } from "../../src/leaderboard.js";
import { computeMetrics, type ScoredSample } from "../../src/runner/metrics.js";
import type { RunManifest } from "../../src/runner/run-dir.js";
import { evalCli } from "../support/eval-cli.js";

const PAPER = ["aime24", "math500", "amc23", "minerva", "olympiadbench"];
const root = mkdtempSync(join(tmpdir(), "openrs-leaderboard-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Scored samples where problem p of a suite is right in `rate` of its samples (a fixed pattern, no randomness). */
function samples(suites: string[], rate: number, problems = 10, n = 4): ScoredSample[] {
  return suites.flatMap((suite) =>
    Array.from({ length: problems * n }, (_, k) => ({
      suite,
      id: `${suite}/${Math.floor(k / n)}`,
      sample: k % n,
      correct: (k * 7919) % 100 < rate * 100,
      extracted: "1",
      finish: "stop" as const,
      completionTokens: 100,
      think: true,
      drift: false,
      vote: 0,
    })),
  );
}

/** A run.json as the runner writes it (typed by its RunManifest), with metrics from its computeMetrics. */
function writeRun(name: string, model: string, suites: string[], rate: number, patch: Partial<RunManifest> = {}): string {
  const dir = join(root, "runs", name);
  mkdirSync(dir, { recursive: true });
  const manifest: RunManifest = {
    schema: "openrs-run",
    schemaVersion: 1,
    status: "complete",
    model,
    backend: "openai",
    settings: { samples: 4, sampling: { temperature: 0.6, topP: 0.95, maxNewTokens: 32768, seed: 1234 }, limit: null, k: [1, 2, 4], concurrency: 8, preset: "openrs-paper" },
    promptFormat: "chat-template:test",
    suites: [],
    grader: { version: "test" },
    git: { commit: null, dirty: null },
    timings: { started: "", updated: "", seconds: 1, generationSeconds: 1, gradingSeconds: 0, resumes: 0 },
    resumedSamples: 0,
    metrics: computeMetrics(samples(suites, rate), { k: [1, 2, 4], resamples: 200 }, suites),
    ...patch,
  };
  writeFileSync(join(dir, "run.json"), JSON.stringify(manifest));
  return dir;
}

const full = writeRun("2026-01-01-full", "my/Open-RS-repro", PAPER, 0.5);
writeRun("2026-01-02-two-suites", "my/two-suites", ["aime24", "amc23"], 0.3);
writeRun("2026-01-03-running", "my/running", PAPER, 0.4, { status: "running", settings: { samples: 4, sampling: { temperature: 0.6, topP: 0.95, maxNewTokens: 100, seed: 1 }, limit: 10, k: [1], concurrency: 1, preset: "x" } });
writeRun("2026-01-04-future", "my/future", PAPER, 0.4, { schemaVersion: 99 as 1 });
mkdirSync(join(root, "runs", "2026-01-05-broken"));
writeFileSync(join(root, "runs", "2026-01-05-broken", "run.json"), "{ not json");
mkdirSync(join(root, "runs", "2026-01-06-empty"));
writeFileSync(join(root, "runs", "2026-01-07-no-metrics.txt"), "a stray file is ignored");

describe("reference table", () => {
  const ref = loadReference(defaultReferenceFile());
  it("holds every model of the paper's Table 1, each reported by the paper with a source", () => {
    const shared = JSON.parse(readFileSync(defaultReferenceFile(), "utf8"));
    expect(ref.suites).toEqual(PAPER);
    expect(ref.rows).toHaveLength(12);
    expect(shared.rows.every((r: { reportedBy: string; source: string }) => r.reportedBy === "paper" && r.source.startsWith("Open-RS paper"))).toBe(true);
    expect(ref.rows.find((r) => r.model === "Open-RS3 (50 steps)")?.scores.aime24).toEqual({ value: 46.7, ci: null });
    expect(ref.rows.find((r) => r.model === "o1-preview")?.avg.value).toBeNull();
  });
});

describe("reading run.json", () => {
  it("takes pass@1 and its interval per suite, in percent", () => {
    const row = readRun(full, PAPER);
    const manifest = JSON.parse(readFileSync(join(full, "run.json"), "utf8")) as RunManifest;
    const m = manifest.metrics!.suites.aime24;
    expect(row.scores.aime24.value).toBeCloseTo(m.scores[m.primary] * 100, 10);
    expect(row.scores.aime24.ci).toEqual([m.ci95.lo * 100, m.ci95.hi * 100]);
    expect(row.avg.value).toBeCloseTo(manifest.metrics!.overall!.scores[manifest.metrics!.overall!.primary] * 100, 10);
    expect(row).toMatchObject({ model: "my/Open-RS-repro", kind: "local", samplesPerProblem: 4, notes: ["backend openai"] });
  });

  // (run dir, expectation, why)
  const rows: [string, (lb: ReturnType<typeof buildLeaderboard>) => void, string][] = [
    ["2026-01-02-two-suites", (lb) => expect(lb.rows.find((r) => r.model === "my/two-suites")!.avg).toEqual({ value: null, ci: null }), "a mean over 2 suites is not the paper's average"],
    ["2026-01-02-two-suites", (lb) => expect(lb.rows.find((r) => r.model === "my/two-suites")!.scores.math500.value).toBeNull(), "suites not run are blank"],
    ["2026-01-03-running", (lb) => expect(lb.rows.find((r) => r.model === "my/running")!.notes).toEqual(["backend openai", "partial run", "limit 10 problems per suite"]), "partial and limited runs are flagged"],
    ["2026-01-04-future", (lb) => expect(lb.warnings).toContain(`${join(root, "runs", "2026-01-04-future", "run.json")} has schema version 99; this leaderboard reads 1`), "unknown schema version is skipped, named"],
    ["2026-01-05-broken", (lb) => expect(lb.warnings.some((w) => /2026-01-05-broken.*is not valid JSON/.test(w))).toBe(true), "corrupt file is skipped, named"],
    ["2026-01-06-empty", (lb) => expect(lb.warnings.some((w) => /2026-01-06-empty: no run.json/.test(w))).toBe(true), "a folder without run.json is named"],
  ];
  const lb = buildLeaderboard(defaultReferenceFile(), join(root, "runs"));
  it.each(rows)("%s", (_dir, check) => check(lb));

  it("keeps the paper's rows first, then readable runs in folder order", () => {
    expect(lb.rows.slice(12).map((r) => r.model)).toEqual(["my/Open-RS-repro", "my/two-suites", "my/running"]);
    expect(lb.warnings).toHaveLength(3);
  });
});

describe("suites beyond the reference table", () => {
  it("a local run's other suite (arith) becomes a column after the paper's five, blank for the paper's rows", () => {
    const runs = join(root, "runs-extra");
    const dir = writeRun("2026-01-01-tiny", "openrs-tiny", ["arith"], 0.5);
    mkdirSync(runs, { recursive: true });
    mkdirSync(join(runs, "2026-01-01-tiny"));
    writeFileSync(join(runs, "2026-01-01-tiny", "run.json"), readFileSync(join(dir, "run.json")));
    rmSync(dir, { recursive: true });
    const lb = buildLeaderboard(defaultReferenceFile(), runs);
    expect(lb.suites).toEqual([...PAPER, "arith"]);
    const tiny = lb.rows.find((r) => r.model === "openrs-tiny")!;
    const m = (JSON.parse(readFileSync(join(runs, "2026-01-01-tiny", "run.json"), "utf8")) as RunManifest).metrics!.suites.arith;
    expect(tiny.scores.arith.value).toBeCloseTo(m.scores[m.primary] * 100, 10);
    expect(tiny.scores.arith.ci).not.toBeNull();
    expect(tiny.avg.value).toBeNull();
    expect(lb.rows[0].scores.arith).toEqual({ value: null, ci: null });
    const md = leaderboardMarkdown(lb);
    expect(md).toContain("| OlympiadBench | Arith | Avg |");
    expect(md).toMatch(/\| openrs-tiny \| local \[\d\] \(backend openai\) \| 4 \| - \| - \| - \| - \| - \| \d+\.\d \[/);
  });
});

describe("rendering", () => {
  const lb = buildLeaderboard(defaultReferenceFile(), join(root, "runs"));

  it.each([
    [{ value: 46.7, ci: null }, "46.7"],
    [{ value: 50, ci: [31.25, 68.75] as [number, number] }, "50.0 [31.3, 68.8]"],
    [{ value: null, ci: null }, "-"],
  ])("formats %j as %s", (s, text) => expect(formatScore(s)).toBe(text));

  it("markdown: one table row per model with intervals for local runs, sources as notes", () => {
    const md = leaderboardMarkdown(lb);
    const tableRows = md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Model") && !l.startsWith("| ---"));
    expect(tableRows).toHaveLength(15);
    expect(md).toContain("| Open-RS3 (50 steps) | paper [3] | 1 | 46.7 | 84.4 | 72.5 | 26.8 | 51.3 | 56.3 |");
    const mine = tableRows.find((l) => l.startsWith("| my/Open-RS-repro"))!;
    expect(mine).toMatch(/^\| my\/Open-RS-repro \| local \[4\] \(backend openai\) \| 4 \| \d+\.\d \[\d+\.\d, \d+\.\d\] \|/);
    expect(md).toContain("[4] measured here: local run 2026-01-01-full");
  });

  it("html: one self-contained page with an inline SVG plot and the table", () => {
    const html = leaderboardHtml(lb);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<svg");
    // No external assets: the only URL is the SVG namespace.
    expect([...html.matchAll(/(?:src|href)=|https?:\/\/[^"\s]+/g)].map((m) => m[0])).toEqual(["http://www.w3.org/2000/svg"]);
    // A point per reported score: 12 paper rows x 6 columns less 6 unreported cells = 66 (suites + avg); 3 local runs add 6 + 2 + 6.
    const paperDots = (html.match(/<circle /g) ?? []).length;
    const localDots = (html.match(/<rect x="[\d.]+" y="[\d.]+" width="8"/g) ?? []).length;
    expect(paperDots).toBe(66);
    expect(localDots).toBe(14);
    expect(html).toContain("<td>my/Open-RS-repro</td>");
  });

  it("escapes model names", () => {
    const evil = { ...lb, rows: [{ ...lb.rows[0], model: "<script>x</script> | y" }] };
    expect(leaderboardHtml(evil)).not.toContain("<script>");
    expect(leaderboardMarkdown(evil)).toContain("| <script>x</script> \\| y |");
  });
});

describe("results/LEADERBOARD.md", () => {
  it("is the current rendering of the committed reference and runs (regenerate: openrs-eval leaderboard -o results/LEADERBOARD.md)", () => {
    const results = join(dirname(defaultReferenceFile()), "..");
    const committed = readFileSync(join(results, "LEADERBOARD.md"), "utf8");
    expect(committed).toBe(leaderboardMarkdown(buildLeaderboard(defaultReferenceFile(), join(results, "runs"))));
  });
});

describe("openrs-eval leaderboard", () => {
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const r = await evalCli(["leaderboard", ...args]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  }

  it("prints markdown and names skipped runs on stderr", async () => {
    const r = await cli("--runs", join(root, "runs"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("| my/Open-RS-repro |");
    expect(r.err).toContain("12 reference rows, 3 local runs");
    expect(r.err).toMatch(/skipped .*2026-01-04-future/);
  });

  it("writes HTML to a file", async () => {
    const file = join(root, "lb.html");
    const r = await cli("--format", "html", "--runs", join(root, "runs"), "-o", file);
    expect(r.code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("<svg");
  });

  // (args, expected stderr, why)
  const bad: [string[], RegExp, string][] = [
    [["--runs", join(root, "nope")], /^openrs-eval: runs folder not found: .*nope\n$/, "explicit missing folder"],
    [["--reference", join(root, "nope.json")], /^openrs-eval: reference table not found: /, "missing reference"],
    [["--reference", join(root, "runs", "2026-01-05-broken", "run.json")], /is not valid JSON/, "corrupt reference"],
    [["--format", "pdf"], /argument 'pdf' is invalid/, "unknown format"],
  ];
  it.each(bad)("%j fails with exit 2", async (args, expected) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(expected);
  });
});
