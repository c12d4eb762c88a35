// The recipe's `training:` block: the paper's GRPO settings (open-rs recipes/grpo.yaml, TRL GRPOConfig names where
// TRL has the setting), its defaults, and its validator. Every bad key or value is one line naming the key.
import { LOGPROB_TEMPERATURES, LOSS_TYPES, type LogprobTemperature, type LossType } from "./grpo/loss.js";
import { SCALE_REWARDS, type ScaleRewards } from "./grpo/advantages.js";
import { SCHEDULES, type ScheduleName } from "./optim/schedule.js";

export const LONG_PROMPTS = ["truncate_left", "skip"] as const;
export type LongPrompts = (typeof LONG_PROMPTS)[number];
export const REWARD_TIMEOUTS = ["wrong", "exclude"] as const;
export type RewardTimeout = (typeof REWARD_TIMEOUTS)[number];

export interface TrainingConfig {
  learningRate: number;
  lrSchedulerType: ScheduleName;
  /** cosine_with_min_lr's floor as a share of the learning rate (HF lr_scheduler_kwargs.min_lr_rate). */
  minLrRate: number | null;
  warmupRatio: number;
  maxSteps: number;
  numGenerations: number;
  temperature: number;
  maxPromptLength: number;
  /** What happens to a prompt longer than maxPromptLength: keep its last tokens (TRL) or skip it (counted). */
  longPrompts: LongPrompts;
  perDeviceTrainBatchSize: number;
  gradientAccumulationSteps: number;
  seed: number;
  saveSteps: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  weightDecay: number;
  /** null = no clipping. */
  maxGradNorm: number | null;
  lossType: LossType;
  beta: number;
  epsilon: number;
  /** null = epsilon (symmetric clipping). */
  epsilonHigh: number | null;
  numIterations: number;
  scaleRewards: ScaleRewards;
  maskTruncatedCompletions: boolean;
  dynamicSampling: boolean;
  /** Most generation rounds one step may take to refill dropped groups before it trains on what it has. */
  dynamicSamplingMaxRounds: number;
  logprobTemperature: LogprobTemperature;
  /** A completion whose grading ran past the grader's budget: a wrong verdict (the pool's answer), or excluded from its group (null reward). */
  rewardTimeout: RewardTimeout;
}

type Check = (v: unknown) => string | null;
const num =
  (lo: number, hi: number, loOpen = false, hiOpen = false): Check =>
  (v) =>
    typeof v === "number" && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi)
      ? null
      : `must be a number in ${loOpen ? "(" : "["}${lo}, ${hi === Number.MAX_VALUE ? "inf" : hi}${hiOpen ? ")" : "]"}`;
