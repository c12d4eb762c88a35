// lighteval's `hash_examples` reproduced: xxHash64 vectors, the sort-and-concatenate rule, and the paper's five recorded values.
import { describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { hashExamples, promptHash } from "../../benchmarks/prompt-hash.js";
import { PAPER_PROMPT_TEMPLATE, userPrompt } from "../../benchmarks/prompt.js";
import { getSuite, PAPER_SUITE_IDS, readSuiteRows } from "../../benchmarks/index.js";
import xxhash from "xxhash-wasm";

const dataDir = findDataDir();
if (!dataDir) console.warn("prompt-hash real-data tests skipped: ../shared/benchmarks not found and OPENRS_DATA_DIR not set");

describe("xxHash64 seed 0 (the primitive lighteval uses)", () => {
  // Published XXH64 test vectors (seed 0), as 16 lowercase hex digits.
  const vectors: [string, string][] = [
    ["", "ef46db3751d8e999"],
    ["a", "d24ec4f1a98c6e5b"],
    ["abc", "44bc2cf5ad770999"],
  ];
  it.each(vectors)("xxh64(%j) = %s", async (input, hex) => {
    const h = await xxhash();
    expect(h.h64ToString(input, 0n)).toBe(hex);
  });
});

describe("hashExamples", () => {
  it("is the hash of the ascending-sorted concatenation of per-prompt digests", async () => {
    const h = await xxhash();
    const prompts = ["b", "a", "ü∑"];
    const digests = prompts.map((p) => h.h64ToString(p, 0n)).sort();
    expect(await hashExamples(prompts)).toBe(h.h64ToString(digests.join(""), 0n));
  });

  it("does not depend on problem order, but on every byte of every prompt", async () => {
    const base = await hashExamples(["x", "y", "z"]);
    expect(await hashExamples(["z", "x", "y"])).toBe(base);
    expect(await hashExamples(["x", "y", "z "])).not.toBe(base);
    expect(await hashExamples(["x", "y"])).not.toBe(base);
  });

  it("promptHash wraps each question in the paper's prompt first", async () => {
    expect(await promptHash(["q1", "q2"])).toBe(await hashExamples([userPrompt("q1"), userPrompt("q2")]));
    expect(await promptHash(["q1"], "{Question}")).toBe(await hashExamples(["q1"]));
    expect(await promptHash(["q1"])).not.toBe(await promptHash(["q1"], PAPER_PROMPT_TEMPLATE.replace("clearly.  The", "clearly. The")));
  });
});

describe.skipIf(!dataDir)("the paper's recorded hash_examples (../shared/benchmarks)", () => {
  const recorded: [string, string][] = [
    ["aime24", "ddec8fc79d0a014b"],
    ["math500", "adf0cc8311011db2"],
    ["amc23", "57f3ead69f601b6a"],
    ["minerva", "2380609739db80f4"],
    ["olympiadbench", "96eebb759f237c57"],
  ];
  it("covers exactly the paper's five", () => {
    expect(recorded.map((r) => r[0])).toEqual(PAPER_SUITE_IDS);
  });
  it.each(recorded)("%s: our problem texts under the paper's prompt hash to %s", async (id, hash) => {
    const suite = getSuite(id);
    expect(suite.promptHash).toBe(hash);
    const rows = readSuiteRows(suite, dataDir!);
    expect(await promptHash(rows.map((r) => r.problem))).toBe(hash);
  });
});
