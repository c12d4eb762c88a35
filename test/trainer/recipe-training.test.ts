// The shipped recipes' system prompt against open-rs recipes/grpo.yaml (knoveleng/open-rs @ 2889c47, YAML-decoded),
// and the `training:` block: the paper's settings as defaults, and one-line errors naming the key.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadRecipe, parseRecipe } from "../../trainer/recipe.js";
import { groupsPerStep, parseTrainingConfig } from "../../trainer/training-config.js";

// Typed out from open-rs's recipes/grpo.yaml after YAML decoding: `\\boxed{{}}` in the double-quoted scalar is one
// backslash and literal double braces (open-r1 never formats the string), with a space before the period.
const OPEN_RS_SYSTEM_PROMPT =
  "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant " +
  "first thinks about the reasoning process in the mind and then provides the user with the answer, and put your final " +
  "answer within \\boxed{{}} . The reasoning process and answer are enclosed within <think> </think> and <answer> " +
  "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. Note " +
  "that respond by English, NOT use other languages.";
const OPEN_RS_SYSTEM_PROMPT_SHA256 = "6ad389bfba87cc15ac21c02d22b0c056ec688bbccae72955fe935ab253951353";

describe("shipped recipes: the system prompt is open-rs's, byte for byte", () => {
  it("the reference string is 500 characters with the hash of open-rs's decoded prompt", () => {
    expect(OPEN_RS_SYSTEM_PROMPT.length).toBe(500);
    expect(OPEN_RS_SYSTEM_PROMPT).toContain("within \\boxed{{}} . The reasoning");
    expect(createHash("sha256").update(OPEN_RS_SYSTEM_PROMPT, "utf8").digest("hex")).toBe(OPEN_RS_SYSTEM_PROMPT_SHA256);
  });

  it.each(["openrs-exp1", "openrs-exp2", "openrs-exp3"])("%s", (name) => {
    const p = loadRecipe(name).systemPrompt as string;
    expect(p).toBe(OPEN_RS_SYSTEM_PROMPT);
    expect(createHash("sha256").update(p, "utf8").digest("hex")).toBe(OPEN_RS_SYSTEM_PROMPT_SHA256);
  });
});

const base = { name: "t", reward_funcs: ["format"] };

