// The leaderboard never places a synthetic run (made-up completions, such as the shipped example) among measured rows.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { buildLeaderboard, leaderboardHtml, leaderboardMarkdown } from "../../src/leaderboard.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const reference = join(root, "results", "reference", "paper_table1.json");
const tmp = mkdtempSync(join(tmpdir(), "openrs-lb-synthetic-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeRun(name: string, extra: Record<string, unknown>): void {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const metrics = { suites: { aime24: { primary: "pass@1:n=1", scores: { "pass@1:n=1": 0.3 }, ci95: { lo: 0.1, hi: 0.5 } } }, overall: null };
  writeFileSync(join(dir, "run.json"), JSON.stringify({ schema: "openrs-run", schemaVersion: 1, status: "complete", model: name, backend: "replay", settings: { samples: 1, limit: null }, metrics, ...extra }));
}

describe("synthetic runs", () => {
  it("are listed as skipped, never as a row, in markdown and HTML", () => {
    writeRun("measured", {});
    writeRun("example", { synthetic: true });
    const lb = buildLeaderboard(reference, tmp);
    expect(lb.rows.filter((r) => r.kind === "local").map((r) => r.model)).toEqual(["measured"]);
    expect(lb.warnings).toEqual([expect.stringMatching(/example: synthetic completions, not a model's outputs/)]);
    expect(leaderboardMarkdown(lb)).not.toMatch(/\| example \|/);
    expect(leaderboardHtml(lb)).toMatch(/Runs not shown: .*synthetic completions/);
  });
});
