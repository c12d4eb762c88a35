// native.ts: typed NativeModel / NativeSession over libopenrs through koffi (async calls on koffi's worker pool; no tokenizer here).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import koffi, { type LibraryHandle, type TypeObject } from "koffi";

type KoffiFunction = ReturnType<LibraryHandle["func"]>;

const LIB_NAME = process.platform === "darwin" ? "libopenrs.dylib" : "libopenrs.so";

/** Where the native library is, or why it is not there (tests skip with this reason). */
export interface NativeStatus {
  available: boolean;
  path: string | null;
  reason: string;
}

function findRepoNative(): string | null {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, "native", "CMakeLists.txt"))) return join(d, "native");
    d = dirname(d);
  }
  return null;
}

export function nativeStatus(): NativeStatus {
  const env = process.env.OPENRS_NATIVE_LIB;
  if (env) return existsSync(env) ? { available: true, path: resolve(env), reason: "" } : { available: false, path: null, reason: `OPENRS_NATIVE_LIB=${env} does not exist` };
  const native = findRepoNative();
  if (!native) return { available: false, path: null, reason: "native/ directory not found next to this module" };
  const lib = join(native, "build", LIB_NAME);
  if (existsSync(lib)) return { available: true, path: lib, reason: "" };
  const statusFile = join(native, "build", "openrs-build.json");
  if (existsSync(statusFile)) {
    try {
      const s = JSON.parse(readFileSync(statusFile, "utf8")) as { reason?: string };
      if (s.reason) return { available: false, path: null, reason: `native library not built: ${s.reason}` };
    } catch {
      // fall through to the generic reason
    }
  }
  return { available: false, path: null, reason: "native library not built (run `npm run build:native`)" };
}

const MAX_STOP = 8;

// The C structs of openrs.h, declared once per process (koffi names are global). Hand-written: a test
// (test/native/struct-layout.test.ts) holds every size and field offset to what the C compiler makes of openrs.h.
interface Structs {
  ModelParams: TypeObject;
  ModelInfo: TypeObject;
  SamplingParams: TypeObject;
  KvUsage: TypeObject;
}
let structs: Structs | null = null;

/** @internal The koffi declarations of the structs in openrs.h, by C name (for the layout test). */
export function nativeStructs(): Record<string, TypeObject> {
  const s = declareStructs();
  return { openrs_model_params: s.ModelParams, openrs_model_info: s.ModelInfo, openrs_sampling_params: s.SamplingParams, openrs_kv_usage: s.KvUsage };
}

function declareStructs(): Structs {
  if (structs) return structs;
  koffi.opaque("openrs_model");
  koffi.opaque("openrs_session");
  const ModelParams = koffi.struct("openrs_model_params", { n_threads: "int32_t", use_cuda: "int32_t", kv_bf16: "int32_t", act_bf16: "int32_t" });
  const ModelInfo = koffi.struct("openrs_model_info", {
    n_vocab: "int32_t",
    n_embd: "int32_t",
    n_layer: "int32_t",
    n_head: "int32_t",
    n_head_kv: "int32_t",
    head_dim: "int32_t",
    n_ctx_max: "int32_t",
    dtype: "int32_t",
    on_cuda: "int32_t",
    kv_bf16: "int32_t",
    act_bf16: "int32_t",
    arch: koffi.array("char", 48, "String"),
    kv_bytes_per_pos: "int64_t",
  });
  const SamplingParams = koffi.struct("openrs_sampling_params", {
    temperature: "float",
    top_p: "float",
    min_p: "float",
    top_k: "int32_t",
    seed: "uint64_t",
    max_new_tokens: "int32_t",
    n_stop: "int32_t",
    stop: koffi.array("int32_t", MAX_STOP),
  });
  const KvUsage = koffi.struct("openrs_kv_usage", { allocated: "int64_t", after_step: "int64_t", n_seq: "int32_t" });
  structs = { ModelParams, ModelInfo, SamplingParams, KvUsage };
  return structs;
}

