// train.ts: NativeTrainer over openrs_train.h through koffi: f32 training on the native engine (teacher-forced
// log-probs, the gradient of Σ w_t·log π(o_t), AdamW, checkpoints). Calls run on koffi's worker pool; inputs and
// outputs are typed arrays the engine reads and writes in place. The live weights are also a NativeModel (model()),
// so rollouts sample from exactly the weights being trained.
import { resolve } from "node:path";
import koffi, { type TypeObject } from "koffi";
import { callAsync, NativeModel, nativeLibrary } from "./native.js";

type KoffiFunction = ReturnType<ReturnType<typeof nativeLibrary>["func"]>;

interface TrainStructs {
  TrainerParams: TypeObject;
  AdamWParams: TypeObject;
  TrainerInfo: TypeObject;
}
let structs: TrainStructs | null = null;

/** @internal The koffi declarations of the structs in openrs_train.h, by C name (for the layout test). */
export function trainStructs(): Record<string, TypeObject> {
  const s = declare();
  return { openrs_trainer_params: s.TrainerParams, openrs_adamw_params: s.AdamWParams, openrs_trainer_info: s.TrainerInfo };
}

function declare(): TrainStructs {
  if (structs) return structs;
  koffi.opaque("openrs_trainer");
  structs = {
    TrainerParams: koffi.struct("openrs_trainer_params", { n_threads: "int32_t", recompute: "int32_t" }),
    AdamWParams: koffi.struct("openrs_adamw_params", {
      lr: "double",
      beta1: "double",
      beta2: "double",
      eps: "double",
      weight_decay: "double",
      max_grad_norm: "double",
      hf_no_decay: "int32_t",
    }),
    TrainerInfo: koffi.struct("openrs_trainer_info", {
      n_params: "int64_t",
      step: "int64_t",
      act_bytes_per_token: "int64_t",
      act_bytes_per_token_recompute: "int64_t",
      n_tensors: "int32_t",
    }),
  };
  return structs;
}

let fns: Record<string, KoffiFunction> | null = null;
function bindTrain(): Record<string, KoffiFunction> {
  if (fns) return fns;
  declare();
  const lib = nativeLibrary();
  const f = (sig: string) => lib.func(sig);
  fns = {
    create: f("openrs_trainer *openrs_trainer_new(const char *dir, openrs_trainer_params params, _Out_ uint8_t *err, int32_t err_len)"),
    free: f("void openrs_trainer_free(openrs_trainer *tr)"),
    error: f("const char *openrs_trainer_error(const openrs_trainer *tr)"),
    info: f("void openrs_trainer_get_info(const openrs_trainer *tr, _Out_ openrs_trainer_info *out)"),
    model: f("openrs_model *openrs_trainer_model(openrs_trainer *tr)"),
    forward: f(
      "int32_t openrs_trainer_forward(openrs_trainer *tr, const int32_t *tokens, const int32_t *lens, const int32_t *prompts, int32_t n_seq, float temperature, float *out_lp, float *out_ent)",
    ),
    backward: f(
      "int32_t openrs_trainer_backward(openrs_trainer *tr, const int32_t *tokens, const int32_t *lens, const int32_t *prompts, int32_t n_seq, float temperature, const float *weights, float *out_lp, float *out_ent)",
    ),
    zeroGrad: f("int32_t openrs_trainer_zero_grad(openrs_trainer *tr)"),
    step: f("int64_t openrs_trainer_step(openrs_trainer *tr, const openrs_adamw_params *p, _Out_ double *norm)"),
    save: f("int32_t openrs_trainer_save(openrs_trainer *tr, const char *dir, int32_t bf16)"),
    saveState: f("int32_t openrs_trainer_save_state(openrs_trainer *tr, const char *dir)"),
    loadState: f("int32_t openrs_trainer_load_state(openrs_trainer *tr, const char *dir)"),
    tensorName: f("const char *openrs_trainer_tensor_name(const openrs_trainer *tr, int32_t i)"),
    tensor: f("int64_t openrs_trainer_tensor(openrs_trainer *tr, const char *name, int32_t which, float *read, const float *write, int64_t n)"),
  };
  return fns;
}

export interface NativeTrainerOptions {
  /** CPU threads; 0 or absent = all cores. */
  threads?: number;
  /** Keep only each layer's input in the forward and recompute the rest in backward (less memory, ~1/3 more compute). */
  recompute?: boolean;
}

