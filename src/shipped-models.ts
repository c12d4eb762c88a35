// Models shipped with openrs in its models/ folder (trained by the project itself), reachable by short name:
// `--model openrs-tiny` is models/openrs-tiny/ of the installed package, wherever the command runs from.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./version.js";

/** The folder holding the shipped checkpoints. */
export function shippedModelsDir(): string {
  return join(packageRoot(), "models");
}

/** Short names of the shipped checkpoints (folders of models/ with a config.json), sorted. */
export function shippedModels(dir = shippedModelsDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "config.json")))
    .map((e) => e.name)
    .sort();
}

/**
 * The checkpoint directory a --model value names: a short name of a shipped model resolves to its folder, unless a
 * path of that name exists where the command runs (an explicit path always wins). Anything else is returned as is.
 */
export function resolveModelSpec(spec: string, dir = shippedModelsDir()): string {
  if (spec === "" || /[/\\:]/.test(spec) || existsSync(spec)) return spec;
  return shippedModels(dir).includes(spec) ? join(dir, spec) : spec;
}
