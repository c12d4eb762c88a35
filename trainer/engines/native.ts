// native.ts: the TrainEngine (trainer/engine.ts) on the native engine: f32 weights, gradients and AdamW moments in
// C++ (native/ts/train.ts), losses in float64 TypeScript. model() is the live weights for generation sessions, so
// rollouts sample from exactly the weights being trained.
import type { NativeModel } from "../../native/ts/native.js";
import { NativeTrainer, pack } from "../../native/ts/train.js";
import type { AdamWStep, LogprobOptions, LogprobResult, StepResult, TrainEngine, TrainSequence } from "../engine.js";

export interface NativeTrainEngineOptions {
  /** CPU threads; 0 or absent = all cores. */
  threads?: number;
  /** Activation recompute: keep only layer inputs (memory per token: see NativeTrainer.info). */
  recompute?: boolean;
  /** "hf" (default): biases and norm weights get no weight decay, as the HF Trainer's param groups; "none": all decay. */
  noDecay?: "hf" | "none";
}

function split(flat: Float32Array, offsets: number[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (let s = 0; s + 1 < offsets.length; s++) out.push(Float64Array.from(flat.subarray(offsets[s], offsets[s + 1])));
  return out;
}

export class NativeTrainEngine implements TrainEngine {
  readonly vocabSize: number;
  readonly maxPositions: number;

  private constructor(
    readonly trainer: NativeTrainer,
    readonly modelDir: string,
    private readonly hfNoDecay: boolean,
  ) {
    const info = trainer.model().info;
    this.vocabSize = info.vocab;
    this.maxPositions = info.maxPositions;
  }

  static async open(modelDir: string, opts: NativeTrainEngineOptions = {}): Promise<NativeTrainEngine> {
    const tr = await NativeTrainer.load(modelDir, { threads: opts.threads, recompute: opts.recompute });
    return new NativeTrainEngine(tr, modelDir, (opts.noDecay ?? "hf") === "hf");
  }

  /** The live weights as a model for generation (sessions of it make step() fail while they generate). */
  model(): NativeModel {
    return this.trainer.model();
  }

  async logprobs(seqs: readonly TrainSequence[], opts: LogprobOptions = {}): Promise<LogprobResult> {
    const p = pack(seqs);
    const r = await this.trainer.forward(p, { temperature: opts.temperature, entropy: opts.entropy });
    return { logprobs: split(r.logprobs, p.offsets), ...(r.entropy ? { entropy: split(r.entropy, p.offsets) } : {}) };
  }

  async backward(seqs: readonly TrainSequence[], weights: readonly (Float64Array | readonly number[])[], opts: LogprobOptions = {}): Promise<LogprobResult> {
    const p = pack(seqs);
    if (weights.length !== seqs.length) throw new Error(`backward: ${weights.length} weight vectors for ${seqs.length} sequences`);
    const w = new Float32Array(p.offsets[p.offsets.length - 1]);
    weights.forEach((ws, s) => {
      const n = p.offsets[s + 1] - p.offsets[s];
      if (ws.length !== n) throw new Error(`backward: sequence ${s}: ${ws.length} weights for ${n} scored tokens`);
      for (let j = 0; j < n; j++) {
        if (!Number.isFinite(ws[j])) throw new Error(`backward: sequence ${s}: weight ${j} is ${ws[j]}`);
        w[p.offsets[s] + j] = ws[j];
      }
    });
    const r = await this.trainer.backward(p, w, { temperature: opts.temperature, entropy: opts.entropy });
    return { logprobs: split(r.logprobs, p.offsets), ...(r.entropy ? { entropy: split(r.entropy, p.offsets) } : {}) };
  }

  async step(o: AdamWStep): Promise<StepResult> {
    return this.trainer.adamw({
      lr: o.lr,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      weightDecay: o.weightDecay,
      maxGradNorm: o.maxGradNorm,
      hfNoDecay: this.hfNoDecay,
    });
  }

  zeroGrad(): void {
    this.trainer.zeroGrad();
  }

  async saveCheckpoint(dir: string, opts: { dtype?: "f32" | "bf16" } = {}): Promise<void> {
    await this.trainer.save(dir, opts.dtype ?? "f32");
  }

  async saveState(dir: string): Promise<void> {
    await this.trainer.saveState(dir);
  }

  async loadState(dir: string): Promise<void> {
    await this.trainer.loadState(dir);
  }

  close(): void {
    this.trainer.close();
  }
}
