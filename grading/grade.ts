// grade / isEquivalent: the single entry points used by evaluation and by the training reward.
import { Budget, BudgetExceeded } from "./budget.js";
import { compareParsed, type Verdict } from "./compare.js";
import { anchoredRule, boxedRule, cleanScope, extractAnswer, lastBoxContent } from "./extract.js";
import { ParseError } from "./latex-tokens.js";
import { type GradeOptions, resolveOptions } from "./options.js";
import { describe, type ParsedAnswer, parseAnswer } from "./parse.js";
import type { GradeResult } from "./result.js";

/** Gold answers repeat across samples; parse each once. */
const goldCache = new Map<string, ParsedAnswer>();
const GOLD_CACHE_MAX = 20_000;
/** Golds longer than this that state an answer are solutions, not answers. */
const GOLD_SOLUTION_CHARS = 200;

/**
 * A gold may be a whole reference solution (the paper graded MATH-500 and Minerva against `solution`): its answer is
 * the final boxed expression, as Math-Verify's LaTeX extraction reads it.
 */
export function goldAnswer(gold: string): string {
  if (!gold.includes("\\boxed") && !gold.includes("\\fbox")) {
    // A whole solution without a box that states its final answer ("... Final Answer: The final answer is $28\%$."):
    // the stated answer. Short golds are answers as they stand.
    if (gold.length > GOLD_SOLUTION_CHARS && /answer/i.test(gold)) return anchoredRule(cleanScope(gold)) ?? gold;
    return gold;
  }
  // A short gold written as several boxes (`\boxed{1}\boxed{2}`, `\boxed{1} papers and \boxed{2} bins`) is an answer
  // field listing several answers, not a solution: its final boxes form a list, as in a prediction.
  const outside = gold.replace(/\\(?:boxed|fbox)\s*\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}/g, "").replace(/[\s$]/g, "");
  if (outside.length <= 40) return boxedRule(gold) ?? gold;
  return lastBoxContent(gold) ?? gold;
}

function parseGold(gold: string, o: GradeOptions, budget: Budget): ParsedAnswer {
  const key = o.decimalComma ? `\u0000dc${gold}` : gold;
  const hit = goldCache.get(key);
  if (hit) return hit;
  const parsed = parseAnswer(goldAnswer(gold), { decimalComma: o.decimalComma }, budget);
  if (goldCache.size >= GOLD_CACHE_MAX) goldCache.clear();
  goldCache.set(key, parsed);
  return parsed;
}

/** Reads the prediction the way the gold asks: a list-valued gold never reads `1,000` as one thousand. */
function parsePred(pred: string, gold: ParsedAnswer, o: GradeOptions, budget: Budget): ParsedAnswer {
  const listy = gold.value && (gold.value.kind === "list" || gold.value.kind === "tuple" || gold.value.kind === "set");
  return parseAnswer(pred, { thousands: listy ? "never" : "auto", decimalComma: o.decimalComma }, budget);
}

interface Judged extends Verdict {
  gold: ParsedAnswer | null;
  pred: ParsedAnswer | null;
}

function judge(gold: string, pred: string, o: GradeOptions, budget: Budget): Judged {
  let g: ParsedAnswer | null = null;
  let p: ParsedAnswer | null = null;
  try {
    if (pred.length > o.maxAnswerChars) return { equal: false, reason: "answer-too-long", gold: null, pred: null };
    if (gold.length > o.maxAnswerChars * 4) return { equal: false, reason: "gold-too-long", gold: null, pred: null };
    g = parseGold(gold, o, budget);
    p = parsePred(pred, g, o, budget);
    return { ...compareParsed(g, p, o, budget), gold: g, pred: p };
  } catch (e) {
    if (e instanceof BudgetExceeded) return { equal: false, reason: e.what === "time" ? "timeout" : `too-large:${e.what}`, gold: g, pred: p };
    if (e instanceof ParseError) return { equal: false, reason: `parse-error:${e.message}`, gold: g, pred: p };
    if (e instanceof RangeError) return { equal: false, reason: `not-equal:${e.message}`, gold: g, pred: p };
    return { equal: false, reason: `error:${(e as Error)?.message ?? String(e)}`, gold: g, pred: p };
  }
}

/** Equivalence of a gold answer and a predicted answer string (no extraction). Never throws. */
export function isEquivalent(gold: string, pred: string, options?: Partial<GradeOptions> | string): Verdict {
  const o = resolveOptions(options);
  const { equal, reason } = judge(String(gold), String(pred), o, Budget.ms(o.budgetMs));
  return { equal, reason };
}

/** Extracts the final answer from a completion and compares it with the gold. Never throws. */
export function grade(completion: string, gold: string, options?: Partial<GradeOptions> | string): GradeResult {
  const t0 = performance.now();
  let o: GradeOptions;
  try {
    o = resolveOptions(options);
  } catch (e) {
    return result(false, null, null, `bad-options:${(e as Error).message}`, null, null, "invalid", t0);
  }
  try {
    const budget = new Budget(t0 + o.budgetMs);
    const ex = extractAnswer(typeof completion === "string" ? completion : String(completion ?? ""), o);
    if (ex.answer === null) return result(false, null, null, "no-answer", null, null, o.preset, t0);
    const j = judge(typeof gold === "string" ? gold : String(gold ?? ""), ex.answer, o, budget);
    return result(j.equal, ex.answer, ex.rule, j.reason, j.gold ? describe(j.gold.value) : null, j.pred ? describe(j.pred.value) : null, o.preset, t0);
  } catch (e) {
    return result(false, null, null, `error:${(e as Error)?.message ?? String(e)}`, null, null, o.preset, t0);
  }
}

function result(
  correct: boolean,
  extracted: string | null,
  rule: string | null,
  reason: string,
  goldParsed: string | null,
  predParsed: string | null,
  preset: string,
  t0: number,
): GradeResult {
  return { correct, extracted, rule, reason, goldParsed, predParsed, preset, ms: performance.now() - t0 };
}
