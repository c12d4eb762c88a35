// The native backend: runs a Hugging Face checkpoint directory in-process on the native core (CPU, or CUDA when
// built and present), one engine session per concurrent call; all samples of a problem share one prefill.
import { type CheckpointTokenizer, generateText, loadTokenizer, NativeModel, type NativeSession, nativeStatus } from "../../native/ts/index.js";
import type { Backend, Generation, GenerationRequest } from "./types.js";

export interface NativeBackendOptions {
  /** Engine threads (0 or undefined: the engine's default, all cores). */
  threads?: number;
  /** "auto" uses CUDA when the library was built with it and a device is present, else the CPU (with a notice). */
  device?: "auto" | "cpu" | "cuda";
}

/** The native library is missing or the checkpoint cannot be loaded: one line, shown as a usage error. */
export class NativeBackendError extends Error {}

function checkIndices(indices: readonly unknown[]): void {
  const seen = new Set<number>();
  for (const i of indices) {
    if (typeof i !== "number" || !Number.isInteger(i) || i < 0) throw new NativeBackendError(`sample index must be an integer >= 0, got ${JSON.stringify(i)}`);
    if (seen.has(i)) throw new NativeBackendError(`sample index ${i} requested twice`);
    seen.add(i);
  }
}

export class NativeBackend implements Backend {
  readonly name: string;
  private readonly idle: NativeSession[] = [];
  private closed = false;

  private constructor(
    readonly model: string,
    private readonly engine: NativeModel,
    private readonly tok: CheckpointTokenizer,
  ) {
    this.name = `native-${engine.info.device}`;
  }

  static async open(dir: string, opts: NativeBackendOptions = {}): Promise<NativeBackend> {
    const status = nativeStatus();
    if (!status.available) throw new NativeBackendError(`--model ${dir}: the native engine is not available (${status.reason}); run npm run build:native`);
    let engine: NativeModel;
    try {
      engine = await NativeModel.load(dir, { threads: opts.threads, device: opts.device ?? "auto" });
    } catch (e) {
      throw new NativeBackendError(`--model ${dir}: ${(e as Error).message}`);
    }
    try {
      return new NativeBackend(dir, engine, loadTokenizer(dir));
    } catch (e) {
      engine.close();
      throw new NativeBackendError(`--model ${dir}: ${(e as Error).message}`);
    }
  }

  /** Sample i is seeded `seed + i`, so a resumed run asking for one missing sample gets what it would have got. */
  async generate(req: GenerationRequest, signal?: AbortSignal): Promise<Generation[]> {
    if (this.closed) throw new NativeBackendError("the native backend is closed");
    checkIndices(req.sampleIndices);
    if (req.sampleIndices.length === 0) return [];
    const session = this.idle.pop() ?? this.engine.session();
    try {
      const { temperature, topP, maxNewTokens, seed } = req.params;
      const samples = await generateText(
        session,
        this.tok,
        req.prompt,
        req.sampleIndices.map((i) => seed + i),
        { temperature, topP, maxNewTokens },
        { signal },
      );
      if (samples.some((s) => s.finishReason === "cancelled")) throw new Error("generation cancelled");
      return samples.map((s, j) => ({
        problemId: req.problemId,
        sampleIndex: req.sampleIndices[j],
        completion: s.completion,
        finishReason: s.finishReason === "length" ? "length" : "stop",
        promptTokens: s.promptTokens,
        completionTokens: s.completionTokens,
      }));
    } finally {
      if (this.closed) session.close();
      else this.idle.push(session);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.idle.splice(0)) s.close();
    this.engine.close();
  }
}
