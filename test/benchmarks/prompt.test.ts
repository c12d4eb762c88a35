// The paper's user prompt (byte-exact) and its rendering through chat templates with @huggingface/jinja.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chatMessages, PAPER_PROMPT_TEMPLATE, userPrompt } from "../../benchmarks/prompt.js";
import { loadTokenizerConfig, type TokenizerConfig } from "../../native/ts/chat-template.js";
import { compileChatPrompt, renderChatPrompt } from "../../src/runner/prepare.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-prompt-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The chat_template of DeepSeek-R1-Distill-Qwen-1.5B's tokenizer_config.json (the revision that appends "<think>\n"
 * to the generation prompt), as the model card's file has it to the best of our knowledge. Tool-call branches kept.
 */
const R1_DISTILL_TEMPLATE =
  "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}" +
  "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}" +
  "{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}" +
  "{{bos_token}}{{ns.system_prompt}}" +
  "{%- for message in messages %}" +
  "{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}" +
  "{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}" +
  "{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}" +
  "{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}" +
  "{%- set ns.is_first = true -%}{%- else %}" +
  "{{'\\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}" +
  "{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}" +
  "{%- if message['role'] == 'assistant' and message['content'] is not none %}" +
  "{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}" +
  "{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}" +
  "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}" +
  "{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}" +
  "{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}" +
  "{%- else %}{{'\\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}" +
  "{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}" +
  "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}";

const BOS = "<｜begin▁of▁sentence｜>";
const EOS = "<｜end▁of▁sentence｜>";

/** As tokenizer_config.json stores them: special tokens as AddedToken objects. */
const R1_CONFIG: TokenizerConfig = {
  add_bos_token: true,
  bos_token: { __type: "AddedToken", content: BOS, lstrip: false, normalized: true, rstrip: false, single_word: false } as unknown as { content: string },
  eos_token: { __type: "AddedToken", content: EOS, lstrip: false, normalized: true, rstrip: false, single_word: false } as unknown as { content: string },
  chat_template: R1_DISTILL_TEMPLATE,
};

/** Qwen2.5's ChatML template (default system prompt when none is given), a second real template family. */
const CHATML_TEMPLATE =
  "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
  "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}" +
  "{%- for message in messages %}{%- if message.role == 'user' or (message.role == 'system' and not loop.first) or message.role == 'assistant' %}" +
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const Q = "Find $x$ if $2x = \\frac{1}{2}$ and $$y$$ costs \\$5 ($&, $1, $$).";

describe("the paper's user prompt", () => {
  it("is byte-exact: two spaces after 'clearly.', one backslash before boxed, blank line, no trailing newline", () => {
    expect(PAPER_PROMPT_TEMPLATE.startsWith("Solve the following math problem efficiently and clearly.  The last line of your response")).toBe(true);
    expect(PAPER_PROMPT_TEMPLATE).toContain("'Therefore, the final answer is: $\\boxed{ANSWER}$. I hope it is correct' (without quotes)");
    expect(PAPER_PROMPT_TEMPLATE.split("\\").length - 1).toBe(1);
    expect(PAPER_PROMPT_TEMPLATE.endsWith("Think step by step before answering.\n\n{Question}")).toBe(true);
    expect(Buffer.byteLength(PAPER_PROMPT_TEMPLATE, "utf8")).toBe(PAPER_PROMPT_TEMPLATE.length); // ASCII only
  });

  const rows: [string, string, string][] = [
    ["plain", "What is 1+1?", "What is 1+1?"],
    ["replacement patterns stay literal", "Pay $& or $1 or $$ or $' now", "Pay $& or $1 or $$ or $' now"],
    ["trailing newline in the problem is kept", "x\n", "x\n"],
    ["a literal {Question} in the problem is not re-expanded", "say {Question}", "say {Question}"],
  ];
  it.each(rows)("%s", (_why, question, tail) => {
    const p = userPrompt(question);
    expect(p).toBe(PAPER_PROMPT_TEMPLATE.slice(0, -"{Question}".length) + tail);
    expect(p.endsWith(`\n\n${tail}`)).toBe(true);
  });

  it("chat messages: one user turn, optional system turn first", () => {
    expect(chatMessages("q")).toEqual([{ role: "user", content: userPrompt("q") }]);
    expect(chatMessages("q", { systemPrompt: "S" })).toEqual([
      { role: "system", content: "S" },
      { role: "user", content: userPrompt("q") },
    ]);
  });
});

