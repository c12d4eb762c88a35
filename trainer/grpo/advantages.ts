// Group-relative advantages, as TRL's GRPOTrainer computes them at the commit open-rs pinned (69ad852e):
// A_i = (R_i - mean_g) / (std_g + 1e-4), std the unbiased (n - 1) standard deviation of the group. Null rewards
// (a function that declined to score) are left out of the group statistics and get advantage 0, as later TRL does
// with nanmean/nanstd; an all-null group is a counted skip, never a NaN.

export const SCALE_REWARDS = ["group", "batch", "none"] as const;
export type ScaleRewards = (typeof SCALE_REWARDS)[number];

/** TRL adds this to the std before dividing (a constant in the trainer, not a config field). */
export const STD_EPSILON = 1e-4;
/** A group whose std is at most this counts as zero-variance (torch.isclose(std, 0) with its default atol). */
export const ZERO_STD_ATOL = 1e-8;

export interface AdvantageOptions {
  /** Completions per prompt; rewards are laid out group after group (prompt-major, as TRL's sampler orders them). */
  numGenerations: number;
  /** Whose std divides: the prompt's group (the paper), the whole batch, or nobody (Dr. GRPO). Default "group". */
  scaleRewards?: ScaleRewards;
}

export interface GroupStats {
  /** Non-null rewards in the group. */
  n: number;
  /** Mean of the non-null rewards (NaN when n = 0). */
  mean: number;
  /** Unbiased std of the non-null rewards; 0 when n < 2 (a lone reward has no spread to normalise). */
  std: number;
  /** std <= ZERO_STD_ATOL: every advantage of the group is 0, so the group teaches nothing. */
  zeroStd: boolean;
  /** No reward in the group could be scored: skipped (advantages 0), counted in `skippedGroups`. */
  skipped: boolean;
}

export interface AdvantageResult {
  /** One per completion, aligned with the input; 0 for null rewards and for skipped groups. Always finite. */
  advantages: Float64Array;
  groups: GroupStats[];
  /** Groups whose rewards were all null. */
  skippedGroups: number;
  /** Completions whose reward was null. */
  nullRewards: number;
  /** The std that divided each completion's centred reward (group std, batch std, or 1 for "none"); for logging. */
  scale: Float64Array;
  /** TRL's step statistics: mean and unbiased std of the non-null rewards, share of zero-std groups (skipped ones included). */
  stats: { reward: number; reward_std: number; frac_reward_zero_std: number };
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, std: 0 };
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / n;
  if (n < 2) return { mean, std: 0 };
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

/** Advantages of a batch of whole groups. Throws one line on a malformed batch or a non-finite reward. */
export function groupAdvantages(rewards: readonly (number | null)[], opts: AdvantageOptions): AdvantageResult {
  const G = opts.numGenerations;
  const scaleRewards = opts.scaleRewards ?? "group";
  if (!Number.isInteger(G) || G < 1) throw new Error(`advantages: numGenerations must be an integer >= 1 (got ${G})`);
  if (!SCALE_REWARDS.includes(scaleRewards)) throw new Error(`advantages: scale_rewards must be one of ${SCALE_REWARDS.join(", ")} (got ${JSON.stringify(scaleRewards)})`);
  if (rewards.length % G !== 0) throw new Error(`advantages: ${rewards.length} rewards is not a whole number of groups of ${G}`);
  rewards.forEach((r, i) => {
    if (r !== null && !Number.isFinite(r)) throw new Error(`advantages: reward ${i} is ${r} (rewards must be finite numbers or null)`);
  });
  const nGroups = rewards.length / G;
  const valid = rewards.filter((r): r is number => r !== null);
  const batch = meanStd(valid);
  const groups: GroupStats[] = [];
  const advantages = new Float64Array(rewards.length);
  const scale = new Float64Array(rewards.length);
  for (let g = 0; g < nGroups; g++) {
    const slice = rewards.slice(g * G, (g + 1) * G);
    const vals = slice.filter((r): r is number => r !== null);
    const { mean, std } = meanStd(vals);
    const skipped = vals.length === 0;
    groups.push({ n: vals.length, mean, std, zeroStd: skipped || std <= ZERO_STD_ATOL, skipped });
    const div = scaleRewards === "group" ? std + STD_EPSILON : scaleRewards === "batch" ? batch.std + STD_EPSILON : 1;
    for (let j = 0; j < G; j++) {
      const i = g * G + j;
      const r = slice[j];
      scale[i] = div;
      advantages[i] = r === null ? 0 : (r - mean) / div;
    }
  }
  const skippedGroups = groups.filter((s) => s.skipped).length;
  return {
    advantages,
    groups,
    skippedGroups,
    nullRewards: rewards.length - valid.length,
    scale,
    stats: {
      reward: valid.length ? batch.mean : Number.NaN,
      reward_std: batch.std,
      frac_reward_zero_std: nGroups ? groups.filter((s) => s.zeroStd).length / nGroups : 0,
    },
  };
}

export interface DynamicSamplingFilter {
  /** Indices of the groups to train on (non-zero variance, not skipped), in order. */
  keep: number[];
  /** Groups dropped for zero variance (all-null groups included). */
  dropped: number;
  /** How many more groups the loop must sample to reach `target` (0 when enough are kept). */
  missing: number;
}

/**
 * DAPO's dynamic sampling filter: a group whose rewards are all equal has zero advantage everywhere and only dilutes
 * the step, so it is dropped; the loop samples more prompts until `target` groups are kept (or its round limit runs out).
 */
export function dynamicSamplingFilter(result: Pick<AdvantageResult, "groups">, target: number): DynamicSamplingFilter {
  if (!Number.isInteger(target) || target < 0) throw new Error(`dynamic sampling: target must be an integer >= 0 (got ${target})`);
  const keep: number[] = [];
  result.groups.forEach((s, g) => {
    if (!s.zeroStd) keep.push(g);
  });
  return { keep, dropped: result.groups.length - keep.length, missing: Math.max(0, target - keep.length) };
}
