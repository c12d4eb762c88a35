// GRPO prompts: JSONL rows with a problem and (when a reward grades) a gold answer, rendered with the recipe's
// system prompt through the model's chat template and tokenized once. Prompts over max_prompt_length are cut from
// the left (TRL) or skipped, as the recipe says, and counted. Bad rows are one-line errors naming the line.
import { readFileSync } from "node:fs";
import type { CheckpointTokenizer } from "../../native/ts/tokenizer.js";
import type { LongPrompts } from "../training-config.js";

export interface GrpoPrompt {
  /** 1-based line in the data file. */
  line: number;
  problem: string;
  gold: string | null;
  tokens: number[];
}

export interface GrpoData {
  prompts: GrpoPrompt[];
  problemField: string;
  goldField: string | null;
  /** Prompts cut to their last max_prompt_length tokens. */
  truncated: number;
  /** Prompts skipped for length (long_prompts: skip). */
  skipped: number;
}

export class GrpoDataError extends Error {}

export interface GrpoDataOptions {
  systemPrompt: string | null;
  maxPromptLength: number;
  longPrompts: LongPrompts;
  /** Field holding the problem; default the first of problem, prompt, question present in the first row. */
  problemField?: string;
  /** Field holding the gold answer; default the first of answer, solution present in the first row. */
  goldField?: string;
  /** A reward grades against the gold, so every row must carry it. */
  needsGold: boolean;
}

const PROBLEM_FIELDS = ["problem", "prompt", "question"];
const GOLD_FIELDS = ["answer", "solution"];

export function loadGrpoData(file: string, tok: CheckpointTokenizer, o: GrpoDataOptions): GrpoData {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new GrpoDataError(`--data ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const rows: { line: number; row: Record<string, unknown> }[] = [];
  text.split("\n").forEach((l, i) => {
    if (!l.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(l);
    } catch (e) {
      throw new GrpoDataError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) throw new GrpoDataError(`${file}:${i + 1}: each line must be a JSON object`);
    rows.push({ line: i + 1, row: row as Record<string, unknown> });
  });
  if (rows.length === 0) throw new GrpoDataError(`${file}: no rows`);
  const first = rows[0].row;
  const problemField = o.problemField ?? PROBLEM_FIELDS.find((f) => f in first);
  if (!problemField) throw new GrpoDataError(`${file}:${rows[0].line}: no problem field (looked for ${PROBLEM_FIELDS.join(", ")}; name it with --problem-field)`);
  const goldField = o.goldField ?? GOLD_FIELDS.find((f) => f in first) ?? null;
  if (o.needsGold && goldField === null) throw new GrpoDataError(`${file}:${rows[0].line}: the recipe's rewards grade answers but the row has no gold field (looked for ${GOLD_FIELDS.join(", ")}; name it with --gold-field)`);
  const out: GrpoData = { prompts: [], problemField, goldField, truncated: 0, skipped: 0 };
  for (const { line, row } of rows) {
    const problem = row[problemField];
    if (typeof problem !== "string" || !problem.trim()) throw new GrpoDataError(`${file}:${line}: "${problemField}" must be a non-empty string`);
    let gold: string | null = null;
    if (goldField !== null) {
      const g = row[goldField];
      if (typeof g === "number") gold = String(g);
      else if (typeof g === "string") gold = g;
      else if (o.needsGold) throw new GrpoDataError(`${file}:${line}: missing gold field "${goldField}" (a string or number), which the recipe's rewards need`);
    }
    const messages = [...(o.systemPrompt !== null ? [{ role: "system", content: o.systemPrompt }] : []), { role: "user", content: problem }];
    let tokens = tok.encode(tok.renderChat(messages as never, true));
    if (tokens.length > o.maxPromptLength) {
      if (o.longPrompts === "skip") {
        out.skipped++;
        continue;
      }
      tokens = tokens.slice(tokens.length - o.maxPromptLength);
      out.truncated++;
    }
    out.prompts.push({ line, problem, gold, tokens });
  }
  if (out.prompts.length === 0) throw new GrpoDataError(`${file}: every prompt is longer than max_prompt_length ${o.maxPromptLength} (all ${out.skipped} skipped)`);
  return out;
}
