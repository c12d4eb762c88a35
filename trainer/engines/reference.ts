// The float64 reference TrainEngine: the readable reference forward/backward (native/ts/reference-train.ts), the
// reference AdamW and clip_grad_norm_ (trainer/optim/adamw-reference.ts) behind the same interface as the native
// engine, so the SFT and GRPO loops run end to end on tiny models without the native trainer and hold it to these
// numbers. Slow by design (plain loops in float64): models above REFERENCE_MAX_PARAMS are refused.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadTrainModel, referenceBackward, referenceForward, type TrainModel, zerosLike } from "../../native/ts/reference-train.js";
import { writeSafetensors } from "../../native/ts/safetensors.js";
import { assertFinite, writeDirAtomic, writeHfSideFiles } from "../checkpoint.js";
import type { AdamWStep, LogprobOptions, LogprobResult, StepResult, TrainEngine, TrainSequence } from "../engine.js";
import { AdamWReference, clipGradNorm, hfNoDecay } from "../optim/adamw-reference.js";

/** Past this many parameters the float64 reference would take minutes a step and gigabytes: use the native engine. */
export const REFERENCE_MAX_PARAMS = 20_000_000;
const STATE_FORMAT = "openrs-train-state/1";

export interface ReferenceEngineOptions {
  /** Tensors without weight decay (default: the HF Trainer's exclusions, biases and norm weights). */
  noDecay?: (name: string) => boolean;
}

interface StateFile {
  format: string;
  engine: "reference";
  step: number;
  /** The AdamW constants the moments were built with (null before the first step). */
  adam: { beta1: number; beta2: number; eps: number; weightDecay: number } | null;
  tensors: { name: string; shape: number[] }[];
  /** sha256 of tensors.bin: params, then first moments, then second moments, float64 little-endian, in `tensors` order. */
  sha256: string;
}

const TRAINABLE = ["Qwen2ForCausalLM", "LlamaForCausalLM", "Qwen3ForCausalLM"];

/** Refuses, naming it, a config feature the reference forward/backward does not implement (it would train a different model). */
export function checkTrainable(modelDir: string): void {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(readFileSync(join(modelDir, "config.json"), "utf8"));
  } catch (e) {
    throw new Error(`${modelDir}: cannot read config.json (${(e as Error).message.split("\n")[0]})`);
  }
  const arch = Array.isArray(c.architectures) ? String(c.architectures[0]) : "(none)";
  const why = !TRAINABLE.includes(arch)
    ? `architecture ${arch} (supported: ${TRAINABLE.join(", ")})`
    : c.use_sliding_window === true
      ? "sliding-window attention (use_sliding_window: true)"
      : c.hidden_act !== undefined && c.hidden_act !== "silu"
        ? `activation ${String(c.hidden_act)} (only silu)`
        : c.mlp_bias === true
          ? "MLP biases (mlp_bias: true)"
          : null;
  if (why) throw new Error(`${modelDir}: unsupported for training: ${why}`);
}

const toSeq = (s: TrainSequence) => ({ tokens: Array.from(s.tokens), promptLen: s.promptLen });

export class ReferenceEngine implements TrainEngine {
  readonly vocabSize: number;
  readonly maxPositions: number;
  private grads: Map<string, Float64Array>;
  private opt: AdamWReference | null = null;
  private adamKey: StateFile["adam"] = null;
  private steps = 0;
  /** Moments restored by loadState before the optimizer exists (it is built on the first step, when its constants are known). */
  private pendingMoments: { m: Map<string, Float64Array>; v: Map<string, Float64Array> } | null = null;

  private constructor(
    readonly modelDir: string,
    readonly model: TrainModel,
    private readonly opts: ReferenceEngineOptions,
  ) {
    this.vocabSize = model.cfg.vocab;
    const cfg = JSON.parse(readFileSync(join(modelDir, "config.json"), "utf8")) as { max_position_embeddings?: number };
    this.maxPositions = cfg.max_position_embeddings ?? 2048;
    this.grads = zerosLike(model);
  }

