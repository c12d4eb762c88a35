// The request rules every backend shares: sample-index validation and the new-token limit against the context.
import { describe, expect, it } from "vitest";
import { checkSampleIndices, fitNewTokens } from "../../src/backends/request.js";

describe("fitNewTokens", () => {
  it.each<[number, number, number | null, number, string]>([
    [100, 32768, 1024, 924, "the paper's default is lowered to what the context leaves"],
    [100, 500, 1024, 500, "a request that fits is unchanged"],
    [1024, 16, 1024, 0, "a prompt that fills the context leaves nothing"],
    [2000, 16, 1024, 0, "never negative"],
    [100, 32768, null, 32768, "unknown context: unchanged"],
  ])("prompt %i, asked %i, context %s -> %i (%s)", (prompt, asked, ctx, want, _why) => {
    expect(fitNewTokens(prompt, asked, ctx)).toBe(want);
  });
});

describe("checkSampleIndices", () => {
  it.each([
    [[0, -1], /bad sample index -1 for p\/1/],
    [[0, 1.5], /bad sample index 1.5/],
    [[2, 2], /sample index 2 requested twice/],
  ])("%j is refused", (idx, msg) => {
    expect(() => checkSampleIndices("x", { problemId: "p/1", sampleIndices: idx })).toThrow(msg);
  });
  it("distinct non-negative integers pass", () => {
    expect(() => checkSampleIndices("x", { problemId: "p/1", sampleIndices: [3, 0, 7] })).not.toThrow();
  });
});
