// schedule.ts: learning-rate schedules with the formulas of Hugging Face transformers' get_scheduler
// (optimization.py), so a recipe written for TRL/open-r1 gets the same learning rate at every step.
//
// Step convention (torch's LambdaLR, as the HF Trainer drives it): the k-th optimizer step (k = 0, 1, ...) uses
// lr · lambda(k), and the scheduler advances after the step. With warmup the very first step therefore has lr 0.

export const SCHEDULES = ["constant", "constant_with_warmup", "linear", "cosine", "cosine_with_min_lr"] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface ScheduleOptions {
  name: ScheduleName;
  /** Peak learning rate (the optimizer's lr). */
  lr: number;
  /** Total optimizer steps (num_training_steps). */
  totalSteps: number;
  /** Warmup steps; wins over warmupRatio when > 0, as in TrainingArguments.get_warmup_steps. */
  warmupSteps?: number;
  /** Warmup as a share of totalSteps, rounded up (ceil(totalSteps · ratio)). */
  warmupRatio?: number;
  /** Cosine schedules: number of cosine waves (HF default 0.5: one half-wave from lr down to the floor). */
  numCycles?: number;
  /** cosine_with_min_lr: the floor as a share of lr ... */
  minLrRate?: number;
  /** ... or as an absolute learning rate (exactly one of the two). */
  minLr?: number;
}

function fail(msg: string): never {
  throw new Error(`lr schedule: ${msg}`);
}

/** TrainingArguments.get_warmup_steps: warmup_steps if > 0, else ceil(total · warmup_ratio). */
export function warmupStepsOf(o: Pick<ScheduleOptions, "totalSteps" | "warmupSteps" | "warmupRatio">): number {
  const ws = o.warmupSteps ?? 0;
  const ratio = o.warmupRatio ?? 0;
  if (!Number.isInteger(ws) || ws < 0) fail(`warmupSteps must be an integer >= 0 (got ${ws})`);
  if (!(ratio >= 0 && ratio <= 1)) fail(`warmupRatio must be in [0, 1] (got ${ratio})`);
  return ws > 0 ? ws : Math.ceil(o.totalSteps * ratio);
}

/** The multiplier lambda(step) of lr, after transformers' lr_lambda functions. Throws a one-line reason on bad options. */
export function lrLambda(o: ScheduleOptions): (step: number) => number {
  if (!SCHEDULES.includes(o.name)) fail(`unknown schedule '${o.name}' (known: ${SCHEDULES.join(", ")})`);
  if (!(Number.isFinite(o.lr) && o.lr >= 0)) fail(`lr must be a finite number >= 0 (got ${o.lr})`);
  if (!Number.isInteger(o.totalSteps) || o.totalSteps < 1) fail(`totalSteps must be an integer >= 1 (got ${o.totalSteps})`);
  const warmup = warmupStepsOf(o);
  const cycles = o.numCycles ?? 0.5;
  if (!(Number.isFinite(cycles) && cycles > 0)) fail(`numCycles must be > 0 (got ${cycles})`);
  // the warmup ramp shared by every schedule but "constant": step / max(1, warmup)
  const ramp = (step: number) => step / Math.max(1, warmup);
  const progress = (step: number) => (step - warmup) / Math.max(1, o.totalSteps - warmup);
  const cosine = (step: number, floor: number) => {
    const f = 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress(step)));
    return Math.max(0, f * (1 - floor) + floor);
  };
  switch (o.name) {
    case "constant":
      // get_constant_schedule has no warmup; transformers silently ignores one, which hides a recipe mistake
      if (warmup > 0) fail("'constant' has no warmup (use 'constant_with_warmup')");
      return () => 1;
    case "constant_with_warmup":
      return (step) => (step < warmup ? ramp(step) : 1);
    case "linear":
      return (step) => (step < warmup ? ramp(step) : Math.max(0, (o.totalSteps - step) / Math.max(1, o.totalSteps - warmup)));
    case "cosine":
      return (step) => (step < warmup ? ramp(step) : cosine(step, 0));
    case "cosine_with_min_lr": {
      if ((o.minLr === undefined) === (o.minLrRate === undefined)) fail("cosine_with_min_lr needs exactly one of minLr and minLrRate");
      const rate = o.minLrRate ?? (o.minLr as number) / o.lr;
      if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1)) fail(`min lr rate must be in [0, 1] (got ${rate})`);
      return (step) => (step < warmup ? ramp(step) : cosine(step, rate));
    }
  }
}

/** The learning rate of every optimizer step: lrAt(k) for k = 0 .. totalSteps - 1 (later steps follow the formula). */
export function makeSchedule(o: ScheduleOptions): { lrAt(step: number): number } {
  const lambda = lrLambda(o);
  return {
    lrAt(step: number): number {
      if (!Number.isInteger(step) || step < 0) fail(`step must be an integer >= 0 (got ${step})`);
      return o.lr * lambda(step);
    },
  };
}
