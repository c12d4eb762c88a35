// The long tail of real model outputs (issue 13), one table per failure class, each with right and wrong rows.
// Completion rows `[completion, gold, preset, correct, why]` grade end to end (extraction + comparison); answer rows
// `[gold, pred, expected, why]` compare answer strings with `isEquivalent` under the `eval` preset.
import { describe, expect, test } from "vitest";
import { extractAnswer, grade, isEquivalent } from "../../grading/index.js";

const L = String.raw;

type Preset = "eval" | "eval-numeric" | "reward";
type CompletionRow = readonly [completion: string, gold: string, preset: Preset, correct: boolean, why: string];
type AnswerRow = readonly [gold: string, pred: string, expected: boolean, why: string];

const counts: Record<string, { pos: number; neg: number }> = {};

function count(cls: string, verdicts: readonly boolean[]): void {
  const c = (counts[cls] ??= { pos: 0, neg: 0 });
  for (const v of verdicts) v ? c.pos++ : c.neg++;
}

function completions(cls: string, rows: readonly CompletionRow[]): void {
  count(cls, rows.map((r) => r[3]));
  describe(cls, () => {
    test.for(rows)("%s | gold %s [%s] → %s (%s)", ([completion, gold, preset, correct, why]) => {
      const r = grade(completion, gold, preset);
      expect(r.correct, `${why} [extracted ${JSON.stringify(r.extracted)} by ${r.rule}; ${r.reason}]`).toBe(correct);
    });
  });
}

