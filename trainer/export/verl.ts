// The verl export: Hydra overrides for main_ppo with the GRPO estimator, a custom_reward_function that asks
// serve-rewards, the data as parquet (with a converter to verl's nested row layout), and run.sh.
import { writeParquet } from "../../benchmarks/parquet-writer.js";
import type { LossType } from "../grpo/loss.js";
import { groupsPerStep } from "../training-config.js";
import { checkNames, type Difference, type ExportFile, type ExportInput, type ExportResult, loadSchema, pyStr, recipeForServer, serveRewardsPreamble, shq, unsupported } from "./common.js";

/** verl's loss_agg_mode nearest to each of our loss types. */
const AGG: Record<LossType, string> = {
  bnpo: "token-mean",
  grpo: "seq-mean-token-mean",
  dr_grpo: "seq-mean-token-sum-norm",
  dapo: "token-mean",
};

export function exportVerl(input: ExportInput): ExportResult {
  const { recipe } = input;
  const t = recipe.training;
  const schema = loadSchema("verl");
  if (t.scaleRewards === "batch") unsupported("verl", "scale_rewards", "batch", "verl's GRPO estimator normalises by the group std or not at all");
  if (t.maskTruncatedCompletions) unsupported("verl", "mask_truncated_completions", true, "main_ppo has no such switch at the pin");
  if (t.dynamicSampling) unsupported("verl", "dynamic_sampling", true, "group filtering lives in verl's DAPO recipe, not main_ppo");
  if (!["cosine_with_min_lr", "constant", "cosine"].includes(t.lrSchedulerType)) unsupported("verl", "lr_scheduler_type", t.lrSchedulerType, "verl schedules are constant or cosine");
  const { groupsPerStep: prompts } = groupsPerStep(t);
  const maxCompletion = recipe.maxCompletionLength ?? 256;
  const A = "actor_rollout_ref";
  const ov: [string, string | number | boolean][] = [
    ["algorithm.adv_estimator", "grpo"],
    ["algorithm.norm_adv_by_std_in_grpo", t.scaleRewards !== "none"],
    ["algorithm.use_kl_in_reward", false],
    ["data.train_files", "data/train.verl.parquet"],
    ["data.val_files", "data/train.verl.parquet"],
    ["data.prompt_key", "prompt"],
    ["data.train_batch_size", prompts],
    ["data.max_prompt_length", t.maxPromptLength],
    ["data.max_response_length", maxCompletion],
    ["data.truncation", t.longPrompts === "skip" ? "error" : "left"],
    ["data.filter_overlong_prompts", t.longPrompts === "skip"],
    ["data.seed", t.seed],
    [`${A}.model.path`, input.model],
    [`${A}.actor.optim.lr`, t.learningRate],
    [`${A}.actor.optim.lr_warmup_steps_ratio`, t.warmupRatio],
    [`${A}.actor.optim.lr_scheduler_type`, t.lrSchedulerType === "constant" ? "constant" : "cosine"],
    [`${A}.actor.optim.min_lr_ratio`, t.minLrRate ?? 0],
    [`${A}.actor.optim.weight_decay`, t.weightDecay],
    [`${A}.actor.optim.betas`, `[${t.adamBeta1},${t.adamBeta2}]`],
    [`${A}.actor.optim.clip_grad`, t.maxGradNorm ?? 1e9],
    [`${A}.actor.ppo_mini_batch_size`, prompts],
    [`${A}.actor.ppo_micro_batch_size_per_gpu`, t.perDeviceTrainBatchSize],
    [`${A}.actor.ppo_epochs`, t.numIterations],
    [`${A}.actor.shuffle`, false],
    [`${A}.actor.clip_ratio_low`, t.epsilon],
    [`${A}.actor.clip_ratio_high`, t.epsilonHigh ?? t.epsilon],
    [`${A}.actor.loss_agg_mode`, AGG[t.lossType]],
    [`${A}.actor.use_kl_loss`, t.beta > 0],
    [`${A}.actor.kl_loss_coef`, t.beta],
    [`${A}.actor.kl_loss_type`, "low_var_kl"],
    [`${A}.actor.entropy_coeff`, 0],
    [`${A}.rollout.n`, t.numGenerations],
    [`${A}.rollout.temperature`, t.temperature],
    ["custom_reward_function.path", "reward_fn.py"],
    ["custom_reward_function.name", "compute_score"],
    ["trainer.total_training_steps", t.maxSteps],
    ["trainer.save_freq", t.saveSteps],
    ["trainer.test_freq", -1],
    ["trainer.val_before_train", false],
    ["trainer.n_gpus_per_node", 1],
    ["trainer.nnodes", 1],
    ["trainer.experiment_name", recipe.name],
    ["trainer.logger", "[console]"],
  ];
  if (t.lossType === "dr_grpo") ov.push([`${A}.actor.loss_scale_factor`, maxCompletion]);
  checkNames(schema, ov.map(([k]) => k));
  const overrides = ov.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);

  const files: ExportFile[] = [
    { path: "overrides.txt", content: overrides.join("\n") + "\n" },
    { path: "reward_fn.py", content: rewardFnPy() },
    { path: "prepare_data.py", content: prepareDataPy(recipe.systemPrompt, input.dataRows ? null : (recipe.dataset ?? "knoveleng/open-rs")) },
    { path: "recipe.json", content: recipeForServer(recipe) },
    {
      path: "run.sh",
      executable: true,
      content: `${serveRewardsPreamble(input, "recipe.json")}python3 prepare_data.py
python3 -m verl.trainer.main_ppo \\
${overrides.map((o) => `  ${shq(o)}`).join(" \\\n")}
`,
    },
  ];
  if (input.dataRows) {
    files.push({
      path: "data/train.parquet",
      content: writeParquet([
        { name: "problem", type: "string", values: input.dataRows.map((r) => r.problem) },
        { name: "solution", type: "string", values: input.dataRows.map((r) => r.gold) },
      ]),
    });
  }
  const differences: Difference[] = [
    { setting: "loss aggregation", ours: t.lossType, engine: "loss_agg_mode: token-mean is over the whole mini-batch (all groups of the step); seq-mean-token-mean; seq-mean-token-sum-norm divides by loss_scale_factor", chosen: `${AGG[t.lossType]}${t.lossType === "bnpo" ? ": nearest; differs from the pin's per-group token mean when completion lengths differ across groups" : ""}` },
    { setting: "std epsilon", ours: "1e-4 on the unbiased group std", engine: "1e-6 on torch.std (unbiased), hard-coded in compute_grpo_outcome_advantage", chosen: "no setting: advantages differ by the ratio (std+1e-4)/(std+1e-6), under 1 % once std > 0.01" },
    { setting: "KL estimator", ours: `k3 added to the per-token loss, beta ${t.beta}`, engine: "use_kl_loss with kl_loss_type low_var_kl (k3 clamped to [-10, 10])", chosen: `use_kl_loss=${t.beta > 0}, kl_loss_coef=${t.beta}, kl_loss_type=low_var_kl` },
    { setting: "log-prob temperature", ours: t.logprobTemperature === "raw" ? "raw logits (the pin)" : "logits / temperature", engine: "always divides logits by rollout.temperature", chosen: t.logprobTemperature === "raw" ? "cannot match: verl's ratios and KL use tempered log-probs" : "same" },
    { setting: "weight decay", ours: `${t.weightDecay}`, engine: "default 0.01", chosen: `optim.weight_decay=${t.weightDecay}` },
    { setting: "warmup steps", ours: "ceil(max_steps × warmup_ratio)", engine: "int(total_steps × lr_warmup_steps_ratio) (floor)", chosen: `lr_warmup_steps_ratio=${t.warmupRatio}: equal when the product is whole (${t.maxSteps} × ${t.warmupRatio})` },
    { setting: "batch per step", ours: `${prompts} prompts × ${t.numGenerations}`, engine: "data.train_batch_size prompts per generation, ppo_mini_batch_size prompts per optimizer step", chosen: `both ${prompts}, ppo_epochs=${t.numIterations}, shuffle=false (one optimizer step per generation batch and epoch)` },
    { setting: "null rewards", ours: "left out of the group statistics", engine: "compute_score must return a number", chosen: "reward_fn.py raises on a null total, naming the problem" },
    { setting: "rewards", ours: "weighted sum of the recipe's functions", engine: "one custom_reward_function score per response", chosen: "reward_fn.py returns serve-rewards' weighted total from /score" },
    { setting: "data", ours: "{problem, gold} rows + the recipe's system prompt", engine: "parquet rows with prompt (chat messages) and reward_model.ground_truth", chosen: "data/train.parquet (flat) converted by prepare_data.py to data/train.verl.parquet" },
  ];
  return { engine: "verl", files, differences };
}

