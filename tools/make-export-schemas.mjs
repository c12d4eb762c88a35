// Regenerates trainer/export/schemas/*.json from local clones of the engines' repositories at their pins:
//   MIRRORS=DIR node tools/make-export-schemas.mjs   (DIR/<owner>+<name>/repo are the git directories)
// (each clone a git directory holding the pinned commits; knoveleng+open-rs, huggingface+trl, volcengine+verl,
// OpenRLHF+OpenRLHF). Names only: no code of those projects is copied.
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { parse } from "yaml";
const show = (repo, rev, path) => execSync(`git -C ${MIRRORS}/${repo}/repo show ${rev}:${path}`, { maxBuffer: 1 << 26 }).toString();
const MIRRORS = process.env.MIRRORS ?? "/work/.mirror";
const out = "trainer/export/schemas/";
// TRL GRPOConfig @ pin
const trlRev = "69ad852e5654a77f1695eb4c608906fe0c7e8624";
const fields = (src) => [...src.matchAll(/^ {4}(\w+): [^\n]*= field\(/gm)].map((m) => m[1]);
const grpo = fields(show("huggingface+trl", trlRev, "trl/trainer/grpo_config.py"));
const modelCfg = fields(show("huggingface+trl", trlRev, "trl/trainer/model_config.py"));
const scriptArgs = fields(show("huggingface+trl", trlRev, "trl/scripts/utils.py"));
const orsRev = "2889c47";
const orsCfg = show("knoveleng+open-rs", orsRev, "src/open_r1/configs.py");
const orsGrpoCls = orsCfg.slice(orsCfg.indexOf("class GRPOConfig"), orsCfg.indexOf("class SFTConfig") > orsCfg.indexOf("class GRPOConfig") ? orsCfg.indexOf("class SFTConfig") : undefined);
const orsGrpo = fields(orsGrpoCls);
const orsYamlKeys = Object.keys(parse(show("knoveleng+open-rs", orsRev, "recipes/grpo.yaml")));
writeFileSync(out + "trl.json", JSON.stringify({
  engine: "trl",
  pin: `huggingface/trl@${trlRev} (the commit open-rs's setup.py pins; 0.16.0.dev0, 2025-02-25), with transformers==4.49.0`,
  sources: {
    grpo_config: `trl/trainer/grpo_config.py @ ${trlRev}: dataclass fields of GRPOConfig`,
    model_config: `trl/trainer/model_config.py @ ${trlRev}: dataclass fields of ModelConfig`,
    script_arguments: `trl/scripts/utils.py @ ${trlRev}: dataclass fields of ScriptArguments`,
    open_rs_grpo_config: `knoveleng/open-rs src/open_r1/configs.py @ ${orsRev}: fields open-rs's GRPOConfig adds`,
    training_arguments: `transformers 4.49.0 TrainingArguments: the transformers repository is too large to fetch here, so this is only the subset the exporter writes, each name seen set in a fetched file (open-rs recipes/grpo.yaml @ ${orsRev}, which ran on that version, or TRL @ ${trlRev} examples/docs); adam_* per the transformers documentation`,
  },
  grpo_config: grpo, model_config: modelCfg, script_arguments: scriptArgs, open_rs_grpo_config: orsGrpo,
  open_rs_recipe_keys: orsYamlKeys,
  training_arguments: ["output_dir","overwrite_output_dir","do_eval","per_device_train_batch_size","per_device_eval_batch_size","gradient_accumulation_steps","learning_rate","weight_decay","adam_beta1","adam_beta2","adam_epsilon","max_grad_norm","num_train_epochs","max_steps","lr_scheduler_type","lr_scheduler_kwargs","warmup_ratio","log_level","logging_strategy","logging_first_step","logging_steps","save_strategy","save_steps","seed","bf16","report_to","gradient_checkpointing","gradient_checkpointing_kwargs","push_to_hub","hub_model_id","hub_strategy"],
}, null, 1) + "\n");
// verl @ v0.7.0: dotted keys of the generated (fully resolved) ppo_trainer.yaml
const verlRev = "v0.7.0";
const flat = (o, p = "") => Object.entries(o ?? {}).flatMap(([k, v]) => (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length ? [`${p}${k}`, ...flat(v, `${p}${k}.`)] : [`${p}${k}`]));
const verlKeys = flat(parse(show("volcengine+verl", verlRev, "verl/trainer/config/_generated_ppo_trainer.yaml")));
writeFileSync(out + "verl.json", JSON.stringify({
  engine: "verl",
  pin: `volcengine/verl ${verlRev} (f9c855f7cf04d603c9546bc01776c74806a879c1, 2026-01-05)`,
  source: `verl/trainer/config/_generated_ppo_trainer.yaml @ ${verlRev}: every key of the fully resolved main_ppo config, dotted (what Hydra overrides may name)`,
  keys: verlKeys,
}, null, 1) + "\n");
// OpenRLHF @ v0.11.0: argparse flags of train_ppo_ray
const oRev = "v0.11.0";
const src = show("OpenRLHF+OpenRLHF", oRev, "openrlhf/cli/train_ppo_ray.py");
const plain = [...src.matchAll(/add_argument\(\s*"(--[\w.]+)"/g)].map((m) => m[1]);
// the optimizer flags are declared once for each of actor and critic: `for prefix in ("actor", "critic")` with f"--{prefix}.x"
const prefixed = [...src.matchAll(/add_argument\(\s*f"--\{prefix\}(\.[\w.]+)"/g)].flatMap((m) => ["--actor" + m[1], "--critic" + m[1]]);
const flags = [...new Set([...plain, ...prefixed])];
writeFileSync(out + "openrlhf.json", JSON.stringify({
  engine: "openrlhf",
  pin: `OpenRLHF/OpenRLHF ${oRev} (3c3be6234e0cb353e76bb8019947db9dfe99fca7, 2026-08-13)`,
  source: `openrlhf/cli/train_ppo_ray.py @ ${oRev}: every parser.add_argument flag (the f"--{prefix}.*" optimizer flags expanded for actor and critic)`,
  flags,
}, null, 1) + "\n");
console.log(grpo.length, modelCfg.length, scriptArgs.length, orsGrpo, orsYamlKeys.length, verlKeys.length, flags.length);
