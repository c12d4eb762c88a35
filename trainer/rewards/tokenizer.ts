// Token counts for the clamped cosine reward from a Hugging Face tokenizer.json (pure-JS @huggingface/tokenizers).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import type { TokenCounter } from "./types.js";

/**
 * A TokenCounter over a loaded tokenizer; counts without special tokens (the completion only).
 *
 * `countUpTo(text, limit)` is exact below `limit` and bounded in time above it: no token covers more UTF-8 bytes than
 * the longest vocabulary entry written out (`maxTokenBytes`, an over-estimate for byte-level and sentencepiece
 * vocabularies), so a text of more than `limit * maxTokenBytes` bytes has at least `limit` tokens and is not
 * tokenized at all. (This assumes the normalizer does not delete text, true of the usual NFC/NFKC/Prepend ones.)
 */
export class TokenizerCounter implements TokenCounter {
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly source: string,
    readonly maxTokenBytes: number,
  ) {}

  count(text: string): number {
    if (text.length === 0) return 0;
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids.length;
  }

  countUpTo(text: string, limit: number): number {
    // text.length (UTF-16 units) ≤ UTF-8 bytes, so this check is cheap and only ever skips certain saturation.
    if (text.length > limit * this.maxTokenBytes || Buffer.byteLength(text, "utf8") > limit * this.maxTokenBytes) return limit;
    return this.count(text);
  }
}

/** UTF-8 length of the longest vocabulary entry or added token (at least 1). */
export function longestTokenBytes(tokenizerJson: Record<string, unknown>): number {
  let max = 1;
  const see = (s: unknown) => {
    if (typeof s === "string") max = Math.max(max, Buffer.byteLength(s, "utf8"));
  };
  const model = tokenizerJson.model as { vocab?: unknown } | undefined;
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) for (const e of vocab) see(Array.isArray(e) ? e[0] : e);
  else if (vocab && typeof vocab === "object") for (const k of Object.keys(vocab)) see(k);
  const added = tokenizerJson.added_tokens;
  if (Array.isArray(added)) for (const t of added) see((t as { content?: unknown })?.content);
  return max;
}

/** Builds a counter from parsed tokenizer.json (and optional tokenizer_config.json) objects. */
export function tokenCounterFromJson(tokenizerJson: object, config: object = {}, source = "inline"): TokenizerCounter {
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tokenizerJson, config);
  } catch (e) {
    throw new Error(`tokenizer ${source}: cannot build a tokenizer from it (${(e as Error).message})`);
  }
  return new TokenizerCounter(tok, source, longestTokenBytes(tokenizerJson as Record<string, unknown>));
}

/**
 * Loads `path` (a tokenizer.json, or a folder holding one); a tokenizer_config.json beside it is read when present.
 * Throws a one-line error naming the file on a missing or malformed input.
 */
export function loadTokenCounter(path: string): TokenizerCounter {
  let file = path;
  if (existsSync(path) && statSync(path).isDirectory()) file = join(path, "tokenizer.json");
  if (!existsSync(file)) throw new Error(`tokenizer not found: ${file}`);
  const read = (f: string): object => {
    try {
      const v = JSON.parse(readFileSync(f, "utf8"));
      if (v === null || typeof v !== "object") throw new Error("not a JSON object");
      return v;
    } catch (e) {
      throw new Error(`tokenizer ${f}: not valid JSON (${(e as Error).message})`);
    }
  };
  const cfgFile = join(dirname(file), "tokenizer_config.json");
  return tokenCounterFromJson(read(file), existsSync(cfgFile) ? read(cfgFile) : {}, file);
}
