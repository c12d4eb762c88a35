// Grading benchmark (`npx tsx tools/bench/grading-bench.ts [--n 20000] [--seed 1]`, run by `npm run bench`): throughput
// and latency of `grade` in-thread on realistic completions, GraderPool scaling from 1 to 2 workers, and the
// accuracy of the verdicts against the known expected answers, printed beside the targets and the machine.
import { availableParallelism, cpus } from "node:os";
import { intInRange, runScript } from "../../src/cli-common.js";
import Table from "cli-table3";
import { Command } from "commander";
import { grade } from "../../grading/grade.js";
import { EVAL } from "../../grading/options.js";
import { GraderPool } from "../../grading/pool.js";
import type { GradeResult } from "../../grading/result.js";
import { type RealisticCompletion, realisticCompletions } from "../../test/support/completions.js";

const TARGET_RATE = 3000;
const TARGET_P99_MS = 5;
const TARGET_SPEEDUP_2 = 1.8;

const program = new Command("bench-run")
  .description("Benchmark the grader on realistic completions built from the benchmark suites.")
  .option("--n <count>", "number of completions", intInRange("--n", 1), 20_000)
  .option("--seed <seed>", "PRNG seed for the completions", intInRange("--seed", 0), 1)
  .option("--no-pool", "skip the GraderPool measurements")
  .option("--strict", "exit 1 when a target is missed");
program.parse();
const opts = program.opts<{ n: number; seed: number; pool: boolean; strict?: boolean }>();

interface Accuracy {
  agree: number;
  falsePos: number;
  falseNeg: number;
}

function accuracy(items: readonly RealisticCompletion[], verdicts: readonly boolean[]): Accuracy {
  const a: Accuracy = { agree: 0, falsePos: 0, falseNeg: 0 };
  items.forEach((it, i) => {
    if (verdicts[i] === it.expected) a.agree++;
    else if (verdicts[i]) a.falsePos++;
    else a.falseNeg++;
  });
  return a;
}

function quantile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : Number.NaN;
}

function inThread(items: readonly RealisticCompletion[]) {
  // Warm up the JIT on a slice first so the figures reflect steady state.
  for (const it of items.slice(0, Math.min(1000, items.length))) grade(it.completion, it.gold, EVAL);
  const times = new Float64Array(items.length);
  const verdicts: boolean[] = new Array(items.length);
  const t0 = performance.now();
  for (let i = 0; i < items.length; i++) {
    const s = performance.now();
    verdicts[i] = grade(items[i].completion, items[i].gold, EVAL).correct;
    times[i] = performance.now() - s;
  }
  const wallMs = performance.now() - t0;
  const sorted = Array.from(times).sort((a, b) => a - b);
  return { rate: (items.length / wallMs) * 1000, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0, verdicts };
}

async function pooled(items: readonly RealisticCompletion[], jobs: number) {
  const pool = new GraderPool({ jobs, options: EVAL, budgetMs: EVAL.budgetMs });
  try {
    const input = items.map((it) => ({ completion: it.completion, gold: it.gold }));
    // Start and warm the workers with one full pass: each worker JIT-compiles the grader and fills its own gold cache,
    // as the in-thread measurement's process already has.
    await pool.gradeMany(input);
    const t0 = performance.now();
    const results: GradeResult[] = await pool.gradeMany(input);
    const wallMs = performance.now() - t0;
    const lost = input.length - results.filter((r) => r && typeof r.correct === "boolean").length;
    const timeouts = results.filter((r) => r?.reason === "timeout" || r?.reason === "worker-crash").length;
    return { rate: (items.length / wallMs) * 1000, verdicts: results.map((r) => r?.correct === true), lost, timeouts };
  } finally {
    await pool.close();
  }
}

function mark(ok: boolean): string {
  return ok ? "ok" : "MISSED";
}

async function main(): Promise<number> {
  const cpu = cpus()[0]?.model?.trim() ?? "unknown CPU";
  const cores = availableParallelism();
  console.log(`machine: ${cpu}, ${cores} cores available, Node ${process.version}`);
  const tb = performance.now();
  const items = realisticCompletions(opts.n, opts.seed);
  const chars = items.reduce((s, it) => s + it.completion.length, 0);
  const nExpected = items.filter((it) => it.expected).length;
  console.log(
    `built ${items.length} completions (seed ${opts.seed}; avg ${(chars / items.length).toFixed(0)} chars; ` +
      `${nExpected} boxing the gold, ${items.length - nExpected} a wrong variant) in ${(performance.now() - tb).toFixed(0)} ms`,
  );

  const one = inThread(items);
  const acc = accuracy(items, one.verdicts);
  const missed: string[] = [];
  const table = new Table({ head: ["measure", "value", "target", ""] });
  const row = (name: string, value: string, target: string, ok: boolean | null) => {
    table.push([name, value, target, ok === null ? "" : mark(ok)]);
    if (ok === false) missed.push(name);
  };
  row("machine", `${cpu} (${cores} cores)`, "", null);
  row("completions", `${items.length} (avg ${(chars / items.length / 1000).toFixed(1)}k chars)`, "", null);
  row("in-thread, one core", `${one.rate.toFixed(0)} completions/s`, `>= ${TARGET_RATE}/s`, one.rate >= TARGET_RATE);
  row("p50 per grade", `${one.p50.toFixed(3)} ms`, "", null);
  row("p99 per grade", `${one.p99.toFixed(3)} ms`, `<= ${TARGET_P99_MS} ms`, one.p99 <= TARGET_P99_MS);
  row("max per grade", `${one.max.toFixed(1)} ms`, `<= ${EVAL.budgetMs} ms (budget)`, one.max <= EVAL.budgetMs);
  row(
    "verdicts vs expected",
    `${((acc.agree / items.length) * 100).toFixed(2)}% (${acc.falsePos} false +, ${acc.falseNeg} false -)`,
    "",
    null,
  );

  if (opts.pool) {
    const p1 = await pooled(items, 1);
    const p2 = await pooled(items, 2);
    const speedup = p2.rate / p1.rate;
    const same = p1.verdicts.every((v, i) => v === one.verdicts[i]) && p2.verdicts.every((v, i) => v === one.verdicts[i]);
    row("GraderPool jobs 1", `${p1.rate.toFixed(0)} completions/s`, "", null);
    row("GraderPool jobs 2", `${p2.rate.toFixed(0)} completions/s`, "", null);
    row(
      "speed-up jobs 2 / jobs 1",
      `${speedup.toFixed(2)}x${cores < 3 ? ` (only ${cores} cores: the main thread shares them)` : ""}`,
      `>= ${TARGET_SPEEDUP_2}x (near-linear)`,
      speedup >= TARGET_SPEEDUP_2,
    );
    row("pool lost / timeouts+crashes", `${p1.lost + p2.lost} / ${p1.timeouts + p2.timeouts}`, "0 / 0", p1.lost + p2.lost === 0);
    row("pool verdicts = in-thread", same ? "yes" : "NO", "yes", same);
  }
  console.log(table.toString());
  if (missed.length > 0) console.log(`targets missed: ${missed.join(", ")}`);
  return opts.strict && missed.length > 0 ? 1 : 0;
}

runScript(main);