// Everything koffi needs, bound once per process.
interface Bindings {
  lib: LibraryHandle;
  SamplingParams: TypeObject;
  ModelInfo: TypeObject;
  TokenCb: TypeObject;
  fn: Record<string, KoffiFunction>;
}
let bound: Bindings | null = null;

function bind(): Bindings {
  if (bound) return bound;
  const st = nativeStatus();
  if (!st.available || !st.path) throw new Error(st.reason);
  const lib = koffi.load(st.path);
  const { ModelInfo, SamplingParams } = declareStructs();
  const TokenCb = koffi.proto("int32_t openrs_token_cb(void *user, int32_t seq, int32_t token)");
  const f = (sig: string) => lib.func(sig);
  // Typed-array arguments reach C as pointers to their own memory (no copy, no _Out_ copy-back): the engine writes
  // tokens, logprobs and logits straight into the caller's Int32Array/Float32Array, also on the async worker pool.
  bound = {
    lib,
    SamplingParams,
    ModelInfo,
    TokenCb,
    fn: {
      load: f("openrs_model *openrs_model_load(const char *dir, openrs_model_params params, _Out_ uint8_t *err, int32_t err_len)"),
      freeModel: f("void openrs_model_free(openrs_model *model)"),
      info: f("void openrs_model_get_info(const openrs_model *model, _Out_ openrs_model_info *out)"),
      newSession: f("openrs_session *openrs_session_new(openrs_model *model)"),
      freeSession: f("void openrs_session_free(openrs_session *session)"),
      error: f("const char *openrs_session_error(const openrs_session *session)"),
      generate: f(
        "int32_t openrs_generate(openrs_session *s, const int32_t *tokens, const int32_t *prompt_lens, int32_t n_prompts, int32_t n_samples, const uint8_t *params, int32_t max_new, int32_t *out_tokens, float *out_logprobs, int32_t *out_n, int32_t *out_finish, openrs_token_cb *cb, void *user)",
      ),
      seqStart: f(
        "int32_t openrs_seq_start(openrs_session *s, const int32_t *prompt, int32_t n_prompt, int32_t n_samples, const uint8_t *params, int32_t *out_ids, int32_t *out_tokens, float *out_logprobs, int32_t *out_finish)",
      ),
      step: f("int32_t openrs_step(openrs_session *s, int32_t capacity, int32_t *out_ids, int32_t *out_tokens, float *out_logprobs, int32_t *out_finish)"),
      seqStop: f("int32_t openrs_seq_stop(openrs_session *s, int32_t id)"),
      seqRunning: f("int32_t openrs_seq_running(const openrs_session *s)"),
      kvUsage: f("int32_t openrs_get_kv_usage(const openrs_session *s, int32_t id, _Out_ openrs_kv_usage *out)"),
      kvStartBytes: f("int64_t openrs_kv_start_bytes(const openrs_model *model, int32_t n_prompt, int32_t n_samples, const uint8_t *params)"),
      score: f("int32_t openrs_score(openrs_session *s, const int32_t *tokens, int32_t n, int32_t n_prompt, float *out)"),
      logits: f("int32_t openrs_logits(openrs_session *s, const int32_t *tokens, int32_t n, int32_t n_rows, float *out)"),
      readGbps: f("double openrs_probe_read_gbps(int32_t n_threads, int32_t mib)"),
      fmaGflops: f("double openrs_probe_fma_gflops(int32_t n_threads)"),
      simd: f("const char *openrs_simd_name(void)"),
      forceScalar: f("void openrs_force_scalar(int32_t on)"),
      cpuKernels: f("const char *openrs_cpu_kernels(void)"),
      setKernels: f("int32_t openrs_set_kernels(const char *name)"),
      threadsPolicy: f("const char *openrs_threads_policy(void)"),
      probeMatmul: f(
        "int32_t openrs_probe_matmul(float *y, const float *x, int32_t T, int32_t K, const void *w, int32_t wdtype, int32_t N, const float *bias, int32_t act_bf16, int32_t n_threads)",
      ),
    },
  };
  return bound;
}

