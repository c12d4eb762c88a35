// SFT data: prompt/completion JSONL pairs turned into token sequences the way generation will see them. The prompt is
// the user message rendered through the model's chat template with the generation prompt (exactly what evaluation
// and rollouts feed the model); the completion's tokens follow, then the end-of-turn token, and only those are scored.
import { readFileSync } from "node:fs";
import { loadTokenizerConfig, tokenText } from "../../native/ts/chat-template.js";
import { type CheckpointTokenizer, loadTokenizer } from "../../native/ts/tokenizer.js";

export interface SftExample {
  /** 1-based line number in the data file. */
  line: number;
  tokens: number[];
  /** Tokens [0, promptLen) are context; the rest are scored. */
  promptLen: number;
}

export interface SftData {
  examples: SftExample[];
  /** Lines skipped under --skip-bad, with their reasons (first few kept for the report). */
  skipped: number;
  skippedReasons: string[];
  /** Examples cut at maxLen (their completion lost its end, the EOS included). */
  truncated: number;
  /** Examples whose prompt alone reaches maxLen: nothing would be scored, so they are left out. */
  dropped: number;
  eosId: number;
}

export class SftDataError extends Error {}

/** The end-of-turn token appended to every completion: the tokenizer config's eos_token, else the first EOS id. */
export function completionEos(modelDir: string, tok: CheckpointTokenizer): number {
  const text = tokenText(loadTokenizerConfig(modelDir).eos_token);
  if (text) {
    const ids = tok.encode(text);
    if (ids.length === 1) return ids[0];
  }
  if (tok.eosIds.length) return tok.eosIds[0];
  throw new SftDataError(`${modelDir}: no EOS token (tokenizer_config.json eos_token or eos_token_id) to end completions with`);
}

/** Validates one JSONL line; returns the pair or the reason it is malformed. */
export function parseLine(text: string): { prompt: string; completion: string } | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not valid JSON (${(e as Error).message.split("\n")[0]})`;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "expected a JSON object with string fields 'prompt' and 'completion'";
  const o = v as Record<string, unknown>;
  for (const k of ["prompt", "completion"] as const) {
    if (!(k in o)) return `missing field '${k}'`;
    if (typeof o[k] !== "string") return `field '${k}' must be a string (got ${o[k] === null ? "null" : Array.isArray(o[k]) ? "array" : typeof o[k]})`;
  }
  if ((o.completion as string).length === 0) return "field 'completion' is empty (nothing to learn)";
  return { prompt: o.prompt as string, completion: o.completion as string };
}

export interface LoadSftOptions {
  maxLen: number;
  /** Skip malformed lines (counted) instead of failing on the first. */
  skipBad?: boolean;
}

/**
 * Reads and tokenizes a data file. Truncation keeps the start: a sequence longer than maxLen loses the end of its
 * completion (prompt kept whole, as generation would see it); a prompt of maxLen tokens or more leaves nothing to
 * score and the example is dropped (counted). A malformed line throws `FILE:LINE: reason` unless skipBad.
 */
export function loadSftData(file: string, modelDir: string, o: LoadSftOptions): SftData {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new SftDataError(`cannot read ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const tok = loadTokenizer(modelDir);
  const eosId = completionEos(modelDir, tok);
  const out: SftData = { examples: [], skipped: 0, skippedReasons: [], truncated: 0, dropped: 0, eosId };
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    const pair = parseLine(raw);
    if (typeof pair === "string") {
      const msg = `${file}:${line}: ${pair}`;
      if (!o.skipBad) throw new SftDataError(`${msg} (use --skip-bad to skip malformed lines)`);
      out.skipped++;
      if (out.skippedReasons.length < 5) out.skippedReasons.push(msg);
      return;
    }
    const prompt = tok.encode(tok.renderChat([{ role: "user", content: pair.prompt }], true));
    const tokens = [...prompt, ...tok.encode(pair.completion), eosId];
    if (prompt.length >= o.maxLen) {
      out.dropped++;
      return;
    }
    if (tokens.length > o.maxLen) {
      out.truncated++;
      tokens.length = o.maxLen;
    }
    out.examples.push({ line, tokens, promptLen: prompt.length });
  });
  if (out.examples.length === 0)
    throw new SftDataError(`${file}: no usable examples (${lines.length} lines, ${out.skipped} malformed, ${out.dropped} with a prompt of --max-len ${o.maxLen} tokens or more)`);
  return out;
}
