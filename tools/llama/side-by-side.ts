// side-by-side.ts: openrs vs llama.cpp on the same random weights, alternating, ratio per round.
//   LLAMA_CPP_BIN=/path/to/llama.cpp/build/bin npx tsx tools/llama/side-by-side.ts [--shape B,A] [--dtype BF16|F16]
//     [--rounds 2] [--threads 2] [--prefill 512] [--steps 64] [--prompt 128] [--batches 1,8,32] [--kernels avx512]
//     [--activations f32,bf16]
// Writes each shape once as a Hugging Face checkpoint (tools/bench/native-bench.ts's random model) and converts it
// to GGUF byte for byte (tools/llama/hf-to-gguf.ts). Each round runs our engine, then llama-bench (prefill, decode
// batch 1) and llama-batched-bench (decode at each batch after the same prompt), and prints ours / theirs. Without
// LLAMA_CPP_BIN it prints our figures and the GGUF path only. llama.cpp is never built or committed here.
// --activations runs our engine once per matmul-input precision: f32 (exact, our default) and bf16 (inputs rounded to
// bf16, as llama.cpp feeds a bf16 model's matmuls; bf16 dot products on AVX512-BF16 CPUs).
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { type KernelPath, NativeModel, probeMachine, setKernels, simdName, threadsPolicy } from "../../native/ts/native.js";
import { ensureModel, SHAPES } from "../bench/native-bench.js";
import { hfToGguf } from "./hf-to-gguf.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

type Figures = Record<string, number>; // phase -> tokens/s

async function ours(
  dir: string,
  threads: number,
  prefill: number,
  prompt: number,
  steps: number,
  batches: number[],
  activations: "f32" | "bf16",
): Promise<Figures> {
  using model = await NativeModel.load(dir, { threads, device: "cpu", activations });
  using s = model.session();
  const toks = Array.from({ length: Math.max(prefill, prompt) }, (_, i) => (i * 7919) % 150000);
  // Warm-up at full size, as llama-bench warms up: the first prefill also pays first-touch page faults on its buffers.
  await s.logits(toks.slice(0, prefill), 1);
  const f: Figures = {};
  let t0 = performance.now();
  await s.logits(toks.slice(0, prefill), 1);
  f[`prefill ${prefill}`] = prefill / ((performance.now() - t0) / 1000);
  for (const b of batches) {
    let n = 0;
    t0 = 0;
    let t1 = 0;
    await s.generate({
      prompts: [toks.slice(0, prompt)],
      nSamples: b,
      params: { temperature: 0, maxNewTokens: steps + 1 },
      onToken: () => {
        if (++n === b) t0 = performance.now();
        t1 = performance.now();
        return false;
      },
    });
    f[`decode b${b}`] = (b * steps) / ((t1 - t0) / 1000);
  }
  return f;
}

function run(bin: string, args: string[]): string {
  const r = spawnSync(join(bin, args[0]), args.slice(1), { encoding: "utf8", timeout: 1_800_000, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${args[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${args[0]} exited with ${r.status}: ${(r.stderr || "").trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout;
}

function theirs(bin: string, gguf: string, threads: number, prefill: number, prompt: number, steps: number, batches: number[]): Figures {
  const f: Figures = {};
  // llama-bench: -p N alone times prefill of N tokens, -n N alone times batch-1 decode of N tokens; JSON output.
  const lb = JSON.parse(run(bin, ["llama-bench", "-m", gguf, "-t", String(threads), "-p", String(prefill), "-n", String(steps), "-r", "1", "-o", "json"])) as {
    n_prompt: number;
    n_gen: number;
    avg_ts: number;
  }[];
  for (const r of lb) {
    if (r.n_prompt > 0 && r.n_gen === 0) f[`prefill ${prefill}`] = r.avg_ts;
    if (r.n_gen > 0 && r.n_prompt === 0 && batches.includes(1)) f["decode b1"] = r.avg_ts;
  }
  // llama-batched-bench: B sequences after a PP-token prompt each generating TG tokens; S_TG is decode tokens/s.
  const bb = batches.filter((b) => b > 1);
  if (bb.length) {
    const out = run(bin, ["llama-batched-bench", "-m", gguf, "-t", String(threads), "-c", String((prompt + steps) * Math.max(...bb) + 64), "-npp", String(prompt), "-ntg", String(steps), "-npl", bb.join(","), "-pps", "--output-format", "jsonl"]);
    for (const line of out.split("\n")) {
      if (!line.startsWith("{")) continue;
      const r = JSON.parse(line) as { pl: number; speed_tg: number };
      f[`decode b${r.pl}`] = r.speed_tg;
    }
  }
  return f;
}

const shapes = arg("shape", "B").split(",");
for (const s of shapes) if (!SHAPES[s]) throw new Error(`unknown --shape ${s} (A or B)`);
const dtype = arg("dtype", "BF16");
if (dtype !== "BF16" && dtype !== "F16") throw new Error(`--dtype ${dtype}: want BF16 or F16`);
const rounds = Number(arg("rounds", "2"));
const threads = Number(arg("threads", "2"));
const prefill = Number(arg("prefill", "512"));
const steps = Number(arg("steps", "64"));
const prompt = Number(arg("prompt", "128"));
const batches = arg("batches", "1,8,32").split(",").map(Number);
const modes = arg("activations", "f32,bf16").split(",");
for (const m of modes) if (m !== "f32" && m !== "bf16") throw new Error(`--activations ${m}: want f32 and/or bf16`);
if (process.argv.includes("--kernels")) setKernels(arg("kernels", "") as KernelPath);
const bin = process.env.LLAMA_CPP_BIN;
if (bin && !existsSync(join(bin, "llama-bench"))) throw new Error(`LLAMA_CPP_BIN=${bin}: no llama-bench there`);

const probe = probeMachine(threads);
console.log(`openrs kernels ${simdName()}, ${threadsPolicy()}; probes: read ${probe.readGBps.toFixed(1)} GB/s, f32 FMA ${probe.fmaGflops.toFixed(0)} GFLOP/s; ${threads} threads`);
for (const name of shapes) {
  const dir = ensureModel(name, { ...SHAPES[name].o, dtype });
  const gguf = join(dir, "model.gguf");
  if (!existsSync(gguf) || statSync(gguf).mtimeMs < statSync(join(dir, "model.safetensors")).mtimeMs) hfToGguf(dir, gguf);
  console.log(`${SHAPES[name].label}, ${dtype}: ${dir} (safetensors) = ${gguf} (GGUF)`);
  for (let r = 1; r <= rounds; r++) {
    const la = loadavg()[0].toFixed(2);
    const a: Record<string, Figures> = {};
    for (const m of modes) a[m] = await ours(dir, threads, prefill, prompt, steps, batches, m as "f32" | "bf16");
    const b = bin ? theirs(bin, gguf, threads, prefill, prompt, steps, batches) : {};
    for (const phase of Object.keys(a[modes[0]])) {
      const t = b[phase];
      const cols = modes.map((m) => `openrs ${m} ${a[m][phase].toFixed(1)}` + (t ? ` (ratio ${(a[m][phase] / t).toFixed(2)})` : ""));
      console.log(
        `round ${r} (load ${la}) ${name} ${phase} tok/s: ${cols.join(", ")}` +
          (t ? `, llama.cpp ${t.toFixed(1)}` : bin ? ", llama.cpp: no figure" : " (set LLAMA_CPP_BIN for llama.cpp)"),
      );
    }
  }
}
