// Native loader: the C header compiles as C, malformed checkpoints fail with their one-line reason, the header parser survives fuzzing (also under ASan).
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NativeModel, nativeStatus } from "../../native/ts/native.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";

const status = nativeStatus();
const nativeDir = new URL("../../native/", import.meta.url).pathname;
const buildDir = join(nativeDir, "build");
const root = mkdtempSync(join(tmpdir(), "openrs-loader-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base = join(root, "base");
writeTinyModel(base, { arch: "qwen2", dtype: "BF16", seed: 9 });

interface Header {
  [name: string]: { dtype: string; shape: number[]; data_offsets: [number, number] };
}

function readCkpt(dir: string): { header: Header; data: Buffer } {
  const buf = readFileSync(join(dir, "model.safetensors"));
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString()), data: buf.subarray(8 + n) };
}

function safetensorsBytes(header: object, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

let k = 0;
/** A copy of the base checkpoint with one thing broken. */
function variant(edit: (dir: string) => void): string {
  const dir = join(root, `v${k++}`);
  cpSync(base, dir, { recursive: true });
  edit(dir);
  return dir;
}
const editHeader = (f: (h: Header, data: Buffer) => Buffer | undefined) => (dir: string) => {
  const { header, data } = readCkpt(dir);
  const d = f(header, data) ?? data;
  writeFileSync(join(dir, "model.safetensors"), safetensorsBytes(header, d));
};
const editConfig = (f: (c: Record<string, unknown>) => void) => (dir: string) => {
  const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  f(c);
  writeFileSync(join(dir, "config.json"), JSON.stringify(c));
};
const Q = "model.layers.0.self_attn.q_proj.weight";
const K = "model.layers.0.self_attn.k_proj.weight";

const CASES: { why: string; edit: (dir: string) => void; err: RegExp }[] = [
  {
    why: "header length runs past the end of the file",
    edit: (dir) => {
      const p = join(dir, "model.safetensors");
      const b = readFileSync(p);
      b.writeBigUInt64LE(BigInt(b.length));
      writeFileSync(p, b);
    },
    err: /header length \d+ runs past end of file \(\d+ bytes\)/,
  },
  {
    why: "file shorter than the 8-byte length prefix",
    edit: (dir) => writeFileSync(join(dir, "model.safetensors"), Buffer.from([1, 2, 3])),
    err: /file too short for a safetensors header \(3 bytes\)/,
  },
  {
    why: "tensor data truncated away",
    edit: editHeader((_h, data) => data.subarray(0, data.length - 64)),
    err: /data_offsets \[\d+, \d+\] out of range \(data section is \d+ bytes\)/,
  },
  {
    why: "two tensors overlap",
    edit: editHeader((h) => {
      const [b] = h[Q].data_offsets;
      const len = h[K].data_offsets[1] - h[K].data_offsets[0];
      h[K].data_offsets = [b, b + len];
      return undefined;
    }),
    err: /overlap in the data section/,
  },
  {
    why: "begin after end",
    edit: editHeader((h) => {
      h[Q].data_offsets = [h[Q].data_offsets[1], h[Q].data_offsets[0]];
      return undefined;
    }),
    err: /out of range/,
  },
  {
    why: "unknown dtype string",
    edit: editHeader((h) => {
      h[Q].dtype = "Q4_K";
      return undefined;
    }),
    err: /unknown dtype 'Q4_K' for tensor model\.layers\.0\.self_attn\.q_proj\.weight \(supported: BF16, F16, F32\)/,
  },
  {
    why: "valid safetensors dtype the engine does not run",
    edit: editHeader((h) => {
      h[Q].dtype = "I16";
      return undefined;
    }),
    err: /unsupported dtype 'I16'/,
  },
  {
    why: "byte length disagrees with shape x dtype",
    edit: editHeader((h) => {
      h[Q].shape = [h[Q].shape[0], h[Q].shape[1] - 1];
      return undefined;
    }),
    err: /\d+ bytes for \d+ BF16 elements/,
  },
  {
    why: "header is not JSON",
    edit: (dir) => writeFileSync(join(dir, "model.safetensors"), safetensorsBytes({}, Buffer.alloc(0)).fill(0x7b, 8)),
    err: /bad header JSON/,
  },
  {
    why: "tensor shape does not match config",
    edit: editConfig((c) => {
      c.intermediate_size = 100;
    }),
    err: /tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[128, 64\], config\.json implies \[100, 64\]/,
  },
  {
    why: "missing tensor",
    edit: editHeader((h) => {
      delete (h as Record<string, unknown>)["lm_head.weight"];
      return undefined;
    }),
    err: /missing tensor lm_head\.weight/,
  },
  {
    why: "unsupported architecture names the supported ones",
    edit: editConfig((c) => {
      c.architectures = ["GPT2LMHeadModel"];
    }),
    err: /unsupported architecture 'GPT2LMHeadModel' \(supported: Qwen2ForCausalLM, LlamaForCausalLM, Qwen3ForCausalLM\)/,
  },
  {
    why: "an unsupported rope scaling type is refused rather than silently ignored",
    edit: editConfig((c) => {
      c.rope_scaling = { rope_type: "dynamic", factor: 4 };
    }),
    err: /rope_scaling: type 'dynamic' is not supported \(supported: linear, llama3, yarn\)/,
  },
  {
    why: "an unsupported rope scaling type is named even when it has no factor (longrope)",
    edit: editConfig((c) => {
      c.rope_scaling = { rope_type: "longrope", short_factor: [1], long_factor: [1] };
    }),
    err: /rope_scaling: type 'longrope' is not supported/,
  },
  {
    why: "a non-positive yarn attention_factor is refused",
    edit: editConfig((c) => {
      c.rope_scaling = { rope_type: "yarn", factor: 4, attention_factor: -1 };
    }),
    err: /rope_scaling: attention_factor must be > 0/,
  },
  {
    why: "a rope scaling without its parameters names the missing one",
    edit: editConfig((c) => {
      c.rope_scaling = { rope_type: "llama3", factor: 8, low_freq_factor: 1 };
    }),
    err: /config\.json rope_scaling: missing high_freq_factor/,
  },
  {
    why: "sliding-window attention is refused rather than silently ignored",
    edit: editConfig((c) => {
      c.use_sliding_window = true;
      c.sliding_window = 4096;
    }),
    err: /use_sliding_window is true; sliding-window attention is not supported/,
  },
  {
    why: "partial rotary embeddings are refused",
    edit: editConfig((c) => {
      c.partial_rotary_factor = 0.5;
    }),
    err: /partial_rotary_factor != 1 is not supported/,
  },
  { why: "config.json is broken", edit: (dir) => writeFileSync(join(dir, "config.json"), "{"), err: /config\.json: .*at byte/ },
  { why: "no weights file", edit: (dir) => rmSync(join(dir, "model.safetensors")), err: /no model\.safetensors or model\.safetensors\.index\.json/ },
];

describe.skipIf(!status.available)(`native loader${status.available ? "" : ` (skipped: ${status.reason})`}`, () => {
  it("openrs.h compiles as strict C99", () => {
    const cc = process.env.CC || "cc";
    const r = spawnSync(cc, ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", `-I${join(nativeDir, "include")}`, join(nativeDir, "tests", "c_api.c")], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("the C program built against libopenrs loads a model and generates", () => {
    const r = spawnSync(join(buildDir, "openrs_c_api"), [base], { encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toMatch(/arch=Qwen2ForCausalLM vocab=259 generated=4 finish=2/);
    expect(r.stdout).toMatch(/continuous batching: 4 tokens, same as generate/);
    expect(r.status).toBe(0);
  });

  it.each(["f32", "bf16"])("the C engine smoke program drives every entry point (generate, score = logprobs, cancel, continuous batching, errors), %s KV", (kv) => {
    const r = spawnSync(join(buildDir, "openrs_engine_smoke"), [base, kv], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`engine smoke ok \\(Qwen2ForCausalLM, ${kv} KV\\)`));
    expect(r.stdout).toMatch(/continuous batching: \d+ events over \d+ steps/);
    expect(r.status).toBe(0);
  });

  it("the unmodified checkpoint loads", async () => {
    using m = await NativeModel.load(base, { threads: 1 });
    expect(m.info).toMatchObject({ arch: "Qwen2ForCausalLM", vocab: 259, hidden: 64, layers: 2, heads: 4, kvHeads: 2, dtype: "bf16" });
  });

  it("device 'cuda' fails with the reason when there is no CUDA engine or device; 'auto' falls back to the CPU", async () => {
    using auto = await NativeModel.load(base, { threads: 1, device: "auto" });
    if (auto.info.device === "cuda") return; // a CUDA build on a GPU machine: nothing to fall back from
    await expect(NativeModel.load(base, { threads: 1, device: "cuda" })).rejects.toThrow(/CUDA required but unavailable: .+/);
    expect(auto.info.device).toBe("cpu");
  });

  it.each(CASES)("$why", async ({ edit, err }) => {
    const dir = variant(edit);
    await expect(NativeModel.load(dir, { threads: 1 })).rejects.toThrow(err);
  });

  it("a sharded checkpoint (index.json + 2 shards) loads and gives the same logits", async () => {
    const { header, data } = readCkpt(base);
    const dir = join(root, "sharded");
    mkdirSync(dir);
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(base, f), join(dir, f));
    const names = Object.keys(header).filter((n) => n !== "__metadata__");
    const weightMap: Record<string, string> = {};
    [names.slice(0, 7), names.slice(7)].forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      const h: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      let off = 0;
      for (const n of part) {
        const [b, e] = header[n].data_offsets;
        h[n] = { ...header[n], data_offsets: [off, off + e - b] };
        chunks.push(data.subarray(b, e));
        off += e - b;
        weightMap[n] = file;
      }
      writeFileSync(join(dir, file), safetensorsBytes(h, Buffer.concat(chunks)));
    });
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    using a = await NativeModel.load(base, { threads: 1 });
    using b = await NativeModel.load(dir, { threads: 1 });
    using sa = a.session();
    using sb = b.session();
    expect([...(await sb.logits([1, 2, 3]))]).toEqual([...(await sa.logits([1, 2, 3]))]);
  });

  it.each([
    { bin: "openrs_fuzz_header", why: "plain build" },
    { bin: "openrs_fuzz_header_asan", why: "AddressSanitizer + UBSan build" },
  ])("header fuzz, 5000 mutated/truncated headers, in a child process ($why)", ({ bin }) => {
    const exe = join(buildDir, bin);
    if (!existsSync(exe)) {
      console.warn(`${bin} not built (toolchain lacks -fsanitize=address?); skipping`);
      return;
    }
    const r = spawnSync(exe, ["5000"], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.signal).toBeNull(); // a crash is reported here, not fatal to the suite
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/fuzz: 5000 cases, \d+ accepted, \d+ rejected with a message/);
  });
});
