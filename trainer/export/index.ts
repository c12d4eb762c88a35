// `train export`: one recipe, written as the config of an RL engine people run at scale.
import { existsSync, readFileSync } from "node:fs";
import { type DataRow, ENGINES, type ExportEngine, type ExportInput, type ExportResult, differencesTable, loadSchema } from "./common.js";
import { exportOpenRlhf } from "./openrlhf.js";
import { exportTrl } from "./trl.js";
import { exportVerl } from "./verl.js";

export { DEFAULT_MODEL, DEFAULT_PORT, ENGINES, type ExportEngine, type ExportInput, type ExportResult, writeExport } from "./common.js";

/** The engine's files plus differences.md, the table of settings whose semantics differ from openrs. */
export function exportRecipe(engine: ExportEngine, input: ExportInput): ExportResult {
  if (!ENGINES.includes(engine)) throw new Error(`unknown engine "${engine}" (known: ${ENGINES.join(", ")})`);
  const r = engine === "trl" ? exportTrl(input) : engine === "verl" ? exportVerl(input) : exportOpenRlhf(input);
  r.files.push({ path: "differences.md", content: differencesTable(engine, loadSchema(engine).pin, r.differences) });
  return r;
}

/** Training rows from JSONL: a string `problem` and a string gold under `goldField` on every line. */
export function readDataRows(file: string, goldField: string): DataRow[] {
  if (!existsSync(file)) throw new Error(`data file not found: ${file}`);
  const rows: DataRow[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${i + 1}: not valid JSON`);
      }
      const row = o as Record<string, unknown>;
      if (typeof row?.problem !== "string") throw new Error(`${file}:${i + 1}: no string "problem" field`);
      if (typeof row[goldField] !== "string") throw new Error(`${file}:${i + 1}: no string "${goldField}" field (the gold the rewards need; set --gold-field)`);
      rows.push({ problem: row.problem, gold: row[goldField] as string });
    });
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  return rows;
}
