// The HTTP backend against real OpenAI-compatible servers, offline: a minimal server over the native engine with a
// tiny model the project writes itself (test/support/native-openai-server.ts), compared sample by sample with the
// native backend on the same checkpoint; and llama.cpp's llama-server when LLAMA_SERVER_BIN and LLAMA_SERVER_MODEL
// (a GGUF file) are set. Each part is skipped with its reason when it cannot run here.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeStatus, writeTinyModel } from "../../native/ts/index.js";
import { OpenAIBackend } from "../../src/backends/openai.js";
import { aimeFixture, evalCli } from "../support/eval-cli.js";
import { NativeOpenAIServer, type NativeServerOptions } from "../support/native-openai-server.js";

const status = nativeStatus();
const tmp = mkdtempSync(join(tmpdir(), "openrs-real-server-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Line {
  id: string;
  sample: number;
  completion: string;
  finish: string;
  completionTokens: number | null;
  tokenSource?: string;
}
const read = (out: string): Map<string, Line> =>
  new Map(
    readFileSync(join(out, "samples.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Line)
      .map((l) => [`${l.id}#${l.sample}`, l]),
  );

describe.skipIf(!status.available)(`native-engine OpenAI server${status.available ? "" : ` (skipped: ${status.reason}; run npm run build:native)`}`, () => {
  const model = join(tmp, "tiny");
  const dataDir = join(tmp, "data");
  // Near-uniform logits (small weights), temperature 1 and 64 new tokens: some samples draw the end token (1 in 259
  // per step), the others run to the limit.
  const common = ["--bench", "aime24", "--data-dir", dataDir, "--limit", "2", "--samples", "8", "--max-new-tokens", "64", "--temperature", "1", "--jobs", "1", "-q"];
  // A server failure shows as a sample with finish "error" (and a mismatch below) rather than a slow run of retries.
  const http = ["--max-attempts", "2"];
  let native: Map<string, Line>;

  beforeAll(async () => {
    writeTinyModel(model, { arch: "qwen2", seed: 7, scale: 0.02 });
    aimeFixture(dataDir);
    const out = join(tmp, "native");
    const r = await evalCli(["--model", model, "--out", out, ...common]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    native = read(out);
  }, 120_000);

  async function viaServer(name: string, server: Omit<NativeServerOptions, "dir">, flags: string[]): Promise<{ lines: Map<string, Line>; requests: Record<string, unknown>[] }> {
    const s = await NativeOpenAIServer.start({ dir: model, ...server });
    try {
      const out = join(tmp, name);
      const r = await evalCli(["--model", s.url, "--out", out, ...flags, ...http, ...common]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return { lines: read(out), requests: s.requests };
    } finally {
      await s.close();
    }
  }

  it("the native run has samples that stopped at the end token and samples that ran to the limit", () => {
    const finishes = [...native.values()].map((l) => l.finish);
    expect(finishes).toContain("stop");
    expect(finishes).toContain("length");
  });

  it("llama.cpp-style usage (one choice's count) through the chat endpoint: the same samples and token counts as native", async () => {
    const { lines, requests } = await viaServer("http-first", { usage: "first" }, []);
    expect(lines.size).toBe(native.size);
    for (const [key, l] of native) {
      const h = lines.get(key)!;
      expect([h.completion, h.finish, h.completionTokens], key).toEqual([l.completion, l.finish, l.completionTokens]);
      expect(h.tokenSource).toBe("usage");
    }
    // The probe found a one-choice usage, so every sample was asked alone after it.
    expect(requests.filter((b) => b.max_tokens !== 1).every((b) => b.n === 1)).toBe(true);
  }, 120_000);

  it("a server that ignores EOS, with --tokenizer: the template's end-of-turn string stops each sample where native stops", async () => {
    const { lines, requests } = await viaServer("http-ignore-eos", { ignoreEos: true, usage: "per-choice" }, ["--tokenizer", model]);
    expect(requests.every((b) => JSON.stringify(b.stop) === '["<|im_end|>"]')).toBe(true);
    expect(requests.some((b) => b.n === 8)).toBe(true); // batched: per-choice usage needs no splitting
    for (const [key, l] of native) {
      const h = lines.get(key)!;
      expect([h.completion, h.finish, h.completionTokens], key).toEqual([l.completion, l.finish, l.completionTokens]);
      expect(h.tokenSource).toBe("choice-usage");
    }
  }, 120_000);

  it("a server limited to n = 4 (usage summed): split into requests of 4, seeded seed and seed + 4, the total split exactly", async () => {
    const { lines, requests } = await viaServer("http-n4", { maxN: 4, usage: "sum" }, ["--tokenizer", model]);
    const work = requests.filter((b) => b.max_tokens !== 1).map((b) => [b.n, b.seed]);
    expect(work).toContainEqual([8, 1234]); // refused
    expect(work).toContainEqual([4, 1234]);
    expect(work).toContainEqual([4, 1238]);
    for (const [key, l] of native) {
      const h = lines.get(key)!;
      expect(h.completion, key).toBe(l.completion);
      expect(h.tokenSource).toBe("usage-split");
    }
    // Each request's parts add up to its exact total, so the suite's total (and mean) equals native's.
    const sum = (m: Map<string, Line>) => [...m.values()].reduce((a, l) => a + l.completionTokens!, 0);
    expect(sum(lines)).toBe(sum(native));
  }, 120_000);
});

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const llamaBin = process.env.LLAMA_SERVER_BIN;
const llamaModel = process.env.LLAMA_SERVER_MODEL;
const llamaSkip = !llamaBin || !llamaModel ? "set LLAMA_SERVER_BIN (a llama-server build) and LLAMA_SERVER_MODEL (a GGUF file) to run it" : null;
describe.skipIf(llamaSkip !== null)(`llama.cpp llama-server${llamaSkip ? ` (skipped: ${llamaSkip})` : ""}`, () => {
  let proc: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    proc = spawn(llamaBin!, ["-m", llamaModel!, "--host", "127.0.0.1", "--port", String(port), "-np", "4", "-c", "4096"], { stdio: "ignore" });
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/v1/models`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("llama-server did not answer /v1/models within 120 s");
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 150_000);
  afterAll(() => {
    proc?.kill();
  });

  it("n = 2 at temperature 0.6: every sample has its own full token count, and n above -np is split", async () => {
    const b = await OpenAIBackend.open({ baseUrls: url, chat: true, backoffBaseMs: 100 });
    try {
      const req = (n: number) => ({
        problemId: "llama/1",
        question: "What is 2 + 3?",
        prompt: "What is 2 + 3?",
        messages: [{ role: "user" as const, content: "What is 2 + 3?" }],
        sampleIndices: Array.from({ length: n }, (_, i) => i),
        params: { temperature: 0.6, topP: 0.95, maxNewTokens: 32, seed: 1234 },
      });
      const two = await b.generate(req(2));
      for (const g of two) {
        expect(g.finishReason === "error" ? g.error : "ok").toBe("ok");
        expect(g.completionTokens).toBeGreaterThan(0);
        expect(g.completionTokens).toBeLessThanOrEqual(32);
      }
      const many = await b.generate(req(20));
      expect(many).toHaveLength(20);
      expect(b.stats().usageConvention).not.toBeNull();
    } finally {
      await b.close();
    }
  }, 300_000);
});
