// The native backend: runs a Hugging Face checkpoint directory in-process on the native core (CPU, or CUDA when
// built and present). Concurrent calls (the runner's problems in flight) join one continuously batched decode, and
// all samples of a problem share one prefill.
import { totalmem } from "node:os";
import { type CheckpointTokenizer, ContinuousBatcher, loadTokenizer, NativeModel, type NativeSession, nativeStatus } from "../../native/ts/index.js";
import { checkSampleIndices, fitNewTokens } from "./request.js";
import type { Backend, Generation, GenerationRequest } from "./types.js";

export interface NativeBackendOptions {
  /** Engine threads (0 or undefined: the engine's default, all cores). */
  threads?: number;
  /** "auto" uses CUDA when the library was built with it and a device is present, else the CPU (with a notice). */
  device?: "auto" | "cpu" | "cuda";
  /** CPU engine KV cache dtype (default f32). */
  kvCache?: "f32" | "bf16";
  /** CPU engine matmul inputs: f32 (default, exact) or bf16 (rounded, as bf16 frameworks run; faster on AVX512-BF16). */
  activations?: "f32" | "bf16";
  /** Most sequences decoding together (default 32). */
  maxBatch?: number;
  /** KV-cache budget in bytes for admitting new problems (CPU default: 40 % of RAM; none on CUDA). */
  maxKvBytes?: number;
  /** The model's name in run records (default: the directory as given); a shipped model's short name. */
  modelName?: string;
}

/** The native library is missing or the checkpoint cannot be loaded: one line, shown as a usage error. */
export class NativeBackendError extends Error {}

export class NativeBackend implements Backend {
  readonly name: string;
  private readonly session: NativeSession;
  private readonly batcher: ContinuousBatcher;
  private closed = false;

  private constructor(
    readonly model: string,
    private readonly engine: NativeModel,
    private readonly tok: CheckpointTokenizer,
    opts: NativeBackendOptions,
  ) {
    this.name = `native-${engine.info.device}`;
    this.session = engine.session();
    this.batcher = new ContinuousBatcher(this.session, {
      maxSequences: opts.maxBatch ?? 32,
      maxKvBytes: opts.maxKvBytes ?? (engine.info.device === "cpu" ? 0.4 * totalmem() : undefined),
    });
  }

  static async open(dir: string, opts: NativeBackendOptions = {}): Promise<NativeBackend> {
    const status = nativeStatus();
    if (!status.available) throw new NativeBackendError(`--model ${dir}: the native engine is not available (${status.reason}); run npm run build:native`);
    let engine: NativeModel;
    try {
      engine = await NativeModel.load(dir, { threads: opts.threads, device: opts.device ?? "auto", kvCache: opts.kvCache, activations: opts.activations });
    } catch (e) {
      throw new NativeBackendError(`--model ${dir}: ${(e as Error).message}`);
    }
    try {
      return new NativeBackend(opts.modelName ?? dir, engine, loadTokenizer(dir), opts);
    } catch (e) {
      engine.close();
      throw new NativeBackendError(`--model ${dir}: ${(e as Error).message}`);
    }
  }

  /** Sample i is seeded `seed + i`, so a resumed run asking for one missing sample gets what it would have got. */
  async generate(req: GenerationRequest, signal?: AbortSignal): Promise<Generation[]> {
    if (this.closed) throw new NativeBackendError("the native backend is closed");
    checkSampleIndices("native", req);
    if (req.sampleIndices.length === 0) return [];
    const { temperature, topP, seed } = req.params;
    const ids = this.tok.encode(req.prompt);
    if (ids.length === 0) throw new NativeBackendError(`${req.problemId}: the prompt encodes to no tokens`);
    const maxNewTokens = fitNewTokens(ids.length, req.params.maxNewTokens, this.engine.info.maxPositions);
    const clamp = maxNewTokens < req.params.maxNewTokens ? { maxNewTokens } : {};
    if (maxNewTokens === 0) {
      // The prompt alone fills the context: nothing can be generated (a server answers the same with an error).
      return req.sampleIndices.map((i) => ({ problemId: req.problemId, sampleIndex: i, completion: "", finishReason: "length", promptTokens: ids.length, completionTokens: 0, ...clamp }));
    }
    const stop = this.tok.eosIds.slice(0, 8);
    const seqs = await this.batcher.submit({
      prompt: ids,
      params: req.sampleIndices.map((i) => ({ temperature, topP, maxNewTokens, seed: seed + i, stop })),
      signal,
    });
    return seqs.map((s, j) => ({
      problemId: req.problemId,
      sampleIndex: req.sampleIndices[j],
      completion: this.tok.decode(s.tokens, true),
      finishReason: s.finish === "length" ? "length" : "stop",
      promptTokens: ids.length,
      completionTokens: s.tokens.length,
      ...clamp,
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.close();
    this.session.close();
    this.engine.close();
  }
}
