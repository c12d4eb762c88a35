// Issue 16, item 3: a server that refuses n above its limit (llama.cpp -np 16: "Field 'n': Value must be between
// 1 <= value <= 16") gets the samples split over several requests, keeping the seed convention (request seeded
// seed + first index), and the limit is remembered for the rest of the run.
import { afterEach, describe, expect, it } from "vitest";
import { nLimitOf, OpenAIBackend } from "../../src/backends/openai.js";
import type { GenerationRequest } from "../../src/backends/types.js";
import { FakeOpenAIServer, sampleText } from "../support/fake-openai-server.js";

const SEED = 1234;
const servers: FakeOpenAIServer[] = [];
const backends: OpenAIBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const request = (problemId: string, n: number): GenerationRequest => ({
  problemId,
  question: problemId,
  prompt: `PROMPT ${problemId}`,
  messages: [{ role: "user", content: `PROMPT ${problemId}` }],
  sampleIndices: Array.from({ length: n }, (_, i) => i),
  params: { temperature: 0.6, topP: 0.95, maxNewTokens: 64, seed: SEED },
});

describe("n above the server's limit", () => {
  it("splits 20 samples into 16 + 4 with seeds seed and seed + 16, and remembers the limit", async () => {
    const s = await FakeOpenAIServer.start({ maxN: 16 });
    servers.push(s);
    const b = await OpenAIBackend.open({ baseUrls: s.url, backoffBaseMs: 1 });
    backends.push(b);
    const gens = await b.generate(request("p/1", 20));
    expect(gens.map((g) => [g.sampleIndex, g.completion])).toEqual(Array.from({ length: 20 }, (_, i) => [i, sampleText("PROMPT p/1", SEED + i)]));
    const work = s.requests.filter((r) => r.body.max_tokens !== 1);
    expect(work.map((r) => [r.n, r.seed])).toEqual([
      [20, SEED], // refused once
      [16, SEED],
      [4, SEED + 16],
    ]);
    expect(b.stats().maxN).toBe(16);
    s.reset();
    await b.generate(request("p/2", 20));
    expect(s.requests.map((r) => [r.n, r.seed])).toEqual([
      [16, SEED],
      [4, SEED + 16],
    ]);
  });

  it("a server that allows one choice only (HTTP 500, llama.cpp early 2025): one request per sample at once, no retries", async () => {
    const s = await FakeOpenAIServer.start({ oneChoice500: true });
    servers.push(s);
    const b = await OpenAIBackend.open({ baseUrls: s.url, backoffBaseMs: 1 });
    backends.push(b);
    const gens = await b.generate(request("p/1", 3));
    expect(gens.map((g) => [g.sampleIndex, g.completion])).toEqual(Array.from({ length: 3 }, (_, i) => [i, sampleText("PROMPT p/1", SEED + i)]));
    // The usage probe at open (n = 2) was refused once and not retried; from then on one sample per request.
    expect(s.requests.filter((r) => r.n > 1).map((r) => [r.n, r.attempt])).toEqual([[2, 1]]);
    const work = s.requests.filter((r) => r.body.max_tokens !== 1);
    expect(work.map((r) => [r.n, r.seed, r.attempt])).toEqual([
      [1, SEED, 1],
      [1, SEED + 1, 1],
      [1, SEED + 2, 1],
    ]);
    expect(b.stats().maxN).toBe(1);
  });

  // (message, n asked, limit found, why)
  const rows: [string, number, number | null, string][] = [
    ["HTTP 400: Field 'n': Value must be between 1 <= value <= 16", 20, 16, "llama.cpp"],
    ['HTTP 400: "n" must be at most 8', 20, 8, "phrased as at most"],
    ["HTTP 400: n must be less than or equal to 128", 256, 128, "phrased in words"],
    ["HTTP 400: Field 'n': Value must be between 1 <= value <= 16", 16, null, "not below what was asked: not this refusal"],
    ["HTTP 400: max_tokens must be at most 4096", 20, null, "another field"],
    ['HTTP 500: {"code":500,"message":"Only one completion choice is allowed","type":"server_error"}', 2, 1, "llama.cpp builds of early 2025"],
    ["HTTP 500: Only one completion choice is allowed", 1, null, "already one"],
  ];
  it.each(rows)("nLimitOf(%j, %i) = %j (%s)", (message, asked, limit) => expect(nLimitOf(message, asked)).toBe(limit));
});
