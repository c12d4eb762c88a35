// The paper's user prompt and its rendering through a model's chat template (tokenizer_config.json, @huggingface/jinja).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";

/**
 * Open-RS's evaluation prompt, byte-exact (../shared/benchmarks/README.md): two spaces after "clearly.", one
 * backslash before `boxed`, a blank line before the problem, no trailing newline. `{Question}` is the problem text.
 */
export const PAPER_PROMPT_TEMPLATE =
  "Solve the following math problem efficiently and clearly.  The last line of your response should be of the following format: " +
  "'Therefore, the final answer is: $\\boxed{ANSWER}$. I hope it is correct' (without quotes) where ANSWER is just the final " +
  "number or expression that solves the problem. Think step by step before answering.\n\n{Question}";

/** The user message for one problem. A function replacement, so `$&`-style patterns in problems stay literal. */
export function userPrompt(question: string, template: string = PAPER_PROMPT_TEMPLATE): string {
  return template.replace("{Question}", () => question);
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface PromptOptions {
  /** A system message before the user turn; the paper used none. */
  systemPrompt?: string;
  /** User-prompt template with `{Question}` (default: the paper's). */
  template?: string;
}

/** The chat the paper sent: (optional system message and) the one user message. */
export function chatMessages(question: string, opts: PromptOptions = {}): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (opts.systemPrompt !== undefined) messages.push({ role: "system", content: opts.systemPrompt });
  messages.push({ role: "user", content: userPrompt(question, opts.template) });
  return messages;
}

/** The parts of a tokenizer_config.json the renderer reads; special tokens are strings or AddedToken objects. */
export interface TokenizerConfig {
  chat_template?: string | { name: string; template: string }[] | null;
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  [key: string]: unknown;
}

function tokenText(t: unknown): string {
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

/** A compiled renderer: parse the template once, render every problem with it (parsing dominates the cost). */
export function compileChatPrompt(config: TokenizerConfig, opts: PromptOptions = {}): (question: string) => string {
  const source = chatTemplateOf(config);
  let template: Template;
  try {
    template = new Template(source);
  } catch (e) {
    throw new Error(`chat_template does not parse: ${(e as Error).message}`);
  }
  const bos_token = tokenText(config.bos_token);
  const eos_token = tokenText(config.eos_token);
  // Rendering is interpreted (~0.3 ms per prompt) and runs repeat problems for every sample: remember recent ones.
  const memo = new Map<string, string>();
  return (question: string) => {
    const hit = memo.get(question);
    if (hit !== undefined) return hit;
    let text: string;
    try {
      text = template.render({ messages: chatMessages(question, opts), add_generation_prompt: true, bos_token, eos_token });
    } catch (e) {
      throw new Error(`chat_template failed to render: ${(e as Error).message}`);
    }
    if (memo.size >= 4096) memo.clear();
    memo.set(question, text);
    return text;
  };
}

/**
 * The full prompt text for one problem: chat template applied to the paper's user message, generation prompt added.
 * The text starts with the template's BOS token when the template writes one, so tokenize it without adding
 * special tokens again.
 */
export function renderChatPrompt(question: string, tokenizerConfig: TokenizerConfig, opts: PromptOptions = {}): string {
  return compileChatPrompt(tokenizerConfig, opts)(question);
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
  const bos_token = tokenText(config.bos_token);
  const eos_token = tokenText(config.eos_token);
  try {
    const messages = [
      { role: "user", content: "Q" },
      { role: "assistant", content: REPLY_MARK },
    ];
    const text = new Template(chatTemplateOf(config)).render({ messages, add_generation_prompt: false, bos_token, eos_token });
    const at = text.lastIndexOf(REPLY_MARK);
    // The end marker is the first word after the reply: templates follow it with a newline or nothing.
    if (at >= 0) add(text.slice(at + REPLY_MARK.length).trim().split(/\s/)[0] ?? "");
  } catch {
    // a template that refuses this conversation: the EOS token alone
  }
  add(eos_token);
  return out;
}
