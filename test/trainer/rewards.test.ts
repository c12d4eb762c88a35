// Table tests for the RL reward functions (hand-computed values), the weighted set, recipes and token counting.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { grade } from "../../grading/grade.js";
import { REWARD } from "../../grading/options.js";
import { loadRecipe, loadRecipeFile, parseRecipe, rewardSetOf, shippedRecipes } from "../../trainer/recipe.js";
import { byteToUnicode } from "../../native/ts/tiny-model.js";
import {
  accuracyReward,
  codePointLength,
  cosineReward,
  formatReward,
  goldIsParsable,
  languageReward,
  loadTokenCounter,
  makeReward,
  nonLatinProseFraction,
  pythonWords,
  RewardSet,
  repetitionValue,
  resolveCosineOptions,
  tagCountReward,
  tokenCounterFromJson,
} from "../../trainer/rewards/index.js";

const T = "\n</think>\n";

const tempDirs: string[] = [];
/** A fresh temp folder, removed after the file's tests. */
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

// ---- a tiny byte-level BPE tokenizer.json built in code (no model download) ----

/** Merges of the tiny vocabulary: "he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld". */
const TINY_MERGES = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"];

/** The tokenizer.json object. */
function tinyTokenizerJson(): object {
  const vocab: Record<string, number> = {};
  for (const ch of byteToUnicode()) vocab[ch] = Object.keys(vocab).length;
  for (const m of TINY_MERGES) vocab[m.replace(" ", "")] = Object.keys(vocab).length;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: TINY_MERGES },
  };
}

/** Writes the tiny tokenizer.json into a fresh temp folder; returns the file path. */
function writeTinyTokenizer(): string {
  const dir = tempDir("openrs-tok-");
  const file = join(dir, "tokenizer.json");
  writeFileSync(file, JSON.stringify(tinyTokenizerJson()));
  return file;
}


describe("format (open-rs): exactly one \\n</think>\\n", () => {
  const rows: [string, number, string][] = [
    [`reasoning${T}answer`, 1, "one closing tag with its newlines"],
    [`<think>\nreasoning${T}answer`, 1, "the opening tag does not matter"],
    ["reasoning</think>\nanswer", 0, "no newline before the tag"],
    ["reasoning\n</think>answer", 0, "no newline after the tag"],
    [`a${T}b${T}c`, 0, "two closing tags"],
    ["\n</think>\n</think>\n", 1, "occurrences are counted without overlap, as Python's str.count does"],
    ["", 0, "empty completion"],
    ["\\boxed{5}", 0, "an answer without the tag"],
  ];
  it.each(rows)("%j → %d (%s)", (c, expected) => {
    expect(formatReward([c], [null])).toEqual([expected]);
  });
});

describe("tag_count: +0.5 per tag present exactly once", () => {
  const rows: [string, number, string][] = [
    [`<think>\nx${T}y`, 1, "both tags once"],
    [`x${T}y`, 0.5, "closing tag only (the prompt opened the block)"],
    ["<think>\nx", 0.5, "opening tag only"],
    [`<think>\n<think>\nx${T}`, 0.5, "opening tag twice earns nothing for it"],
    [`<think>\nx${T}${T}`, 0.5, "closing tag twice earns nothing for it"],
    ["", 0, "empty"],
  ];
  it.each(rows)("%j → %d (%s)", (c, expected) => {
    expect(tagCountReward([c], [null])).toEqual([expected]);
  });
});

