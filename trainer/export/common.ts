// What every export shares: its input, the files it writes, the table of settings whose semantics differ between
// that engine and ours, and validation of the names written against the engine's config schema at a pinned version.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Recipe } from "../recipe.js";

export const ENGINES = ["trl", "verl", "openrlhf"] as const;
export type ExportEngine = (typeof ENGINES)[number];

export interface ExportInput {
  recipe: Recipe;
  /** Policy checkpoint: a local directory or a hub id. Default: the paper's base model. */
  model: string;
  /** Training rows as JSONL ({problem, <goldField>}); null = the recipe's hub dataset, fetched on the training machine. */
  dataRows: DataRow[] | null;
  /** Where serve-rewards listens in run.sh. */
  port: number;
  /** Command that runs this project's CLI on the training machine. */
  cli: string;
}

export interface DataRow {
  problem: string;
  gold: string;
}

export interface ExportFile {
  path: string;
  content: string | Uint8Array;
  executable?: boolean;
}

/** One setting whose meaning differs between the engine and openrs, and what the export chose. */
export interface Difference {
  setting: string;
  ours: string;
  engine: string;
  chosen: string;
}

export interface ExportResult {
  engine: ExportEngine;
  files: ExportFile[];
  differences: Difference[];
}

export const DEFAULT_MODEL = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B";
export const DEFAULT_PORT = 8787;

/** A recipe setting the engine at its pin cannot express: refused, naming the key, rather than exported wrongly. */
export function unsupported(engine: string, key: string, value: unknown, why: string): never {
  throw new Error(`export ${engine}: recipe setting training.${key} = ${JSON.stringify(value)} cannot be expressed (${why})`);
}

const here = dirname(fileURLToPath(import.meta.url));

function schemasDir(): string {
  for (const d of [join(here, "schemas"), resolve(here, "..", "..", "..", "trainer", "export", "schemas")]) {
    if (existsSync(join(d, "trl.json"))) return d;
  }
  throw new Error(`export schemas not found (looked in ${join(here, "schemas")})`);
}

export interface EngineSchema {
  engine: ExportEngine;
  pin: string;
  /** Every valid name (TRL: YAML keys; verl: dotted override paths; OpenRLHF: --flags). */
  names: ReadonlySet<string>;
}

/** The committed list of valid names for an engine at its pin (trainer/export/schemas/<engine>.json). */
export function loadSchema(engine: ExportEngine): EngineSchema {
  const raw = JSON.parse(readFileSync(join(schemasDir(), `${engine}.json`), "utf8")) as Record<string, unknown>;
  const lists: string[][] =
    engine === "trl"
      ? (["grpo_config", "model_config", "script_arguments", "open_rs_grpo_config", "training_arguments"] as const).map((k) => raw[k] as string[])
      : engine === "verl"
        ? [raw.keys as string[]]
        : [raw.flags as string[]];
  return { engine, pin: raw.pin as string, names: new Set(lists.flat()) };
}

/** Throws one line listing every name the schema does not know. */
export function checkNames(schema: EngineSchema, names: readonly string[], extra: readonly string[] = []): void {
  const ok = new Set([...schema.names, ...extra]);
  const bad = names.filter((n) => !ok.has(n));
  if (bad.length) throw new Error(`export ${schema.engine}: ${bad.join(", ")} not in the ${schema.engine} config schema at ${schema.pin}`);
}

/** A markdown table of the differences. */
export function differencesTable(engine: string, pin: string, rows: readonly Difference[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `# ${engine}: settings whose semantics differ from openrs`,
    "",
    `Pinned version: ${pin}. Each row: what openrs does, what ${engine} does, and the value this export chose to match (or why it cannot).`,
    "",
    `| setting | openrs | ${engine} | chosen |`,
    "|---|---|---|---|",
    ...rows.map((r) => `| ${esc(r.setting)} | ${esc(r.ours)} | ${esc(r.engine)} | ${esc(r.chosen)} |`),
    "",
  ].join("\n");
}

/** Single-quotes a string for POSIX sh. */
export function shq(s: string): string {
  return /^[\w./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A Python string literal (JSON's escapes are valid Python for what JSON.stringify emits). */
export function pyStr(s: string): string {
  return JSON.stringify(s);
}

/** The run.sh preamble: start serve-rewards for the recipe, wait for /health, stop it when the trainer exits. */
export function serveRewardsPreamble(input: ExportInput, recipeFile: string): string {
  return `#!/usr/bin/env bash
# Starts openrs's reward server for the recipe, waits until it answers, then runs the trainer; the server stops
# when this script exits. OPENRS selects how to run openrs-eval on this machine.
set -euo pipefail
cd "$(dirname "$0")"
OPENRS=\${OPENRS:-${shq(input.cli)}}
PORT=\${PORT:-${input.port}}
$OPENRS serve-rewards --recipe ${shq(recipeFile)} --port "$PORT" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { echo "serve-rewards exited" >&2; exit 1; }
  sleep 1
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "serve-rewards did not answer on port $PORT within 120 s" >&2; exit 1; }
export OPENRS_REWARD_URL="http://127.0.0.1:$PORT"
`;
}

/** The recipe as the reward server reads it (the training block dropped: the server only scores). */
export function recipeForServer(recipe: Recipe): string {
  const o: Record<string, unknown> = {
    version: 1,
    name: recipe.name,
    reward_funcs: recipe.rewardFuncs,
    reward_weights: recipe.rewardWeights,
  };
  if (Object.keys(recipe.rewardOptions).length) o.reward_options = recipe.rewardOptions;
  if (recipe.maxCompletionLength !== null) o.max_completion_length = recipe.maxCompletionLength;
  if (recipe.tokenizer) o.tokenizer = recipe.tokenizer;
  o.grader_budget_ms = recipe.graderBudgetMs;
  return JSON.stringify(o, null, 2) + "\n";
}

/** Writes the files under dir (created), refusing to overwrite a non-empty directory. */
export function writeExport(dir: string, result: ExportResult): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of result.files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content, f.executable ? { mode: 0o755 } : undefined);
    written.push(f.path);
  }
  return written;
}
