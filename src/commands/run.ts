// `openrs-eval run` (also the default command: `openrs-eval --model ... --bench ...`): evaluate a model on suites.
import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { BenchmarkDataError } from "../../benchmarks/load.js";
import { UnknownSuiteError } from "../../benchmarks/registry.js";
import { backendKind, createBackend, missingModelMessage, ModelSpecError, ReplayBackend, ReplayError } from "../backends/index.js";
import { OpenAIConfigError } from "../backends/openai.js";
import type { Backend, SamplingParams } from "../backends/types.js";
import { type CommandContext, intInRange, numberInRange, positiveInt, positiveNumber, UsageError } from "../cli-common.js";
import { resolveModelSpec } from "../shipped-models.js";
import { ensureDir, FsPathError } from "../fs-safe.js";
import { provenance, weightsBytes, weightsHash } from "../runner/provenance.js";
import { nativeBuildText } from "../version.js";
import { defaultKs } from "../runner/metrics.js";
import { chatTemplateRenderer, type PromptRenderer, prepareSuites, userMessageRenderer } from "../runner/prepare.js";
import { detailTable, errorNote, table1, uncertaintyNote } from "../runner/report.js";
import { RunDirError } from "../runner/run-dir.js";
import { RUN_PRESETS, runEval } from "../runner/runner.js";

interface RunFlags {
  model?: string;
  bench: string;
  samples?: number;
  temperature?: number;
  topP?: number;
  maxNewTokens?: number;
  seed?: number;
  limit?: number;
  concurrency: number;
  out?: string;
  preset: string;
  k?: number[];
  dataDir?: string;
  tokenizer?: string;
  chat?: boolean;
  addSpecialTokens?: boolean;
  jobs?: number;
  budgetMs?: number;
  apiKeyEnv?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  kvCache?: "f32" | "bf16";
  activations?: "f32" | "bf16";
  retryErrors?: boolean;
  servedModelName?: string;
  progress?: boolean;
  quiet?: boolean;
  json?: boolean;
}

function f32OrBf16(flag: string): (v: string) => "f32" | "bf16" {
  return (v) => {
    if (v !== "f32" && v !== "bf16") throw new InvalidArgumentError(`${flag} must be f32 or bf16, got ${JSON.stringify(v)}.`);
    return v;
  };
}

