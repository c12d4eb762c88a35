// tokenizer.ts: a checkpoint's tokenizer.json (@huggingface/tokenizers) and chat template (@huggingface/jinja) behind one small interface.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface CheckpointTokenizer {
  encode(text: string): number[];
  decode(ids: ArrayLike<number>, skipSpecial?: boolean): string;
  /** Renders the chat template (with the generation prompt by default). */
  renderChat(messages: ChatMessage[], addGenerationPrompt?: boolean): string;
  /** Ids that end generation: generation_config.json / config.json eos_token_id plus the tokenizer's eos_token. */
  eosIds: number[];
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message.split("\n")[0]}`);
  }
}

function tokenText(t: unknown): string | undefined {
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { content?: unknown }).content === "string") return (t as { content: string }).content;
  return undefined;
}

export function loadTokenizer(dir: string): CheckpointTokenizer {
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    if (!existsSync(join(dir, f))) throw new Error(`${dir}: missing ${f}`);
  const tj = readJson(join(dir, "tokenizer.json"));
  const tc = readJson(join(dir, "tokenizer_config.json"));
  const tok = new Tokenizer(tj, tc);
  const src = typeof tc.chat_template === "string" ? tc.chat_template : null;
  const template = src ? new Template(src) : null;
  const eos = new Set<number>();
  for (const f of ["generation_config.json", "config.json"]) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    const v = readJson(p).eos_token_id;
    for (const id of Array.isArray(v) ? v : [v]) if (typeof id === "number") eos.add(id);
  }
  const eosText = tokenText(tc.eos_token);
  const eosId = eosText === undefined ? undefined : tok.token_to_id(eosText);
  if (eosId !== undefined) eos.add(eosId);
  const special = { bos_token: tokenText(tc.bos_token) ?? "", eos_token: eosText ?? "", pad_token: tokenText(tc.pad_token) ?? "" };
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids, skipSpecial = true) => tok.decode(Array.from(ids), { skip_special_tokens: skipSpecial }),
    renderChat: (messages, addGenerationPrompt = true) => {
      if (!template) throw new Error(`${dir}: tokenizer_config.json has no chat_template`);
      return template.render({ messages, add_generation_prompt: addGenerationPrompt, ...special });
    },
    eosIds: [...eos],
  };
}