  static async load(modelDir: string, opts: ReferenceEngineOptions = {}): Promise<ReferenceEngine> {
    checkTrainable(modelDir);
    let model: TrainModel;
    try {
      model = loadTrainModel(modelDir);
    } catch (e) {
      throw new Error(`${modelDir}: not trainable: ${(e as Error).message.split("\n")[0]}`);
    }
    let n = 0;
    for (const p of model.params.values()) n += p.length;
    if (n > REFERENCE_MAX_PARAMS)
      throw new Error(`the float64 reference engine is for tiny models: ${modelDir} has ${n} parameters (limit ${REFERENCE_MAX_PARAMS}); use --engine native`);
    return new ReferenceEngine(modelDir, model, opts);
  }

  async logprobs(seqs: readonly TrainSequence[], opts: LogprobOptions = {}): Promise<LogprobResult> {
    const r = referenceForward(this.model, seqs.map(toSeq), { temperature: opts.temperature });
    return opts.entropy ? r : { logprobs: r.logprobs };
  }

  async backward(seqs: readonly TrainSequence[], weights: readonly (Float64Array | readonly number[])[], opts: LogprobOptions = {}): Promise<LogprobResult> {
    // into fresh tensors first, so a non-finite gradient is refused before anything is added to the accumulated ones
    const r = referenceBackward(this.model, seqs.map(toSeq), weights, { temperature: opts.temperature });
    for (const [name, g] of r.grads)
      for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i])) throw new Error(`gradient of ${name} is not finite (${g[i]} at index ${i}); nothing was applied`);
    for (const [name, g] of r.grads) {
      const acc = this.grads.get(name) as Float64Array;
      for (let i = 0; i < g.length; i++) acc[i] += g[i];
    }
    return opts.entropy ? { logprobs: r.logprobs, entropy: r.entropy } : { logprobs: r.logprobs };
  }

  async step(o: AdamWStep): Promise<StepResult> {
    const key = { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay };
    if (!this.opt) {
      this.opt = new AdamWReference(this.model.params, { ...key, noDecay: this.opts.noDecay ?? hfNoDecay });
      if (this.pendingMoments) {
        for (const [n, m] of this.pendingMoments.m) this.opt.m.get(n)?.set(m);
        for (const [n, v] of this.pendingMoments.v) this.opt.v.get(n)?.set(v);
        this.pendingMoments = null;
      }
      this.opt.step = this.steps;
      this.adamKey = key;
    } else if (JSON.stringify(key) !== JSON.stringify(this.adamKey))
      throw new Error(`reference engine: AdamW betas, eps and weight decay are fixed after the first step (${JSON.stringify(this.adamKey)}, asked ${JSON.stringify(key)})`);
    let gradNorm: number;
    if (o.maxGradNorm !== null) gradNorm = clipGradNorm(this.grads, o.maxGradNorm);
    else {
      let sq = 0;
      for (const g of this.grads.values()) for (const x of g) sq += x * x;
      gradNorm = Math.sqrt(sq);
      if (!Number.isFinite(gradNorm)) throw new Error("gradient norm is not finite; nothing was applied");
    }
    this.opt.update(this.grads, o.lr);
    this.steps = this.opt.step;
    this.zeroGrad();
    return { gradNorm, step: this.steps };
  }

  zeroGrad(): void {
    for (const g of this.grads.values()) g.fill(0);
  }

  async saveCheckpoint(dir: string, opts: { dtype?: "f32" | "bf16" } = {}): Promise<void> {
    const dtype = opts.dtype ?? "f32";
    assertFinite(this.model.params, `checkpoint ${dir}`);
    await writeDirAtomic(dir, (tmp) => {
      writeSafetensors(
        join(tmp, "model.safetensors"),
        dtype === "f32" ? "F32" : "BF16",
        [...this.model.shapes].map(([name, shape]) => ({ name, shape, fill: (out: Float32Array) => out.set(this.model.params.get(name) as Float64Array) })),
      );
      writeHfSideFiles(this.modelDir, tmp, dtype);
    });
  }

  async saveState(dir: string): Promise<void> {
    const names = [...this.model.shapes.keys()];
    const moments = (which: "m" | "v") => names.map((n) => this.opt?.[which].get(n) ?? this.pendingMoments?.[which].get(n) ?? new Float64Array(this.model.params.get(n)?.length ?? 0));
    const all: [string, Float64Array][] = [
      ...names.map((n): [string, Float64Array] => [n, this.model.params.get(n) as Float64Array]),
      ...moments("m").map((t, i): [string, Float64Array] => [`${names[i]} (first moment)`, t]),
      ...moments("v").map((t, i): [string, Float64Array] => [`${names[i]} (second moment)`, t]),
    ];
    assertFinite(all, `training state ${dir}`);
    const bin = Buffer.concat(all.map(([, t]) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)));
    const state: StateFile = {
      format: STATE_FORMAT,
      engine: "reference",
      step: this.steps,
      adam: this.adamKey,
      tensors: names.map((name) => ({ name, shape: this.model.shapes.get(name) as number[] })),
      sha256: createHash("sha256").update(bin).digest("hex"),
    };
    await writeDirAtomic(dir, (tmp) => {
      writeFileSync(join(tmp, "tensors.bin"), bin);
      writeFileSync(join(tmp, "state.json"), `${JSON.stringify(state, null, 1)}\n`);
    });
  }

  async loadState(dir: string): Promise<void> {
    let state: StateFile;
    try {
      state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as StateFile;
    } catch (e) {
      throw new Error(`training state ${dir}: cannot read state.json (${(e as Error).message.split("\n")[0]})`);
    }
    if (state.format !== STATE_FORMAT || state.engine !== "reference") throw new Error(`training state ${dir}: format ${state.format}/${state.engine}, expected ${STATE_FORMAT}/reference`);
    const bin = readFileSync(join(dir, "tensors.bin"));
    if (createHash("sha256").update(bin).digest("hex") !== state.sha256) throw new Error(`training state ${dir}: tensors.bin does not match its sha256 (damaged file)`);
    const names = [...this.model.shapes.keys()];
    if (state.tensors.map((t) => `${t.name}:${t.shape}`).join("|") !== names.map((n) => `${n}:${this.model.shapes.get(n)}`).join("|"))
      throw new Error(`training state ${dir}: its tensors do not match the model ${this.modelDir}`);
    const total = names.reduce((a, n) => a + (this.model.params.get(n)?.length ?? 0), 0);
    if (bin.length !== 3 * total * 8) throw new Error(`training state ${dir}: tensors.bin has ${bin.length} bytes, expected ${3 * total * 8}`);
    const all = new Float64Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    let off = 0;
    const take = (n: number) => all.subarray(off, (off += n));
    for (const n of names) this.model.params.get(n)?.set(take(this.model.params.get(n)?.length ?? 0));
    const m = new Map(names.map((n) => [n, take(this.model.params.get(n)?.length ?? 0).slice()]));
    const v = new Map(names.map((n) => [n, take(this.model.params.get(n)?.length ?? 0).slice()]));
    this.opt = null;
    this.adamKey = state.adam;
    this.pendingMoments = { m, v };
    this.steps = state.step;
    this.zeroGrad();
    // the optimizer is rebuilt on the next step with the saved constants; a different set is refused there
    if (state.adam) {
      this.opt = new AdamWReference(this.model.params, { ...state.adam, noDecay: this.opts.noDecay ?? hfNoDecay });
      for (const [n, t] of m) this.opt.m.get(n)?.set(t);
      for (const [n, t] of v) this.opt.v.get(n)?.set(t);
      this.opt.step = state.step;
      this.pendingMoments = null;
    }
  }

  close(): void {
    this.grads.clear();
  }
}
