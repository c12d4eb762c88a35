// `openrs-eval train sft|plot`: supervised fine-tuning on prompt/completion pairs and training-curve plots, thin CLI
// over trainer/sft and trainer/plot (registered by src/cli.ts).
import { resolveModelSpec } from "../shipped-models.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Command, Option } from "commander";
import { type CommandContext, intInRange, numberInRange, positiveInt, positiveNumber, UsageError } from "../cli-common.js";
import type { Progress } from "../progress.js";
import { fmtRate, requirePaths, stepProgress, writeCurves } from "./train-common.js";
import { registerTrainExport } from "./train-export.js";
import { registerTrainGrpo } from "./train-grpo.js";
import { nativeStatus } from "../../native/ts/native.js";
import type { TrainEngine } from "../../trainer/engine.js";
import { ENGINES, type EngineName, nativeEngineModule, openEngine } from "../../trainer/engines/index.js";
import { SCHEDULES, type ScheduleName } from "../../trainer/optim/schedule.js";
import { plotSvg, readMetrics } from "../../trainer/plot.js";
import { SftDataError } from "../../trainer/sft/data.js";
import { RUN_FILE, RunDirError } from "../../trainer/sft/run-dir.js";
import { runSft, type SftOptions, TrainingError } from "../../trainer/sft/train.js";

interface SftFlags {
  model: string;
  data: string;
  out: string;
  epochs: number;
  lr: number;
  batchTokens: number;
  maxLen?: number;
  seed: number;
  maxSteps?: number;
  schedule: ScheduleName;
  warmupRatio: number;
  warmupSteps?: number;
  minLrRate: number;
  weightDecay: number;
  maxGradNorm: number;
  dtype: "f32" | "bf16";
  saveEvery: number;
  keep: number;
  engine: "auto" | EngineName;
  skipBad?: boolean;
  resume?: boolean;
  quiet?: boolean;
}

/** Default max length when --max-len is not given: the model's context, capped (a long context is rarely needed for SFT). */
const DEFAULT_MAX_LEN = 2048;

/** --engine auto: the engine a resumed run started with, else native when it loads, else the float64 reference. */
async function chooseEngine(flags: SftFlags, note: (s: string) => void): Promise<EngineName> {
  if (flags.engine !== "auto") return flags.engine;
  const runFile = join(flags.out, RUN_FILE);
  if (flags.resume && existsSync(runFile)) {
    const recorded = (JSON.parse(readFileSync(runFile, "utf8")) as { engine?: string }).engine;
    if (recorded === "native" || recorded === "reference") return recorded;
  }
  const mod = await nativeEngineModule();
  const lib = nativeStatus();
  if (typeof mod !== "string" && lib.available) return "native";
  note(`engine: reference (float64, tiny models only) because ${typeof mod === "string" ? mod : lib.reason}`);
  return "reference";
}

const fmtLoss = (x: number): string => (x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(4));

