// What `bench list` reports: each suite's config, whether its data file is present and valid, and its prompt hash.
import { existsSync } from "node:fs";
import { type DataDir, resolveDataDir } from "./data-dir.js";
import { readSuiteRows, suiteFile } from "./load.js";
import { promptHash } from "./prompt-hash.js";
import { SUITE_IDS, SUITES } from "./registry.js";
import type { SuiteConfig } from "./types.js";

export interface SuiteStatus {
  id: string;
  name: string;
  dataset: string;
  split: string;
  count: number;
  goldFrom: SuiteConfig["goldFrom"];
  preset: string;
  paper: boolean;
  version: string;
  file: string;
  /** The package-relative file of a suite that ships with the package (no data dir, no download). */
  bundled?: string;
  /**
   * "found" (present and verified), "bundled" (ships with the package, present and verified; nothing to pull),
   * "missing", or "invalid" (present but fails verification; see `error`).
   */
  data: "found" | "bundled" | "missing" | "invalid";
  error?: string;
  /** The paper's recorded prompt hash, ours over the file, and whether they agree (null: nothing to compare). */
  promptHash: { expected: string | null; actual: string | null; ok: boolean | null };
}

export interface BenchListing {
  dataDir: DataDir;
  suites: SuiteStatus[];
}

export async function suiteStatus(suite: SuiteConfig, dataDir: string): Promise<SuiteStatus> {
  const file = suiteFile(suite, dataDir);
  const base = {
    id: suite.id,
    name: suite.name,
    dataset: suite.dataset,
    split: suite.split,
    count: suite.count,
    goldFrom: suite.goldFrom,
    preset: suite.preset,
    paper: suite.paper,
    version: suite.version,
    file,
    ...(suite.bundled !== undefined ? { bundled: suite.bundled } : {}),
  };
  const expected = suite.promptHash ?? null;
  if (!existsSync(file)) return { ...base, data: "missing", promptHash: { expected, actual: null, ok: null } };
  try {
    const rows = readSuiteRows(suite, dataDir);
    const actual = await promptHash(
      rows.map((r) => r[suite.questionField] as string),
      suite.promptTemplate,
    );
    return { ...base, data: suite.bundled !== undefined ? "bundled" : "found", promptHash: { expected, actual, ok: expected === null ? null : actual === expected } };
  } catch (e) {
    return { ...base, data: "invalid", error: (e as Error).message, promptHash: { expected, actual: null, ok: null } };
  }
}

/** Every registered suite's status under the data-dir setting (flag, env, shared, cache). */
export async function listSuites(opts: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<BenchListing> {
  const dataDir = resolveDataDir(opts.dataDir, opts.env);
  const suites: SuiteStatus[] = [];
  for (const id of SUITE_IDS) suites.push(await suiteStatus(SUITES[id], dataDir.dir));
  return { dataDir, suites };
}
