// The openrs-eval command line: argument parsing and printing only; the work is done by library functions.
// Commands are imported lazily: only the one being run is loaded (--help and --version load none), so start-up
// does not pay for the grader, the benchmarks, the HTTP server or the native bindings it does not use.
import { Command, CommanderError } from "commander";
import { type CommandContext, EXIT_FAILURE, EXIT_USAGE, UsageError } from "./cli-common.js";
import { FsPathError, fsErrorMessage } from "./fs-safe.js";
import { installSignalFallback } from "./signals.js";
import { versionText } from "./version.js";

export { EXIT_FAILURE, EXIT_USAGE } from "./cli-common.js";

type Register = (program: Command, ctx: CommandContext) => void;

/** Every subcommand: its one-line summary for the root help, and how to load its registration (src/commands/<name>.ts). */
const COMMANDS: readonly { name: string; summary: string; isDefault?: boolean; load: () => Promise<Register> }[] = [
  { name: "grade", summary: "Grade one completion or a JSONL file of pairs against gold answers.", load: async () => (await import("./commands/grade.js")).registerGrade },
  { name: "bench", summary: "Benchmark suites: list them and check their data.", load: async () => (await import("./commands/bench.js")).registerBench },
  { name: "data", summary: "Benchmark data: download and verify the suites.", load: async () => (await import("./commands/data.js")).registerData },
  {
    name: "serve-rewards",
    summary: "Serve the RL rewards of a recipe over HTTP (OpenRLHF /reward, TRL/verl /score).",
    load: async () => (await import("./commands/serve-rewards.js")).registerServeRewards,
  },
  {
    name: "run",
    summary: "Evaluate a model on suites: generate, grade, score with intervals; resumable (the default command).",
    isDefault: true,
    load: async () => (await import("./commands/run.js")).registerRun,
  },
  { name: "compare", summary: "Compare two runs suite by suite, with paired statistics.", load: async () => (await import("./commands/compare.js")).registerCompare },
  { name: "regrade", summary: "Grade a run again with the current grader and list changed verdicts.", load: async () => (await import("./commands/regrade.js")).registerRegrade },
  { name: "report", summary: "One self-contained HTML page for a run (or two runs compared): scores, breakdowns, every sample.", load: async () => (await import("./commands/report.js")).registerReport },
  { name: "leaderboard", summary: "The paper's Table 1 rows and local runs side by side (markdown or HTML).", load: async () => (await import("./commands/leaderboard.js")).registerLeaderboard },
  { name: "train", summary: "Train a model on the native engine: SFT now (train sft), curves (train plot).", load: async () => (await import("./commands/train.js")).registerTrain },
  { name: "model", summary: "Checkpoints for the native engine: make tiny random ones, inspect, generate.", load: async () => (await import("./commands/model.js")).registerModel },
];

const ROOT_ONLY = new Set(["-h", "--help", "-V", "--version"]);

/**
 * The command argv asks for, or null when only the root answers (--help, --version, no arguments). Anything else
 * that is not a command name goes to the default command (`openrs-eval --model ... --bench ...`), as commander would.
 */
export function targetCommand(args: readonly string[]): string | null {
  const first = args[0];
  if (first === undefined || ROOT_ONLY.has(first)) return null;
  const name = first === "help" ? args[1] : first;
  if (first === "help" && name === undefined) return null;
  return COMMANDS.find((c) => c.name === name)?.name ?? "run";
}

/** One line: commander's message plus the pointer to --help (commander's own is a second line). */
function oneLineError(text: string): string {
  return `${text.trim().replace(/\s*\n\s*/g, " ")} (run with --help for usage)\n`;
}

/**
 * Builds the commander program with `target`'s real registration (every other command is a stub carrying its
 * summary, enough for the root help); `target` null registers none, "*" all of them. `setCode` receives the exit
 * code of the action that ran.
 */
export async function buildProgram(
  setCode: (code: number) => void,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  target: string | null = "*",
  argv?: string[],
): Promise<Command> {
  const program = new Command("openrs-eval")
    .description("Evaluation tools for math reasoning: grade completions, run benchmarks, serve RL rewards.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s), outputError: (s, write) => write(oneLineError(s)) })
    .option("-V, --version", "print the package, grader and native engine versions");
  const ctx: CommandContext = { setCode, out, err, ...(argv ? { argv } : {}) };
  for (const c of COMMANDS) {
    if (target === "*" || target === c.name) {
      (await c.load())(program, ctx);
      program.commands.at(-1)?.summary(c.summary);
    } else {
      program.command(c.name, c.isDefault ? { isDefault: true } : {}).summary(c.summary);
    }
  }
  return program;
}

/** Runs the CLI with the given argv (node-style, including the node and script paths); resolves to the exit code. */
export async function main(argv: string[] = process.argv, out = process.stdout, err = process.stderr): Promise<number> {
  let code = 0;
  const args = argv.slice(2);
  if (args[0] === "-V" || args[0] === "--version") {
    out.write(`${versionText()}\n`);
    return 0;
  }
  const uninstall = installSignalFallback(err);
  try {
    const program = await buildProgram((c) => {
      code = c;
    }, out, err, targetCommand(args), args);
    if (args.length === 0) {
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof UsageError || e instanceof FsPathError) {
      err.write(`openrs-eval: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if ((e as { code?: unknown } | null)?.code === "EPIPE") return 0; // output closed early (e.g. piped into head)
    const message = fsErrorMessage(e) ?? (e instanceof Error ? e.message : String(e));
    err.write(`openrs-eval: ${message}\n`);
    return EXIT_FAILURE;
  } finally {
    uninstall();
  }
}
