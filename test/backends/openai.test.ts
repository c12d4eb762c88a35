// The OpenAI-compatible backend against a real HTTP fake server: scripted outcomes, n per request and its fallback,
// retries with backoff, timeouts, aborts, load balancing, the concurrency cap, API keys and model discovery.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { getSuite, loadProblems } from "../../benchmarks/index.js";
import { grade } from "../../grading/grade.js";
import { contextRoom, OpenAIBackend, type OpenAIBackendOptions, OpenAIConfigError, parseBaseUrls, type RetryInfo, splitTokens } from "../../src/backends/openai.js";
import type { GenerationRequest } from "../../src/backends/types.js";
import { main } from "../../src/cli.js";
import { answerLine, type FakeAction, FakeOpenAIServer, type FakeServerOptions, sampleText } from "../support/fake-openai-server.js";

const SEED = 1234;
const servers: FakeOpenAIServer[] = [];
const backends: OpenAIBackend[] = [];

afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(opts: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
  const s = await FakeOpenAIServer.start(opts);
  servers.push(s);
  return s;
}

async function backend(opts: OpenAIBackendOptions): Promise<OpenAIBackend> {
  const b = await OpenAIBackend.open({ backoffBaseMs: 2, backoffMaxMs: 20, ...opts });
  backends.push(b);
  return b;
}

function request(problemId: string, sampleIndices: number[], prompt = `PROMPT ${problemId}`): GenerationRequest {
  return {
    problemId,
    question: `question of ${problemId}`,
    prompt,
    messages: [{ role: "user", content: prompt }],
    sampleIndices,
    params: { temperature: 0.6, topP: 0.95, maxNewTokens: 512, seed: SEED },
  };
}

const complete = (text: string, finishReason: "stop" | "length" | null = "stop", delayMs = 0): FakeAction => ({
  kind: "complete",
  choices: [{ text, finishReason }],
  delayMs,
});

describe("scripted outcomes reach the caller intact", () => {
  // (prompt tag, server action, expected completion, finish reason, graded correct against gold 42, why)
  const rows: [string, FakeAction, string, string, boolean, string][] = [
    ["right", complete(answerLine("42")), answerLine("42"), "stop", true, "a correct boxed answer"],
    ["wrong", complete(answerLine("41")), answerLine("41"), "stop", false, "a wrong boxed answer"],
    ["truncated", complete("<think>\nLet me think about", "length"), "<think>\nLet me think about", "length", false, "hit max_tokens"],
    ["unknown", complete(answerLine("42"), null), answerLine("42"), "unknown", true, "server gave no finish reason"],
    ["slow", complete(answerLine("42"), "stop", 60), answerLine("42"), "stop", true, "slow but inside the timeout"],
  ];
  it.each(rows)("%s", async (tag, action, completion, finish, correct) => {
    const s = await server({ script: () => action });
    const b = await backend({ baseUrls: s.url });
    const [g] = await b.generate(request(`t/${tag}`, [0]));
    expect(g).toMatchObject({ problemId: `t/${tag}`, sampleIndex: 0, completion, finishReason: finish });
    expect(g.promptTokens).toBe(2); // the fake counts words: "PROMPT t/<tag>"
    expect(g.completionTokens).toBe(completion.trim().split(/\s+/).length);
    expect(grade(g.completion, "42").correct).toBe(correct);
  });
});

