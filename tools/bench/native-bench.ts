// bench.ts: native engine throughput (prefill, decode at several batch sizes) on random models of realistic shape, beside the machine's bandwidth and FMA ceilings.
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Table from "cli-table3";
import { ContinuousBatcher } from "../../native/ts/batcher.js";
import { NativeModel, probeMachine } from "../../native/ts/native.js";
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
function ensureModel(name: string, o: TinyModelOptions): string {
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
}

export async function runBench(opt: BenchOptions): Promise<void> {
  const probe = probeMachine(opt.threads);
  console.log(
    `machine: ${opt.threads} threads, kernels ${probe.simd}, read bandwidth ${probe.readGBps.toFixed(1)} GB/s, f32 FMA peak ${probe.fmaGflops.toFixed(0)} GFLOP/s`,
  );
  const table = new Table({ head: ["model", "phase", "tokens/s", "effective", "of ceiling"], style: { head: [], border: [] } });
  for (const name of opt.shapes) {
    const { label, o } = SHAPES[name];
    const dir = ensureModel(name, o);
    using model = await NativeModel.load(dir, { threads: opt.threads });
    using s = model.session();
    const prompt = Array.from({ length: opt.prefillTokens }, (_, i) => (i * 7919) % 150000);
    await s.logits(prompt.slice(0, 8)); // page the weights in
    const t0 = performance.now();
    await s.logits(prompt, 1);
    const pf = (performance.now() - t0) / 1000;
    const pfTok = opt.prefillTokens / pf;
    const gflops = (pfTok * 2 * layerParams(o)) / 1e9;
    table.push([label, `prefill ${opt.prefillTokens}`, pfTok.toFixed(1), `${gflops.toFixed(0)} GFLOP/s`, `${((100 * gflops) / probe.fmaGflops).toFixed(0)} % FMA`]);
    process.stderr.write(`bench: ${name} prefill ${pfTok.toFixed(1)} tok/s\n`);
    const short = prompt.slice(0, 16);
    const runs: { b: number; sampled: boolean }[] = opt.batches.map((b) => ({ b, sampled: false }));
    if (opt.sampledBatch > 0) runs.push({ b: opt.sampledBatch, sampled: true });
    for (const { b, sampled } of runs) {
      // Sampled rows use the evaluation settings (temperature 0.6, top_p 0.95) to show the sampler's share.
      const base = sampled ? { temperature: 0.6, topP: 0.95, seed: 1 } : { temperature: 0, seed: 1 };
      // Time only the decode steps: from the moment every sequence has its first token (prefill done) to the last token.
      const steps = b === 1 ? opt.decodeSteps * 4 : opt.decodeSteps;
      let emitted = 0;
      let tFirst = 0;
      let tLast = 0;
      await s.generate({
        prompts: [short],
        nSamples: b,
        params: { ...base, maxNewTokens: 1 + steps },
        onToken: () => {
          emitted++;
          if (emitted === b) tFirst = performance.now();
          tLast = performance.now();
          return false;
        },
      });
      const dt = Math.max(1e-9, (tLast - tFirst) / 1000);
      const tokS = (b * steps) / dt;
      const gbs = (stepBytes(o) * steps) / dt / 1e9;
      table.push([label, `decode batch ${b}${sampled ? " (T=0.6, top_p=0.95)" : ""}`, tokS.toFixed(1), `${gbs.toFixed(1)} GB/s weights`, `${((100 * gbs) / probe.readGBps).toFixed(0)} % read BW`]);
      process.stderr.write(`bench: ${name} decode batch ${b}${sampled ? " sampled" : ""}: ${tokS.toFixed(1)} tok/s\n`);
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
      table.push([label, `decode batch 8 at context ${opt.context}`, tokS.toFixed(1), "", ""]);
      process.stderr.write(`bench: ${name} decode batch 8 at context ${opt.context}: ${tokS.toFixed(1)} tok/s\n`);
    }
    if (opt.concurrent > 0) {
      // What an eval sees: R concurrent requests (one sample each, 16-token prompts, staggered lengths), end to end
      // including prefill, through one continuously batched session vs one session per request (the old backend).
      const R = opt.concurrent;
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
  console.log(table.toString());
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("bench.ts")) {
  const shapes = arg("shape", "B,A").split(",");
  for (const s of shapes) if (!SHAPES[s]) throw new Error(`unknown --shape ${s} (A or B)`);
  await runBench({
    shapes,
    threads: Number(arg("threads", "2")),
    prefillTokens: Number(arg("prefill", "512")),
    batches: arg("batches", "1,8,32,64").split(",").map(Number),
    decodeSteps: Number(arg("steps", "4")),
    sampledBatch: Number(arg("sampled", "32")),
    concurrent: Number(arg("concurrent", "16")),
    context: Number(arg("context", "2048")),
  });
}
