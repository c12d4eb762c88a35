// Table-driven tests for answer extraction (`extractAnswer`) and a few end-to-end `grade` rows.
// Extraction rows are `[completion, answer, rule, why]` (answers compared after trimming), grouped by
// preset and rule; `why` starts with the rule the row exercises.
// Scope is the text after the last `</think>` when present. `eval` tries boxed → anchored → mathSpan,
// `eval-numeric` adds lastNumber, `reward` uses boxed only.
import { describe, expect, test } from "vitest";
import { extractAnswer, grade } from "../../grading/index.js";

type Rule = "boxed" | "anchored" | "mathSpan" | "lastNumber";
type Row = readonly [completion: string, answer: string | null, rule: Rule | null, why: string];
type GradeRow = readonly [completion: string, gold: string, correct: boolean, rule: Rule | null, why: string];

const L = String.raw;

let extractionRows = 0;

function table(group: string, preset: "eval" | "eval-numeric" | "reward", rows: readonly Row[]): void {
  extractionRows += rows.length;
  describe(`${group} [${preset}]`, () => {
    test.for(rows)("%s → %s (%s)", ([completion, answer, rule, why]) => {
      const ex = extractAnswer(completion, preset);
      const got = ex.answer === null ? null : ex.answer.trim();
      expect({ answer: got, rule: ex.rule }, why).toEqual({ answer, rule });
    });
  });
}

// ---------------------------------------------------------------------------------------------
table("boxed", "eval", [
  [L`The answer is $\boxed{5}$.`, "5", "boxed", "boxed: simple box inside dollars"],
  [L`So $x = \boxed{\frac{1}{2}}$.`, L`\frac{1}{2}`, "boxed", "boxed: nested braces"],
  [
    L`Hence $\boxed{\frac{\sqrt{3}}{2\left(1+\frac{1}{2}\right)}}$`,
    L`\frac{\sqrt{3}}{2\left(1+\frac{1}{2}\right)}`,
    "boxed",
    "boxed: deeply nested braces",
  ],
  [L`The result is \boxed {7}.`, "7", "boxed", "boxed: space between \\boxed and brace"],
  [L`The result is \fbox{12}.`, "12", "boxed", "boxed: \\fbox"],
  [L`Thus the answer is \boxed 5.`, "5", "boxed", "boxed: brace-less \\boxed 5"],
  [L`The correct option is $\boxed{\text{(C)}}$.`, L`\text{(C)}`, "boxed", "boxed: text inside the box"],
  [L`We conclude $\boxed{x = 3}$.`, "x = 3", "boxed", "boxed: equation inside the box"],
  [L`The point is $\boxed{(1, 2)}$.`, "(1, 2)", "boxed", "boxed: tuple inside the box"],
  [
    L`The vector is $\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}$.`,
    L`\begin{pmatrix} 1 \\ 2 \end{pmatrix}`,
    "boxed",
    "boxed: matrix environment inside the box",
  ],
  [L`The set is $\boxed{\{1, 2\}}$.`, L`\{1, 2\}`, "boxed", "boxed: escaped braces do not unbalance the box"],
  [L`The rate is $\boxed{10\%}$.`, L`10\%`, "boxed", "boxed: percent inside the box"],
  [L`She paid $\boxed{\$18.90}$.`, L`\$18.90`, "boxed", "boxed: escaped dollar inside the box"],
  [L`The angle is $\boxed{45^\circ}$.`, L`45^\circ`, "boxed", "boxed: degrees inside the box"],
  [L`$$\boxed{(-\infty, 2]}$$`, L`(-\infty, 2]`, "boxed", "boxed: interval inside display math"],
  ["The answer is\n\\boxed{\n  42\n}\n", "42", "boxed", "boxed: content spread over lines, trimmed"],
  [
    L`The final answer is $\boxed{5}$. I hope it is correct.`,
    "5",
    "boxed",
    "boxed: box wins over the anchored phrase around it",
  ],
  [L`The answer is 7. Indeed, checking again gives \boxed{8}.`, "8", "boxed", "boxed: box wins over an earlier anchor"],
  [L`We have $x=2$, so \boxed{4}, and then $y=6$.`, "4", "boxed", "boxed: box wins over a later math span"],
  [
    "Step 1 gives \\boxed{3}.\n\nStep 2 gives \\boxed{8}.\n\nSo the final answer is \\boxed{10}.",
    "10",
    "boxed",
    "boxed: boxes in different sentences, the last one wins",
  ],
  [
    L`Initially I thought it was \boxed{6}. After fixing the sign error, it is \boxed{-6}.`,
    "-6",
    "boxed",
    "boxed: last box wins after a correction",
  ],
  [L`The two answers are \boxed{1}, \boxed{2}`, "1, 2", "boxed", "boxed: several boxes in the final sentence form a list"],
  [L`The solutions are $\boxed{1}$ and $\boxed{2}$.`, "1, 2", "boxed", "boxed: boxes joined by `and` form a list"],
  [L`The roots are $\boxed{-1}$, $\boxed{3}$ and $\boxed{5}$.`, "-1, 3, 5", "boxed", "boxed: three boxes form a list"],
  [
    L`\boxed{\frac{9}{32}}`,
    L`\frac{9}{32}`,
    "boxed",
    "boxed: the whole completion is a box",
  ],
]);

