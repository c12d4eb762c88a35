// A checkpoint's chat template: read from tokenizer_config.json (a string, or the "default" entry of a named list)
// or from chat_template.jinja beside it, compiled once with @huggingface/jinja and rendered with the special tokens
// the config names. The one renderer: the tokenizer, eval prompts and the trainer all render through it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The parts of a tokenizer_config.json the renderer reads; special tokens are strings or AddedToken objects. */
export interface TokenizerConfig {
  chat_template?: string | { name: string; template: string }[] | null;
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  pad_token?: string | { content: string } | null;
  [key: string]: unknown;
}

/** The text of a special token written as a string or as an AddedToken object ({"content": ...}); "" when absent. */
export function tokenText(t: unknown): string {
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { content?: unknown }).content === "string") return (t as { content: string }).content;
  return "";
}

/** The template text: a plain string, or the "default" entry of a named list (some configs carry several). */
export function chatTemplateOf(config: TokenizerConfig): string {
  const t = config.chat_template;
  if (typeof t === "string" && t !== "") return t;
  if (Array.isArray(t)) {
    const named = t.find((x) => x.name === "default") ?? t[0];
    if (named && typeof named.template === "string") return named.template;
  }
  throw new Error("tokenizer config has no chat_template (the prompt must be rendered through the model's chat template)");
}

/** Reads `<dir>/tokenizer_config.json`, taking the template from `chat_template.jinja` when the config has none. */
export function loadTokenizerConfig(dir: string): TokenizerConfig {
  const file = join(dir, "tokenizer_config.json");
  if (!existsSync(file)) throw new Error(`tokenizer config not found: ${file}`);
  let config: TokenizerConfig;
  try {
    config = JSON.parse(readFileSync(file, "utf8")) as TokenizerConfig;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const jinja = join(dir, "chat_template.jinja");
  if (!config.chat_template && existsSync(jinja)) config = { ...config, chat_template: readFileSync(jinja, "utf8") };
  return config;
}

/** Renders a chat (with the generation prompt unless told otherwise). */
export type ChatRenderer = (messages: readonly ChatMessage[], addGenerationPrompt?: boolean) => string;

/**
 * Compiles the config's template once (parsing dominates the cost) into a renderer. Rendering is interpreted
 * (~0.3 ms a chat) and evaluations render the same chat for every sample, so recent results are remembered.
 */
export function compileChatTemplate(config: TokenizerConfig): ChatRenderer {
  const source = chatTemplateOf(config);
  let template: Template;
  try {
    template = new Template(source);
  } catch (e) {
    throw new Error(`chat_template does not parse: ${(e as Error).message}`);
  }
  const special = { bos_token: tokenText(config.bos_token), eos_token: tokenText(config.eos_token), pad_token: tokenText(config.pad_token) };
  const memo = new Map<string, string>();
  return (messages, addGenerationPrompt = true) => {
    const key = `${addGenerationPrompt ? 1 : 0}${JSON.stringify(messages)}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let text: string;
    try {
      text = template.render({ messages: messages.map((m) => ({ ...m })), add_generation_prompt: addGenerationPrompt, ...special });
    } catch (e) {
      throw new Error(`chat_template failed to render: ${(e as Error).message}`);
    }
    if (memo.size >= 4096) memo.clear();
    memo.set(key, text);
    return text;
  };
}

/** Stands in for an assistant reply while finding what the template writes after one (plain letters: no escaping). */
const REPLY_MARK = "OPENRSREPLYMARK";

/**
 * The strings that end an assistant turn under this tokenizer config: what the chat template writes right after an
 * assistant message (`<|im_end|>`, `<｜end▁of▁sentence｜>`, `<|eot_id|>`, ...) and the EOS token. A server that does
 * not stop on the end token gets them as `stop` strings; templates that cannot render a reply give the EOS alone.
 */
export function endOfTurnStrings(config: TokenizerConfig): string[] {
  const out: string[] = [];
  const add = (t: string): void => {
    if (t !== "" && !out.includes(t)) out.push(t);
  };
  try {
    const messages: ChatMessage[] = [
      { role: "user", content: "Q" },
      { role: "assistant", content: REPLY_MARK },
    ];
    const text = compileChatTemplate(config)(messages, false);
    const at = text.lastIndexOf(REPLY_MARK);
    // The end marker is the first word after the reply: templates follow it with a newline or nothing.
    if (at >= 0) add(text.slice(at + REPLY_MARK.length).trim().split(/\s/)[0] ?? "");
  } catch {
    // a template that refuses this conversation: the EOS token alone
  }
  add(tokenText(config.eos_token));
  return out;
}