describe("accuracy: the grader's reward preset, with the bad-gold policy", () => {
  const rows: [string, string | null, "skip" | "one", number | null, string][] = [
    [`x${T}so the answer is $\\boxed{\\frac{1}{2}}$`, "0.5", "skip", 1, "boxed, mathematically equal"],
    [`x${T}so the answer is $\\boxed{\\frac{1}{3}}$`, "0.5", "skip", 0, "boxed, wrong"],
    [`x${T}the final answer is 0.5`, "0.5", "skip", 0, "unboxed answers earn nothing under the reward preset"],
    [`\\boxed{5}${T}the answer is \\boxed{4}`, "5", "skip", 0, "only the text after </think> counts"],
    ["\\boxed{5}", null, "skip", null, "missing gold is skipped"],
    ["\\boxed{5}", "  ", "skip", null, "blank gold is skipped"],
    ["\\boxed{5}", "\\frac{", "skip", null, "unparsable gold is skipped"],
    ["\\boxed{5}", "\\frac{", "one", 1, "open-rs gives an unparsable gold 1.0"],
    ["\\boxed{5}", null, "one", 1, "open-rs gives a missing gold 1.0"],
    ["\\boxed{6}", "5", "one", 0, "the policy only touches bad golds"],
  ];
  it.each(rows)("%j vs %j (onBadGold %s) → %s (%s)", (c, g, onBadGold, expected) => {
    expect(accuracyReward([c], [g], undefined, { onBadGold })).toEqual([expected]);
    expect(makeReward("accuracy", { onBadGold }).score([c], [g])).toEqual([expected]);
  });

  it("is the grader's verdict itself (grade(..., REWARD)), not a second copy of the rules", () => {
    const c = `x${T}$\\boxed{(-\\infty, 2]}$`;
    expect(accuracyReward([c], ["x \\le 2"])).toEqual([grade(c, "x \\le 2", REWARD).correct ? 1 : 0]);
    expect(accuracyReward([c], ["x \\le 2"])).toEqual([1]);
  });

  it("uses verdicts passed in ctx.correct instead of grading again", () => {
    expect(accuracyReward(["no box", "no box", "no box"], ["1", "1", "1"], { correct: [true, false, null] })).toEqual([1, 0, null]);
  });

  it("parsability of golds: missing, blank and value-less golds are unparsable; text golds parse", () => {
    const rows: [string | null, boolean][] = [
      [null, false],
      ["", false],
      ["\\frac{", false],
      ["x=", false],
      ["5", true],
      ["\\text{Evelyn}", true],
      ["$\\frac{1}{3}$", true],
    ];
    for (const [g, ok] of rows) expect([g, goldIsParsable(g)]).toEqual([g, ok]);
  });
});

describe("cosine, openrs mode (code points, unclamped: periodic in L with period 2·maxLen)", () => {
  const o = resolveCosineOptions({ mode: "openrs" }); // minWrong 0, maxWrong -0.5, minCorrect 0.5, maxCorrect 1, maxLen 1000
  // correct: 0.5 + 0.25(1 + cos(πL/1000)); wrong: -0.5 + 0.25(1 + cos(πL/1000))
  const rows: [number, number, number, string][] = [
    [0, 1.0, 0.0, "L = 0: cos 0 = 1, the best values"],
    [500, 0.75, -0.25, "L = maxLen/2: cos(π/2) = 0, midpoints"],
    [1000, 0.5, -0.5, "L = maxLen: cos π = -1, the worst values"],
    [1500, 0.75, -0.25, "L = 1.5·maxLen: cos(3π/2) = 0, climbing back"],
    [2000, 1.0, 0.0, "L = 2·maxLen: cos 2π = 1, the same as an empty completion (periodic)"],
    [250, 0.5 + 0.25 * (1 + Math.SQRT1_2), -0.5 + 0.25 * (1 + Math.SQRT1_2), "L = maxLen/4: cos(π/4) = √2/2"],
  ];
  it.each(rows)("L = %d → correct %d, wrong %d (%s)", (len, right, wrong) => {
    const text = "a".repeat(len);
    const got = cosineReward([text, text], ["1", "1"], { correct: [true, false] }, o);
    expect(got[0]).toBeCloseTo(right, 12);
    expect(got[1]).toBeCloseTo(wrong, 12);
  });

  it("counts code points like Python's len(), not UTF-16 units or tokens", () => {
    expect(codePointLength("😀".repeat(500))).toBe(500);
    expect(codePointLength("é\ud800x")).toBe(3); // a lone surrogate counts as one, as in Python
    const [v] = cosineReward(["😀".repeat(500)], ["1"], { correct: [true], completionTokens: [1000] }, o);
    expect(v).toBeCloseTo(0.75, 12); // 500 code points, not 1000 units; the token count is ignored in this mode
  });

  it("the paper's defaults, and the unparsable-gold value 1.0 as open-rs returns it", () => {
    expect(o).toMatchObject({ minWrong: 0, maxWrong: -0.5, minCorrect: 0.5, maxCorrect: 1, maxLen: 1000, onBadGold: "one" });
    expect(cosineReward(["x"], [null], undefined, o)).toEqual([1]);
  });

  it("grades the completion itself when no verdicts are given", () => {
    const right = `x${T}\\boxed{7}`;
    const got = cosineReward([right, right], ["7", "8"], undefined, { ...o, maxLen: right.length * 2 });
    expect(got[0]).toBeCloseTo(0.75, 12); // correct at L = maxLen/2
    expect(got[1]).toBeCloseTo(-0.25, 12); // wrong at L = maxLen/2
  });
});