// ---------------------------------------------------------------------------------------------
table("think scope", "eval", [
  [L`<think>Maybe \boxed{3}?</think>The answer is \boxed{4}.`, "4", "boxed", "scope: box inside think is ignored"],
  [
    "<think>I get \\boxed{3}.</think>\nSo the final answer is 4.",
    "4",
    "anchored",
    "scope: box only inside think, anchored phrase after it",
  ],
  [
    L`<think>a</think><think>\boxed{1}</think> Answer: 2`,
    "2",
    "anchored",
    "scope: text after the last </think> only",
  ],
  [
    L`<think>long reasoning that never closes, so far \boxed{9}`,
    "9",
    "boxed",
    "scope: no </think>, the whole text is the scope",
  ],
  [L`<think>The answer is \boxed{3}.</think>`, null, null, "scope: nothing after </think>, no answer"],
  [L`<think>$x=1$</think> The value is $x=2$.`, "x=2", "mathSpan", "scope: math span inside think ignored"],
]);

// ---------------------------------------------------------------------------------------------
table("anchored phrases", "eval", [
  ["The final answer is 42.", "42", "anchored", "anchored: `final answer is`, sentence end"],
  [L`The final answer is $\frac{1}{2}$.`, L`\frac{1}{2}`, "anchored", "anchored: following math span"],
  [
    L`Therefore, the final answer is: $\frac{3}{4}$. I hope it is correct.`,
    L`\frac{3}{4}`,
    "anchored",
    "anchored: the prompt's own answer template",
  ],
  [
    L`Final Answer: The final answer is $9$. I hope it is correct.`,
    "9",
    "anchored",
    "anchored: Minerva-style `Final Answer:` template",
  ],
  ["Answer: 17", "17", "anchored", "anchored: `Answer:` at the end of text"],
  ["Answer: (B)", "(B)", "anchored", "anchored: choice after `Answer:`"],
  ["So the answer is 12 apples.", "12 apples", "anchored", "anchored: text up to the end of the sentence"],
  ["The answer is 3.5.", "3.5", "anchored", "anchored: decimal point is not a sentence end"],
  ["The answer is -5.", "-5", "anchored", "anchored: negative number"],
  ["The answer is 1,000.", "1,000", "anchored", "anchored: thousands separator kept"],
  [L`The answer is \(x = 2\).`, "x = 2", "anchored", "anchored: following \\(...\\) span"],
  [L`Thus, the final answer is \[ \frac{\pi}{2} \]`, L`\frac{\pi}{2}`, "anchored", "anchored: following \\[...\\] span"],
  [L`The answer is $7$. We can verify: $3+4=7$.`, "7", "anchored", "anchored: beats a later math span"],
  ["The answer is 3. Wait, actually the answer is 4.", "4", "anchored", "anchored: the last anchored phrase wins"],
  ["Looking at the options, the answer is (C).", "(C)", "anchored", "anchored: lower-case phrase, choice letter"],
  [L`**Answer:** $x=3$`, "x=3", "anchored", "anchored: markdown-bold `Answer:` then math span"],
  [L`The final answer is $5$ dollars.`, "5", "anchored", "anchored: math span right after the phrase"],
  ["The answer is 2.\n\nLet me double check this reasoning once more.", "2", "anchored", "anchored: sentence ends at the period"],
]);

