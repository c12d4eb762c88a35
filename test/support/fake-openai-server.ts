// A fake OpenAI-compatible server for tests and the HTTP benchmark: real HTTP on 127.0.0.1 (port 0), scripted
// responses (right, wrong, truncated, slow, 500, 429-then-success, dropped connection), request and in-flight counts,
// and the ways real servers differ: what `usage` means with n > 1, a limit on n, stop strings honoured.
// It does not tokenise: tokens are whitespace-separated words (max_tokens cuts a text to that many words).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One generation request as the server saw it. */
export interface FakeRequest {
  /** 1-based arrival number over the server's life. */
  seq: number;
  path: string;
  body: Record<string, unknown>;
  /** `body.prompt`, or the last message's content in chat mode. */
  prompt: string;
  /** Number of choices asked for (`n`, default 1). */
  n: number;
  /** `body.seed` (0 when absent). */
  seed: number;
  /** How many times this exact request (path + body) has arrived, this one included: 1 on the first try. */
  attempt: number;
  authorization: string | undefined;
}

export interface FakeChoice {
  text: string;
  finishReason?: "stop" | "length" | null;
  /** Chat mode only: sent as `message.reasoning_content`, as vLLM does with a reasoning parser on. */
  reasoning?: string;
}

export type FakeAction =
  /** 200 with these choices (at most `n` are sent; fewer when the server does not support `n`). */
  | { kind: "complete"; choices: FakeChoice[]; delayMs?: number }
  /** An HTTP error with an OpenAI-style error body. */
  | { kind: "error"; status: number; message?: string; retryAfterSeconds?: number; delayMs?: number }
  /** Destroys the socket without answering (a crashed server or a dropped connection). */
  | { kind: "drop"; delayMs?: number };

export type FakeScript = (req: FakeRequest) => FakeAction;

export interface FakeServerOptions {
  /** Models listed by `GET /v1/models` (default `["fake-model"]`). */
  models?: string[];
  /** When false, answers only the first choice whatever `n` is (as llama.cpp's server does). Default true. */
  supportsN?: boolean;
  /** When set, every request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Decides each generation response; default `echoScript`. */
  script?: FakeScript;
  /**
   * What `usage.completion_tokens` holds with several choices: "sum" over them (vLLM, the default), "first" choice's
   * only (llama.cpp), "per-choice" (the sum, and each choice its own `usage`), or "none" (no usage at all).
   */
  usage?: "sum" | "first" | "per-choice" | "none";
  /** Refuses `n` above this with llama.cpp's HTTP 400 ("Field 'n': Value must be between 1 <= value <= N"). */
  maxN?: number;
  /** Refuses any `n` > 1 as llama.cpp's early-2025 server does: HTTP 500 "Only one completion choice is allowed". */
  oneChoice500?: boolean;
}

/**
 * Deterministic text for one sample: choice `j` of a request with seed `s` stands for the sample drawn with seed
 * `s + j`, so a sample's text is the same whether it came in a batch (`n > 1`) or alone.
 */
export function sampleText(prompt: string, seed: number): string {
  return `fake completion for [${prompt.slice(-40)}] seed ${seed}`;
}

/** The default script: every request completes with `sampleText` per choice, finish reason "stop". */
export const echoScript: FakeScript = (r) => ({
  kind: "complete",
  choices: Array.from({ length: r.n }, (_, j) => ({ text: sampleText(r.prompt, r.seed + j), finishReason: "stop" })),
});

/** A completion that boxes `answer` the way the paper's prompt asks. */
export function answerLine(answer: string): string {
  return `<think>\nLet me work it out.\n</think>\n\nTherefore, the final answer is: $\\boxed{${answer}}$. I hope it is correct`;
}

/** An unset finish reason means "stop"; an explicit null is sent as null (servers that do not say). */
const reason = (c: FakeChoice): string | null => (c.finishReason === undefined ? "stop" : c.finishReason);

const words = (s: string): number => (s.trim() === "" ? 0 : s.trim().split(/\s+/).length);

/**
 * What a server makes of a scripted choice: cut at the first stop string (finish "stop"), else at max_tokens words
 * (finish "length"). A script that ignores EOS writes past the end token; the stop strings are what end it then.
 */
function shape(c: FakeChoice, body: Record<string, unknown>): FakeChoice {
  const stops = Array.isArray(body.stop) ? body.stop.filter((x): x is string => typeof x === "string" && x !== "") : [];
  let text = c.text;
  let finishReason = c.finishReason;
  const at = Math.min(...stops.map((x) => text.indexOf(x)).filter((i) => i >= 0));
  if (Number.isFinite(at)) {
    text = text.slice(0, at);
    finishReason = "stop";
  }
  const max = typeof body.max_tokens === "number" ? body.max_tokens : Number.POSITIVE_INFINITY;
  if (words(text) > max) {
    // Keep the first `max` words with their spacing, as a server's detokenised prefix would.
    const m = max >= 1 ? new RegExp(`^\\s*(?:\\S+\\s+){${max - 1}}\\S+`).exec(text) : null;
    text = m ? m[0] : "";
    finishReason = "length";
  }
  return { ...c, text, finishReason };
}

