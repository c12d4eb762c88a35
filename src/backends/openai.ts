// The OpenAI-compatible HTTP backend (vLLM, SGLang, llama.cpp server): completions or chat, n per request,
// bounded retries, per-request timeouts, a shared concurrency cap and load balancing over several servers.
// It leaves prompt rendering to the runner (it sends `req.prompt` or `req.messages` as given).
import { checkSampleIndices } from "./request.js";
import type { Backend, Generation, GenerationRequest, TokenSource } from "./types.js";

export { checkSampleIndices } from "./request.js";

export interface OpenAIBackendOptions {
  /** One base URL or several (`"http://a:8000,http://b:8000"` or a list); a trailing `/v1` is accepted. */
  baseUrls: string | readonly string[];
  /** Served model name; default: the first model `GET /v1/models` lists. */
  model?: string;
  /** Call `/v1/chat/completions` with `req.messages` instead of `/v1/completions` with the locally rendered prompt. */
  chat?: boolean;
  /** Most HTTP requests in flight at once, over all `generate` calls and all servers (default 16). */
  concurrency?: number;
  /** Attempts per HTTP request, the first included (default 6). */
  maxAttempts?: number;
  /** Per-attempt timeout in ms (default 30 min: 32,768 new tokens at ~20 tokens/s). */
  timeoutMs?: number;
  /** First retry delay before jitter (default 500 ms); doubles per attempt up to `backoffMaxMs` (default 30 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How requests pick a server: fewest requests in flight (ties round robin; default) or plain round robin. */
  balance?: "least-in-flight" | "round-robin";
  /** API key; default: the variable named by `apiKeyEnv` (default `OPENAI_API_KEY`); none when unset. */
  apiKey?: string;
  /** Environment variable holding the key. Naming one that is unset is an error (a default that is unset is not). */
  apiKeyEnv?: string;
  /** Most samples asked for in one request via `n` (default 64); 1 sends one request per sample. */
  samplesPerRequest?: number;
  /** Extra JSON fields merged into every request body (e.g. vLLM's `{"add_special_tokens": false}`). */
  extraBody?: Record<string, unknown>;
  /** Timeout of the `/v1/models` probe when opening (default 10 s). */
  probeTimeoutMs?: number;
  /** Uniform [0, 1) source for the backoff jitter (tests pass a fixed one). */
  random?: () => number;
  /** Called before each retry sleep, e.g. to log on stderr. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Counts a completion's tokens locally (the `--tokenizer`'s), for batched responses whose usage cannot say each
   * choice's count: it weighs the split of a summed total, or stands alone where the server reports no usage.
   */
  countTokens?: (text: string) => number;
  /**
   * Requests in a row whose samples failed on the server (HTTP 500 after every retry) before the backend gives up on
   * the server and fails the run (default 16): one bad sample is recorded and skipped, a broken server is not.
   */
  maxErrorStreak?: number;
}

export interface RetryInfo {
  url: string;
  attempt: number;
  delayMs: number;
  error: string;
}

export interface OpenAIBackendStats {
  /** HTTP attempts started (generation requests only, not the `/v1/models` probe). */
  requests: number;
  retries: number;
  /** Requests whose max_tokens was lowered to fit the server's context (see contextRoom). */
  clipped: number;
  /** Samples recorded as failed (finish reason "error") after the server answered HTTP 500 to every attempt. */
  failedSamples: number;
  /** Most samples one request may ask for: samplesPerRequest, lowered by a server's `n` limit or missing support. */
  maxN: number;
  /** What a batched response's `usage` total means on this server, once known ("sum" of the choices, or "none" given). */
  usageConvention: UsageConvention | null;
  inFlight: number;
  maxInFlight: number;
  /** Attempts started per base URL, in the order given. */
  perUrl: { url: string; requests: number; inFlight: number }[];
}

/** A bad option, URL or key setting: the caller's mistake (the CLI reports it as a usage error, exit 2). */
export class OpenAIConfigError extends Error {}