// ---------------------------------------------------------------------------------------------
table("last math span", "eval", [
  [L`We get $x = 5$ so $y=7$`, "y=7", "mathSpan", "mathSpan: the last $...$ span"],
  [L`Therefore $$\frac{1}{2}$$`, L`\frac{1}{2}`, "mathSpan", "mathSpan: display $$...$$"],
  [L`Result: \(3\sqrt2\)`, L`3\sqrt2`, "mathSpan", "mathSpan: \\(...\\) span, `Result:` is not an anchor"],
  ["Hence\n\\[ 10 \\]", "10", "mathSpan", "mathSpan: \\[...\\] span"],
  [L`Thus $a=1$ and therefore $$b = 2$$`, "b = 2", "mathSpan", "mathSpan: last of mixed $ and $$ spans"],
  [L`It costs \$5 plus \$6, so the total is $11$.`, "11", "mathSpan", "mathSpan: escaped dollars are not delimiters"],
  [L`The value is $3$.`, "3", "mathSpan", "mathSpan: single span with no anchor phrase"],
  [L`We collect $\{1, 2\}$ in total`, L`\{1, 2\}`, "mathSpan", "mathSpan: escaped braces inside the span"],
  [L`First $a$, then \(b\), finally \[c\]`, "c", "mathSpan", "mathSpan: last span across delimiter styles"],
  [L`$x$ is $\frac{1}{2}$ and the area is $\pi r^2$.`, L`\pi r^2`, "mathSpan", "mathSpan: last of three spans"],
]);

// ---------------------------------------------------------------------------------------------
table("no answer", "eval", [
  ["The result is five.", null, null, "none: no box, anchor or math span"],
  ["We compute 2+3 = 5", null, null, "none: eval does not fall back to the last number"],
  ["", null, null, "none: empty completion"],
  ["I don't know.", null, null, "none: refusal"],
]);

// ---------------------------------------------------------------------------------------------
table("last number fallback", "eval-numeric", [
  ["We compute 2+3 = 5", "5", "lastNumber", "lastNumber: the last number in the text"],
  ["so she has 18 apples left.", "18", "lastNumber", "lastNumber: number inside a sentence"],
  ["The temperature dropped to -3 degrees", "-3", "lastNumber", "lastNumber: negative number"],
  ["It takes 3.5 hours", "3.5", "lastNumber", "lastNumber: decimal"],
  ["There are 12 eggs, she eats 3 and sells 9.", "9", "lastNumber", "lastNumber: last of several numbers"],
  ["It took 2 hours. The speed was 45 km/h.", "45", "lastNumber", "lastNumber: across sentences"],
  ["Total: 42.", "42", "lastNumber", "lastNumber: sentence period is not part of the number"],
  ["<think>the result is 100</think> so the result is 20", "20", "lastNumber", "lastNumber: scope after </think>"],
  [L`\boxed{7} although 8 appears later`, "7", "boxed", "lastNumber: a box still wins under eval-numeric"],
  ["The answer is 7.", "7", "anchored", "lastNumber: anchored phrase still wins under eval-numeric"],
  [L`So we get $12$ and 13 remains.`, "12", "mathSpan", "lastNumber: math span still wins under eval-numeric"],
  ["No numbers here.", null, null, "lastNumber: nothing to fall back to"],
]);

