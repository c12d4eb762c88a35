// The OpenRLHF export: train_ppo_ray flags for group-normalised advantages with the KL as a loss, the reward from
// serve-rewards' /reward (OpenRLHF's remote reward protocol), the data as JSONL, and run.sh.
import { groupsPerStep } from "../training-config.js";
import { checkNames, type Difference, type ExportFile, type ExportInput, type ExportResult, loadSchema, pyStr, recipeForServer, serveRewardsPreamble, shq, unsupported } from "./common.js";

export function exportOpenRlhf(input: ExportInput): ExportResult {
  const { recipe } = input;
  const t = recipe.training;
  const schema = loadSchema("openrlhf");
  if (t.scaleRewards === "batch") unsupported("openrlhf", "scale_rewards", "batch", "group_norm divides by the group std, dr_grpo by nothing");
  if (t.maskTruncatedCompletions) unsupported("openrlhf", "mask_truncated_completions", true, "train_ppo_ray has no such flag at the pin (its overlong penalty is a reward, not a mask)");
  if (t.lossType === "grpo" || t.lossType === "dr_grpo") {
    unsupported("openrlhf", "loss_type", t.lossType, "train_ppo_ray aggregates the policy loss as one token mean over the batch; no per-sequence or constant normaliser flag");
  }
  if (!["cosine_with_min_lr", "constant", "constant_with_warmup", "linear", "cosine"].includes(t.lrSchedulerType)) unsupported("openrlhf", "lr_scheduler_type", t.lrSchedulerType, "unknown to OpenRLHF");
  const { groupsPerStep: prompts } = groupsPerStep(t);
  const maxCompletion = recipe.maxCompletionLength ?? 256;
  const data = "data/train.jsonl";
  const flags: [string, string | number | null][] = [
    ["--actor.model_name_or_path", input.model],
    ["--reward.remote_url", "$OPENRS_REWARD_URL/reward"],
    ["--data.prompt_dataset", data],
    ["--data.input_key", "prompt"],
    ["--data.label_key", "solution"],
    ["--data.apply_chat_template", null],
    ["--data.max_len", t.maxPromptLength + maxCompletion],
    ["--rollout.max_new_tokens", maxCompletion],
    ["--rollout.n_samples_per_prompt", t.numGenerations],
    ["--rollout.batch_size", prompts],
    ["--rollout.temperature", t.temperature],
    ["--rollout.micro_batch_size", t.perDeviceTrainBatchSize],
    ["--train.batch_size", prompts * t.numGenerations],
    ["--train.micro_batch_size", t.perDeviceTrainBatchSize],
    ["--train.max_epochs", t.numIterations],
    ["--train.num_episodes", 1],
    ["--train.seed", t.seed],
    ["--data.max_samples", t.maxSteps * prompts],
    ["--algo.advantage.estimator", t.scaleRewards === "none" ? "dr_grpo" : "group_norm"],
    ["--algo.kl.estimator", "k3"],
    ["--algo.kl.init_coef", t.beta],
    ...(t.beta > 0 ? ([["--algo.kl.use_loss", null]] as [string, null][]) : []),
    ["--actor.eps_clip_low_high", `${t.epsilon} ${t.epsilonHigh ?? t.epsilon}`],
    ["--actor.adam.lr", t.learningRate],
    ["--actor.adam.betas", `${t.adamBeta1} ${t.adamBeta2}`],
    ["--actor.adam.eps", t.adamEpsilon],
    ["--actor.adam.weight_decay", t.weightDecay],
    ["--actor.lr_scheduler", t.lrSchedulerType],
    ["--actor.lr_warmup_ratio", t.warmupRatio],
    ["--actor.min_lr_ratio", t.minLrRate ?? 0],
    ["--actor.max_norm", t.maxGradNorm ?? 1e9],
    ["--ckpt.save_steps", t.saveSteps],
    ["--ckpt.save_hf", null],
    ["--ckpt.output_dir", `checkpoint/${recipe.name}`],
    ["--logger.logging_steps", 1],
    ["--actor.gradient_checkpointing_enable", null],
    ["--ds.param_dtype", "bf16"],
    ["--vllm.num_engines", 1],
    ["--vllm.tensor_parallel_size", 1],
    ["--actor.num_gpus_per_node", 1],
    ["--ref.num_gpus_per_node", 1],
  ];
  if (t.dynamicSampling) flags.push(["--algo.dynamic_filtering_enable", null], ["--algo.dynamic_filtering_range", "0 1"]);
  checkNames(schema, flags.map(([f]) => f));
  const line = ([f, v]: [string, string | number | null]) => (v === null ? f : typeof v === "string" && v.startsWith("$") ? `${f} "${v}"` : `${f} ${typeof v === "string" && v.includes(" ") ? v.split(" ").map(shq).join(" ") : shq(String(v))}`);
  const files: ExportFile[] = [
    { path: "recipe.json", content: recipeForServer(recipe) },
    { path: "flags.txt", content: flags.map(line).join("\n") + "\n" },
    {
      path: "run.sh",
      executable: true,
      content: `${serveRewardsPreamble(input, "recipe.json")}${input.dataRows ? "" : "python3 prepare_data.py\n"}ray start --head --num-gpus "\${NUM_GPUS:-2}" || true
python3 -m openrlhf.cli.train_ppo_ray \\
${flags.map((f) => `  ${line(f)}`).join(" \\\n")}
`,
    },
  ];
  // the prompt is the chat (system + user) so --data.apply_chat_template renders it with the model's template
  const sys = recipe.systemPrompt;
  if (!input.dataRows) files.push({ path: "prepare_data.py", content: prepareDataPy(sys, recipe.dataset ?? "knoveleng/open-rs") });
  else {
    files.push({
      path: "data/train.jsonl",
      content: input.dataRows.map((r) => JSON.stringify({ prompt: [...(sys !== null ? [{ role: "system", content: sys }] : []), { role: "user", content: r.problem }], solution: r.gold })).join("\n") + "\n",
    });
  }
  const differences: Difference[] = [
    { setting: "loss aggregation", ours: t.lossType, engine: "one token mean over the training batch (masked_mean over all tokens)", chosen: t.lossType === "dapo" ? "same" : "token mean over the step: differs from the pin's per-group token mean when completion lengths differ across groups" },
    { setting: "std epsilon", ours: "1e-4 on the unbiased group std", engine: "group_norm: 1e-9 on torch.std (unbiased)", chosen: "no flag: advantages differ by (std+1e-4)/(std+1e-9), under 1 % once std > 0.01" },
    { setting: "KL estimator", ours: `k3 in the loss, beta ${t.beta}`, engine: "--algo.kl.estimator k1 by default, added to the reward unless --algo.kl.use_loss", chosen: `--algo.kl.estimator k3 --algo.kl.init_coef ${t.beta}${t.beta > 0 ? " --algo.kl.use_loss" : ""}` },
    { setting: "Adam betas", ours: `(${t.adamBeta1}, ${t.adamBeta2})`, engine: "default (0.9, 0.95)", chosen: `--actor.adam.betas ${t.adamBeta1} ${t.adamBeta2}` },
    { setting: "warmup", ours: `warmup_ratio ${t.warmupRatio}`, engine: "default 0.03", chosen: `--actor.lr_warmup_ratio ${t.warmupRatio}` },
    { setting: "log-prob temperature", ours: t.logprobTemperature === "raw" ? "raw logits (the pin)" : "logits / temperature", engine: "divides logits by --rollout.temperature", chosen: t.logprobTemperature === "raw" ? "cannot match: OpenRLHF's ratios and KL use tempered log-probs" : "same" },
    { setting: "max_steps", ours: `${t.maxSteps} optimizer steps`, engine: "no step limit: episodes over the prompt dataset", chosen: `--data.max_samples ${t.maxSteps * prompts} with one episode (${t.maxSteps} rollouts of ${prompts} prompts)` },
    { setting: "long prompts", ours: t.longPrompts, engine: "prompts longer than the budget are filtered out by the dataset", chosen: `--data.max_len ${t.maxPromptLength + maxCompletion} (prompt + completion)` },
    { setting: "dynamic sampling", ours: t.dynamicSampling ? "drop zero-variance groups and refill" : "off", engine: "--algo.dynamic_filtering_enable drops groups whose mean reward is outside the range", chosen: t.dynamicSampling ? "enabled with range 0 1 (exact for 0/1 rewards)" : "off" },
    { setting: "rewards", ours: "weighted sum of the recipe's functions", engine: "--reward.remote_url: POST {query, prompts, labels}", chosen: "serve-rewards /reward (strips the prompt and EOS, grades with the recipe)" },
    { setting: "null rewards", ours: "left out of the group statistics", engine: "every reward is a number", chosen: "serve-rewards' /reward counts a null function value as 0 in the total" },
    { setting: "data", ours: "{problem, gold} rows + the recipe's system prompt", engine: "JSONL with --data.input_key rendered by the chat template", chosen: "data/train.jsonl with prompt = [system, user] messages and solution = gold" },
  ];
  return { engine: "openrlhf", files, differences };
}

function prepareDataPy(systemPrompt: string | null, hub: string): string {
  return `# Writes data/train.jsonl from the recipe's hub dataset: prompt = [system, user] messages, solution = the gold.
import json
import os

from datasets import load_dataset

SYSTEM = ${systemPrompt === null ? "None" : pyStr(systemPrompt)}
os.makedirs("data", exist_ok=True)
with open("data/train.jsonl", "w") as f:
    for r in load_dataset(${pyStr(hub)}, split="train"):
        msgs = ([{"role": "system", "content": SYSTEM}] if SYSTEM is not None else []) + [{"role": "user", "content": r["problem"]}]
        f.write(json.dumps({"prompt": msgs, "solution": r.get("solution", r.get("answer"))}) + "\\n")
`;
}
