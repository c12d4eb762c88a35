// The openrs-eval command line: argument parsing and printing only; the work is done by library functions.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import Table from "cli-table3";
import { PRESETS } from "../grading/options.js";
import { defaultJobs, gradeBatch } from "../grading/pool.js";
import type { GradeResult } from "../grading/result.js";
import { formatSummary, gradeJsonl, SMALL_INPUT_ITEMS } from "./batch.js";

/** Exit code for usage errors (bad flags, unknown preset, missing input file). */
export const EXIT_USAGE = 2;
/** Exit code for failures while running (e.g. the grader workers cannot start). */
export const EXIT_FAILURE = 1;

class UsageError extends Error {}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
    return n;
  };
}

interface GradeFlags {
  gold?: string;
  completion?: string;
  input?: string;
  output?: string;
  preset: string;
  json?: boolean;
  jobs?: number;
  budgetMs?: number;
  includeInput?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}

/** The verdict as a two-column table. */
export function verdictTable(r: GradeResult): string {
  const table = new Table({ style: { head: [], border: [] } });
  table.push(
    { correct: fmt(r.correct) },
    { extracted: fmt(r.extracted) },
    { rule: fmt(r.rule) },
    { "gold parsed": fmt(r.goldParsed) },
    { "pred parsed": fmt(r.predParsed) },
    { reason: fmt(r.reason) },
    { preset: fmt(r.preset) },
    { ms: fmt(r.ms) },
  );
  return table.toString();
}

async function runGrade(flags: GradeFlags, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (!Object.hasOwn(PRESETS, flags.preset)) {
    throw new UsageError(`unknown preset "${flags.preset}" (known: ${Object.keys(PRESETS).join(", ")})`);
  }
  const single = flags.gold !== undefined || flags.completion !== undefined;
  if (single && flags.input !== undefined) throw new UsageError("use either --gold/--completion or --input, not both");
  if (single) {
    if (flags.gold === undefined) throw new UsageError("--completion needs --gold");
    if (flags.completion === undefined) throw new UsageError("--gold needs --completion");
    const [r] = await gradeBatch([{ completion: flags.completion, gold: flags.gold }], {
      jobs: 1,
      options: flags.preset,
      budgetMs: flags.budgetMs,
    });
    out.write(flags.json ? `${JSON.stringify(r)}\n` : `${verdictTable(r)}\n`);
    return 0;
  }
  if (flags.input === undefined) throw new UsageError("give --gold and --completion, or --input <file.jsonl>");
  if (flags.input !== "-") {
    if (!existsSync(flags.input)) throw new UsageError(`input file not found: ${flags.input}`);
    if (!statSync(flags.input).isFile()) throw new UsageError(`input is not a file: ${flags.input}`);
  }
  if (flags.output !== undefined && flags.output !== "-" && existsSync(flags.output) && statSync(flags.output).isDirectory()) {
    throw new UsageError(`output is a directory: ${flags.output}`);
  }
  if (flags.output !== undefined && flags.output !== "-" && !existsSync(dirname(resolve(flags.output)))) {
    throw new UsageError(`output directory not found: ${dirname(resolve(flags.output))}`);
  }
  const summary = await gradeJsonl({
    input: flags.input,
    output: flags.output,
    options: flags.preset,
    jobs: flags.jobs,
    budgetMs: flags.budgetMs,
    includeInput: flags.includeInput,
    progress: flags.quiet ? "off" : flags.progress ? "on" : "auto",
    stderr: err,
  });
  if (!flags.quiet) err.write(`${formatSummary(summary)}\n`);
  return 0;
}

/** Builds the commander program; `setCode` receives the exit code of the action that ran. */
export function buildProgram(setCode: (code: number) => void, out = process.stdout, err = process.stderr): Command {
  const program = new Command("openrs-eval")
    .description("Evaluation tools for math reasoning: grade completions against gold answers.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("grade")
    .description(
      "Grade one completion (--gold/--completion) or a JSONL file of pairs (--input). The verdict is data: " +
        "the exit code is 0 whether or not the answer is correct, 2 on usage errors.",
    )
    .option("--gold <latex>", "gold answer (single-pair mode)")
    .option("--completion <text>", "model completion (single-pair mode)")
    .option("--json", "single-pair mode: print the full result as JSON instead of a table")
    .option(
      "-i, --input <file>",
      'JSONL with "gold" and "completion" (or "pred") per line, other fields passed through; "-" reads stdin',
    )
    .option("-o, --output <file>", "write verdict JSONL here (truncated first) instead of stdout")
    .addOption(new Option("--preset <name>", "grader preset").choices(Object.keys(PRESETS)).default("eval"))
    .option(
      "-j, --jobs <n>",
      `worker threads (default: 1 for fewer than ${SMALL_INPUT_ITEMS} items, else min(cores, 4) = ${defaultJobs()} here)`,
      positiveInt("--jobs"),
    )
    .option("--budget-ms <ms>", "hard time budget per item; slower items get reason \"timeout\" (default: preset's, 1000)", positiveNumber("--budget-ms"))
    .option("--include-input", "keep gold/completion/pred in the output records")
    .option("--progress", "always show progress on stderr (default: when stderr is a TTY or the input is large)")
    .option("-q, --quiet", "no progress and no summary on stderr")
    .addHelpText(
      "after",
      [
        "",
        "Output records: the input line's other fields, then correct, extracted, rule, reason, ms.",
        'A malformed line yields {correct: false, extracted: null, reason: "bad-input", error: "line N: ..."}.',
        "",
        "Examples:",
        '  openrs-eval grade --gold "\\frac{1}{2}" --completion "... the final answer is $\\boxed{0.5}$"',
        "  openrs-eval grade --input examples/pairs.jsonl --output verdicts.jsonl --jobs 4",
      ].join("\n"),
    )
    .action(async (flags: GradeFlags) => {
      setCode(await runGrade(flags, out, err));
    });

  return program;
}

/** Runs the CLI with the given argv (node-style, including the node and script paths); resolves to the exit code. */
export async function main(argv: string[] = process.argv, out = process.stdout, err = process.stderr): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  }, out, err);
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      err.write(`openrs-eval: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if ((e as { code?: unknown } | null)?.code === "EPIPE") return 0; // output closed early (e.g. piped into head)
    const message = e instanceof Error ? e.message : String(e);
    err.write(`openrs-eval: ${message}\n`);
    return EXIT_FAILURE;
  }
}