function kList(v: string): number[] {
  const ks = v.split(",").map((s) => Number(s.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new InvalidArgumentError("--k must be a comma-separated list of positive integers, e.g. 1,4,16.");
  return ks;
}

/** A directory name from the model spec, so rerunning the same command resumes into the same folder. */
export function defaultOutDir(model: string): string {
  const base = model.startsWith("replay:") ? `replay-${basename(model.slice(7)).replace(/\.jsonl?$/, "")}` : model.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  const slug = base.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "").slice(-80) || "model";
  return join("runs", slug);
}

function renderer(flags: RunFlags, kind: string): PromptRenderer {
  try {
    if (flags.tokenizer !== undefined) return chatTemplateRenderer(flags.tokenizer);
    if (kind === "native") return chatTemplateRenderer(flags.model!);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // Without a local template an HTTP server must apply its own (chat endpoint), and replay needs none.
  return userMessageRenderer();
}

/**
 * Counts completion tokens with the `--tokenizer`'s tokenizer.json, for batched responses whose usage cannot say
 * each sample's count; undefined when the folder has none (the server's counts alone are used then).
 */
async function localTokenCounter(dir: string): Promise<((text: string) => number) | undefined> {
  // Loaded on demand: the tokenizer library is only needed by HTTP runs given --tokenizer.
  const { loadTokenizer } = await import("../../native/ts/tokenizer.js");
  try {
    const tok = loadTokenizer(dir);
    return (text) => tok.encode(text).length;
  } catch {
    return undefined;
  }
}

const USER_ERRORS = [UnknownSuiteError, BenchmarkDataError, ModelSpecError, ReplayError, RunDirError, OpenAIConfigError, FsPathError];

const KIND_NAME = { replay: "a replay file", openai: "an HTTP server", native: "a checkpoint directory", test: "the test backend" } as const;

/**
 * Flags that cannot apply to the chosen backend. Those that would change nothing but could mislead (a replay's
 * sampling flags: the completions already exist) are returned to be recorded as not applicable; those that say the
 * user expects another backend are refused.
 */
export function inapplicableFlags(flags: RunFlags, kind: keyof typeof KIND_NAME): string[] {
  const refuse = (flag: string, why: string): never => {
    throw new UsageError(`${flag} does not apply to ${KIND_NAME[kind]} (${why})`);
  };
  if (flags.kvCache !== undefined && kind !== "native") refuse("--kv-cache", "it sets the native engine's KV cache, used with a checkpoint directory");
  if (flags.activations !== undefined && kind !== "native")
    refuse("--activations", "it sets the native engine's matmul inputs, used with a checkpoint directory");
  if (flags.servedModelName !== undefined && kind !== "openai") refuse("--served-model-name", "it names the model an HTTP server serves");
  if (kind === "replay") {
    if (flags.tokenizer !== undefined) refuse("--tokenizer", "a replay's completions are already made; no prompt is rendered for a model");
    if (flags.chat) refuse("--chat", "a replay calls no server");
  } else if (flags.chat && kind !== "openai") refuse("--chat", "it selects the HTTP server's chat endpoint");
  if (kind !== "replay") return [];
  const ignored: [unknown, string][] = [
    [flags.temperature, "temperature"],
    [flags.topP, "top-p"],
    [flags.maxNewTokens, "max-new-tokens"],
    [flags.seed, "seed"],
  ];
  return ignored.filter(([v]) => v !== undefined).map(([, name]) => name);
}

/** What run.json records about the backend: server URLs, or the engine build and a hash of the weights. */
async function backendFacts(backend: Backend, kind: string, spec: string, err: NodeJS.WritableStream): Promise<Record<string, unknown>> {
  if (kind === "openai") return { servers: spec.split(",").map((u) => u.trim()), servedModel: backend.model };
  if (kind === "replay" && backend instanceof ReplayBackend) {
    return { file: resolve(spec.slice("replay:".length)), ...(backend.sourceModel ? { sourceModel: backend.sourceModel } : {}), ...(backend.synthetic ? { synthetic: true } : {}) };
  }
  if (kind === "native") {
    const bytes = weightsBytes(spec);
    if (bytes > 1 << 30) err.write(`openrs-eval: hashing ${(bytes / 2 ** 30).toFixed(1)} GiB of weights for run.json\n`);
    // The kernel path changes the last bits of every logit (see native/README): record it with the engine build.
    const { simdName, threadsPolicy } = await import("../../native/ts/native.js");
    return { device: backend.name, engine: nativeBuildText(), kernels: simdName(), threads: threadsPolicy(), weights: await weightsHash(spec) };
  }
  return {};
}

async function runCommand(flags: RunFlags, ctx: CommandContext): Promise<number> {
  const { out, err } = ctx;
  if (flags.model === undefined) throw new UsageError("--model is required (a checkpoint directory, an http(s) URL, or replay:FILE)");
  const preset = RUN_PRESETS[flags.preset];
  if (!preset) throw new UsageError(`unknown --preset "${flags.preset}" (known: ${Object.keys(RUN_PRESETS).join(", ")})`);
  const samples = flags.samples ?? preset.samples;
  // A replay samples nothing: its run records the preset's sampling whatever flags were given (see inapplicableFlags).
  const sampling: SamplingParams = backendKind(flags.model) === "replay" ? { ...preset.sampling } : {
    temperature: flags.temperature ?? preset.sampling.temperature,
    topP: flags.topP ?? preset.sampling.topP,
    maxNewTokens: flags.maxNewTokens ?? preset.sampling.maxNewTokens,
    seed: flags.seed ?? preset.sampling.seed,
  };
  const k = flags.k ?? defaultKs(samples);
  const tooBig = k.filter((x) => x > samples);
  if (tooBig.length) {
    throw new UsageError(`--k ${tooBig.join(",")} needs at least ${Math.max(...tooBig)} samples per problem, and the run takes ${samples}; raise --samples or lower --k`);
  }
  const outDir = flags.out ?? defaultOutDir(flags.model);
  // A shipped model's short name (`openrs-tiny`) names its folder from here on; the out dir keeps the short name.
  const shortName: string = flags.model;
  const model = resolveModelSpec(shortName);
  flags = { ...flags, model };
  const shipped = model !== shortName;
  const kind = backendKind(model);
  if (kind === "native" && !existsSync(model)) throw new UsageError(missingModelMessage(model));
  const notApplicable = inapplicableFlags(flags, kind);
  if (notApplicable.length) {
    err.write(`openrs-eval: ${notApplicable.map((n) => `--${n}`).join(", ")} ignored: a replay samples nothing (recorded in run.json as not applicable)\n`);
  }
  ensureDir(outDir, "--out"); // fail now, not after loading a model
  if (kind === "native" && statSync(model).isDirectory()) { // it exists: checked above
    await (await import("../native-build.js")).ensureNativeEngine(err);
  }
  let backend: Backend | null = null;
  const abort = new AbortController();
  const onSignal = (): void => {
    err.write("\nopenrs-eval: interrupted; saving finished samples (rerun the same command to resume)\n");
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const suites = prepareSuites(flags.bench, { dataDir: flags.dataDir, limit: flags.limit });
    // Without --tokenizer the prompt cannot be rendered here, so the server's chat endpoint applies its template.
    const chat = flags.tokenizer === undefined ? kind === "openai" : Boolean(flags.chat);
    const prompt = renderer(flags, kind);
    // The template's end of turn as stop strings, for servers that do not stop on the end token (recorded in run.json
    // with the sampling settings); the native engine stops on the checkpoint's own EOS ids.
    if (kind === "openai" && prompt.stop.length > 0) sampling.stop = prompt.stop;
    backend = await createBackend(model, {
      concurrency: flags.concurrency,
      ...(flags.apiKeyEnv !== undefined ? { apiKeyEnv: flags.apiKeyEnv } : {}),
      ...(flags.timeoutMs !== undefined ? { timeoutMs: flags.timeoutMs } : {}),
      ...(flags.maxAttempts !== undefined ? { maxAttempts: flags.maxAttempts } : {}),
      ...(flags.kvCache !== undefined ? { kvCache: flags.kvCache } : {}),
      ...(flags.activations !== undefined ? { activations: flags.activations } : {}),
      ...(shipped ? { modelName: shortName } : {}),
      ...(flags.servedModelName !== undefined ? { model: flags.servedModelName } : {}),
      ...(kind === "openai" ? { chat } : {}),
      // A locally rendered prompt already starts with the template's BOS; vLLM/SGLang would add a second one.
      ...(kind === "openai" && !chat && !flags.addSpecialTokens ? { extraBody: { add_special_tokens: false } } : {}),
      ...(kind === "openai" && flags.tokenizer !== undefined ? { countTokens: await localTokenCounter(flags.tokenizer) } : {}),
    });
    const synthetic = backend instanceof ReplayBackend && backend.synthetic;
    const facts = await backendFacts(backend, kind, model, err);
    const result = await runEval({
      backend,
      suites,
      render: prompt.render,
      promptFormat: prompt.format,
      out: outDir,
      samples,
      sampling,
      limit: flags.limit ?? null,
      k,
      concurrency: flags.concurrency,
      preset: flags.preset,
      jobs: flags.jobs,
      gradeBudgetMs: flags.budgetMs,
      retryErrors: flags.retryErrors,
      progress: flags.quiet ? "off" : flags.progress ? "on" : "auto",
      stderr: err as NodeJS.WritableStream & { isTTY?: boolean },
      signal: abort.signal,
      ...(kind === "native" ? { kvCache: flags.kvCache ?? "f32", activations: flags.activations ?? "f32" } : {}),
      notApplicable,
      synthetic,
      provenance: provenance(ctx.argv ? ["openrs-eval", ...ctx.argv] : undefined, facts),
    });
    const m = result.manifest;
    if (synthetic && !flags.json) {
      out.write("SYNTHETIC: these completions are made up (the replay file marks every line synthetic), not a model's outputs; the scores measure nothing.\n");
    }
    if (flags.json) {
      out.write(`${JSON.stringify({ dir: outDir, ...(m.synthetic ? { synthetic: true } : {}), metrics: m.metrics }, null, 2)}\n`);
    } else {
      const note = errorNote(m);
      out.write(`${table1(m)}\n${detailTable(m)}\n${uncertaintyNote(m)}\n${note ? `${note}\n` : ""}`);
    }
    if (!flags.quiet) {
      const reused = result.reused ? `, ${result.reused} reused from an earlier run` : "";
      const retried = result.retried ? `, ${result.retried} failed sample(s) retried` : "";
      const failed = result.failed ? `, ${result.failed} failed in the backend (left out of the scores)` : "";
      err.write(`openrs-eval: ${result.generated} samples generated${reused}${retried}${failed}; wrote ${join(outDir, "run.json")}, samples.jsonl, summary.md\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof OpenAIConfigError) throw new UsageError(e.message.replace("pass the model name explicitly", "pass it with --served-model-name NAME"));
    if (USER_ERRORS.some((C) => e instanceof C)) throw new UsageError((e as Error).message);
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await backend?.close();
  }
}

/** Adds the run options to a command (shared by `run` and the root default). */
function runOptions(cmd: Command): Command {
  return cmd
    .option("-m, --model <spec>", "checkpoint directory, OpenAI-compatible server URL(s) (comma-separated), or replay:FILE")
    .option("-b, --bench <list>", 'suites: "all" (the paper\'s five) or ids separated by commas', "all")
    .option("-n, --samples <n>", "samples per problem (default: 1; --preset r1: 64)", positiveInt("--samples"))
    .option("--temperature <t>", "sampling temperature (default 0.6)", numberInRange("--temperature", 0, 10))
    .option("--top-p <p>", "nucleus sampling mass (default 0.95)", numberInRange("--top-p", 0, 1, true))
    .option("--max-new-tokens <n>", "most generated tokens per sample (default 32768)", positiveInt("--max-new-tokens"))
    .option("--seed <n>", "base seed; sample i uses seed + i where the backend can (default 1234)", intInRange("--seed", 0, 2 ** 31 - 1))
    .option("--limit <n>", "only the first N problems of each suite", positiveInt("--limit"))
    .option("-c, --concurrency <n>", "problems in flight at once", positiveInt("--concurrency"), 32)
    .option("-o, --out <dir>", "run directory; rerunning with the same one resumes (default: runs/<model>)")
    .option("--preset <name>", `settings preset: ${Object.keys(RUN_PRESETS).join(" | ")} (explicit flags win)`, "openrs-paper")
    .option("--k <list>", "k values for pass@k and maj@k (default: 1, powers of two below n, and n)", kList)
    .option("--data-dir <dir>", "folder holding <suite>.jsonl (default: $OPENRS_DATA_DIR, else ../shared/benchmarks, else the cache)")
    .option("--tokenizer <dir>", "HTTP: render prompts here with this folder's chat template and call /v1/completions (default: /v1/chat/completions, the server's template)")
    .option("--chat", "HTTP backend with --tokenizer: call /v1/chat/completions anyway (without --tokenizer it always does)")
    .option(
      "--add-special-tokens",
      'HTTP backend with --tokenizer: let the server add BOS again (default: send "add_special_tokens": false, as the rendered prompt already has it)',
    )
    .option("-j, --jobs <n>", "grader worker threads (default: min(cores, 4))", positiveInt("--jobs"))
    .option("--budget-ms <ms>", 'hard grading time per sample; slower ones get reason "timeout" (default 1000)', positiveNumber("--budget-ms"))
    .option("--served-model-name <name>", "HTTP backend: the model name to request (default: the first one GET /v1/models lists; needed when the server has no /v1/models)")
    .option("--api-key-env <name>", "environment variable holding the API key (default OPENAI_API_KEY)")
    .option("--timeout-ms <ms>", "HTTP per-request timeout", positiveInt("--timeout-ms"))
    .option("--max-attempts <n>", "HTTP attempts per request, the first included (default 6)", positiveInt("--max-attempts"))
    .option("--retry-errors", "resume: generate again the samples an earlier run recorded as failed (finish reason error)")
    .option("--kv-cache <dtype>", "checkpoint directory: KV cache of the CPU engine, f32 (exact, default) or bf16 (half the memory)", f32OrBf16("--kv-cache"))
    .option(
      "--activations <dtype>",
      "checkpoint directory: matmul inputs of the CPU engine, f32 (exact, default) or bf16 (rounded as vLLM and llama.cpp run bf16 models; bf16 dot products on AVX512-BF16 CPUs: faster prefill and batched decode)",
      f32OrBf16("--activations"),
    )
    .option("--progress", "always show the progress bar on stderr (default: when stderr is a TTY)")
    .option("-q, --quiet", "no progress and no closing line on stderr")
    .option("--json", "print the metrics as JSON instead of tables");
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("run", { isDefault: true })
    .description("Evaluate a model: generate, grade, and score pass@1 (and pass@k, maj@k) with confidence intervals; resumable.");
  runOptions(cmd)
    .addHelpText(
      "after",
      [
        "",
        "Writes <out>/run.json (settings, metrics), <out>/samples.jsonl (one line per sample) and <out>/summary.md.",
        "Rerunning the same command resumes; samples made with other settings are refused.",
        "",
        "Examples:",
        "  openrs-eval --model http://localhost:8000 --tokenizer ./DeepSeek-R1-Distill-Qwen-1.5B --bench all",
        "  openrs-eval --model replay:outputs.jsonl --bench aime24,math500 --out runs/mine",
        "  openrs-eval run --model http://a:8000,http://b:8000 --chat --bench aime24 --preset r1",
      ].join("\n"),
    )
    .action(async (flags: RunFlags) => {
      ctx.setCode(await runCommand(flags, ctx));
    });
}