describe("request body", () => {
  it("sends the rendered prompt, sampling settings, model and a per-sample seed to /v1/completions", async () => {
    const s = await server({ models: ["org/model-a", "org/model-b"] });
    const b = await backend({ baseUrls: `${s.url}/v1/`, samplesPerRequest: 1 });
    expect(b.model).toBe("org/model-a");
    await b.generate(request("p/1", [3, 5]));
    const bodies = s.requests.map((r) => r.body).sort((x, y) => Number(x.seed) - Number(y.seed));
    expect(s.requests.every((r) => r.path === "/v1/completions")).toBe(true);
    expect(bodies).toEqual([
      { model: "org/model-a", prompt: "PROMPT p/1", max_tokens: 512, temperature: 0.6, top_p: 0.95, n: 1, seed: SEED + 3 },
      { model: "org/model-a", prompt: "PROMPT p/1", max_tokens: 512, temperature: 0.6, top_p: 0.95, n: 1, seed: SEED + 5 },
    ]);
  });

  it("chat mode posts the messages to /v1/chat/completions", async () => {
    const s = await server();
    const b = await backend({ baseUrls: s.url, chat: true, model: "fake-model", extraBody: { top_k: -1 } });
    const [g] = await b.generate(request("p/chat", [0], "chat prompt"));
    expect(s.requests[0].path).toBe("/v1/chat/completions");
    expect(s.requests[0].body.messages).toEqual([{ role: "user", content: "chat prompt" }]);
    expect(s.requests[0].body.top_k).toBe(-1);
    expect(g.completion).toBe(sampleText("chat prompt", SEED));
  });

  it("chat mode puts a server-split reasoning part back inside <think>", async () => {
    const s = await server({ script: () => ({ kind: "complete", choices: [{ text: answerLine("7").split("</think>\n\n")[1], reasoning: "Let me work it out." }] }) });
    const b = await backend({ baseUrls: s.url, chat: true });
    const [g] = await b.generate(request("p/reasoning", [0]));
    expect(g.completion).toBe(answerLine("7"));
  });
});

