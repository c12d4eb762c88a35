// Reward benchmark (`npx tsx tools/bench/reward-load-bench.ts`): in-process rewards/s of a recipe on
// realistic completions, then a load test of `openrs-eval serve-rewards` started as a child process on 127.0.0.1 —
// N concurrent clients posting batches to /score — reporting rewards/s, p50/p99 latency, errors and server RSS.
import { type ChildProcess, spawn } from "node:child_process";
import { intInRange } from "../../src/cli-common.js";
import { availableParallelism, cpus } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Table from "cli-table3";
import { Command } from "commander";
import { loadRecipe, rewardSetOf } from "../../trainer/recipe.js";
import { realisticCompletions } from "../../test/support/completions.js";

const TARGET_IN_PROCESS = 5000;
const TARGET_SERVER = 3000;
/**
 * Memory verdict: the floor of the server's JS heap (the lowest heapUsed sampled, i.e. just after a collection) in
 * the second half of the run may not exceed the first half's by more than this. RSS is reported beside it but is
 * not the verdict: V8 and the allocator keep growing their reserves for a while before RSS levels off.
 */
const HEAP_FLOOR_GROWTH_LIMIT_MB = 16;
const WARMUP_REQUESTS_PER_CLIENT = 16;

const program = new Command("reward-load-bench")
  .description("Benchmark the RL rewards in-process and through the reward server on 127.0.0.1 (bounded count and duration).")
  .option("--recipe <name|file>", "reward recipe", "openrs-exp3")
  .option("--clients <n>", "concurrent clients", intInRange("--clients", 1, 256), 16)
  .option("--batch <n>", "completions per request", intInRange("--batch", 1, 4096), 64)
  .option("--count <n>", "rewards to request in the load test (after warm-up)", intInRange("--count", 1, 10_000_000), 100_000)
  .option("--duration <s>", "stop the load test after this many seconds even if --count is not reached", intInRange("--duration", 1, 3600), 120)
  .option("--jobs <n>", "grader workers of the server (default: its own default)", intInRange("--jobs", 1, 64))
  .option("--in-process <n>", "completions scored in-process (0 skips)", intInRange("--in-process", 0, 10_000_000), 50_000)
  .option("--no-server", "skip the server load test")
  .option("--seed <n>", "seed of the realistic completions", intInRange("--seed", 0), 1)
  .option("--strict", "exit 1 when a target is missed");
program.parse();
const opts = program.opts<{
  recipe: string;
  clients: number;
  batch: number;
  count: number;
  duration: number;
  jobs?: number;
  inProcess: number;
  server: boolean;
  seed: number;
  strict?: boolean;
}>();

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const recipe = loadRecipe(opts.recipe);
const pool = realisticCompletions(4096, opts.seed);
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const quantile = (sorted: readonly number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : Number.NaN);
let missed = false;

function inProcess(): void {
  const set = rewardSetOf(recipe);
  const n = opts.inProcess;
  const B = opts.batch;
  const batches: { c: string[]; g: string[]; t: number[] }[] = [];
  for (let i = 0; i < pool.length; i += B) {
    const s = pool.slice(i, i + B);
    batches.push({ c: s.map((x) => x.completion), g: s.map((x) => x.gold), t: s.map((x) => Math.ceil(x.completion.length / 3.5)) });
  }
  for (const b of batches.slice(0, 8)) set.score(b.c, b.g, { completionTokens: b.t }); // JIT warm-up
  let done = 0;
  let k = 0;
  const t0 = performance.now();
  while (done < n) {
    const b = batches[k++ % batches.length];
    set.score(b.c, b.g, { completionTokens: b.t });
    done += b.c.length;
  }
  const s = (performance.now() - t0) / 1000;
  const rate = done / s;
  if (rate < TARGET_IN_PROCESS) missed = true;
  const avgChars = pool.reduce((a, x) => a + x.completion.length, 0) / pool.length;
  const t = new Table({ head: ["in-process (one thread)", "value", "target"] });
  t.push(
    ["recipe", `${recipe.name}: ${recipe.rewardFuncs.map((f, i) => `${f}×${recipe.rewardWeights[i]}`).join(" + ")}`, ""],
    ["completions scored", String(done), ""],
    ["mean completion length", `${avgChars.toFixed(0)} chars`, ""],
    ["rewards/s (grading included)", rate.toFixed(0), `>= ${TARGET_IN_PROCESS}`],
  );
  process.stdout.write(`${t.toString()}\n`);
}

interface Health {
  rss_bytes: number;
  heap_used_bytes: number;
  items: number;
  errors: number;
  grader: { timeouts: number; crashes: number; workers: number };
}

async function health(url: string): Promise<Health> {
  const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
  return (await r.json()) as Health;
}