function answers(cls: string, rows: readonly AnswerRow[]): void {
  count(cls, rows.map((r) => r[2]));
  describe(cls, () => {
    test.for(rows)("gold %s | pred %s → %s (%s)", ([gold, pred, expected, why]) => {
      const v = isEquivalent(gold, pred);
      expect(v.equal, `${why} [${v.reason}]`).toBe(expected);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 1. `$` as currency. A `$` followed by an amount and then prose is money; `<<a*b=c>>` annotations are not answers.
const EGGS =
  "Janet's ducks lay 16 eggs per day. She eats three for breakfast and bakes muffins with four. Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe sells her eggs for $2 per egg and has 9 available for sale so 2 * 9 = $<<2*9=18>>18 per day.";
completions("1. currency dollars", [
  [EGGS, "18", "eval-numeric", true, "GSM8K eggs: money and calculator annotation skipped, the last number is the answer"],
  [EGGS, "9", "eval-numeric", false, "GSM8K eggs: the earlier count is not the answer"],
  [`${EGGS}\n#### 18`, "18", "eval", true, "GSM8K answer line after currency prose"],
  ["She pays $10 + $5 = $15 in total.\nThe answer is 15.", "15", "eval", true, "amounts joined by operators are money"],
  ["The shirt costs $25. She buys 3 shirts, so she spends 3 * $25 = $75.", "75", "eval-numeric", true, "`$25.` and `$75.` end sentences: money"],
  ["He earns $12 an hour and works 5 hours, so he makes $60 per week.", "60", "eval", false, "eval reads no bare numbers and money is no math span"],
  ["He earns $12 an hour and works 5 hours, so he makes $60 per week.", "60", "eval-numeric", true, "the same, numeric suite: last number"],
  [L`The total is $\$18.50$.`, "18.5", "eval", true, "an escaped dollar inside a math span is still currency in the answer"],
  ["So $x = 5$ and she pays $5 each.", "5", "eval", true, "`$5 each` is money; the last math span is `x = 5`"],
  ["If $2x + 3 = 11$, then $x = 4$.", "4", "eval", true, "a number then a letter inside dollars is math"],
  ["It costs $5$ dollars.", "5", "eval", true, "`$5$` is a math span"],
  ["She had $20 and spent $7, leaving her with $13.\n#### 13", "13", "eval", true, "money throughout, answer line"],
  ["She pays $<<3*4=12>>12 in total, and gets 20 - 12 = 8 back in change.", "12", "eval-numeric", false, "the annotation is not an answer; the last number is 8"],
  ["The price per egg is $2. The answer is $18$.", "18", "eval", true, "currency before an anchored math span"],
  ["Total cost: $1,250 for the whole trip.", "1250", "eval-numeric", true, "currency with thousands separator"],
  ["She makes 9 * $2 = $18 every day.\nThe answer is $18.", "18", "eval", true, "`The answer is $18.`: money after the anchor"],
  ["So she makes $18 per day at the market. The answer is $18 per day.", "18", "eval", true, "money then prose after the anchor"],
  ["So she makes $18 per day at the market. The answer is $18 per day.", "2", "eval", false, "money after the anchor, wrong gold"],
  ["The answer is $1,000.50.", "1000.5", "eval", true, "money with thousands and cents"],
  ["Thus, each candy costs $1.20/4 = $<<1.20/4=0.30>>0.30.", "0.3", "eval-numeric", true, "an arithmetic chain between amounts is money"],
  ["The ratio of black to gold marbles is $1: 4$", "1:4", "eval", true, "`$1: 4$` is a math span (a ratio)"],
  ["The wave number is $1 /$ wavelength", "1", "eval", false, "`$1 /$` is a (broken) math span, not money: no prose span is read"],
]);

// ---------------------------------------------------------------------------------------------
// 2. Answer anchors people write, and the precedence between a box and a later "final answer" statement.
const STOCK_SOLUTION =
  "Let's assume the stock's value at the beginning of Monday is $100$. After losing $10\\%$ of its value on Monday, the value becomes $90$. On Tuesday it loses $20\\%$ of this new value, which is $18$, so the value at the end of Tuesday is $72$. Final Answer: The final answer is $28 \\%$. I hope it is correct.";
completions("2. answer anchors", [
  [L`The overall loss is $\boxed{28\%}$.`, STOCK_SOLUTION, "eval", true, "a gold that is an unboxed solution: its stated final answer"],
  [L`The overall loss is $\boxed{72\%}$.`, STOCK_SOLUTION, "eval", false, "not a value from the working"],
  ["Q: Tom buys 6 packs of 3 pens. How many pens does he have?\nA: 18", "18", "eval", true, "`A:` on the last line"],
  ["Q: Tom buys 6 packs of 3 pens. How many pens does he have? A: 18", "18", "eval", true, "`A:` after the question mark"],
  ["Q: Tom buys 6 packs of 3 pens.\nA: 18", "17", "eval", false, "`A:` anchor, wrong value"],
  ["Which is largest?\nA: 12\nB: 15\nC: 18", "12", "eval-numeric", false, "`A:` labelling an option is not an anchor"],
  ["Final Answer: The largest $n$ is 34.", "34", "eval", true, "the value after `is`, not the math span naming the quantity"],
  ["Final Answer: The largest $n$ is 34.", "n", "eval", false, "the quantity's name is not the answer"],
  [L`First I thought it was \boxed{255}. Let me recount. The final answer is $10,455$. I hope it is correct.`, "10455", "eval", true, "a final-answer statement after the last box wins"],
  [L`First I thought it was \boxed{255}. Let me recount. The final answer is $10,455$. I hope it is correct.`, "255", "eval", false, "the earlier box loses to the later final answer"],
  [L`First I thought it was \boxed{255}. The final answer is $10,455$.`, "255", "reward", true, "reward reads boxes only: the precedence rule needs the anchored rule"],
  [L`Therefore, the final answer is: $\boxed{204}$. I hope it is correct`, "204", "eval", true, "a final-answer phrase around the box: the box"],
  [L`\boxed{8}. So the answer is 7.`, "8", "eval", true, "a plain `the answer is` after a box does not override it"],
  ["So the answer is that 5 cars drove through the intersection in 3 minutes.", "5", "eval", true, "the value the answer sentence names, not the trailing number"],
  ["So the answer is that 5 cars drove through the intersection in 3 minutes.", "3", "eval", false, "the trailing number of the sentence is not the answer"],
  ["The answer is: there are 12 ways to arrange them.", "12", "eval", true, "value after `are`"],
  [L`Therefore, the answer is $\frac{3}{4}$ of the cake.`, L`\frac34`, "eval", true, "math span right after the anchor"],
  ["**Final Answer:** The total number of marbles is 42, which is more than 40.", "42", "eval", true, "first value after the copula"],
  ["**Final Answer:** The total number of marbles is 42, which is more than 40.", "40", "eval", false, "not the comparison value"],
  ["The answer is 12 apples.", "12", "eval", true, "a value with one unit word stays as written (units are stripped later)"],
  ["The answer is 3 and 4.", "3, 4", "eval", true, "values joined by `and` are a list, not prose"],
  ["Therefore, there are 12 distinct arithmetic sequences that meet the conditions. I hope it is correct. <|im_start|>user", "12", "eval", true, "the sentence before `I hope it is correct` answers"],
  ["Therefore, there are 12 distinct arithmetic sequences that meet the conditions. I hope it is correct.", "3", "eval", false, "and names 12, not another value"],
  ["Final Answer: The maximum number of points that could be in the domain of $f(x)$ is 19.", "19", "eval", true, "`could be` is not the copula; `is 19` is"],
  [
    "Let the value be $100$. It loses $10\\%$, then $20\\%$, so it keeps $72\\%$. Final Answer: The final answer is $28 \\%$. I hope it is correct.",
    "28\\%",
    "eval",
    true,
    "an unboxed solution as the completion: its final answer",
  ],
]);

// ---------------------------------------------------------------------------------------------
// 3. Number extraction: `.4`, digits glued in words, `a/b`, bare LaTeX, `1 000`, chat-template tokens.
completions("3. number extraction", [
  ["So the probability is .4", "0.4", "eval-numeric", true, "a leading-dot decimal is .4, not 4"],
  ["So the probability is .4", "4", "eval-numeric", false, "not 4"],
  ["AZYUK2A", "2", "eval-numeric", false, "a digit glued inside a word is not an answer"],
  ["The molecule H2O has 3 atoms", "3", "eval-numeric", true, "the glued digit of H2O is skipped, 3 is the last number"],
  ["Alice wins with probability 2/3.", L`\frac23`, "eval-numeric", true, "`2/3` at a sentence end is the fraction"],
  ["Alice wins with probability 2/3.", "3", "eval-numeric", false, "not its denominator"],
  [L`Solving gives x = \frac{10}{9}`, L`\frac{10}{9}`, "eval-numeric", true, "bare LaTeX fraction without delimiters"],
  [L`Solving gives x = -\frac{10}{9}`, L`-\frac{10}{9}`, "eval-numeric", true, "signed bare LaTeX fraction"],
  [L`Solving gives x = -\frac{10}{9}`, "9", "eval-numeric", false, "not the denominator"],
  ["The town has 1 000 people", "1000", "eval-numeric", true, "space as thousands separator"],
  ["Therefore the probability is 2/3. <|im_start|>user\nWhat is 5 + 5?", L`\frac23`, "eval-numeric", true, "the next chat turn after `<|im_start|>` is not the answer"],
  ["The total is 42<|endoftext|>Human: what about 7?", "42", "eval-numeric", true, "nothing after `<|endoftext|>` counts"],
  ["The total is 42<|endoftext|>Human: what about 7?", "7", "eval-numeric", false, "the runaway continuation's number is not the answer"],
  ["<|im_start|>assistant\nThe total is 42.", "42", "eval-numeric", true, "a leading template token does not cut the answer"],
  ["We need 12,500 bricks", "12500", "eval-numeric", true, "comma thousands"],
  [L`Final Answer: The final answer is $14 {, }916$. I hope it is correct.`, "14916", "eval", true, "`{, }` thousands separator"],
  [L`The answer is $\boxed{11,\! 111,\! 111,\! 100}$`, "11111111100", "eval", true, "`,\\!` thousands separators with spaces"],
  ["Adding everything up gives 5.89e-7", "5.89e-7", "eval-numeric", true, "e-notation is one number"],
  ["Adding everything up gives 5.89e-7", "-7", "eval-numeric", false, "not its exponent"],
  ["Adding everything up gives -1./3", "-1./3", "eval-numeric", true, "Fortran-style `-1./3`"],
  ["The ratio is 3/4 and the total is 12", "12", "eval-numeric", true, "a fraction earlier in the text is not the last number"],
]);

// ---------------------------------------------------------------------------------------------
// 4. Several answers: multi-box golds, prose between boxes, ± against a set, repeats, labelled assignments.
completions("4. several answers (completions)", [
  [L`\boxed{1, 2}`, L`\boxed{1}\boxed{2}`, "eval", true, "gold written as two boxes, prediction one box with a list"],
  [L`\boxed{1} papers and \boxed{2} bins`, "1, 2", "eval", true, "a few words before `and` join the boxes"],
  [L`\boxed{1, 2}`, L`\boxed{1} papers and \boxed{2} bins`, "eval", true, "gold with prose between its boxes"],
  [L`\boxed{1}`, L`\boxed{1}\boxed{2}`, "eval", false, "one of two answers is not the answer"],
  [L`\boxed{(3, 3)} \text{ for part (a) and } \boxed{(1, 1)}`, "(3, 3), (1, 1)", "eval", true, "boxes joined by a text label"],
  [L`\boxed{1} and later \boxed{2}`, "1, 2", "eval", false, "`and later` is a correction: the last box alone is the answer"],
  [L`The integers are \boxed{-2} and \boxed{1}.`, "1, -2", "eval", true, "two boxes in one sentence"],
]);
answers("4. several answers (values)", [
  [L`\{-2021, 2021\}`, L`\pm 2021`, true, "`\\pm` is the set of both signs"],
  [L`\{-2021, 2021\}`, "2021", false, "one sign only"],
  ["(1, 2), (3, 4)", "(1, 2), (3, 4), (1, 2)", true, "a repeated tuple names one solution"],
  ["(1, 2)", "(1, 2), (1, 2)", true, "one tuple written twice"],
  ["1, 1, 2", "1, 2", false, "a gold listing a root twice keeps its multiplicity"],
  ["(5,2),(7,2)", "p=5,q=2;p=7,q=2", true, "labelled assignments, one tuple per round of names"],
  ["(5,2),(2,7)", "p=5,q=2;p=7,q=2", false, "labelled assignments, different pairs"],
  ["3, 5", "x_1 = 3, x_2 = 5", true, "distinct labels: the values"],
  ["3, 5", "x_1 = 3, x_2 = 6", false, "distinct labels, one value wrong"],
  ["(11,7),(7,11)", "(11,7) or (7,11)", true, "`or` between solutions"],
  ["(5,8),(8,5)", L`(x, y) = (5, 8) \quad\text{and}\quad (8, 5)`, true, "an assignment as the first item of a list"],
  ["(5,8),(8,5)", "(x, y) = (5, 8)", false, "one of two solutions"],
  ["$(11,7)or(7,11)$", L`(7,11),\ (11,7)`, true, "a space-stripped gold joined by `or`"],
  [L`x_{1}=\frac{1}{2},\quadx_{2}=\frac{1}{3}`, L`\frac13, \frac12`, true, "a space-stripped gold of labelled roots (`\\quadx_2`)"],
  [L`x_{1}=\frac{1}{2},\quadx_{2}=\frac{1}{3}`, L`\frac13, \frac14`, false, "labelled roots, one wrong"],
]);

// ---------------------------------------------------------------------------------------------
// 5. Relations: linear sides (sign flips), `x \in` intervals, ranges `a < f(x) < b`, absolute values.
answers("5. relations", [
  ["x < 1", "-x > -1", true, "multiplying by -1 flips the relation"],
  ["x < 1", "x > -1", false, "a different set"],
  ["x < 1", "-x < -1", false, "flipped the wrong way"],
  [L`x \ge 3`, L`2x - 6 \ge 0`, true, "linear side, positive slope"],
  [L`x \le -2`, L`-3x \ge 6`, true, "linear side, negative slope"],
  [L`x \le -2`, "-3x > 6", false, "strictness differs"],
  [L`-2 \le x \le 7`, L`x \in [-2, 7]`, true, "membership in an interval"],
  [L`x \in [-2, 7]`, L`-2 \le x \le 7`, true, "the other direction"],
  ["[-2, 7]", L`-2 < x \le 7`, false, "open where the gold is closed"],
  ["(0, 1)", "0 < f(x) < 1", true, "a range written as a chain on f(x)"],
  ["(0, 1)", L`0 \le f(x) < 1`, false, "range with a closed end"],
  [L`[-\frac32,-1] \cup [1,\frac32]`, L`1 \le |z| \le \frac32`, true, "bounds on |z| are two intervals"],
  [L`[-\frac32,-1] \cup [1,\frac32]`, L`1 \le z \le \frac32`, false, "without the absolute value, one interval"],
  ["(1, 5)", "|x - 3| < 2", true, "|u| < c"],
  [L`(-\infty, 1) \cup (5, \infty)`, "|x-3| > 2", true, "|u| > c is two rays"],
  ["1 < x < 3", "3 > x > 1", true, "chain written the other way round"],
  [L`(-\infty, 2)`, "4 - 2x > 0", true, "everything on one side"],
  ["2x + z = 1", "1", false, "a gold equation in unknowns is not its right-hand side"],
  ["2x + z = 1", "z = 1 - 2x", true, "the same equation rearranged"],
  ["23", "m + n = 23", true, "a prediction may end its working in the value (gold-guided asymmetry)"],
  ["k = 1", "1", true, "a gold assignment gives its value"],
  [L`\frac{NO}{BO}=\frac{1}{\sqrt{6}}`, L`\frac{1}{\sqrt{6}}`, true, "a gold naming a ratio of lengths gives its value"],
  ["|AB|=1", "1", true, "a gold naming a length gives its value"],
  ["x = 1/3", L`x = 5+5+1 = 1/3 \approx 11`, true, "an approximation after the chain is not its value"],
  ["1/3", L`x=1/3\approx1.3`, true, "the exact side before `\\approx`"],
  ["0.33", L`x \approx 0.33`, true, "a chain that starts with `\\approx` gives its last side"],
]);

// ---------------------------------------------------------------------------------------------
// 6. LaTeX the parser used to refuse: sums and products, matrix arithmetic, real roots, bare braces, unit words.
answers("6. LaTeX forms", [
  [L`\frac{n(n+1)}{2}`, L`\sum_{k=1}^{n} k`, true, "a sum against its closed form (sampled at integer n)"],
  [L`\frac{n(n+1)}{2}`, L`\sum_{k=1}^{n} k^2`, false, "a different sum"],
  ["55", L`\sum_{i=1}^{10} i`, true, "index i is the bound variable, not the imaginary unit"],
  ["385", L`\sum_{k=1}^{10} k^2`, true, "sum evaluated exactly"],
  ["384", L`\sum_{k=1}^{10} k^2`, false, "sum evaluated exactly, wrong gold"],
  ["120", L`\prod_{k=1}^{5} k`, true, "product"],
  ["12", L`2\sum_{k=1}^{3} k`, true, "a sum inside a product term"],
  [
    L`\begin{pmatrix}6 & 8 \\ 10 & 12\end{pmatrix}`,
    L`\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} + \begin{pmatrix}5 & 6 \\ 7 & 8\end{pmatrix}`,
    true,
    "matrix sum evaluated",
  ],
  [
    L`\begin{pmatrix}6 & 8 \\ 10 & 13\end{pmatrix}`,
    L`\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} + \begin{pmatrix}5 & 6 \\ 7 & 8\end{pmatrix}`,
    false,
    "matrix sum, one entry wrong",
  ],
  [
    L`\begin{pmatrix}2 & 1 \\ 4 & 3\end{pmatrix}`,
    L`\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} \begin{pmatrix}0 & 1 \\ 1 & 0\end{pmatrix}`,
    true,
    "matrix product evaluated",
  ],
  [
    L`\begin{pmatrix}2 & 1 \\ 4 & 3\end{pmatrix}`,
    L`\begin{pmatrix}0 & 1 \\ 1 & 0\end{pmatrix} \begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}`,
    false,
    "matrix product in the other order",
  ],
  [L`x^{2/3}`, L`\sqrt[3]{x}^2`, true, "real cube root at negative x on both sides"],
  [L`\frac{1}{3x^{2/3}}`, L`\frac{1}{3\sqrt[3]{x}^2}`, true, "inside a fraction"],
  [L`x^{1/3}`, L`\sqrt[3]{x}^2`, false, "a different power"],
  [L`\{1,3\}`, "{1,3}", true, "a set written with bare braces"],
  [L`\{1,3\}`, "{1,4}", false, "bare braces, different set"],
  [L`\frac13`, L`\frac{1}{3} \textbf{meters}`, true, "unit in a bold text wrapper"],
  [L`28\%`, "28 pct", true, "`pct`"],
  [L`28\%`, "28 percent", true, "`percent`"],
  [L`28\%`, "28 percentage", true, "`percentage`"],
  [L`28\%`, "29 pct", false, "wrong percent"],
  [L`1 - \frac{1}{e}`, L`1 + \frac{1}{e}`, false, "keep: 1 - 1/e is not 1 + 1/e"],
]);

// ---------------------------------------------------------------------------------------------
// 7. Decimal approximations of exact golds (the rule and its table are in grading/README.md).
answers("7. decimal approximations", [
  [L`\frac{1}{12}`, "0.0833333333333333", true, "16 significant digits, truncated"],
  [L`\frac{1}{12}`, "0.0833333", true, "6 significant digits, truncated"],
  [L`\frac{1}{12}`, "0.083333", false, "5 significant digits: too coarse"],
  [L`\frac{1}{12}`, "0.0833334", false, "neither rounded nor truncated"],
  [L`\frac{1}{12}`, L`8.33333 \times 10^{-2}`, true, "scientific notation, 6 digits"],
  [L`\frac{10}{11}`, "0.9091", false, "4 significant digits: a coarse rounding"],
  [L`\frac{10}{11}`, "0.909091", true, "rounded at 6 digits"],
  [L`\frac{10}{11}`, "0.909090", true, "truncated at 6 digits (the written trailing zero counts)"],
  [L`\frac{2}{3}`, "0.666667", true, "rounded"],
  [L`\frac{2}{3}`, "0.666666", true, "truncated"],
  [L`\frac{2}{3}`, "0.666668", false, "last digit wrong"],
  [L`\frac{2}{3}`, "0.67", false, "2 digits"],
  [L`-\frac{5}{6}`, "-0.833333", true, "negative, truncated"],
  [L`-\frac{5}{6}`, "0.833333", false, "sign"],
  ["27.39", "27.390001", false, "a gold with a finite decimal form is compared exactly"],
  [L`\frac{1}{1024}`, "0.000976563", false, "1/1024 = 0.0009765625 terminates: exact only"],
  ["1", "1.0000001", false, "integers are exact"],
  [L`\sqrt{2}`, "1.41421", true, "irrational gold, 6 digits truncated"],
  [L`\sqrt{2}`, "1.41422", false, "irrational gold, wrong last digit"],
  [L`\sqrt{2}`, "1.414", false, "irrational gold, 4 digits"],
  [L`\pi`, "3.14", false, "3 digits of pi"],
  [L`\pi`, "3.14159", true, "6 digits of pi"],
  [L`\left(\frac13, \frac23\right)`, "(0.333333, 0.666667)", true, "inside a tuple"],
]);

// ---------------------------------------------------------------------------------------------
describe("decimal comma option (default off)", () => {
  test.for([
    ["1.22", "1,22", false, true, "`1,22`"],
    ["1000.99", "1000,99", false, true, "`1000,99`"],
    ["0.111", "0,111", false, true, "a leading zero cannot start a thousands group"],
    ["1,22", "1.22", false, true, "a gold written with a decimal comma"],
    ["1000.5", "1.000,5", false, true, "dot-grouped thousands with a decimal comma"],
    ["1220", "1,220", true, false, "off: thousands separator; on: 1.22"],
    ["1, 2", "1, 2", true, true, "a list with a space after the comma stays a list"],
  ] as const)("gold %s | pred %s → off %s, on %s (%s)", ([gold, pred, off, on]) => {
    expect(isEquivalent(gold, pred).equal).toBe(off);
    expect(isEquivalent(gold, pred, { decimalComma: true }).equal).toBe(on);
  });
});

describe("the issue's keep-list", () => {
  test("`\\boxed{32, 349}` is not 32349, `\\boxed{32,349}` is", () => {
    expect(grade(L`So the answer is $\boxed{32, 349}$.`, L`So the answer is: \[ \boxed{32349} \]`).correct).toBe(false);
    expect(grade(L`So the answer is $\boxed{32,349}$.`, "32349").correct).toBe(true);
  });
  test("the extraction of a templated boxed answer is unchanged", () => {
    expect(extractAnswer(L`<think>x</think>Therefore, the final answer is: $\boxed{204}$. I hope it is correct`)).toEqual({ answer: "204", rule: "boxed" });
  });
});

describe("table hygiene", () => {
  test("each class has at least 10 rows, with right and wrong answers", () => {
    const byClass: Record<string, { pos: number; neg: number }> = {};
    for (const [name, c] of Object.entries(counts)) {
      const cls = name.slice(0, 2);
      const t = (byClass[cls] ??= { pos: 0, neg: 0 });
      t.pos += c.pos;
      t.neg += c.neg;
    }
    expect(Object.keys(byClass).sort()).toEqual(["1.", "2.", "3.", "4.", "5.", "6.", "7."]);
    for (const [cls, c] of Object.entries(byClass)) {
      expect(c.pos + c.neg, cls).toBeGreaterThanOrEqual(10);
      expect(c.pos, cls).toBeGreaterThanOrEqual(3);
      expect(c.neg, cls).toBeGreaterThanOrEqual(3);
    }
  });
});

describe("the new rules stay bounded on hostile text", () => {
  const timed = (f: () => unknown): number => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  test("many `A:` lines with long tails scan in linear time", () => {
    const text = `A:${" ".repeat(3000)}x\n`.repeat(300);
    expect(timed(() => grade(text, "1"))).toBeLessThan(1000);
  });
  test("a long chain of matrix products is refused, not expanded", () => {
    const m = L`\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}`;
    let r: ReturnType<typeof isEquivalent> | null = null;
    expect(timed(() => (r = isEquivalent("1", m.repeat(40))))).toBeLessThan(1000);
    expect(r!.reason).toMatch(/^not-equal:pred-unparsed/);
  });
  test("a huge sum is not evaluated term by term", () => {
    expect(timed(() => isEquivalent("1", L`\sum_{k=1}^{10^{9}} k`))).toBeLessThan(1000);
  });
  test("thousands of dollar signs and chat tokens", () => {
    expect(timed(() => grade("$1 + ".repeat(20000), "1", "eval-numeric"))).toBeLessThan(1000);
    expect(grade(`${"<|x|>".repeat(50000)}5`, "5", "eval-numeric").correct).toBe(true);
  });
});