describe("cosine, clamped mode (tokens, saturating; the default)", () => {
  const o = resolveCosineOptions({}); // minWrong -1, maxWrong -0.5, minCorrect 0.5, maxCorrect 1, maxLen 1000
  // correct: 0.5 + 0.25(1 + cos(π·min(L/1000, 1))); wrong: -0.5 - 0.25(1 + cos(...))
  const rows: [number, number, number, string][] = [
    [0, 1.0, -1.0, "L = 0: short right answers best, short wrong answers worst"],
    [500, 0.75, -0.75, "L = maxLen/2"],
    [1000, 0.5, -0.5, "L = maxLen"],
    [2000, 0.5, -0.5, "L = 2·maxLen saturates (openrs mode would give 1.0 / 0.0 here)"],
    [1_000_000, 0.5, -0.5, "far past maxLen: still saturated"],
  ];
  it.each(rows)("L = %d tokens → correct %d, wrong %d (%s)", (len, right, wrong) => {
    const got = cosineReward(["x", "x"], ["1", "1"], { correct: [true, false], completionTokens: [len, len] }, o);
    expect(got[0]).toBeCloseTo(right, 12);
    expect(got[1]).toBeCloseTo(wrong, 12);
  });

  it("defaults: mode clamped, the corrected values, skip on unparsable gold", () => {
    expect(o).toEqual({ mode: "clamped", minWrong: -1, maxWrong: -0.5, minCorrect: 0.5, maxCorrect: 1, maxLen: 1000, onBadGold: "skip" });
    expect(cosineReward(["x"], [null], { completionTokens: [3] }, o)).toEqual([null]);
  });

  it("counts tokens with a tokenizer when the caller gives none", () => {
    const counter = tokenCounterFromJson(tinyTokenizerJson());
    // "hello world" is 2 tokens in the tiny vocabulary; maxLen 4 puts it at p = 1/2.
    const [v] = cosineReward(["hello world"], ["1"], { correct: [true], tokenCounter: counter }, { ...o, maxLen: 4 });
    expect(v).toBeCloseTo(0.75, 12);
  });

  it("without token counts or a tokenizer it fails with a message saying how to provide them", () => {
    expect(() => cosineReward(["x"], ["1"], { correct: [true] }, o)).toThrow(/completion_tokens|tokenizer/);
  });
});

