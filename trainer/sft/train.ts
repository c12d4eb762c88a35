// The SFT loop over any TrainEngine: loss = mean NLL over the completion tokens of each batch (w = -1/N per scored
// token, N the batch's scored tokens), AdamW with clipping through engine.step, the learning rate from the schedule,
// one metrics line per step, checkpoints every N steps, and resume from the latest complete checkpoint to exactly
// the weights an uninterrupted run reaches (the plan of batches and every step are deterministic).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { removeStaleTemps, writeFileAtomic } from "../checkpoint.js";
import type { TrainEngine, TrainSequence } from "../engine.js";
import { makeSchedule, type ScheduleName } from "../optim/schedule.js";
import { loadSftData, type SftData } from "./data.js";
import { planBatches } from "./plan.js";
import {
  appendMetrics,
  checkpointName,
  checkRunSettings,
  completeCheckpoints,
  PROGRESS_FILE,
  pruneCheckpoints,
  removeIncompleteCheckpoints,
  STATE_DIR,
  truncateMetrics,
} from "./run-dir.js";

export interface SftOptions {
  model: string;
  data: string;
  out: string;
  epochs: number;
  lr: number;
  batchTokens: number;
  maxLen: number;
  seed: number;
  maxSteps?: number;
  schedule: ScheduleName;
  warmupRatio: number;
  /** Warmup in steps; wins over warmupRatio when > 0 (so a shorter run can repeat a longer run's first steps exactly). */
  warmupSteps?: number;
  /** cosine_with_min_lr's floor as a share of lr. */
  minLrRate: number;
  weightDecay: number;
  /** null: no clipping. */
  maxGradNorm: number | null;
  beta1: number;
  beta2: number;
  eps: number;
  /** Saved checkpoints' weight dtype. */
  dtype: "f32" | "bf16";
  /** 0: only the end of the run. */
  saveEvery: number;
  /** Complete checkpoints kept (oldest removed first). */
  keep: number;
  skipBad: boolean;
  resume: boolean;
  /** Recorded in sft-run.json: training state is engine-specific, so a resume keeps the engine. */
  engine: string;
}

export interface StepMetrics {
  step: number;
  epoch: number;
  /** Mean NLL of the batch's completion tokens before this step's update. */
  loss: number;
  lr: number;
  grad_norm: number;
  tokens: number;
  scored_tokens: number;
  sequences: number;
  tokens_per_s: number;
  elapsed_s: number;
}

export interface SftHooks {
  /** The data and plan are ready (before the first step). */
  onStart?(info: { totalSteps: number; startStep: number; data: SftData }): void;
  onStep?(m: StepMetrics, totalSteps: number): void;
  onCheckpoint?(dir: string): void;
}

export interface SftResult {
  totalSteps: number;
  startStep: number;
  finalDir: string;
  lastLoss: number | null;
  data: SftData;
}

