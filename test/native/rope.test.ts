// RoPE scaling rules (native/ts/rope.ts, mirrored by the engine's parse_rope): what each one does to the frequencies.
import { describe, expect, it } from "vitest";
import { ropeParams } from "../../native/ts/rope.js";

const base = { hidden_size: 256, num_attention_heads: 2, rope_theta: 500000, max_position_embeddings: 131072 }; // head_dim 128
const plain = ropeParams(base).invFreq;
const wavelen = (f: number) => (2 * Math.PI) / f;

describe("rope scaling", () => {
  it("no rope_scaling: theta^(-2i/d), attention factor 1", () => {
    const r = ropeParams(base);
    expect(r.type).toBe("default");
    expect(r.invFreq.length).toBe(64);
    expect(r.invFreq[0]).toBe(1);
    expect(r.invFreq[32]).toBeCloseTo(500000 ** -0.5, 15);
    expect(r.attentionFactor).toBe(1);
    expect(ropeParams({ ...base, rope_scaling: { rope_type: "default" } }).invFreq).toEqual(plain);
  });

  it("linear divides every frequency by the factor", () => {
    const r = ropeParams({ ...base, rope_scaling: { type: "linear", factor: 4 } });
    for (const [i, f] of r.invFreq.entries()) expect(f).toBeCloseTo(plain[i] / 4, 18);
  });

  it("llama3 (Llama 3.1's values): short wavelengths kept, long ones / factor, a smooth ramp between", () => {
    const rs = { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const r = ropeParams({ ...base, rope_scaling: rs });
    let kept = 0;
    let scaled = 0;
    let between = 0;
    r.invFreq.forEach((f, i) => {
      const w = wavelen(plain[i]);
      if (w < 8192 / 4) {
        expect(f).toBe(plain[i]);
        kept++;
      } else if (w > 8192) {
        expect(f).toBeCloseTo(plain[i] / 8, 18);
        scaled++;
      } else {
        expect(f).toBeLessThan(plain[i]);
        expect(f).toBeGreaterThan(plain[i] / 8);
        between++;
      }
    });
    expect([kept > 0, scaled > 0, between > 0]).toEqual([true, true, true]);
    // the ramp is continuous at both ends: smooth = 0 gives f / factor, smooth = 1 gives f
    const smooth = (w: number) => (8192 / w - 1) / (4 - 1);
    for (const [i, f] of r.invFreq.entries()) {
      const w = wavelen(plain[i]);
      if (w >= 2048 && w <= 8192) expect(f).toBeCloseTo((1 - smooth(w)) * (plain[i] / 8) + smooth(w) * plain[i], 15);
    }
  });

  it("yarn: attention factor 0.1 ln(s) + 1, fast pairs extrapolated, slow pairs interpolated", () => {
    const r = ropeParams({ ...base, rope_theta: 1e6, rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32768 } });
    const p = ropeParams({ ...base, rope_theta: 1e6 }).invFreq;
    expect(r.attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
    expect(r.invFreq[0]).toBe(p[0]);
    expect(r.invFreq[63]).toBeCloseTo(p[63] / 4, 20);
    for (let i = 1; i < 64; i++) expect(r.invFreq[i] / p[i]).toBeLessThanOrEqual(r.invFreq[i - 1] / p[i - 1] + 1e-12); // monotone ramp
    expect(ropeParams({ ...base, rope_scaling: { rope_type: "yarn", factor: 4, attention_factor: 1.5 } }).attentionFactor).toBe(1.5);
    const ds = ropeParams({ ...base, rope_scaling: { rope_type: "yarn", factor: 40, mscale: 1, mscale_all_dim: 1 } });
    expect(ds.attentionFactor).toBe(1); // DeepSeek-style equal mscales cancel
  });

  it("unsupported or malformed scaling is a one-line error", () => {
    expect(() => ropeParams({ ...base, rope_scaling: { rope_type: "dynamic", factor: 2 } })).toThrow(/type 'dynamic' is not supported \(supported: linear, llama3, yarn\)/);
    expect(() => ropeParams({ ...base, rope_scaling: { rope_type: "longrope" } })).toThrow(/'longrope' is not supported/);
    expect(() => ropeParams({ ...base, rope_scaling: { rope_type: "linear" } })).toThrow(/missing factor/);
    expect(() => ropeParams({ ...base, rope_scaling: { factor: 2 } })).toThrow(/missing rope_type/);
    expect(() => ropeParams({ ...base, rope_scaling: "yarn" })).toThrow(/must be an object/);
    expect(() => ropeParams({ ...base, partial_rotary_factor: 0.5 })).toThrow(/partial_rotary_factor/);
    expect(() => ropeParams({ ...base, rope_scaling: { rope_type: "yarn", factor: 4, attention_factor: 0 } })).toThrow(/attention_factor must be > 0/);
  });
});