function startServer(): Promise<{ url: string; child: ChildProcess; exited: Promise<number | null> }> {
  const args = [join(root, "bin", "openrs-eval.js"), "serve-rewards", "--host", "127.0.0.1", "--port", "0", "--recipe", opts.recipe];
  if (opts.jobs) args.push("--jobs", String(opts.jobs));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  let stderr = "";
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`server did not start within 20 s: ${stderr.trim()}`));
    }, 20_000);
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], child, exited });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited (code ${code}) before listening: ${stderr.trim()}`));
    });
  });
}

async function load(): Promise<void> {
  const B = opts.batch;
  const bodies: string[] = [];
  for (let i = 0; i + B <= pool.length; i += B) {
    const s = pool.slice(i, i + B);
    bodies.push(JSON.stringify({ completions: s.map((x) => x.completion), golds: s.map((x) => x.gold), completion_tokens: s.map((x) => Math.ceil(x.completion.length / 3.5)) }));
  }
  const { url, child, exited } = await startServer();
  try {
    let next = 0;
    const send = async (lat: number[] | null): Promise<boolean> => {
      const body = bodies[next++ % bodies.length];
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/score`, { method: "POST", body, headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(60_000) });
        const j = (await r.json()) as { rewards?: unknown[] };
        lat?.push(performance.now() - t0);
        return r.status === 200 && Array.isArray(j.rewards) && j.rewards.length === B;
      } catch {
        lat?.push(performance.now() - t0);
        return false;
      }
    };
    // Warm-up: start the workers and the JIT, then take the baseline RSS.
    await Promise.all(Array.from({ length: opts.clients }, async () => {
      for (let i = 0; i < WARMUP_REQUESTS_PER_CLIENT; i++) await send(null);
    }));
    const h0 = await health(url);
    const lat: number[] = [];
    let sent = 0;
    let errors = 0;
    let mid: Health | null = null;
    let peakRss = h0.rss_bytes;
    const floors = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]; // heapUsed minimum in each half
    const deadline = performance.now() + opts.duration * 1000;
    const t0 = performance.now();
    const sampler = setInterval(() => {
      health(url).then((h) => {
        peakRss = Math.max(peakRss, h.rss_bytes);
        const half = sent >= opts.count / 2 ? 1 : 0;
        floors[half] = Math.min(floors[half], h.heap_used_bytes);
        if (!mid && half === 1) mid = h;
      }, () => undefined);
    }, 250);
    let lastReport = t0;
    await Promise.all(
      Array.from({ length: opts.clients }, async () => {
        while (sent < opts.count && performance.now() < deadline) {
          sent += B;
          if (!(await send(lat))) errors++;
          const now = performance.now();
          if (now - lastReport > 2000) {
            lastReport = now;
            process.stderr.write(`\r  load: ${Math.min(sent, opts.count)}/${opts.count} rewards, ${(sent / ((now - t0) / 1000)).toFixed(0)}/s   `);
          }
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    process.stderr.write("\n");
    const h1 = await health(url);
    const midH: Health = mid ?? h1;
    const sorted = lat.sort((a, b) => a - b);
    const rate = sent / wall;
    floors[1] = Math.min(floors[1], h1.heap_used_bytes);
    if (!Number.isFinite(floors[0])) floors[0] = h0.heap_used_bytes;
    const floorGrowthMb = (floors[1] - floors[0]) / 1024 / 1024;
    if (rate < TARGET_SERVER || errors > 0 || floorGrowthMb > HEAP_FLOOR_GROWTH_LIMIT_MB) missed = true;
    const t = new Table({ head: ["server load (127.0.0.1)", "value", "target"] });
    t.push(
      ["clients × batch", `${opts.clients} × ${B}`, ""],
      ["grader workers", String(h1.grader.workers), ""],
      ["rewards requested", String(sent), ""],
      ["wall time", `${wall.toFixed(1)} s`, `<= ${opts.duration} s`],
      ["rewards/s", rate.toFixed(0), `>= ${TARGET_SERVER}`],
      ["latency p50 / p99 per request", `${quantile(sorted, 0.5).toFixed(1)} / ${quantile(sorted, 0.99).toFixed(1)} ms`, ""],
      ["errors (non-200, malformed, failed)", String(errors), "0"],
      ["grader timeouts / crashes", `${h1.grader.timeouts} / ${h1.grader.crashes}`, ""],
      ["server RSS after warm-up / midpoint / end (peak)", `${mb(h0.rss_bytes)} / ${mb(midH.rss_bytes)} / ${mb(h1.rss_bytes)} (${mb(peakRss)}) MiB`, ""],
      ["server RSS growth midpoint → end", `${mb(h1.rss_bytes - midH.rss_bytes)} MiB`, ""],
      ["server heap floor 1st half / 2nd half", `${mb(floors[0])} / ${mb(floors[1])} MiB`, ""],
      ["server heap floor growth", `${floorGrowthMb.toFixed(1)} MiB`, `<= ${HEAP_FLOOR_GROWTH_LIMIT_MB} MiB`],
    );
    process.stdout.write(`${t.toString()}\n`);
  } finally {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

process.stdout.write(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? "unknown CPU"}), node ${process.version}\n`);
if (opts.inProcess > 0) inProcess();
if (opts.server) await load();
if (opts.strict && missed) process.exitCode = 1;
