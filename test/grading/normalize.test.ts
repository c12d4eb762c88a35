// Each normalisation rule on its own, as a table of (input, expected output, why); plus the notes rules record.
import { describe, expect, test } from "vitest";
import { type NormalizeNotes, normalizeAnswer, RULE_ORDER, rules, textForm } from "../../grading/normalize.js";

const fresh = (): NormalizeNotes => ({ percent: false, degrees: false, unit: null });

const ROWS: Record<string, [input: string, expected: string, why: string][]> = {
  unicode: [
    ["\u22123", "-3", "unicode minus"],
    ["2\u03c0", "2\\pi ", "pi letter"],
    ["x \u2264 3", "x \\le  3", "less-or-equal sign"],
    ["\u221a2", "\\sqrt2", "radical sign"],
  ],
  mathDelimiters: [
    ["$5$", " 5 ", "inline dollars"],
    ["\\(x+1\\)", " x+1 ", "paren delimiters"],
    ["\\[3\\]", " 3 ", "display delimiters"],
    ["\\$5", "\\$5", "escaped dollar (currency) survives"],
    ["\\displaystyle\\frac12", " \\frac12", "displaystyle"],
  ],
  codeNotation: [
    ["np.arcsin(10/13)", "arcsin(10/13)", "numpy prefix"],
    ["2**10", "2^10", "python power"],
  ],
  primes: [
    ["y^{\\prime}", "y'", "braced prime"],
    ["y^{\\prime\\prime}", "y''", "double prime"],
    ["f^\\prime", "f'", "bare prime"],
  ],
  boxWrapper: [
    ["\\boxed{42}", "42", "boxed gold"],
    ["\\fbox{x}", "x", "fbox"],
    ["\\boxed{1}+\\boxed{2}", "\\boxed{1}+\\boxed{2}", "not a single wrapper: the regex needs the whole string"],
  ],
  sizing: [
    ["\\left(1,2\\right)", " (1,2 )", "left/right"],
    ["\\left.x\\right|", " x |", "invisible left delimiter"],
    ["\\bigl(x\\bigr)", " (x )", "big delimiters"],
  ],
  spaceThousands: [
    ["1 000", "1000", "one space-grouped thousands separator"],
    ["12 345 678", "12345678", "several groups"],
    ["1 000.5", "1000.5", "with decimals"],
    ["3 14", "3 14", "a group that is not three digits stays"],
    ["1 000 5", "1 000 5", "a trailing short group: not a grouped number"],
  ],
  thousandsBraces: [
    ["1{,}000", "1000", "braced comma"],
    ["10,\\!080", "10080", "MATH-style comma with negative space"],
    ["1,\\!2", "1,\\!2", "not three digits: untouched"],
  ],
  phantom: [
    ["1 & \\phantom -1", "1 & 1", "phantom of one character"],
    ["\\phantom{00}7", "7", "braced phantom"],
  ],
  spacing: [
    ["1\\,000", "1 000", "thin space"],
    ["a\\!b", "a b", "negative space"],
    ["1 \\\\ 2", "1 \\\\ 2", "row separator kept"],
    ["x\\quad y", "x  y", "quad"],
    ["5~m", "5 m", "tie"],
  ],
  fracVariants: [
    ["\\dfrac{1}{2}", "\\frac{1}{2}", "dfrac"],
    ["\\tfrac12", "\\frac12", "tfrac"],
    ["\\dbinom{5}{2}", "\\binom{5}{2}", "dbinom"],
  ],
  relations: [
    ["x\\leq 3", "x\\le  3", "leq"],
    ["x >= 3", "x \\ge  3", "ascii >="],
    ["x\\neq 3", "x\\ne  3", "neq"],
    ["x \\lt 3", "x < 3", "lt"],
  ],
  degrees: [
    ["45^\\circ", "45 ", "caret circ"],
    ["45^{\\circ}", "45 ", "braced circ"],
    ["45\u00b0", "45 ", "degree sign"],
  ],
  percent: [
    ["10\\%", "10 ", "escaped percent"],
    ["10%", "10 ", "bare percent"],
  ],
  currency: [["\\$18.90", " 18.90", "escaped dollar"]],
  namedSets: [
    ["\\emptyset", "\\{\\}", "empty set"],
    ["\\mathbb{R}", "(-\\infty,\\infty)", "the reals"],
  ],
  conjunctions: [
    ["1 \\text{ and } 2", "1 , 2", "text and"],
    ["x=1 or x=2", "x=1,x=2", "bare or"],
  ],
  modulus: [
    ["3 \\pmod{7}", "3  ", "pmod"],
    ["1 (\\text{mod } 7)", "1  ", "parenthesised mod text"],
    ["3 \\bmod 7", "3  ", "bmod at the end"],
  ],
  units: [
    ["5 \\text{ cm}", "5", "text unit"],
    ["6.5 \\mathrm{~m}", "6.5", "mathrm unit"],
    ["15\\mbox{ cm}^2", "15", "unit with exponent"],
    ["12 inches", "12", "bare word unit after a number"],
    ["x \\text{ cm}", "x \\text{ cm}", "no number: untouched"],
    ["2 pi", "2 pi", "pi is not a unit"],
  ],
  textWrappers: [
    ["\\text{5}", "5", "number in text"],
    ["\\textbf{12}", "12", "bold number"],
    ["\\text{Monday}", "\\text{Monday}", "words stay wrapped"],
  ],
  trailingPunctuation: [
    ["5.", "5", "sentence period"],
    ["(1,2);", "(1,2)", "semicolon"],
    [": 7", "7", "leading colon"],
  ],
};

describe("normalisation rules, each on its own", () => {
  test("every rule in the pipeline has a table here", () => {
    for (const name of RULE_ORDER) expect(Object.keys(ROWS), `no rows for rule ${name}`).toContain(name);
  });
  for (const [name, rows] of Object.entries(ROWS)) {
    test.for(rows)(`${name}: %s -> %s (%s)`, ([input, expected]) => {
      const rule = rules[name];
      expect(rule, `unknown rule ${name}`).toBeTypeOf("function");
      expect(rule(input, fresh())).toBe(expected);
    });
  }
});

describe("notes recorded while normalising", () => {
  test.for([
    ["10\\%", { percent: true, degrees: false, unit: null }],
    ["45^\\circ", { percent: false, degrees: true, unit: null }],
    ["5 \\text{ cm}", { percent: false, degrees: false, unit: "cm" }],
    ["\\frac{1}{2}", { percent: false, degrees: false, unit: null }],
  ] as const)("%s", ([input, notes]) => {
    expect(normalizeAnswer(input).notes).toEqual(notes);
  });
});

describe("textForm: the form text answers compare in", () => {
  test.for([
    ["\\text{Monday}", "monday"],
    ["\\textbf{(C)}", "c"],
    ["no solution", "nosolution"],
  ] as const)("%s -> %s", ([input, expected]) => {
    expect(textForm(input)).toBe(expected);
  });
});