describe("renderChatPrompt", () => {
  it("DeepSeek-R1-Distill-Qwen: BOS, user turn byte-exact, generation prompt with <think>", () => {
    const out = renderChatPrompt(Q, R1_CONFIG);
    expect(out).toBe(`${BOS}<｜User｜>${userPrompt(Q)}<｜Assistant｜><think>\n`);
    expect(out.endsWith("<｜Assistant｜><think>\n")).toBe(true);
  });

  it("DeepSeek-R1-Distill-Qwen with a system prompt: the template puts it right after BOS", () => {
    expect(renderChatPrompt(Q, R1_CONFIG, { systemPrompt: "Be brief." })).toBe(`${BOS}Be brief.<｜User｜>${userPrompt(Q)}<｜Assistant｜><think>\n`);
  });

  it("ChatML (Qwen2.5): default system turn, user turn, assistant generation prompt", () => {
    const cfg: TokenizerConfig = { chat_template: CHATML_TEMPLATE, bos_token: null, eos_token: "<|im_end|>" };
    expect(renderChatPrompt(Q, cfg)).toBe(
      `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${userPrompt(Q)}<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it("string special tokens and a named template list are accepted", () => {
    const cfg: TokenizerConfig = { bos_token: "<s>", eos_token: "</s>", chat_template: [{ name: "tool_use", template: "T" }, { name: "default", template: "{{ bos_token }}[{{ messages[0].content }}]" }] };
    expect(renderChatPrompt("q", cfg)).toBe(`<s>[${userPrompt("q")}]`);
  });

  it("a compiled renderer gives the same text for every problem as the one-shot call", () => {
    const render = compileChatPrompt(R1_CONFIG);
    for (const q of ["a", Q, "ünïcödé ∑ 𝑥"]) expect(render(q)).toBe(renderChatPrompt(q, R1_CONFIG));
  });

  const bad: [string, TokenizerConfig, RegExp][] = [
    ["no chat_template", { bos_token: "<s>" }, /no chat_template/],
    ["empty chat_template", { chat_template: "" }, /no chat_template/],
    ["template that does not parse", { chat_template: "{% if %}" }, /chat_template does not parse/],
    ["template that raises", { chat_template: "{{ raise_exception('only user/assistant roles') }}" }, /chat_template failed to render: .*only user\/assistant roles/],
  ];
  it.each(bad)("%s -> clear error", (_why, cfg, message) => {
    expect(() => renderChatPrompt("q", cfg)).toThrow(message);
  });
});

describe("loadTokenizerConfig", () => {
  it("reads tokenizer_config.json from a model folder", () => {
    const dir = join(tmp, "model");
    rmSync(dir, { recursive: true, force: true });
    mkdirp(dir);
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(R1_CONFIG));
    expect(renderChatPrompt("q", loadTokenizerConfig(dir))).toBe(`${BOS}<｜User｜>${userPrompt("q")}<｜Assistant｜><think>\n`);
  });

  it("takes chat_template.jinja when the config has no template", () => {
    const dir = join(tmp, "model-jinja");
    mkdirp(dir);
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ bos_token: BOS }));
    writeFileSync(join(dir, "chat_template.jinja"), R1_DISTILL_TEMPLATE);
    expect(renderChatPrompt("q", loadTokenizerConfig(dir)).startsWith(`${BOS}<｜User｜>`)).toBe(true);
  });

  it("missing or malformed config -> one-line error naming the file", () => {
    const dir = join(tmp, "model-bad");
    mkdirp(dir);
    expect(() => loadTokenizerConfig(dir)).toThrow(`tokenizer config not found: ${join(dir, "tokenizer_config.json")}`);
    writeFileSync(join(dir, "tokenizer_config.json"), "{oops");
    expect(() => loadTokenizerConfig(dir)).toThrow(/tokenizer_config\.json: not valid JSON/);
  });
});

function mkdirp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
