// train-bench.ts: native training throughput (forward + backward + AdamW per step) beside the machine's FMA probe
// and a PyTorch CPU peer on the same shapes and batch (tools/bench/train-torch-peer.py; skipped with a note when
// /usr/bin/python3 has no torch). Engine and peer alternate, so both see the same machine load.
// Usage: npx tsx tools/bench/train-bench.ts [--shape tiny,B] [--threads 2] [--rounds 2] [--recompute]
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { probeMachine } from "../../native/ts/native.js";
import { type TinyModelOptions, writeTinyModel } from "../../native/ts/tiny-model.js";
import { NativeTrainer, pack } from "../../native/ts/train.js";

interface Shape {
  label: string;
  o: TinyModelOptions;
  seqs: number;
  seqLen: number;
  steps: number;
}
const SHAPES: Record<string, Shape> = {
  tiny: {
    label: "tiny (256 x 4 layers, 4/2 heads, FFN 768, 259 vocab)",
    o: { arch: "qwen2", dtype: "F32", hidden: 256, layers: 4, heads: 4, kvHeads: 2, ffn: 768, vocab: 259, tied: true, maxPositions: 512 },
    seqs: 4,
    seqLen: 513, // 4 x 512 = 2048 tokens run per step
    steps: 3,
  },
  B: {
    label: "Qwen2.5-0.5B shape",
    o: { arch: "qwen2", dtype: "BF16", hidden: 896, layers: 24, heads: 14, kvHeads: 2, ffn: 4864, vocab: 151936, tied: true, fastRandom: true, maxPositions: 4096 },
    seqs: 1,
    seqLen: 513,
    steps: 1,
  },
};

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

function ensureModel(name: string, o: TinyModelOptions): string {
  const dir = join(tmpdir(), `openrs-trainbench-${name}`);
  const cfg = join(dir, "config.json");
  if (existsSync(cfg) && JSON.parse(readFileSync(cfg, "utf8")).hidden_size === o.hidden && existsSync(join(dir, "tokenizer_config.json"))) return dir;
  writeTinyModel(dir, { seed: 1, ...o });
  return dir;
}

/** 6 x params x tokens for the matmuls (forward 2, backward 4) plus causal attention (QK^T and PV, x3 for backward). */
function flops(params: number, o: TinyModelOptions, seqs: number, rows: number): number {
  const hd = (o.hidden ?? 0) / (o.heads ?? 1);
  const attn = seqs * (o.layers ?? 0) * (o.heads ?? 0) * hd * 2 * 2 * ((rows * (rows + 1)) / 2) * 3;
  return 6 * params * seqs * rows + attn;
}

async function native(s: Shape, dir: string, threads: number, recompute: boolean): Promise<{ secs: number[]; params: number }> {
  const tr = await NativeTrainer.load(dir, { threads, recompute });
  try {
    const seqs = Array.from({ length: s.seqs }, (_, i) => ({ tokens: Array.from({ length: s.seqLen }, (_, j) => (i * 131 + j * 17) % 256), promptLen: 16 }));
    const p = pack(seqs);
    const n = p.offsets[p.offsets.length - 1];
    const w = new Float32Array(n).fill(-1 / n);
    const secs: number[] = [];
    for (let k = 0; k < s.steps; k++) {
      const t0 = performance.now();
      await tr.backward(p, w);
      await tr.adamw({ lr: 1e-5, maxGradNorm: 1 });
      secs.push((performance.now() - t0) / 1000);
    }
    return { secs, params: tr.info.params };
  } finally {
    tr.close();
  }
}

function torchPeer(s: Shape, threads: number): { secs: number[]; version: string } | string {
  const script = join(dirname(fileURLToPath(import.meta.url)), "train-torch-peer.py");
  const o = s.o;
  const spec = { hidden: o.hidden, layers: o.layers, heads: o.heads, kvHeads: o.kvHeads, ffn: o.ffn, vocab: o.vocab, tied: o.tied, seqs: s.seqs, seq_len: s.seqLen, prompt: 16, steps: s.steps, threads };
  // The peer's OpenMP threads wait passively, like the engine's pool after its short spin: torch's spinning threads
  // are several times slower on a shared machine, and the comparison is of kernels, not of wait policies.
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? "passive" };
  const r = spawnSync("/usr/bin/python3", [script, JSON.stringify(spec)], { encoding: "utf8", timeout: 1_800_000, env });
  if (r.error) return `PyTorch peer skipped: ${r.error.message}`;
  if (r.status !== 0) return /No module named 'torch'/.test(r.stderr) ? "PyTorch peer skipped: /usr/bin/python3 has no torch (apt-get install python3-torch)" : `PyTorch peer failed: ${r.stderr.trim().split("\n").pop()}`;
  const j = JSON.parse(r.stdout.trim().split("\n").pop() as string) as { steps: number[]; torch: string };
  return { secs: j.steps, version: j.torch };
}

async function main(): Promise<void> {
  const threads = Number(arg("threads", "2"));
  const rounds = Number(arg("rounds", "2"));
  const recompute = process.argv.includes("--recompute");
  const shapes = arg("shape", "tiny,B").split(",");
  for (const n of shapes) if (!SHAPES[n]) throw new Error(`unknown --shape ${n} (tiny or B)`);
  // The probe swings with the host's load: it runs before every native round and the best value is the yardstick
  // (the most demanding one for the "% of FMA probe" column).
  const probes: number[] = [];
  const probe = () => {
    const p = probeMachine(threads, 64);
    probes.push(p.fmaGflops);
    return p;
  };
  console.log(`threads ${threads}, ${probe().simd}${recompute ? ", activation recompute" : ""}`);
  console.log("| shape | tokens/step | engine | step s (min-max) | tokens/s (best) | GFLOP/s (best) | % FMA probe |\n|---|---|---|---|---|---|---|");
  for (const name of shapes) {
    const s = SHAPES[name];
    const dir = ensureModel(name, s.o);
    const rows = s.seqLen - 1;
    const tokens = s.seqs * rows;
    const nat: number[] = [];
    const tor: number[] = [];
    let params = 0;
    let note = "";
    let version = "";
    for (let r = 0; r < rounds; r++) {
      probe();
      const a = await native(s, dir, threads, recompute);
      params = a.params;
      nat.push(...a.secs.slice(s.steps > 1 ? 1 : 0)); // the first of several steps warms caches and allocations
      if (note) continue;
      const t = torchPeer(s, threads);
      if (typeof t === "string") note = t;
      else {
        version = t.version;
        tor.push(...t.secs.slice(s.steps > 1 ? 1 : 0));
      }
    }
    const f = flops(params, s.o, s.seqs, rows);
    const row = (who: string, secs: number[]) => {
      const best = Math.min(...secs);
      const gf = f / best / 1e9;
      const peak = Math.max(...probes);
      console.log(`| ${s.label} | ${tokens} | ${who} | ${best.toFixed(2)}-${Math.max(...secs).toFixed(2)} | ${(tokens / best).toFixed(0)} | ${gf.toFixed(1)} | ${((100 * gf) / peak).toFixed(0)} % |`);
    };
    row("openrs", nat);
    if (tor.length) {
      row(`PyTorch ${version}`, tor);
      console.log(`|  |  | ratio (best/best) | openrs ${(Math.min(...tor) / Math.min(...nat)).toFixed(2)}x PyTorch |  |  |  |`);
    } else console.log(`|  |  | ${note} |  |  |  |  |`);
  }
  probe();
  console.log(`FMA probe (GFLOP/s) before each native round and at the end: ${probes.map((p) => p.toFixed(0)).join(", ")}; % columns use the best`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
