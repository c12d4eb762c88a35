// reference-train.ts: readable float64 reference for training Qwen2/Llama/Qwen3 (the llm.c habit: every op's forward
// and backward side by side, no tricks), the yardstick the native backward is held to. It computes, for packed
// sequences, the teacher-forced log-probabilities of the given tokens after each prompt and the gradient of
// L = Σ_t w_t · logprob_t with respect to every weight tensor. Every GRPO/SFT loss is a function of per-token
// log-probs, so the loss itself lives in the caller and only this one gradient is needed.
//
// Layout: activations are row-major Float64Arrays [T, C]; a weight W of shape [out, in] maps x[in] to W·x.
// Sequences in a pack are independent (block-diagonal causal mask, positions restart at 0 in each sequence), so the
// reference simply runs them one after another and sums their gradients.
import { join } from "node:path";
import { type RefConfig, readRefConfig } from "./reference.js";
import type { RopeParams } from "./rope.js";
import { readSafetensors } from "./safetensors.js";

export interface TrainModel {
  cfg: RefConfig;
  /** Every weight tensor by its Hugging Face name, float64, row-major. */
  params: Map<string, Float64Array>;
  shapes: Map<string, number[]>;
}

export interface TrainSequence {
  tokens: readonly number[];
  /** Tokens [0, promptLen) are context only; tokens [promptLen, T) are scored. 1 <= promptLen <= T. */
  promptLen: number;
}

export interface TrainOptions {
  /** Logits are divided by this before the softmax (1 = raw logits). */
  temperature?: number;
  /** Gradients are added into these tensors (micro-batch accumulation) instead of fresh zeroed ones. */
  accumulate?: Map<string, Float64Array>;
}

export interface ForwardResult {
  /** Per sequence: log π(tokens[t] | tokens[<t]) for t = promptLen .. T-1 (T - promptLen values). */
  logprobs: Float64Array[];
  /** Per sequence, same positions: entropy of the tempered next-token distribution the token was drawn from. */
  entropy: Float64Array[];
}

export interface TrainResult extends ForwardResult {
  /** L = Σ_t w_t · logprob_t, the quantity whose gradient `grads` holds (negate w to descend on an NLL). */
  loss: number;
  /** dL/dθ for every weight tensor by name (a tied LM head's gradient is inside model.embed_tokens.weight). */
  grads: Map<string, Float64Array>;
}

