// Chooses the backend for a --model spec: `replay:FILE`, an http(s) URL (OpenAI-compatible), a checkpoint directory
// (the native engine), or the runner's test-only `test:` backend.
import { existsSync, statSync } from "node:fs";
import { shippedModels } from "../shipped-models.js";
import { TestBackend } from "./test-backend.js";
import { ReplayBackend } from "./replay.js";
import type { Backend } from "./types.js";

export type { Backend, Generation, GenerationRequest, SamplingParams } from "./types.js";
export { ReplayBackend, ReplayError, parseReplay } from "./replay.js";

/** Options passed through to the backend that takes them (the HTTP backend reads concurrency, keys, timeouts). */
export interface BackendOptions {
  concurrency?: number;
  apiKeyEnv?: string;
  timeoutMs?: number;
  [option: string]: unknown;
}

/** A --model value no backend can serve: one line, shown as a usage error. */
export class ModelSpecError extends Error {}

const HTTP = /^https?:\/\//i;

/** What kind of backend a --model spec names, without opening it. */
export function backendKind(spec: string): "replay" | "openai" | "native" | "test" {
  if (spec.startsWith("replay:")) return "replay";
  if (spec.startsWith("test:")) return "test";
  if (HTTP.test(spec)) return "openai";
  return "native";
}

/** The one-line error for a --model that names nothing: not a path, a backend spec, nor a shipped model. */
export function missingModelMessage(spec: string): string {
  const shipped = shippedModels();
  return `--model ${spec}: no such directory, and not replay:FILE, an http(s) URL${shipped.length ? ` or a shipped model (${shipped.join(", ")})` : ""}`;
}

async function openNative(dir: string, opts: BackendOptions): Promise<Backend> {
  const { NativeBackend, NativeBackendError } = await import("./native.js");
  try {
    return await NativeBackend.open(dir, {
      threads: typeof opts.threads === "number" ? opts.threads : undefined,
      kvCache: opts.kvCache === "bf16" ? "bf16" : undefined,
      activations: opts.activations === "bf16" ? "bf16" : undefined,
      // --concurrency caps the sequences decoding together; a problem's n samples always run together, so n > cap
      // runs one problem at a time (already a full batch).
      maxBatch: typeof opts.concurrency === "number" ? opts.concurrency : undefined,
      modelName: typeof opts.modelName === "string" ? opts.modelName : undefined,
    });
  } catch (e) {
    throw e instanceof NativeBackendError ? new ModelSpecError(e.message) : e;
  }
}

async function openAI(spec: string, opts: BackendOptions): Promise<Backend> {
  const { createOpenAIBackend } = await import("./openai.js");
  return createOpenAIBackend(spec, opts);
}

/**
 * Opens the backend for `modelSpec`:
 * - `replay:FILE`: completions from a JSONL file (see replay.ts);
 * - `http://...` / `https://...` (comma-separated for several servers): an OpenAI-compatible server;
 * - a checkpoint directory: the native engine (CPU, or CUDA when built and present);
 * - `test:...`: the deterministic fake used by the runner's tests only.
 */
export async function createBackend(modelSpec: string, opts: BackendOptions = {}): Promise<Backend> {
  const spec = modelSpec.trim();
  if (spec === "") throw new ModelSpecError("--model is empty");
  switch (backendKind(spec)) {
    case "replay": {
      const file = spec.slice("replay:".length);
      if (file === "") throw new ModelSpecError('--model replay: needs a file, e.g. "replay:outputs.jsonl"');
      return ReplayBackend.fromFile(file);
    }
    case "test":
      return new TestBackend(spec);
    case "openai":
      return openAI(spec, opts);
    default:
      if (!existsSync(spec)) throw new ModelSpecError(missingModelMessage(spec));
      if (!statSync(spec).isDirectory()) {
        throw new ModelSpecError(`--model ${spec} is a file; use replay:${spec} to score its completions, or give a checkpoint directory`);
      }
      return openNative(spec, opts);
  }
}
