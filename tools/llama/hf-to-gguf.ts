// hf-to-gguf.ts: a Qwen2 Hugging Face checkpoint (config.json + model.safetensors, as native/ts/tiny-model.ts writes)
// to GGUF with the same weights byte for byte (matrices keep their bf16/f16/f32 bytes; 1-D norms and biases are
// widened exactly to f32, as llama.cpp's own converter does). For the side-by-side bench only.
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { byteToUnicode } from "../../native/ts/tiny-model.js";
import { type GgmlType, type GgufTensorIn, type GgufValue, writeGguf } from "./gguf.js";

interface StEntry {
  dtype: "F32" | "F16" | "BF16";
  shape: number[];
  data_offsets: [number, number];
}

/** Safetensors tensor name -> GGUF name (llama.cpp's qwen2 names). */
function ggufName(hf: string): string {
  if (hf === "model.embed_tokens.weight") return "token_embd.weight";
  if (hf === "model.norm.weight") return "output_norm.weight";
  if (hf === "lm_head.weight") return "output.weight";
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  if (!m) throw new Error(`no GGUF name for tensor ${hf}`);
  const map: Record<string, string> = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
  };
  const g = map[m[2]];
  if (!g) throw new Error(`no GGUF name for tensor ${hf}`);
  return `blk.${m[1]}.${g}`;
}

function widen(raw: Buffer, dtype: StEntry["dtype"]): Uint8Array {
  if (dtype === "F32") return raw;
  const n = raw.length / 2;
  const out = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    const h = raw.readUInt16LE(i * 2);
    if (dtype === "BF16") out.writeUInt32LE(h << 16 >>> 0, i * 4);
    else {
      // f16 -> f32 exactly (Float16 is not in Node 20's Buffer API).
      const s = h >> 15, e = (h >> 10) & 31, f = h & 1023;
      const v = e === 0 ? f * 2 ** -24 : e === 31 ? (f ? Number.NaN : Number.POSITIVE_INFINITY) : (1 + f / 1024) * 2 ** (e - 15);
      out.writeFloatLE(s ? -v : v, i * 4);
    }
  }
  return out;
}

/** Converts dir (a qwen2 checkpoint) to a GGUF file at out. */
export function hfToGguf(dir: string, out: string): void {
  const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  if (cfg.model_type !== "qwen2") throw new Error(`hf-to-gguf: model_type ${cfg.model_type}; only qwen2 is mapped (llama needs Q/K permutation)`);
  const st = join(dir, "model.safetensors");
  const fd = openSync(st, "r");
  try {
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const hlen = Number(lenBuf.readBigUInt64LE());
    const hb = Buffer.alloc(hlen);
    readSync(fd, hb, 0, hlen, 8);
    const header = JSON.parse(hb.toString("utf8")) as Record<string, StEntry>;
    const base = 8 + hlen;
    const tensors: GgufTensorIn[] = [];
    for (const [name, e] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const read = () => {
        const [b, f] = e.data_offsets;
        const raw = Buffer.alloc(f - b);
        readSync(fd, raw, 0, f - b, base + b);
        return raw;
      };
      const oneD = e.shape.length === 1;
      tensors.push({
        name: ggufName(name),
        shape: e.shape,
        type: (oneD ? "F32" : e.dtype) as GgmlType,
        data: oneD ? () => widen(read(), e.dtype) : read,
      });
    }
    const V = cfg.vocab_size as number;
    const b2u = byteToUnicode();
    // Byte tokens first (so llama.cpp finds its newline token), then unique placeholders: the bench feeds token ids.
    const tokens = Array.from({ length: V }, (_, i) => (i < 256 ? b2u[i] : `<t${i}>`));
    const a = "qwen2";
    const md: Record<string, GgufValue> = {
      "general.architecture": { type: "string", value: a },
      "general.name": { type: "string", value: "openrs random bench model" },
      "general.file_type": { type: "u32", value: cfg.torch_dtype === "bfloat16" ? 32 : cfg.torch_dtype === "float16" ? 1 : 0 },
      [`${a}.context_length`]: { type: "u32", value: cfg.max_position_embeddings },
      [`${a}.embedding_length`]: { type: "u32", value: cfg.hidden_size },
      [`${a}.block_count`]: { type: "u32", value: cfg.num_hidden_layers },
      [`${a}.feed_forward_length`]: { type: "u32", value: cfg.intermediate_size },
      [`${a}.attention.head_count`]: { type: "u32", value: cfg.num_attention_heads },
      [`${a}.attention.head_count_kv`]: { type: "u32", value: cfg.num_key_value_heads },
      [`${a}.rope.freq_base`]: { type: "f32", value: cfg.rope_theta },
      [`${a}.attention.layer_norm_rms_epsilon`]: { type: "f32", value: cfg.rms_norm_eps },
      "tokenizer.ggml.model": { type: "string", value: "gpt2" },
      "tokenizer.ggml.pre": { type: "string", value: "qwen2" },
      "tokenizer.ggml.tokens": { type: "array", of: "string", value: tokens },
      "tokenizer.ggml.token_type": { type: "array", of: "i32", value: tokens.map(() => 1) },
      "tokenizer.ggml.merges": { type: "array", of: "string", value: [] },
      "tokenizer.ggml.bos_token_id": { type: "u32", value: cfg.bos_token_id },
      "tokenizer.ggml.eos_token_id": { type: "u32", value: cfg.eos_token_id },
    };
    writeGguf(out, md, tensors);
  } finally {
    closeSync(fd);
  }
}
