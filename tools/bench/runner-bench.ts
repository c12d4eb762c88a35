// Runner overhead benchmark (`npx tsx tools/bench/runner-bench.ts [--problems 10000] [--samples 1]`): everything but the
// model, i.e. a replay run of realistic completions read, graded through GraderPool, appended to samples.jsonl and
// aggregated into metrics, against the target of 2,000 samples/s; the in-thread grading rate is printed beside it
// as this machine's ceiling per core.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { intInRange } from "../../src/cli-common.js";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import Table from "cli-table3";
import { Command } from "commander";
import type { Problem, SuiteConfig } from "../../benchmarks/types.js";
import { grade } from "../../grading/grade.js";
import { EVAL } from "../../grading/options.js";
import { defaultJobs } from "../../grading/pool.js";
import { realisticCompletions } from "../../test/support/completions.js";
import { ReplayBackend } from "../../src/backends/replay.js";
import { PAPER_SAMPLING, runEval } from "../../src/runner/runner.js";

const TARGET_RATE = 2000;

const program = new Command("runner-bench")
  .description("Benchmark the eval runner's own overhead: replay, grade, write and aggregate realistic samples.")
  .option("--total <n>", "samples in all", intInRange("--total", 1), 10_000)
  .option("--samples <n>", "samples per problem (problems = total / samples)", intInRange("--samples", 1), 1)
  .option("--concurrency <n>", "problems in flight", intInRange("--concurrency", 1), 256)
  .option("--jobs <n>", "grader worker threads", intInRange("--jobs", 1))
  .option("--seed <n>", "PRNG seed for the completions", intInRange("--seed", 0), 1)
  .option("--strict", "exit 1 when the target is missed");
program.parse();
const opts = program.opts<{ total: number; samples: number; concurrency: number; jobs?: number; seed: number; strict?: boolean }>();

/** Replaces the content of the last \boxed{...} (brace-matched) with `answer`. */
function rebox(text: string, answer: string): string {
  const at = text.lastIndexOf("\\boxed{");
  if (at < 0) return text;
  let depth = 0;
  for (let i = at + 6; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return `${text.slice(0, at + 7)}${answer}${text.slice(i)}`;
  }
  return text;
}

const problemsCount = Math.max(1, Math.floor(opts.total / opts.samples));
let base: ReturnType<typeof realisticCompletions>;
try {
  base = realisticCompletions(problemsCount * 2, opts.seed);
} catch (e) {
  console.error(`runner-bench: ${(e as Error).message}`);
  process.exit(2);
}
const suiteIds = [...new Set(base.map((c) => c.suite))];
const configs = new Map<string, SuiteConfig>(
  suiteIds.map((id) => [
    id,
    { id, name: id, dataset: "bench", split: "bench", count: 0, questionField: "problem", goldFrom: "answer", preset: "eval", paper: false, version: "bench" },
  ]),
);
const problems = new Map<string, Problem[]>(suiteIds.map((id) => [id, []]));
const lines: string[] = [];
for (let p = 0; p < problemsCount; p++) {
  const right = base[p];
  const wrongAnswer = /\\boxed\{(.*)\}/.exec(base[problemsCount + p].completion)?.[1] ?? "0";
  const id = `${right.suite}/${p}`;
  problems.get(right.suite)!.push({ id, suite: right.suite, question: `Problem ${p}`, gold: right.gold });
  for (let s = 0; s < opts.samples; s++) {
    // Samples of one problem: mostly its own completion, every third with another problem's answer boxed.
    const completion = s % 3 === 2 ? rebox(right.completion, wrongAnswer) : right.completion;
    lines.push(JSON.stringify({ id, sample: s, completion, finish: "stop", completionTokens: Math.ceil(completion.length / 4) }));
  }
}
const dir = mkdtempSync(join(tmpdir(), "openrs-runner-bench-"));
const replayFile = join(dir, "replay.jsonl");
writeFileSync(replayFile, `${lines.join("\n")}\n`);
const total = lines.length;

// In-thread grading ceiling on a slice (one core, no pool, no I/O).
const slice = base.slice(0, Math.min(2000, base.length));
for (const c of slice.slice(0, 300)) grade(c.completion, c.gold, EVAL);
const g0 = performance.now();
for (const c of slice) grade(c.completion, c.gold, EVAL);
const inThreadRate = slice.length / ((performance.now() - g0) / 1000);

const t0 = performance.now();
const backend = ReplayBackend.fromFile(replayFile);
const tLoaded = performance.now();
const result = await runEval({
  backend,
  suites: suiteIds.map((id) => ({ config: { ...configs.get(id)!, count: problems.get(id)!.length }, problems: problems.get(id)! })),
  render: (p) => ({ prompt: p.question, messages: [{ role: "user", content: p.question }] }),
  promptFormat: "user-message",
  out: join(dir, "run"),
  samples: opts.samples,
  sampling: PAPER_SAMPLING,
  k: opts.samples > 1 ? [1, opts.samples] : [1],
  concurrency: opts.concurrency,
  jobs: opts.jobs,
  progress: "off",
});
const seconds = (performance.now() - t0) / 1000;
const rate = total / seconds;
const bytes = statSync(join(dir, "run", "samples.jsonl")).size;
const m = result.manifest;
rmSync(dir, { recursive: true, force: true });

const cpu = cpus()[0]?.model?.trim() ?? "unknown CPU";
const table = new Table({ head: ["measure", "value", "target"], style: { head: [], border: [] } });
table.push(
  ["machine", `${cpu}, ${availableParallelism()} cores, Node ${process.version}`, ""],
  ["samples (problems × samples)", `${total} (${problemsCount} × ${opts.samples}) in ${suiteIds.length} suites`, ""],
  ["grader workers / concurrency", `${opts.jobs ?? defaultJobs()} / ${opts.concurrency}`, ""],
  ["replay file load", `${(tLoaded - t0).toFixed(0)} ms`, ""],
  ["end to end (load, grade, write, aggregate)", `${seconds.toFixed(2)} s`, ""],
  ["runner throughput", `${rate.toFixed(0)} samples/s`, `≥ ${TARGET_RATE} ${rate >= TARGET_RATE ? "ok" : "MISSED"}`],
  ["in-thread grade ceiling (1 core)", `${inThreadRate.toFixed(0)} samples/s`, ""],
  ["samples.jsonl written", `${(bytes / 1e6).toFixed(1)} MB`, ""],
  ["overall pass@1", `${(100 * (m.metrics?.overall?.scores[m.metrics.overall.primary] ?? Number.NaN)).toFixed(1)} %`, ""],
);
console.log(table.toString());
if (opts.strict && rate < TARGET_RATE) process.exitCode = 1;
