// Reads and verifies a suite's normalised JSONL (count, required fields, unique ids) and turns rows into Problems.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lastBoxContent } from "../grading/extract.js";
import { resolveDataDir } from "./data-dir.js";
import type { BenchmarkRow, Problem, SuiteConfig } from "./types.js";

/** Missing, unreadable or corrupt benchmark data; the message says how to get good data. */
export class BenchmarkDataError extends Error {
  override name = "BenchmarkDataError";
}

export interface LoadOptions {
  /** Folder holding `<suite>.jsonl` (default: resolveDataDir()). */
  dataDir?: string;
  /** Keep only the first N problems (file order), after the whole file has been verified. */
  limit?: number;
}

/** The package root: the nearest folder holding package.json above this module (benchmarks/ or dist/benchmarks/). */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, "package.json"))) return d;
    if (dirname(d) === d) return resolve(start, "..");
  }
}

/** A bundled suite's file under the package root, else `<dataDir>/<suite id>.jsonl`. */
export function suiteFile(suite: SuiteConfig, dataDir: string = resolveDataDir().dir): string {
  if (suite.bundled !== undefined) return join(packageRoot(), suite.bundled);
  return join(dataDir, `${suite.id}.jsonl`);
}

function howToGet(suite: SuiteConfig, dataDir: string): string {
  if (suite.bundled !== undefined) return `${suite.id} ships with the package as ${suite.bundled}; restore it from the repository (git checkout -- ${suite.bundled}) or reinstall`;
  return `run \`openrs-eval data pull --suite ${suite.id} --cache-dir ${dataDir}\` (downloads ${suite.dataset}) or point --data-dir / OPENRS_DATA_DIR at a folder holding ${suite.id}.jsonl`;
}

/**
 * Every row of the suite's file, verified: valid JSON per line, string `id` and `problem`, the gold field
 * (`answer` or `solution`, per goldFrom) a non-empty string, ids unique, and exactly `suite.count` rows.
 */
export function readSuiteRows(suite: SuiteConfig, dataDir?: string): BenchmarkRow[] {
  // A bundled suite never consults the data dir, so a missing one is no error for it.
  dataDir ??= suite.bundled !== undefined ? "" : resolveDataDir().dir;
  const file = suiteFile(suite, dataDir);
  if (!existsSync(file)) throw new BenchmarkDataError(`benchmark file missing: ${file}; ${howToGet(suite, dataDir)}`);
  if (!statSync(file).isFile()) throw new BenchmarkDataError(`benchmark path is not a file: ${file}`);
  const corrupt = (what: string) => new BenchmarkDataError(`${what}; the file is corrupt or incomplete: ${howToGet(suite, dataDir)}`);
  const rows: BenchmarkRow[] = [];
  const seen = new Set<string>();
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw corrupt(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) throw corrupt(`${file}:${i + 1}: not a JSON object`);
    const r = row as Record<string, unknown>;
    for (const field of ["id", "problem", suite.questionField, suite.goldFrom]) {
      if (typeof r[field] !== "string" || (r[field] as string).trim() === "") {
        throw corrupt(`${file}:${i + 1}: field "${field}" missing or not a non-empty string`);
      }
    }
    if (seen.has(r.id as string)) throw corrupt(`${file}:${i + 1}: duplicate id "${r.id}"`);
    seen.add(r.id as string);
    rows.push(r as BenchmarkRow);
  }
  if (rows.length !== suite.count) throw corrupt(`${file}: has ${rows.length} problems, ${suite.id} has ${suite.count}`);
  return rows;
}

/**
 * The gold string the grader compares with. goldFrom "solution" takes the last `\boxed{}` of the solution with
 * the grader's own box reader, as the paper's math-verify gold extraction did for MATH-500 and Minerva.
 */
export function goldOf(suite: SuiteConfig, row: BenchmarkRow): string {
  if (suite.goldFrom === "answer") return row.answer;
  const solution = row.solution;
  const boxed = typeof solution === "string" ? lastBoxContent(solution) : null;
  if (boxed === null || boxed.trim() === "") throw new BenchmarkDataError(`${suite.id} problem ${row.id}: no \\boxed{} answer in its solution`);
  return boxed;
}

/** The suite's problems (verified; see readSuiteRows), optionally only the first `limit`. */
/** Row fields that are not metadata: the problem, its answers and worked solutions (long, and already elsewhere). */
const NOT_META = new Set(["id", "problem", "answer", "solution", "solutions", "final_answer", "url"]);

/** A row's short scalar fields (level, subject, subfield, type, ...), for per-sample records and breakdowns. */
export function problemMeta(suite: SuiteConfig, row: BenchmarkRow): Record<string, string | number | boolean> {
  const meta: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(row)) {
    if (NOT_META.has(k) || k === suite.questionField) continue;
    if (typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= 200)) meta[k] = v;
  }
  return meta;
}

export function loadProblems(suite: SuiteConfig, opts: LoadOptions = {}): Problem[] {
  const { limit } = opts;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const rows = readSuiteRows(suite, opts.dataDir);
  const kept = limit === undefined ? rows : rows.slice(0, limit);
  return kept.map((row) => {
    const meta = problemMeta(suite, row);
    const p: Problem = { id: row.id, suite: suite.id, question: row[suite.questionField] as string, gold: goldOf(suite, row) };
    return Object.freeze(Object.keys(meta).length ? { ...p, meta: Object.freeze(meta) } : p);
  });
}
