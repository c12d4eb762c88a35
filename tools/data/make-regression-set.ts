// Builds the CI regression set results/regression/samples.jsonl: ~1,500 completions over the 7 suites made from the
// benchmark data (right answers, known-wrong variants, equivalent rewrites, unboxed and truncated answers), each with
// the current grader's verdict. `--accept` instead regrades the committed file in place (no benchmark data needed).
//   npx tsx tools/data/make-regression-set.ts [--data-dir DIR] [--out FILE] [--seed N]
//   npx tsx tools/data/make-regression-set.ts --accept        # after an intended grader change; review the git diff
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { resolveDataDir } from "../../benchmarks/data-dir.js";
import { loadProblems, readSuiteRows, SUITES } from "../../benchmarks/index.js";
import type { SuiteConfig } from "../../benchmarks/types.js";
import { Rng } from "../../grading/rng.js";
import { grade } from "../../grading/grade.js";
import type { GradeOptions } from "../../grading/options.js";
import { boxable, unbox, wrongVariant } from "../../test/support/completions.js";
import { suiteGradeOptions } from "../../src/runner/scoring.js";

/** How a sample was made; `expected` is what a correct grader must say (null where it depends on the preset). */
export const KINDS = {
  right: true, // the gold, boxed, in the paper's answer line
  wrong: false, // a plausible wrong variant of the gold (off by one, digit changed, fraction flipped, ...)
  rewrite: true, // the gold written differently (\dfrac, spacing, `x = `)
  anchored: true, // "The final answer is N." with no box
  "think-box": true, // a wrong box inside <think>, the right one after it: only the part after </think> counts
  // Cut off mid-reasoning (finish reason length), no answer line; presets that read math spans or bare numbers may
  // still pick a value out of the partial reasoning, so the verdict is the preset's call.
  truncated: null,
  "bare-number": null, // the answer as the last bare number, no box or math: only presets with lastNumber read it
} as const satisfies Record<string, boolean | null>;
export type Kind = keyof typeof KINDS;

/** One line of the regression set: what to grade, how, and the verdict recorded when the set was last accepted. */
export interface RegressionSample {
  /** `<problem id>#<sample>`, unique in the file. */
  key: string;
  suite: string;
  id: string;
  sample: number;
  kind: Kind;
  /** By construction (see KINDS); null where the preset decides. */
  expected: boolean | null;
  /** Grader options as the runner passes them for this suite (preset name, or preset + overrides). */
  options: string | Partial<GradeOptions>;
  gold: string;
  completion: string;
  finish: "stop" | "length";
  /** The recorded verdict. */
  correct: boolean;
  extracted: string | null;
  reason: string;
}

/** Problems per suite and samples per problem: 1,500 samples, the small suites fully covered. */
export const PLAN: Record<string, { problems: number; samples: number }> = {
  aime24: { problems: 30, samples: 5 },
  aime25: { problems: 30, samples: 5 },
  amc23: { problems: 40, samples: 5 },
  math500: { problems: 150, samples: 2 },
  minerva: { problems: 100, samples: 2 },
  olympiadbench: { problems: 150, samples: 2 },
  gsm8k: { problems: 100, samples: 2 },
};

const here = dirname(fileURLToPath(import.meta.url));
/** results/regression/samples.jsonl at the project root (this file is tools/data/). */
export function defaultRegressionFile(): string {
  return resolve(here, "..", "..", "results", "regression", "samples.jsonl");
}

const ANSWER_LINE = (a: string) => `Therefore, the final answer is: $\\boxed{${a}}$. I hope it is correct`;

