// `openrs-eval leaderboard`: the paper's reference rows and local runs side by side, as markdown or one HTML file.
import { existsSync, statSync, } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import { type CommandContext, UsageError } from "../cli-common.js";
import { writeFileAtomic } from "../fs-safe.js";
import { buildLeaderboard, LeaderboardError, leaderboardHtml, leaderboardMarkdown } from "../leaderboard.js";

interface LeaderboardFlags {
  format: "md" | "html";
  runs: string;
  reference?: string;
  output?: string;
}

const DEFAULT_RUNS = "results/runs";
const REFERENCE = join("results", "reference", "paper_table1.json");

/** The committed reference table: beside the sources (src/commands/..) or the build output (dist/src/commands/..). */
export function defaultReferenceFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, "..", "..", REFERENCE), resolve(here, "..", "..", "..", REFERENCE)];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

function runLeaderboard(flags: LeaderboardFlags, { out, err }: CommandContext): number {
  const reference = flags.reference ?? defaultReferenceFile();
  if (!existsSync(reference)) throw new UsageError(`reference table not found: ${reference}`);
  if (flags.runs !== DEFAULT_RUNS && !existsSync(flags.runs)) throw new UsageError(`runs folder not found: ${flags.runs}`);
  if (existsSync(flags.runs) && !statSync(flags.runs).isDirectory()) throw new UsageError(`--runs is not a directory: ${flags.runs}`);
  if (flags.output !== undefined && !existsSync(dirname(resolve(flags.output)))) {
    throw new UsageError(`output directory not found: ${dirname(resolve(flags.output))}`);
  }
  let text: string;
  let warnings: string[];
  try {
    const lb = buildLeaderboard(reference, flags.runs);
    warnings = lb.warnings;
    text = flags.format === "html" ? leaderboardHtml(lb) : leaderboardMarkdown(lb);
    err.write(`leaderboard: ${lb.rows.filter((r) => r.kind === "paper").length} reference rows, ${lb.rows.filter((r) => r.kind === "local").length} local runs from ${flags.runs}\n`);
  } catch (e) {
    if (e instanceof LeaderboardError) throw new UsageError(e.message);
    throw e;
  }
  for (const w of warnings) err.write(`leaderboard: skipped ${w}\n`);
  if (flags.output === undefined) out.write(text);
  else writeFileAtomic(flags.output, text); // a reader (or the README build) never sees half a table
  return 0;
}

export function registerLeaderboard(program: Command, ctx: CommandContext): void {
  program
    .command("leaderboard")
    .description("Render the paper's Table 1 rows and local runs (results/runs/*/run.json) side by side, with 95 % intervals where known.")
    .addOption(new Option("--format <format>", "md (a markdown table) or html (one self-contained page with a plot)").choices(["md", "html"]).default("md"))
    .option("--runs <dir>", "folder of run directories, each holding run.json", DEFAULT_RUNS)
    .option("--reference <file>", "reference table JSON (default: the committed results/reference/paper_table1.json)")
    .option("-o, --output <file>", "write here instead of stdout")
    .addHelpText(
      "after",
      ["", "Examples:", "  openrs-eval leaderboard > results/LEADERBOARD.md", "  openrs-eval leaderboard --format html -o leaderboard.html"].join("\n"),
    )
    .action((flags: LeaderboardFlags) => {
      ctx.setCode(runLeaderboard(flags, ctx));
    });
}
