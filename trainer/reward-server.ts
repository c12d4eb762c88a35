// The reward server: OpenRLHF's remote reward protocol (POST /reward), a plain scoring API (POST /score) for TRL
// and verl clients, and GET /health, over hono on node. Stateless; grading runs in the grader's worker pool.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Gold, TokenCounter } from "./rewards/types.js";
import type { RewardBatch } from "./rewards/weighted.js";
import type { Recipe } from "./recipe.js";
import { RewardInputError, RewardScorer, type ScoreRequest } from "./scorer.js";

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
export const DEFAULT_PORT = 8000;
export const DEFAULT_HOST = "127.0.0.1";

/** A request the server refuses with 400 and this message. */
export class RequestError extends Error {}

export interface RewardAppOptions {
  /** Largest request body accepted (413 beyond it). */
  maxBodyBytes?: number;
}

interface Counters {
  inflight: number;
  requests: number;
  items: number;
  errors: number;
  draining: boolean;
}

function stringList(body: Record<string, unknown>, key: string): string[] {
  const v = body[key];
  if (!Array.isArray(v)) throw new RequestError(`"${key}" must be a list`);
  v.forEach((x, i) => {
    if (typeof x !== "string") throw new RequestError(`"${key}"[${i}] must be a string, got ${x === null ? "null" : typeof x}`);
  });
  return v as string[];
}

/** Gold answers: strings, null (no gold), or numbers (datasets often store integer answers as numbers). */
function goldList(body: Record<string, unknown>, key: string): Gold[] {
  const v = body[key];
  if (!Array.isArray(v)) throw new RequestError(`"${key}" must be a list`);
  return v.map((x, i) => {
    if (typeof x === "string" || x === null) return x;
    if (typeof x === "number" && Number.isFinite(x)) return String(x);
    throw new RequestError(`"${key}"[${i}] must be a string, a number or null, got ${typeof x}`);
  });
}

function tokenList(body: Record<string, unknown>, key: string, n: number): (number | null)[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== n) throw new RequestError(`"${key}" must be a list with one entry per completion (${n})`);
  v.forEach((x, i) => {
    if (x !== null && (typeof x !== "number" || !Number.isFinite(x) || x < 0)) throw new RequestError(`"${key}"[${i}] must be a non-negative number or null`);
  });
  return v as (number | null)[];
}