describe("repetition: (1 - unique/total word n-grams) · maxPenalty", () => {
  const rows: [string, number, number, number, string][] = [
    ["", 3, -1, 0, "empty"],
    ["a b", 3, -1, 0, "fewer words than n"],
    ["a b c", 3, -1, 0, "one n-gram, all unique"],
    ["a b c a b c", 3, -1, -0.25, "4 trigrams (abc, bca, cab, abc), 3 unique"],
    ["A a a a", 3, -1, -0.5, "lower-cased: 'a a a' twice, 1 unique of 2"],
    ["the cat\tthe\u3000cat the cat", 3, -1, -0.5, "tab and ideographic space split words: 4 trigrams, 2 unique"],
    ["x\x1cx\x1cx\x1cx", 3, -1, -0.5, "\\x1c is whitespace to Python's split() (not to JS \\s): 4 words"],
    ["a a a", 2, -2, -1, "bigrams aa, aa: half unique, times -2"],
  ];
  it.each(rows)("%j (n=%d, max %d) → %d (%s)", (text, ngramSize, maxPenalty, expected) => {
    expect(repetitionValue(text, { ngramSize, maxPenalty })).toBeCloseTo(expected, 12);
    expect(Object.is(repetitionValue(text, { ngramSize, maxPenalty }), -0)).toBe(false);
  });

  it("splits like Python's str.split(): no empty words at the ends", () => {
    expect(pythonWords("  Hello\n World  ")).toEqual(["hello", "world"]);
    expect(pythonWords("")).toEqual([]);
  });

  it("refuses a positive maxPenalty", () => {
    expect(() => makeReward("repetition", { maxPenalty: 1 })).toThrow(/maxPenalty.*<= 0/);
  });
});

describe("language: share of prose letters in non-Latin scripts", () => {
  const rows: [string, number, string][] = [
    ["The answer is 5.", 0, "English prose"],
    ["答案是五", 1, "Chinese prose"],
    ["Привет мир", 1, "Cyrillic prose"],
    ["So 答案 is", 2 / 6, "4 Latin letters, 2 Han"],
    ["café naïve", 0, "accented letters are Latin"],
    ["Compute $\\alpha + β$ 然后", 2 / 9, "inline math is not prose: 7 Latin, 2 Han"],
    ["\\(\\text{答案}\\) done", 0, "\\(...\\) is math"],
    ["\\[ 你 \\] x", 0, "\\[...\\] is math"],
    ["$$ 你 $$ 好", 1, "display math removed, the Han letter after it is prose"],
    ["\\boxed{答案} ok", 0, "boxed answers are not prose"],
    ["```\nprint('你好')\n``` fine", 0, "fenced code is not prose"],
    ["`你好` fine", 0, "inline code is not prose"],
    ["$5 and 你好", 2 / 5, "a lone $ is a dollar sign, not math"],
    ["12345 + 6 = 12351", 0, "no letters at all"],
    ["", 0, "empty"],
  ];
  it.each(rows)("%j → %d (%s)", (text, expected) => {
    expect(nonLatinProseFraction(text)).toBeCloseTo(expected, 12);
  });

  it("the reward is the fraction times maxPenalty (-1 by default), plain 0 for Latin prose", () => {
    const got = languageReward(["So 答案 is", "English only"]);
    expect(got[0]).toBeCloseTo(-1 / 3, 12);
    expect(Object.is(got[1], 0)).toBe(true);
    expect(makeReward("language", { maxPenalty: -0.5 }).score(["答案"], [null])).toEqual([-0.5]);
  });
});

describe("registry and option validation", () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["nope", {}, /unknown reward function "nope"/],
    ["format", { x: 1 }, /unknown option "x"/],
    ["cosine", { mode: "linear" }, /mode.*"openrs", "clamped"/],
    ["cosine", { maxLen: 0 }, /maxLen.*> 0/],
    ["cosine", { minWrong: "a" }, /minWrong.*finite number/],
    ["accuracy", { onBadGold: "zero" }, /onBadGold/],
    ["repetition", { ngramSize: 1.5 }, /ngramSize.*positive integer/],
  ];
  it.each(bad)("%s %j is refused (%s)", (name, opts, msg) => {
    expect(() => makeReward(name, opts)).toThrow(msg);
  });
});