/** The C array of openrs_sampling_params for these sequences. */
function encodeParams(b: Bindings, per: SampleParams[]): Buffer {
  const size = koffi.sizeof(b.SamplingParams);
  const params = Buffer.alloc(size * per.length);
  per.forEach((p, i) => {
    const stop = p.stop ?? [];
    if (stop.length > MAX_STOP) throw new Error(`at most ${MAX_STOP} stop tokens per sequence`);
    koffi.encode(params, i * size, b.SamplingParams, {
      temperature: p.temperature ?? 1,
      top_p: p.topP ?? 1,
      min_p: p.minP ?? 0,
      top_k: p.topK ?? 0,
      seed: p.seed ?? 0,
      max_new_tokens: p.maxNewTokens,
      n_stop: stop.length,
      stop: [...stop, ...new Array(MAX_STOP - stop.length).fill(0)],
    });
  });
  return params;
}

/** @internal The loaded library (native/ts/train.ts binds its own functions from it). */
export function nativeLibrary(): LibraryHandle {
  return bind().lib;
}

/** Runs a bound function on koffi's worker pool and resolves with its return value. */
export function callAsync<T>(fn: KoffiFunction, ...args: unknown[]): Promise<T> {
  return new Promise((res, rej) => {
    fn.async(...args, (err: unknown, r: T) => (err ? rej(err) : res(r)));
  });
}

export interface ModelInfo {
  arch: string;
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  maxPositions: number;
  dtype: "f32" | "f16" | "bf16";
  /** Where the model runs. */
  device: "cpu" | "cuda";
  /** KV cache element type (bf16 only on the CPU engine, when asked for). */
  kvCache: "f32" | "bf16";
  /** Matmul inputs: "f32" (exact) or "bf16" (rounded, as bf16 frameworks run; CPU engine only). */
  activations: "f32" | "bf16";
  /** KV-cache bytes one cached position of one sequence costs (all layers, K and V), as the engine allocates. */
  kvBytesPerPosition: number;
}

/** KV-cache memory of running sequences, as the engine allocated it (bytes). */
export interface KvUsage {
  allocated: number;
  /** What is allocated once the next step has grown the caches that are full (a cache doubles when full). */
  afterStep: number;
  sequences: number;
}

export interface NativeModelOptions {
  /** CPU threads; 0 or absent = all cores. */
  threads?: number;
  /** "auto" (default): CUDA when the library has it and a device works, else CPU (a CUDA build says why on stderr);
   * "cuda": fail instead of falling back; "cpu": never CUDA. */
  device?: "auto" | "cuda" | "cpu";
  /** CPU engine KV cache: "f32" (default, exact) or "bf16" (half the memory and attention reads). */
  kvCache?: "f32" | "bf16";
  /** CPU engine matmul inputs: "f32" (default, exact) or "bf16": every matmul input rounded to bf16, as vLLM and
   * llama.cpp run bf16 checkpoints; with bf16 weights on AVX512-BF16 CPUs the products then run as bf16 dot products
   * (faster prefill and batched decode). Logits move by about what the bf16 KV cache moves them. */
  activations?: "f32" | "bf16";
}

/** Sampling of one sequence; temperature 0 is greedy. Filters apply as top_k, top_p, min_p. */
export interface SampleParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  maxNewTokens: number;
  /** Token ids that end a sequence (kept in the output); at most 8. */
  stop?: number[];
}

