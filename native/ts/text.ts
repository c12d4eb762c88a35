// text.ts: prompt text in, completions out: the tokenizer + NativeSession glue a generation backend needs (one prompt, n seeded samples).
import type { NativeSession } from "./native.js";
import type { CheckpointTokenizer } from "./tokenizer.js";

export interface TextSampling {
  temperature: number;
  topP?: number;
  topK?: number;
  minP?: number;
  maxNewTokens: number;
}

export interface TextSample {
  /** Decoded completion without special tokens (the stop token is not in the text). */
  completion: string;
  finishReason: "stop" | "length" | "cancelled";
  promptTokens: number;
  completionTokens: number;
  tokens: Int32Array;
  logprobs: Float32Array;
}

/**
 * Generates one completion per seed for an already rendered prompt; all samples share one prefill and decode
 * together. Stop tokens are the checkpoint's end-of-sequence ids (first 8).
 */
export async function generateText(
  session: NativeSession,
  tok: CheckpointTokenizer,
  prompt: string,
  seeds: number[],
  p: TextSampling,
  opts: { signal?: AbortSignal; onToken?: (sample: number, token: number) => boolean | undefined } = {},
): Promise<TextSample[]> {
  const ids = tok.encode(prompt);
  if (ids.length === 0) throw new Error("the prompt encodes to no tokens");
  if (seeds.length === 0) return [];
  const r = await session.generate({
    prompts: [ids],
    nSamples: seeds.length,
    params: seeds.map((seed) => ({ ...p, seed, stop: tok.eosIds.slice(0, 8) })),
    signal: opts.signal,
    onToken: opts.onToken,
  });
  return r.sequences.map((q) => ({
    completion: tok.decode(q.tokens, true),
    finishReason: q.finish,
    promptTokens: ids.length,
    completionTokens: q.tokens.length,
    tokens: q.tokens,
    logprobs: q.logprobs,
  }));
}
