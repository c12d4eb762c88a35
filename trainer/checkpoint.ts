// Checkpoint directories on disk, shared by every TrainEngine: written whole into a temporary sibling and renamed into
// place, so a crash or a full disk while saving never leaves a half-written directory under the final name and
// never damages the checkpoint already there. Also the Hugging Face parts that do not depend on the engine: the
// config (with the saved dtype) and the tokenizer files copied from the source checkpoint.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** Files of a checkpoint directory that travel with the weights (tokenizer, chat template, generation defaults). */
const COPIED = /^(tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|vocab\.json|merges\.txt|generation_config\.json|chat_template\.jinja|.*\.tiktoken)$/;

function uniqueSuffix(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

/**
 * Writes `dir` atomically: `fill` writes into a fresh temporary sibling directory, which then replaces `dir`.
 * When `fill` throws (a full disk, a refused NaN), the temporary directory is removed and `dir` is untouched.
 * Replacing an existing `dir` takes two renames (Linux has no portable directory swap): the old one is moved aside
 * first and deleted after, so a crash between the two leaves it as `.<name>.old-*` beside the new name, never lost.
 */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void> | void): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(target)}.tmp-${uniqueSuffix()}`);
  mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(target)) {
    const old = join(parent, `.${basename(target)}.old-${uniqueSuffix()}`);
    renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, target);
}

/** Removes what a killed writer left in `parent`: `.NAME.tmp-*` / `.NAME.old-*` directories and files. */
export function removeStaleTemps(parent: string): number {
  if (!existsSync(parent)) return 0;
  let n = 0;
  for (const e of readdirSync(parent))
    if (/^\..+\.(tmp|old)-/.test(e)) {
      rmSync(join(parent, e), { recursive: true, force: true });
      n++;
    }
  return n;
}

/** config.json of the source checkpoint with torch_dtype set to what was saved; tokenizer files copied beside it. */
export function writeHfSideFiles(sourceDir: string, outDir: string, dtype: "f32" | "bf16"): void {
  const config = JSON.parse(readFileSync(join(sourceDir, "config.json"), "utf8")) as Record<string, unknown>;
  config.torch_dtype = dtype === "f32" ? "float32" : "bfloat16";
  writeFileSync(join(outDir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  for (const f of readdirSync(sourceDir)) if (COPIED.test(f) && statSync(join(sourceDir, f)).isFile()) copyFileSync(join(sourceDir, f), join(outDir, f));
}

/** Throws naming the first tensor holding a NaN or an infinity: a checkpoint must never carry one. */
export function assertFinite(tensors: Iterable<[string, ArrayLike<number>]>, what: string): void {
  for (const [name, t] of tensors)
    for (let i = 0; i < t.length; i++)
      if (!Number.isFinite(t[i])) throw new Error(`${what}: tensor ${name} holds ${t[i]} at index ${i}; nothing was written`);
}

/** Writes a small file atomically: a `.NAME.tmp-*` sibling, then rename (removeStaleTemps cleans one a kill left). */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${uniqueSuffix()}`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
