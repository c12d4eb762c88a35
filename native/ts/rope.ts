// rope.ts: RoPE frequencies from config.json, after Hugging Face transformers' rope initialisations
// (modeling_rope_utils): plain, linear, llama3 and yarn. The reference forward uses this; the C++ engine
// (src/config.cpp parse_rope) mirrors it, and a test holds the two to each other.

export interface RopeParams {
  /** "default" when config.json has no rope_scaling. */
  type: "default" | "linear" | "llama3" | "yarn";
  /** Per rotated pair i < headDim / 2: the angle at position p is p * invFreq[i]. */
  invFreq: Float64Array;
  /** cos and sin are multiplied by this (YaRN's attention scaling; 1 otherwise). */
  attentionFactor: number;
}

export const SUPPORTED_ROPE = ["linear", "llama3", "yarn"] as const;

type Cfg = Record<string, unknown>;

function num(o: Cfg, key: string, where: string, def?: number): number {
  const v = o[key];
  if (v === undefined || v === null) {
    if (def === undefined) throw new Error(`${where}: missing ${key}`);
    return def;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${where}: ${key} must be a number`);
  return v;
}

/** Reads rope_theta, head_dim and rope_scaling; throws a one-line reason for what the engine does not support. */
export function ropeParams(config: Cfg): RopeParams {
  const theta = num(config, "rope_theta", "config.json", 10000);
  const heads = num(config, "num_attention_heads", "config.json");
  const dim = num(config, "head_dim", "config.json", num(config, "hidden_size", "config.json") / heads);
  const partial = num(config, "partial_rotary_factor", "config.json", 1);
  if (partial !== 1) throw new Error("config.json: partial_rotary_factor != 1 is not supported");
  const half = dim / 2;
  const base = Float64Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / dim));
  const rs = config.rope_scaling;
  if (rs === undefined || rs === null) return { type: "default", invFreq: base, attentionFactor: 1 };
  if (typeof rs !== "object" || Array.isArray(rs)) throw new Error("config.json: rope_scaling must be an object");
  const s = rs as Cfg;
  const type = s.rope_type ?? s.type;
  const where = "config.json rope_scaling";
  if (typeof type !== "string") throw new Error(`${where}: missing rope_type`);
  if (type === "default") return { type: "default", invFreq: base, attentionFactor: 1 };
  if (type === "linear") {
    const factor = num(s, "factor", where);
    if (!(factor > 0)) throw new Error(`${where}: factor must be > 0`);
    return { type, invFreq: base.map((f) => f / factor), attentionFactor: 1 };
  }
  if (type === "llama3") {
    const factor = num(s, "factor", where);
    const low = num(s, "low_freq_factor", where);
    const high = num(s, "high_freq_factor", where);
    const old = num(s, "original_max_position_embeddings", where);
    if (!(factor > 0) || !(high > low) || !(old > 0)) throw new Error(`${where}: need factor > 0, high_freq_factor > low_freq_factor, original_max_position_embeddings > 0`);
    const lowWavelen = old / low;
    const highWavelen = old / high;
    const invFreq = base.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) return f; // high frequencies: unchanged
      if (wavelen > lowWavelen) return f / factor; // low frequencies: interpolated
      const smooth = (old / wavelen - low) / (high - low);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
    return { type, invFreq, attentionFactor: 1 };
  }
  if (type === "yarn") {
    // factor is taken from rope_scaling as written (as vLLM does); HF transformers >= 4.50 instead uses
    // max_position_embeddings / original_max_position_embeddings when both are present.
    const factor = num(s, "factor", where);
    if (!(factor > 0)) throw new Error(`${where}: factor must be > 0`);
    const orig = num(s, "original_max_position_embeddings", where, num(config, "max_position_embeddings", "config.json", 32768));
    const mscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
    let attentionFactor = s.attention_factor === undefined || s.attention_factor === null ? undefined : num(s, "attention_factor", where);
    if (attentionFactor !== undefined && !(attentionFactor > 0)) throw new Error(`${where}: attention_factor must be > 0`);
    if (attentionFactor === undefined) {
      const m = s.mscale === undefined || s.mscale === null ? 0 : num(s, "mscale", where);
      const mAll = s.mscale_all_dim === undefined || s.mscale_all_dim === null ? 0 : num(s, "mscale_all_dim", where);
      attentionFactor = m && mAll ? mscale(factor, m) / mscale(factor, mAll) : mscale(factor);
    }
    const betaFast = num(s, "beta_fast", where, 32) || 32;
    const betaSlow = num(s, "beta_slow", where, 1) || 1;
    const truncate = s.truncate === undefined ? true : s.truncate !== false;
    const corrDim = (rot: number) => (dim * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
    let lo = corrDim(betaFast);
    let hi = corrDim(betaSlow);
    if (truncate) {
      lo = Math.floor(lo);
      hi = Math.ceil(hi);
    }
    lo = Math.max(lo, 0);
    hi = Math.min(hi, dim - 1);
    if (lo === hi) hi += 0.001; // avoids a zero-width ramp
    const invFreq = base.map((f, i) => {
      const ramp = Math.min(1, Math.max(0, (i - lo) / (hi - lo)));
      const extrapolation = 1 - ramp; // share kept at the original frequency
      return (f / factor) * (1 - extrapolation) + f * extrapolation;
    });
    return { type, invFreq, attentionFactor };
  }
  throw new Error(`${where}: type '${type}' is not supported (supported: ${SUPPORTED_ROPE.join(", ")})`);
}