/** An error that the retry loop must not retry (bad request, auth, abort, close). */
class FatalError extends Error {}

/** The server refused `n` above its limit ("Value must be between 1 <= value <= 16"): split and ask again. */
class NLimitError extends FatalError {
  constructor(
    message: string,
    readonly limit: number,
  ) {
    super(message);
  }
}

/** Every attempt was answered HTTP 500: the server fails this request, not the connection (one bad sample). */
class SampleFailure extends Error {}

/**
 * What a server's `usage.completion_tokens` means for `n` > 1, found by one probe request: "sum" over the choices
 * (vLLM, SGLang), "choice" when each choice carries its own count, "none" when it reports none, "one-choice" when it
 * reports a single choice's count (llama.cpp) and "unknown" when the probe failed or ignored `n`; the last two are
 * asked one sample per request from then on, so every count is the exact usage of its own request.
 */
export type UsageConvention = "sum" | "choice" | "none" | "one-choice" | "unknown";

/** The limit in a refusal of `n` (llama.cpp: "Field 'n': Value must be between 1 <= value <= 16"; its 2025 builds:
 * "Only one completion choice is allowed", an HTTP 500), when below `asked`. */
export function nLimitOf(message: string, asked: number): number | null {
  if (/only one (?:completion )?choice is allowed/i.test(message)) return asked > 1 ? 1 : null;
  if (!/(?:['"`]n['"`]|\bn\b)/.test(message)) return null;
  const m = /(?:<=|≤|at most|less than or equal to|no more than|maximum(?: value)?(?: is| of)?)\s*(\d+)/i.exec(message);
  if (!m) return null;
  const limit = Number(m[1]);
  return limit >= 1 && limit < asked ? limit : null;
}

/**
 * Relays aborts from long-lived signals (close(), the runner's) to per-request callbacks through one listener per
 * signal: a listener per request piles up on the shared signal (Node warns past 10, and each abort walks them all).
 */
export class AbortHub {
  private readonly watched = new Map<AbortSignal, { callbacks: Set<() => void>; fire: () => void }>();

  /** Calls `onAbort` when `signal` aborts, until the returned function is called. The caller checks `aborted` first. */
  watch(signal: AbortSignal, onAbort: () => void): () => void {
    let entry = this.watched.get(signal);
    if (!entry) {
      const callbacks = new Set<() => void>();
      const fire = (): void => {
        this.watched.delete(signal);
        for (const f of [...callbacks]) f();
      };
      entry = { callbacks, fire };
      this.watched.set(signal, entry);
      signal.addEventListener("abort", fire, { once: true });
    }
    entry.callbacks.add(onAbort);
    return () => {
      const e = this.watched.get(signal);
      if (e?.callbacks.delete(onAbort) !== true || e.callbacks.size > 0) return;
      signal.removeEventListener("abort", e.fire);
      this.watched.delete(signal);
    };
  }

  /** Signals with a listener of this hub (0 once every watcher left). */
  get size(): number {
    return this.watched.size;
  }
}

const RETRY_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** One line, bounded: server messages and `cause` chains can hold newlines and whole HTML pages. */
function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

/** Normalises and validates the base URLs: `http(s)://host[:port][/prefix]`, without a trailing `/` or `/v1`. */
export function parseBaseUrls(spec: string | readonly string[]): string[] {
  const parts = (typeof spec === "string" ? spec.split(",") : [...spec]).map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) throw new OpenAIConfigError("openai backend: no server URL given");
  return parts.map((p) => {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw new OpenAIConfigError(`openai backend: bad server URL "${p}" (expected http://host:port)`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new OpenAIConfigError(`openai backend: bad server URL "${p}" (only http and https are supported)`);
    }
    return `${u.origin}${u.pathname}`.replace(/\/+$/, "").replace(/\/v1$/, "");
  });
}

/** A FIFO counting semaphore; waiters leave the queue when their signal aborts. */
class Semaphore {
  private free: number;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  constructor(n: number) {
    this.free = n;
  }
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(w);
    });
  }
  release(): void {
    const w = this.waiters.shift();
    if (w) w.resolve();
    else this.free++;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The innermost cause of a fetch failure (`ECONNREFUSED: connect ...`, `UND_ERR_SOCKET: other side closed`). */
function causeOf(e: unknown): string {
  let c: unknown = e;
  for (let depth = 0; depth < 4 && (c as { cause?: unknown }).cause; depth++) c = (c as { cause?: unknown }).cause;
  const code = (c as { code?: unknown }).code;
  const msg = c instanceof Error ? c.message : String(c);
  return typeof code === "string" && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

interface Choice {
  index?: number;
  text?: string;
  message?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
  finish_reason?: string | null;
  /** Per-choice usage, from servers that give it. */
  usage?: { completion_tokens?: number };
  /** Completions API: `{tokens: [...]}`; chat API: `{content: [...]}`, one entry per generated token. */
  logprobs?: { tokens?: unknown[]; content?: unknown[] } | null;
}

interface CompletionResponse {
  choices?: Choice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

function finishReason(r: string | null | undefined): Generation["finishReason"] {
  return r === "stop" || r === "length" ? r : r === "eos" || r === "stop_sequence" ? "stop" : "unknown";
}

function tokenCount(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null;
}

/** Chat servers with a reasoning parser split the `<think>` part off; put it back so format metrics still see it. */
function choiceText(c: Choice, chat: boolean): string {
  if (!chat) return typeof c.text === "string" ? c.text : "";
  const content = c.message?.content ?? "";
  const reasoning = c.message?.reasoning_content ?? c.message?.reasoning ?? null;
  return reasoning ? `<think>\n${reasoning}\n</think>\n\n${content}` : content;
}

/**
 * Per-choice completion tokens from a response's total, for servers whose `usage` sums over the choices: the total
 * is split in proportion to each text's local token count when `sizes` gives one, else its length (largest
 * remainder, so the parts add up to the total): each sample's count is then an estimate, but their sum, and so a
 * suite's mean, stays exact.
 */
export function splitTokens(total: number | null, texts: readonly string[], sizes?: readonly number[]): (number | null)[] {
  if (total === null) return texts.map(() => null);
  if (texts.length === 1) return [total];
  const weights = texts.map((t, i) => (sizes ? sizes[i] : t.length) + 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (total * w) / sum);
  const parts = raw.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) parts[order[k % order.length][1]]++;
  return parts;
}

/** A choice's own token count, when the response carries one (per-choice usage, or its logprob tokens). */
function choiceTokens(c: Choice): { count: number; source: TokenSource } | null {
  const u = tokenCount(c.usage?.completion_tokens);
  if (u !== null) return { count: u, source: "choice-usage" };
  const lp = c.logprobs?.tokens ?? c.logprobs?.content;
  return Array.isArray(lp) ? { count: lp.length, source: "logprobs" } : null;
}

export class OpenAIBackend implements Backend {
  readonly name = "openai";
  /** The served model name (what `/v1/models` reports, usually the checkpoint id). */
  readonly model: string;
  readonly urls: readonly string[];
  private readonly opts: Required<
    Pick<
      OpenAIBackendOptions,
      "chat" | "concurrency" | "maxAttempts" | "timeoutMs" | "backoffBaseMs" | "backoffMaxMs" | "balance" | "samplesPerRequest" | "maxErrorStreak"
    >
  > &
    OpenAIBackendOptions;
  private readonly headers: Record<string, string>;
  private readonly sem: Semaphore;
  private readonly closer = new AbortController();
  private readonly hub = new AbortHub();
  private readonly urlInFlight: number[];
  private readonly urlRequests: number[];
  private rr = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private requests = 0;
  private retries = 0;
  /** Requests re-sent with a smaller max_tokens because prompt + max_tokens exceeded the server's context. */
  private clippedRequests = 0;
  /** Most samples per request: lowered to the server's `n` limit, or to 1 when it ignores `n` or its usage is per choice. */
  private maxN: number;
  private usage: UsageConvention | null = null;
  private usageProbe: Promise<void> | null = null;
  private failedSamples = 0;
  /** Requests in a row that ended in failed samples; reset by any answered request. */
  private errorStreak = 0;
  /** Set once errorStreak reached its limit: the server is broken, every later request fails with this message. */
  private broken: string | null = null;
  private closed = false;

  private constructor(model: string, urls: string[], opts: OpenAIBackend["opts"], headers: Record<string, string>) {
    this.model = model;
    this.urls = urls;
    this.opts = opts;
    this.headers = headers;
    this.sem = new Semaphore(opts.concurrency);
    this.urlInFlight = urls.map(() => 0);
    this.urlRequests = urls.map(() => 0);
    this.maxN = opts.samplesPerRequest;
  }

  /**
   * Validates the options, probes `GET /v1/models` on every server (so a server that is down fails here, in one
   * line, rather than mid-run) and resolves the model name.
   */
  static async open(options: OpenAIBackendOptions): Promise<OpenAIBackend> {
    const urls = parseBaseUrls(options.baseUrls);
    const opts = {
      chat: false,
      concurrency: 16,
      maxAttempts: 6,
      timeoutMs: 1_800_000,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      balance: "least-in-flight" as const,
      samplesPerRequest: 64,
      maxErrorStreak: 16,
      ...options,
    };
    for (const k of ["concurrency", "maxAttempts", "samplesPerRequest", "maxErrorStreak"] as const) {
      if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new OpenAIConfigError(`openai backend: ${k} must be a positive integer (got ${opts[k]})`);
    }
    for (const k of ["timeoutMs", "backoffBaseMs", "backoffMaxMs"] as const) {
      if (!(opts[k] >= 0) || !Number.isFinite(opts[k])) throw new OpenAIConfigError(`openai backend: ${k} must be a non-negative number (got ${opts[k]})`);
    }
    if (opts.balance !== "least-in-flight" && opts.balance !== "round-robin") {
      throw new OpenAIConfigError(`openai backend: unknown balance "${opts.balance}" (least-in-flight or round-robin)`);
    }
    let key = options.apiKey;
    if (key === undefined) {
      const env = options.apiKeyEnv ?? "OPENAI_API_KEY";
      key = process.env[env] || undefined;
      if (key === undefined && options.apiKeyEnv !== undefined) {
        throw new OpenAIConfigError(`openai backend: environment variable ${options.apiKeyEnv} (named by --api-key-env) is not set`);
      }
    }
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key) headers.authorization = `Bearer ${key}`;

    const probeMs = options.probeTimeoutMs ?? 10_000;
    const served = await Promise.all(urls.map((u) => listModels(u, headers, probeMs)));
    let model = options.model;
    if (model === undefined) {
      const first = served[0];
      if (first === null || first.length === 0) {
        const why = first === null ? "has no /v1/models endpoint" : "/v1/models lists no model";
        throw new OpenAIConfigError(`openai backend: ${urls[0]} ${why}; pass the model name explicitly`);
      }
      model = first[0];
    }
    served.forEach((list, i) => {
      if (list !== null && list.length > 0 && !list.includes(model)) {
        throw new OpenAIConfigError(`openai backend: ${urls[i]} does not serve model "${model}" (it serves: ${list.slice(0, 5).join(", ")})`);
      }
    });
    return new OpenAIBackend(model, urls, opts, headers);
  }

  stats(): OpenAIBackendStats {
    return {
      requests: this.requests,
      retries: this.retries,
      clipped: this.clippedRequests,
      failedSamples: this.failedSamples,
      maxN: this.maxN,
      usageConvention: this.usage,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      perUrl: this.urls.map((url, i) => ({ url, requests: this.urlRequests[i], inFlight: this.urlInFlight[i] })),
    };
  }

  /** Abort listeners this backend holds on shared signals (close() and callers' signals): one per live signal. */
  get watchedSignals(): number {
    return this.hub.size;
  }

  async generate(req: GenerationRequest, signal?: AbortSignal): Promise<Generation[]> {
    if (this.closed) throw new Error("openai backend: generate called after close()");
    checkSampleIndices("openai", req);
    if (this.opts.chat) {
      if (!Array.isArray(req.messages) || req.messages.length === 0) {
        throw new Error(`openai backend: chat mode needs messages for ${req.problemId}`);
      }
    } else if (typeof req.prompt !== "string" || req.prompt === "") {
      throw new Error(`openai backend: empty prompt for ${req.problemId}`);
    }
    if (req.sampleIndices.length === 0) return [];
    const sorted = [...req.sampleIndices].sort((a, b) => a - b);
    const parts = await Promise.all(this.runsOf(sorted).map((g) => this.generateGroup(req, g, signal)));
    return parts.flat();
  }

  /**
   * Consecutive indices in groups of at most maxN: a request's choice j is drawn with seed + first + j, as sample
   * first + j is, so only neighbours share one.
   */
  private runsOf(sorted: readonly number[]): number[][] {
    const groups: number[][] = [];
    for (const i of sorted) {
      const g = groups.at(-1);
      if (g && g.length < this.maxN && g[g.length - 1] === i - 1) g.push(i);
      else groups.push([i]);
    }
    return groups;
  }

  private body(req: GenerationRequest, first: number, n: number, maxTokens: number): Record<string, unknown> {
    const p = req.params;
    const body: Record<string, unknown> = {
      ...this.opts.extraBody,
      model: this.model,
      max_tokens: maxTokens,
      temperature: p.temperature,
      top_p: p.topP,
      n,
      // With n > 1 the server draws all n from one seed; the per-sample seed is exact when each sample is its own request.
      seed: p.seed + first,
    };
    if (p.stop && p.stop.length > 0) body.stop = p.stop;
    if (this.opts.chat) body.messages = req.messages;
    else body.prompt = req.prompt;
    return body;
  }

  private get path(): string {
    return this.opts.chat ? "/v1/chat/completions" : "/v1/completions";
  }

  /** One request with `n = indices.length`; samples the server did not return are asked for one by one. */
  private async generateGroup(req: GenerationRequest, indices: number[], signal?: AbortSignal): Promise<Generation[]> {
    if (this.broken !== null) throw new Error(this.broken);
    if (indices.length > 1 && this.usage === null) await this.learnUsage(req, signal);
    if (indices.length > this.maxN) return this.split(req, indices, signal);
    let res: CompletionResponse;
    const body = this.body(req, indices[0], indices.length, req.params.maxNewTokens);
    try {
      res = await this.post(this.path, body, signal);
    } catch (e) {
      if (e instanceof NLimitError && indices.length > e.limit) {
        // Remembered for the rest of the run, so later problems split at once instead of being refused first.
        this.maxN = Math.min(this.maxN, e.limit);
        return this.split(req, indices, signal);
      }
      if (!(e instanceof SampleFailure)) throw e;
      // One bad sample should not take its batch with it: ask for each alone, so only the failing one is recorded.
      if (indices.length > 1) return this.split(req, indices, signal, 1);
      return [this.failed(req, indices[0], e.message)];
    }
    this.errorStreak = 0;
    const choices = [...res.choices!].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).slice(0, indices.length);
    const texts = choices.map((c) => choiceText(c, this.opts.chat));
    const counts = this.completionTokens(res, choices, texts);
    const out: Generation[] = choices.map((c, j) => ({
      problemId: req.problemId,
      sampleIndex: indices[j],
      completion: texts[j],
      finishReason: finishReason(c.finish_reason),
      promptTokens: tokenCount(res.usage?.prompt_tokens),
      completionTokens: counts[j].count,
      tokenSource: counts[j].source,
      // post() lowers body.max_tokens when the server's context is shorter: the limit these samples ran under.
      ...(body.max_tokens !== req.params.maxNewTokens ? { maxNewTokens: body.max_tokens as number } : {}),
    }));
    if (choices.length < indices.length) {
      if (choices.length === 1) this.maxN = 1;
      const rest = await Promise.all(indices.slice(choices.length).map((i) => this.generateGroup(req, [i], signal)));
      out.push(...rest.flat());
    }
    return out;
  }

  private async split(req: GenerationRequest, indices: number[], signal: AbortSignal | undefined, size = this.maxN): Promise<Generation[]> {
    const groups: number[][] = [];
    for (let k = 0; k < indices.length; k += size) groups.push(indices.slice(k, k + size));
    return (await Promise.all(groups.map((g) => this.generateGroup(req, g, signal)))).flat();
  }

  /** A sample the server failed after every retry: recorded, not thrown, unless the server fails everything. */
  private failed(req: GenerationRequest, sampleIndex: number, message: string): Generation {
    this.failedSamples++;
    if (++this.errorStreak >= this.opts.maxErrorStreak) {
      this.broken =
        `openai backend: ${this.errorStreak} requests in a row failed on the server (last: ${message}); stopping ` +
        "(the failed samples are recorded; rerun with --retry-errors once the server is fixed)";
      throw new Error(this.broken);
    }
    return {
      problemId: req.problemId,
      sampleIndex,
      completion: "",
      finishReason: "error",
      promptTokens: null,
      completionTokens: null,
      tokenSource: "none",
      error: message,
    };
  }

  /**
   * Each choice's completion tokens, from the best source the response allows: the choice's own count, the single
   * choice's usage, the local tokenizer, a split of a summed total; null when none applies.
   */
  private completionTokens(res: CompletionResponse, choices: Choice[], texts: string[]): { count: number | null; source: TokenSource }[] {
    const total = tokenCount(res.usage?.completion_tokens);
    const own = choices.map(choiceTokens);
    if (own.every((o) => o !== null)) return own as { count: number; source: TokenSource }[];
    if (choices.length === 1 && total !== null) return [{ count: total, source: "usage" }];
    // Re-encoding the text is close to what a trained model sampled but not exact (a degenerate output with broken
    // UTF-8 re-encodes to twice the tokens), so an exact total is split by the local counts rather than replaced.
    const local = this.opts.countTokens ? texts.map(this.opts.countTokens) : undefined;
    if (this.usage === "sum" && total !== null) return splitTokens(total, texts, local).map((n) => ({ count: n, source: "usage-split" as const }));
    if (local) return local.map((n) => ({ count: n, source: "tokenizer" as const }));
    return texts.map(() => ({ count: null, source: "none" as const }));
  }

  /** Finds out once what a batched response's usage total means (see UsageConvention); all callers wait for it. */
  private learnUsage(req: GenerationRequest, signal?: AbortSignal): Promise<void> {
    this.usageProbe ??= this.probeUsage(req, signal).finally(() => {
      // A probe cut short by its caller's abort decided nothing: the next batched request probes again.
      if (this.usage === null) this.usageProbe = null;
    });
    return this.usageProbe;
  }

  /**
   * Two choices of one token each: a total of 2 is a sum over choices, 1 is one choice's count (then every sample
   * gets its own request, whose usage is exact). A server that fails the probe is asked one sample per request too.
   */
  private async probeUsage(req: GenerationRequest, signal?: AbortSignal): Promise<void> {
    let res: CompletionResponse;
    try {
      res = await this.post(this.path, this.body(req, 0, 2, 1), signal);
    } catch (e) {
      if (signal?.aborted || this.closed) throw e;
      res = {};
    }
    const choices = res.choices ?? [];
    const total = tokenCount(res.usage?.completion_tokens);
    if (choices.length < 2) this.usage = "unknown";
    else if (choices.every((c) => choiceTokens(c) !== null)) this.usage = "choice";
    else if (total === 2) this.usage = "sum";
    else if (total === null) this.usage = "none";
    else this.usage = total === 1 ? "one-choice" : "unknown";
    if (this.usage === "one-choice" || this.usage === "unknown") this.maxN = 1;
  }

  private pickUrl(avoid: number): number {
    const n = this.urls.length;
    if (n === 1) return 0;
    if (this.opts.balance === "round-robin") {
      let i = this.rr++ % n;
      if (i === avoid) i = this.rr++ % n;
      return i;
    }
    // Least in flight; ties go round robin so idle servers share the load evenly.
    let best = -1;
    const start = this.rr++ % n;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (i === avoid) continue;
      if (best < 0 || this.urlInFlight[i] < this.urlInFlight[best]) best = i;
    }
    return best;
  }

  /** POSTs `body` with retries; returns a response holding at least one choice, or throws a one-line Error. */
  private async post(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<CompletionResponse> {
    // One controller per call, relayed from close() and the caller's signal through the hub (one listener per shared
    // signal, however many requests are running) and detached at the end.
    const outer = new AbortController();
    const relay = (): void => outer.abort();
    if (signal?.aborted || this.closer.signal.aborted) outer.abort();
    const unwatchClose = this.hub.watch(this.closer.signal, relay);
    const unwatchCaller = signal ? this.hub.watch(signal, relay) : null;
    try {
      return await this.attempts(path, body, outer.signal, signal);
    } finally {
      unwatchClose();
      unwatchCaller?.();
    }
  }

  private async attempts(path: string, body: Record<string, unknown>, outer: AbortSignal, signal?: AbortSignal): Promise<CompletionResponse> {
    let payload = JSON.stringify(body);
    let clipped = false;
    let lastError = "";
    let lastUrl = -1;
    // Whether every attempt so far was answered HTTP 500: the server fails this request, the connection is fine.
    let onlyServerErrors = true;
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      let retryAfterMs = 0;
      try {
        await this.sem.acquire(outer);
      } catch {
        throw this.abortError(signal);
      }
      const u = this.pickUrl(attempt > 1 ? lastUrl : -1);
      lastUrl = u;
      const url = this.urls[u];
      this.requests++;
      this.urlRequests[u]++;
      this.urlInFlight[u]++;
      this.inFlight++;
      if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
      const ac = new AbortController();
      const stop = () => ac.abort();
      outer.addEventListener("abort", stop, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ac.abort();
      }, this.opts.timeoutMs);
      try {
        const res = await fetch(url + path, { method: "POST", headers: this.headers, body: payload, signal: ac.signal });
        const text = await res.text();
        if (res.ok) {
          let parsed: CompletionResponse;
          try {
            parsed = JSON.parse(text);
          } catch {
            throw new Error(`bad JSON in the response (${oneLine(text, 80)})`);
          }
          if (!Array.isArray(parsed.choices) || parsed.choices.length === 0) throw new Error("response has no choices");
          return parsed;
        }
        const msg = `HTTP ${res.status}${serverMessage(text)}`;
        const room = res.status === 400 && !clipped ? contextRoom(text) : null;
        if (room !== null && room > 0 && room < Number(body.max_tokens)) {
          // The paper's 32,768 new tokens can exceed what the served context leaves after the prompt; generation then
          // stops at the context end (as lighteval's does), so ask once more for what fits.
          clipped = true;
          this.clippedRequests++;
          body.max_tokens = room; // the caller reads the limit the samples really ran under
          payload = JSON.stringify(body);
          attempt--;
          continue;
        }
        const limit = res.status === 400 || res.status === 500 ? nLimitOf(msg, Number(body.n)) : null;
        if (limit !== null) throw new NLimitError(`openai backend: ${url}${path} refused n = ${body.n}: ${msg}`, limit);
        if (!RETRY_STATUS.has(res.status)) throw new FatalError(`openai backend: ${url}${path} refused the request: ${msg}`);
        const ra = Number(res.headers.get("retry-after"));
        if (Number.isFinite(ra) && ra > 0) retryAfterMs = Math.min(ra * 1000, this.opts.backoffMaxMs);
        if (res.status !== 500) onlyServerErrors = false;
        lastError = msg;
      } catch (e) {
        if (e instanceof FatalError) throw e;
        if (outer.aborted) throw this.abortError(signal);
        onlyServerErrors = false;
        lastError = timedOut ? `timed out after ${this.opts.timeoutMs} ms` : oneLine(causeOf(e));
      } finally {
        clearTimeout(timer);
        outer.removeEventListener("abort", stop);
        this.inFlight--;
        this.urlInFlight[u]--;
        this.sem.release();
      }
      if (attempt < this.opts.maxAttempts) {
        const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (attempt - 1));
        // Equal jitter: at least half the backoff, so retries of a burst spread out but never hammer at once.
        const delayMs = Math.max(retryAfterMs, cap / 2 + (this.opts.random ?? Math.random)() * (cap / 2));
        this.retries++;
        this.opts.onRetry?.({ url, attempt, delayMs, error: lastError });
        try {
          await sleep(delayMs, outer);
        } catch {
          throw this.abortError(signal);
        }
      }
    }
    // The server answered every attempt with 500 for this request: a fault of this sample (e.g. llama.cpp's
    // "output does not match the expected format" at one seed), recorded as such; anything else is the server's.
    if (onlyServerErrors) throw new SampleFailure(lastError);
    throw new Error(`openai backend: ${path} failed after ${this.opts.maxAttempts} attempts (last: ${lastError} at ${this.urls[lastUrl]})`);
  }

  private abortError(signal?: AbortSignal): Error {
    return new Error(signal?.aborted ? "openai backend: request aborted" : "openai backend: closed while a request was running");
  }

  /** Aborts requests still running and refuses new ones; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closer.abort(new Error("closed"));
  }
}

/**
 * From a "context too long" 400, the completion tokens that still fit: vLLM's "maximum context length is 32768
 * tokens ... (120 in the messages, ...)" or "... your request has 120 input tokens ..."; null for other errors.
 */
