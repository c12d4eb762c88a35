// `openrs-eval grade`: one pair or a JSONL file of pairs through the bounded grader pool.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Table from "cli-table3";
import { type Command, Option } from "commander";
import { PRESETS } from "../../grading/options.js";
import { defaultJobs, gradeBatch } from "../../grading/pool.js";
import type { GradeResult } from "../../grading/result.js";
import { formatSummary, gradeJsonl, SMALL_INPUT_ITEMS } from "../batch.js";
import { type CommandContext, positiveInt, positiveNumber, UsageError } from "../cli-common.js";

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

async function runGrade(flags: GradeFlags, { out, err }: CommandContext): Promise<number> {
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

export function registerGrade(program: Command, ctx: CommandContext): void {
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
      ctx.setCode(await runGrade(flags, ctx));
    });

}