export class FakeOpenAIServer {
  readonly requests: FakeRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Generation requests received (not counting `/v1/models`). */
  count = 0;
  script: FakeScript;
  private readonly seen = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly opts: FakeServerOptions,
  ) {
    this.script = opts.script ?? echoScript;
  }

  static async start(opts: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
    let self: FakeOpenAIServer | null = null;
    const server = createServer((req, res) => self!.handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    self = new FakeOpenAIServer(server, `http://127.0.0.1:${port}`, opts);
    return self;
  }

  /** Forgets the counters (not the script). */
  reset(): void {
    this.requests.length = 0;
    this.seen.clear();
    this.count = 0;
    this.maxInFlight = this.inFlight;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(ms: number, fn: () => void): void {
    if (!ms) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => this.respond(req, res, Buffer.concat(chunks).toString("utf8")));
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }

  private respond(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = (req.url ?? "/").split("?")[0];
    if (this.opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.opts.apiKey}`) {
      this.json(res, 401, { error: { message: "invalid API key", type: "invalid_request_error" } });
      return;
    }
    if (req.method === "GET" && path === "/v1/models") {
      const models = this.opts.models ?? ["fake-model"];
      this.json(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model", owned_by: "fake" })) });
      return;
    }
    const chat = path === "/v1/chat/completions";
    if (req.method !== "POST" || (!chat && path !== "/v1/completions")) {
      this.json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw);
    } catch {
      this.json(res, 400, { error: { message: "body is not JSON" } });
      return;
    }
    const messages = body.messages as { content?: string }[] | undefined;
    const prompt = chat ? String(messages?.at(-1)?.content ?? "") : String(body.prompt ?? "");
    if (prompt === "") {
      this.json(res, 400, { error: { message: chat ? "messages is empty" : "prompt is empty" } });
      return;
    }
    const key = `${path} ${raw}`;
    const attempt = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, attempt);
    const r: FakeRequest = {
      seq: ++this.count,
      path,
      body,
      prompt,
      n: typeof body.n === "number" ? body.n : 1,
      seed: typeof body.seed === "number" ? body.seed : 0,
      attempt,
      authorization: req.headers.authorization,
    };
    this.requests.push(r);
    if (this.opts.oneChoice500 && r.n > 1) {
      this.json(res, 500, { error: { code: 500, message: "Only one completion choice is allowed", type: "server_error" } });
      return;
    }
    if (this.opts.maxN !== undefined && r.n > this.opts.maxN) {
      this.json(res, 400, { error: { code: 400, message: `Field 'n': Value must be between 1 <= value <= ${this.opts.maxN}`, type: "invalid_request_error" } });
      return;
    }
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        this.inFlight--;
      }
    };
    res.on("close", finish);
    let action: FakeAction;
    try {
      action = this.script(r);
    } catch (e) {
      // A broken script must fail the request loudly, not leave it hanging.
      action = { kind: "error", status: 400, message: `fake server script threw: ${(e as Error).message}` };
    }
    this.later(action.delayMs ?? 0, () => {
      if (action.kind === "drop") {
        finish();
        req.socket.destroy();
        return;
      }
      if (action.kind === "error") {
        const headers: Record<string, string> = action.retryAfterSeconds ? { "retry-after": String(action.retryAfterSeconds) } : {};
        this.json(res, action.status, { error: { message: action.message ?? `scripted ${action.status}` } }, headers);
        return;
      }
      const choices = action.choices.slice(0, this.opts.supportsN === false ? 1 : r.n).map((c) => shape(c, body));
      const usage = this.opts.usage ?? "sum";
      const own = (c: FakeChoice) => (usage === "per-choice" ? { usage: { completion_tokens: words(c.text) } } : {});
      this.json(res, 200, {
        id: `fake-${r.seq}`,
        object: chat ? "chat.completion" : "text_completion",
        model: body.model,
        choices: choices.map((c, index) =>
          chat
            ? {
                index,
                message: { role: "assistant", content: c.text, ...(c.reasoning === undefined ? {} : { reasoning_content: c.reasoning }) },
                finish_reason: reason(c),
                ...own(c),
              }
            : { index, text: c.text, finish_reason: reason(c), ...own(c) },
        ),
        ...(usage === "none"
          ? {}
          : {
              usage: {
                prompt_tokens: words(prompt),
                completion_tokens: usage === "first" ? words(choices[0]?.text ?? "") : choices.reduce((a, c) => a + words(c.text), 0),
              },
            }),
      });
    });
  }
}
