// The leaderboard page says when it holds local runs, never shows two rows under one name, and keeps identical runs
// apart in the plot (issue 14, section 6).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultReferenceFile } from "../../src/commands/leaderboard.js";
import { buildLeaderboard, leaderboardHtml, leaderboardMarkdown } from "../../src/leaderboard.js";
import { computeMetrics, type ScoredSample } from "../../src/runner/metrics.js";

const PAPER = ["aime24", "math500", "amc23", "minerva", "olympiadbench"];
const root = mkdtempSync(join(tmpdir(), "openrs-leaderboard-readable-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function samples(rate: number): ScoredSample[] {
  return PAPER.flatMap((suite) =>
    Array.from({ length: 40 }, (_, k) => ({
      suite,
      id: `${suite}/${Math.floor(k / 4)}`,
      sample: k % 4,
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

const runs = join(root, "runs");
// Two runs of the same model with the same scores (a rerun), and another model.
for (const [name, model, rate] of [
  ["2026-01-01-a", "my/model", 0.5],
  ["2026-01-02-b", "my/model", 0.5],
  ["2026-01-03-c", "other/model", 0.3],
] as const) {
  const dir = join(runs, name);
  mkdirSync(dir, { recursive: true });
  const metrics = computeMetrics(samples(rate), { k: [1], resamples: 200 }, PAPER);
  writeFileSync(join(dir, "run.json"), JSON.stringify({ schema: "openrs-run", schemaVersion: 1, status: "complete", model, backend: "openai", settings: { samples: 4, limit: null }, metrics }));
}

describe("leaderboard with local runs", () => {
  const lb = buildLeaderboard(defaultReferenceFile(), runs);

  it("the title says the page holds local runs next to the paper's table", () => {
    expect(lb.title).toBe("Open-RS paper, Table 1: zero-shot pass@1 (%), with 3 local runs");
    const html = leaderboardHtml(lb);
    expect(html).toContain("<title>Open-RS paper, Table 1: zero-shot pass@1 (%), with 3 local runs</title>");
    expect(buildLeaderboard(defaultReferenceFile(), join(root, "none")).title).toBe("Open-RS paper, Table 1: zero-shot pass@1 (%)");
  });

  it("no two rows share a name: runs of one model are told apart by their folder", () => {
    const names = lb.rows.map((r) => r.model);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("my/model (2026-01-01-a)");
    expect(names).toContain("my/model (2026-01-02-b)");
    expect(names).toContain("other/model");
    expect(leaderboardMarkdown(lb)).toContain("| my/model (2026-01-02-b) |");
  });

  it("identical runs are noted as such", () => {
    const b = lb.rows.find((r) => r.model === "my/model (2026-01-02-b)")!;
    expect(b.notes).toContain("same scores as my/model (2026-01-01-a)");
  });

  it("markers never overlap: at least 14 px between neighbouring rows in a column", () => {
    const svg = leaderboardHtml(lb);
    const xs = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="8"/g)].map((m) => Number(m[1]) + 4);
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    const all = [...xs, ...circles].sort((a, b) => a - b);
    const gaps = all.slice(1).map((x, i) => x - all[i]).filter((g) => g > 0.01);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(14 - 0.05);
  });
});
