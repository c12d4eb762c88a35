// Reward recipes: a YAML/JSON file holding the whole reward setup (functions, weights, options, prompt, limits),
// its validator, and the three Open-RS experiments shipped in trainer/recipes/.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { RewardSet } from "./rewards/weighted.js";
import { parseTrainingConfig, type TrainingConfig } from "./training-config.js";

/** Trailing strings a decoded sequence may carry after the completion (end-of-sequence and padding tokens). */
export const DEFAULT_EOS_STRINGS: readonly string[] = Object.freeze([
  "<｜end▁of▁sentence｜>",
  "<|endoftext|>",
  "<|im_end|>",
  "<|end_of_text|>",
  "<|eot_id|>",
  "</s>",
  "<pad>",
  "<|pad|>",
]);

export interface Recipe {
  version: 1;
  name: string;
  description: string | null;
  /** Training data the experiment used (informative). */
  dataset: string | null;
  /** The system prompt, verbatim; a setting of the experiment. */
  systemPrompt: string | null;
  /** Generation cap in tokens. */
  maxCompletionLength: number | null;
  rewardFuncs: string[];
  rewardWeights: number[];
  rewardOptions: Record<string, Record<string, unknown>>;
  /** tokenizer.json path (resolved against the recipe's folder), for rewards that count tokens. */
  tokenizer: string | null;
  /** Hard grading budget per item, ms. */
  graderBudgetMs: number;
  /** Strings stripped from the end of OpenRLHF queries before grading. */
  eosStrings: string[];
  /** The GRPO settings (`training:`), defaults filled in: the paper's when the block is absent. */
  training: TrainingConfig;
  /** Where it came from: a file path, "shipped:<name>", or "inline". */
  source: string;
}

const KEYS = [
  "version",
  "name",
  "description",
  "dataset",
  "system_prompt",
  "max_completion_length",
  "reward_funcs",
  "reward_weights",
  "reward_options",
  "tokenizer",
  "grader_budget_ms",
  "eos_strings",
  "training",
] as const;

export const DEFAULT_RECIPE_NAME = "openrs-exp3";

const here = dirname(fileURLToPath(import.meta.url));

/** The folder of shipped recipes, from the source tree (trainer/) or the build output (dist/trainer/). */
export function recipesDir(): string {
  for (const d of [join(here, "recipes"), resolve(here, "..", "..", "trainer", "recipes")]) {
    if (existsSync(join(d, `${DEFAULT_RECIPE_NAME}.yaml`))) return d;
  }
  throw new Error(`shipped recipes not found (looked in ${join(here, "recipes")})`);
}

/** Names of the shipped recipes. */
export function shippedRecipes(): string[] {
  return readdirSync(recipesDir())
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Validates a parsed recipe object; throws one line naming the source and the bad field. Reward options are
 * checked by building the reward set, so an unknown function or option fails here, not at the first batch.
 */
export function parseRecipe(raw: unknown, source = "inline", baseDir: string | null = null): Recipe {
  const fail = (msg: string): never => {
    throw new Error(`recipe ${source}: ${msg}`);
  };
  if (!isPlainObject(raw)) return fail("must be a mapping (YAML or JSON object)");
  for (const k of Object.keys(raw)) if (!(KEYS as readonly string[]).includes(k)) fail(`unknown field "${k}" (known: ${KEYS.join(", ")})`);
  if (raw.version !== undefined && raw.version !== 1) fail(`unsupported version ${JSON.stringify(raw.version)} (this build reads version 1)`);
  const str = (k: string): string | null => {
    const v = raw[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== "string") return fail(`"${k}" must be a string`);
    return v;
  };
  const funcs = raw.reward_funcs;
  if (!Array.isArray(funcs) || funcs.length === 0 || funcs.some((f) => typeof f !== "string")) fail('"reward_funcs" must be a non-empty list of names');
  const weights = raw.reward_weights === undefined ? (funcs as string[]).map(() => 1.0) : raw.reward_weights;
  if (!Array.isArray(weights)) fail('"reward_weights" must be a list of numbers');
  const options = raw.reward_options === undefined || raw.reward_options === null ? {} : raw.reward_options;
  if (!isPlainObject(options)) fail('"reward_options" must map function names to option mappings');
  for (const [k, v] of Object.entries(options as Record<string, unknown>)) if (!isPlainObject(v)) fail(`reward_options.${k} must be a mapping`);
  const mcl = raw.max_completion_length;
  if (mcl !== undefined && mcl !== null && (typeof mcl !== "number" || !Number.isInteger(mcl) || mcl < 1)) fail('"max_completion_length" must be a positive integer');
  const budget = raw.grader_budget_ms ?? 1000;
  if (typeof budget !== "number" || !Number.isFinite(budget) || budget <= 0) fail('"grader_budget_ms" must be a positive number');
  const eos = raw.eos_strings ?? DEFAULT_EOS_STRINGS;
  if (!Array.isArray(eos) || eos.some((s) => typeof s !== "string" || s === "")) fail('"eos_strings" must be a list of non-empty strings');
  let training: TrainingConfig;
  try {
    training = parseTrainingConfig(raw.training);
  } catch (e) {
    return fail((e as Error).message);
  }
  let tokenizer = str("tokenizer");
  if (tokenizer !== null && baseDir !== null && !isAbsolute(tokenizer)) tokenizer = resolve(baseDir, tokenizer);
  const recipe: Recipe = {
    version: 1,
    name: str("name") ?? fail('"name" is required'),
    description: str("description"),
    dataset: str("dataset"),
    systemPrompt: str("system_prompt"),
    maxCompletionLength: (mcl as number | undefined) ?? null,
    rewardFuncs: [...(funcs as string[])],
    rewardWeights: [...(weights as number[])],
    rewardOptions: structuredClone(options as Record<string, Record<string, unknown>>),
    tokenizer,
    graderBudgetMs: budget as number,
    eosStrings: [...(eos as string[])],
    training,
    source,
  };
  try {
    rewardSetOf(recipe);
  } catch (e) {
    fail((e as Error).message);
  }
  return recipe;
}

/** The recipe's reward functions and weights. */
export function rewardSetOf(recipe: Recipe): RewardSet {
  return new RewardSet({ funcs: recipe.rewardFuncs, weights: recipe.rewardWeights, options: recipe.rewardOptions });
}

/** Reads and validates a recipe file (.yaml, .yml or .json). */
export function loadRecipeFile(file: string): Recipe {
  if (!existsSync(file)) throw new Error(`recipe file not found: ${file}`);
  if (!statSync(file).isFile()) throw new Error(`recipe is not a file: ${file}`);
  const text = readFileSync(file, "utf8");
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`recipe ${file}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"} (${(e as Error).message.split("\n")[0]})`);
  }
  return parseRecipe(raw, file, dirname(resolve(file)));
}

/** A recipe by file path, or by the name of a shipped recipe (e.g. "openrs-exp3"). */
export function loadRecipe(nameOrPath: string = DEFAULT_RECIPE_NAME): Recipe {
  if (existsSync(nameOrPath)) return loadRecipeFile(nameOrPath);
  if (/^[\w.-]+$/.test(nameOrPath)) {
    const file = join(recipesDir(), `${nameOrPath}.yaml`);
    if (existsSync(file)) return { ...loadRecipeFile(file), source: `shipped:${nameOrPath}` };
  }
  throw new Error(`recipe not found: "${nameOrPath}" is neither a file nor a shipped recipe (${shippedRecipes().join(", ")})`);
}