/** Names and shapes of every weight tensor a model of this config has, in checkpoint order. */
export function paramShapes(c: RefConfig): Map<string, number[]> {
  const qd = c.heads * c.headDim;
  const kvd = c.kvHeads * c.headDim;
  const s = new Map<string, number[]>([["model.embed_tokens.weight", [c.vocab, c.hidden]]]);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}.`;
    s.set(`${p}input_layernorm.weight`, [c.hidden]);
    s.set(`${p}self_attn.q_proj.weight`, [qd, c.hidden]);
    s.set(`${p}self_attn.k_proj.weight`, [kvd, c.hidden]);
    s.set(`${p}self_attn.v_proj.weight`, [kvd, c.hidden]);
    if (c.qkvBias) {
      s.set(`${p}self_attn.q_proj.bias`, [qd]);
      s.set(`${p}self_attn.k_proj.bias`, [kvd]);
      s.set(`${p}self_attn.v_proj.bias`, [kvd]);
    }
    if (c.qkNorm) {
      s.set(`${p}self_attn.q_norm.weight`, [c.headDim]);
      s.set(`${p}self_attn.k_norm.weight`, [c.headDim]);
    }
    s.set(`${p}self_attn.o_proj.weight`, [c.hidden, qd]);
    s.set(`${p}post_attention_layernorm.weight`, [c.hidden]);
    s.set(`${p}mlp.gate_proj.weight`, [c.ffn, c.hidden]);
    s.set(`${p}mlp.up_proj.weight`, [c.ffn, c.hidden]);
    s.set(`${p}mlp.down_proj.weight`, [c.hidden, c.ffn]);
  }
  s.set("model.norm.weight", [c.hidden]);
  if (!c.tied) s.set("lm_head.weight", [c.vocab, c.hidden]);
  return s;
}

/** Loads a checkpoint directory into float64; a missing, misshapen or unused tensor is an error (it would not train). */
export function loadTrainModel(dir: string): TrainModel {
  const cfg = readRefConfig(dir);
  if (cfg.heads % cfg.kvHeads) throw new Error(`reference-train: heads (${cfg.heads}) must be a multiple of kv heads (${cfg.kvHeads})`);
  const shapes = paramShapes(cfg);
  const file = readSafetensors(join(dir, "model.safetensors"));
  const params = new Map<string, Float64Array>();
  for (const [name, shape] of shapes) {
    const t = file.get(name);
    if (!t) throw new Error(`reference-train: ${dir} is missing tensor ${name}`);
    if (t.shape.join(",") !== shape.join(",")) throw new Error(`reference-train: tensor ${name} has shape [${t.shape}], expected [${shape}]`);
    params.set(name, t.data);
  }
  for (const name of file.keys())
    if (!shapes.has(name)) throw new Error(`reference-train: tensor ${name} is not used by a ${cfg.arch} model${cfg.tied ? " with tied embeddings" : ""}`);
  return { cfg, params, shapes };
}

/** Fresh zeroed tensors of every parameter's size. */
export function zerosLike(model: TrainModel): Map<string, Float64Array> {
  return new Map([...model.params].map(([n, p]) => [n, new Float64Array(p.length)]));
}

// ---------------------------------------------------------------------------------------------------------------
// The ops. Each forward writes its outputs; each backward ADDS into the gradients it is given (llm.c's convention),
// so a tensor used twice (a tied head, a residual) simply receives both contributions.

/** out[t, o] = Σ_i inp[t, i] · W[o, i] + b[o] */
function matmulForward(out: Float64Array, inp: Float64Array, W: Float64Array, b: Float64Array | null, T: number, IC: number, OC: number): void {
  for (let t = 0; t < T; t++)
    for (let o = 0; o < OC; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < IC; i++) s += inp[t * IC + i] * W[o * IC + i];
      out[t * OC + o] = s;
    }
}

/** dinp += dout · W;  dW += doutᵀ · inp;  db += Σ_t dout[t] */
function matmulBackward(
  dinp: Float64Array,
  dW: Float64Array,
  db: Float64Array | null,
  dout: Float64Array,
  inp: Float64Array,
  W: Float64Array,
  T: number,
  IC: number,
  OC: number,
): void {
  for (let t = 0; t < T; t++)
    for (let o = 0; o < OC; o++) {
      const d = dout[t * OC + o];
      if (d === 0) continue;
      for (let i = 0; i < IC; i++) {
        dinp[t * IC + i] += d * W[o * IC + i];
        dW[o * IC + i] += d * inp[t * IC + i];
      }
      if (db) db[o] += d;
    }
}

/** Per row of C values: out = x · rstd · w with rstd = 1 / sqrt(mean(x²) + eps). */
function rmsnormForward(out: Float64Array, rstd: Float64Array, inp: Float64Array, w: Float64Array, N: number, C: number, eps: number): void {
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let i = 0; i < C; i++) ss += inp[n * C + i] ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let i = 0; i < C; i++) out[n * C + i] = inp[n * C + i] * r * w[i];
  }
}

/** With g = w ⊙ dout: dx = rstd · g − rstd³ · x · (g·x) / C;  dw += dout ⊙ x · rstd. */
function rmsnormBackward(
  dinp: Float64Array,
  dw: Float64Array,
  dout: Float64Array,
  inp: Float64Array,
  w: Float64Array,
  rstd: Float64Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const r = rstd[n];
    let gx = 0;
    for (let i = 0; i < C; i++) gx += w[i] * dout[n * C + i] * inp[n * C + i];
    for (let i = 0; i < C; i++) {
      const x = inp[n * C + i];
      const d = dout[n * C + i];
      dw[i] += d * x * r;
      dinp[n * C + i] += r * w[i] * d - (r * r * r * x * gx) / C;
    }
  }
}

/** cos/sin tables [T, headDim/2], YaRN's attention factor folded in (as HF scales cos and sin). */
function ropeTables(rope: RopeParams, T: number): { cos: Float64Array; sin: Float64Array } {
  const half = rope.invFreq.length;
  const cos = new Float64Array(T * half);
  const sin = new Float64Array(T * half);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < half; i++) {
      const a = t * rope.invFreq[i];
      cos[t * half + i] = Math.cos(a) * rope.attentionFactor;
      sin[t * half + i] = Math.sin(a) * rope.attentionFactor;
    }
  return { cos, sin };
}

/** HF rotate_half on each head of [T, H·hd]: pairs (i, i + hd/2) turn by the angle of position t. */
function ropeForward(out: Float64Array, inp: Float64Array, tab: { cos: Float64Array; sin: Float64Array }, T: number, H: number, hd: number): void {
  const half = hd / 2;
  for (let t = 0; t < T; t++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < half; i++) {
        const [c, s] = [tab.cos[t * half + i], tab.sin[t * half + i]];
        const j = (t * H + h) * hd + i;
        const [x0, x1] = [inp[j], inp[j + half]];
        out[j] = x0 * c - x1 * s;
        out[j + half] = x1 * c + x0 * s;
      }
}

/** The transpose of the (scaled) rotation: dx0 = c·dy0 + s·dy1, dx1 = c·dy1 − s·dy0. */
function ropeBackward(dinp: Float64Array, dout: Float64Array, tab: { cos: Float64Array; sin: Float64Array }, T: number, H: number, hd: number): void {
  const half = hd / 2;
  for (let t = 0; t < T; t++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < half; i++) {
        const [c, s] = [tab.cos[t * half + i], tab.sin[t * half + i]];
        const j = (t * H + h) * hd + i;
        const [d0, d1] = [dout[j], dout[j + half]];
        dinp[j] += c * d0 + s * d1;
        dinp[j + half] += c * d1 - s * d0;
      }
}

interface AttnShape {
  T: number;
  H: number;
  KV: number;
  hd: number;
}

/**
 * Causal GQA attention: query head h reads kv head h / (H / KV); position t sees 0..t.
 * out[t, h] = Σ_s P[t,h,s] · v[s], P = softmax_s(q[t,h]·k[s] / sqrt(hd)). Keeps only the log-sum-exp per (t, h):
 * the backward recomputes P from it, as a fused kernel would.
 */
function attentionForward(out: Float64Array, lse: Float64Array, q: Float64Array, k: Float64Array, v: Float64Array, a: AttnShape): void {
  const { T, H, KV, hd } = a;
  const scale = 1 / Math.sqrt(hd);
  const group = H / KV;
  const score = new Float64Array(T);
  for (let t = 0; t < T; t++)
    for (let h = 0; h < H; h++) {
      const hk = Math.floor(h / group);
      const qo = (t * H + h) * hd;
      let mx = Number.NEGATIVE_INFINITY;
      for (let s = 0; s <= t; s++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += q[qo + i] * k[(s * KV + hk) * hd + i];
        score[s] = dot * scale;
        mx = Math.max(mx, score[s]);
      }
      let z = 0;
      for (let s = 0; s <= t; s++) z += Math.exp(score[s] - mx);
      lse[t * H + h] = mx + Math.log(z);
      for (let i = 0; i < hd; i++) out[qo + i] = 0;
      for (let s = 0; s <= t; s++) {
        const p = Math.exp(score[s] - lse[t * H + h]);
        for (let i = 0; i < hd; i++) out[qo + i] += p * v[(s * KV + hk) * hd + i];
      }
    }
}

/**
 * dP[s] = dout[t]·v[s];  dS[s] = P[s] · (dP[s] − Σ_s' P[s'] dP[s']);  dq[t] += Σ_s dS[s] k[s] / sqrt(hd);
 * dk[s] += dS[s] q[t] / sqrt(hd);  dv[s] += P[s] dout[t]. dk/dv of a kv head sum over every query head of its group.
 */
function attentionBackward(
  dq: Float64Array,
  dk: Float64Array,
  dv: Float64Array,
  dout: Float64Array,
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  lse: Float64Array,
  a: AttnShape,
): void {
  const { T, H, KV, hd } = a;
  const scale = 1 / Math.sqrt(hd);
  const group = H / KV;
  const P = new Float64Array(T);
  const dP = new Float64Array(T);
  for (let t = 0; t < T; t++)
    for (let h = 0; h < H; h++) {
      const hk = Math.floor(h / group);
      const qo = (t * H + h) * hd;
      let pdp = 0;
      for (let s = 0; s <= t; s++) {
        const ko = (s * KV + hk) * hd;
        let dot = 0;
        let dpv = 0;
        for (let i = 0; i < hd; i++) {
          dot += q[qo + i] * k[ko + i];
          dpv += dout[qo + i] * v[ko + i];
        }
        P[s] = Math.exp(dot * scale - lse[t * H + h]);
        dP[s] = dpv;
        pdp += P[s] * dpv;
      }
      for (let s = 0; s <= t; s++) {
        const ko = (s * KV + hk) * hd;
        const dS = P[s] * (dP[s] - pdp) * scale;
        for (let i = 0; i < hd; i++) {
          dq[qo + i] += dS * k[ko + i];
          dk[ko + i] += dS * q[qo + i];
          dv[ko + i] += P[s] * dout[qo + i];
        }
      }
    }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** out = silu(g) ⊙ u, silu(g) = g · σ(g). */
function swigluForward(out: Float64Array, g: Float64Array, u: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = g[i] * sigmoid(g[i]) * u[i];
}

/** dg += dout · u · σ(g)(1 + g(1 − σ(g)));  du += dout · silu(g). */
function swigluBackward(dg: Float64Array, du: Float64Array, dout: Float64Array, g: Float64Array, u: Float64Array): void {
  for (let i = 0; i < dout.length; i++) {
    const sg = sigmoid(g[i]);
    dg[i] += dout[i] * u[i] * sg * (1 + g[i] * (1 - sg));
    du[i] += dout[i] * g[i] * sg;
  }
}

/**
 * LM head + log-softmax at one position: z = head · x / τ; returns log p(target), the entropy, and p (for backward).
 * d logp(target) / d logits = (onehot(target) − p) / τ.
 */
function headForward(x: Float64Array, head: Float64Array, V: number, C: number, tau: number, target: number): { logp: number; entropy: number; p: Float64Array } {
  const z = new Float64Array(V);
  matmulForward(z, x, head, null, 1, C, V);
  let mx = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < V; j++) {
    z[j] /= tau;
    mx = Math.max(mx, z[j]);
  }
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(z[j] - mx);
  const lse = mx + Math.log(sum);
  const p = new Float64Array(V);
  let entropy = 0;
  for (let j = 0; j < V; j++) {
    p[j] = Math.exp(z[j] - lse);
    entropy -= p[j] * (z[j] - lse);
  }
  return { logp: z[target] - lse, entropy, p };
}

// ---------------------------------------------------------------------------------------------------------------
// The model: forward keeping every activation the backward reads, then the backward in reverse order.

interface LayerActs {
  x: Float64Array; // [T, C] residual stream entering the layer
  rstd1: Float64Array; // [T]
  xn1: Float64Array; // [T, C] input_layernorm output
  qp: Float64Array; // [T, H·hd] q_proj output (before q_norm)
  kp: Float64Array; // [T, KV·hd]
  qrstd: Float64Array; // [T·H] q_norm's rstd (Qwen3)
  krstd: Float64Array; // [T·KV]
  qn: Float64Array; // [T, H·hd] after q_norm (= qp without it), before RoPE
  kn: Float64Array;
  q: Float64Array; // after RoPE
  k: Float64Array;
  v: Float64Array; // [T, KV·hd]
  lse: Float64Array; // [T·H]
  att: Float64Array; // [T, H·hd] attention output before o_proj
  x2: Float64Array; // [T, C] residual after attention
  rstd2: Float64Array;
  xn2: Float64Array; // post_attention_layernorm output
  g: Float64Array; // [T, F] gate_proj output
  u: Float64Array; // up_proj output
  hsw: Float64Array; // silu(g) ⊙ u
}

interface SeqActs {
  T: number;
  layers: LayerActs[];
  xf: Float64Array; // [T, C] final residual
  rstdf: Float64Array;
  xnf: Float64Array; // model.norm output
  probs: Float64Array[]; // per scored token, the tempered next-token distribution
  logprobs: Float64Array;
  entropy: Float64Array;
}

function checkSequence(cfg: RefConfig, seq: TrainSequence, i: number): void {
  const T = seq.tokens.length;
  if (!Number.isInteger(seq.promptLen) || seq.promptLen < 1 || seq.promptLen > T)
    throw new Error(`reference-train: sequence ${i}: promptLen ${seq.promptLen} must be an integer in [1, ${T}]`);
  seq.tokens.forEach((tok, t) => {
    if (!Number.isInteger(tok) || tok < 0 || tok >= cfg.vocab) throw new Error(`reference-train: sequence ${i}: token ${t} = ${tok} is outside [0, ${cfg.vocab})`);
  });
}

function forwardSequence(m: TrainModel, seq: TrainSequence, tau: number): SeqActs {
  const c = m.cfg;
  const P = (n: string) => m.params.get(n) as Float64Array;
  const [T, C, F, V, H, KV, hd] = [seq.tokens.length, c.hidden, c.ffn, c.vocab, c.heads, c.kvHeads, c.headDim];
  const tab = ropeTables(c.rope, T);
  const E = P("model.embed_tokens.weight");
  let x = new Float64Array(T * C);
  seq.tokens.forEach((tok, t) => {
    x.set(E.subarray(tok * C, (tok + 1) * C), t * C);
  });
  const layers: LayerActs[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}.`;
    const bias = (n: string) => (c.qkvBias ? P(`${p}self_attn.${n}_proj.bias`) : null);
    const a: LayerActs = {
      x,
      rstd1: new Float64Array(T),
      xn1: new Float64Array(T * C),
      qp: new Float64Array(T * H * hd),
      kp: new Float64Array(T * KV * hd),
      qrstd: new Float64Array(T * H),
      krstd: new Float64Array(T * KV),
      qn: new Float64Array(T * H * hd),
      kn: new Float64Array(T * KV * hd),
      q: new Float64Array(T * H * hd),
      k: new Float64Array(T * KV * hd),
      v: new Float64Array(T * KV * hd),
      lse: new Float64Array(T * H),
      att: new Float64Array(T * H * hd),
      x2: new Float64Array(T * C),
      rstd2: new Float64Array(T),
      xn2: new Float64Array(T * C),
      g: new Float64Array(T * F),
      u: new Float64Array(T * F),
      hsw: new Float64Array(T * F),
    };
    rmsnormForward(a.xn1, a.rstd1, x, P(`${p}input_layernorm.weight`), T, C, c.eps);
    matmulForward(a.qp, a.xn1, P(`${p}self_attn.q_proj.weight`), bias("q"), T, C, H * hd);
    matmulForward(a.kp, a.xn1, P(`${p}self_attn.k_proj.weight`), bias("k"), T, C, KV * hd);
    matmulForward(a.v, a.xn1, P(`${p}self_attn.v_proj.weight`), bias("v"), T, C, KV * hd);
    if (c.qkNorm) {
      rmsnormForward(a.qn, a.qrstd, a.qp, P(`${p}self_attn.q_norm.weight`), T * H, hd, c.eps);
      rmsnormForward(a.kn, a.krstd, a.kp, P(`${p}self_attn.k_norm.weight`), T * KV, hd, c.eps);
    } else {
      a.qn.set(a.qp);
      a.kn.set(a.kp);
    }
    ropeForward(a.q, a.qn, tab, T, H, hd);
    ropeForward(a.k, a.kn, tab, T, KV, hd);
    attentionForward(a.att, a.lse, a.q, a.k, a.v, { T, H, KV, hd });
    matmulForward(a.x2, a.att, P(`${p}self_attn.o_proj.weight`), null, T, H * hd, C);
    for (let i = 0; i < T * C; i++) a.x2[i] += x[i];
    rmsnormForward(a.xn2, a.rstd2, a.x2, P(`${p}post_attention_layernorm.weight`), T, C, c.eps);
    matmulForward(a.g, a.xn2, P(`${p}mlp.gate_proj.weight`), null, T, C, F);
    matmulForward(a.u, a.xn2, P(`${p}mlp.up_proj.weight`), null, T, C, F);
    swigluForward(a.hsw, a.g, a.u);
    const out = new Float64Array(T * C);
    matmulForward(out, a.hsw, P(`${p}mlp.down_proj.weight`), null, T, F, C);
    for (let i = 0; i < T * C; i++) out[i] += a.x2[i];
    layers.push(a);
    x = out;
  }
  const rstdf = new Float64Array(T);
  const xnf = new Float64Array(T * C);
  rmsnormForward(xnf, rstdf, x, P("model.norm.weight"), T, C, c.eps);
  const head = c.tied ? E : P("lm_head.weight");
  // token t (t >= promptLen) is predicted by the logits at position t - 1
  const n = T - seq.promptLen;
  const logprobs = new Float64Array(n);
  const entropy = new Float64Array(n);
  const probs: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const t = seq.promptLen + j;
    const r = headForward(xnf.subarray((t - 1) * C, t * C), head, V, C, tau, seq.tokens[t]);
    logprobs[j] = r.logp;
    entropy[j] = r.entropy;
    probs.push(r.p);
  }
  return { T, layers, xf: x, rstdf, xnf, probs, logprobs, entropy };
}