export function contextRoom(body: string): number | null {
  const ctx = /maximum context length is (\d+) tokens/.exec(body);
  const input = /\((\d+) in the (?:messages|prompt)/.exec(body) ?? /has (\d+) input tokens/.exec(body);
  return ctx && input ? Number(ctx[1]) - Number(input[1]) : null;
}

/** The error text an OpenAI-style server put in its body (`{"error": {"message"}}`, `{"detail"}`, or plain text). */
function serverMessage(text: string): string {
  if (text.trim() === "") return "";
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const m = typeof j.error === "string" ? j.error : (j.error?.message ?? j.message ?? j.detail);
    if (m !== undefined) return `: ${oneLine(typeof m === "string" ? m : JSON.stringify(m), 200)}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `: ${oneLine(text, 200)}`;
}

/** `GET /v1/models` → the model ids, or null when the server has no such endpoint (404); throws when unreachable. */
async function listModels(url: string, headers: Record<string, string>, timeoutMs: number): Promise<string[] | null> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/models`, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const why = (e as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : oneLine(causeOf(e));
    throw new Error(`openai backend: server ${url} is not reachable (${why})`);
  }
  const text = await res.text();
  if (res.status === 404) return null;
  if (res.status === 401 || res.status === 403) {
    throw new Error(`openai backend: ${url} rejected the API key (HTTP ${res.status}${serverMessage(text)}); set OPENAI_API_KEY or --api-key-env`);
  }
  if (!res.ok) throw new Error(`openai backend: ${url}/v1/models answered HTTP ${res.status}${serverMessage(text)}`);
  try {
    const j = JSON.parse(text) as { data?: { id?: unknown }[] };
    return (j.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === "string");
  } catch {
    throw new Error(`openai backend: ${url}/v1/models did not return JSON (is this an OpenAI-compatible server?)`);
  }
}


/**
 * The factory `createBackend` (src/backends/index.ts) calls for an http(s) `--model`: `spec` is the comma-separated
 * base URLs, `opts` the runner's backend options (concurrency, apiKeyEnv, timeoutMs, chat, model, ...).
 */
export function createOpenAIBackend(spec: string, opts: Partial<Omit<OpenAIBackendOptions, "baseUrls">> = {}): Promise<OpenAIBackend> {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  return OpenAIBackend.open({ ...defined, baseUrls: spec });
}
