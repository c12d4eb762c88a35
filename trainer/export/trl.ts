// The TRL export: an open-rs-style grpo.yaml for TRL at the commit open-rs pinned (the only TRL that runs the
// paper's loss), a train.py with one reward function per recipe function calling serve-rewards' /score, and run.sh.
import { stringify } from "yaml";
import { groupsPerStep } from "../training-config.js";
import { checkNames, type Difference, type ExportFile, type ExportInput, type ExportResult, loadSchema, pyStr, recipeForServer, serveRewardsPreamble, unsupported } from "./common.js";

/** The keys train.py itself reads (the rest go to GRPOConfig / ModelConfig). */
const SCRIPT_KEYS = ["reward_funcs", "gold_field", "dataset_files"];

export function exportTrl(input: ExportInput): ExportResult {
  const { recipe } = input;
  const t = recipe.training;
  const schema = loadSchema("trl");
  // what TRL at the pin has no switch for: refuse rather than export a different algorithm
  if (t.lossType !== "bnpo") unsupported("trl", "loss_type", t.lossType, "TRL at the pin has one loss, the token mean per micro-batch (our bnpo); export to verl or OpenRLHF, or a newer TRL by hand");
  if (t.scaleRewards !== "group") unsupported("trl", "scale_rewards", t.scaleRewards, "TRL at the pin always divides by the group std");
  if (t.epsilonHigh !== null && t.epsilonHigh !== t.epsilon) unsupported("trl", "epsilon_high", t.epsilonHigh, "TRL at the pin clips symmetrically");
  if (t.maskTruncatedCompletions) unsupported("trl", "mask_truncated_completions", true, "not in TRL at the pin");
  if (t.dynamicSampling) unsupported("trl", "dynamic_sampling", true, "not in TRL at the pin");
  if (t.logprobTemperature !== "raw") unsupported("trl", "logprob_temperature", t.logprobTemperature, "TRL at the pin scores raw logits");
  if (t.longPrompts !== "truncate_left") unsupported("trl", "long_prompts", t.longPrompts, "TRL at the pin truncates prompts from the left");
  if (t.lrSchedulerType !== "cosine_with_min_lr" && t.minLrRate !== null) throw new Error("export trl: min_lr_rate without cosine_with_min_lr");
  const maxCompletion = recipe.maxCompletionLength ?? 256;

  const cfg: Record<string, unknown> = {
    model_name_or_path: input.model,
    model_revision: "main",
    torch_dtype: "bfloat16",
    attn_implementation: "flash_attention_2",
    dataset_name: input.dataRows ? "json" : (recipe.dataset ?? "knoveleng/open-rs"),
    ...(input.dataRows ? { dataset_files: "data/train.jsonl" } : {}),
    system_prompt: recipe.systemPrompt,
    bf16: true,
    use_vllm: true,
    vllm_device: "auto",
    vllm_gpu_memory_utilization: 0.7,
    vllm_max_model_len: t.maxPromptLength + maxCompletion,
    do_eval: false,
    gradient_accumulation_steps: t.gradientAccumulationSteps,
    gradient_checkpointing: true,
    gradient_checkpointing_kwargs: { use_reentrant: false },
    learning_rate: t.learningRate,
    adam_beta1: t.adamBeta1,
    adam_beta2: t.adamBeta2,
    adam_epsilon: t.adamEpsilon,
    weight_decay: t.weightDecay,
    max_grad_norm: t.maxGradNorm ?? 0,
    log_completions: true,
    log_level: "info",
    logging_first_step: true,
    logging_steps: 1,
    logging_strategy: "steps",
    lr_scheduler_type: t.lrSchedulerType,
    ...(t.minLrRate !== null ? { lr_scheduler_kwargs: { min_lr_rate: t.minLrRate } } : {}),
    max_prompt_length: t.maxPromptLength,
    max_completion_length: maxCompletion,
    max_steps: t.maxSteps,
    num_generations: t.numGenerations,
    num_train_epochs: 1,
    output_dir: `data/${recipe.name}`,
    overwrite_output_dir: true,
    per_device_train_batch_size: t.perDeviceTrainBatchSize,
    report_to: ["none"],
    reward_funcs: recipe.rewardFuncs,
    reward_weights: recipe.rewardWeights,
    gold_field: "solution",
    save_strategy: "steps",
    save_steps: t.saveSteps,
    seed: t.seed,
    temperature: t.temperature,
    warmup_ratio: t.warmupRatio,
    beta: t.beta,
    epsilon: t.epsilon,
    num_iterations: t.numIterations,
  };
  checkNames(schema, Object.keys(cfg), SCRIPT_KEYS);
  const yaml = `# GRPO for TRL at huggingface/trl@69ad852e (open-rs's pin), from openrs recipe ${recipe.name}.\n# Written by \`openrs-eval train export --engine trl\`; see differences.md before comparing runs.\n${pyYamlFloats(stringify(cfg, { lineWidth: 0 }))}`;

  const files: ExportFile[] = [
    { path: "grpo.yaml", content: yaml },
    { path: "train.py", content: trainPy(recipe.rewardFuncs) },
    { path: "recipe.json", content: recipeForServer(recipe) },
    { path: "requirements.txt", content: "trl @ git+https://github.com/huggingface/trl.git@69ad852e5654a77f1695eb4c608906fe0c7e8624\ntransformers==4.49.0\naccelerate==1.4.0\ndeepspeed==0.15.4\nvllm==0.7.2\ntorch==2.5.1\nrequests\npyyaml\n" },
    {
      path: "run.sh",
      executable: true,
      content: `${serveRewardsPreamble(input, "recipe.json")}# one training process + one vLLM device, as the recipe's step is one process's (open-rs ran NUM_PROCESSES=3)
accelerate launch --num_processes "\${NUM_PROCESSES:-1}" train.py --config grpo.yaml
`,
    },
  ];
  if (input.dataRows) files.push({ path: "data/train.jsonl", content: input.dataRows.map((r) => JSON.stringify({ problem: r.problem, solution: r.gold })).join("\n") + "\n" });
  const { groupsPerStep: prompts } = groupsPerStep(t);
  const differences: Difference[] = [
    { setting: "version", ours: "the paper's loss", engine: "today's TRL shuffles the generation batch across micro-batches, defaults beta to 0 and divides logits by the temperature", chosen: "TRL pinned to 69ad852e (open-rs's setup.py); requirements.txt pins it with transformers 4.49.0 and vllm 0.7.2" },
    { setting: "loss aggregation", ours: `${t.lossType}: token mean per micro-batch (${t.perDeviceTrainBatchSize / t.numGenerations} group), mean over micro-batches`, engine: "(loss·mask).sum()/mask.sum() per micro-batch, averaged by gradient accumulation", chosen: "same: per_device_train_batch_size = num_generations keeps one group per micro-batch" },
    { setting: "batch per step", ours: `${prompts} prompts × ${t.numGenerations} = ${prompts * t.numGenerations} completions (one process)`, engine: "per_device_train_batch_size × gradient_accumulation_steps × num_processes completions", chosen: "NUM_PROCESSES=1 in run.sh (open-rs used 3: three times the global batch)" },
    { setting: "std epsilon", ours: "1e-4 on the unbiased group std", engine: "1e-4 on torch.std (unbiased)", chosen: "same (no setting)" },
    { setting: "null rewards", ours: "left out of the group statistics, advantage 0", engine: "no None rewards at the pin (a None breaks the reward tensor)", chosen: "train.py raises on a null reward naming the function: the step fails instead of training on NaN" },
    { setting: "KL estimator", ours: `k3 = e^(r-l) - (r-l) - 1, beta ${t.beta}`, engine: "k3, beta default 0.04 at the pin", chosen: `beta: ${t.beta}` },
    { setting: "log-prob temperature", ours: "raw logits", engine: "raw logits at the pin (today's TRL divides by the temperature)", chosen: "same" },
    { setting: "prompt length", ours: `left-truncate to ${t.maxPromptLength} tokens`, engine: "left-truncates prompt_ids to max_prompt_length", chosen: `max_prompt_length: ${t.maxPromptLength}` },
    { setting: "rewards", ours: "trainer/rewards in-process", engine: "Python reward functions", chosen: "one wrapper per function POSTing to serve-rewards /score (same grader); weights in reward_weights" },
    { setting: "warmup steps", ours: "ceil(max_steps × warmup_ratio)", engine: "ceil(max_steps × warmup_ratio) (TrainingArguments.get_warmup_steps)", chosen: `warmup_ratio: ${t.warmupRatio}` },
  ];
  return { engine: "trl", files, differences };
}