function backwardSequence(m: TrainModel, seq: TrainSequence, acts: SeqActs, w: ArrayLike<number>, tau: number, grads: Map<string, Float64Array>): void {
  const c = m.cfg;
  const P = (n: string) => m.params.get(n) as Float64Array;
  const G = (n: string) => grads.get(n) as Float64Array;
  const [T, C, F, V, H, KV, hd] = [acts.T, c.hidden, c.ffn, c.vocab, c.heads, c.kvHeads, c.headDim];
  const headName = c.tied ? "model.embed_tokens.weight" : "lm_head.weight";
  // LM head + log-softmax: dlogits = w_t (onehot − p) / τ at the position before each scored token
  const dxnf = new Float64Array(T * C);
  for (let j = 0; j < acts.probs.length; j++) {
    const t = seq.promptLen + j;
    const dz = acts.probs[j].map((pj) => (-w[j] * pj) / tau);
    dz[seq.tokens[t]] += w[j] / tau;
    matmulBackward(dxnf.subarray((t - 1) * C, t * C), G(headName), null, dz, acts.xnf.subarray((t - 1) * C, t * C), P(headName), 1, C, V);
  }
  let dx = new Float64Array(T * C);
  rmsnormBackward(dx, G("model.norm.weight"), dxnf, acts.xf, P("model.norm.weight"), acts.rstdf, T, C);
  const tab = ropeTables(c.rope, T);
  for (let l = c.layers - 1; l >= 0; l--) {
    const p = `model.layers.${l}.`;
    const a = acts.layers[l];
    const dbias = (n: string) => (c.qkvBias ? G(`${p}self_attn.${n}_proj.bias`) : null);
    // MLP block: out = x2 + down(swiglu(gate(xn2), up(xn2))); dx flows straight through the residual into dx2
    const dx2 = dx.slice();
    const dhsw = new Float64Array(T * F);
    matmulBackward(dhsw, G(`${p}mlp.down_proj.weight`), null, dx, a.hsw, P(`${p}mlp.down_proj.weight`), T, F, C);
    const dg = new Float64Array(T * F);
    const du = new Float64Array(T * F);
    swigluBackward(dg, du, dhsw, a.g, a.u);
    const dxn2 = new Float64Array(T * C);
    matmulBackward(dxn2, G(`${p}mlp.gate_proj.weight`), null, dg, a.xn2, P(`${p}mlp.gate_proj.weight`), T, C, F);
    matmulBackward(dxn2, G(`${p}mlp.up_proj.weight`), null, du, a.xn2, P(`${p}mlp.up_proj.weight`), T, C, F);
    rmsnormBackward(dx2, G(`${p}post_attention_layernorm.weight`), dxn2, a.x2, P(`${p}post_attention_layernorm.weight`), a.rstd2, T, C);
    // attention block: x2 = x + o_proj(attn(rope(norm(q)), rope(norm(k)), v))
    const dxl = dx2.slice();
    const datt = new Float64Array(T * H * hd);
    matmulBackward(datt, G(`${p}self_attn.o_proj.weight`), null, dx2, a.att, P(`${p}self_attn.o_proj.weight`), T, H * hd, C);
    const dq = new Float64Array(T * H * hd);
    const dk = new Float64Array(T * KV * hd);
    const dv = new Float64Array(T * KV * hd);
    attentionBackward(dq, dk, dv, datt, a.q, a.k, a.v, a.lse, { T, H, KV, hd });
    const dqn = new Float64Array(T * H * hd);
    const dkn = new Float64Array(T * KV * hd);
    ropeBackward(dqn, dq, tab, T, H, hd);
    ropeBackward(dkn, dk, tab, T, KV, hd);
    let [dqp, dkp] = [dqn, dkn];
    if (c.qkNorm) {
      dqp = new Float64Array(T * H * hd);
      dkp = new Float64Array(T * KV * hd);
      rmsnormBackward(dqp, G(`${p}self_attn.q_norm.weight`), dqn, a.qp, P(`${p}self_attn.q_norm.weight`), a.qrstd, T * H, hd);
      rmsnormBackward(dkp, G(`${p}self_attn.k_norm.weight`), dkn, a.kp, P(`${p}self_attn.k_norm.weight`), a.krstd, T * KV, hd);
    }
    const dxn1 = new Float64Array(T * C);
    matmulBackward(dxn1, G(`${p}self_attn.q_proj.weight`), dbias("q"), dqp, a.xn1, P(`${p}self_attn.q_proj.weight`), T, C, H * hd);
    matmulBackward(dxn1, G(`${p}self_attn.k_proj.weight`), dbias("k"), dkp, a.xn1, P(`${p}self_attn.k_proj.weight`), T, C, KV * hd);
    matmulBackward(dxn1, G(`${p}self_attn.v_proj.weight`), dbias("v"), dv, a.xn1, P(`${p}self_attn.v_proj.weight`), T, C, KV * hd);
    rmsnormBackward(dxl, G(`${p}input_layernorm.weight`), dxn1, a.x, P(`${p}input_layernorm.weight`), a.rstd1, T, C);
    dx = dxl;
  }
  // embedding: each position's gradient lands in its token's row (rows of repeated tokens add up)
  const dE = G("model.embed_tokens.weight");
  seq.tokens.forEach((tok, t) => {
    for (let i = 0; i < C; i++) dE[tok * C + i] += dx[t * C + i];
  });
}

