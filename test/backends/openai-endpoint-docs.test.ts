// Issue 16, item 5: one truth about the HTTP endpoint. Without --tokenizer the backend calls /v1/chat/completions
// (the server's template); with --tokenizer, /v1/completions with the locally rendered prompt; --tokenizer --chat,
// the chat endpoint. The CLI does so, and every README sentence naming /v1/completions says it needs --tokenizer.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { TINY_CHAT_TEMPLATE } from "../../native/ts/tiny-model.js";
import { FakeOpenAIServer } from "../support/fake-openai-server.js";
import { aimeFixture, evalCli } from "../support/eval-cli.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-endpoint-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const README = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "README.md"), "utf8");

describe("which endpoint the HTTP backend calls", () => {
  const dataDir = aimeFixture(join(tmp, "data"));
  const tok = join(tmp, "tok");
  mkdirSync(tok);
  writeFileSync(join(tok, "tokenizer_config.json"), JSON.stringify({ chat_template: TINY_CHAT_TEMPLATE, eos_token: "<|im_end|>" }));
  // (extra flags, endpoint, why)
  const rows: [string[], string, string][] = [
    [[], "/v1/chat/completions", "the default: the server applies its template"],
    [["--tokenizer", tok], "/v1/completions", "a local template renders the prompt"],
    [["--tokenizer", tok, "--chat"], "/v1/chat/completions", "asked for the chat endpoint"],
  ];
  it.each(rows)("%j -> %s (%s)", async (flags, endpoint) => {
    const s = await FakeOpenAIServer.start();
    try {
      const out = join(tmp, `run-${flags.length}`);
      const r = await evalCli(["--model", s.url, ...flags, "--bench", "aime24", "--data-dir", dataDir, "--limit", "1", "--out", out, "--jobs", "1", "-q"]);
      expect(r.code).toBe(0);
      expect(s.requests.map((q) => q.path)).toEqual([endpoint]);
    } finally {
      await s.close();
    }
  });
});

describe("README", () => {
  const sentences = README.replace(/```[\s\S]*?```/g, "")
    .split(/(?<=[.;:])\s+|\n\s*\n/)
    .map((x) => x.replace(/\s+/g, " "));
  it("every sentence naming /v1/completions says it is the --tokenizer path", () => {
    const naming = sentences.filter((x) => x.includes("/v1/completions"));
    expect(naming.length).toBeGreaterThanOrEqual(2);
    for (const x of naming) expect(x, x).toContain("--tokenizer");
  });

  it("both places that describe the endpoint say the chat endpoint is the default", () => {
    const defaults = sentences.filter((x) => /default/.test(x) && x.includes("/v1/chat/completions") && x.includes("--tokenizer"));
    expect(defaults.length).toBeGreaterThanOrEqual(2);
  });
});