function trainPy(funcs: readonly string[]): string {
  const wrappers = funcs
    .map(
      (f) => `def ${pyIdent(f)}(completions, **kwargs):
    return _scores(completions, kwargs)[${pyStr(f)}]
`,
    )
    .join("\n\n");
  return `# GRPO with TRL at open-rs's pin; the rewards are openrs's, scored by serve-rewards (same grader as evaluation).
# Written by \`openrs-eval train export --engine trl\`. Run through run.sh, which starts the server first.
import argparse
import hashlib
import json
import os

import requests
import yaml
from datasets import load_dataset
from transformers import AutoTokenizer
from trl import GRPOConfig, GRPOTrainer, ModelConfig

URL = os.environ.get("OPENRS_REWARD_URL", "http://127.0.0.1:8787")
SCRIPT_KEYS = {"dataset_name", "dataset_files", "system_prompt", "reward_funcs", "gold_field"}
MODEL_KEYS = set(ModelConfig.__dataclass_fields__)
GOLD = "solution"
_cache = {"key": None, "per_function": None}


def _scores(completions, kwargs):
    # every wrapper of a batch shares one /score request: the server grades once and returns each function's values
    texts = [c[0]["content"] if isinstance(c, list) else c for c in completions]
    golds = kwargs.get(GOLD)
    if golds is None:
        raise RuntimeError(f"dataset has no {GOLD!r} column for the rewards")
    key = hashlib.sha256(json.dumps([texts, golds]).encode()).hexdigest()
    if _cache["key"] != key:
        r = requests.post(f"{URL}/score", json={"completions": texts, "golds": golds}, timeout=600)
        r.raise_for_status()
        _cache["key"], _cache["per_function"] = key, r.json()["per_function"]
    out = {}
    for name, values in _cache["per_function"].items():
        if any(v is None for v in values):
            raise RuntimeError(f"reward {name} returned null for a completion: TRL at this pin cannot leave it out of the group")
        out[name] = values
    return out


${wrappers}

REWARDS = {${funcs.map((f) => `${pyStr(f)}: ${pyIdent(f)}`).join(", ")}}


def main():
    global GOLD
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="grpo.yaml")
    cfg = yaml.safe_load(open(ap.parse_args().config))
    script = {k: cfg.pop(k) for k in list(cfg) if k in SCRIPT_KEYS}
    model = {k: cfg.pop(k) for k in list(cfg) if k in MODEL_KEYS}
    GOLD = script.get("gold_field", GOLD)
    args = GRPOConfig(**cfg)
    margs = ModelConfig(**model)
    data = load_dataset(script["dataset_name"], data_files=script.get("dataset_files"))["train"]
    system = script.get("system_prompt")

    def conversation(row):
        prompt = ([{"role": "system", "content": system}] if system is not None else []) + [{"role": "user", "content": row["problem"]}]
        return {"prompt": prompt}

    data = data.map(conversation)
    args.model_init_kwargs = {"revision": margs.model_revision, "torch_dtype": margs.torch_dtype, "attn_implementation": margs.attn_implementation, "use_cache": not args.gradient_checkpointing}
    trainer = GRPOTrainer(
        model=margs.model_name_or_path,
        reward_funcs=[REWARDS[f] for f in script["reward_funcs"]],
        args=args,
        train_dataset=data,
        processing_class=AutoTokenizer.from_pretrained(margs.model_name_or_path),
    )
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
`;
}

function pyIdent(f: string): string {
  return `${f.replace(/\W/g, "_")}_reward`;
}

/**
 * PyYAML (YAML 1.1, what TRL's parser and train.py read with) takes `1e-8` for a string: a float needs a dot and a
 * signed exponent (`1.0e-08`, the form open-rs's recipe uses).
 */
export function pyYamlFloats(text: string): string {
  return text.replace(/^(\s*(?:[\w.]+: |- ))(-?\d+)(\.\d+)?e([-+]?)(\d+)$/gm, (_m, lead: string, int: string, frac: string | undefined, sign: string, exp: string) => `${lead}${int}${frac ?? ".0"}e${sign || "+"}${exp}`);
}
