// `openrs-eval serve-rewards`: the reward server (OpenRLHF /reward, plain /score, /health) for a recipe.
import type { Command } from "commander";
import { defaultJobs } from "../../grading/pool.js";
import { DEFAULT_RECIPE_NAME, loadRecipe, type Recipe, rewardSetOf, shippedRecipes } from "../../trainer/recipe.js";
import { loadTokenCounter } from "../../trainer/rewards/tokenizer.js";
import type { TokenCounter } from "../../trainer/rewards/types.js";
import { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, startRewardServer } from "../../trainer/reward-server.js";
import { type CommandContext, intInRange, positiveInt, UsageError } from "../cli-common.js";
import { setSignalGrace } from "../signals.js";

interface ServeFlags {
  host: string;
  port: number;
  recipe: string;
  jobs?: number;
  maxBodyMb?: number;
  drainMs?: number;
}

function shippedNames(): string {
  try {
    return shippedRecipes().join(", ");
  } catch {
    return "none found";
  }
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** How often the server checks that its parent is alive (OPENRS_PARENT_POLL_MS, for tests; default 1 s). */
function watchParentMs(): number {
  const v = Number(process.env.OPENRS_PARENT_POLL_MS);
  return Number.isFinite(v) && v > 0 ? v : 1000;
}

async function runServe(flags: ServeFlags, { err }: CommandContext): Promise<number> {
  let recipe: Recipe;
  let tokenCounter: TokenCounter | undefined;
  try {
    recipe = loadRecipe(flags.recipe);
    if (recipe.tokenizer) tokenCounter = loadTokenCounter(recipe.tokenizer);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!tokenCounter && rewardSetOf(recipe).needsTokens) {
    err.write("openrs-eval serve-rewards: note: the recipe's clamped cosine needs token counts; /score callers must send completion_tokens (or set `tokenizer:` in the recipe)\n");
  }
  const jobs = flags.jobs ?? defaultJobs();
  const server = await startRewardServer({
    recipe,
    host: flags.host,
    port: flags.port,
    jobs,
    maxBodyBytes: flags.maxBodyMb !== undefined ? flags.maxBodyMb * 1024 * 1024 : DEFAULT_MAX_BODY_BYTES,
    drainMs: flags.drainMs,
    tokenCounter,
  });
  const funcs = recipe.rewardFuncs.map((f, i) => `${f}×${recipe.rewardWeights[i]}`).join(" + ");
  if (!LOOPBACK.has(flags.host)) err.write(`openrs-eval serve-rewards: WARNING: listening on ${flags.host}, not loopback; the server has no authentication\n`);
  err.write(`openrs-eval serve-rewards: listening on ${server.url} (recipe ${recipe.name}: ${funcs}; ${jobs} grader workers)\n`);
  err.write(`  POST ${server.url}/reward  (OpenRLHF: --remote_rm_url ${server.url}/reward)\n  POST ${server.url}/score   GET ${server.url}/health\n`);
  // The drain may take up to drainMs; the CLI's signal fallback waits that long (a second signal exits at once).
  setSignalGrace((flags.drainMs ?? 30_000) + 2000);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      clearInterval(watch);
      err.write(`openrs-eval serve-rewards: ${sig}, finishing in-flight requests\n`);
      server.close().then(resolve, resolve);
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    // `npx openrs-eval serve-rewards` runs this process under npm and a shell; a stop signal to npx ends those two
    // without passing it on, which used to leave the server orphaned and listening. A changed parent means the
    // process that started the server is gone: stop as on SIGTERM.
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid !== parent) stop("parent process exited");
    }, watchParentMs());
    watch.unref();
  });
  err.write("openrs-eval serve-rewards: stopped\n");
  return 0;
}

export function registerServeRewards(program: Command, ctx: CommandContext): void {
  program
    .command("serve-rewards")
    .description("Serve the RL rewards of a recipe over HTTP: POST /reward (OpenRLHF), POST /score (TRL, verl), GET /health.")
    .option("--host <addr>", "address to bind; anything but loopback must be given explicitly", DEFAULT_HOST)
    .option("--port <n>", "port (0 picks a free one)", intInRange("--port", 0, 65535), DEFAULT_PORT)
    .option("--recipe <file|name>", `recipe file (YAML/JSON) or shipped recipe name (${shippedNames()})`, DEFAULT_RECIPE_NAME)
    .option("-j, --jobs <n>", `grader worker threads (default min(cores, 4) = ${defaultJobs()} here)`, positiveInt("--jobs"))
    .option("--max-body-mb <n>", `largest request body in MiB; bigger gets 413 (default ${DEFAULT_MAX_BODY_BYTES / 1024 / 1024})`, positiveInt("--max-body-mb"))
    .option("--drain-ms <n>", "on SIGTERM, how long to wait for in-flight requests (default 30000)", positiveInt("--drain-ms"))
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  openrs-eval serve-rewards --recipe openrs-exp3 --port 8000",
        "  curl -s localhost:8000/score -d '{\"completions\": [\"...\\n</think>\\n\\\\boxed{2}\"], \"golds\": [\"2\"]}'",
      ].join("\n"),
    )
    .action(async (flags: ServeFlags) => {
      ctx.setCode(await runServe(flags, ctx));
    });
}
