// model.ts: `openrs-eval model tiny|info|generate`, thin CLI over the tiny-model factory and the native engine (registered by src/cli.ts).
import { resolveModelSpec } from "../shipped-models.js";
import { existsSync } from "node:fs";
import Table from "cli-table3";
import { type Command, Option } from "commander";
import { type CommandContext, EXIT_FAILURE, intInRange, numberInRange, positiveInt, UsageError } from "../cli-common.js";
import { NativeModel, simdName } from "../../native/ts/native.js";
import { ensureDir } from "../fs-safe.js";
import { ensureNativeEngine } from "../native-build.js";
import type { DType } from "../../native/ts/safetensors.js";
import { ARCH_CLASS, type TinyModelOptions, writeTinyModel } from "../../native/ts/tiny-model.js";
import { loadTokenizer } from "../../native/ts/tokenizer.js";

/** The flags of `model tiny`: the factory's options, with the dtype spelled as on the command line. */
interface TinyFlags extends Omit<TinyModelOptions, "dtype" | "ropeScaling"> {
  out: string;
  seed: number;
  dtype: "bf16" | "f16" | "f32";
}

interface GenerateFlags {
  prompt: string;
  chat?: boolean;
  maxNewTokens: number;
  maxNew?: number;
  temperature: number;
  topP: number;
  seed: number;
  samples: number;
  threads?: number;
}

/** Opens `dir`, already resolved from a shipped model's short name by the caller (resolveModelSpec). */
async function openModel(dir: string, err: NodeJS.WritableStream, threads?: number): Promise<NativeModel> {
  if (!existsSync(dir)) throw new UsageError(`model directory ${dir} does not exist`);
  await ensureNativeEngine(err);
  try {
    return await NativeModel.load(dir, { threads });
  } catch (e) {
    throw new UsageError(`${dir}: ${(e as Error).message}`);
  }
}

export function registerModel(program: Command, ctx: CommandContext): void {
  const model = program.command("model").description("Checkpoints for the native engine: make tiny random ones, inspect, generate.");
  model
    .command("tiny")
    .description("Write a seeded random-weight Hugging Face checkpoint (config, safetensors, tokenizer, chat template).")
    .addOption(new Option("--arch <arch>", "architecture").choices(Object.keys(ARCH_CLASS)).makeOptionMandatory())
    .requiredOption("--out <dir>", "directory to write (created if missing)")
    .option("--seed <n>", "random seed", intInRange("--seed", 0), 1)
    .addOption(new Option("--dtype <dtype>", "stored weight dtype").choices(["bf16", "f16", "f32"]).default("bf16"))
    .option("--hidden <n>", "hidden size (default 64)", positiveInt("--hidden"))
    .option("--layers <n>", "layers (default 2)", positiveInt("--layers"))
    .option("--heads <n>", "attention heads (default 4)", positiveInt("--heads"))
    .option("--kv-heads <n>", "key/value heads (default 2)", positiveInt("--kv-heads"))
    .option("--head-dim <n>", "head dim (default hidden / heads)", positiveInt("--head-dim"))
    .option("--ffn <n>", "MLP width (default 2 x hidden)", positiveInt("--ffn"))
    .option("--vocab <n>", "vocabulary size (default 259, the tiny tokenizer's)", positiveInt("--vocab"))
    .option("--tied", "tie the output head to the embeddings")
    .option("--max-positions <n>", "context length (default 2048)", positiveInt("--max-positions"))
    .option("--embed-scale <x>", "half-width of the uniform embedding init (default 1; ~0.02 to train from scratch)", numberInRange("--embed-scale", 0, 10, true))
    .option("--think", "chat template whose generation prompt opens <think> (as R1-distilled models)")
    .action((f: TinyFlags) => {
      try {
        const { out, dtype, ...options } = f;
        ensureDir(out, "--out");
        const { config } = writeTinyModel(out, { ...options, dtype: dtype.toUpperCase() as DType });
        ctx.out.write(`wrote ${config.architectures} checkpoint to ${f.out} (hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, ${f.dtype})\n`);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    });
  model
    .command("info <dir>")
    .description("Load a checkpoint with the native engine and print its shape, dtype and the CPU kernels in use.")
    .action(async (dir: string) => {
      using m = await openModel(resolveModelSpec(dir), ctx.err, 1);
      const t = new Table({ style: { head: [], border: [] } });
      const i = m.info;
      t.push({ arch: i.arch }, { dtype: i.dtype }, { vocab: i.vocab }, { hidden: i.hidden }, { layers: i.layers }, { "heads / kv heads": `${i.heads} / ${i.kvHeads}` }, { "head dim": i.headDim }, { "max positions": i.maxPositions }, { "cpu kernels": simdName() });
      ctx.out.write(`${t.toString()}\n`);
    });
  model
    .command("generate <dir>")
    .description("Tokenize a prompt with the checkpoint's tokenizer, generate with the native engine, print the completions.")
    .requiredOption("--prompt <text>", "prompt text")
    .option("--chat", "wrap the prompt as one user turn with the chat template")
    // The same names and sampling defaults as `run` (the paper's: 0.6, 0.95, seed 1234); only the token limit is
    // short by default, as this command is a quick look at a checkpoint, not an evaluation.
    .option("--max-new-tokens <n>", "most generated tokens per sample (default 64 here)", positiveInt("--max-new-tokens"), 64)
    .addOption(new Option("--max-new <n>", "old name of --max-new-tokens").argParser(positiveInt("--max-new")).hideHelp())
    .option("--temperature <t>", "sampling temperature, 0 = greedy (default 0.6, as run)", numberInRange("--temperature", 0, 10), 0.6)
    .option("--top-p <p>", "nucleus sampling mass (default 0.95, as run)", numberInRange("--top-p", 0, 1, true), 0.95)
    .option("--seed <n>", "base seed; sample i uses seed + i (default 1234, as run)", intInRange("--seed", 0, 2 ** 31 - 1), 1234)
    .option("--samples <n>", "samples sharing one prefill", positiveInt("--samples"), 1)
    .option("--threads <n>", "CPU threads (default: all cores)", positiveInt("--threads"))
    .action(async (name: string, f: GenerateFlags) => {
      const dir = resolveModelSpec(name);
      using m = await openModel(dir, ctx.err, f.threads);
      using s = m.session();
      let tok: ReturnType<typeof loadTokenizer>;
      try {
        tok = loadTokenizer(dir);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const text = f.chat ? tok.renderChat([{ role: "user", content: f.prompt }]) : f.prompt;
      const ids = tok.encode(text);
      if (ids.length === 0) throw new UsageError("the prompt encodes to no tokens");
      const t0 = performance.now();
      const r = await s.generate({
        prompts: [ids],
        nSamples: f.samples,
        params: Array.from({ length: f.samples }, (_, i) => ({
          temperature: f.temperature,
          topP: f.topP,
          seed: f.seed + i,
          maxNewTokens: f.maxNew ?? f.maxNewTokens,
          stop: tok.eosIds.slice(0, 8),
        })),
      });
      const secs = (performance.now() - t0) / 1000;
      let n = 0;
      for (const q of r.sequences) {
        n += q.tokens.length;
        ctx.out.write(`--- sample ${q.sample} (${q.tokens.length} tokens, ${q.finish})\n${tok.decode(q.tokens)}\n`);
      }
      ctx.err.write(`${ids.length} prompt tokens, ${n} generated in ${secs.toFixed(2)} s\n`);
      if (r.cancelled) ctx.setCode(EXIT_FAILURE);
    });
}
