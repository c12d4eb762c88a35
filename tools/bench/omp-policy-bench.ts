// omp-policy-bench.ts: decode and training-step wall time of a tiny model under each OpenMP wait policy, alone and
// next to a competing 2-process CPU load (`yes > /dev/null` x 2), in alternating child processes (libgomp reads
// OMP_WAIT_POLICY once, when the library loads). Usage: npx tsx tools/bench/omp-policy-bench.ts [--rounds 2]
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TINY = { arch: "qwen2" as const, hidden: 256, layers: 4, heads: 4, kvHeads: 2, ffn: 768, vocab: 259, maxPositions: 512, seed: 1 };

async function child(dir: string, threads: number): Promise<void> {
  const { NativeModel } = await import("../../native/ts/native.js");
  const { NativeTrainer, pack } = await import("../../native/ts/train.js");
  const m = await NativeModel.load(dir, { threads, device: "cpu" });
  const s = m.session();
  let t0 = performance.now();
  for (let i = 0; i < 48; i++) await s.generate({ prompts: [[256, 1 + i, 2]], nSamples: 1, params: { temperature: 0, maxNewTokens: 150 } });
  const decode = (performance.now() - t0) / 1000;
  s.close();
  m.close();
  const tr = await NativeTrainer.load(dir, { threads });
  const seqs = Array.from({ length: 8 }, (_, i) => ({ tokens: Array.from({ length: 64 }, (_, j) => (i * 31 + j * 7) % 256), promptLen: 8 }));
  const p = pack(seqs);
  const w = new Float32Array(p.offsets[p.offsets.length - 1]).fill(-1 / 448);
  t0 = performance.now();
  for (let k = 0; k < 10; k++) {
    await tr.backward(p, w);
    await tr.adamw({ lr: 1e-4 });
  }
  const train = (performance.now() - t0) / 1000;
  tr.close();
  console.log(JSON.stringify({ decode, train }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1], Number(args[2]));
  const rounds = Number(args[args.indexOf("--rounds") + 1] || 2);
  const { writeTinyModel } = await import("../../native/ts/tiny-model.js");
  const dir = mkdtempSync(join(tmpdir(), "openrs-omp-"));
  writeTinyModel(dir, TINY);
  const self = fileURLToPath(import.meta.url);
  const configs = [
    { name: "1 thread", threads: 1, policy: "passive" },
    { name: "2 threads, OMP_WAIT_POLICY=active (spin)", threads: 2, policy: "active" },
    { name: "2 threads, passive (library default)", threads: 2, policy: "passive" },
  ];
  const results = new Map<string, { decode: number[]; train: number[] }>();
  for (const load of [false, true]) {
    let hogs: ChildProcess[] = [];
    if (load) hogs = [0, 1].map(() => spawn("sh", ["-c", "exec yes > /dev/null"], { stdio: "ignore" }));
    try {
      for (let r = 0; r < rounds; r++)
        for (const c of configs) {
          const out = spawnSync(process.execPath, ["--import", "tsx", self, "--child", dir, String(c.threads)], {
            encoding: "utf8",
            env: { ...process.env, OMP_WAIT_POLICY: c.policy },
            timeout: 600_000,
          });
          if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
          const v = JSON.parse(out.stdout.trim().split("\n").pop() as string) as { decode: number; train: number };
          const key = `${load ? "with 2 competing yes" : "no extra load"} | ${c.name}`;
          const e = results.get(key) ?? { decode: [], train: [] };
          e.decode.push(v.decode);
          e.train.push(v.train);
          results.set(key, e);
        }
    } finally {
      for (const h of hogs) h.kill("SIGKILL");
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const rng = (a: number[]) => `${Math.min(...a).toFixed(2)}-${Math.max(...a).toFixed(2)} s`;
  console.log("| load | threads / policy | decode 48 x 150 tokens (batch 1) | 10 train steps (8 x 64 tokens) |\n|---|---|---|---|");
  for (const [k, v] of results) console.log(`| ${k.replace(" | ", " | ")} | ${rng(v.decode)} | ${rng(v.train)} |`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
