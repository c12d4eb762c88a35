// tiny-model.ts: writes a seeded random-weight Hugging Face checkpoint directory (config, safetensors, tokenizer) for tests and benchmarks.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../../grading/rng.js";
import { type DType, type TensorSpec, toBf16, toF16, writeSafetensors } from "./safetensors.js";

export type Arch = "qwen2" | "llama" | "qwen3";
export const ARCH_CLASS: Record<Arch, string> = {
  qwen2: "Qwen2ForCausalLM",
  llama: "LlamaForCausalLM",
  qwen3: "Qwen3ForCausalLM",
};

export interface TinyModelOptions {
  arch: Arch;
  seed?: number;
  dtype?: DType;
  hidden?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  /** Defaults to hidden / heads (qwen3 checkpoints usually set it explicitly; so do we). */
  headDim?: number;
  ffn?: number;
  /** At least the tokenizer's 259 ids; larger vocabularies have untokenizable ids above 258. */
  vocab?: number;
  tied?: boolean;
  ropeTheta?: number;
  /** config.json's rope_scaling object as written (e.g. { rope_type: "llama3", factor: 8, ... }). */
  ropeScaling?: Record<string, unknown> | null;
  maxPositions?: number;
  /** Scales every random matrix; larger values give peakier logits. */
  scale?: number;
  /** Benchmark-sized models: 16-bit matrices are tiled from a seeded pool of random values (fast, not i.i.d.). */
  fastRandom?: boolean;
  /** Half-width of the uniform embedding init (default 1). Small values (e.g. 0.02) suit training from scratch with a tied head. */
  embedScale?: number;
  /** The chat template's generation prompt opens `<think>\n`, as R1-distilled models' does (TINY_THINK_CHAT_TEMPLATE). */
  think?: boolean;
}

/** Special tokens after the 256 byte tokens. */
export const TINY_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;
export const TINY_EOS = 258; // <|im_end|>
/** ChatML over the tiny tokenizer; the assistant turn of the generation prompt opens with `opening`. */
const chatMl = (opening: string) =>
  "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}" +
  `{% if add_generation_prompt %}<|im_start|>assistant\n${opening}{% endif %}`;
export const TINY_CHAT_TEMPLATE = chatMl("");
/** TINY_CHAT_TEMPLATE whose assistant turn opens a reasoning block, like DeepSeek-R1-Distill's generation prompt. */
export const TINY_THINK_CHAT_TEMPLATE = chatMl("<think>\n");

/** mulberry32 (the project's one seeded PRNG, shared with the fuzzer): small, identical on every platform. */
export const rngFrom = mulberry32;

/** GPT-2's byte -> printable unicode map used by byte-level BPE. */
export function byteToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  const out: string[] = new Array(256);
  bs.forEach((b, i) => {
    out[b] = String.fromCodePoint(cs[i]);
  });
  return out;
}

