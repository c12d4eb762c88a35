// `openrs-eval bench list`: the table and the JSON, over the real data folder and over temp folders with missing/broken files.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { SUITE_IDS } from "../../benchmarks/registry.js";
import type { BenchListing } from "../../benchmarks/status.js";
import { main } from "../../src/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-benchcli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dataDir = findDataDir();
if (!dataDir) console.warn("bench list real-data tests skipped: ../shared/benchmarks not found and OPENRS_DATA_DIR not set");

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    }) as never;
  const code = await main(["node", "openrs-eval", ...args], sink((s) => (stdout += s)), sink((s) => (stderr += s)));
  return { code, stdout, stderr };
}

describe("bench list on an empty and a partly broken folder", () => {
  const dir = join(tmp, "partial");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "aime24.jsonl"), '{"id": "aime24/60", "problem": "p", "answer": "1"}\n{"id": "aime24/61"'); // torn

  it("table: every suite, INVALID with its reason, missing ones, and the pull command to fix them", async () => {
    const r = await cli(["bench", "list", "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`data dir: ${dir} (from --data-dir)`);
    expect(lines[2]).toMatch(/│ suite\s+│ name\s+│ problems │ gold from │ preset\s+│ paper │ data\s+│ lighteval hash\s+│/);
    expect(r.stdout).toMatch(/│ aime24\s+│ AIME24\s+│ 30\s+│ answer\s+│ eval-numeric │ yes\s+│ INVALID │ -/);
    expect(r.stdout).toMatch(/│ math500\s+│ MATH-500\s+│ 500\s+│ solution\s+│ eval-numeric │ yes\s+│ missing │ -/);
    expect(r.stdout).toMatch(/│ gsm8k\s+│ GSM8K\s+│ 1319\s+│ answer\s+│ eval-numeric │\s+│ missing │ not recorded/);
    expect(r.stdout).toContain(`aime24: ${join(dir, "aime24.jsonl")}:2: not valid JSON`);
    expect(r.stdout).toContain(`to get aime24, math500, amc23, minerva, olympiadbench, aime25, gsm8k: openrs-eval data pull --suite aime24,math500,amc23,minerva,olympiadbench,aime25,gsm8k --cache-dir ${dir}`);
  });

  it("--json: machine-readable status per suite", async () => {
    const r = await cli(["bench", "list", "--json", "--data-dir", dir]);
    expect(r.code).toBe(0);
    const listing = JSON.parse(r.stdout) as BenchListing;
    expect(listing.dataDir).toEqual({ dir, origin: "--data-dir" });
    expect(listing.suites.map((s) => s.id)).toEqual(SUITE_IDS);
    const aime = listing.suites[0];
    expect(aime).toMatchObject({ id: "aime24", count: 30, data: "invalid", paper: true, file: join(dir, "aime24.jsonl"), promptHash: { expected: "ddec8fc79d0a014b", actual: null, ok: null } });
    expect(aime.error).toMatch(/not valid JSON/);
    expect(listing.suites[1]).toMatchObject({ id: "math500", data: "missing", goldFrom: "solution" });
  });

  it("OPENRS_DATA_DIR is used when there is no flag", async () => {
    const saved = process.env.OPENRS_DATA_DIR;
    process.env.OPENRS_DATA_DIR = dir;
    try {
      const listing = JSON.parse((await cli(["bench", "list", "--json"])).stdout) as BenchListing;
      expect(listing.dataDir).toEqual({ dir, origin: "OPENRS_DATA_DIR" });
    } finally {
      if (saved === undefined) delete process.env.OPENRS_DATA_DIR;
      else process.env.OPENRS_DATA_DIR = saved;
    }
  });
});

describe.skipIf(!dataDir)("bench list on the real data", () => {
  it("every suite found; the paper's five match the recorded prompt hashes", async () => {
    const listing = JSON.parse((await cli(["bench", "list", "--json", "--data-dir", dataDir!])).stdout) as BenchListing;
    for (const s of listing.suites) {
      expect(s.data, s.id).toBe(s.bundled ? "bundled" : "found");
      expect(s.promptHash.ok, s.id).toBe(s.promptHash.expected !== null ? true : null);
    }
  });

  it("a file with one problem text changed is flagged MISMATCH", async () => {
    const dir = join(tmp, "tampered");
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(dataDir!, "amc23.jsonl"), join(dir, "amc23.jsonl"));
    const text = readFileSync(join(dir, "amc23.jsonl"), "utf8");
    writeFileSync(join(dir, "amc23.jsonl"), text.replace("Cities $A$", "Cities  $A$"));
    const r = await cli(["bench", "list", "--data-dir", dir]);
    expect(r.stdout).toMatch(/│ amc23\s+│ AMC23\s+│ 40\s+│ answer\s+│ eval-numeric │ yes\s+│ found\s+│ MISMATCH [0-9a-f]{16} \(paper 57f3ead69f601b6a\)/);
  });
});