export interface GenerateRequest {
  prompts: (Int32Array | number[])[];
  /** Samples per prompt; they share one prefill of the prompt. */
  nSamples: number;
  /** One for all sequences, or one per sequence (prompt-major: prompt * nSamples + sample). */
  params: SampleParams | SampleParams[];
  /** Called on the main thread after each token; return true to cancel the whole call. */
  onToken?: (seq: number, token: number) => boolean | undefined;
  signal?: AbortSignal;
}

export interface GeneratedSequence {
  prompt: number;
  sample: number;
  tokens: Int32Array;
  /** Untempered model log-probabilities of each generated token (what openrs_score returns for them). */
  logprobs: Float32Array;
  finish: "stop" | "length" | "cancelled";
}

export interface GenerateResult {
  sequences: GeneratedSequence[];
  cancelled: boolean;
}

/** One token of one running sequence (continuous batching); token is -1 when a sequence ends without one. */
export interface StepEvent {
  id: number;
  token: number;
  logprob: number;
  /** Set on the sequence's last event. */
  finish: "stop" | "length" | null;
}

const FINISH = [null, "stop", "length"] as const;

function events(n: number, ids: Int32Array, toks: Int32Array, lps: Float32Array, fin: Int32Array): StepEvent[] {
  const out: StepEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ id: ids[i], token: toks[i], logprob: lps[i], finish: FINISH[fin[i]] ?? null });
  return out;
}

export class NativeModel {
  readonly info: ModelInfo;
  private handle: unknown;
  private sessions = new Set<NativeSession>();

  private constructor(
    handle: unknown,
    readonly dir: string,
    private readonly owned = true,
    private readonly onFree?: () => void,
  ) {
    this.handle = handle;
    const b = bind();
    const raw = {} as Record<string, number | string>;
    b.fn.info(handle, raw);
    this.info = {
      arch: String(raw.arch),
      vocab: Number(raw.n_vocab),
      hidden: Number(raw.n_embd),
      layers: Number(raw.n_layer),
      heads: Number(raw.n_head),
      kvHeads: Number(raw.n_head_kv),
      headDim: Number(raw.head_dim),
      maxPositions: Number(raw.n_ctx_max),
      dtype: (["f32", "f16", "bf16"] as const)[Number(raw.dtype)],
      device: Number(raw.on_cuda) ? "cuda" : "cpu",
      kvCache: Number(raw.kv_bf16) ? "bf16" : "f32",
      activations: Number(raw.act_bf16) ? "bf16" : "f32",
      kvBytesPerPosition: Number(raw.kv_bytes_per_pos),
    };
  }

  /** @internal A model handle owned by someone else (a trainer's live weights): close() frees only the sessions. */
  static borrow(handle: unknown, dir: string, onFree: () => void): NativeModel {
    return new NativeModel(handle, dir, false, onFree);
  }

  /** Memory-maps and validates a checkpoint directory; rejects with the engine's one-line reason. */
  static async load(dir: string, opts: NativeModelOptions = {}): Promise<NativeModel> {
    const b = bind();
    const err = Buffer.alloc(1024);
    const h = await callAsync<unknown>(b.fn.load, resolve(dir), { n_threads: opts.threads ?? 0, use_cuda: { cpu: 0, auto: 1, cuda: 2 }[opts.device ?? "auto"], kv_bf16: opts.kvCache === "bf16" ? 1 : 0, act_bf16: opts.activations === "bf16" ? 1 : 0 }, err, err.length);
    if (!h) throw new Error(err.toString("utf8", 0, Math.max(0, err.indexOf(0))) || `cannot load ${dir}`);
    return new NativeModel(h, dir);
  }

  /** KV-cache bytes a NativeSession.start of this prompt length with these params leaves allocated. */
  kvStartBytes(promptLength: number, params: SampleParams[]): number {
    if (!this.handle) throw new Error("model is closed");
    const b = bind();
    const r = Number(b.fn.kvStartBytes(this.handle, promptLength, params.length, encodeParams(b, params)));
    if (r < 0) throw new Error(`kvStartBytes: need promptLength > 0, at least one params entry and maxNewTokens >= 0`);
    return r;
  }