function tokenizerJson(): object {
  const vocab: Record<string, number> = {};
  byteToUnicode().forEach((ch, b) => {
    vocab[ch] = b;
  });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: TINY_SPECIALS.map((content, i) => ({
      id: 256 + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

export interface TinyModelInfo {
  dir: string;
  config: Record<string, unknown>;
}

/** Resolved shape of a tiny model (defaults filled in). */
export function resolveOptions(o: TinyModelOptions): Required<TinyModelOptions> {
  const hidden = o.hidden ?? 64;
  const heads = o.heads ?? 4;
  return {
    arch: o.arch,
    seed: o.seed ?? 1,
    dtype: o.dtype ?? "F32",
    hidden,
    layers: o.layers ?? 2,
    heads,
    kvHeads: o.kvHeads ?? 2,
    headDim: o.headDim ?? hidden / heads,
    ffn: o.ffn ?? hidden * 2,
    vocab: o.vocab ?? 256 + TINY_SPECIALS.length,
    tied: o.tied ?? false,
    ropeTheta: o.ropeTheta ?? 10000,
    ropeScaling: o.ropeScaling ?? null,
    maxPositions: o.maxPositions ?? 2048,
    scale: o.scale ?? 1,
    fastRandom: o.fastRandom ?? false,
    embedScale: o.embedScale ?? 1,
    think: o.think ?? false,
  };
}

/** Writes the checkpoint into dir (created if needed) and returns its config. */
export function writeTinyModel(dir: string, opts: TinyModelOptions): TinyModelInfo {
  const o = resolveOptions(opts);
  if (!Number.isInteger(o.headDim) || o.headDim % 2) throw new Error(`head dim ${o.headDim} must be an even integer`);
  if (o.heads % o.kvHeads) throw new Error(`heads (${o.heads}) must be a multiple of kvHeads (${o.kvHeads})`);
  if (!(o.embedScale > 0)) throw new Error(`embedScale must be positive, got ${o.embedScale}`);
  if (o.vocab < 256 + TINY_SPECIALS.length) throw new Error(`vocab must be at least ${256 + TINY_SPECIALS.length}`);
  mkdirSync(dir, { recursive: true });
  const config: Record<string, unknown> = {
    architectures: [ARCH_CLASS[o.arch]],
    model_type: o.arch,
    vocab_size: o.vocab,
    hidden_size: o.hidden,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    num_key_value_heads: o.kvHeads,
    head_dim: o.headDim,
    intermediate_size: o.ffn,
    hidden_act: "silu",
    rms_norm_eps: 1e-6,
    rope_theta: o.ropeTheta,
    rope_scaling: o.ropeScaling,
    max_position_embeddings: o.maxPositions,
    tie_word_embeddings: o.tied,
    attention_bias: o.arch === "qwen2",
    bos_token_id: 256,
    eos_token_id: TINY_EOS,
    torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[o.dtype],
  };
  const rnd = rngFrom(o.seed);
  const uniform = (a: number) => (out: Float32Array) => {
    for (let i = 0; i < out.length; i++) out[i] = (rnd() * 2 - 1) * a;
  };
  const around1 = (out: Float32Array) => {
    for (let i = 0; i < out.length; i++) out[i] = 1 + (rnd() * 2 - 1) * 0.2;
  };
  // Uniform(-a, a) with a = sqrt(3 / fan_in) has unit-variance outputs for unit-variance inputs.
  // Pool path: one pool of 1M stored-dtype values per scale (a model has few distinct fan-ins), copied in from random offsets.
  const pools = new Map<string, Uint16Array>();
  const pooled = (a: number) => (out: Uint16Array, dt: "F16" | "BF16") => {
    const key = `${a}/${dt}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = new Uint16Array(1 << 20);
      for (let i = 0; i < pool.length; i++) pool[i] = (dt === "BF16" ? toBf16 : toF16)((rnd() * 2 - 1) * a);
      pools.set(key, pool);
    }
    for (let off = 0; off < out.length; off += pool.length) {
      const start = Math.floor(rnd() * pool.length);
      const n = Math.min(pool.length - start, out.length - off);
      out.set(pool.subarray(start, start + n), off);
      if (n < pool.length && off + n < out.length) out.set(pool.subarray(0, Math.min(start, out.length - off - n)), off + n);
    }
  };
  const lin = (fanIn: number) => uniform(Math.sqrt(3 / fanIn) * o.scale);
  const linBits = (fanIn: number) => (o.fastRandom ? pooled(Math.sqrt(3 / fanIn) * o.scale) : undefined);
  const qd = o.heads * o.headDim;
  const kvd = o.kvHeads * o.headDim;
  const t: TensorSpec[] = [{ name: "model.embed_tokens.weight", shape: [o.vocab, o.hidden], fill: uniform(o.embedScale), fillBits: o.fastRandom ? pooled(o.embedScale) : undefined }];
  for (let l = 0; l < o.layers; l++) {
    const p = `model.layers.${l}.`;
    t.push({ name: `${p}input_layernorm.weight`, shape: [o.hidden], fill: around1 });
    t.push({ name: `${p}self_attn.q_proj.weight`, shape: [qd, o.hidden], fill: lin(o.hidden), fillBits: linBits(o.hidden) });
    t.push({ name: `${p}self_attn.k_proj.weight`, shape: [kvd, o.hidden], fill: lin(o.hidden), fillBits: linBits(o.hidden) });
    t.push({ name: `${p}self_attn.v_proj.weight`, shape: [kvd, o.hidden], fill: lin(o.hidden), fillBits: linBits(o.hidden) });
    if (o.arch === "qwen2") {
      t.push({ name: `${p}self_attn.q_proj.bias`, shape: [qd], fill: uniform(0.1) });
      t.push({ name: `${p}self_attn.k_proj.bias`, shape: [kvd], fill: uniform(0.1) });
      t.push({ name: `${p}self_attn.v_proj.bias`, shape: [kvd], fill: uniform(0.1) });
    }
    if (o.arch === "qwen3") {
      t.push({ name: `${p}self_attn.q_norm.weight`, shape: [o.headDim], fill: around1 });
      t.push({ name: `${p}self_attn.k_norm.weight`, shape: [o.headDim], fill: around1 });
    }
    t.push({ name: `${p}self_attn.o_proj.weight`, shape: [o.hidden, qd], fill: lin(qd), fillBits: linBits(qd) });
    t.push({ name: `${p}post_attention_layernorm.weight`, shape: [o.hidden], fill: around1 });
    t.push({ name: `${p}mlp.gate_proj.weight`, shape: [o.ffn, o.hidden], fill: lin(o.hidden), fillBits: linBits(o.hidden) });
    t.push({ name: `${p}mlp.up_proj.weight`, shape: [o.ffn, o.hidden], fill: lin(o.hidden), fillBits: linBits(o.hidden) });
    t.push({ name: `${p}mlp.down_proj.weight`, shape: [o.hidden, o.ffn], fill: lin(o.ffn), fillBits: linBits(o.ffn) });
  }
  t.push({ name: "model.norm.weight", shape: [o.hidden], fill: around1 });
  if (!o.tied) t.push({ name: "lm_head.weight", shape: [o.vocab, o.hidden], fill: lin(o.hidden), fillBits: linBits(o.hidden) });
  writeSafetensors(join(dir, "model.safetensors"), o.dtype, t);
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, "generation_config.json"), `${JSON.stringify({ eos_token_id: TINY_EOS }, null, 2)}\n`);
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson()));
  const added: Record<string, object> = {};
  TINY_SPECIALS.forEach((content, i) => {
    added[String(256 + i)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  });
  const tokConfig = {
    added_tokens_decoder: added,
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    chat_template: o.think ? TINY_THINK_CHAT_TEMPLATE : TINY_CHAT_TEMPLATE,
    model_max_length: o.maxPositions,
    tokenizer_class: "Qwen2Tokenizer",
  };
  writeFileSync(join(dir, "tokenizer_config.json"), `${JSON.stringify(tokConfig, null, 2)}\n`);
  return { dir, config };
}