describe("training block", () => {
  it("the shipped recipes carry the paper's settings", () => {
    for (const name of ["openrs-exp1", "openrs-exp2", "openrs-exp3"]) {
      expect(loadRecipe(name).training).toEqual(parseTrainingConfig({}));
    }
    expect(loadRecipe("openrs-exp1").maxCompletionLength).toBe(4096);
    expect(loadRecipe("openrs-exp3").maxCompletionLength).toBe(3584);
  });

  it("the tiny-arith recipes keep the paper's GRPO settings except the declared deviations", () => {
    const paper = parseTrainingConfig({});
    const deviations = { learningRate: 2e-5, lrSchedulerType: "constant", warmupRatio: 0, minLrRate: null, maxSteps: 100, maxPromptLength: 256, gradientAccumulationSteps: 8 };
    for (const name of ["tiny-arith-exp2", "tiny-arith-exp3"]) {
      const r = loadRecipe(name);
      expect({ ...r.training, ...deviations }).toEqual({ ...paper, ...deviations });
      expect(r.training).toMatchObject(deviations);
      expect(r.systemPrompt).toBeNull();
      expect(r.maxCompletionLength).toBe(256);
    }
    expect(loadRecipe("tiny-arith-exp2").rewardFuncs).toEqual(["accuracy", "format"]);
    expect(loadRecipe("tiny-arith-exp3").rewardFuncs).toEqual(["format", "cosine"]);
    expect(loadRecipe("tiny-arith-exp3").rewardOptions.cosine).toMatchObject({ mode: "openrs", maxLen: 256 });
  });

  it("defaults are the paper's (open-rs grpo.yaml + TRL at the pin)", () => {
    const t = parseRecipe(base).training;
    expect(t).toMatchObject({
      learningRate: 1e-6,
      lrSchedulerType: "cosine_with_min_lr",
      minLrRate: 0.1,
      warmupRatio: 0.1,
      maxSteps: 500,
      numGenerations: 6,
      temperature: 0.7,
      maxPromptLength: 512,
      longPrompts: "truncate_left",
      perDeviceTrainBatchSize: 6,
      gradientAccumulationSteps: 4,
      seed: 42,
      saveSteps: 50,
      adamBeta1: 0.9,
      adamBeta2: 0.999,
      adamEpsilon: 1e-8,
      weightDecay: 0,
      maxGradNorm: 1,
      lossType: "bnpo",
      beta: 0.04,
      epsilon: 0.2,
      epsilonHigh: null,
      numIterations: 1,
      scaleRewards: "group",
      maskTruncatedCompletions: false,
      dynamicSampling: false,
      logprobTemperature: "raw",
    });
    expect(groupsPerStep(t)).toEqual({ microBatchGroups: 1, groupsPerStep: 4 });
  });

  it("loss_type dapo brings DAPO's beta 0 and epsilon_high 0.28 unless the recipe sets them", () => {
    expect(parseTrainingConfig({ loss_type: "dapo" })).toMatchObject({ beta: 0, epsilonHigh: 0.28 });
    expect(parseTrainingConfig({ loss_type: "dapo", beta: 0.01, epsilon_high: 0.3 })).toMatchObject({ beta: 0.01, epsilonHigh: 0.3 });
  });

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ learning_rte: 1e-6 }, /unknown field "training.learning_rte" \(known: learning_rate, /],
    [{ learning_rate: 0 }, /"training.learning_rate" must be a number in \(0, 1\] \(got 0\)/],
    [{ learning_rate: "1e-6" }, /"training.learning_rate" must be a number/],
    [{ max_steps: 2.5 }, /"training.max_steps" must be an integer >= 1 \(got 2.5\)/],
    [{ num_generations: 1, per_device_train_batch_size: 1 }, /"training.num_generations" must be an integer >= 2/],
    [{ warmup_ratio: 1 }, /"training.warmup_ratio" must be a number in \[0, 1\)/],
    [{ temperature: -1 }, /"training.temperature" must be a number in \(0, inf\]/],
    [{ epsilon: 1.5 }, /"training.epsilon" must be a number in \(0, 1\)/],
    [{ epsilon_high: 0.1 }, /"training.epsilon_high" \(0.1\) must be >= epsilon \(0.2\)/],
    [{ beta: -0.1 }, /"training.beta" must be a number in \[0, inf\]/],
    [{ loss_type: "ppo" }, /"training.loss_type" must be one of bnpo, grpo, dr_grpo, dapo \(got "ppo"\)/],
    [{ scale_rewards: true }, /"training.scale_rewards" must be one of group, batch, none \(got true\)/],
    [{ logprob_temperature: "hot" }, /"training.logprob_temperature" must be one of raw, tempered/],
    [{ mask_truncated_completions: "yes" }, /"training.mask_truncated_completions" must be true or false/],
    [{ long_prompts: "truncate_right" }, /"training.long_prompts" must be one of truncate_left, skip/],
    [{ per_device_train_batch_size: 4 }, /"training.per_device_train_batch_size" \(4\) must be a multiple of num_generations \(6\)/],
    [{ lr_scheduler_type: "linear", min_lr_rate: 0.1 }, /"training.min_lr_rate" applies only to lr_scheduler_type cosine_with_min_lr/],
    [{ lr_scheduler_type: "constant" }, /"training.warmup_ratio" must be 0 with lr_scheduler_type constant/],
    [{ seed: -1 }, /"training.seed" must be an integer >= 0 and <= 4294967295/],
    [{ max_grad_norm: 0 }, /"training.max_grad_norm" must be a number in \(0, inf\] or null/],
  ];
  it.each(bad)("%j is one line naming the key", (training, msg) => {
    let err: Error | null = null;
    try {
      parseRecipe({ ...base, training }, "r.yaml");
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(msg);
    expect(err?.message).toMatch(/^recipe r\.yaml: /);
    expect(err?.message).not.toMatch(/\n/);
  });

  it("a training block that is not a mapping", () => {
    expect(() => parseRecipe({ ...base, training: [1] })).toThrow(/recipe inline: "training" must be a mapping/);
  });
});
