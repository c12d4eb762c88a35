// Issue 16, item 6: with a local chat template (--tokenizer) the backend sends the template's end-of-turn strings as
// `stop` and run.json records them, so a server that does not stop on the end token still ends the sample there.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { endOfTurnStrings, type TokenizerConfig } from "../../native/ts/chat-template.js";
import { TINY_CHAT_TEMPLATE } from "../../native/ts/tiny-model.js";
import { answerLine, FakeOpenAIServer } from "../support/fake-openai-server.js";
import { aimeFixture, aimeGold, evalCli, problemOf } from "../support/eval-cli.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-openai-stop-"));
const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const QWEN =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const LLAMA3 =
  "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
const DEEPSEEK_R1 =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}" +
  "{% elif message['role'] == 'assistant' %}{% set content = message['content'].split('</think>')[-1] %}{{ '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}";

describe("endOfTurnStrings", () => {
  // (name, tokenizer config, expected stop strings)
  const rows: [string, TokenizerConfig, string[]][] = [
    ["qwen2.5 (eos is <|endoftext|>)", { chat_template: QWEN, eos_token: "<|endoftext|>" }, ["<|im_end|>", "<|endoftext|>"]],
    ["the project's tiny model", { chat_template: TINY_CHAT_TEMPLATE, eos_token: "<|im_end|>" }, ["<|im_end|>"]],
    ["llama 3", { chat_template: LLAMA3, bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" }, ["<|eot_id|>"]],
    ["deepseek-r1 distill", { chat_template: DEEPSEEK_R1, bos_token: "<｜begin▁of▁sentence｜>", eos_token: { content: "<｜end▁of▁sentence｜>" } }, ["<｜end▁of▁sentence｜>"]],
    ["a template that refuses replies", { chat_template: "{{ raise_exception('no') }}", eos_token: "</s>" }, ["</s>"]],
  ];
  it.each(rows)("%s", (_name, config, stop) => expect(endOfTurnStrings(config)).toEqual(stop));
});

describe("openrs-eval --tokenizer against a server that ignores EOS", () => {
  it("sends the end-of-turn strings as stop, records them in run.json, and the samples end at the end token", async () => {
    const dataDir = aimeFixture(join(tmp, "data"));
    const tokDir = join(tmp, "tok");
    mkdirSync(tokDir);
    writeFileSync(join(tokDir, "tokenizer_config.json"), JSON.stringify({ chat_template: QWEN, eos_token: "<|endoftext|>" }));
    // The model answers, writes its end token, and (the server not stopping there) runs on into a new turn.
    const s = await FakeOpenAIServer.start({
      script: (r) => {
        const text = `${answerLine(aimeGold(problemOf(r.prompt)!))}<|im_end|>\n<|im_start|>user\nAnother question: ${"more ".repeat(40)}`;
        return { kind: "complete", choices: Array.from({ length: r.n }, () => ({ text, finishReason: "length" as const })) };
      },
    });
    servers.push(s);
    const out = join(tmp, "run");
    const r = await evalCli(["--model", s.url, "--tokenizer", tokDir, "--bench", "aime24", "--data-dir", dataDir, "--limit", "2", "--out", out, "--jobs", "1", "-q"]);
    expect(r.code).toBe(0);
    expect(s.requests.every((q) => q.path === "/v1/completions")).toBe(true);
    expect(s.requests.every((q) => JSON.stringify(q.body.stop) === JSON.stringify(["<|im_end|>", "<|endoftext|>"]))).toBe(true);
    const lines = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    for (const l of lines) {
      expect(l.finish).toBe("stop");
      expect(l.completion).toBe(answerLine(l.gold));
    }
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run.settings.sampling.stop).toEqual(["<|im_end|>", "<|endoftext|>"]);
    expect(run.metrics.suites.aime24.counts.truncated).toBe(0);
  });

  it("without --tokenizer the server applies its own template and stop tokens: no stop strings are sent", async () => {
    const dataDir = aimeFixture(join(tmp, "data2"));
    const s = await FakeOpenAIServer.start();
    servers.push(s);
    const r = await evalCli(["--model", s.url, "--bench", "aime24", "--data-dir", dataDir, "--limit", "1", "--out", join(tmp, "run2"), "--jobs", "1", "-q"]);
    expect(r.code).toBe(0);
    expect(s.requests[0].path).toBe("/v1/chat/completions");
    expect(s.requests[0].body.stop).toBeUndefined();
  });
});
