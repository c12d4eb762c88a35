// `data pull` as a library: find a suite's split files on the hub, decode, normalise, verify, write JSONL atomically.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { EXTRACTION_RULES } from "../grading/extract.js";
import { type DataFormat, decodeRows, formatOf } from "./decode.js";
import { downloadDatasetFile, type HubFile, type HubOptions, listDatasetFiles } from "./hub.js";
import { goldOf, readSuiteRows, suiteFile } from "./load.js";
import type { SuiteSource } from "./source.js";
import type { BenchmarkRow, SuiteConfig } from "./types.js";

export interface PullOptions {
  /** Folder the normalised `<suite>.jsonl` is written to. */
  dir: string;
  hub?: HubOptions;
  /** Download even when a verified file is already there. */
  force?: boolean;
  /** Progress lines (for stderr). */
  onProgress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface PullResult {
  suite: string;
  file: string;
  problems: number;
  /** True when a verified file was already present and nothing was downloaded. */
  skipped: boolean;
  /** Repo paths downloaded. */
  sourceFiles: string[];
  bytes: number;
}

const METADATA_JSON = /^(dataset_infos?|dataset_dict|state|config)\.json$/i;
const ANY_SPLIT = /(^|[/_.-])(train|test|validation|valid|dev|eval)([/_.-]|$)/i;

function stem(path: string): string {
  return path.replace(/\.(parquet|jsonl|ndjson|json)$/i, "");
}

/**
 * The data files of one split, the way the `datasets` library infers splits: the split name as a word in the path
 * (`test.jsonl`, `data/test-00000-of-00001.parquet`, `main/test-...`); a repo with no split words at all is `train`.
 * Only the config's folder is searched when the suite names a config. One format is used, parquet preferred.
 */
export function selectSplitFiles(files: readonly HubFile[], split: string, config?: string): HubFile[] {
  const data = files.filter((f) => {
    if (formatOf(f.path) === null || METADATA_JSON.test(basename(f.path))) return false;
    if (f.path.split("/").some((part) => part.startsWith("."))) return false;
    return config === undefined || f.path.startsWith(`${config}/`);
  });
  const word = new RegExp(`(^|[/_.-])${split.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([/_.-]|$)`, "i");
  let chosen = data.filter((f) => word.test(stem(f.path)));
  if (chosen.length === 0 && split === "train") chosen = data.filter((f) => !ANY_SPLIT.test(stem(f.path)));
  for (const format of ["parquet", "jsonl", "json"] as DataFormat[]) {
    const of = chosen.filter((f) => formatOf(f.path) === format);
    if (of.length > 0) return of.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return [];
}

function pick(row: Record<string, unknown>, names: readonly string[] | undefined): unknown {
  for (const n of names ?? []) if (row[n] !== undefined && row[n] !== null) return row[n];
  return undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" || typeof x === "number")) return v.map(String).join(", ");
  return undefined;
}

/** Source rows -> the normalised schema (id, source_id, index, problem, answer, solution, kept metadata). */
export function normalizeRows(suite: SuiteConfig, source: SuiteSource, rows: readonly Record<string, unknown>[]): BenchmarkRow[] {
  return rows.map((row, index) => {
    const where = `${suite.id}: ${suite.dataset} row ${index}`;
    const columns = () => Object.keys(row).join(", ");
    const problem = pick(row, source.fields.problem);
    if (typeof problem !== "string" || problem.trim() === "") {
      throw new Error(`${where} has no problem text (looked for ${source.fields.problem.join("/")}; columns: ${columns()})`);
    }
    const sourceId = pick(row, source.fields.id);
    const rawSolution = pick(row, source.fields.solution);
    const solution = Array.isArray(rawSolution) ? (typeof rawSolution[0] === "string" ? rawSolution[0] : undefined) : text(rawSolution);
    let answer = text(pick(row, source.fields.answer));
    if (answer === undefined && solution !== undefined && source.deriveAnswer === "boxed-in-solution") {
      answer = EXTRACTION_RULES.boxed(solution) ?? undefined;
    }
    if (answer === undefined && solution !== undefined && source.deriveAnswer === "after-hashes" && solution.includes("####")) {
      answer = solution.slice(solution.lastIndexOf("####") + 4).trim();
    }
    if (answer === undefined || answer.trim() === "") {
      const looked = [...(source.fields.answer ?? []), ...(source.deriveAnswer ? [`${source.deriveAnswer} of ${(source.fields.solution ?? []).join("/")}`] : [])];
      throw new Error(`${where} has no answer (looked for ${looked.join(", ")}; columns: ${columns()})`);
    }
    const out: BenchmarkRow = {
      id: `${suite.id}/${typeof sourceId === "string" || typeof sourceId === "number" ? sourceId : index}`,
      ...(sourceId !== undefined ? { source_id: sourceId } : {}),
      index,
      problem,
      answer,
      ...(solution !== undefined ? { solution } : {}),
    };
    for (const k of source.keep ?? []) if (row[k] !== undefined && !(k in out)) out[k] = row[k];
    return out;
  });
}

/** Count, required fields, unique ids and a readable gold for every row; throws a one-line Error. */
export function verifyRows(suite: SuiteConfig, rows: readonly BenchmarkRow[]): void {
  if (rows.length !== suite.count) throw new Error(`${suite.id}: ${suite.dataset} split ${suite.split} has ${rows.length} rows, expected ${suite.count}`);
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.id)) throw new Error(`${suite.id}: duplicate id "${row.id}" in ${suite.dataset}`);
    seen.add(row.id);
    const gold = row[suite.goldFrom];
    if (typeof gold !== "string" || gold.trim() === "") throw new Error(`${suite.id}: problem ${row.id} has no ${suite.goldFrom}, which this suite grades against`);
    goldOf(suite, row);
  }
}

