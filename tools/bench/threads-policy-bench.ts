// threads-policy-bench.ts: decode and training-step wall time of a tiny model under the thread pool's wait policies
// (OPENRS_SPIN_US: how long an idle worker spins before it sleeps), alone and next to a competing 2-process CPU load
// (`yes > /dev/null` x 2), in alternating child processes (the pool reads the variable once). Prints each figure and
// the loaded / alone ratio (the target: at most 1.5x for decode).
// Usage: npx tsx tools/bench/threads-policy-bench.ts [--rounds 2]
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
  const dir = mkdtempSync(join(tmpdir(), "openrs-threads-"));
  writeTinyModel(dir, TINY);
  const self = fileURLToPath(import.meta.url);
  const configs = [
    { name: "1 thread", threads: 1, spinUs: "50" },
    { name: "2 threads, sleep at once (OPENRS_SPIN_US=0)", threads: 2, spinUs: "0" },
    { name: "2 threads, spin 50 us then sleep (default)", threads: 2, spinUs: "50" },
    { name: "2 threads, spin 2000 us then sleep", threads: 2, spinUs: "2000" },
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
            env: { ...process.env, OPENRS_SPIN_US: c.spinUs },
            timeout: 600_000,
          });
          if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
          const v = JSON.parse(out.stdout.trim().split("\n").pop() as string) as { decode: number; train: number };
          const key = `${load ? "with 2 competing yes" : "no extra load"} | ${c.name}`;
          process.stderr.write(`${key}: decode ${v.decode.toFixed(2)} s, train ${v.train.toFixed(2)} s\n`);
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
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
  console.log("| load | threads / policy | decode 48 x 150 tokens (batch 1) | 10 train steps (8 x 64 tokens) | loaded / alone (median) |\n|---|---|---|---|---|");
  for (const [k, v] of results) {
    const alone = results.get(k.replace("with 2 competing yes", "no extra load"));
    const ratio = k.startsWith("with") && alone ? `decode ${(med(v.decode) / med(alone.decode)).toFixed(2)}x, train ${(med(v.train) / med(alone.train)).toFixed(2)}x` : "";
    console.log(`| ${k} | ${rng(v.decode)} | ${rng(v.train)} | ${ratio} |`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
