// train-grpo.ts: `openrs-eval train grpo`, a thin CLI over trainer/grpo/loop.ts with the held-out evaluation hook.
import { join } from "node:path";
import { type Command, Option } from "commander";
import { NativeBackend } from "../backends/native.js";
import { type CommandContext, intInRange, positiveInt, UsageError } from "../cli-common.js";
import type { Progress } from "../progress.js";
import { fmtRate, requirePaths, stepProgress, writeCurves } from "./train-common.js";
import { chatTemplateRenderer, prepareSuites } from "../runner/prepare.js";
import { resolveModelSpec } from "../shipped-models.js";
import { PAPER_SAMPLING, runEval } from "../runner/runner.js";
import { nativeStatus } from "../../native/ts/native.js";
import { GrpoDataError } from "../../trainer/grpo/data.js";
import { GrpoError, type GrpoHooks, type LiveEngine, runGrpo } from "../../trainer/grpo/loop.js";
import { loadRecipe, type Recipe } from "../../trainer/recipe.js";
import { RewardScorer } from "../../trainer/scorer.js";

interface GrpoFlags {
  recipe: string;
  model: string;
  data: string;
  out: string;
  maxSteps?: number;
  seed?: number;
  evalEvery: number;
  evalBench?: string;
  evalDataDir?: string;
  evalLimit?: number;
  evalSamples: number;
  evalMaxTokens?: number;
  completionsEvery: number;
  keep: number;
  problemField?: string;
  goldField?: string;
  dtype: "f32" | "bf16";
  threads: number;
  jobs: number;
  quiet?: boolean;
}

const f3 = (x: unknown): string => (typeof x === "number" && Number.isFinite(x) ? (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(1) : x.toFixed(3)) : "-");

/** The held-out evaluation: the saved weights through the same runner, grader and chat-template prompt as `run`. */
function evaluator(flags: GrpoFlags, recipe: Recipe): GrpoHooks["evaluate"] {
  const bench = flags.evalBench as string;
  return async ({ modelDir }): Promise<Record<string, number | string | null>> => {
    const backend = await NativeBackend.open(modelDir, { device: "cpu", threads: flags.threads || undefined });
    try {
      const suites = prepareSuites(bench, { dataDir: flags.evalDataDir, limit: flags.evalLimit });
      const prompt = chatTemplateRenderer(modelDir);
      const runDir = join(modelDir, "..", "run");
      const r = await runEval({
        backend,
        suites,
        render: prompt.render,
        promptFormat: prompt.format,
        out: runDir,
        samples: flags.evalSamples,
        sampling: { ...PAPER_SAMPLING, maxNewTokens: flags.evalMaxTokens ?? recipe.maxCompletionLength ?? PAPER_SAMPLING.maxNewTokens },
        limit: flags.evalLimit ?? null,
        k: [1],
        concurrency: 64,
        jobs: flags.jobs,
        progress: "off",
      });
      const overall = r.manifest.metrics?.overall ?? Object.values(r.manifest.metrics?.suites ?? {})[0] ?? null;
      if (!overall) return { "eval/pass@1": null, "eval/run_dir": runDir };
      return { "eval/pass@1": overall.scores[overall.primary] ?? null, "eval/pass@1/lo": overall.ci95.lo, "eval/pass@1/hi": overall.ci95.hi, "eval/run_dir": runDir };
    } finally {
      await backend.close();
    }
  };
}

