// The one interface a training loop (SFT now, GRPO next) drives: teacher-forced log-probs, the gradient of
// Σ_t w_t · log π(o_t) for caller-given per-token weights, an AdamW step, checkpoints and resumable state. Every
// SFT and GRPO loss is a function of per-token log-probs, so losses live in TypeScript (float64) and an engine only
// needs this one gradient. Two implementations: the native engine (fast, f32) and the float64 reference (slow,
// tiny models only), which holds the native one to its numbers.

/** One packed sequence: tokens [0, promptLen) are context only, tokens [promptLen, T) are scored. */
export interface TrainSequence {
  tokens: readonly number[] | Int32Array;
  /** 1 <= promptLen <= tokens.length. */
  promptLen: number;
}

export interface LogprobOptions {
  /** Logits are divided by this before the softmax (1 = raw logits, the default). */
  temperature?: number;
  /** Also return the entropy of each scored position's next-token distribution. */
  entropy?: boolean;
}

export interface LogprobResult {
  /** Per sequence: log π(tokens[t] | tokens[<t]) for t = promptLen .. T-1 (T - promptLen values). */
  logprobs: Float64Array[];
  /** Per sequence, same positions, when asked for. */
  entropy?: Float64Array[];
}

export interface AdamWStep {
  /** Learning rate of this step (schedules are computed by the caller: trainer/optim/schedule.ts). */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global grad-norm clipping as torch's clip_grad_norm_ (coef = max / (norm + 1e-6), at most 1); null = none. */
  maxGradNorm: number | null;
}

export interface StepResult {
  /** Global L2 norm of the accumulated gradient before clipping. */
  gradNorm: number;
  /** Optimizer steps taken so far, this one included. */
  step: number;
}

export interface TrainEngine {
  /** Checkpoint directory the weights were loaded from. */
  readonly modelDir: string;
  readonly vocabSize: number;
  readonly maxPositions: number;
  /** Log-probs of the given tokens under the current weights; no gradient state is touched. */
  logprobs(seqs: readonly TrainSequence[], opts?: LogprobOptions): Promise<LogprobResult>;
  /**
   * Adds ∂/∂θ of L = Σ_seq Σ_t w[seq][t] · logprob[seq][t] into the accumulated gradients (micro-batches add up until
   * `step` or `zeroGrad`) and returns the forward's log-probs. `step` descends on L, so SFT passes w = -1/N.
   * Throws (naming the tensor) when a gradient is not finite; nothing is applied then.
   */
  backward(seqs: readonly TrainSequence[], weights: readonly (Float64Array | readonly number[])[], opts?: LogprobOptions): Promise<LogprobResult>;
  /** Clips, takes one AdamW step on the accumulated gradients, and zeroes them. */
  step(opts: AdamWStep): Promise<StepResult>;
  zeroGrad(): void;
  /** A Hugging Face checkpoint directory (config, safetensors in f32 or bf16, tokenizer files copied), written atomically. */
  saveCheckpoint(dir: string, opts?: { dtype?: "f32" | "bf16" }): Promise<void>;
  /** Everything resuming needs (weights, moments, step count), written atomically; restored by loadState. */
  saveState(dir: string): Promise<void>;
  loadState(dir: string): Promise<void>;
  close(): void;
}