describe("n samples per request", () => {
  it("asks for all samples in one request when the server supports n", async () => {
    const s = await server();
    const b = await backend({ baseUrls: s.url });
    const gens = await b.generate(request("p/n", [0, 1, 2, 3]));
    // First a one-token probe with n = 2 learns what this server's usage total means (here: the sum of the choices).
    expect(s.count).toBe(2);
    expect(s.requests[0].body).toMatchObject({ n: 2, max_tokens: 1 });
    expect(s.requests[1].n).toBe(4);
    expect(gens.map((g) => g.completion)).toEqual([0, 1, 2, 3].map((i) => sampleText("PROMPT p/n", SEED + i)));
    // usage sums over choices: the split adds up to the server's total (the fake counts words)
    const total = gens.reduce((a, g) => a + g.completion.split(/\s+/).length, 0);
    expect(gens.reduce((a, g) => a + g.completionTokens!, 0)).toBe(total);
    expect(gens.every((g) => g.promptTokens === 2)).toBe(true);
  });

  it("splits into requests of samplesPerRequest", async () => {
    const s = await server();
    const b = await backend({ baseUrls: s.url, samplesPerRequest: 3 });
    const gens = await b.generate(request("p/split", [0, 1, 2, 3, 4, 5, 6]));
    expect(s.requests.filter((r) => r.body.max_tokens !== 1).map((r) => [r.n, r.seed]).sort((x, y) => x[1] - y[1])).toEqual([
      [3, SEED],
      [3, SEED + 3],
      [1, SEED + 6],
    ]);
    expect(gens.map((g) => g.sampleIndex).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("only consecutive indices share a request, so every sample keeps its own seed", async () => {
    const s = await server();
    const b = await backend({ baseUrls: s.url });
    const gens = await b.generate(request("p/gaps", [9, 0, 6, 1, 5]));
    expect(s.requests.filter((r) => r.body.max_tokens !== 1).map((r) => [r.n, r.seed]).sort((x, y) => x[1] - y[1])).toEqual([
      [2, SEED],
      [2, SEED + 5],
      [1, SEED + 9],
    ]);
    expect(gens.map((g) => [g.sampleIndex, g.completion])).toEqual([0, 1, 5, 6, 9].map((i) => [i, sampleText("PROMPT p/gaps", SEED + i)]));
  });

  it("falls back to one request per sample when the server returns fewer choices, and remembers it", async () => {
    const s = await server({ supportsN: false });
    const b = await backend({ baseUrls: s.url });
    const gens = await b.generate(request("p/fallback", [0, 1, 2, 3]));
    // Seeds per sample make the texts the same as a server that honours n would give.
    expect(gens.map((g) => [g.sampleIndex, g.completion])).toEqual([0, 1, 2, 3].map((i) => [i, sampleText("PROMPT p/fallback", SEED + i)]));
    // The probe (n = 2) already gets one choice back, so every sample is its own request from then on.
    expect(s.requests.map((r) => r.n)).toEqual([2, 1, 1, 1, 1]);
    expect(gens.every((g) => g.completionTokens !== null)).toBe(true);
    s.reset();
    await b.generate(request("p/fallback2", [0, 1]));
    expect(s.requests.map((r) => r.n)).toEqual([1, 1]);
  });
});

describe("splitting a batched response's token total", () => {
  // (total, texts, expected parts, why)
  const rows: [number | null, string[], (number | null)[], string][] = [
    [10, ["abc"], [10], "one choice keeps the exact count"],
    [10, ["aaaa", "aaaa"], [5, 5], "equal texts share equally"],
    [9, ["a", "aaaaaaaaaaaaaaaaa"], [1, 8], "proportional to length (+1), rounding by largest remainder"],
    [7, ["", "", ""], [3, 2, 2], "the remainder goes to the first on ties"],
    [null, ["a", "b"], [null, null], "no usage reported"],
  ];
  it.each(rows)("%j over %j -> %j (%s)", (total, texts, parts) => {
    const got = splitTokens(total, texts);
    expect(got).toEqual(parts);
    if (total !== null) expect((got as number[]).reduce((a, b) => a + b, 0)).toBe(total);
  });
});

describe("retries", () => {
  // (name, script by attempt, expected attempts, why)
  const rows: [string, (attempt: number) => FakeAction, number, string][] = [
    ["500 then success", (a) => (a < 3 ? { kind: "error", status: 500 } : complete("ok")), 3, "5xx is transient"],
    ["503 then success", (a) => (a < 2 ? { kind: "error", status: 503 } : complete("ok")), 2, "overloaded server"],
    ["429 then success", (a) => (a < 2 ? { kind: "error", status: 429, retryAfterSeconds: 1 } : complete("ok")), 2, "rate limited"],
    ["connection drop then success", (a) => (a < 3 ? { kind: "drop" } : complete("ok")), 3, "socket closed mid-request"],
  ];
  it.each(rows)("%s", async (_name, byAttempt, attempts) => {
    const s = await server({ script: (r) => byAttempt(r.attempt) });
    const retries: RetryInfo[] = [];
    const b = await backend({ baseUrls: s.url, onRetry: (i) => retries.push(i) });
    const [g] = await b.generate(request("p/retry", [0]));
    expect(g.completion).toBe("ok");
    expect(s.count).toBe(attempts);
    expect(retries.map((r) => r.attempt)).toEqual(Array.from({ length: attempts - 1 }, (_, i) => i + 1));
    expect(b.stats().retries).toBe(attempts - 1);
  });

  it("honours Retry-After up to the backoff cap", async () => {
    const s = await server({ script: (r) => (r.attempt < 2 ? { kind: "error", status: 429, retryAfterSeconds: 5 } : complete("ok")) });
    const retries: RetryInfo[] = [];
    const b = await backend({ baseUrls: s.url, onRetry: (i) => retries.push(i), backoffMaxMs: 30 });
    await b.generate(request("p/ra", [0]));
    expect(retries[0].delayMs).toBe(30);
    expect(retries[0].error).toMatch(/HTTP 429/);
  });

  it("backs off exponentially with jitter, bounded by the cap", async () => {
    const s = await server({ script: () => ({ kind: "error", status: 503 }) });
    for (const [random, expected] of [
      [() => 0, [5, 10, 20, 25, 25]],
      [() => 0.999999, [10, 20, 40, 50, 50]],
    ] as const) {
      const delays: number[] = [];
      const b = await backend({ baseUrls: s.url, maxAttempts: 6, backoffBaseMs: 10, backoffMaxMs: 50, random, onRetry: (i) => delays.push(i.delayMs) });
      await expect(b.generate(request("p/backoff", [0]))).rejects.toThrow(/failed after 6 attempts \(last: HTTP 503/);
      expect(delays.map(Math.round)).toEqual(expected);
    }
  });

  it("gives up after maxAttempts with a one-line error naming the last failure", async () => {
    const s = await server({ script: () => ({ kind: "drop" }) });
    const b = await backend({ baseUrls: s.url, maxAttempts: 3 });
    const err = await b.generate(request("p/down", [0])).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^openai backend: \/v1\/completions failed after 3 attempts \(last: .+ at http:\/\/127\.0\.0\.1:\d+\)$/);
    expect((err as Error).message).not.toContain("\n");
    expect(s.count).toBe(3);
  });

  it("does not retry a request the server refuses (400) and passes on its message", async () => {
    const s = await server({ script: () => ({ kind: "error", status: 400, message: "This model's maximum context length is 4096 tokens.\nReduce it." }) });
    const b = await backend({ baseUrls: s.url });
    await expect(b.generate(request("p/400", [0]))).rejects.toThrow(
      /refused the request: HTTP 400: This model's maximum context length is 4096 tokens\. Reduce it\.$/,
    );
    expect(s.count).toBe(1);
  });
});

describe("prompt + max_tokens longer than the served context", () => {
  // (server message, why)
  const rows: [string, string][] = [
    [
      "This model's maximum context length is 130 tokens. However, you requested 542 tokens (30 in the messages, 512 in the completion). Please reduce the length of the messages or completion.",
      "vLLM 0.6-style message",
    ],
    [
      "'max_tokens' or 'max_completion_tokens' is too large: 512. This model's maximum context length is 130 tokens and your request has 30 input tokens (512 > 130 - 30).",
      "vLLM 0.8-style message",
    ],
  ];
  it.each(rows)("asks once more for what fits: %s", async (message) => {
    const s = await server({ script: (r) => (Number(r.body.max_tokens) > 100 ? { kind: "error", status: 400, message } : complete("fits", "length")) });
    const b = await backend({ baseUrls: s.url });
    const [g] = await b.generate(request("p/ctx", [0]));
    expect(g).toMatchObject({ completion: "fits", finishReason: "length", maxNewTokens: 100 });
    expect(s.requests.map((r) => r.body.max_tokens)).toEqual([512, 100]);
    expect(b.stats().clipped).toBe(1);
  });

  it("a prompt that leaves no room is refused in one line", async () => {
    const message = "This model's maximum context length is 20 tokens. However, you requested 542 tokens (30 in the messages, 512 in the completion).";
    const s = await server({ script: () => ({ kind: "error", status: 400, message }) });
    const b = await backend({ baseUrls: s.url });
    await expect(b.generate(request("p/ctx2", [0]))).rejects.toThrow(/refused the request: HTTP 400: This model's maximum context length is 20 tokens/);
    expect(s.count).toBe(1);
  });

  it.each([
    ["This model's maximum context length is 32768 tokens. However, you requested 33000 tokens (232 in the messages, 32768 in the completion).", 32536],
    ["maximum context length is 4096 tokens and your request has 96 input tokens", 4000],
    ["some other 400", null],
  ])("contextRoom(%j) = %j", (text, room) => expect(contextRoom(text)).toBe(room));
});

describe("timeouts, aborts and close", () => {
  it("times out a slow attempt and retries it", async () => {
    const s = await server({ script: (r) => complete("late-or-not", "stop", r.attempt === 1 ? 5_000 : 0) });
    const b = await backend({ baseUrls: s.url, timeoutMs: 100 });
    const t0 = performance.now();
    const [g] = await b.generate(request("p/slow", [0]));
    expect(g.completion).toBe("late-or-not");
    expect(s.count).toBe(2);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it("fails with the timeout named when every attempt is too slow", async () => {
    const s = await server({ script: () => complete("never", "stop", 5_000) });
    const b = await backend({ baseUrls: s.url, timeoutMs: 80, maxAttempts: 2 });
    await expect(b.generate(request("p/slow2", [0]))).rejects.toThrow(/failed after 2 attempts \(last: timed out after 80 ms/);
  });

  it("an aborted signal stops the request at once, without retries", async () => {
    const s = await server({ script: () => complete("never", "stop", 5_000) });
    const b = await backend({ baseUrls: s.url });
    const ac = new AbortController();
    const p = b.generate(request("p/abort", [0]), ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow(/^openai backend: request aborted$/);
    expect(s.count).toBe(1);
  });

  it("close() ends running requests and later calls fail in one line", async () => {
    const s = await server({ script: () => complete("never", "stop", 5_000) });
    const b = await backend({ baseUrls: s.url });
    const p = b.generate(request("p/close", [0]));
    await new Promise((r) => setTimeout(r, 50));
    await b.close();
    await expect(p).rejects.toThrow(/closed while a request was running/);
    await expect(b.generate(request("p/after", [0]))).rejects.toThrow(/^openai backend: generate called after close\(\)$/);
  });
});

describe("several servers", () => {
  it("least-in-flight spreads concurrent requests over the servers", async () => {
    const a = await server({ script: (r) => complete(`a ${r.prompt}`, "stop", 20) });
    const c = await server({ script: (r) => complete(`c ${r.prompt}`, "stop", 20) });
    const b = await backend({ baseUrls: `${a.url},${c.url}`, concurrency: 4 });
    const gens = await Promise.all(Array.from({ length: 20 }, (_, i) => b.generate(request(`p/${i}`, [0]))));
    expect(gens.flat()).toHaveLength(20);
    expect(a.count + c.count).toBe(20);
    expect(Math.min(a.count, c.count)).toBeGreaterThanOrEqual(8);
    expect(Math.max(a.maxInFlight, c.maxInFlight)).toBeLessThanOrEqual(2);
    expect(b.stats().perUrl.map((u) => u.requests)).toEqual([a.count, c.count]);
  });

  it("round robin alternates", async () => {
    const a = await server();
    const c = await server();
    const b = await backend({ baseUrls: [a.url, c.url], balance: "round-robin", concurrency: 1 });
    for (let i = 0; i < 6; i++) await b.generate(request(`p/${i}`, [0]));
    expect([a.count, c.count]).toEqual([3, 3]);
  });

  it("a retry goes to another server, so a failing one does not fail the run", async () => {
    const bad = await server({ script: () => ({ kind: "error", status: 502 }) });
    const good = await server();
    const b = await backend({ baseUrls: [bad.url, good.url], concurrency: 2, maxAttempts: 2 });
    const gens = await Promise.all(Array.from({ length: 10 }, (_, i) => b.generate(request(`p/${i}`, [0]))));
    expect(gens.flat()).toHaveLength(10);
    expect(good.count).toBe(10);
  });
});

describe("concurrency cap", () => {
  it.each([1, 3, 8])("never has more than %i requests in flight, and keeps the cap full", async (limit) => {
    const s = await server({ script: (r) => complete(r.prompt, "stop", 15) });
    const b = await backend({ baseUrls: s.url, concurrency: limit, samplesPerRequest: 1 });
    // Many generate calls at once, several samples each: the cap is shared by all of them.
    await Promise.all(Array.from({ length: 12 }, (_, i) => b.generate(request(`p/${i}`, [0, 1]))));
    expect(s.count).toBe(24);
    expect(s.maxInFlight).toBe(limit);
    expect(b.stats().maxInFlight).toBe(limit);
    expect(b.stats().inFlight).toBe(0);
  });
});

describe("opening", () => {
  // (name, server options, backend options except baseUrls, env, expected error, why)
  const rows: [string, FakeServerOptions, Partial<OpenAIBackendOptions>, Record<string, string>, RegExp, string][] = [
    ["model not served", {}, { model: "other" }, {}, /does not serve model "other" \(it serves: fake-model\)/, "typo in the model name"],
    ["no key", { apiKey: "k1" }, {}, {}, /rejected the API key \(HTTP 401: invalid API key\)/, "server needs a key"],
    ["wrong key", { apiKey: "k1" }, { apiKey: "k2" }, {}, /rejected the API key/, "bad key"],
    ["unset key env", {}, { apiKeyEnv: "OPENRS_TEST_UNSET_KEY" }, {}, /environment variable OPENRS_TEST_UNSET_KEY .* is not set/, "named env var missing"],
    ["empty model list", { models: [] }, {}, {}, /\/v1\/models lists no model; pass the model name explicitly/, "nothing to default to"],
    ["bad concurrency", {}, { concurrency: 0 }, {}, /concurrency must be a positive integer/, "option check"],
  ];
  it.each(rows)("%s", async (_name, sopts, bopts, _env, expected) => {
    const s = await server(sopts);
    const err = await OpenAIBackend.open({ baseUrls: s.url, ...bopts }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(expected);
    expect((err as Error).message).not.toContain("\n");
  });

  it("reads the key from OPENAI_API_KEY or a named variable", async () => {
    const s = await server({ apiKey: "sekrit" });
    const saved = { a: process.env.OPENAI_API_KEY, b: process.env.OPENRS_TEST_KEY };
    try {
      process.env.OPENAI_API_KEY = "sekrit";
      await (await backend({ baseUrls: s.url })).generate(request("p/k1", [0]));
      delete process.env.OPENAI_API_KEY;
      process.env.OPENRS_TEST_KEY = "sekrit";
      await (await backend({ baseUrls: s.url, apiKeyEnv: "OPENRS_TEST_KEY" })).generate(request("p/k2", [0]));
      expect(s.requests.map((r) => r.authorization)).toEqual(["Bearer sekrit", "Bearer sekrit"]);
    } finally {
      for (const [k, v] of [["OPENAI_API_KEY", saved.a], ["OPENRS_TEST_KEY", saved.b]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("a server that is down fails at open, in one line", async () => {
    const s = await server();
    const url = s.url;
    await s.close();
    servers.length = 0;
    const err = await OpenAIBackend.open({ baseUrls: url }).catch((e: Error) => e);
    expect((err as Error).message).toBe(`openai backend: server ${url} is not reachable (connect ECONNREFUSED ${url.slice(7)})`);
  });

  it.each([
    ["ftp://x", /only http and https/],
    ["not a url", /bad server URL "not a url"/],
    [" , ", /no server URL given/],
  ])("rejects the URL %j as a configuration error", (spec, expected) => {
    expect(() => parseBaseUrls(spec)).toThrow(expected);
    expect(() => parseBaseUrls(spec)).toThrow(OpenAIConfigError);
  });

  it("normalises URLs", () => {
    expect(parseBaseUrls("http://a:8000/v1/, https://b/prefix/v1 ,http://c")).toEqual(["http://a:8000", "https://b/prefix", "http://c"]);
  });
});

const dataDir = findDataDir();
describe.skipIf(dataDir === null)(`openrs-eval run against the fake server${dataDir === null ? " (skipped: no benchmark data; set OPENRS_DATA_DIR)" : ""}`, () => {
  it("scores what the server answered: half the samples right gives pass@1 = 0.5, with tokens recorded", async () => {
    const problems = loadProblems(getSuite("aime24"), { dataDir: dataDir!, limit: 3 });
    // Odd seeds (samples 1 and 3 of each problem) answer the gold, even seeds a wrong number.
    const s = await server({
      script: (r) => {
        const p = problems.find((x) => r.prompt.includes(x.question));
        if (!p) return { kind: "error", status: 400, message: "unknown problem" };
        return { kind: "complete", choices: Array.from({ length: r.n }, (_, j) => ({ text: answerLine((r.seed + j) % 2 ? p.gold : "1000") })) };
      },
    });
    const out = mkdtempSync(join(tmpdir(), "openrs-openai-run-"));
    try {
      const sink = () => new PassThrough().resume() as unknown as typeof process.stdout & typeof process.stderr;
      const args = ["run", "--model", s.url, "--bench", "aime24", "--limit", "3", "--samples", "4", "--out", out, "--data-dir", dataDir!];
      const code = await main(["node", "openrs-eval", ...args], sink(), sink());
      expect(code).toBe(0);
      expect(s.requests.map((r) => [r.n, r.seed])).toEqual([
        [2, SEED], // the usage probe
        [4, SEED],
        [4, SEED],
        [4, SEED],
      ]);
      const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
      expect(run.backend).toBe("openai");
      expect(run.model).toBe("fake-model");
      const m = run.metrics.suites.aime24;
      expect(m.scores[m.primary]).toBe(0.5);
      expect(m.meanCompletionTokens).toBeGreaterThan(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
