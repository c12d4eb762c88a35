// Standalone fuzz run (`npm run fuzz`, or `npx tsx tools/fuzz/fuzz-run.ts --n 10000 --seed 1`): grades the hard cases
// plus n seeded fuzz inputs through the GraderPool and reports crashes, over-budget grades and latency.
// Exits 1 when any input crashed (threw, lost, or killed its worker) or ran over the time budget.
import { writeFileSync } from "node:fs";
import { intInRange, runScript } from "../../src/cli-common.js";
import { availableParallelism, cpus } from "node:os";
import { Command } from "commander";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { readSuiteRows } from "../../benchmarks/load.js";
import { getSuite, SUITE_IDS } from "../../benchmarks/registry.js";
import { type FuzzCase, fuzzCases, HARD_CASES } from "./cases.js";
import { EVAL } from "../../grading/options.js";
import { GraderPool } from "../../grading/pool.js";
import type { GradeResult } from "../../grading/result.js";

const program = new Command("fuzz-run")
  .description("Grade the hard cases plus N seeded adversarial inputs through the GraderPool.")
  .option("--n <count>", "number of random fuzz inputs", intInRange("--n", 0), 10_000)
  .option("--seed <seed>", "PRNG seed", intInRange("--seed", 0), 1)
  .option("--jobs <count>", "worker threads", intInRange("--jobs", 1), Math.max(1, Math.min(availableParallelism(), 4)))
  .option("--budget-ms <ms>", "per-grade time budget", intInRange("--budget-ms", 1), EVAL.budgetMs)
  .option("--batch <count>", "items per gradeMany call", intInRange("--batch", 1), 1000)
  .option("--out <file>", "write failing inputs (crashes, timeouts) as JSON Lines to this file")
  .option("--no-hard", "skip the fixed hard cases");
program.parse();
const opts = program.opts<{ n: number; seed: number; jobs: number; budgetMs: number; batch: number; out?: string; hard: boolean }>();

interface Labeled extends FuzzCase {
  label: string;
}

function realGolds(): string[] {
  const dir = findDataDir();
  if (!dir) return [];
  try {
    return SUITE_IDS.flatMap((s) => readSuiteRows(getSuite(s), dir).map((r) => r.answer));
  } catch {
    return [];
  }
}

function preview(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 70)}…${s.slice(-20)}` : s) + ` (${s.length} chars)`;
}

const CRASH_REASONS = new Set(["worker-crash", "crash", "error", "internal-error", "exception"]);

async function main(): Promise<number> {
  const golds = realGolds();
  const cases: Labeled[] = [
    ...(opts.hard ? HARD_CASES.map((c) => ({ ...c, label: `hard: ${c.name}` })) : []),
    ...fuzzCases(opts.n, opts.seed, golds).map((c, i) => ({ ...c, label: `fuzz #${i} [${c.kind}]` })),
  ];
  console.log(
    `fuzz: ${cases.length} inputs (${opts.hard ? HARD_CASES.length : 0} hard + ${opts.n} random, seed ${opts.seed}, ` +
      `${golds.length} real golds), jobs ${opts.jobs}, budget ${opts.budgetMs} ms, ${cpus()[0]?.model ?? "unknown CPU"}`,
  );

  const options = opts.budgetMs === EVAL.budgetMs ? EVAL : { ...EVAL, budgetMs: opts.budgetMs };
  const pool = new GraderPool({ jobs: opts.jobs, options, budgetMs: opts.budgetMs });
  const crashes: { c: Labeled; why: string }[] = [];
  const timeouts: { c: Labeled; why: string }[] = [];
  const times: number[] = [];
  const reasons = new Map<string, number>();
  let slowest: { ms: number; label: string } = { ms: 0, label: "-" };
  const t0 = performance.now();

  const record = (c: Labeled, r: GradeResult | undefined) => {
    if (!r || typeof r.correct !== "boolean" || typeof r.reason !== "string" || r.reason === "") {
      crashes.push({ c, why: `lost or malformed result ${JSON.stringify(r)?.slice(0, 200)}` });
      return;
    }
    reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    const ms = typeof r.ms === "number" && Number.isFinite(r.ms) ? r.ms : 0;
    times.push(ms);
    if (ms > slowest.ms) slowest = { ms, label: c.label };
    if (CRASH_REASONS.has(r.reason)) crashes.push({ c, why: r.reason });
    else if (r.reason === "timeout" || ms > opts.budgetMs) timeouts.push({ c, why: `${r.reason}, ${ms.toFixed(0)} ms` });
  };

  try {
    for (let start = 0; start < cases.length; start += opts.batch) {
      const batch = cases.slice(start, start + opts.batch);
      const items = batch.map((c) => ({ completion: c.completion, gold: c.gold }));
      try {
        const results = await pool.gradeMany(items);
        if (results.length !== batch.length) crashes.push({ c: batch[0], why: `batch returned ${results.length} of ${batch.length} results` });
        batch.forEach((c, i) => {
          record(c, results[i]);
        });
      } catch (e) {
        // The whole batch rejected: retry item by item to find the culprit(s).
        console.error(`batch at ${start} rejected (${(e as Error).message}); retrying one at a time`);
        for (const c of batch) {
          try {
            record(c, await pool.grade(c.completion, c.gold));
          } catch (e2) {
            crashes.push({ c, why: `threw ${(e2 as Error).message}` });
          }
        }
      }
      const done = Math.min(start + opts.batch, cases.length);
      process.stderr.write(`\r  ${done}/${cases.length} graded, ${crashes.length} crashes, ${timeouts.length} timeouts`);
    }
  } finally {
    process.stderr.write("\n");
    await pool.close();
  }
  const wallS = (performance.now() - t0) / 1000;

  times.sort((a, b) => a - b);
  const q = (p: number) => (times.length ? times[Math.min(times.length - 1, Math.floor(p * times.length))] : 0);
  const topReasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`inputs:        ${cases.length}`);
  console.log(`crashes:       ${crashes.length}  (thrown, lost, or worker-crash)`);
  console.log(`over budget:   ${timeouts.length}  (timeouts, > ${opts.budgetMs} ms)`);
  console.log(`max ms:        ${q(1).toFixed(1)}  (${slowest.label})`);
  console.log(`p99 ms:        ${q(0.99).toFixed(2)}`);
  console.log(`p50 ms:        ${q(0.5).toFixed(3)}`);
  console.log(`wall:          ${wallS.toFixed(1)} s (${(cases.length / wallS).toFixed(0)} inputs/s)`);
  console.log(`top reasons:   ${topReasons.map(([k, v]) => `${k}×${v}`).join(", ")}`);
  for (const { c, why } of [...crashes, ...timeouts].slice(0, 15)) {
    console.log(`  FAIL ${c.label}: ${why}\n    gold ${preview(c.gold)}\n    completion ${preview(c.completion)}`);
  }
  if (opts.out && crashes.length + timeouts.length > 0) {
    const lines = [...crashes, ...timeouts].map(({ c, why }) => JSON.stringify({ label: c.label, why, gold: c.gold, completion: c.completion }));
    writeFileSync(opts.out, `${lines.join("\n")}\n`);
    console.log(`failing inputs written to ${opts.out}`);
  }
  const ok = crashes.length === 0 && timeouts.length === 0;
  console.log(ok ? "fuzz: OK" : "fuzz: FAILED");
  return ok ? 0 : 1;
}

runScript(main);
