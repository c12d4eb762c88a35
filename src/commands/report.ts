// `openrs-eval report RUN_DIR [--compare RUN2]`: one self-contained HTML page per run (or per pair of runs).
import { existsSync, statSync, } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { type CommandContext, positiveInt, UsageError } from "../cli-common.js";
import { writeFileAtomic } from "../fs-safe.js";
import { collectRun } from "../report/collect.js";
import { reportHtml } from "../report/html.js";
import { compareRuns } from "../runner/compare.js";
import { RunDirError } from "../runner/run-dir.js";

interface ReportFlags {
  compare?: string;
  output?: string;
  dataDir?: string;
  completionChars?: number;
}

/** `<run>/report.html`, or `<run>/report-vs-<other>.html` when comparing. */
export function defaultReportFile(run: string, other?: string): string {
  return join(run, other ? `report-vs-${basename(resolve(other)).replace(/[^A-Za-z0-9._-]+/g, "_")}.html` : "report.html");
}

function runReport(dir: string, flags: ReportFlags, { err }: CommandContext): number {
  for (const d of [dir, flags.compare]) {
    if (d !== undefined && !(existsSync(d) && statSync(d).isDirectory())) throw new UsageError(`${d} is not a directory (expected a run directory holding run.json)`);
  }
  const output = flags.output ?? defaultReportFile(dir, flags.compare);
  if (!existsSync(dirname(resolve(output)))) throw new UsageError(`output directory not found: ${dirname(resolve(output))}`);
  let html: string;
  try {
    const opts = { dataDir: flags.dataDir, completionChars: flags.completionChars };
    const a = collectRun(dir, opts);
    const b = flags.compare === undefined ? null : collectRun(flags.compare, opts);
    const comparison = flags.compare === undefined ? null : compareRuns(dir, flags.compare);
    html = reportHtml(a, b, comparison);
    for (const note of [...a.notes, ...(b?.notes ?? [])]) err.write(`report: ${note}\n`);
  } catch (e) {
    if (e instanceof RunDirError) throw new UsageError(e.message);
    throw e;
  }
  writeFileAtomic(output, html); // a browser open on the old page never reads half a new one
  err.write(`report: wrote ${output} (${(Buffer.byteLength(html) / 1e6).toFixed(1)} MB); open it in a browser\n`);
  return 0;
}

export function registerReport(program: Command, ctx: CommandContext): void {
  program
    .command("report")
    .description("Write one self-contained HTML page for a run: pass@1 with intervals, per-level/subject scores, failure modes, completion lengths and every problem's samples.")
    .argument("<run>", "run directory (holding run.json and samples.jsonl)")
    .option("--compare <run2>", "a second run directory: paired differences with verdicts, both runs side by side")
    .option("-o, --output <file>", "where to write the page (default: <run>/report.html, or <run>/report-vs-<run2>.html)")
    .option("--data-dir <dir>", "folder holding the suites' data files, for question texts and metadata (default: as `run` finds them)")
    .option("--completion-chars <n>", "keep at most this many characters of each completion (default: a ~24 MB budget shared over the samples)", positiveInt("--completion-chars"))
    .addHelpText("after", ["", "Examples:", "  openrs-eval report runs/mine", "  openrs-eval report runs/base --compare runs/mine -o compare.html"].join("\n"))
    .action((run: string, flags: ReportFlags) => {
      ctx.setCode(runReport(run, flags, ctx));
    });
}