function checkTemperature(t: number): number {
  if (!(Number.isFinite(t) && t > 0)) throw new Error(`reference-train: temperature must be a finite number > 0 (got ${t})`);
  return t;
}

/** Teacher-forced log-probs and entropies of each sequence's tokens after its prompt (no gradient); a string is a checkpoint dir. */
export function referenceForward(modelOrDir: TrainModel | string, seqs: readonly TrainSequence[], opts: { temperature?: number } = {}): ForwardResult {
  const model = typeof modelOrDir === "string" ? loadTrainModel(modelOrDir) : modelOrDir;
  const tau = checkTemperature(opts.temperature ?? 1);
  for (const [i, s] of seqs.entries()) checkSequence(model.cfg, s, i);
  const acts = seqs.map((s) => forwardSequence(model, s, tau));
  return { logprobs: acts.map((a) => a.logprobs), entropy: acts.map((a) => a.entropy) };
}

/**
 * Forward + backward of L = Σ_t w_t · logprob_t. `weights[i]` holds sequence i's per-token weights, one per scored
 * token (T_i − promptLen_i values, aligned with the returned logprobs[i]).
 */
export function referenceBackward(
  modelOrDir: TrainModel | string,
  seqs: readonly TrainSequence[],
  weights: readonly ArrayLike<number>[],
  opts: TrainOptions = {},
): TrainResult {
  const model = typeof modelOrDir === "string" ? loadTrainModel(modelOrDir) : modelOrDir;
  const tau = checkTemperature(opts.temperature ?? 1);
  if (weights.length !== seqs.length) throw new Error(`reference-train: ${weights.length} weight vectors for ${seqs.length} sequences`);
  seqs.forEach((s, i) => {
    checkSequence(model.cfg, s, i);
    const n = s.tokens.length - s.promptLen;
    if (weights[i].length !== n) throw new Error(`reference-train: sequence ${i}: ${weights[i].length} weights for ${n} scored tokens`);
    for (let j = 0; j < n; j++)
      if (!Number.isFinite(weights[i][j])) throw new Error(`reference-train: sequence ${i}: weight ${j} is ${weights[i][j]}`);
  });
  const grads = opts.accumulate ?? zerosLike(model);
  for (const [name, p] of model.params) {
    const g = grads.get(name);
    if (!g || g.length !== p.length) throw new Error(`reference-train: accumulate map lacks a ${p.length}-value tensor ${name}`);
  }
  const logprobs: Float64Array[] = [];
  const entropy: Float64Array[] = [];
  let loss = 0;
  seqs.forEach((s, i) => {
    const acts = forwardSequence(model, s, tau);
    backwardSequence(model, s, acts, weights[i], tau, grads);
    logprobs.push(acts.logprobs);
    entropy.push(acts.entropy);
    acts.logprobs.forEach((lp, j) => {
      loss += weights[i][j] * lp;
    });
  });
  return { logprobs, entropy, loss, grads };
}
