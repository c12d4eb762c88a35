// Native CPU engine held to the TS reference: logits, greedy golden, batching/shared-prefill invariance, seeds, teacher forcing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { forceScalarKernels, NativeModel, nativeStatus, type SampleParams } from "../../native/ts/native.js";
import { ReferenceModel } from "../../native/ts/reference.js";
import { type TinyModelOptions, writeTinyModel } from "../../native/ts/tiny-model.js";

const status = nativeStatus();
const root = mkdtempSync(join(tmpdir(), "openrs-native-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function tiny(o: TinyModelOptions): string {
  const dir = join(root, `m${n++}`);
  writeTinyModel(dir, o);
  return dir;
}

// f32 activations against a float64 reference over 2 layers: |diff| <= ABS + REL * |ref|.
// The bf16/f16 rows use the same bound: both sides read identical stored weights, only accumulation differs.
const ABS = 1e-4;
const REL = 1e-5;

const MODELS: { o: TinyModelOptions; why: string }[] = [
  { o: { arch: "qwen2", dtype: "F32", heads: 4, kvHeads: 2, seed: 1 }, why: "Qwen2, GQA 4:2, q/k/v bias, untied, f32" },
  { o: { arch: "qwen2", dtype: "BF16", heads: 4, kvHeads: 1, tied: true, seed: 2 }, why: "Qwen2, MQA, tied embeddings, bf16" },
  { o: { arch: "llama", dtype: "F32", heads: 4, kvHeads: 4, seed: 3 }, why: "Llama, MHA, no bias, f32" },
  { o: { arch: "llama", dtype: "F16", heads: 8, kvHeads: 2, hidden: 96, seed: 4 }, why: "Llama, GQA 8:2, f16" },
  { o: { arch: "qwen3", dtype: "BF16", heads: 4, kvHeads: 2, headDim: 32, seed: 5 }, why: "Qwen3, q/k norm, head_dim != hidden/heads, bf16" },
  { o: { arch: "qwen3", dtype: "F32", heads: 2, kvHeads: 2, layers: 3, ropeTheta: 1e6, seed: 6 }, why: "Qwen3, MHA, rope_theta 1e6, 3 layers" },
  // head_dim 16 at theta 1e4 spans wavelengths 6..20,000 positions, so every branch of each scaling rule is used.
  {
    o: { arch: "llama", dtype: "BF16", heads: 4, kvHeads: 2, seed: 7, ropeScaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } },
    why: "Llama, rope_scaling llama3 (Llama 3.x)",
  },
  { o: { arch: "qwen2", dtype: "F32", heads: 4, kvHeads: 2, seed: 8, ropeScaling: { type: "yarn", factor: 4, original_max_position_embeddings: 64 } }, why: "Qwen2, rope_scaling yarn (legacy 'type' key)" },
  { o: { arch: "qwen3", dtype: "F32", heads: 4, kvHeads: 2, seed: 9, ropeScaling: { rope_type: "linear", factor: 2.5 } }, why: "Qwen3, rope_scaling linear" },
];

const PROMPT = [257, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 258, 10];

