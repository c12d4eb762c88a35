// Issue 16, item 2: per-sample completion tokens with n > 1 whatever the server's usage convention: vLLM sums the
// choices, llama.cpp reports one choice, some give per-choice usage, some none; a local tokenizer counts exactly.
// Every count says where it came from.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { OpenAIBackend, type OpenAIBackendOptions } from "../../src/backends/openai.js";
import type { GenerationRequest } from "../../src/backends/types.js";
import { FakeOpenAIServer, type FakeServerOptions } from "../support/fake-openai-server.js";
import { aimeFixture, evalCli } from "../support/eval-cli.js";

const SEED = 1234;
const tmp = mkdtempSync(join(tmpdir(), "openrs-openai-tokens-"));
const servers: FakeOpenAIServer[] = [];
const backends: OpenAIBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Sample i's text has 32 - 4i words (the fake counts words as tokens), so every sample has its own count. */
const words = (seed: number): number => 32 - 4 * (seed - SEED);
const text = (seed: number): string => Array.from({ length: words(seed) }, (_, k) => `w${k}`).join(" ");

async function setup(server: FakeServerOptions, backend: Partial<OpenAIBackendOptions> = {}) {
  const s = await FakeOpenAIServer.start({
    ...server,
    script: (r) => ({ kind: "complete", choices: Array.from({ length: r.n }, (_, j) => ({ text: text(r.seed + j), finishReason: "stop" as const })) }),
  });
  servers.push(s);
  const b = await OpenAIBackend.open({ baseUrls: s.url, backoffBaseMs: 1, ...backend });
  backends.push(b);
  return { s, b };
}

const request = (sampleIndices: number[]): GenerationRequest => ({
  problemId: "p/1",
  question: "q",
  prompt: "PROMPT p/1",
  messages: [{ role: "user", content: "PROMPT p/1" }],
  sampleIndices,
  params: { temperature: 0.6, topP: 0.95, maxNewTokens: 64, seed: SEED },
});

describe("per-sample completion tokens with n > 1", () => {
  // (server usage convention, backend options, expected source, batched after the probe?, why)
  const rows: [FakeServerOptions["usage"], Partial<OpenAIBackendOptions>, string, boolean, string][] = [
    ["first", {}, "usage", false, "llama.cpp: one choice's count, so each sample gets its own request and exact usage"],
    ["per-choice", {}, "choice-usage", true, "each choice carries its own usage"],
    ["sum", { countTokens: (t) => t.split(" ").length }, "usage-split", true, "a summed total split by the local token counts"],
    ["first", { countTokens: (t) => t.split(" ").length }, "usage", false, "exact usage beats re-encoding the text"],
    ["none", { countTokens: (t) => t.split(" ").length }, "tokenizer", true, "no usage at all: the local tokenizer alone"],
  ];
  it.each(rows)("usage %s %j: exact counts from %s (batched: %s; %s)", async (usage, opts, source, batched) => {
    const { s, b } = await setup({ usage }, opts);
    const gens = await b.generate(request([0, 1, 2, 3]));
    expect(gens.map((g) => g.completionTokens)).toEqual([32, 28, 24, 20]);
    expect(gens.every((g) => g.tokenSource === source)).toBe(true);
    const work = s.requests.filter((r) => r.body.max_tokens !== 1);
    expect(work.map((r) => r.n)).toEqual(batched ? [4] : [1, 1, 1, 1]);
  });

  it("usage summed over choices (vLLM): split by length, the sum exact, marked as an estimate", async () => {
    const { b } = await setup({ usage: "sum" });
    const gens = await b.generate(request([0, 1, 2, 3]));
    expect(gens.reduce((a, g) => a + g.completionTokens!, 0)).toBe(32 + 28 + 24 + 20);
    expect(gens.every((g) => g.tokenSource === "usage-split")).toBe(true);
    expect(b.stats().usageConvention).toBe("sum");
  });

  it("no usage at all: counts are null, not invented", async () => {
    const { b } = await setup({ usage: "none" });
    const gens = await b.generate(request([0, 1]));
    expect(gens.map((g) => [g.completionTokens, g.tokenSource])).toEqual([
      [null, "none"],
      [null, "none"],
    ]);
  });

  it("the probe runs once for concurrent problems and is remembered", async () => {
    const { s, b } = await setup({ usage: "first" });
    await Promise.all([0, 1, 2].map(() => b.generate(request([0, 1]))));
    await b.generate(request([0, 1]));
    expect(s.requests.filter((r) => r.body.max_tokens === 1)).toHaveLength(1);
    expect(b.stats().usageConvention).toBe("one-choice");
  });
});

describe("openrs-eval against a llama.cpp-style server (usage of one choice) with --samples 2", () => {
  it("records each sample's full count and its source; mean tokens is the per-sample mean, not half of it", async () => {
    const dataDir = aimeFixture(join(tmp, "data"));
    const s = await FakeOpenAIServer.start({
      usage: "first",
      script: (r) => ({ kind: "complete", choices: Array.from({ length: r.n }, () => ({ text: Array(32).fill("tok").join(" "), finishReason: "length" as const })) }),
    });
    servers.push(s);
    const out = join(tmp, "run");
    const r = await evalCli(["--model", s.url, "--bench", "aime24", "--data-dir", dataDir, "--limit", "3", "--samples", "2", "--out", out, "--jobs", "1", "-q"]);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.completionTokens, l.tokenSource])).toEqual(Array(6).fill([32, "usage"]));
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run.metrics.suites.aime24.meanCompletionTokens).toBe(32);
  });
});
