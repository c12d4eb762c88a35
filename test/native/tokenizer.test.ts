// Tiny checkpoint tokenizer + chat template: valid for @huggingface/tokenizers, byte-exact round trips, specials as single ids.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadTokenizer } from "../../native/ts/tokenizer.js";
import { TINY_EOS, writeTinyModel } from "../../native/ts/tiny-model.js";

const dir = mkdtempSync(join(tmpdir(), "openrs-tok-"));
const extra: string[] = [];
afterAll(() => {
  for (const d of [dir, ...extra]) rmSync(d, { recursive: true, force: true });
});
writeTinyModel(dir, { arch: "llama", seed: 1 });
const tok = loadTokenizer(dir);

describe("tiny checkpoint tokenizer", () => {
  it.each([
    { text: "Hello", ids: [72, 101, 108, 108, 111], why: "ASCII bytes are their own ids" },
    { text: " a\n", ids: [32, 97, 10], why: "space and newline are byte tokens" },
    { text: "é", ids: [0xc3, 0xa9], why: "UTF-8 multi-byte characters split into bytes" },
    { text: "<|im_end|>", ids: [TINY_EOS], why: "special tokens are single ids" },
  ])("$why", ({ text, ids }) => {
    expect(tok.encode(text)).toEqual(ids);
    expect(tok.decode(ids, false)).toBe(text);
  });

  it("renders the chat template and encodes it with special ids", () => {
    const s = tok.renderChat([{ role: "user", content: "1+1?" }]);
    expect(s).toBe("<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n");
    const ids = tok.encode(s);
    expect(ids[0]).toBe(257);
    expect(ids.filter((i) => i >= 256)).toEqual([257, 258, 257]);
  });

  it("reads the template from chat_template.jinja or a named list, as eval prompts do (one renderer)", () => {
    const expected = tok.renderChat([{ role: "user", content: "hi" }]);
    const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
    const jinja = mkdtempSync(join(tmpdir(), "openrs-tok-jinja-"));
    const named = mkdtempSync(join(tmpdir(), "openrs-tok-named-"));
    extra.push(jinja, named);
    cpSync(dir, jinja, { recursive: true });
    writeFileSync(join(jinja, "tokenizer_config.json"), JSON.stringify({ ...config, chat_template: undefined }));
    writeFileSync(join(jinja, "chat_template.jinja"), config.chat_template);
    expect(loadTokenizer(jinja).renderChat([{ role: "user", content: "hi" }])).toBe(expected);
    cpSync(jinja, named, { recursive: true });
    writeFileSync(join(named, "tokenizer_config.json"), JSON.stringify({ ...config, chat_template: [{ name: "tool_use", template: "x" }, { name: "default", template: config.chat_template }] }));
    expect(loadTokenizer(named).renderChat([{ role: "user", content: "hi" }])).toBe(expected);
  });

  it("collects end-of-sequence ids from generation_config.json and tokenizer_config.json", () => {
    expect(tok.eosIds).toEqual([TINY_EOS]);
  });
});
