// adamw-reference.ts: float64 reference of torch.optim.AdamW (decoupled weight decay, bias-corrected moments) and of
// torch.nn.utils.clip_grad_norm_, written out in torch's own order of operations. The native optimizer is held to
// these, and these are held to PyTorch by committed fixtures (tools/torch-golden.py).

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** torch.optim.AdamW's default is 0.01; the HF Trainer's is 0. */
  weightDecay?: number;
  /** Tensors that get no weight decay (a second param group with weight_decay 0); see hfNoDecay. */
  noDecay?: (name: string) => boolean;
}

/**
 * The HF Trainer's decay exclusions (Trainer.get_decay_parameter_names in recent transformers): biases and every
 * norm weight (LayerNorm/RMSNorm, model.norm, Qwen3's q_norm/k_norm) are not decayed.
 */
export function hfNoDecay(name: string): boolean {
  const n = name.toLowerCase();
  return /bias/.test(n) || /layernorm/.test(n) || /rmsnorm/.test(n) || /(?:^|\.)norm(?:$|\.)/.test(n) || /_norm(?:$|\.)/.test(n);
}

/**
 * clip_grad_norm_ (norm_type 2): total = ‖(‖g_1‖, ‖g_2‖, ...)‖; every gradient is multiplied by
 * min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping. A non-finite norm is an error naming
 * the first tensor holding a NaN or infinity (torch would silently spread it into every weight).
 */
export function clipGradNorm(grads: Map<string, Float64Array>, maxNorm: number): number {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) throw new Error(`clip_grad_norm: maxNorm must be a finite number > 0 (got ${maxNorm})`);
  let sq = 0;
  for (const [name, g] of grads) {
    let s = 0;
    for (const v of g) s += v * v;
    if (!Number.isFinite(s)) throw new Error(`clip_grad_norm: gradient of ${name} is not finite`);
    const norm = Math.sqrt(s);
    sq += norm * norm;
  }
  const total = Math.sqrt(sq);
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return total;
}

/** torch.optim.AdamW (amsgrad off, maximize off) over named float64 tensors, updating them in place. */
export class AdamWReference {
  /** Optimizer steps taken. */
  step = 0;
  readonly m = new Map<string, Float64Array>();
  readonly v = new Map<string, Float64Array>();
  private readonly o: Required<AdamWOptions>;

  constructor(
    readonly params: Map<string, Float64Array>,
    opts: AdamWOptions = {},
  ) {
    this.o = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, noDecay: () => false, ...opts };
    const { beta1, beta2, eps, weightDecay } = this.o;
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new Error(`AdamW: betas must be in [0, 1) (got ${beta1}, ${beta2})`);
    if (!(eps >= 0) || !(weightDecay >= 0)) throw new Error(`AdamW: eps and weightDecay must be >= 0 (got ${eps}, ${weightDecay})`);
    for (const [name, p] of params) {
      this.m.set(name, new Float64Array(p.length));
      this.v.set(name, new Float64Array(p.length));
    }
  }

  /** One step with learning rate lr: descends along grads (the caller's loss gradient). */
  update(grads: Map<string, Float64Array>, lr: number): void {
    if (!(Number.isFinite(lr) && lr >= 0)) throw new Error(`AdamW: lr must be a finite number >= 0 (got ${lr})`);
    const { beta1, beta2, eps } = this.o;
    this.step++;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g || g.length !== p.length) throw new Error(`AdamW: no ${p.length}-value gradient for ${name}`);
      const m = this.m.get(name) as Float64Array;
      const v = this.v.get(name) as Float64Array;
      const wd = this.o.noDecay(name) ? 0 : this.o.weightDecay;
      for (let i = 0; i < p.length; i++) {
        p[i] *= 1 - lr * wd; // decoupled decay, applied before the moment update as torch does
        m[i] = m[i] * beta1 + (1 - beta1) * g[i];
        v[i] = v[i] * beta2 + (1 - beta2) * g[i] * g[i];
        const denom = Math.sqrt(v[i]) / bc2Sqrt + eps;
        p[i] += -stepSize * (m[i] / denom);
      }
    }
  }
}