/** Writes the file whole or not at all: temp file in the same folder, fsync, rename over the target. */
export function writeJsonlAtomic(file: string, rows: readonly unknown[]): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      writeFileSync(fd, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function kb(n: number | null): string {
  if (n === null) return "size unknown";
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} kB`;
}

/** Downloads, normalises, verifies and writes one suite; skips when a verified file is already present. */
export async function pullSuite(suite: SuiteConfig, source: SuiteSource, opts: PullOptions): Promise<PullResult> {
  const say = opts.onProgress ?? (() => {});
  const file = suiteFile(suite, opts.dir);
  if (!opts.force && existsSync(file)) {
    try {
      const rows = readSuiteRows(suite, opts.dir);
      say(`${suite.id}: already present and verified (${rows.length} problems) in ${file}`);
      return { suite: suite.id, file, problems: rows.length, skipped: true, sourceFiles: [], bytes: 0 };
    } catch {
      say(`${suite.id}: existing ${file} does not verify; downloading again`);
    }
  }
  const env = opts.env ?? process.env;
  const hub = opts.hub ?? {};
  say(`${suite.id}: listing ${suite.dataset}`);
  const files = await listDatasetFiles(suite.dataset, hub, env);
  const chosen = selectSplitFiles(files, suite.split, source.config);
  if (chosen.length === 0) {
    const where = source.config ? ` config ${source.config}` : "";
    throw new Error(`${suite.id}: no parquet/JSON files for split "${suite.split}"${where} in ${suite.dataset} (${files.length} files listed)`);
  }
  const raw: Record<string, unknown>[] = [];
  let bytes = 0;
  for (let i = 0; i < chosen.length; i++) {
    const f = chosen[i];
    say(`${suite.id}: downloading ${f.path} (${kb(f.size)}) [${i + 1}/${chosen.length}]`);
    const body = await downloadDatasetFile(suite.dataset, f.path, hub, env);
    bytes += body.byteLength;
    raw.push(...(await decodeRows(body, formatOf(f.path)!, `${suite.dataset}/${f.path}`)));
  }
  const rows = normalizeRows(suite, source, raw);
  verifyRows(suite, rows);
  writeJsonlAtomic(file, rows);
  readSuiteRows(suite, opts.dir); // the written file must pass the same check every run applies
  say(`${suite.id}: ${rows.length} problems verified, wrote ${file}`);
  return { suite: suite.id, file, problems: rows.length, skipped: false, sourceFiles: chosen.map((f) => f.path), bytes };
}