/** One packed sequence: tokens [0, promptLen) are context only, tokens [promptLen, T) are scored. */
export interface PackSequence {
  tokens: readonly number[] | Int32Array;
  promptLen: number;
}

/** Sequences packed for the C API, with each sequence's offset into the flat per-scored-token outputs. */
export interface Packed {
  tokens: Int32Array;
  lens: Int32Array;
  prompts: Int32Array;
  /** offsets[s] .. offsets[s + 1] are sequence s's scored tokens in the flat outputs. */
  offsets: number[];
}

export function pack(seqs: readonly PackSequence[]): Packed {
  if (seqs.length === 0) throw new Error("need at least one sequence");
  const lens = new Int32Array(seqs.length);
  const prompts = new Int32Array(seqs.length);
  const offsets = [0];
  let total = 0;
  seqs.forEach((s, i) => {
    const n = s.tokens.length;
    if (!Number.isInteger(s.promptLen) || s.promptLen < 1 || s.promptLen > n) throw new Error(`sequence ${i}: promptLen ${s.promptLen} must be in [1, ${n}]`);
    lens[i] = n;
    prompts[i] = s.promptLen;
    total += n;
    offsets.push(offsets[i] + n - s.promptLen);
  });
  const tokens = new Int32Array(total);
  let o = 0;
  for (const s of seqs) {
    tokens.set(s.tokens, o);
    o += s.tokens.length;
  }
  return { tokens, lens, prompts, offsets };
}

export interface AdamWParams {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** null / absent = no clipping. */
  maxGradNorm?: number | null;
  /** Biases and norm weights get no weight decay (the HF Trainer's param groups); default true. */
  hfNoDecay?: boolean;
}

export interface TrainerInfo {
  params: number;
  tensors: number;
  /** f32 activation bytes per token the backward keeps (all layers), without and with recompute. */
  actBytesPerToken: number;
  actBytesPerTokenRecompute: number;
}

export type TensorKind = "weight" | "grad" | "m" | "v";
const KIND: Record<TensorKind, number> = { weight: 0, grad: 1, m: 2, v: 3 };

export class NativeTrainer {
  private handle: unknown;
  private busy = false;
  private closing = false;
  private live: NativeModel | null = null;
  readonly info: TrainerInfo;
  readonly tensorNames: string[] = [];

  private constructor(
    handle: unknown,
    readonly dir: string,
  ) {
    this.handle = handle;
    const f = bindTrain();
    const raw = {} as Record<string, number | bigint>;
    f.info(handle, raw);
    this.info = {
      params: Number(raw.n_params),
      tensors: Number(raw.n_tensors),
      actBytesPerToken: Number(raw.act_bytes_per_token),
      actBytesPerTokenRecompute: Number(raw.act_bytes_per_token_recompute),
    };
    for (let i = 0; i < this.info.tensors; i++) this.tensorNames.push(f.tensorName(handle, i) as string);
  }

  /** Loads a checkpoint as f32 master weights; rejects with the engine's one-line reason. */
  static async load(dir: string, opts: NativeTrainerOptions = {}): Promise<NativeTrainer> {
    const f = bindTrain();
    const err = Buffer.alloc(1024);
    const h = await callAsync<unknown>(f.create, resolve(dir), { n_threads: opts.threads ?? 0, recompute: opts.recompute ? 1 : 0 }, err, err.length);
    if (!h) throw new Error(err.toString("utf8", 0, Math.max(0, err.indexOf(0))) || `cannot load ${dir}`);
    return new NativeTrainer(h, dir);
  }

  /** Optimizer steps taken. */
  get step(): number {
    const raw = {} as Record<string, number | bigint>;
    bindTrain().info(this.h(), raw);
    return Number(raw.step);
  }

  /** The live weights as a model for generation sessions (steps are refused while one of them generates). */
  model(): NativeModel {
    if (!this.live) {
      this.live = NativeModel.borrow(bindTrain().model(this.h()), this.dir, () => {
        this.liveOpen = false;
        this.freeWhenIdle();
      });
      this.liveOpen = true;
    }
    return this.live;
  }

  private h(): unknown {
    if (!this.handle || this.closing) throw new Error("trainer is closed");
    return this.handle;
  }

  private async call(what: string, fn: KoffiFunction, ...args: unknown[]): Promise<number> {
    const h = this.h();
    if (this.busy) throw new Error(`trainer is busy: ${what} while another call runs (one call at a time)`);
    this.busy = true;
    try {
      const r = Number(await callAsync<number | bigint>(fn, h, ...args));
      if (r < 0) throw new Error(String(bindTrain().error(h)));
      return r;
    } finally {
      this.busy = false;
      if (this.closing) this.freeWhenIdle();
    }
  }

