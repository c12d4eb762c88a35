// The data-directory setting: --data-dir, then OPENRS_DATA_DIR, then ../shared/benchmarks, then the download cache.
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Which setting chose the directory (shown by `bench list` so users know where data came from). */
export type DataDirOrigin = "--data-dir" | "OPENRS_DATA_DIR" | "shared" | "cache" | "--cache-dir";

export interface DataDir {
  dir: string;
  origin: DataDirOrigin;
}

const here = dirname(fileURLToPath(import.meta.url));

/** `$XDG_CACHE_HOME/openrs/benchmarks`, else `~/.cache/openrs/benchmarks` (where `data pull` writes by default). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.trim() !== "" ? resolve(xdg) : join(homedir(), ".cache"), "openrs", "benchmarks");
}

/** `../shared/benchmarks` beside the project root (source tree or dist/ build), when that folder exists. */
export function sharedDataDir(): string | null {
  for (const root of [resolve(here, ".."), resolve(here, "..", "..")]) {
    const p = join(root, "..", "shared", "benchmarks");
    if (existsSync(p) && statSync(p).isDirectory()) return p;
  }
  return null;
}

/** Where benchmark JSONL files are read from. The directory need not exist: loading reports what is missing. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): DataDir {
  if (flag !== undefined && flag !== "") return { dir: resolve(flag), origin: "--data-dir" };
  const fromEnv = env.OPENRS_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return { dir: resolve(fromEnv), origin: "OPENRS_DATA_DIR" };
  const shared = sharedDataDir();
  if (shared) return { dir: shared, origin: "shared" };
  return { dir: defaultCacheDir(env), origin: "cache" };
}

/**
 * Where `data pull` writes: --cache-dir, then OPENRS_DATA_DIR (so a later run with the same setting finds the files),
 * then the default cache. Never ../shared/benchmarks, which is read-only reference data.
 */
export function resolvePullDir(flag?: string, env: NodeJS.ProcessEnv = process.env): DataDir {
  if (flag !== undefined && flag !== "") return { dir: resolve(flag), origin: "--cache-dir" };
  const fromEnv = env.OPENRS_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return { dir: resolve(fromEnv), origin: "OPENRS_DATA_DIR" };
  return { dir: defaultCacheDir(env), origin: "cache" };
}

/**
 * The folder the benchmark data is known to be in without a download: OPENRS_DATA_DIR when set, else
 * ../shared/benchmarks when it holds the suites; null otherwise (tests that need real data skip on null).
 */
export function findDataDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env.OPENRS_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  const shared = sharedDataDir();
  return shared && existsSync(join(shared, "math500.jsonl")) ? shared : null;
}