  session(): NativeSession {
    if (!this.handle) throw new Error("model is closed");
    const s = new NativeSession(this, bind().fn.newSession(this.handle));
    this.sessions.add(s);
    return s;
  }

  /** @internal */
  forget(s: NativeSession): void {
    this.sessions.delete(s);
    if (this.closing && this.sessions.size === 0) this.free();
  }

  private closing = false;
  private free(): void {
    if (this.handle && this.owned) bind().fn.freeModel(this.handle);
    if (this.handle && this.onFree) this.onFree();
    this.handle = null;
  }

  /** Frees the weights once every session is closed (sessions still running keep them alive until they finish). */
  close(): void {
    this.closing = true;
    for (const s of [...this.sessions]) s.close();
    if (this.sessions.size === 0) this.free();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export class NativeSession {
  private busy = false;
  private closed = false;

  /** @internal use NativeModel.session() */
  constructor(
    readonly model: NativeModel,
    private handle: unknown,
  ) {}

  private begin(): ReturnType<typeof bind> {
    if (this.closed) throw new Error("session is closed");
    if (this.busy) throw new Error("session is busy: one call at a time (open another session for concurrency)");
    this.busy = true;
    return bind();
  }

  private end(): void {
    this.busy = false;
    if (this.closed) this.release();
  }

  private error(b: ReturnType<typeof bind>): Error {
    return new Error(String(b.fn.error(this.handle)) || "native call failed");
  }

  /** Generates nSamples continuations per prompt, all live sequences decoded together. */
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const nP = req.prompts.length;
    const nS = req.nSamples;
    const nSeq = nP * nS;
    if (nP === 0 || !Number.isInteger(nS) || nS < 1) throw new Error("generate: need at least one prompt and nSamples >= 1");
    const per = Array.isArray(req.params) ? req.params : Array.from({ length: nSeq }, () => req.params as SampleParams);
    if (per.length !== nSeq) throw new Error(`generate: ${per.length} sampling params for ${nSeq} sequences`);
    const b = this.begin();
    try {
      const lens = new Int32Array(req.prompts.map((p) => p.length));
      const tokens = new Int32Array(lens.reduce((a, x) => a + x, 0));
      let off = 0;
      for (const p of req.prompts) {
        tokens.set(p, off);
        off += p.length;
      }
      const maxNew = Math.max(1, ...per.map((p) => p.maxNewTokens));
      const params = encodeParams(b, per);
      const outTokens = new Int32Array(nSeq * maxNew);
      const outLp = new Float32Array(nSeq * maxNew);
      const outN = new Int32Array(nSeq);
      const outFinish = new Int32Array(nSeq);
      const wantCb = req.onToken || req.signal;
      const cb = wantCb
        ? (_user: unknown, seq: number, token: number) => {
            try {
              const stop = req.onToken?.(seq, token);
              return stop || req.signal?.aborted ? 1 : 0;
            } catch {
              return 1; // a throwing callback cancels rather than crossing the C boundary
            }
          }
        : null;
      const rc = await callAsync<number>(b.fn.generate, this.handle, tokens, lens, nP, nS, params, maxNew, outTokens, outLp, outN, outFinish, cb, null);
      if (rc < 0) throw this.error(b);
      const sequences: GeneratedSequence[] = [];
      for (let q = 0; q < nSeq; q++) {
        const n = outN[q];
        const f = outFinish[q];
        sequences.push({
          prompt: Math.floor(q / nS),
          sample: q % nS,
          tokens: outTokens.subarray(q * maxNew, q * maxNew + n),
          logprobs: outLp.subarray(q * maxNew, q * maxNew + n),
          finish: f === 1 ? "stop" : f === 2 ? "length" : "cancelled",
        });
      }
      return { sequences, cancelled: rc === 1 };
    } finally {
      this.end();
    }
  }

  /**
   * Continuous batching: prefills one prompt (shared by its samples), adds one running sequence per params entry to
   * this session's batch, and returns each one's first token. Sequences that already finished are not running.
   */
  async start(prompt: Int32Array | number[], params: SampleParams[]): Promise<StepEvent[]> {
    if (params.length === 0) throw new Error("start: need at least one sequence");
    const b = this.begin();
    try {
      const p = Int32Array.from(prompt);
      const n = params.length;
      const ids = new Int32Array(n);
      const toks = new Int32Array(n);
      const lps = new Float32Array(n);
      const fin = new Int32Array(n);
      const rc = await callAsync<number>(b.fn.seqStart, this.handle, p, p.length, n, encodeParams(b, params), ids, toks, lps, fin);
      if (rc < 0) throw this.error(b);
      return events(n, ids, toks, lps, fin);
    } finally {
      this.end();
    }
  }

  /** One batched decode step: one event per running sequence (none when nothing runs). */
  async step(): Promise<StepEvent[]> {
    const b = this.begin();
    try {
      const cap = Number(b.fn.seqRunning(this.handle));
      if (cap === 0) return [];
      const ids = new Int32Array(cap);
      const toks = new Int32Array(cap);
      const lps = new Float32Array(cap);
      const fin = new Int32Array(cap);
      const n = await callAsync<number>(b.fn.step, this.handle, cap, ids, toks, lps, fin);
      if (n < 0) throw this.error(b);
      return events(n, ids, toks, lps, fin);
    } finally {
      this.end();
    }
  }

  /** Ends a running sequence early and frees its cache; false if it was not running. */
  stop(id: number): boolean {
    if (this.closed) return false;
    if (this.busy) throw new Error("session is busy: stop sequences between calls");
    return Number(bind().fn.seqStop(this.handle, id)) === 1;
  }

  /** Sequences running in this session's batch (as of the last call if one is in flight: the engine's count is
   * not read while a worker thread may be changing it). */
  get running(): number {
    if (this.closed || !this.handle) return 0;
    if (!this.busy) this.lastRunning = Number(bind().fn.seqRunning(this.handle));
    return this.lastRunning;
  }
  private lastRunning = 0;

  /** KV-cache memory of this session's running sequences (all, or the one with this id), read between calls. */
  kvUsage(id = -1): KvUsage {
    if (this.closed || !this.handle) return { allocated: 0, afterStep: 0, sequences: 0 };
    if (this.busy) throw new Error("session is busy: read KV usage between calls");
    const raw = {} as Record<string, number | bigint>;
    bind().fn.kvUsage(this.handle, id, raw);
    return { allocated: Number(raw.allocated), afterStep: Number(raw.after_step), sequences: Number(raw.n_seq) };
  }

  /** Teacher forcing: log p(tokens[i] | tokens[<i]) for i in [nPrompt, tokens.length). */
  async score(tokens: Int32Array | number[], nPrompt: number): Promise<Float32Array> {
    const b = this.begin();
    try {
      const t = Int32Array.from(tokens);
      const out = new Float32Array(Math.max(0, t.length - nPrompt));
      const rc = await callAsync<number>(b.fn.score, this.handle, t, t.length, nPrompt, out);
      if (rc < 0) throw this.error(b);
      return out;
    } finally {
      this.end();
    }
  }

  /** Logits of the last nRows positions, [nRows * vocab] row-major. */
  async logits(tokens: Int32Array | number[], nRows = 1): Promise<Float32Array> {
    const b = this.begin();
    try {
      const t = Int32Array.from(tokens);
      const out = new Float32Array(Math.max(1, nRows) * this.model.info.vocab);
      const rc = await callAsync<number>(b.fn.logits, this.handle, t, t.length, nRows, out);
      if (rc < 0) throw this.error(b);
      return out;
    } finally {
      this.end();
    }
  }

  private release(): void {
    if (this.handle) bind().fn.freeSession(this.handle);
    this.handle = null;
    this.model.forget(this);
  }

  /** Frees the session now, or when its running call returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.busy) this.release();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The machine's ceilings, measured now (for benchmarks). */
export function probeMachine(threads: number, mib = 512): { readGBps: number; fmaGflops: number; simd: string } {
  const b = bind();
  return { readGBps: b.fn.readGbps(threads, mib), fmaGflops: b.fn.fmaGflops(threads), simd: String(b.fn.simd()) };
}

/** Tests and benches: the engine's matmul on the kernel path in use, y[t][o] = x[t] . w[o] (+ bias[o]); w is [N][K]
 * as f32 values or raw 16-bit patterns (f16 / bf16); activations "bf16" rounds x to bf16 first. */
export function matmulProbe(
  x: Float32Array,
  T: number,
  K: number,
  w: Float32Array | Uint16Array,
  wdtype: "f32" | "f16" | "bf16",
  N: number,
  opts: { bias?: Float32Array; activations?: "f32" | "bf16"; threads?: number } = {},
): Float32Array {
  if (x.length !== T * K) throw new Error(`matmulProbe: x has ${x.length} values, want T x K = ${T * K}`);
  if (w.length !== N * K || (wdtype === "f32") !== w instanceof Float32Array) throw new Error(`matmulProbe: w must be ${N * K} ${wdtype} values`);
  if (opts.bias && opts.bias.length !== N) throw new Error(`matmulProbe: bias has ${opts.bias.length} values, want ${N}`);
  const y = new Float32Array(T * N);
  const rc = bind().fn.probeMatmul(y, x, T, K, w, { f32: 0, f16: 1, bf16: 2 }[wdtype], N, opts.bias ?? null, opts.activations === "bf16" ? 1 : 0, opts.threads ?? 1);
  if (rc !== 0) throw new Error("matmulProbe: the engine refused its arguments");
  return y;
}

/** Tests: route every matmul through the scalar kernels (process-wide) or back to the SIMD ones. */
export function forceScalarKernels(on: boolean): string {
  const b = bind();
  b.fn.forceScalar(on ? 1 : 0);
  return String(b.fn.simd());
}

/** The CPU kernel path in use ("avx512bf16", "avx512", "avx2" or "scalar"): the CPU's best unless OPENRS_KERNELS or
 * setKernels chose a lower one. */
export function simdName(): string {
  return String(bind().fn.simd());
}

/** Kernel paths, fastest first; each CPU runs a suffix of this list. */
export const KERNEL_PATHS = ["avx512bf16", "avx512", "avx2", "scalar"] as const;
export type KernelPath = (typeof KERNEL_PATHS)[number];

/** The kernel paths this CPU can run (its best first) and the ones it cannot. */
export function kernelPaths(): { runnable: KernelPath[]; unavailable: KernelPath[] } {
  const best = KERNEL_PATHS.indexOf(String(bind().fn.cpuKernels()) as KernelPath);
  return { runnable: KERNEL_PATHS.slice(best), unavailable: KERNEL_PATHS.slice(0, best) };
}

/** Forces a kernel path process-wide (tests, benches; OPENRS_KERNELS does the same at load); returns the path now in use. */
export function setKernels(path: KernelPath): string {
  const rc = bind().fn.setKernels(path);
  if (rc === -1) throw new Error(`unknown kernel path '${path}' (want one of ${KERNEL_PATHS.join(", ")})`);
  if (rc === -2) throw new Error(`kernel path '${path}' needs CPU features this machine lacks (best: ${String(bind().fn.cpuKernels())})`);
  return simdName();
}

/** How the engine's worker threads wait between ops (see native/src/threads.hpp). */
export function threadsPolicy(): string {
  return String(bind().fn.threadsPolicy());
}
