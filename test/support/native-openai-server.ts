// A minimal OpenAI-compatible server over the native engine, for tests that need a real server offline: GET
// /v1/models, POST /v1/completions and /v1/chat/completions (prompt or messages, max_tokens, temperature, top_p, n,
// seed, stop) on 127.0.0.1, real tokenisation and sampling of a checkpoint directory. Choice j of a request is seeded
// seed + j, so a batched sample equals the one asked alone. Requests run one at a time. Options emulate the ways real
// servers differ: what `usage` means with n > 1, a limit on n, and a server that does not stop on the EOS token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CheckpointTokenizer, loadTokenizer, NativeModel, type NativeSession } from "../../native/ts/index.js";

export interface NativeServerOptions {
  /** Checkpoint directory (config.json, safetensors, tokenizer files). */
  dir: string;
  /** "sum" over choices (vLLM), "first" choice only (llama.cpp), "per-choice" (each choice its own usage too). */
  usage?: "sum" | "first" | "per-choice";
  /** Generate past EOS: only the request's stop strings end a choice (a server that does not stop on the end token). */
  ignoreEos?: boolean;
  /** Refuse n above this (llama.cpp's message); default 16. */
  maxN?: number;
  threads?: number;
}

interface Choice {
  text: string;
  finish: "stop" | "length";
  tokens: number;
}

export class NativeOpenAIServer {
  /** Generation requests received, in order (bodies as parsed). */
  readonly requests: Record<string, unknown>[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly model: string,
    private readonly engine: NativeModel,
    private readonly session: NativeSession,
    private readonly tok: CheckpointTokenizer,
    private readonly opts: NativeServerOptions,
  ) {}

  static async start(opts: NativeServerOptions): Promise<NativeOpenAIServer> {
    const engine = await NativeModel.load(opts.dir, { threads: opts.threads ?? 1, device: "cpu" });
    const tok = loadTokenizer(opts.dir);
    let self: NativeOpenAIServer | null = null;
    const server = createServer((req, res) => self!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    self = new NativeOpenAIServer(server, url, "native-tiny", engine, engine.session(), tok, opts);
    return self;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.queue.catch(() => undefined);
    this.session.close();
    this.engine.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      this.respond(req, Buffer.concat(chunks).toString("utf8"))
        .then(([status, body]) => send(res, status, body))
        .catch((e: Error) => send(res, 500, { error: { message: e.message } }));
    });
  }

  private async respond(req: IncomingMessage, raw: string): Promise<[number, unknown]> {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/v1/models") return [200, { object: "list", data: [{ id: this.model, object: "model" }] }];
    const chat = path === "/v1/chat/completions";
    if (req.method !== "POST" || (!chat && path !== "/v1/completions")) return [404, { error: { message: `no route ${req.method} ${path}` } }];
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(raw);
    } catch {
      return [400, { error: { message: "body is not JSON" } }];
    }
    this.requests.push(b);
    const prompt = chat ? this.tok.renderChat(b.messages as never, true) : b.prompt;
    if (typeof prompt !== "string" || prompt === "") return [400, { error: { message: "prompt must be a non-empty string" } }];
    const n = b.n ?? 1;
    const maxN = this.opts.maxN ?? 16;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > maxN) {
      return [400, { error: { code: 400, message: `Field 'n': Value must be between 1 <= value <= ${maxN}`, type: "invalid_request_error" } }];
    }
    const stop = Array.isArray(b.stop) ? b.stop.filter((x): x is string => typeof x === "string" && x !== "") : [];
    const ids = this.tok.encode(prompt);
    const run = this.queue.then(() => this.generate(ids, n, b, stop));
    this.queue = run.catch(() => undefined);
    const choices = await run;
    const own = (c: Choice) => (this.opts.usage === "per-choice" ? { usage: { completion_tokens: c.tokens } } : {});
    const total = this.opts.usage === "first" ? choices[0].tokens : choices.reduce((a, c) => a + c.tokens, 0);
    return [
      200,
      {
        object: chat ? "chat.completion" : "text_completion",
        model: this.model,
        choices: choices.map((c, index) =>
          chat
            ? { index, message: { role: "assistant", content: c.text }, finish_reason: c.finish, ...own(c) }
            : { index, text: c.text, finish_reason: c.finish, ...own(c) },
        ),
        usage: { prompt_tokens: ids.length, completion_tokens: total },
      },
    ];
  }

  private async generate(ids: number[], n: number, b: Record<string, unknown>, stop: string[]): Promise<Choice[]> {
    const seed = typeof b.seed === "number" ? b.seed : 0;
    const r = await this.session.generate({
      prompts: [ids],
      nSamples: n,
      params: Array.from({ length: n }, (_, j) => ({
        temperature: typeof b.temperature === "number" ? b.temperature : 1,
        topP: typeof b.top_p === "number" ? b.top_p : 1,
        maxNewTokens: typeof b.max_tokens === "number" ? b.max_tokens : 16,
        seed: seed + j,
        stop: this.opts.ignoreEos ? [] : this.tok.eosIds.slice(0, 8),
      })),
    });
    return r.sequences.map((q) => {
      const tokens = Array.from(q.tokens);
      // Stop strings are matched on the raw text (special tokens written out), as servers do; the stopping token
      // counts as generated, as the engine counts its EOS.
      let raw = "";
      for (let k = 0; k < tokens.length && stop.length > 0; k++) {
        raw += this.tok.decode([tokens[k]], false);
        if (stop.some((x) => raw.includes(x))) return { text: k > 0 ? this.tok.decode(tokens.slice(0, k), true) : "", finish: "stop", tokens: k + 1 };
      }
      return { text: this.tok.decode(tokens, true), finish: q.finish === "length" ? "length" : "stop", tokens: tokens.length };
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
