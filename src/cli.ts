// The openrs-eval command line: argument parsing and printing only; the work is done by library functions.
import { Command, CommanderError } from "commander";
import { type CommandContext, EXIT_FAILURE, EXIT_USAGE, UsageError } from "./cli-common.js";
import { registerBench } from "./commands/bench.js";
import { registerData } from "./commands/data.js";
import { registerCompare } from "./commands/compare.js";
import { registerGrade } from "./commands/grade.js";
import { registerLeaderboard } from "./commands/leaderboard.js";
import { registerRegrade } from "./commands/regrade.js";
import { registerRun } from "./commands/run.js";
import { registerServeRewards } from "./commands/serve-rewards.js";
import { registerModel } from "./commands/model.js";
import { registerTrain } from "./commands/train.js";

export { EXIT_FAILURE, EXIT_USAGE } from "./cli-common.js";
export { verdictTable } from "./commands/grade.js";

/** Every subcommand registers itself here; each lives in src/commands/<name>.ts. */
const COMMANDS: ((program: Command, ctx: CommandContext) => void)[] = [registerGrade, registerBench, registerData, registerServeRewards, registerRun, registerCompare, registerRegrade, registerLeaderboard, registerModel, registerTrain];

/** Builds the commander program; `setCode` receives the exit code of the action that ran. */
export function buildProgram(setCode: (code: number) => void, out = process.stdout, err = process.stderr): Command {
  const program = new Command("openrs-eval")
    .description("Evaluation tools for math reasoning: grade completions against gold answers.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .showHelpAfterError("(run with --help for usage)");
  const ctx: CommandContext = { setCode, out, err };
  for (const register of COMMANDS) register(program, ctx);
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