/** A short think block from the reference solution (unboxed, so only the answer line carries a box). */
function reasoning(problem: string, solution: unknown): string {
  const text = typeof solution === "string" && solution.trim() !== "" ? unbox(solution).replace(/\n?####.*$/s, "") : `The problem asks: ${problem}`;
  return text.length > 400 ? `${text.slice(0, 400)} ...` : text;
}

/** The gold written differently but equal: `\dfrac`, a `x = ` prefix for numbers, spacing in lists. */
function rewrite(a: string): string {
  if (a.includes("\\frac")) return a.replace(/\\frac/g, "\\dfrac");
  if (/^-?\d+(\.\d+)?$/.test(a)) return `x = ${a}`;
  if (a.includes(",")) return a.replace(/\s*,\s*/g, " , ");
  return ` ${a} `;
}

function completionFor(kind: Kind, r: Rng, think: string, right: string, others: readonly string[]): { completion: string; finish: "stop" | "length" } {
  const wrap = (tail: string) => `<think>\n${think}\n</think>\n\n${tail}`;
  switch (kind) {
    case "right":
      return { completion: wrap(ANSWER_LINE(right)), finish: "stop" };
    case "wrong":
      return { completion: wrap(ANSWER_LINE(wrongVariant(r, right, others))), finish: "stop" };
    case "rewrite":
      return { completion: wrap(ANSWER_LINE(rewrite(right))), finish: "stop" };
    case "anchored":
      return { completion: wrap(`So the final answer is ${right}.`), finish: "stop" };
    case "think-box":
      return {
        completion: `<think>\n${think}\nAt first I thought it was $\\boxed{${wrongVariant(r, right, others)}}$, but that is wrong.\n</think>\n\n${ANSWER_LINE(right)}`,
        finish: "stop",
      };
    case "truncated":
      return { completion: `<think>\n${think.slice(0, Math.max(20, Math.floor(think.length / 2)))}`, finish: "length" };
    case "bare-number":
      return { completion: wrap(`Adding everything up gives ${right}`), finish: "stop" };
  }
}

/** Kinds in the order they are handed out, so every suite gets every kind. */
const ORDER: Kind[] = ["right", "wrong", "rewrite", "wrong", "anchored", "think-box", "right", "truncated", "wrong", "bare-number"];

/** Grades one sample the way the runner does (the suite's options); the verdict fields of a RegressionSample. */
export function verdictOf(s: Pick<RegressionSample, "completion" | "gold" | "options">): Pick<RegressionSample, "correct" | "extracted" | "reason"> & { ms: number } {
  const g = grade(s.completion, s.gold, s.options);
  return { correct: g.correct, extracted: g.extracted, reason: g.reason, ms: g.ms };
}

/** Builds the set from the benchmark files in `dataDir`; deterministic for a given seed, data and grader. */
export function buildRegressionSet(dataDir: string, seed = 1): { samples: RegressionSample[]; dropped: string[] } {
  const r = new Rng(seed);
  const samples: RegressionSample[] = [];
  const dropped: string[] = [];
  let turn = 0;
  for (const [suiteId, plan] of Object.entries(PLAN)) {
    const suite: SuiteConfig = SUITES[suiteId];
    const rows = readSuiteRows(suite, dataDir);
    const problems = loadProblems(suite, { dataDir });
    const others = rows.map((row) => boxable(row.answer));
    // Every other problem when the plan takes fewer than all: a spread over the file, not its first pages.
    const step = Math.max(1, Math.floor(problems.length / plan.problems));
    for (let p = 0; p < plan.problems && p * step < problems.length; p++) {
      const problem = problems[p * step];
      const row = rows[p * step];
      const right = boxable(suite.goldFrom === "answer" ? row.answer : problem.gold);
      const think = reasoning(row.problem, row.solution);
      for (let i = 0; i < plan.samples; i++) {
        const kind = ORDER[turn++ % ORDER.length];
        const { completion, finish } = completionFor(kind, r, think, right, others);
        const base = { key: `${problem.id}#${i}`, suite: suiteId, id: problem.id, sample: i, kind, expected: KINDS[kind], options: suiteGradeOptions(suite), gold: problem.gold, completion, finish };
        const v = verdictOf(base);
        // A verdict near the time budget could flip on a slower machine: such samples would test the clock, not the grader.
        if (v.reason === "timeout" || v.ms > 100) {
          dropped.push(`${base.key} (${v.reason}, ${v.ms.toFixed(0)} ms)`);
          continue;
        }
        samples.push({ ...base, correct: v.correct, extracted: v.extracted, reason: v.reason });
      }
    }
  }
  return { samples, dropped };
}

/** Reads the committed set; throws a one-line error naming the file and line when it is malformed. */
export function readRegressionSet(file = defaultRegressionFile()): RegressionSample[] {
  if (!existsSync(file)) throw new Error(`regression set not found: ${file} (make it with: npx tsx tools/data/make-regression-set.ts)`);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      try {
        const s = JSON.parse(l) as RegressionSample;
        if (typeof s.completion !== "string" || typeof s.gold !== "string" || typeof s.correct !== "boolean") throw new Error("missing completion/gold/correct");
        return s;
      } catch (e) {
        throw new Error(`${file}:${i + 1}: ${(e as Error).message}`);
      }
    });
}