/** A training run that cannot go on (non-finite loss or gradient): the message names the step and the tensor. */
export class TrainingError extends Error {}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export async function runSft(engine: TrainEngine, o: SftOptions, hooks: SftHooks = {}): Promise<SftResult> {
  if (o.maxLen > engine.maxPositions) throw new Error(`--max-len ${o.maxLen} exceeds the model's ${engine.maxPositions} positions`);
  if (o.batchTokens < o.maxLen) throw new Error(`--batch-tokens ${o.batchTokens} must be at least --max-len ${o.maxLen} (one sequence must fit in a batch)`);
  const data = loadSftData(o.data, o.model, { maxLen: o.maxLen, skipBad: o.skipBad });
  for (const ex of data.examples)
    for (const t of ex.tokens)
      if (!(t >= 0 && t < engine.vocabSize)) throw new Error(`${o.data}:${ex.line}: token id ${t} is outside the model's vocabulary of ${engine.vocabSize}`);
  const plan = planBatches(
    data.examples.map((e) => e.tokens.length),
    { epochs: o.epochs, batchTokens: o.batchTokens, seed: o.seed, maxSteps: o.maxSteps },
  );
  const totalSteps = plan.length;
  const schedule = makeSchedule({
    name: o.schedule,
    lr: o.lr,
    totalSteps,
    warmupRatio: o.warmupRatio,
    ...(o.warmupSteps ? { warmupSteps: o.warmupSteps } : {}),
    ...(o.schedule === "cosine_with_min_lr" ? { minLrRate: o.minLrRate } : {}),
  });

  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const { resume, saveEvery, keep, engine: engineName, ...weightSettings } = o;
  checkRunSettings(out, { ...weightSettings, model: resolve(o.model), data: resolve(o.data), dataSha256: sha256File(o.data), saveEvery, keep, engine: engineName }, resume);
  removeStaleTemps(out);
  removeIncompleteCheckpoints(out);
  let startStep = 0;
  const latest = completeCheckpoints(out).at(-1);
  if (latest) {
    await engine.loadState(join(latest.dir, STATE_DIR));
    startStep = latest.step;
  }
  truncateMetrics(out, startStep);
  hooks.onStart?.({ totalSteps, startStep, data });

  const save = async (step: number) => {
    const dir = join(out, checkpointName(step));
    await engine.saveCheckpoint(dir, { dtype: o.dtype });
    await engine.saveState(join(dir, STATE_DIR));
    writeFileAtomic(join(dir, PROGRESS_FILE), `${JSON.stringify({ step, totalSteps, seed: o.seed }, null, 1)}\n`);
    pruneCheckpoints(out, keep);
    hooks.onCheckpoint?.(dir);
  };

  const t0 = performance.now();
  let lastLoss: number | null = null;
  for (let k = startStep; k < totalSteps; k++) {
    const step = k + 1;
    const batch = plan[k];
    const ts = performance.now();
    const seqs: TrainSequence[] = batch.items.map((i) => data.examples[i]);
    const scored = seqs.reduce((a, s) => a + s.tokens.length - s.promptLen, 0);
    const weights = seqs.map((s) => new Float64Array(s.tokens.length - s.promptLen).fill(-1 / scored));
    let lps: Float64Array[];
    try {
      lps = (await engine.backward(seqs, weights)).logprobs;
    } catch (e) {
      engine.zeroGrad();
      throw new TrainingError(`step ${step}: ${(e as Error).message}`);
    }
    let nll = 0;
    lps.forEach((lp, j) => {
      for (const x of lp) nll -= x;
      if (!Number.isFinite(nll)) {
        engine.zeroGrad();
        throw new TrainingError(`step ${step}: loss is ${nll} (log-probs of data line ${data.examples[batch.items[j]].line} are not finite); nothing was applied or saved`);
      }
    });
    const loss = nll / scored;
    const lr = schedule.lrAt(k);
    let gradNorm: number;
    try {
      gradNorm = (await engine.step({ lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm })).gradNorm;
    } catch (e) {
      engine.zeroGrad();
      throw new TrainingError(`step ${step}: ${(e as Error).message}`);
    }
    const now = performance.now();
    const m: StepMetrics = {
      step,
      epoch: batch.epoch + 1,
      loss,
      lr,
      grad_norm: gradNorm,
      tokens: batch.tokens,
      scored_tokens: scored,
      sequences: seqs.length,
      tokens_per_s: batch.tokens / Math.max(1e-9, (now - ts) / 1000),
      elapsed_s: (now - t0) / 1000,
    };
    appendMetrics(out, { ...m });
    lastLoss = loss;
    hooks.onStep?.(m, totalSteps);
    if ((saveEvery > 0 && step % saveEvery === 0) || step === totalSteps) await save(step);
  }
  const finalDir = join(out, "final");
  if (!existsSync(join(finalDir, "model.safetensors")) || startStep < totalSteps) await engine.saveCheckpoint(finalDir, { dtype: o.dtype });
  return { totalSteps, startStep, finalDir, lastLoss, data };
}
