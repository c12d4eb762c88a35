// reference.ts: readable float64 reference forward pass of Qwen2/Llama/Qwen3 (one sequence, no cache, no tricks), the yardstick for the native engine.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type RopeParams, ropeParams } from "./rope.js";
import { fromBf16, type LoadedTensor, readSafetensors, toBf16 } from "./safetensors.js";

export interface RefConfig {
  arch: string;
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  eps: number;
  rope: RopeParams;
  tied: boolean;
  qkvBias: boolean;
  qkNorm: boolean;
}

/** The model shape from a checkpoint's config.json, as the reference forward and the training reference read it. */
export function readRefConfig(dir: string): RefConfig {
  const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  const arch = c.architectures[0] as string;
  return {
    arch,
    vocab: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads ?? c.num_attention_heads,
    headDim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
    ffn: c.intermediate_size,
    eps: c.rms_norm_eps ?? 1e-6,
    rope: ropeParams(c),
    tied: c.tie_word_embeddings ?? false,
    qkvBias: arch === "Qwen2ForCausalLM" || c.attention_bias === true, // Qwen2 always has q/k/v biases
    qkNorm: arch === "Qwen3ForCausalLM",
  };
}

export class ReferenceModel {
  readonly cfg: RefConfig;
  private readonly w: Map<string, LoadedTensor>;

  /** kvCache "bf16" rounds every cached K/V value to bf16 (nearest even), as the engine's bf16 cache stores it;
   * activations "bf16" rounds every matmul input (through f32) to bf16, as the engine's act_bf16 mode does. */
  constructor(
    dir: string,
    private readonly opts: { kvCache?: "f32" | "bf16"; activations?: "f32" | "bf16" } = {},
  ) {
    this.cfg = readRefConfig(dir);
    this.w = readSafetensors(join(dir, "model.safetensors"));
  }

  private t(name: string): Float64Array {
    const x = this.w.get(name);
    if (!x) throw new Error(`reference: missing tensor ${name}`);
    return x.data;
  }