describe("weighted total", () => {
  it("the paper's recipe: format×1 + cosine×2 (openrs, maxLen 3584)", () => {
    const set = rewardSetOf(loadRecipe("openrs-exp3"));
    const head = `<think>\nLet me think.${T}The answer is $\\boxed{2}$.`;
    const half = head + " ".repeat(1792 - head.length); // 1792 code points = maxLen/2
    const batch = set.score([half, half, "no tag, no box"], ["2", "3", "2"]);
    expect(batch.perFunction.format).toEqual([1, 1, 0]);
    expect(batch.perFunction.cosine[0]).toBeCloseTo(0.75, 12);
    expect(batch.perFunction.cosine[1]).toBeCloseTo(-0.25, 12);
    expect(batch.total[0]).toBeCloseTo(1 + 2 * 0.75, 12);
    expect(batch.total[1]).toBeCloseTo(1 + 2 * -0.25, 12);
    // 14 code points, wrong: cosine = -0.5 + 0.25(1 + cos(14π/3584)), format 0
    expect(batch.total[2]).toBeCloseTo(2 * (-0.5 + 0.25 * (1 + Math.cos((14 * Math.PI) / 3584))), 12);
    expect(batch.correct).toEqual([true, false, false]);
  });

  it("a skipped item (null) makes the total null, and weight-0 functions are logged but not summed", () => {
    const set = new RewardSet({ funcs: ["accuracy", "format", "tag_count"], weights: [1, 0.5, 0], options: { accuracy: { onBadGold: "skip" } } });
    const c = `<think>\nx${T}\\boxed{4}`;
    const b = set.score([c, c], ["4", null]);
    expect(b.total).toEqual([1 + 0.5, null]);
    expect(b.perFunction).toEqual({ accuracy: [1, null], format: [1, 1], tag_count: [1, 1] });
  });

  it("grades once for accuracy and cosine together", () => {
    const set = new RewardSet({ funcs: ["accuracy", "cosine"], options: { cosine: { mode: "openrs" } } });
    const b = set.score(["abc"], ["1"], { correct: [true] }); // verdicts given: no grading, "abc" has no box
    expect(b.perFunction.accuracy).toEqual([1]);
    expect(b.perFunction.cosine[0]).toBeCloseTo(0.5 + 0.25 * (1 + Math.cos((3 * Math.PI) / 1000)), 12);
  });

  const badSets: [Record<string, unknown>, RegExp][] = [
    [{ funcs: [] }, /non-empty/],
    [{ funcs: ["format"], weights: [1, 2] }, /2 entries but reward_funcs has 1/],
    [{ funcs: ["format", "format"] }, /listed twice/],
    [{ funcs: ["format"], weights: [Number.NaN] }, /finite number/],
    [{ funcs: ["format"], options: { cosine: {} } }, /not in reward_funcs/],
  ];
  it.each(badSets)("%j is refused", (cfg, msg) => {
    expect(() => new RewardSet(cfg as never)).toThrow(msg);
  });
});

