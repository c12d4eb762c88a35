// bench.ts: native engine throughput (prefill, decode at several batch sizes) on random models of realistic shape, beside the machine's bandwidth and FMA ceilings.
// Decode follows llama-batched-bench: B sequences of one 128-token prompt (shared prefill), 64 decode steps timed,
// each figure the median of --reps repetitions with its range; kernel path, thread policy, probes and load average
// are printed in the same run (and written with --json).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Table from "cli-table3";
import { ContinuousBatcher } from "../../native/ts/batcher.js";
import { type KernelPath, kernelPaths, NativeModel, probeMachine, setKernels, threadsPolicy } from "../../native/ts/native.js";
import { type TinyModelOptions, writeTinyModel } from "../../native/ts/tiny-model.js";

export const SHAPES: Record<string, { label: string; o: TinyModelOptions }> = {
  A: {
    label: "A: R1-Distill-Qwen-1.5B shape",
    o: { arch: "qwen2", dtype: "BF16", hidden: 1536, layers: 28, heads: 12, kvHeads: 2, ffn: 8960, vocab: 151936, tied: false, fastRandom: true, maxPositions: 4096 },
  },
  B: {
    label: "B: Qwen2.5-0.5B shape",
    o: { arch: "qwen2", dtype: "BF16", hidden: 896, layers: 24, heads: 14, kvHeads: 2, ffn: 4864, vocab: 151936, tied: true, fastRandom: true, maxPositions: 4096 },
  },
};

/** Bytes of weights one decode step streams: every layer matrix plus the output head. */
function stepBytes(o: TinyModelOptions): number {
  const h = o.hidden ?? 0;
  const hd = h / (o.heads ?? 1);
  const kvd = (o.kvHeads ?? 1) * hd;
  const perLayer = h * h * 2 + h * kvd * 2 + 3 * h * (o.ffn ?? 0);
  const es = o.dtype === "F32" ? 4 : 2;
  return (perLayer * (o.layers ?? 0) + h * (o.vocab ?? 0)) * es;
}

function layerParams(o: TinyModelOptions): number {
  const h = o.hidden ?? 0;
  const kvd = (o.kvHeads ?? 1) * (h / (o.heads ?? 1));
  return (h * h * 2 + h * kvd * 2 + 3 * h * (o.ffn ?? 0)) * (o.layers ?? 0);
}

/** Writes the model once per shape into the temp dir and reuses it. */
export function ensureModel(name: string, o: TinyModelOptions): string {
  const dir = join(tmpdir(), `openrs-bench-${name}-${o.dtype}`);
  const cfg = join(dir, "config.json");
  if (existsSync(cfg) && JSON.parse(readFileSync(cfg, "utf8")).hidden_size === o.hidden && existsSync(join(dir, "tokenizer_config.json"))) return dir;
  const t0 = performance.now();
  process.stderr.write(`bench: writing random ${name} model to ${dir} ...`);
  writeTinyModel(dir, { seed: 1, ...o });
  process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return dir;
}

export interface BenchOptions {
  shapes: string[];
  threads: number;
  prefillTokens: number;
  batches: number[];
  decodeSteps: number;
  /** Also time this batch size with temperature/top_p sampling (0 = skip). */
  sampledBatch: number;
  /** Also time decode of 8 sequences at this context length (attention over a long KV cache; 0 = skip). */
  context: number;
  /** Also time this many concurrent single-sample requests through the continuous batcher vs a session each (0 = skip). */
  concurrent: number;
  /** Decode prompt length (llama-batched-bench's PP) and repetitions per figure. */
  decodePrompt: number;
  reps: number;
  /** Force a kernel path (default: the engine's choice). */
  kernels?: KernelPath;
  dtype: "BF16" | "F16";
  /** Matmul inputs: f32 (exact, the engine's default) or bf16 (rounded; bf16 dot products on AVX512-BF16). */
  activations?: "f32" | "bf16";
  json?: string;
}