function aligned(lists: Record<string, readonly unknown[]>): number {
  const entries = Object.entries(lists);
  const n = entries[0][1].length;
  for (const [k, l] of entries) {
    if (l.length !== n) throw new RequestError(`lists are misaligned: ${entries.map(([k2, l2]) => `${k2} has ${l2.length}`).join(", ")} (first mismatch: "${k}")`);
  }
  return n;
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await c.req.text();
  } catch (e) {
    throw new RequestError(`could not read the request body (${(e as Error).message})`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new RequestError(`malformed JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new RequestError("the body must be a JSON object");
  return body as Record<string, unknown>;
}

/** Removes trailing end-of-sequence / padding strings (repeatedly) and returns the completion. */
export function stripEos(text: string, eos: readonly string[]): string {
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of eos) {
      if (s && text.endsWith(s)) {
        text = text.slice(0, -s.length);
        changed = true;
      }
    }
  }
  return text;
}

/**
 * The response of an OpenRLHF query: `query` is prompt + response as decoded by the engine (possibly with left
 * padding before the prompt and end-of-sequence/padding tokens after the response). Returns the response and
 * whether the prompt was found; when it is not, the whole query (minus trailing EOS) is graded.
 */
export function responseOf(query: string, prompt: string, eos: readonly string[]): { response: string; promptFound: boolean } {
  const stripped = stripEos(query, eos);
  if (prompt === "") return { response: stripped, promptFound: true };
  const at = stripped.startsWith(prompt) ? 0 : stripped.indexOf(prompt);
  if (at < 0) return { response: stripped, promptFound: false };
  return { response: stripped.slice(at + prompt.length), promptFound: true };
}

/** null → 0, for clients (OpenRLHF) that turn the lists into tensors. */
function numeric(v: readonly (number | null)[]): number[] {
  return v.map((x) => x ?? 0);
}

/** Weighted totals where an excluded (null) component counts 0, for OpenRLHF, which has no way to skip an item. */
function totalsForOpenRlhf(batch: RewardBatch, names: readonly string[], weights: readonly number[]): number[] {
  return batch.total.map((t, i) => {
    if (t !== null) return t;
    let s = 0;
    names.forEach((n, k) => {
      s += weights[k] * (batch.perFunction[n][i] ?? 0);
    });
    return s;
  });
}

/** The hono app over a scorer; exported for tests (app.request) and for embedding. */
export function createRewardApp(scorer: RewardScorer, opts: RewardAppOptions = {}): { app: Hono; counters: Counters } {
  const counters: Counters = { inflight: 0, requests: 0, items: 0, errors: 0, draining: false };
  const app = new Hono();
  const maxSize = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limit = bodyLimit({
    maxSize,
    onError: (c) => {
      counters.errors++;
      return c.json({ error: `request body larger than ${maxSize} bytes` }, 413);
    },
  });
  const started = Date.now();
  const recipe = scorer.recipe;

  // Counts in-flight requests (graceful shutdown waits for them) and turns failures into JSON errors.
  const handle = (fn: (c: Context) => Promise<Response>) => async (c: Context) => {
    if (counters.draining) return c.json({ error: "server is shutting down" }, 503);
    counters.inflight++;
    counters.requests++;
    try {
      return await fn(c);
    } catch (e) {
      counters.errors++;
      const msg = (e as Error)?.message ?? String(e);
      if (e instanceof RequestError) return c.json({ error: msg }, 400);
      if (/GraderPool is closed/.test(msg)) return c.json({ error: "server is shutting down" }, 503);
      return c.json({ error: msg }, 500);
    } finally {
      counters.inflight--;
    }
  };

  /** Scores through the scorer; a reward function's refusal is the request's fault. */
  const run = async (req: ScoreRequest): Promise<RewardBatch> => {
    // Verdicts come back in `correct` whenever the server's own recipe grades, even for a per-request recipe that does not.
    const forceVerdicts = req.forceVerdicts || scorer.set.needsVerdicts;
    try {
      return await scorer.score({ ...req, forceVerdicts });
    } catch (e) {
      throw e instanceof RewardInputError ? new RequestError(e.message) : e;
    }
  };

  app.get("/health", (c) =>
    c.json(
      {
        status: counters.draining ? "draining" : "ok",
        recipe: recipe.name,
        reward_funcs: recipe.rewardFuncs,
        reward_weights: recipe.rewardWeights,
        jobs: scorer.jobs,
        inflight: counters.inflight,
        requests: counters.requests,
        items: counters.items,
        errors: counters.errors,
        grader: scorer.poolStats,
        rss_bytes: process.memoryUsage().rss,
        heap_used_bytes: process.memoryUsage().heapUsed,
        uptime_s: (Date.now() - started) / 1000,
      },
      counters.draining ? 503 : 200,
    ),
  );

  app.post(
    "/reward",
    limit,
    handle(async (c) => {
      const body = await jsonBody(c);
      const query = stringList(body, "query");
      const prompts = body.prompts === undefined ? query.map(() => "") : stringList(body, "prompts");
      const labels = body.labels === undefined ? query.map(() => null) : goldList(body, "labels");
      const n = aligned({ query, prompts, labels });
      const completions: string[] = new Array(n);
      const promptFound: number[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const r = responseOf(query[i], prompts[i], recipe.eosStrings);
        completions[i] = r.response;
        promptFound[i] = r.promptFound ? 1 : 0;
      }
      const batch = await run({ completions, golds: labels, forceVerdicts: true });
      counters.items += n;
      const extra: Record<string, number[]> = {};
      for (const name of scorer.set.names) extra[name] = numeric(batch.perFunction[name]);
      extra.prompt_found = promptFound;
      const scores = batch.perFunction.accuracy ? numeric(batch.perFunction.accuracy) : (batch.correct ?? []).map((v) => (v ? 1 : 0));
      return c.json({ rewards: totalsForOpenRlhf(batch, scorer.set.names, scorer.set.weights), scores, extra_logs: extra });
    }),
  );

  app.post(
    "/score",
    limit,
    handle(async (c) => {
      const body = await jsonBody(c);
      const completions = stringList(body, "completions");
      const golds = body.golds === undefined ? completions.map(() => null) : goldList(body, "golds");
      const n = aligned({ completions, golds });
      const completionTokens = tokenList(body, "completion_tokens", n);
      let set: ReturnType<RewardScorer["setFor"]> | undefined;
      if (body.recipe !== undefined && body.recipe !== null) {
        try {
          set = scorer.setFor(body.recipe);
        } catch (e) {
          throw new RequestError((e as Error).message);
        }
      }
      const batch = await run({ completions, golds, completionTokens, set, forceVerdicts: true });
      counters.items += n;
      return c.json({
        rewards: batch.total,
        per_function: batch.perFunction,
        correct: batch.correct,
        recipe: set ? "in request" : recipe.name,
      });
    }),
  );

  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path} (routes: POST /reward, POST /score, GET /health)` }, 404));
  app.onError((e, c) => c.json({ error: (e as Error)?.message ?? String(e) }, 500));
  return { app, counters };
}

