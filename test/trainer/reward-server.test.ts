// The reward server over real HTTP on 127.0.0.1 (needs the build for the grader workers: npm run build):
// OpenRLHF /reward, /score, /health, error statuses, batching across connections, graceful shutdown, and the
// request/response shapes the Python examples use.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grade } from "../../grading/grade.js";
import { REWARD } from "../../grading/options.js";
import { loadRecipe, parseRecipe } from "../../trainer/recipe.js";
import { responseOf, type RunningRewardServer, startRewardServer, stripEos } from "../../trainer/reward-server.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const T = "\n</think>\n";

async function post(url: string, body: unknown, raw = false): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ? (body as string) : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Slow to grade (~10 ms: a long sum checked by evaluation), so a batch of them keeps a request in flight. */
const SLOW = { completion: `x${T}\\boxed{${"x+".repeat(1000)}1}`, gold: "1000x+1" };

describe("reward server (openrs-exp3 recipe, 1 grader worker)", () => {
  let server: RunningRewardServer;
  let small: RunningRewardServer;
  beforeAll(async () => {
    server = await startRewardServer({ recipe: loadRecipe("openrs-exp3"), port: 0, jobs: 1 });
    small = await startRewardServer({ recipe: loadRecipe("openrs-exp1"), port: 0, jobs: 1, maxBodyBytes: 2048 });
  });
  afterAll(async () => {
    await server?.close();
    await small?.close();
  });

  it("listens on loopback by default and reports health", async () => {
    expect(server.host).toBe("127.0.0.1");
    const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const h = (await res.json()) as Record<string, unknown>;
    expect(h).toMatchObject({ status: "ok", recipe: "openrs-exp3", reward_funcs: ["format", "cosine"], reward_weights: [1, 2], jobs: 1 });
    expect(typeof h.rss_bytes).toBe("number");
  });

  it("POST /reward speaks OpenRLHF: strips the prompt and trailing EOS/padding, aligns every list with query", async () => {
    const prompt = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n";
    const right = `2+2 is 4.${T}The answer is $\\boxed{4}$.`;
    const wrong = `2+2 is 5.${T}The answer is $\\boxed{5}$.`;
    const { status, json } = await post(`${server.url}/reward`, {
      query: [`${prompt}${right}<|endoftext|><|endoftext|>`, `<|endoftext|><|endoftext|>${prompt}${wrong}<｜end▁of▁sentence｜>`, `${prompt}${right}`],
      prompts: [prompt, prompt, prompt],
      labels: [4, "4", null], // a number label, as datasets with integer answers send it
    });
    expect(status).toBe(200);
    const cos = (correct: boolean, L: number) => {
      const k = Math.cos((L / 3584) * Math.PI);
      return correct ? 0.5 + 0.5 * (1.0 - 0.5) * (1 + k) : -0.5 + 0.5 * (0.0 + 0.5) * (1 + k);
    };
    const extra = json.extra_logs as Record<string, number[]>;
    expect(extra.format).toEqual([1, 1, 1]);
    expect(extra.cosine[0]).toBeCloseTo(cos(true, right.length), 12); // the response alone: prompt and EOS removed
    expect(extra.cosine[1]).toBeCloseTo(cos(false, wrong.length), 12);
    expect(extra.cosine[2]).toBe(1); // no label: open-rs gives an unparsable gold 1.0
    expect(extra.prompt_found).toEqual([1, 1, 1]);
    const rewards = json.rewards as number[];
    expect(rewards[0]).toBeCloseTo(1 + 2 * cos(true, right.length), 12);
    expect(rewards[2]).toBe(3);
    expect(json.scores).toEqual([1, 0, 0]); // the grader's verdict (no accuracy function in this recipe)
  });

  it("POST /reward with empty lists answers empty lists", async () => {
    const { status, json } = await post(`${server.url}/reward`, { query: [], prompts: [], labels: [] });
    expect(status).toBe(200);
    expect(json).toEqual({ rewards: [], scores: [], extra_logs: { format: [], cosine: [], prompt_found: [] } });
  });

  it("POST /score gives totals, per-function values and verdicts; null golds follow the recipe", async () => {
    const c = [`a${T}\\boxed{\\frac{1}{2}}`, `a${T}\\boxed{3}`, "no tag"];
    const { status, json } = await post(`${server.url}/score`, { completions: c, golds: ["0.5", "4", null] });
    expect(status).toBe(200);
    expect(json.correct).toEqual([true, false, null]);
    const per = json.per_function as Record<string, number[]>;
    expect(per.format).toEqual([1, 1, 0]);
    expect(per.cosine[0]).toBeCloseTo(0.5 + 0.25 * (1 + Math.cos((c[0].length / 3584) * Math.PI)), 12);
    expect(json.rewards).toEqual([1 + 2 * per.cosine[0], 1 + 2 * per.cosine[1], 2]);
    expect(json.recipe).toBe("openrs-exp3");
  });

  it("POST /score with a recipe in the request; clamped cosine uses completion_tokens", async () => {
    const recipe = { name: "clamped", reward_funcs: ["accuracy", "cosine"], reward_weights: [1, 1], reward_options: { cosine: { maxLen: 100 } } };
    const c = [`a${T}\\boxed{2}`, `a${T}\\boxed{2}`, `a${T}\\boxed{2}`];
    const { status, json } = await post(`${server.url}/score`, { completions: c, golds: ["2", "3", null], completion_tokens: [50, 200, 5], recipe });
    expect(status).toBe(200);
    expect(json.per_function).toEqual({ accuracy: [1, 0, null], cosine: [0.75, -0.5, null] });
    expect(json.rewards).toEqual([1.75, -0.5, null]); // a skipped item has no total
    const byName = await post(`${server.url}/score`, { completions: c, golds: ["2", "3", null], recipe: "openrs-exp1" });
    expect(byName.json).toMatchObject({ per_function: { accuracy: [1, 0, 1], format: [1, 1, 1] }, rewards: [2, 1, 2] });
    const missing = await post(`${server.url}/score`, { completions: c, golds: ["2", "3", "4"], recipe });
    expect(missing.status).toBe(400);
    expect(String(missing.json.error)).toMatch(/completion_tokens/);
  });

  const bad: [string, string, unknown, boolean, RegExp][] = [
    ["/score", "malformed JSON", "{nope", true, /malformed JSON/],
    ["/score", "a JSON array", "[1, 2]", true, /JSON object/],
    ["/score", "misaligned lists", { completions: ["a", "b"], golds: ["1"] }, false, /misaligned: completions has 2, golds has 1/],
    ["/score", "a number as completion", { completions: [5], golds: ["1"] }, false, /"completions"\[0\] must be a string/],
    ["/score", "an object as gold", { completions: ["a"], golds: [{}] }, false, /"golds"\[0\] must be a string, a number or null/],
    ["/score", "completions missing", { golds: ["1"] }, false, /"completions" must be a list/],
    ["/score", "bad completion_tokens", { completions: ["a"], golds: ["1"], completion_tokens: [-1] }, false, /completion_tokens/],
    ["/score", "an unknown function in the recipe", { completions: ["a"], golds: ["1"], recipe: { name: "r", reward_funcs: ["nope"] } }, false, /unknown reward function "nope"/],
    ["/score", "a file path as recipe", { completions: ["a"], golds: ["1"], recipe: "/etc/passwd" }, false, /not a shipped recipe/],
    ["/score", "a tokenizer path in the recipe", { completions: ["a"], golds: ["1"], recipe: { name: "r", reward_funcs: ["format"], tokenizer: "/etc/passwd" } }, false, /tokenizer.*per request/],
    ["/reward", "misaligned OpenRLHF lists", { query: ["a", "b"], prompts: ["a"], labels: ["1", "2"] }, false, /misaligned/],
    ["/reward", "query missing", { prompts: [] }, false, /"query" must be a list/],
  ];
  it.each(bad)("POST %s with %s → 400 with a message", async (route, _why, body, raw, msg) => {
    const { status, json } = await post(`${server.url}${route}`, body, raw);
    expect(status).toBe(400);
    expect(String(json.error)).toMatch(msg);
  });

  it("a body over the limit gets 413, with or without a content-length; the server keeps serving", async () => {
    const big = { completions: ["x".repeat(4096)], golds: ["1"] };
    const r1 = await post(`${small.url}/score`, big);
    expect(r1.status).toBe(413);
    const chunked = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 8; i++) ctl.enqueue(new TextEncoder().encode(`${"y".repeat(1024)}`));
        ctl.close();
      },
    });
    const r2 = await fetch(`${small.url}/score`, { method: "POST", body: chunked, duplex: "half", signal: AbortSignal.timeout(10_000) } as RequestInit);
    expect(r2.status).toBe(413);
    const ok = await post(`${small.url}/score`, { completions: [`a${T}\\boxed{1}`], golds: ["1"] });
    expect(ok.status).toBe(200);
    expect(ok.json.rewards).toEqual([2]);
  });

  it("unknown routes get 404 with the list of routes", async () => {
    const res = await fetch(`${server.url}/nope`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/POST \/reward/);
  });

  it("concurrent requests from many connections are graded together and each gets its own answers", async () => {
    const reqs = Array.from({ length: 12 }, (_, k) => {
      const completions = Array.from({ length: 20 }, (_, i) => `w${T}\\boxed{${(k * 20 + i) % 7}}`);
      const golds = completions.map((_, i) => String(i % 7));
      return { completions, golds };
    });
    const results = await Promise.all(reqs.map((r) => post(`${server.url}/score`, r)));
    results.forEach((res, k) => {
      expect(res.status).toBe(200);
      const expected = reqs[k].completions.map((c, i) => grade(c, reqs[k].golds[i], REWARD).correct);
      expect(res.json.correct).toEqual(expected);
    });
    const h = (await (await fetch(`${server.url}/health`)).json()) as { grader: { workers: number; timeouts: number } };
    expect(h.grader.workers).toBeLessThanOrEqual(1);
    expect(h.grader.timeouts).toBe(0);
  });

  it("close() lets an in-flight request finish and then refuses connections", async () => {
    const s = await startRewardServer({ recipe: loadRecipe("openrs-exp1"), port: 0, jobs: 1 });
    const items = Array.from({ length: 60 }, () => SLOW);
    const pending = post(`${s.url}/score`, { completions: items.map((x) => x.completion), golds: items.map((x) => x.gold) });
    await waitInflight(s.url);
    await s.close();
    const done = await pending;
    expect(done.status).toBe(200);
    expect(done.json.correct).toEqual(items.map(() => true));
    await expect(fetch(`${s.url}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});

/** Polls /health until a request is in flight (the batch is being graded in the worker). */
async function waitInflight(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const h = (await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).json()) as { inflight: number };
    if (h.inflight > 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no request in flight");
}

describe("openrs-eval serve-rewards (child process)", () => {
  let child: ChildProcess | null = null;
  const dir = mkdtempSync(join(tmpdir(), "openrs-serve-"));
  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  function start(args: string[]): Promise<{ url: string; exited: Promise<{ code: number | null; stderr: string }> }> {
    const p = spawn(process.execPath, [join(root, "bin", "openrs-eval.js"), "serve-rewards", ...args], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    child = p;
    let stderr = "";
    const exited = new Promise<{ code: number | null; stderr: string }>((done) => p.on("exit", (code) => done({ code, stderr })));
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`server did not start: ${stderr}`)), 15_000);
      p.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          ok({ url: m[1], exited });
        }
      });
      p.on("exit", () => {
        clearTimeout(timer);
        fail(new Error(`server exited: ${stderr}`));
      });
    });
  }

  it("SIGTERM finishes the in-flight request, then the process exits 0", async () => {
    const { url, exited } = await start(["--port", "0", "--jobs", "1", "--recipe", "openrs-exp2"]);
    const items = Array.from({ length: 60 }, () => SLOW);
    const pending = post(`${url}/score`, { completions: items.map((x) => x.completion), golds: items.map((x) => x.gold) });
    await waitInflight(url);
    child!.kill("SIGTERM");
    const done = await pending;
    expect(done.status).toBe(200);
    expect(done.json.rewards).toEqual(items.map(() => 2)); // accuracy 1 + format 1
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    expect(stderr).toMatch(/SIGTERM, finishing in-flight requests[\s\S]*stopped/);
  });

  const noTok = join(dir, "r.yaml");
  writeFileSync(noTok, "name: r\nreward_funcs: [cosine]\ntokenizer: missing/tokenizer.json\n");
  const badYaml = join(dir, "bad.yaml");
  writeFileSync(badYaml, "name: r\nreward_funcs: [cosine, nope]\n");
  const usage: [string[], RegExp][] = [
    [["--recipe", "no-such-recipe"], /recipe not found/],
    [["--recipe", noTok], /tokenizer not found: .*missing/],
    [["--recipe", badYaml], /unknown reward function "nope"/],
    [["--port", "70000"], /--port must be an integer in \[0, 65535\]/],
    [["--jobs", "0"], /--jobs must be a positive integer/],
  ];
  it.each(usage)("%j is a usage error (exit 2, one line)", async (args, msg) => {
    const p = spawn(process.execPath, [join(root, "bin", "openrs-eval.js"), "serve-rewards", ...args], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((done) => p.on("exit", done));
    expect(code).toBe(2);
    expect(stderr).toMatch(msg);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe("the Python examples' request and response shapes match the server", () => {
  let server: RunningRewardServer;
  beforeAll(async () => {
    server = await startRewardServer({ recipe: loadRecipe("openrs-exp3"), port: 0, jobs: 1 });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Keys of the `payload = {...}` literal and of `payload["..."] =` assignments in a Python file. */
  function payloadKeys(src: string): string[] {
    const keys = new Set<string>();
    const lit = /payload = \{([^\n]*)\}/g;
    for (let m = lit.exec(src); m; m = lit.exec(src)) for (const k of m[1].matchAll(/"(\w+)":/g)) keys.add(k[1]);
    for (const m of src.matchAll(/payload\["(\w+)"\] =/g)) keys.add(m[1]);
    return [...keys].sort();
  }

  it("examples/trl_reward.py: sends completions/golds/completion_tokens to /score and reads rewards", async () => {
    const src = readFileSync(join(root, "examples", "trl_reward.py"), "utf8");
    expect(src).toMatch(/_post\("\/score", payload\)/);
    expect(payloadKeys(src)).toEqual(["completion_tokens", "completions", "golds"]);
    expect(src).toMatch(/body\["rewards"\]/);
    // The same JSON the function sends for two completions (one with completion_ids given).
    const { status, json } = await post(`${server.url}/score`, {
      completions: [`a${T}\\boxed{4}`, "b"],
      golds: ["4", null],
      completion_tokens: [7, 1],
    });
    expect(status).toBe(200);
    const rewards = json.rewards as (number | null)[];
    expect(rewards).toHaveLength(2);
    for (const r of rewards) expect(r === null || typeof r === "number").toBe(true);
  });

  it("examples/verl_compute_score.py: sends completions/golds to /score and reads rewards and per_function", async () => {
    const src = readFileSync(join(root, "examples", "verl_compute_score.py"), "utf8");
    expect(src).toMatch(/_post\("\/score", payload\)/);
    expect(payloadKeys(src)).toEqual(["completions", "golds"]);
    expect(src).toMatch(/body\["rewards"\]/);
    expect(src).toMatch(/body\["per_function"\]\.items\(\)/);
    const { status, json } = await post(`${server.url}/score`, { completions: [`a${T}\\boxed{4}`], golds: ["4"] });
    expect(status).toBe(200);
    const per = json.per_function as Record<string, (number | null)[]>;
    for (const values of Object.values(per)) expect(values).toHaveLength(1);
    expect((json.rewards as number[])[0]).toBeCloseTo(per.format[0]! + 2 * per.cosine[0]!, 12);
  });

  it("examples/openrlhf.md: the documented request gets the documented response keys", async () => {
    const doc = readFileSync(join(root, "examples", "openrlhf.md"), "utf8");
    expect(doc).toMatch(/--remote_rm_url http:\/\/127\.0\.0\.1:8000\/reward/);
    const reqJson = /Request \(what OpenRLHF sends\):\s*```json\n(.*)\n```/.exec(doc)![1];
    const resJson = /Response \(aligned with `query`\):\s*```json\n(.*)\n```/.exec(doc)![1];
    const req = JSON.parse(reqJson.replace(/"\.\.\."/g, '"x"').replace(/<prompt>/g, "P").replace(/<response>/g, () => "r\\n</think>\\n\\\\boxed{1}"));
    const documented = JSON.parse(resJson);
    const { status, json } = await post(`${server.url}/reward`, req);
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(Object.keys(documented).sort());
    expect(Object.keys(json.extra_logs as object).sort()).toEqual(Object.keys(documented.extra_logs).sort());
    expect((json.rewards as number[]).length).toBe(req.query.length);
  });
});

describe("query handling helpers", () => {
  const rows: [string, string, string, boolean, string][] = [
    ["P<think>\nR<|endoftext|>", "P<think>\n", "R", true, "prompt prefix and EOS removed"],
    ["<pad><pad>PR</s><pad>", "P", "R", true, "left padding before the prompt, EOS then padding after"],
    ["XR", "P", "XR", false, "prompt not found: the whole query is scored"],
    ["PR", "", "PR", true, "no prompt given"],
  ];
  it.each(rows)("%j with prompt %j → %j", (query, prompt, response, found) => {
    expect(responseOf(query, prompt, parseRecipe({ name: "x", reward_funcs: ["format"] }).eosStrings)).toEqual({ response, promptFound: found });
  });
  it("stripEos removes repeated trailing strings only", () => {
    expect(stripEos("a</s></s>", ["</s>"])).toBe("a");
    expect(stripEos("</s>a", ["</s>"])).toBe("</s>a");
  });
});