export function writeRegressionSet(file: string, samples: readonly RegressionSample[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, samples.map((s) => JSON.stringify(s)).join("\n") + "\n");
  renameSync(tmp, file);
}

/** A changed verdict as one line: key, kind, and the old and new verdict, extraction and reason. */
export function describeChange(s: RegressionSample, now: Pick<RegressionSample, "correct" | "extracted" | "reason">): string {
  return `${s.key} (${s.kind}): correct ${s.correct} -> ${now.correct}; extracted ${JSON.stringify(s.extracted)} -> ${JSON.stringify(now.extracted)}; reason ${s.reason} -> ${now.reason}`;
}

function counts(samples: readonly RegressionSample[]): string {
  const by = new Map<string, number>();
  for (const s of samples) by.set(s.suite, (by.get(s.suite) ?? 0) + 1);
  const agree = samples.filter((s) => s.expected !== null && s.expected === s.correct).length;
  const decided = samples.filter((s) => s.expected !== null).length;
  return `${samples.length} samples (${[...by].map(([k, v]) => `${k} ${v}`).join(", ")}); ${samples.filter((s) => s.correct).length} graded correct; grader agrees with the construction on ${agree}/${decided}`;
}

function cli(): void {
  const program = new Command("make-regression-set")
    .description("Build (or --accept: regrade in place) the CI regression set of graded samples.")
    .option("--data-dir <dir>", "benchmark JSONL folder (default: OPENRS_DATA_DIR, ../shared/benchmarks, or the cache)")
    .option("--out <file>", "where to write", defaultRegressionFile())
    .option("--seed <n>", "PRNG seed for the wrong variants", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("--seed must be a non-negative integer.");
      return n;
    }, 1)
    .option("--accept", "regrade the existing file with the current grader and record the new verdicts, listing each change")
    .parse();
  const o = program.opts<{ dataDir?: string; out: string; seed: number; accept?: boolean }>();
  try {
    if (o.accept) {
      const samples = readRegressionSet(o.out);
      const next = samples.map((s) => {
        const v = verdictOf(s);
        if (v.correct !== s.correct) process.stderr.write(`changed: ${describeChange(s, v)}\n`);
        return { ...s, correct: v.correct, extracted: v.extracted, reason: v.reason };
      });
      writeRegressionSet(o.out, next);
      process.stderr.write(`accepted: ${counts(next)}\nwrote ${o.out}\n`);
      return;
    }
    const dir = o.dataDir ?? resolveDataDir().dir;
    const { samples, dropped } = buildRegressionSet(dir, o.seed);
    for (const d of dropped) process.stderr.write(`dropped (too close to the time budget): ${d}\n`);
    writeRegressionSet(o.out, samples);
    process.stderr.write(`${counts(samples)}\nwrote ${o.out}\n`);
  } catch (e) {
    process.stderr.write(`make-regression-set: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) cli();