export function registerTrain(program: Command, ctx: CommandContext): void {
  const train = program.command("train").description("Train a checkpoint: supervised fine-tuning, GRPO with a recipe's rewards, plots of the training curves, and exports of a recipe to TRL, verl and OpenRLHF.");
  train
    .command("sft")
    .description(
      "Supervised fine-tuning on prompt/completion JSONL pairs ({\"prompt\": ..., \"completion\": ...} per line): the prompt is the user turn " +
        "rendered with the model's chat template, the loss is the mean NLL of the completion tokens (+ EOS).",
    )
    .requiredOption("--model <dir>", "Hugging Face checkpoint directory to start from")
    .requiredOption("--data <file>", "training data, JSONL with string fields prompt and completion")
    .requiredOption("--out <dir>", "output directory: metrics.jsonl, metrics.svg, checkpoint-NNNNNN/, final/")
    .option("--epochs <n>", "passes over the data", positiveInt("--epochs"), 1)
    .option("--lr <x>", "peak learning rate", positiveNumber("--lr"), 1e-5)
    .option("--batch-tokens <n>", "tokens per optimizer step (sequences packed greedily up to this)", positiveInt("--batch-tokens"), 8192)
    .option("--max-len <n>", `sequence length cap; longer examples lose the end of their completion (default: the model's context, at most ${DEFAULT_MAX_LEN})`, positiveInt("--max-len"))
    .option("--seed <n>", "shuffling seed", intInRange("--seed", 0, 2 ** 32 - 1), 42)
    .option("--max-steps <n>", "stop after this many steps (the schedule's length too)", positiveInt("--max-steps"))
    .addOption(new Option("--schedule <name>", "learning-rate schedule").choices(SCHEDULES).default("cosine_with_min_lr"))
    .option("--warmup-ratio <x>", "warmup as a share of the steps", numberInRange("--warmup-ratio", 0, 1), 0.05)
    .option("--warmup-steps <n>", "warmup in steps (wins over --warmup-ratio)", positiveInt("--warmup-steps"))
    .option("--min-lr-rate <x>", "cosine_with_min_lr: final lr as a share of --lr", numberInRange("--min-lr-rate", 0, 1), 0.1)
    .option("--weight-decay <x>", "AdamW decoupled weight decay (not on biases and norms)", numberInRange("--weight-decay", 0, 1), 0)
    .option("--max-grad-norm <x>", "global gradient-norm clipping (0 = none)", numberInRange("--max-grad-norm", 0, Number.MAX_VALUE), 1)
    .addOption(new Option("--dtype <dtype>", "weight dtype of saved checkpoints (bf16 rounds to nearest even)").choices(["f32", "bf16"]).default("f32"))
    .option("--save-every <n>", "checkpoint every N steps (0 = only at the end)", intInRange("--save-every", 0), 100)
    .option("--keep <n>", "checkpoints kept (oldest removed)", positiveInt("--keep"), 2)
    .addOption(new Option("--engine <name>", "training engine (auto: native when available, else reference)").choices(["auto", ...ENGINES]).default("auto"))
    .option("--skip-bad", "skip malformed data lines (counted) instead of stopping at the first")
    .option("--resume", "continue the run in --out from its latest checkpoint")
    .option("-q, --quiet", "no progress on stderr")
    .action(async (flags: SftFlags) => {
      const err = ctx.err as NodeJS.WritableStream & { isTTY?: boolean };
      if (flags.model !== undefined) flags.model = resolveModelSpec(flags.model); // a shipped model's short name
      requirePaths([
        ["--model", flags.model],
        ["--data", flags.data],
      ]);
      const name = await chooseEngine(flags, (s) => err.write(`${s}\n`));
      let engine: TrainEngine;
      try {
        engine = await openEngine(name, flags.model);
      } catch (e) {
        throw new UsageError((e as Error).message.split("\n")[0]);
      }
      const bar: { p: Progress | null } = { p: null };
      let firstStep = 0;
      try {
        const o: SftOptions = {
          model: flags.model,
          data: flags.data,
          out: flags.out,
          epochs: flags.epochs,
          lr: flags.lr,
          batchTokens: flags.batchTokens,
          maxLen: flags.maxLen ?? Math.min(DEFAULT_MAX_LEN, engine.maxPositions, flags.batchTokens),
          seed: flags.seed,
          maxSteps: flags.maxSteps,
          schedule: flags.schedule,
          warmupRatio: flags.warmupRatio,
          ...(flags.warmupSteps !== undefined ? { warmupSteps: flags.warmupSteps } : {}),
          minLrRate: flags.minLrRate,
          weightDecay: flags.weightDecay,
          maxGradNorm: flags.maxGradNorm > 0 ? flags.maxGradNorm : null,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          dtype: flags.dtype,
          saveEvery: flags.saveEvery,
          keep: flags.keep,
          skipBad: Boolean(flags.skipBad),
          resume: Boolean(flags.resume),
          engine: name,
        };
        const r = await runSft(engine, o, {
          onStart: ({ totalSteps, startStep, data }) => {
            const notes = [`${data.examples.length} examples`, `${totalSteps} steps`, `engine ${name}`];
            if (startStep) notes.push(`resuming after step ${startStep}`);
            if (data.skipped) notes.push(`${data.skipped} malformed line(s) skipped (first: ${data.skippedReasons[0]})`);
            if (data.truncated) notes.push(`${data.truncated} truncated to --max-len ${o.maxLen}`);
            if (data.dropped) notes.push(`${data.dropped} dropped (prompt of --max-len tokens or more)`);
            if (!flags.quiet) err.write(`sft: ${notes.join(", ")}\n`);
            firstStep = startStep;
            if (!flags.quiet) bar.p = stepProgress(err, "sft", startStep, totalSteps);
          },
          onStep: (m) => {
            bar.p?.update(m.step - firstStep, `loss ${fmtLoss(m.loss)} ${fmtRate(m.tokens_per_s)} tok/s`);
          },
        });
        bar.p?.finish();
        const curves = writeCurves(flags.out, `SFT ${flags.model}`);
        const lines = [
          r.startStep === r.totalSteps
            ? `sft: already complete (${r.totalSteps} steps); wrote ${r.finalDir}`
            : `sft: trained steps ${r.startStep + 1}..${r.totalSteps}${r.lastLoss !== null ? `, last loss ${fmtLoss(r.lastLoss)}` : ""}; model in ${r.finalDir}`,
          curves,
        ];
        ctx.out.write(`${lines.join("\n")}\n`);
        ctx.setCode(0);
      } catch (e) {
        bar.p?.finish();
        if (e instanceof SftDataError || e instanceof RunDirError) throw new UsageError(e.message);
        if (e instanceof TrainingError) throw e;
        throw new Error((e as Error).message.split("\n")[0]);
      } finally {
        engine.close();
      }
    });

  train
    .command("plot")
    .description("Write an SVG of loss and every logged metric vs step from metrics.jsonl; several directories are overlaid.")
    .argument("<dirs...>", "training output directories (each holding metrics.jsonl)")
    .option("--out <file>", "SVG to write (default: DIR/metrics.svg, or DIR/metrics-overlay.svg for several runs)")
    .option("--title <text>", "title", "training metrics")
    .action((dirs: string[], flags: { out?: string; title: string }) => {
      let svg: string;
      try {
        svg = plotSvg(
          dirs.map((d) => readMetrics(d)),
          flags.title,
        );
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const file = flags.out ?? join(dirs[0], dirs.length > 1 ? "metrics-overlay.svg" : "metrics.svg");
      if (!existsSync(dirname(file))) throw new UsageError(`directory ${dirname(file)} does not exist`);
      writeFileSync(file, svg);
      ctx.out.write(`wrote ${file}\n`);
      ctx.setCode(0);
    });
  registerTrainGrpo(train, ctx);
  registerTrainExport(train, ctx);
}
