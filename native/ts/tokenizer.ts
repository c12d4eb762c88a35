// tokenizer.ts: a checkpoint's tokenizer.json (@huggingface/tokenizers) and chat template (@huggingface/jinja) behind one small interface.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

import { type ChatMessage, compileChatTemplate, loadTokenizerConfig, tokenText } from "./chat-template.js";

export type { ChatMessage } from "./chat-template.js";

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

export function loadTokenizer(dir: string): CheckpointTokenizer {
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    if (!existsSync(join(dir, f))) throw new Error(`${dir}: missing ${f}`);
  const tj = readJson(join(dir, "tokenizer.json"));
  const tc = loadTokenizerConfig(dir);
  const tok = new Tokenizer(tj, tc);
  // Compiled on first use: a checkpoint without a template still tokenizes.
  let render: ReturnType<typeof compileChatTemplate> | null = null;
  const eos = new Set<number>();
  for (const f of ["generation_config.json", "config.json"]) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    const v = readJson(p).eos_token_id;
    for (const id of Array.isArray(v) ? v : [v]) if (typeof id === "number") eos.add(id);
  }
  const eosText = tokenText(tc.eos_token);
  const eosId = eosText === "" ? undefined : tok.token_to_id(eosText);
  if (eosId !== undefined) eos.add(eosId);
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids, skipSpecial = true) => tok.decode(Array.from(ids), { skip_special_tokens: skipSpecial }),
    renderChat: (messages, addGenerationPrompt = true) => {
      try {
        render ??= compileChatTemplate(tc);
      } catch (e) {
        throw new Error(`${dir}: ${(e as Error).message}`);
      }
      return render(messages, addGenerationPrompt);
    },
    eosIds: [...eos],
  };
}
