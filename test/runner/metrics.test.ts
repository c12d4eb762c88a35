// Table tests of the runner's statistics against values worked out by hand: pass@k, maj@k, McNemar, clustered SE,
// the bootstrap, and computeMetrics end to end on a small hand-made run.
import { describe, expect, it } from "vitest";
import { isLanguageDrift, nonLatinProseFraction } from "../../grading/language.js";
import { computeMetrics, defaultKs, majorityCorrect, type ScoredSample } from "../../src/runner/metrics.js";
import { bootstrapMeans, clusteredStandardError, mcnemarExact, passAtK, percentileInterval, quantileSorted } from "../../src/runner/stats.js";

describe("passAtK (unbiased estimator 1 − C(n−c,k)/C(n,k))", () => {
  const rows: [n: number, c: number, k: number, expected: number, why: string][] = [
    [5, 2, 1, 0.4, "k=1 is c/n"],
    [5, 2, 2, 0.7, "1 − C(3,2)/C(5,2) = 1 − 3/10"],
    [5, 2, 3, 0.9, "1 − C(3,3)/C(5,3) = 1 − 1/10"],
    [5, 2, 4, 1, "n − c = 3 < k: every 4-subset holds a correct sample"],
    [4, 0, 2, 0, "no correct sample"],
    [4, 4, 4, 1, "all correct"],
    [10, 3, 5, 1 - 21 / 252, "1 − C(7,5)/C(10,5) = 1 − 21/252"],
    [8, 1, 4, 0.5, "1 − C(7,4)/C(8,4) = 1 − 35/70"],
    [64, 1, 1, 1 / 64, "one of 64"],
  ];
  it.each(rows)("n=%i c=%i k=%i → %d (%s)", (n, c, k, expected) => {
    expect(passAtK(n, c, k)).toBeCloseTo(expected, 12);
  });
  it("rejects k > n and c > n", () => {
    expect(() => passAtK(4, 1, 5)).toThrow(RangeError);
    expect(() => passAtK(4, 5, 1)).toThrow(RangeError);
  });
});

describe("mcnemarExact (two-sided exact binomial on discordant pairs)", () => {
  const rows: [b: number, c: number, p: number, why: string][] = [
    [0, 0, 1, "no discordant pairs"],
    [0, 5, 0.0625, "2 · (1/2)^5"],
    [1, 9, 22 / 1024, "2 · (1 + 10)/2^10"],
    [2, 8, 112 / 1024, "2 · (1 + 10 + 45)/2^10"],
    [3, 3, 1, "2 · 42/64 > 1, capped"],
    [8, 2, 112 / 1024, "symmetric in b and c"],
  ];
  it.each(rows)("b=%i c=%i → p=%d (%s)", (b, c, p) => {
    expect(mcnemarExact(b, c).p).toBeCloseTo(p, 12);
  });
});

function s(vote: number | null, sample: number, extra: Partial<ScoredSample> = {}): ScoredSample {
  return {
    suite: "t",
    id: "p",
    sample,
    correct: vote === 0,
    extracted: vote === null ? null : String(vote),
    finish: "stop",
    completionTokens: null,
    think: false,
    drift: false,
    vote,
    ...extra,
  };
}

describe("majorityCorrect (maj@k over the first k samples)", () => {
  const rows: [votes: (number | null)[], k: number, expected: boolean, why: string][] = [
    [[0], 1, true, "one correct vote"],
    [[1, 0, 1, null], 4, false, "wrong class 1 has two votes against one"],
    [[1, 0, 0, 2], 4, true, "gold class has two votes"],
    [[0, 1, 1, 0], 4, true, "tie 2–2: the class seen first (gold) wins"],
    [[1, 0, 0, 1], 4, false, "tie 2–2: the class seen first (wrong) wins"],
    [[1, 0, 0, 0], 2, false, "only the first two samples vote: tie, class 1 seen first"],
    [[null, null, 0], 2, false, "no answer among the first two: no winner"],
    [[null, 2, 0, 0], 4, true, "no-answer samples do not vote"],
  ];
  it.each(rows)("%j k=%i → %s (%s)", (votes, k, expected) => {
    expect(majorityCorrect(votes.map((v, i) => s(v, i)), k)).toBe(expected);
  });
});

describe("uncertainty", () => {
  it("clustered SE of per-problem scores [1,0,1,0] is sqrt(1/12)", () => {
    expect(clusteredStandardError([1, 0, 1, 0])).toBeCloseTo(Math.sqrt(1 / 12), 12);
    expect(Number.isNaN(clusteredStandardError([1]))).toBe(true);
  });
  it("30 single-sample problems at 50% give ±9 points (the AIME case)", () => {
    const perProblem = Array.from({ length: 30 }, (_, i) => (i % 2 ? 1 : 0));
    expect(100 * clusteredStandardError(perProblem)).toBeCloseTo(100 * Math.sqrt(0.25 / 29), 6);
    expect(Math.round(100 * clusteredStandardError(perProblem))).toBe(9);
  });
  it("quantiles interpolate linearly", () => {
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.5)).toBe(3);
  });
  it("the bootstrap is deterministic per seed, centred on the mean, and about as wide as ±1.96 SE", () => {
    const values = Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const a = bootstrapMeans(values, 2000, 7);
    const b = bootstrapMeans(values, 2000, 7);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(bootstrapMeans(values, 50, 8))).not.toEqual(Array.from(a.slice(0, 50)));
    const [lo, hi] = percentileInterval(a, 0.95);
    const se = clusteredStandardError(values);
    expect(lo).toBeLessThan(0.25);
    expect(hi).toBeGreaterThan(0.25);
    expect((hi - lo) / 2).toBeGreaterThan(1.6 * se);
    expect((hi - lo) / 2).toBeLessThan(2.4 * se);
  });
});