describe.skipIf(!status.available)(`native engine vs reference${status.available ? "" : ` (skipped: ${status.reason})`}`, () => {
  describe.each(MODELS)("$why", ({ o }) => {
    const dir = tiny(o);
    const ref = new ReferenceModel(dir);

    it("logits at every position match the float64 reference", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const got = await s.logits(PROMPT, PROMPT.length);
      const want = ref.logits(PROMPT);
      let worst = 0;
      for (const [t, row] of want.entries())
        for (const [i, v] of row.entries()) worst = Math.max(worst, Math.abs(got[t * row.length + i] - v) - REL * Math.abs(v));
      expect(worst).toBeLessThanOrEqual(ABS);
    });

    it("with a bf16 KV cache, logits match the reference with bf16-rounded K/V", async () => {
      using model = await NativeModel.load(dir, { threads: 2, device: "cpu", kvCache: "bf16" });
      expect(model.info.kvCache).toBe("bf16");
      using s = model.session();
      const got = await s.logits(PROMPT, PROMPT.length);
      const want = new ReferenceModel(dir, { kvCache: "bf16" }).logits(PROMPT);
      let worst = 0;
      for (const [t, row] of want.entries())
        for (const [i, v] of row.entries()) worst = Math.max(worst, Math.abs(got[t * row.length + i] - v) - REL * Math.abs(v));
      expect(worst).toBeLessThanOrEqual(ABS);
    });

    it("greedy generation gives the reference's tokens", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const r = await s.generate({ prompts: [PROMPT.slice(0, 6)], nSamples: 1, params: { temperature: 0, maxNewTokens: 10 } });
      expect([...r.sequences[0].tokens]).toEqual(ref.greedy(PROMPT.slice(0, 6), 10));
      expect(r.sequences[0].finish).toBe("length");
    });
  });

  it("the scalar fallback kernels also match the reference (bf16 and f16 rows)", async () => {
    for (const o of [MODELS[1].o, MODELS[3].o]) {
      const dir = tiny(o);
      const want = new ReferenceModel(dir).logits(PROMPT);
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      expect(forceScalarKernels(true)).toBe("scalar");
      let got: Float32Array;
      try {
        got = await s.logits(PROMPT, PROMPT.length);
      } finally {
        forceScalarKernels(false);
      }
      let worst = 0;
      for (const [t, row] of want.entries())
        for (const [i, v] of row.entries()) worst = Math.max(worst, Math.abs(got[t * row.length + i] - v) - REL * Math.abs(v));
      expect(worst).toBeLessThanOrEqual(ABS);
    }
  });

  it("exact greedy sequence equals the versioned golden file", async () => {
    const gold = JSON.parse(readFileSync(new URL("../../native/tests/golden/greedy-v1.json", import.meta.url), "utf8"));
    expect(gold.version).toBe(1);
    const dir = tiny(gold.model);
    using model = await NativeModel.load(dir, { threads: 2 });
    using s = model.session();
    const r = await s.generate({ prompts: [gold.prompt], nSamples: 1, params: { temperature: 0, maxNewTokens: gold.maxNewTokens } });
    expect([...r.sequences[0].tokens]).toEqual(gold.tokens);
  });

  describe("batching, shared prefill, seeds, teacher forcing", () => {
    const dir = tiny({ arch: "qwen2", dtype: "BF16", hidden: 64, heads: 4, kvHeads: 2, seed: 11, scale: 0.5 });
    const prompts = [PROMPT, PROMPT.slice(0, 3), [257, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]];
    const sp = (seed: number, extra: Partial<SampleParams> = {}): SampleParams => ({
      temperature: 0.9,
      topP: 0.95,
      topK: 50,
      minP: 0.01,
      seed,
      maxNewTokens: 12,
      ...extra,
    });
    const params = Array.from({ length: 6 }, (_, q) => sp(100 + q, { maxNewTokens: 8 + q }));

    it("a sequence's tokens and logprobs do not depend on its batch mates (3 prompts x 2 samples vs one at a time)", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const all = await s.generate({ prompts, nSamples: 2, params });
      for (let q = 0; q < 6; q++) {
        const one = await s.generate({ prompts: [prompts[Math.floor(q / 2)]], nSamples: 1, params: [params[q]] });
        expect([...all.sequences[q].tokens], `sequence ${q}`).toEqual([...one.sequences[0].tokens]);
        expect([...all.sequences[q].logprobs]).toEqual([...one.sequences[0].logprobs]);
        expect(all.sequences[q].tokens.length).toBe(params[q].maxNewTokens);
      }
    });

    it("n samples sharing one prefill equal the same prompts prefilled independently", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const per = [1, 2, 3, 4].map((k) => sp(k));
      const shared = await s.generate({ prompts: [PROMPT], nSamples: 4, params: per });
      const indep = await s.generate({ prompts: [PROMPT, PROMPT, PROMPT, PROMPT], nSamples: 1, params: per });
      expect(shared.sequences.map((x) => [...x.tokens])).toEqual(indep.sequences.map((x) => [...x.tokens]));
      expect(new Set(shared.sequences.map((x) => x.tokens.join(","))).size).toBeGreaterThan(1); // seeds really differ
    });

    it("the same seed reproduces the same tokens; another seed does not", async () => {
      using model = await NativeModel.load(dir, { threads: 1 });
      using s = model.session();
      const a = await s.generate({ prompts: [PROMPT], nSamples: 1, params: sp(42, { maxNewTokens: 20 }) });
      const b = await s.generate({ prompts: [PROMPT], nSamples: 1, params: sp(42, { maxNewTokens: 20 }) });
      const c = await s.generate({ prompts: [PROMPT], nSamples: 1, params: sp(43, { maxNewTokens: 20 }) });
      expect([...a.sequences[0].tokens]).toEqual([...b.sequences[0].tokens]);
      expect([...a.sequences[0].tokens]).not.toEqual([...c.sequences[0].tokens]);
    });

    it("teacher-forcing scores equal the logprobs reported during generation", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const g = await s.generate({ prompts, nSamples: 2, params });
      for (const seq of g.sequences) {
        const p = prompts[seq.prompt];
        const lp = await s.score([...p, ...seq.tokens], p.length);
        expect([...lp]).toEqual([...seq.logprobs]);
      }
    });

    it("scores across the 512-token prefill chunk boundary equal generation logprobs", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const long = Array.from({ length: 520 }, (_, i) => (i * 37) % 256);
      const g = await s.generate({ prompts: [long], nSamples: 1, params: sp(3, { maxNewTokens: 6 }) });
      const lp = await s.score([...long, ...g.sequences[0].tokens], long.length);
      expect([...lp]).toEqual([...g.sequences[0].logprobs]);
      const all = await s.logits(long, long.length); // rows from both chunks
      const last = await s.logits(long, 1);
      expect([...all.subarray(519 * 259)]).toEqual([...last]);
    });

    it("an AbortSignal cancels a running generation", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const ac = new AbortController();
      let n = 0;
      const r = await s.generate({
        prompts: [PROMPT],
        nSamples: 1,
        params: sp(1, { maxNewTokens: 200 }),
        signal: ac.signal,
        onToken: () => {
          if (++n === 5) ac.abort();
          return false;
        },
      });
      expect(r.cancelled).toBe(true);
      expect(r.sequences[0].finish).toBe("cancelled");
      expect(r.sequences[0].tokens.length).toBe(5);
    });

    it.each([
      { extra: { topK: 1 }, why: "top_k = 1 keeps only the argmax" },
      { extra: { minP: 1, topK: 0 }, why: "min_p = 1 keeps only tokens as likely as the best" },
      { extra: { topP: 1e-6, topK: 0 }, why: "a tiny top_p keeps only the first token" },
      { extra: { temperature: 0 }, why: "temperature 0 is greedy" },
    ])("$why", async ({ extra }) => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const greedy = await s.generate({ prompts: [PROMPT], nSamples: 1, params: { temperature: 0, maxNewTokens: 10 } });
      const r = await s.generate({ prompts: [PROMPT], nSamples: 3, params: [7, 8, 9].map((k) => sp(k, { maxNewTokens: 10, ...extra })) });
      for (const seq of r.sequences) expect([...seq.tokens]).toEqual([...greedy.sequences[0].tokens]);
    });

    it.each([
      { f: { topP: 0.6 } as Partial<SampleParams>, why: "top_p: only the nucleus (smallest top set with >= 60 % mass at T=0.7) is ever drawn" },
      { f: { topK: 3 }, why: "top_k: only the 3 best tokens are ever drawn" },
      { f: { minP: 0.3 }, why: "min_p: only tokens at least 0.3x as likely as the best are ever drawn" },
    ])("$why", async ({ f }) => {
      const flat = tiny({ arch: "qwen2", dtype: "F32", seed: 21, scale: 0.3 });
      using model = await NativeModel.load(flat, { threads: 2 });
      using s = model.session();
      const lg = await s.logits(PROMPT, 1);
      const T = 0.7;
      const order = [...lg.keys()].sort((a, b) => lg[b] - lg[a] || a - b);
      const w = order.map((i) => Math.exp((lg[i] - lg[order[0]]) / T));
      const z = w.reduce((a, b) => a + b, 0);
      let allowed: number[];
      if (f.topP !== undefined) {
        const topP = f.topP;
        let cum = 0;
        const cut = w.findIndex((x) => (cum += x / z) >= topP);
        allowed = order.slice(0, cut + 1);
      } else if (f.topK !== undefined) allowed = order.slice(0, f.topK);
      else {
        const minP = f.minP ?? 0;
        allowed = order.filter((_, j) => w[j] >= minP);
      }
      expect(allowed.length).toBeGreaterThan(1); // the model is flat enough for the filter to matter
      const seen = new Set<number>();
      const r = await s.generate({ prompts: [PROMPT], nSamples: 48, params: Array.from({ length: 48 }, (_, k) => ({ temperature: T, seed: k, maxNewTokens: 1, ...f })) });
      for (const q of r.sequences) seen.add(q.tokens[0]);
      for (const t of seen) expect(allowed).toContain(t);
      expect(seen.size).toBeGreaterThan(1);
    });

    it("a stop token ends the sequence (kept in the output) with finish 'stop'", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const g = await s.generate({ prompts: [PROMPT], nSamples: 1, params: { temperature: 0, maxNewTokens: 10 } });
      const stopTok = g.sequences[0].tokens[3];
      const first = g.sequences[0].tokens.indexOf(stopTok);
      const r = await s.generate({ prompts: [PROMPT], nSamples: 1, params: { temperature: 0, maxNewTokens: 10, stop: [stopTok] } });
      expect(r.sequences[0].finish).toBe("stop");
      expect([...r.sequences[0].tokens]).toEqual([...g.sequences[0].tokens.slice(0, first + 1)]);
    });

    it("the event loop keeps running while a generation runs on koffi's worker pool", async () => {
      const big = tiny({ arch: "llama", dtype: "BF16", hidden: 256, layers: 4, heads: 4, kvHeads: 2, vocab: 4096, seed: 12 });
      using model = await NativeModel.load(big, { threads: 2 });
      using s = model.session();
      let ticks = 0;
      let done = false;
      const p = s.generate({ prompts: [PROMPT], nSamples: 4, params: sp(1, { maxNewTokens: 48 }) }).finally(() => {
        done = true;
      });
      while (!done) {
        await new Promise((r) => setTimeout(r, 1));
        if (!done) ticks++;
      }
      await p;
      expect(ticks).toBeGreaterThan(0);
    });

    it("the token callback streams every token and can cancel", async () => {
      using model = await NativeModel.load(dir, { threads: 2 });
      using s = model.session();
      const seen: number[] = [];
      const r = await s.generate({
        prompts: [PROMPT],
        nSamples: 2,
        params: sp(5, { maxNewTokens: 40 }),
        onToken: (_seq, tok) => {
          seen.push(tok);
          return seen.length >= 9;
        },
      });
      expect(r.cancelled).toBe(true);
      expect(seen.length).toBe(9);
      expect(r.sequences.reduce((a, x) => a + x.tokens.length, 0)).toBe(9);
    });

    it.each([
      { req: { prompts: [[1, 2, 999]], params: { maxNewTokens: 4 } }, err: /token id 999 at position 2 is outside the vocabulary \[0, 259\)/ },
      { req: { prompts: [[1, 2]], params: { maxNewTokens: 4, topP: 0 } }, err: /0 < top_p <= 1/ },
      { req: { prompts: [[1, 2]], params: { maxNewTokens: 4000 } }, err: /exceeds max_position_embeddings 2048/ },
      { req: { prompts: [[]], params: { maxNewTokens: 4 } }, err: /prompt 0 is empty/ },
    ])("bad request rejects with $err", async ({ req, err }) => {
      using model = await NativeModel.load(dir, { threads: 1 });
      using s = model.session();
      await expect(s.generate({ nSamples: 1, ...req })).rejects.toThrow(err);
    });

    it("a session runs one call at a time and refuses use after close", async () => {
      using model = await NativeModel.load(dir, { threads: 1 });
      const s = model.session();
      const p = s.generate({ prompts: [PROMPT], nSamples: 1, params: { maxNewTokens: 4 } });
      await expect(s.score(PROMPT, 2)).rejects.toThrow(/busy/);
      await p;
      s.close();
      await expect(s.score(PROMPT, 2)).rejects.toThrow(/closed/);
    });
  });

  it.each([16, 12])("a NaN in the keys makes the logits NaN (head_dim %i: AVX2 and scalar attention alike), not a plausible average", async (headDim) => {
    const dir = tiny({ arch: "llama", dtype: "F32", heads: 2, kvHeads: 1, headDim, seed: 12 });
    const file = join(dir, "model.safetensors");
    const buf = readFileSync(file);
    const hlen = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + hlen).toString("utf8"));
    const [begin] = header["model.layers.1.self_attn.k_proj.weight"].data_offsets as number[];
    buf.writeFloatLE(Number.NaN, 8 + hlen + begin);
    writeFileSync(file, buf);
    using model = await NativeModel.load(dir, { threads: 1, device: "cpu" });
    using s = model.session();
    const logits = await s.logits(PROMPT.slice(0, 9), 1);
    expect(logits.every((x) => Number.isNaN(x))).toBe(true);
  });
});