// ---------------------------------------------------------------------------------------------
table("reward: boxed only", "reward", [
  ["The answer is 5", null, null, "reward: anchored phrase is not used"],
  ["$5$", null, null, "reward: math span is not used"],
  ["42", null, null, "reward: last number is not used"],
  [L`\boxed{5}`, "5", "boxed", "reward: box is used"],
  [L`\fbox{5}`, "5", "boxed", "reward: \\fbox counts as a box"],
  [L`<think>\boxed{3}</think> The answer is 4`, null, null, "reward: box inside think does not count"],
  [L`<think>\boxed{3}</think> \boxed{4}`, "4", "boxed", "reward: box after think"],
  [L`Final Answer: The final answer is $9$. I hope it is correct.`, null, null, "reward: template without a box"],
  [L`The solutions are $\boxed{1}$ and $\boxed{2}$.`, "1, 2", "boxed", "reward: several boxes in one sentence form a list"],
]);

// ---------------------------------------------------------------------------------------------
describe("grade end-to-end", () => {
  const rows: Record<string, readonly GradeRow[]> = {
    eval: [
      [L`<think>Maybe \boxed{3}.</think>The answer is \boxed{4}.`, "4", true, "boxed", "grade: box after think is graded"],
      [L`<think>Maybe \boxed{3}.</think>The answer is \boxed{4}.`, "3", false, "boxed", "grade: box inside think is ignored"],
      ["First \\boxed{2}.\n\nThen \\boxed{5}.\n\nFinally \\boxed{7}.", "7", true, "boxed", "grade: last box of many"],
      ["First \\boxed{2}.\n\nThen \\boxed{5}.\n\nFinally \\boxed{7}.", "2", false, "boxed", "grade: earlier box is not the answer"],
      [
        L`Therefore, the final answer is: $0.5$. I hope it is correct.`,
        L`\frac12`,
        true,
        "anchored",
        "grade: anchored template, decimal equals fraction",
      ],
      [L`The solutions are $\boxed{1}$ and $\boxed{2}$.`, "2, 1", true, "boxed", "grade: boxed list vs unordered gold"],
      ["Looking at the options, the answer is (C).", L`\text{(C)}`, true, "anchored", "grade: choice letter"],
      [L`The rate is $\boxed{10\%}$.`, L`10\%`, true, "boxed", "grade: percent"],
      [
        L`The point is $\boxed{\left( 3, \frac{\pi}{2} \right)}$.`,
        L`\left( 3, \frac{\pi}{2} \right)`,
        true,
        "boxed",
        "grade: MATH polar coordinates",
      ],
      [
        L`The luminosity is $\boxed{4.5 \times 10^{33}}$ erg/s.`,
        "4.5e33",
        true,
        "boxed",
        "grade: Minerva scientific notation",
      ],
      [L`We find $x = 2$ first, then \boxed{x=3}.`, "3", true, "boxed", "grade: boxed equation vs gold value"],
      [L`<think>\boxed{6}</think>`, "6", false, null, "grade: nothing after think is no answer"],
      ["I cannot solve this.", "5", false, null, "grade: no answer"],
    ],
    "eval-numeric": [
      ["so she has 18 apples left", "18", true, "lastNumber", "grade: GSM8K-style last number"],
      ["so she has 18 apples left", "19", false, "lastNumber", "grade: last number wrong"],
    ],
    reward: [
      ["The answer is 5.", "5", false, null, "grade: reward needs a box"],
      [L`So \boxed{5}.`, "5", true, "boxed", "grade: reward with a box"],
    ],
  };
  for (const [preset, presetRows] of Object.entries(rows)) {
    describe(preset, () => {
      test.for(presetRows)("%s | gold %s → %s (%s)", ([completion, gold, correct, rule, why]) => {
        const r = grade(completion, gold, preset);
        expect({ correct: r.correct, rule: r.rule, preset: r.preset }, `${why} [reason: ${r.reason}]`).toEqual({
          correct,
          rule,
          preset,
        });
      });
    });
  }

  test("no answer is reported with reason `no-answer`", () => {
    const r = grade("I cannot solve this.", "5");
    expect(r.extracted).toBeNull();
    expect(r.reason).toBe("no-answer");
  });
});

describe("table hygiene", () => {
  test("has at least 60 extraction rows", () => {
    expect(extractionRows).toBeGreaterThanOrEqual(60);
  });
});