function rewardFnPy(): string {
  return `# verl custom_reward_function: the recipe's weighted reward, scored by openrs serve-rewards (same grader as eval).
import os

import requests

URL = os.environ.get("OPENRS_REWARD_URL", "http://127.0.0.1:8787")


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    r = requests.post(f"{URL}/score", json={"completions": [solution_str], "golds": [ground_truth]}, timeout=600)
    r.raise_for_status()
    total = r.json()["rewards"][0]
    if total is None:
        raise RuntimeError(f"openrs reward is null for a completion (gold {ground_truth!r}): verl cannot leave it out of the group")
    return float(total)
`;
}

function prepareDataPy(systemPrompt: string | null, hubDataset: string | null): string {
  return `# Converts the training rows to verl's layout: prompt = chat messages (the recipe's system prompt + the problem),
# reward_model.ground_truth = the gold answer.
import pandas as pd

SYSTEM = ${systemPrompt === null ? "None" : pyStr(systemPrompt)}
HUB = ${hubDataset === null ? "None" : pyStr(hubDataset)}

if HUB is None:
    df = pd.read_parquet("data/train.parquet")
else:
    from datasets import load_dataset

    df = load_dataset(HUB, split="train").to_pandas()
    df = df.rename(columns={"answer": "solution"}) if "solution" not in df.columns else df


def row(r):
    msgs = ([{"role": "system", "content": SYSTEM}] if SYSTEM is not None else []) + [{"role": "user", "content": r["problem"]}]
    return {"data_source": "openrs", "prompt": msgs, "ability": "math", "reward_model": {"style": "rule", "ground_truth": r["solution"]}, "extra_info": {}}


pd.DataFrame([row(r) for _, r in df.iterrows()]).to_parquet("data/train.verl.parquet")
`;
}
