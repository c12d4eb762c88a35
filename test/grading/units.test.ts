// Unit tables for the grader's building blocks: each extraction rule alone, exact rationals, expression evaluation.
import { describe, expect, test } from "vitest";
import { Budget, BudgetExceeded } from "../../grading/budget.js";
import { anchoredRule, boxedRule, lastNumberRule, mathSpanRule, readBraced } from "../../grading/extract.js";
import { evalComplex, evalExact, type Expr } from "../../grading/expr.js";
import { ExprParser } from "../../grading/latex-expr.js";
import { tokenize } from "../../grading/latex-tokens.js";
import * as Q from "../../grading/rational.js";

describe("extraction rules, each alone", () => {
  test.for([
    [boxedRule, "so \\boxed{\\frac{1}{2}} done", "\\frac{1}{2}", "braced box, nested braces"],
    [boxedRule, "\\boxed{1} and later \\boxed{2}.", "2", "last box of the text"],
    [boxedRule, "$\\boxed{1}$, $\\boxed{2}$", "1, 2", "boxes sharing the final sentence form a list"],
    [boxedRule, "\\boxed 7.", "7", "unbraced box"],
    [boxedRule, "\\boxed{unclosed", null, "unbalanced box yields nothing"],
    [boxedRule, "\\boxedx", null, "not a box command"],
    [anchoredRule, "The final answer is $42$. Thanks", "42", "math span after the anchor"],
    [anchoredRule, "Answer: 17 apples.\nMore", "17 apples", "sentence after the anchor"],
    [anchoredRule, "#### 18", "18", "GSM8K line"],
    [anchoredRule, "no anchor here", null, "no anchor"],
    [mathSpanRule, "we get $x=1$ and then $\\frac{3}{4}$", "\\frac{3}{4}", "last inline span"],
    [mathSpanRule, "costs \\$5 and $y$", "y", "escaped dollar is not a delimiter"],
    [mathSpanRule, "\\[ 2+2 \\]", "2+2", "display span"],
    [lastNumberRule, "first 3 then 1,250 widgets", "1,250", "last number with thousands separator"],
    [lastNumberRule, "a total of -4.5.", "-4.5", "negative decimal"],
  ] as const)("%o on %s -> %s (%s)", ([rule, text, expected]) => {
    expect(rule(text)).toBe(expected);
  });

  test("readBraced skips escaped braces and refuses runaway nesting", () => {
    expect(readBraced("{a\\}b}", 0)).toEqual({ content: "a\\}b", end: 6 });
    expect(readBraced(`${"{".repeat(600)}x${"}".repeat(600)}`, 0)).toBeNull();
  });
});

describe("exact rationals", () => {
  test.for([
    ["0.35625", "57/160"],
    ["-12.50", "-25/2"],
    ["4.5e3", "4500"],
    [".5", "1/2"],
    ["1e-2", "1/100"],
  ] as const)("fromDecimal(%s) = %s", ([text, expected]) => {
    expect(Q.ratToString(Q.fromDecimal(text)!)).toBe(expected);
  });
  test("repeating decimals", () => {
    expect(Q.ratToString(Q.fromRepeating("0", "", "3"))).toBe("1/3");
    expect(Q.ratToString(Q.fromRepeating("0", "1", "6"))).toBe("1/6");
    expect(Q.ratToString(Q.fromRepeating("1", "", "142857"))).toBe("8/7");
  });
  test("size caps refuse runaway powers instead of computing them", () => {
    expect(() => Q.powInt(Q.rat(10n), 10n ** 10n)).toThrow(BudgetExceeded);
    expect(Q.ratToString(Q.powInt(Q.rat(2n, 3n), -2n))).toBe("9/4");
  });
});

const parse = (s: string): Expr => ExprParser.parse(tokenize(s), Budget.unlimited());

describe("expression evaluation", () => {
  test.for([
    ["2\\frac12", "5/2", "mixed number"],
    ["\\binom{10}{3}", "120", "binomial"],
    ["10!", "3628800", "factorial"],
    ["\\sqrt{\\frac{9}{4}}", "3/2", "perfect-square root stays exact"],
    ["\\log_2 8", "3", "exact logarithm"],
    ["8^{2/3}", "4", "rational power of a perfect cube"],
    ["\\lfloor -3.5 \\rfloor", "-4", "floor of a negative"],
    ["1011_2", null, "a base-2 numeral is an opaque literal, not a number"],
  ] as const)("exact %s = %s (%s)", ([latex, expected]) => {
    const v = evalExact(parse(latex), Budget.unlimited());
    expect(v === null ? null : Q.ratToString(v)).toBe(expected);
  });

  test.for([
    ["\\sqrt{2}", Math.SQRT2, 0],
    ["e^{i\\pi}", -1, 0],
    ["\\sqrt{-4}", 0, 2],
    ["\\sqrt[3]{-8}", -2, 0],
    ["\\sin\\frac{\\pi}{6}", 0.5, 0],
  ] as const)("numeric %s = %f%+fi", ([latex, re, im]) => {
    const v = evalComplex(parse(latex), new Map(), Budget.unlimited());
    expect(v.re).toBeCloseTo(re, 12);
    expect(v.im).toBeCloseTo(im, 12);
  });

  test("an exhausted budget stops evaluation with BudgetExceeded", () => {
    const big = parse(Array.from({ length: 2000 }, (_, i) => `${i}`).join("+"));
    const past = new Budget(performance.now() - 1);
    expect(() => {
      for (let i = 0; i < 10; i++) evalComplex(big, new Map(), past);
    }).toThrow(BudgetExceeded);
  });
});

describe("gold given as a whole reference solution", () => {
  test("the solution's final box is the gold answer", async () => {
    const { grade } = await import("../../grading/grade.js");
    const solution = "We compute $x = 3$, hence the area is $\\boxed{\\frac{9}{2}}$.";
    expect(grade("so the answer is \\boxed{4.5}", solution).correct).toBe(true);
    expect(grade("so the answer is \\boxed{3}", solution).correct).toBe(false);
  });
});
