// What every backend checks and decides about a request the same way: the sample indices it may be asked for, and
// the new-token limit a sample really gets when prompt + requested tokens exceed the model's context.
import type { GenerationRequest } from "./types.js";

/** Validates what every backend must reject the same way: sample indices that are not distinct non-negative integers. */
export function checkSampleIndices(backend: string, req: Pick<GenerationRequest, "problemId" | "sampleIndices">): void {
  const idx = req.sampleIndices;
  if (!Array.isArray(idx)) throw new Error(`${backend} backend: sampleIndices of ${req.problemId} is not a list`);
  const seen = new Set<number>();
  for (const i of idx) {
    if (!Number.isInteger(i) || i < 0) {
      throw new Error(`${backend} backend: bad sample index ${JSON.stringify(i)} for ${req.problemId} (need a non-negative integer)`);
    }
    if (seen.has(i)) throw new Error(`${backend} backend: sample index ${i} requested twice for ${req.problemId}`);
    seen.add(i);
  }
}

/**
 * The new-token limit a sample runs under: what was asked for, lowered to what the model's context leaves after the
 * prompt, as vLLM does (the paper's 32,768 new tokens exceed most small models' context; generation then ends at
 * the context, finish reason "length"). 0 when the prompt alone fills the context. `contextLength` null = unknown.
 */
export function fitNewTokens(promptTokens: number, requested: number, contextLength: number | null): number {
  if (contextLength === null || !Number.isFinite(contextLength)) return requested;
  return Math.max(0, Math.min(requested, contextLength - promptTokens));
}