describe("computeMetrics on a hand-made run", () => {
  // Suite A: 2 problems × 4 samples. p1 correct on samples 0 and 2 (c=2), wrong answers vote class 1 twice;
  // p2 never correct (c=0). Suite B: 2 problems × 4 samples, p1 all correct, p2 one correct.
  const mk = (suite: string, id: string, votes: (number | null)[], extra: (i: number) => Partial<ScoredSample> = () => ({})): ScoredSample[] =>
    votes.map((v, i) => ({ ...s(v, i, extra(i)), suite, id }));
  const samples = [
    ...mk("a", "p1", [0, 1, 0, 1], (i) => ({ completionTokens: 100 * (i + 1), think: true })),
    ...mk("a", "p2", [null, 2, 3, 3], (i) => (i === 0 ? { finish: "length" } : { drift: i === 1 })),
    ...mk("b", "p2", [null, null, 0, 4]),
    ...mk("b", "p1", [0, 0, 0, 0]),
  ].reverse(); // order on disk must not matter
  const m = computeMetrics(samples, { k: [1, 2, 4], resamples: 200, seed: 3 }, ["a", "b"]);

  it("pass@1 is the mean over samples, per problem then over problems", () => {
    expect(m.suites.a.scores["pass@1:n=4"]).toBeCloseTo((0.5 + 0) / 2, 12);
    expect(m.suites.b.scores["pass@1:n=4"]).toBeCloseTo((1 + 0.25) / 2, 12);
  });
  it("pass@k uses the unbiased estimator per problem", () => {
    expect(m.suites.a.scores["pass@k:k=2&n=4"]).toBeCloseTo((1 - 1 / 6 + 0) / 2, 12); // 1 − C(2,2)/C(4,2)
    expect(m.suites.b.scores["pass@k:k=2&n=4"]).toBeCloseTo((1 + 0.5) / 2, 12); // 1 − C(3,2)/C(4,2)
    expect(m.suites.a.scores["pass@k:k=4&n=4"]).toBe(0.5);
  });
  it("maj@k votes on answer classes", () => {
    // a/p1 k=2: votes 0,1 tie → gold seen first → correct; a/p2 → class 3 wins at k=4, wrong.
    expect(m.suites.a.scores["maj@k:k=2&n=4"]).toBe(0.5);
    expect(m.suites.a.scores["maj@k:k=4&n=4"]).toBe(0.5); // a/p1 tie 2–2, gold first
    // b/p1 always right; b/p2 k=2 has no votes, k=4: 0 and 4 tie, 0 seen first.
    expect(m.suites.b.scores["maj@k:k=2&n=4"]).toBe(0.5);
    expect(m.suites.b.scores["maj@k:k=4&n=4"]).toBe(1);
  });
  it("the overall scores are the plain mean over suites", () => {
    expect(m.overall?.suites).toEqual(["a", "b"]);
    expect(m.overall?.scores["pass@1:n=4"]).toBeCloseTo((0.25 + 0.625) / 2, 12);
    expect(m.overall?.se.value).toBeCloseTo(Math.sqrt(m.suites.a.se.value ** 2 + m.suites.b.se.value ** 2) / 2, 12);
  });
  it("counts failure modes and averages tokens over samples that report them", () => {
    expect(m.suites.a.counts).toEqual({ noAnswer: 1, truncated: 1, format: 4, languageDrift: 1, contextClamped: 0 });
    expect(m.suites.b.counts.noAnswer).toBe(2);
    expect(m.suites.a.meanCompletionTokens).toBe(250);
    expect(m.suites.b.meanCompletionTokens).toBeNull();
  });
  it("names its interval methods and is reproducible", () => {
    expect(m.suites.a.ci95.method).toBe("problem-bootstrap");
    expect(m.suites.a.se.method).toBe("clustered-by-problem");
    expect(computeMetrics([...samples].reverse(), { k: [1, 2, 4], resamples: 200, seed: 3 }, ["a", "b"])).toEqual(m);
  });
  it("skips k above the samples per problem; default ks are 1, powers of two, n", () => {
    const one = computeMetrics(samples, { k: [1, 8] }, ["a", "b"]);
    expect(Object.keys(one.suites.a.scores)).toEqual(["pass@1:n=4"]);
    expect(defaultKs(1)).toEqual([1]);
    expect(defaultKs(64)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(defaultKs(6)).toEqual([1, 2, 4, 6]);
  });
});

describe("language drift", () => {
  const rows: [text: string, drift: boolean, why: string][] = [
    ["Let us compute $x^2 + y^2$. The answer is $\\boxed{5}$.", false, "English prose"],
    ["Давайте решим задачу. Ответ: $\\boxed{5}$.", true, "Russian prose"],
    ["我们来计算一下。所以答案是 $\\boxed{5}$", true, "Chinese prose"],
    ["We have $\\alpha + \\beta = \\pi$ so the answer is $\\boxed{\\text{答案}}$.", false, "non-Latin only inside math"],
    ["Voilà, la réponse est $\\boxed{5}$.", false, "accented Latin is Latin"],
  ];
  it.each(rows)("%s → %s (%s)", (text, drift) => {
    expect(isLanguageDrift(text)).toBe(drift);
  });
  it("the fraction is 0 without prose letters", () => {
    expect(nonLatinProseFraction("$1+1$ = 2")).toBe(0);
  });
});