export interface RewardServerOptions extends RewardAppOptions {
  recipe: Recipe;
  host?: string;
  /** 0 picks a free port (see the returned `port`). */
  port?: number;
  /** Grader worker threads (default 2). */
  jobs?: number;
  /** How long shutdown waits for in-flight requests before cutting connections (default 30 s). */
  drainMs?: number;
  /** Token counter for clamped cosine (default: loaded from the recipe's `tokenizer`). */
  tokenCounter?: TokenCounter;
}

export interface RunningRewardServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly scorer: RewardScorer;
  /** Stops accepting, lets in-flight requests finish (up to drainMs), then closes the grader pool. */
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startRewardServer(opts: RewardServerOptions): Promise<RunningRewardServer> {
  const scorer = new RewardScorer({ recipe: opts.recipe, jobs: opts.jobs ?? 2, tokenCounter: opts.tokenCounter });
  const { app, counters } = createRewardApp(scorer, opts);
  const host = opts.host ?? DEFAULT_HOST;
  let server: ReturnType<typeof serve>;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: opts.port ?? DEFAULT_PORT, hostname: host }, (i) => resolve(i));
    server.once("error", (e) => reject(e));
  }).catch(async (e: NodeJS.ErrnoException) => {
    await scorer.close();
    const why = e.code === "EADDRINUSE" ? "address already in use" : e.code === "EACCES" ? "permission denied" : e.message;
    throw new Error(`cannot listen on ${host}:${opts.port ?? DEFAULT_PORT}: ${why}`);
  });
  const http = server! as import("node:http").Server;
  // Keep-alive connections from training clients stay open between steps; a short timeout would only add reconnects.
  http.keepAliveTimeout = 65_000;
  http.requestTimeout = 300_000;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      counters.draining = true;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const drainMs = opts.drainMs ?? 30_000;
      const deadline = Date.now() + drainMs;
      while (counters.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // A keep-alive connection becomes idle only once its last response is flushed: keep closing idle ones.
      const idle = setInterval(() => http.closeIdleConnections(), 20);
      http.closeIdleConnections();
      const cut = setTimeout(() => http.closeAllConnections(), Math.max(0, deadline - Date.now()) + 100);
      await closed;
      clearInterval(idle);
      clearTimeout(cut);
      await scorer.close();
    })();
    return closing;
  };
  const shownHost = info.address.includes(":") ? `[${info.address}]` : info.address;
  return { url: `http://${shownHost}:${info.port}`, host: info.address, port: info.port, scorer, close };
}