describe("recipes", () => {
  it("ships the paper's three experiments", () => {
    expect(shippedRecipes()).toEqual(expect.arrayContaining(["openrs-exp1", "openrs-exp2", "openrs-exp3"]));
    const [e1, e2, e3] = ["openrs-exp1", "openrs-exp2", "openrs-exp3"].map((n) => loadRecipe(n));
    expect([e1.rewardFuncs, e1.rewardWeights, e1.maxCompletionLength]).toEqual([["accuracy", "format"], [1, 1], 4096]);
    expect([e2.rewardFuncs, e2.rewardWeights, e2.maxCompletionLength]).toEqual([["accuracy", "format"], [1, 1], 3584]);
    expect([e3.rewardFuncs, e3.rewardWeights, e3.maxCompletionLength]).toEqual([["format", "cosine"], [1, 2], 3584]);
    expect(e3.rewardOptions.cosine).toMatchObject({ mode: "openrs", maxLen: 3584 });
    expect(e1.rewardOptions.accuracy).toEqual({ onBadGold: "one" });
    // the exact text and its hash: test/trainer/recipe-training.test.ts
    expect(e3.systemPrompt).toMatch(/\\boxed\{\{\}\} .*Note that respond by English, NOT use other languages\.$/s);
    expect(e2.systemPrompt).toBe(e3.systemPrompt);
  });

  it("the paper recipe's total stays in [-1, 3]", () => {
    const set = rewardSetOf(loadRecipe("openrs-exp3"));
    const lens = [0, 100, 1792, 3584, 5000, 7168];
    const texts = lens.flatMap((L) => [`${"x".repeat(Math.max(0, L - 11))}${T}ok`, "x".repeat(L)]);
    for (const correct of [true, false]) {
      const b = set.score(texts, texts.map(() => "1"), { correct: texts.map(() => correct) });
      for (const t of b.total) expect(t! >= -1 - 1e-12 && t! <= 3 + 1e-12).toBe(true);
    }
  });

  const bad: [unknown, RegExp][] = [
    [[1, 2], /must be a mapping/],
    [{ name: "x", reward_funcs: ["format"], colour: 1 }, /unknown field "colour"/],
    [{ name: "x", reward_funcs: [] }, /reward_funcs/],
    [{ name: "x", reward_funcs: ["format", "cosine"], reward_weights: [1] }, /reward_weights has 1 entries/],
    [{ name: "x", reward_funcs: ["nope"] }, /unknown reward function "nope"/],
    [{ name: "x", reward_funcs: ["cosine"], reward_options: { cosine: { maxlen: 5 } } }, /unknown option "maxlen"/],
    [{ name: "x", reward_funcs: ["format"], version: 2 }, /unsupported version 2/],
    [{ reward_funcs: ["format"] }, /"name" is required/],
    [{ name: "x", reward_funcs: ["format"], max_completion_length: -1 }, /max_completion_length/],
    [{ name: "x", reward_funcs: ["format"], eos_strings: [""] }, /eos_strings/],
  ];
  it.each(bad)("%j is refused with a message naming the field", (raw, msg) => {
    expect(() => parseRecipe(raw, "t.yaml")).toThrow(msg);
    expect(() => parseRecipe(raw, "t.yaml")).toThrow(/^recipe t\.yaml: /);
  });

  it("reads YAML and JSON files, resolves the tokenizer path against the recipe folder, and names bad files", () => {
    const dir = tempDir("openrs-recipe-");
    writeFileSync(join(dir, "r.yaml"), "name: mine\nreward_funcs: [format, cosine]\ntokenizer: tok/tokenizer.json\n");
    expect(loadRecipeFile(join(dir, "r.yaml")).tokenizer).toBe(join(dir, "tok", "tokenizer.json"));
    writeFileSync(join(dir, "r.json"), JSON.stringify({ name: "j", reward_funcs: ["format"] }));
    expect(loadRecipe(join(dir, "r.json")).rewardWeights).toEqual([1]);
    writeFileSync(join(dir, "bad.yaml"), "name: [unclosed\n");
    expect(() => loadRecipeFile(join(dir, "bad.yaml"))).toThrow(/bad\.yaml: not valid YAML/);
    expect(() => loadRecipe("no-such-recipe")).toThrow(/recipe not found.*openrs-exp3/);
  });
});

describe("token counting from a tokenizer.json", () => {
  const file = writeTinyTokenizer();
  const counter = loadTokenCounter(file);
  const rows: [string, number, string][] = [
    ["hello world", 2, "merged to 'hello' and 'Ġworld'"],
    ["hello world hello world", 5, "' hello' has no merge with Ġ: Ġ + hello"],
    ["hi", 2, "no merge: one byte each"],
    ["héllo", 5, "é is two bytes"],
    ["", 0, "empty"],
  ];
  it.each(rows)("%j → %d tokens (%s)", (text, n) => {
    expect(counter.count(text)).toBe(n);
  });

  it("countUpTo saturates a 1 MB text without tokenizing it", () => {
    const big = "hello world, ".repeat(80_000);
    const t0 = performance.now();
    expect(counter.countUpTo(big, 1000)).toBe(1000);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(counter.countUpTo("hello world", 1000)).toBe(2);
  });

  it("names a missing or malformed tokenizer file", () => {
    expect(() => loadTokenCounter(join(tmpdir(), "no-such-dir-openrs", "tokenizer.json"))).toThrow(/tokenizer not found/);
    const dir = tempDir("openrs-badtok-");
    writeFileSync(join(dir, "tokenizer.json"), "{not json");
    expect(() => loadTokenCounter(dir)).toThrow(/tokenizer\.json: not valid JSON/);
  });
});
