// `train export`: golden files for each engine (regenerate with UPDATE_GOLDEN=1 after a deliberate change), every
// name the exports write checked against the engine's config schema at its pin (parsed back from the files, not
// taken from the exporter), the recipe variants mapped or refused with one line, and the semantics table.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { checkNames, loadSchema } from "../../trainer/export/common.js";
import { ENGINES, type ExportEngine, exportRecipe, readDataRows } from "../../trainer/export/index.js";
import { pyYamlFloats } from "../../trainer/export/trl.js";
import { loadRecipe, parseRecipe, type Recipe } from "../../trainer/recipe.js";

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "export");
const ROWS = [
  { problem: "What is $1+1$?", gold: "2" },
  { problem: "Compute $\\frac{1}{2}+\\frac{1}{3}$.", gold: "\\frac{5}{6}" },
];
const input = (recipe: Recipe, rows: typeof ROWS | null = ROWS) => ({ recipe, model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", dataRows: rows, port: 8787, cli: "npx openrs-eval" });
const exp3 = loadRecipe("openrs-exp3");
const withTraining = (training: Record<string, unknown>) => parseRecipe({ name: "v", reward_funcs: ["accuracy", "format"], max_completion_length: 1024, system_prompt: "S", training });
const file = (engine: ExportEngine, path: string, recipe: Recipe = exp3) => {
  const f = exportRecipe(engine, input(recipe)).files.find((x) => x.path === path);
  if (!f) throw new Error(`${engine} export has no ${path}`);
  return f.content;
};
const text = (engine: ExportEngine, path: string, recipe?: Recipe) => file(engine, path, recipe) as string;

describe("golden files (openrs-exp3, two data rows)", () => {
  for (const engine of ENGINES) {
    it(engine, () => {
      const { files } = exportRecipe(engine, input(exp3));
      const dir = join(GOLDEN, engine);
      if (process.env.UPDATE_GOLDEN) {
        for (const f of files) {
          mkdirSync(dirname(join(dir, f.path)), { recursive: true });
          writeFileSync(join(dir, f.path), f.content);
        }
      }
      const walk = (d: string, pre = ""): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name), `${pre}${e.name}/`) : [`${pre}${e.name}`]));
      expect(existsSync(dir)).toBe(true);
      expect(files.map((f) => f.path).sort()).toEqual(walk(dir).sort());
      for (const f of files) {
        const want = readFileSync(join(dir, f.path));
        expect(Buffer.from(f.content).equals(want), `${engine}/${f.path} differs from the golden file`).toBe(true);
      }
      for (const f of files) expect(f.executable === true).toBe(f.path === "run.sh");
    });
  }
});

describe("names validated against each engine's schema at its pin (read back from the written files)", () => {
  it("TRL: every grpo.yaml key is a GRPOConfig / TrainingArguments / ModelConfig / ScriptArguments field or a train.py key", () => {
    const keys = Object.keys(parseYaml(text("trl", "grpo.yaml")));
    checkNames(loadSchema("trl"), keys, ["reward_funcs", "gold_field", "dataset_files"]);
    const py = text("trl", "train.py");
    expect(py).toContain('SCRIPT_KEYS = {"dataset_name", "dataset_files", "system_prompt", "reward_funcs", "gold_field"}');
    // the schema came from the pin: the paper's settings are fields there, later TRL's are not
    const trl = loadSchema("trl");
    for (const k of ["beta", "epsilon", "num_iterations", "num_generations", "reward_weights", "max_completion_length"]) expect(trl.names.has(k)).toBe(true);
    for (const k of ["loss_type", "scale_rewards", "epsilon_high", "mask_truncated_completions"]) expect(trl.names.has(k)).toBe(false);
  });

  it("verl: every override path is a key of main_ppo's resolved config", () => {
    const keys = text("verl", "overrides.txt").trim().split("\n").map((l) => l.slice(0, l.indexOf("=")));
    expect(keys.length).toBeGreaterThan(30);
    checkNames(loadSchema("verl"), keys);
    const run = text("verl", "run.sh");
    for (const k of keys) expect(run).toContain(k);
  });

  it("OpenRLHF: every flag in run.sh is a train_ppo_ray argument", () => {
    const run = text("openrlhf", "run.sh");
    const flags = [...run.slice(run.indexOf("train_ppo_ray")).matchAll(/(?:^|\s)(--[\w.]+)/g)].map((m) => m[1]);
    expect(flags).toContain("--reward.remote_url");
    checkNames(loadSchema("openrlhf"), flags);
  });

  it("an unknown name is refused with the pin", () => {
    expect(() => checkNames(loadSchema("verl"), ["algorithm.adv_estimator", "actor_rollout_ref.actor.clip_eps"])).toThrow(
      /export verl: actor_rollout_ref.actor.clip_eps not in the verl config schema at volcengine\/verl v0.7.0/,
    );
  });
});