const int =
  (lo: number, hi = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi ? null : `must be an integer >= ${lo}${hi < Number.MAX_SAFE_INTEGER ? ` and <= ${hi}` : ""}`;
const oneOf =
  (xs: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && xs.includes(v) ? null : `must be one of ${xs.join(", ")}`;
const bool: Check = (v) => (typeof v === "boolean" ? null : "must be true or false");
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null ? null : c(v) && `${c(v)} or null`;

const POS = Number.MAX_VALUE;

/** YAML key -> [TS field, check, default]. The defaults are the paper's (open-rs recipes/grpo.yaml + TRL defaults at the pin). */
const FIELDS = {
  learning_rate: ["learningRate", num(0, 1, true), 1e-6],
  lr_scheduler_type: ["lrSchedulerType", oneOf(SCHEDULES), "cosine_with_min_lr"],
  min_lr_rate: ["minLrRate", orNull(num(0, 1)), 0.1],
  warmup_ratio: ["warmupRatio", num(0, 1, false, true), 0.1],
  max_steps: ["maxSteps", int(1), 500],
  num_generations: ["numGenerations", int(2), 6],
  temperature: ["temperature", num(0, POS, true), 0.7],
  max_prompt_length: ["maxPromptLength", int(1), 512],
  long_prompts: ["longPrompts", oneOf(LONG_PROMPTS), "truncate_left"],
  per_device_train_batch_size: ["perDeviceTrainBatchSize", int(1), 6],
  gradient_accumulation_steps: ["gradientAccumulationSteps", int(1), 4],
  seed: ["seed", int(0, 0xffffffff), 42],
  save_steps: ["saveSteps", int(1), 50],
  adam_beta1: ["adamBeta1", num(0, 1, false, true), 0.9],
  adam_beta2: ["adamBeta2", num(0, 1, false, true), 0.999],
  adam_epsilon: ["adamEpsilon", num(0, 1, true), 1e-8],
  weight_decay: ["weightDecay", num(0, POS), 0],
  max_grad_norm: ["maxGradNorm", orNull(num(0, POS, true)), 1.0],
  loss_type: ["lossType", oneOf(LOSS_TYPES), "bnpo"],
  beta: ["beta", num(0, POS), 0.04],
  epsilon: ["epsilon", num(0, 1, true, true), 0.2],
  epsilon_high: ["epsilonHigh", orNull(num(0, POS, true)), null],
  num_iterations: ["numIterations", int(1), 1],
  scale_rewards: ["scaleRewards", oneOf(SCALE_REWARDS), "group"],
  mask_truncated_completions: ["maskTruncatedCompletions", bool, false],
  dynamic_sampling: ["dynamicSampling", bool, false],
  dynamic_sampling_max_rounds: ["dynamicSamplingMaxRounds", int(1, 100), 4],
  logprob_temperature: ["logprobTemperature", oneOf(LOGPROB_TEMPERATURES), "raw"],
  reward_timeout: ["rewardTimeout", oneOf(REWARD_TIMEOUTS), "wrong"],
} as const satisfies Record<string, readonly [keyof TrainingConfig, Check, unknown]>;

export const TRAINING_KEYS = Object.keys(FIELDS) as (keyof typeof FIELDS)[];

/** DAPO's own defaults when the recipe picks loss_type dapo and leaves these unset (Yu et al. 2025: no KL, clip-higher 0.28). */
const DAPO_DEFAULTS: Partial<Record<keyof typeof FIELDS, unknown>> = { beta: 0, epsilon_high: 0.28 };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Validates a `training:` mapping (absent = every default) and fills the defaults in. Throws `training.<key> ...`. */
export function parseTrainingConfig(raw: unknown): TrainingConfig {
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) throw new Error('"training" must be a mapping of settings');
  for (const k of Object.keys(raw)) {
    if (!(k in FIELDS)) throw new Error(`unknown field "training.${k}" (known: ${TRAINING_KEYS.join(", ")})`);
  }
  const out: Record<string, unknown> = {};
  const dapo = raw.loss_type === "dapo";
  for (const key of TRAINING_KEYS) {
    const [field, check, def] = FIELDS[key];
    const given = raw[key] !== undefined;
    const v = given ? raw[key] : dapo && key in DAPO_DEFAULTS ? DAPO_DEFAULTS[key] : def;
    const why = check(v);
    if (why) throw new Error(`"training.${key}" ${why} (got ${JSON.stringify(v)})`);
    out[field] = v;
  }
  const c = out as unknown as TrainingConfig;
  if (c.lrSchedulerType !== "cosine_with_min_lr") {
    if (raw.min_lr_rate !== undefined && raw.min_lr_rate !== null) throw new Error(`"training.min_lr_rate" applies only to lr_scheduler_type cosine_with_min_lr (got ${c.lrSchedulerType})`);
    c.minLrRate = null;
  } else if (c.minLrRate === null) throw new Error('"training.min_lr_rate" is required by cosine_with_min_lr');
  if (c.lrSchedulerType === "constant" && c.warmupRatio > 0) throw new Error('"training.warmup_ratio" must be 0 with lr_scheduler_type constant (use constant_with_warmup)');
  if (c.perDeviceTrainBatchSize % c.numGenerations !== 0) {
    throw new Error(`"training.per_device_train_batch_size" (${c.perDeviceTrainBatchSize}) must be a multiple of num_generations (${c.numGenerations}): micro-batches hold whole prompt groups`);
  }
  if (c.epsilonHigh !== null && c.epsilonHigh < c.epsilon) throw new Error(`"training.epsilon_high" (${c.epsilonHigh}) must be >= epsilon (${c.epsilon})`);
  return c;
}

/** Prompt groups per micro-batch and per optimizer step. */
export function groupsPerStep(c: TrainingConfig): { microBatchGroups: number; groupsPerStep: number } {
  const microBatchGroups = c.perDeviceTrainBatchSize / c.numGenerations;
  return { microBatchGroups, groupsPerStep: microBatchGroups * c.gradientAccumulationSteps };
}
