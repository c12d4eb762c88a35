// Locates and reads the benchmark JSONL files (the data-dir setting); suite registry and downloads come later.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface BenchmarkRow {
  id: string;
  problem: string;
  answer: string;
  solution?: string;
  [field: string]: unknown;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Candidate project roots: from the source tree (grading/..) and from the build output (dist/benchmarks/../..). */
function projectRoots(): string[] {
  return [resolve(here, ".."), resolve(here, "..", "..")];
}

/**
 * The data directory: `OPENRS_DATA_DIR` when set, else `../shared/benchmarks` beside the project root when it exists.
 * Returns null when neither is present.
 */
export function findDataDir(): string | null {
  const env = process.env.OPENRS_DATA_DIR;
  if (env) return resolve(env);
  for (const root of projectRoots()) {
    const p = join(root, "..", "shared", "benchmarks");
    if (existsSync(join(p, "math500.jsonl"))) return p;
  }
  return null;
}

/** Reads `<dataDir>/<suite>.jsonl`, with a clear error naming the file and the bad line. */
export function loadSuite(suite: string, dataDir: string | null = findDataDir()): BenchmarkRow[] {
  if (!dataDir) {
    throw new Error(`benchmark data not found: set OPENRS_DATA_DIR to a folder holding ${suite}.jsonl (or place it in ../shared/benchmarks)`);
  }
  const file = join(dataDir, `${suite}.jsonl`);
  if (!existsSync(file)) throw new Error(`benchmark file missing: ${file}`);
  const rows: BenchmarkRow[] = [];
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let row: BenchmarkRow;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof row.id !== "string" || typeof row.problem !== "string" || typeof row.answer !== "string") {
      throw new Error(`${file}:${i + 1}: missing required field id/problem/answer`);
    }
    rows.push(row);
  });
  return rows;
}

export const ALL_SUITES = ["aime24", "math500", "amc23", "minerva", "olympiadbench", "aime25", "gsm8k"] as const;