describe("what each export says", () => {
  it("TRL: the paper's settings and prompt survive a YAML round trip; one wrapper per reward function", () => {
    const y = parseYaml(text("trl", "grpo.yaml"));
    expect(y).toMatchObject({ learning_rate: 1e-6, beta: 0.04, epsilon: 0.2, num_generations: 6, per_device_train_batch_size: 6, gradient_accumulation_steps: 4, max_completion_length: 3584, reward_weights: [1, 2], lr_scheduler_kwargs: { min_lr_rate: 0.1 } });
    expect(y.system_prompt).toBe(exp3.systemPrompt);
    const py = text("trl", "train.py");
    expect(py).toMatch(/def format_reward\(completions, \*\*kwargs\):\n {4}return _scores\(completions, kwargs\)\["format"\]/);
    expect(py).toMatch(/def cosine_reward\(/);
    expect(py).toContain('requests.post(f"{URL}/score"');
    expect(text("trl", "requirements.txt")).toContain("trl.git@69ad852e5654a77f1695eb4c608906fe0c7e8624");
  });

  it("PyYAML floats: a dot and a signed exponent", () => {
    expect(pyYamlFloats("adam_epsilon: 1e-8\nx:\n  - 2e+21\nlr: 0.000001\nseed: 42\n")).toBe("adam_epsilon: 1.0e-8\nx:\n  - 2.0e+21\nlr: 0.000001\nseed: 42\n");
    expect(pyYamlFloats("a: 1.5e7")).toBe("a: 1.5e+7");
  });

  it("run.sh starts serve-rewards, waits for /health, then the trainer", () => {
    for (const engine of ENGINES) {
      const run = text(engine, "run.sh");
      const serve = run.indexOf("serve-rewards --recipe recipe.json");
      const health = run.indexOf("/health");
      expect(serve).toBeGreaterThan(0);
      expect(health).toBeGreaterThan(serve);
      expect(run.indexOf(engine === "trl" ? "accelerate launch" : engine === "verl" ? "verl.trainer.main_ppo" : "openrlhf.cli.train_ppo_ray")).toBeGreaterThan(health);
      const served = parseRecipe(JSON.parse(text(engine, "recipe.json")));
      expect([served.rewardFuncs, served.rewardWeights, served.rewardOptions]).toEqual([exp3.rewardFuncs, exp3.rewardWeights, exp3.rewardOptions]);
    }
    expect(text("openrlhf", "run.sh")).toContain('--reward.remote_url "$OPENRS_REWARD_URL/reward"');
  });

  it("verl: data as parquet (PAR1 framing, both columns' text inside)", () => {
    const pq = Buffer.from(file("verl", "data/train.parquet") as Uint8Array);
    expect(pq.subarray(0, 4).toString()).toBe("PAR1");
    expect(pq.subarray(pq.length - 4).toString()).toBe("PAR1");
    expect(pq.includes(Buffer.from("\\frac{5}{6}"))).toBe(true);
    expect(text("verl", "prepare_data.py")).toContain('"ground_truth": r["solution"]');
  });

  it("the semantics table names loss aggregation, std epsilon, KL estimator and defaults for every engine", () => {
    for (const engine of ENGINES) {
      const md = text(engine, "differences.md");
      for (const s of ["loss aggregation", "std epsilon", "KL estimator"]) expect(md).toContain(`| ${s} |`);
      expect(md).toMatch(/^# \w+: settings whose semantics differ from openrs/);
      expect(md).toContain(`Pinned version: ${loadSchema(engine).pin}`);
    }
    expect(text("verl", "differences.md")).toMatch(/\| weight decay \| 0 \| default 0.01 \|/);
    expect(text("openrlhf", "differences.md")).toMatch(/\| Adam betas \| \(0.9, 0.999\) \| default \(0.9, 0.95\) \|/);
  });
});

describe("variants", () => {
  it("DAPO to verl: token-mean, clip-higher 0.28, no KL loss", () => {
    const o = text("verl", "overrides.txt", withTraining({ loss_type: "dapo" }));
    expect(o).toContain("actor_rollout_ref.actor.loss_agg_mode=token-mean");
    expect(o).toContain("actor_rollout_ref.actor.clip_ratio_high=0.28");
    expect(o).toContain("actor_rollout_ref.actor.use_kl_loss=false");
  });

  it("Dr. GRPO to verl: seq-mean-token-sum-norm over max_completion_length, no std", () => {
    const o = text("verl", "overrides.txt", withTraining({ loss_type: "dr_grpo", scale_rewards: "none" }));
    expect(o).toContain("loss_agg_mode=seq-mean-token-sum-norm");
    expect(o).toContain("actor_rollout_ref.actor.loss_scale_factor=1024");
    expect(o).toContain("algorithm.norm_adv_by_std_in_grpo=false");
  });

  it("num_iterations 2 and dynamic sampling to OpenRLHF", () => {
    const f = text("openrlhf", "flags.txt", withTraining({ num_iterations: 2, dynamic_sampling: true, loss_type: "dapo" }));
    expect(f).toContain("--train.max_epochs 2");
    expect(f).toContain("--algo.dynamic_filtering_enable\n--algo.dynamic_filtering_range 0 1");
    expect(f).toContain("--actor.eps_clip_low_high 0.2 0.28");
  });

  it.each([
    ["trl", { loss_type: "dapo" }, /export trl: recipe setting training.loss_type = "dapo" cannot be expressed \(TRL at the pin has one loss/],
    ["trl", { scale_rewards: "none" }, /training.scale_rewards = "none" cannot be expressed/],
    ["trl", { logprob_temperature: "tempered" }, /training.logprob_temperature = "tempered" cannot be expressed \(TRL at the pin scores raw logits\)/],
    ["verl", { scale_rewards: "batch" }, /export verl: recipe setting training.scale_rewards = "batch"/],
    ["verl", { dynamic_sampling: true }, /training.dynamic_sampling = true cannot be expressed/],
    ["openrlhf", { loss_type: "grpo" }, /export openrlhf: recipe setting training.loss_type = "grpo"/],
    ["openrlhf", { mask_truncated_completions: true }, /training.mask_truncated_completions = true/],
  ] as [ExportEngine, Record<string, unknown>, RegExp][])("%s refuses %j", (engine, training, msg) => {
    expect(() => exportRecipe(engine, input(withTraining(training)))).toThrow(msg);
  });

  it("without --data the exports fetch the recipe's hub dataset on the training machine", () => {
    const trl = exportRecipe("trl", input(exp3, null));
    expect(parseYaml(trl.files.find((f) => f.path === "grpo.yaml")?.content as string).dataset_name).toBe("knoveleng/open-rs");
    for (const engine of ["verl", "openrlhf"] as const) {
      const r = exportRecipe(engine, input(exp3, null));
      expect(r.files.map((f) => f.path)).toContain("prepare_data.py");
      expect(r.files.find((f) => f.path === "prepare_data.py")?.content).toContain('"knoveleng/open-rs"');
    }
  });
});

describe("readDataRows", () => {
  it("reads problem + gold, one line errors naming the line and field", () => {
    const p = join(tmpdir(), `openrs-export-rows-${process.pid}.jsonl`);
    writeFileSync(p, '{"problem": "a", "answer": "1"}\n\n{"problem": "b", "answer": "2"}\n');
    try {
      expect(readDataRows(p, "answer")).toEqual([{ problem: "a", gold: "1" }, { problem: "b", gold: "2" }]);
      expect(() => readDataRows(p, "solution")).toThrow(/\.jsonl:1: no string "solution" field \(the gold the rewards need; set --gold-field\)/);
      writeFileSync(p, "{bad\n");
      expect(() => readDataRows(p, "answer")).toThrow(/:1: not valid JSON/);
    } finally {
      rmSync(p, { force: true });
    }
  });
});