  /** Log-probs (and entropies) of the scored tokens, flat in pack order. */
  async forward(p: Packed, opts: { temperature?: number; entropy?: boolean } = {}): Promise<{ logprobs: Float32Array; entropy: Float32Array | null }> {
    const n = p.offsets[p.offsets.length - 1];
    const lp = new Float32Array(n);
    const ent = opts.entropy ? new Float32Array(n) : null;
    await this.call("forward", bindTrain().forward, p.tokens, p.lens, p.prompts, p.lens.length, opts.temperature ?? 1, lp, ent);
    return { logprobs: lp, entropy: ent };
  }

  /** Adds d/dθ Σ weights[t]·logprob[t] into the gradients; weights are flat in pack order. */
  async backward(p: Packed, weights: Float32Array, opts: { temperature?: number; entropy?: boolean } = {}): Promise<{ logprobs: Float32Array; entropy: Float32Array | null }> {
    const n = p.offsets[p.offsets.length - 1];
    if (weights.length !== n) throw new Error(`backward: ${weights.length} weights for ${n} scored tokens`);
    const lp = new Float32Array(n);
    const ent = opts.entropy ? new Float32Array(n) : null;
    await this.call("backward", bindTrain().backward, p.tokens, p.lens, p.prompts, p.lens.length, opts.temperature ?? 1, weights, lp, ent);
    return { logprobs: lp, entropy: ent };
  }

  zeroGrad(): void {
    if (this.busy) throw new Error("trainer is busy: zeroGrad while another call runs");
    if (bindTrain().zeroGrad(this.h()) < 0) throw new Error(String(bindTrain().error(this.h())));
  }

  /** Clips (clip_grad_norm_), takes one AdamW step (torch semantics), zeroes the gradients. */
  async adamw(o: AdamWParams): Promise<{ gradNorm: number; step: number }> {
    const norm = [0];
    const p = {
      lr: o.lr,
      beta1: o.beta1 ?? 0.9,
      beta2: o.beta2 ?? 0.999,
      eps: o.eps ?? 1e-8,
      weight_decay: o.weightDecay ?? 0,
      max_grad_norm: o.maxGradNorm ?? 0,
      hf_no_decay: o.hfNoDecay === false ? 0 : 1,
    };
    const step = await this.call("step", bindTrain().step, p, norm);
    return { gradNorm: norm[0], step };
  }

  /** A Hugging Face checkpoint directory (written to a temp dir, then renamed). */
  async save(dir: string, dtype: "f32" | "bf16" = "f32"): Promise<void> {
    await this.call("save", bindTrain().save, resolve(dir), dtype === "bf16" ? 1 : 0);
  }

  async saveState(dir: string): Promise<void> {
    await this.call("saveState", bindTrain().saveState, resolve(dir));
  }

  async loadState(dir: string): Promise<void> {
    await this.call("loadState", bindTrain().loadState, resolve(dir));
  }

  /** A copy of a tensor (weight, gradient or AdamW moment) by its Hugging Face name. */
  tensor(name: string, kind: TensorKind = "weight"): Float32Array {
    const f = bindTrain();
    const n = Number(f.tensor(this.h(), name, KIND[kind], null, null, 0));
    if (n < 0) throw new Error(String(f.error(this.h())));
    const out = new Float32Array(n);
    if (Number(f.tensor(this.h(), name, KIND[kind], out, null, n)) < 0) throw new Error(String(f.error(this.h())));
    return out;
  }

  setTensor(name: string, kind: TensorKind, data: Float32Array): void {
    if (this.busy) throw new Error("trainer is busy: setTensor while another call runs");
    const f = bindTrain();
    if (Number(f.tensor(this.h(), name, KIND[kind], null, data, data.length)) < 0) throw new Error(String(f.error(this.h())));
  }

  private liveOpen = false;

  private freeWhenIdle(): void {
    if (!this.closing || this.busy || !this.handle || this.liveOpen) return;
    bindTrain().free(this.handle);
    this.handle = null;
  }

  /** Frees the trainer once its call in flight and its model's sessions have finished. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.live?.close(); // frees the sessions; the model reports back (onFree) once the last one is gone
    this.freeWhenIdle();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