/** Median and range of repeated measurements. */
function stats(xs: number[]): { median: number; min: number; max: number; text: string } {
  const v = [...xs].sort((a, b) => a - b);
  const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  const text = v.length > 1 ? `${median.toFixed(1)} (${v[0].toFixed(1)}-${v[v.length - 1].toFixed(1)})` : median.toFixed(1);
  return { median, min: v[0], max: v[v.length - 1], text };
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");

export async function runBench(opt: BenchOptions): Promise<void> {
  if (opt.kernels) setKernels(opt.kernels);
  const probe = probeMachine(opt.threads);
  const paths = kernelPaths();
  const header = {
    cpu: cpus()[0]?.model ?? "?",
    threads: opt.threads,
    kernels: probe.simd,
    activations: opt.activations ?? "f32",
    cpuCanRun: paths.runnable,
    threadPolicy: threadsPolicy(),
    readGBps: probe.readGBps,
    fmaGflops: probe.fmaGflops,
    loadAtStart: load(),
  };
  console.log(
    `machine: ${header.cpu}, ${opt.threads} threads, kernels ${probe.simd}, ${header.activations} activations (CPU runs ${paths.runnable.join(", ")}), ${header.threadPolicy}, ` +
      `read bandwidth ${probe.readGBps.toFixed(1)} GB/s, f32 FMA peak ${probe.fmaGflops.toFixed(0)} GFLOP/s, load average ${header.loadAtStart}`,
  );
  const rows: { model: string; phase: string; tokS: number[] }[] = [];
  const table = new Table({ head: ["model", "phase", "tokens/s median (range)", "effective", "of ceiling"], style: { head: [], border: [] } });
  for (const name of opt.shapes) {
    const { label: base, o: shapeO } = SHAPES[name];
    const o = { ...shapeO, dtype: opt.dtype };
    const label = `${base}, ${opt.dtype}`;
    const dir = ensureModel(name, o);
    using model = await NativeModel.load(dir, { threads: opt.threads, activations: opt.activations });
    using s = model.session();
    const prompt = Array.from({ length: Math.max(opt.prefillTokens, opt.decodePrompt) }, (_, i) => (i * 7919) % 150000);
    await s.logits(prompt.slice(0, 8)); // page the weights in
    const pfs: number[] = [];
    for (let r = 0; r < opt.reps; r++) {
      const t0 = performance.now();
      await s.logits(prompt.slice(0, opt.prefillTokens), 1);
      pfs.push(opt.prefillTokens / ((performance.now() - t0) / 1000));
    }
    const pf = stats(pfs);
    const gflops = (pf.median * 2 * layerParams(o)) / 1e9;
    rows.push({ model: label, phase: `prefill ${opt.prefillTokens}`, tokS: pfs });
    // bf16 dot products (bf16 activations and weights on an avx512bf16 path) do two f32 FMAs' multiply-adds per
    // instruction at the same rate (measured on Zen 5), so their ceiling is twice the f32 FMA probe.
    const dot = opt.activations === "bf16" && probe.simd === "avx512bf16" && opt.dtype === "BF16";
    const ceiling = dot ? 2 * probe.fmaGflops : probe.fmaGflops;
    table.push([label, `prefill ${opt.prefillTokens}`, pf.text, `${gflops.toFixed(0)} GFLOP/s`, `${((100 * gflops) / ceiling).toFixed(0)} % ${dot ? "bf16 dot (2x FMA)" : "FMA"}`]);
    process.stderr.write(`bench: ${name} prefill ${pf.text} tok/s\n`);
    const pp = prompt.slice(0, opt.decodePrompt);
    const runs: { b: number; sampled: boolean }[] = opt.batches.map((b) => ({ b, sampled: false }));
    if (opt.sampledBatch > 0) runs.push({ b: opt.sampledBatch, sampled: true });
    for (const { b, sampled } of runs) {
      // Sampled rows use the evaluation settings (temperature 0.6, top_p 0.95) to show the sampler's share.
      const base = sampled ? { temperature: 0.6, topP: 0.95, seed: 1 } : { temperature: 0, seed: 1 };
      // Time only the decode steps: from the moment every sequence has its first token (prefill done) to the last token.
      const steps = opt.decodeSteps;
      const per: number[] = [];
      for (let r = 0; r < opt.reps; r++) {
        let emitted = 0;
        let tFirst = 0;
        let tLast = 0;
        await s.generate({
          prompts: [pp],
          nSamples: b,
          params: { ...base, maxNewTokens: 1 + steps },
          onToken: () => {
            emitted++;
            if (emitted === b) tFirst = performance.now();
            tLast = performance.now();
            return false;
          },
        });
        per.push((b * steps) / Math.max(1e-9, (tLast - tFirst) / 1000));
      }
      const st = stats(per);
      const gbs = (stepBytes(o) * (st.median / b)) / 1e9;
      const phase = `decode batch ${b}${sampled ? " (T=0.6, top_p=0.95)" : ""}, ${steps} steps after ${opt.decodePrompt}`;
      rows.push({ model: label, phase, tokS: per });
      table.push([label, phase, st.text, `${gbs.toFixed(1)} GB/s weights`, `${((100 * gbs) / probe.readGBps).toFixed(0)} % read BW`]);
      process.stderr.write(`bench: ${name} decode batch ${b}${sampled ? " sampled" : ""}: ${st.text} tok/s\n`);
    }
    if (opt.context > 0) {
      // Long-context decode: 8 samples of one prompt of `context` tokens, where attention reads every cached row.
      const long = Array.from({ length: opt.context }, (_, i) => (i * 7919 + 13) % 150000);
      await s.start(long, Array.from({ length: 8 }, (_, i) => ({ temperature: 0, seed: i, maxNewTokens: opt.decodeSteps + 2 })));
      await s.step();
      const t0 = performance.now();
      let n = 0;
      for (let i = 0; i < opt.decodeSteps; i++) n += (await s.step()).length;
      const tokS = n / ((performance.now() - t0) / 1000);
      while (s.running > 0) await s.step();
      rows.push({ model: label, phase: `decode batch 8 at context ${opt.context}`, tokS: [tokS] });
      table.push([label, `decode batch 8 at context ${opt.context}`, tokS.toFixed(1), "", ""]);
      process.stderr.write(`bench: ${name} decode batch 8 at context ${opt.context}: ${tokS.toFixed(1)} tok/s\n`);
    }
    if (opt.concurrent > 0) {
      // What an eval sees: R concurrent requests (one sample each, 16-token prompts, staggered lengths), end to end
      // including prefill, through one continuously batched session vs one session per request (the old backend).
      const R = opt.concurrent;
      const short = prompt.slice(0, 16);
      const reqs = Array.from({ length: R }, (_, i) => ({ prompt: short.map((t) => (t + i) % 150000), n: opt.decodeSteps * 2 + (i % 4) * opt.decodeSteps }));
      const total = reqs.reduce((a, r) => a + r.n, 0);
      const params = (i: number, n: number) => [{ temperature: 0.6, topP: 0.95, seed: i, maxNewTokens: n }];
      let t0 = performance.now();
      const batcher = new ContinuousBatcher(s, { maxSequences: R });
      await Promise.all(reqs.map((r, i) => batcher.submit({ prompt: r.prompt, params: params(i, r.n) })));
      await batcher.close();
      const batched = total / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      await Promise.all(
        reqs.map(async (r, i) => {
          using own = model.session();
          await own.generate({ prompts: [r.prompt], nSamples: 1, params: params(i, r.n) });
        }),
      );
      const each = total / ((performance.now() - t0) / 1000);
      table.push([label, `${R} requests, continuous batching`, batched.toFixed(1), `${total} tokens`, `${(batched / each).toFixed(1)}x session each`]);
      table.push([label, `${R} requests, a session each`, each.toFixed(1), `${total} tokens`, ""]);
      process.stderr.write(`bench: ${name} ${R} concurrent requests: batched ${batched.toFixed(1)} tok/s, a session each ${each.toFixed(1)} tok/s\n`);
    }
  }
  const end = probeMachine(opt.threads);
  console.log(table.toString());
  console.log(
    `probes again at the end: read bandwidth ${end.readGBps.toFixed(1)} GB/s, f32 FMA peak ${end.fmaGflops.toFixed(0)} GFLOP/s; load average ${load()}`,
  );
  if (opt.json)
    writeFileSync(opt.json, `${JSON.stringify({ ...header, loadAtEnd: load(), readGBpsEnd: end.readGBps, fmaGflopsEnd: end.fmaGflops, rows }, null, 2)}\n`);
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("bench.ts")) {
  const shapes = arg("shape", "B,A").split(",");
  for (const s of shapes) if (!SHAPES[s]) throw new Error(`unknown --shape ${s} (A or B)`);
  const dtype = arg("dtype", "BF16");
  if (dtype !== "BF16" && dtype !== "F16") throw new Error(`--dtype ${dtype}: want BF16 or F16`);
  const activations = arg("activations", "f32");
  if (activations !== "f32" && activations !== "bf16") throw new Error(`--activations ${activations}: want f32 or bf16`);
  const reps = Number(arg("reps", "3"));
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps ${arg("reps", "")}: want a positive integer`);
  await runBench({
    shapes,
    threads: Number(arg("threads", "2")),
    prefillTokens: Number(arg("prefill", "512")),
    batches: arg("batches", "1,8,32").split(",").map(Number),
    decodeSteps: Number(arg("steps", "64")),
    decodePrompt: Number(arg("decode-prompt", "128")),
    reps,
    kernels: (process.argv.includes("--kernels") ? arg("kernels", "") : undefined) as KernelPath | undefined,
    dtype,
    activations,
    json: process.argv.includes("--json") ? arg("json", "") : undefined,
    sampledBatch: Number(arg("sampled", "32")),
    concurrent: Number(arg("concurrent", "0")),
    context: Number(arg("context", "0")),
  });
}
