// The side-by-side bench's GGUF writer, held to its own reader: metadata, tensor table and every tensor's bytes
// read back equal the safetensors checkpoint they came from; malformed files fail with one line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensors } from "../../native/ts/safetensors.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";
import { GGML_TYPE, readGguf, readTensor, writeGguf } from "../../tools/llama/gguf.js";
import { hfToGguf } from "../../tools/llama/hf-to-gguf.js";

const root = mkdtempSync(join(tmpdir(), "openrs-gguf-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Raw bytes of each safetensors tensor. */
function rawTensors(file: string): Map<string, { dtype: string; shape: number[]; bytes: Buffer }> {
  const buf = readFileSync(file);
  const hlen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + hlen).toString("utf8"));
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  for (const [k, v] of Object.entries(header) as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][])
    if (k !== "__metadata__") out.set(k, { dtype: v.dtype, shape: v.shape, bytes: buf.subarray(8 + hlen + v.data_offsets[0], 8 + hlen + v.data_offsets[1]) });
  return out;
}

describe("GGUF writer (tools/llama)", () => {
  for (const [dtype, tied] of [
    ["BF16", true],
    ["F16", false],
  ] as const) {
    it(`a ${dtype} ${tied ? "tied" : "untied"} qwen2 checkpoint reads back byte for byte`, () => {
      const dir = join(root, `${dtype}-${tied}`);
      writeTinyModel(dir, { arch: "qwen2", dtype, heads: 4, kvHeads: 2, layers: 2, tied, seed: 3 });
      const out = join(dir, "model.gguf");
      hfToGguf(dir, out);
      const g = readGguf(out);
      const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      expect(g.version).toBe(3);
      expect(g.metadata.get("general.architecture")).toBe("qwen2");
      expect(g.metadata.get("general.alignment")).toBe(32);
      expect(g.metadata.get("qwen2.embedding_length")).toBe(cfg.hidden_size);
      expect(g.metadata.get("qwen2.block_count")).toBe(cfg.num_hidden_layers);
      expect(g.metadata.get("qwen2.attention.head_count_kv")).toBe(cfg.num_key_value_heads);
      expect(g.metadata.get("qwen2.rope.freq_base")).toBe(cfg.rope_theta);
      expect(g.metadata.get("qwen2.attention.layer_norm_rms_epsilon")).toBeCloseTo(cfg.rms_norm_eps, 12);
      expect((g.metadata.get("tokenizer.ggml.tokens") as string[]).length).toBe(cfg.vocab_size);
      const st = rawTensors(join(dir, "model.safetensors"));
      const wide = readSafetensors(join(dir, "model.safetensors"));
      expect(g.tensors.length).toBe(st.size);
      expect(g.tensors.some((t) => t.name === "output.weight")).toBe(!tied);
      const byName = new Map(g.tensors.map((t) => [t.name, t]));
      const pairs: [string, string][] = [
        ["model.embed_tokens.weight", "token_embd.weight"],
        ["model.layers.1.self_attn.q_proj.weight", "blk.1.attn_q.weight"],
        ["model.layers.0.self_attn.k_proj.bias", "blk.0.attn_k.bias"],
        ["model.layers.1.mlp.down_proj.weight", "blk.1.ffn_down.weight"],
        ["model.layers.0.post_attention_layernorm.weight", "blk.0.ffn_norm.weight"],
        ["model.norm.weight", "output_norm.weight"],
      ];
      for (const [hf, gg] of pairs) {
        const t = byName.get(gg);
        const s = st.get(hf);
        expect(t, gg).toBeDefined();
        expect(s, hf).toBeDefined();
        if (!t || !s) continue;
        expect(t.shape).toEqual(s.shape);
        expect(t.offset % 32).toBe(0);
        const bytes = readTensor(out, t);
        if (s.shape.length === 2) {
          expect(t.type).toBe(GGML_TYPE[dtype]);
          expect(bytes.equals(s.bytes), `${gg} bytes`).toBe(true);
        } else {
          // 1-D tensors are widened to f32 exactly.
          expect(t.type).toBe(GGML_TYPE.F32);
          const back = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
          expect(back).toEqual([...(wide.get(hf)?.data ?? [])]);
        }
      }
    });
  }

  it("metadata of every kind round-trips; a wrong byte count, bad magic or truncation fails with one line", () => {
    const f = join(root, "kinds.gguf");
    const data = Buffer.alloc(6 * 4);
    writeGguf(
      f,
      {
        a: { type: "u32", value: 7 },
        b: { type: "f32", value: 0.5 },
        c: { type: "bool", value: true },
        d: { type: "string", value: "héllo" },
        e: { type: "array", of: "i32", value: [-1, 2] },
        f: { type: "array", of: "string", value: ["x", ""] },
      },
      [{ name: "w", shape: [2, 3], type: "F32", data: () => data }],
    );
    const g = readGguf(f);
    expect([...g.metadata.entries()]).toEqual([
      ["general.alignment", 32],
      ["a", 7],
      ["b", 0.5],
      ["c", true],
      ["d", "héllo"],
      ["e", [-1, 2]],
      ["f", ["x", ""]],
    ]);
    expect(g.tensors).toEqual([{ name: "w", shape: [2, 3], type: 0, offset: g.tensors[0].offset, bytes: 24 }]);
    expect(() => writeGguf(join(root, "bad.gguf"), {}, [{ name: "w", shape: [2, 3], type: "F32", data: () => Buffer.alloc(8) }])).toThrow(
      "tensor w: 8 bytes, shape and type say 24",
    );
    const bad = join(root, "magic.gguf");
    writeFileSync(bad, "GGML0000");
    expect(() => readGguf(bad)).toThrow(/not a GGUF file \(bad magic\)/);
    const cut = join(root, "cut.gguf");
    writeFileSync(cut, readFileSync(f).subarray(0, 40));
    expect(() => readGguf(cut)).toThrow(/truncated at byte/);
  });
});
