// `openrs-eval train export`: writes a recipe as a TRL, verl or OpenRLHF run (config, reward glue, run.sh, and a
// table of the settings whose semantics differ). Registered under the `train` command by registerTrainExport.
import { existsSync, readdirSync } from "node:fs";
import type { Command } from "commander";
import { loadRecipe, type Recipe } from "../../trainer/recipe.js";
import { DEFAULT_MODEL, DEFAULT_PORT, ENGINES, type ExportEngine, exportRecipe, readDataRows, writeExport } from "../../trainer/export/index.js";
import { type CommandContext, intInRange, UsageError } from "../cli-common.js";

interface ExportFlags {
  recipe: string;
  engine: string;
  out: string;
  model: string;
  data?: string;
  goldField: string;
  port: number;
  cli: string;
  force?: boolean;
}

async function runExport(flags: ExportFlags, { out }: CommandContext): Promise<number> {
  if (!(ENGINES as readonly string[]).includes(flags.engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(", ")} (got "${flags.engine}")`);
  let recipe: Recipe;
  try {
    recipe = loadRecipe(flags.recipe);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (existsSync(flags.out) && readdirSync(flags.out).length > 0 && !flags.force) throw new UsageError(`--out ${flags.out} is not empty (pass --force to write into it)`);
  const dataRows = flags.data ? readDataRows(flags.data, flags.goldField) : null;
  const result = exportRecipe(flags.engine as ExportEngine, { recipe, model: flags.model, dataRows, port: flags.port, cli: flags.cli });
  const files = writeExport(flags.out, result);
  out.write(`${flags.engine} export of ${recipe.name} in ${flags.out}: ${files.join(", ")}\n`);
  out.write(`${result.differences.length} settings differ in semantics: see ${flags.out}/differences.md; start with ${flags.out}/run.sh\n`);
  return 0;
}

/** Adds `export` to the `train` command. */
export function registerTrainExport(train: Command, ctx: CommandContext): void {
  train
    .command("export")
    .description("write a recipe as a TRL, verl or OpenRLHF run: config, reward glue calling serve-rewards, run.sh, and a table of semantic differences")
    .requiredOption("--recipe <name|file>", "recipe file or shipped recipe name")
    .requiredOption("--engine <engine>", `target engine: ${ENGINES.join(" | ")}`)
    .requiredOption("--out <dir>", "output directory (created; must be empty unless --force)")
    .option("--model <dir|id>", "policy checkpoint (local directory or hub id)", DEFAULT_MODEL)
    .option("--data <file>", "training rows as JSONL with problem and the gold field (default: the recipe's hub dataset, fetched on the training machine)")
    .option("--gold-field <name>", "gold answer field of --data rows", "solution")
    .option("--port <n>", "port serve-rewards listens on in run.sh", intInRange("--port", 1, 65535), DEFAULT_PORT)
    .option("--cli <command>", "how run.sh invokes openrs-eval on the training machine", "npx openrs-eval")
    .option("--force", "write into a non-empty --out")
    .action(async (flags: ExportFlags) => ctx.setCode(await runExport(flags, ctx)));
}