async function runGrpoCommand(flags: GrpoFlags, ctx: CommandContext): Promise<number> {
  const err = ctx.err as NodeJS.WritableStream & { isTTY?: boolean };
  if (flags.model !== undefined) flags.model = resolveModelSpec(flags.model); // a shipped model's short name
  requirePaths([
    ["--model", flags.model],
    ["--data", flags.data],
  ]);
  if (flags.evalEvery > 0 && !flags.evalBench) throw new UsageError("--eval-every needs --eval-bench (the held-out suite(s), e.g. math500)");
  let recipe: Recipe;
  try {
    recipe = loadRecipe(flags.recipe);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (flags.evalEvery > 0) {
    // the held-out suites are read now, so a missing or corrupt one fails before any training step
    try {
      prepareSuites(flags.evalBench as string, { dataDir: flags.evalDataDir, limit: flags.evalLimit });
    } catch (e) {
      throw new UsageError(`--eval-bench: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  const lib = nativeStatus();
  if (!lib.available) throw new UsageError(`train grpo needs the native engine (${lib.reason}); run npm run build:native`);
  const { NativeTrainEngine } = await import("../../trainer/engines/native.js");
  let engine: LiveEngine;
  try {
    engine = await NativeTrainEngine.open(flags.model, { threads: flags.threads || undefined });
  } catch (e) {
    throw new UsageError(`--model ${flags.model}: ${(e as Error).message.split("\n")[0]}`);
  }
  const scorer = new RewardScorer({ recipe, jobs: flags.jobs });
  const bar: { p: Progress | null } = { p: null };
  let first = 0;
  try {
    const r = await runGrpo(
      engine,
      scorer,
      {
        recipe,
        model: flags.model,
        data: flags.data,
        out: flags.out,
        maxSteps: flags.maxSteps,
        seed: flags.seed,
        completionsEvery: flags.completionsEvery,
        keep: flags.keep,
        problemField: flags.problemField,
        goldField: flags.goldField,
        dtype: flags.dtype,
        evalEvery: flags.evalEvery,
      },
      {
        onStart: ({ totalSteps, startStep, data }) => {
          const notes = [`recipe ${recipe.name}`, `${data.prompts.length} prompts`, `${totalSteps} steps`, `${recipe.training.numGenerations} generations`];
          if (startStep) notes.push(`resuming after step ${startStep}`);
          if (data.truncated) notes.push(`${data.truncated} prompt(s) over max_prompt_length ${recipe.training.maxPromptLength} cut from the left`);
          if (data.skipped) notes.push(`${data.skipped} prompt(s) over max_prompt_length ${recipe.training.maxPromptLength} skipped`);
          if (!flags.quiet) err.write(`grpo: ${notes.join(", ")}\n`);
          first = startStep;
          if (!flags.quiet) bar.p = stepProgress(err, "grpo", startStep, totalSteps);
        },
        onStep: (m) => {
          const tps = m.tokens_per_s as number;
          bar.p?.update(
            m.step - first,
            `reward ${f3(m.reward)} acc ${f3(m.accuracy)} len ${f3(m["completions/mean_length"]).replace(/\.?0+$/, "")} kl ${f3(m.kl)} ${fmtRate(tps)} tok/s`,
          );
        },
        ...(flags.evalEvery > 0 ? { evaluate: evaluator(flags, recipe) } : {}),
      },
    );
    bar.p?.finish();
    const curves = writeCurves(flags.out, `GRPO ${recipe.name} on ${flags.model}`);
    const m = r.last;
    const lines = [
      r.startStep === r.totalSteps
        ? `grpo: already complete (${r.totalSteps} steps); model in ${r.finalDir}`
        : `grpo: trained steps ${r.startStep + 1}..${r.totalSteps}${m ? `, last reward ${f3(m.reward)}, accuracy ${f3(m.accuracy)}` : ""}; model in ${r.finalDir}`,
      curves,
    ];
    ctx.out.write(`${lines.join("\n")}\n`);
    return 0;
  } catch (e) {
    bar.p?.finish();
    if (e instanceof GrpoDataError) throw new UsageError(e.message);
    if (e instanceof GrpoError) throw e;
    throw new Error((e as Error).message.split("\n")[0]);
  } finally {
    await scorer.close();
    engine.close();
  }
}

/** Adds `grpo` to the `train` command. */
export function registerTrainGrpo(train: Command, ctx: CommandContext): void {
  train
    .command("grpo")
    .description(
      "GRPO on the native engine: G completions per prompt from the live weights, the recipe's rewards (the evaluation grader), " +
        "group-relative advantages, the paper's loss (recipe training: block). Rerun the same command to resume after a kill.",
    )
    .requiredOption("--recipe <file|name>", "recipe file or shipped recipe name (rewards, prompt, training: block)")
    .requiredOption("--model <dir>", "Hugging Face checkpoint directory to start from (also the KL reference)")
    .requiredOption("--data <file>", "training prompts, JSONL with a problem field (problem|prompt|question) and a gold field (answer|solution)")
    .requiredOption("--out <dir>", "output directory: metrics.jsonl, completions.jsonl, metrics.svg, checkpoint-NNNNNN/, final/, eval/")
    .option("--max-steps <n>", "steps (overrides training.max_steps)", positiveInt("--max-steps"))
    .option("--seed <n>", "seed (overrides training.seed)", intInRange("--seed", 0, 2 ** 32 - 1))
    .option("--eval-every <n>", "held-out evaluation every N steps and at the end (0 = none)", intInRange("--eval-every", 0), 0)
    .option("--eval-bench <names>", "suite(s) for the held-out evaluation, as run --bench")
    .option("--eval-data-dir <dir>", "suite data directory, as run --data-dir")
    .option("--eval-limit <n>", "problems per suite in the held-out evaluation", positiveInt("--eval-limit"))
    .option("--eval-samples <n>", "samples per problem in the held-out evaluation", positiveInt("--eval-samples"), 1)
    .option("--eval-max-tokens <n>", "new-token limit of the held-out evaluation (default: the recipe's max_completion_length)", positiveInt("--eval-max-tokens"))
    .option("--completions-every <n>", "write sampled completions to completions.jsonl every N steps (0 = never)", intInRange("--completions-every", 0), 10)
    .option("--keep <n>", "checkpoints kept (oldest removed)", positiveInt("--keep"), 2)
    .option("--problem-field <name>", "data field holding the problem")
    .option("--gold-field <name>", "data field holding the gold answer")
    .addOption(new Option("--dtype <dtype>", "weight dtype of saved checkpoints").choices(["f32", "bf16"]).default("f32"))
    .option("--threads <n>", "engine threads (0 = all cores)", intInRange("--threads", 0), 0)
    .option("--jobs <n>", "grader worker threads", positiveInt("--jobs"), 2)
    .option("-q, --quiet", "no progress on stderr")
    .action(async (flags: GrpoFlags) => {
      ctx.setCode(await runGrpoCommand(flags, ctx));
    });
}