  /** y[out] = W[out, in] · x[in] (+ b[out]) */
  private linear(xin: Float64Array, W: Float64Array, out: number, b?: Float64Array): Float64Array {
    const x = this.opts.activations === "bf16" ? xin.map((v) => fromBf16(toBf16(v))) : xin;
    const n = x.length;
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += W[o * n + i] * x[i];
      y[o] = s + (b ? b[o] : 0);
    }
    return y;
  }

  /** x[n] / sqrt(mean(x^2) + eps) * w[n] */
  private rmsnorm(x: Float64Array, w: Float64Array): Float64Array {
    let ss = 0;
    for (const v of x) ss += v * v;
    const r = 1 / Math.sqrt(ss / x.length + this.cfg.eps);
    return x.map((v, i) => v * r * w[i]);
  }

  /** HF rotate_half RoPE on one head [headDim], in place: pairs (i, i + headDim/2); cos/sin scaled as HF does. */
  private rope(v: Float64Array, pos: number): void {
    const h = v.length / 2;
    const { invFreq, attentionFactor: f } = this.cfg.rope;
    for (let i = 0; i < h; i++) {
      const a = pos * invFreq[i];
      const [cs, sn] = [Math.cos(a) * f, Math.sin(a) * f];
      const [x0, x1] = [v[i], v[i + h]];
      v[i] = x0 * cs - x1 * sn;
      v[i + h] = x1 * cs + x0 * sn;
    }
  }

  /** Logits [tokens.length][vocab] for every position of one sequence (causal). */
  logits(tokens: number[]): Float64Array[] {
    const c = this.cfg;
    const hd = c.headDim;
    const T = tokens.length;
    const E = this.t("model.embed_tokens.weight"); // [vocab, hidden]
    let x = tokens.map((tok) => E.slice(tok * c.hidden, (tok + 1) * c.hidden)); // [T][hidden]
    for (let l = 0; l < c.layers; l++) {
      const p = `model.layers.${l}.`;
      const b = (n: string) => (c.qkvBias ? this.t(`${p}self_attn.${n}_proj.bias`) : undefined);
      const xn = x.map((r) => this.rmsnorm(r, this.t(`${p}input_layernorm.weight`)));
      const q = xn.map((r) => this.linear(r, this.t(`${p}self_attn.q_proj.weight`), c.heads * hd, b("q"))); // [T][heads*hd]
      const k = xn.map((r) => this.linear(r, this.t(`${p}self_attn.k_proj.weight`), c.kvHeads * hd, b("k"))); // [T][kv*hd]
      const v = xn.map((r) => this.linear(r, this.t(`${p}self_attn.v_proj.weight`), c.kvHeads * hd, b("v")));
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < c.heads; h++) {
          const qh = q[t].subarray(h * hd, (h + 1) * hd);
          if (c.qkNorm) qh.set(this.rmsnorm(qh.slice(), this.t(`${p}self_attn.q_norm.weight`)));
          this.rope(qh, t);
        }
        for (let h = 0; h < c.kvHeads; h++) {
          const kh = k[t].subarray(h * hd, (h + 1) * hd);
          if (c.qkNorm) kh.set(this.rmsnorm(kh.slice(), this.t(`${p}self_attn.k_norm.weight`)));
          this.rope(kh, t);
        }
        if (this.opts.kvCache === "bf16") {
          k[t].forEach((val, i) => {
            k[t][i] = fromBf16(toBf16(val)); // as the engine's bf16 cache stores it
          });
          v[t].forEach((val, i) => {
            v[t][i] = fromBf16(toBf16(val));
          });
        }
      }
      // attention: head h reads kv head h / (heads / kvHeads); position t sees 0..t
      const att = x.map(() => new Float64Array(c.heads * hd));
      const group = c.heads / c.kvHeads;
      for (let t = 0; t < T; t++)
        for (let h = 0; h < c.heads; h++) {
          const hk = Math.floor(h / group);
          const scores: number[] = [];
          for (let s = 0; s <= t; s++) {
            let dot = 0;
            for (let i = 0; i < hd; i++) dot += q[t][h * hd + i] * k[s][hk * hd + i];
            scores.push(dot / Math.sqrt(hd));
          }
          const mx = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - mx));
          const z = e.reduce((a, b2) => a + b2, 0);
          for (let s = 0; s <= t; s++)
            for (let i = 0; i < hd; i++) att[t][h * hd + i] += (e[s] / z) * v[s][hk * hd + i];
        }
      x = x.map((r, t) => {
        const o = this.linear(att[t], this.t(`${p}self_attn.o_proj.weight`), c.hidden);
        return r.map((val, i) => val + o[i]);
      });
      // SwiGLU MLP: down(silu(gate(x)) * up(x))
      x = x.map((r) => {
        const n = this.rmsnorm(r, this.t(`${p}post_attention_layernorm.weight`));
        const g = this.linear(n, this.t(`${p}mlp.gate_proj.weight`), c.ffn);
        const u = this.linear(n, this.t(`${p}mlp.up_proj.weight`), c.ffn);
        const hsw = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
        const d = this.linear(hsw, this.t(`${p}mlp.down_proj.weight`), c.hidden);
        return r.map((val, i) => val + d[i]);
      });
    }
    const head = c.tied ? E : this.t("lm_head.weight");
    return x.map((r) => this.linear(this.rmsnorm(r, this.t("model.norm.weight")), head, c.vocab));
  }

  /** Greedy continuation of a prompt, re-running the full forward each step (slow, obviously right). */
  greedy(prompt: number[], maxNew: number, stop: number[] = []): number[] {
    const seq = [...prompt];
    const out: number[] = [];
    for (let i = 0; i < maxNew; i++) {
      const lg = this.logits(seq).at(-1) as Float64Array;
      let best = 0;
      for (let j = 1; j < lg.length; j++) if (lg[j] > lg[best]) best = j;
      out.push(best);
      seq.push(best);
      if (stop.includes(best)) break;
    }
    return out;
  }
}
