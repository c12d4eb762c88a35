// lighteval's `hash_examples` over a suite's prompts: proves our problem texts are byte-identical to the paper's.
import xxhash from "xxhash-wasm";
import { PAPER_PROMPT_TEMPLATE, userPrompt } from "./prompt.js";

let api: Awaited<ReturnType<typeof xxhash>> | null = null;

async function hasher() {
  api ??= await xxhash();
  return api;
}

/**
 * xxHash64 (seed 0) of each prompt as 16 lowercase hex digits, digests sorted ascending (string order), then
 * xxHash64 of their concatenation — lighteval's `hash_examples` as ../shared/benchmarks/README.md describes it.
 * Sorting makes it independent of problem order.
 */
export async function hashExamples(prompts: Iterable<string>): Promise<string> {
  const h = await hasher();
  const digests: string[] = [];
  for (const p of prompts) digests.push(h.h64ToString(p, 0n));
  digests.sort();
  return h.h64ToString(digests.join(""), 0n);
}

/** The hash of a suite's questions under the paper's prompt (or another `{Question}` template). */
export async function promptHash(questions: Iterable<string>, template: string = PAPER_PROMPT_TEMPLATE): Promise<string> {
  const prompts: string[] = [];
  for (const q of questions) prompts.push(userPrompt(q, template));
  return hashExamples(prompts);
}
