// The tiny model's training rows: worked solutions in four lengths that stay correct, only training-split problems,
// the suite's own prompt, and the two copy drills of the warm-up.
import { describe, expect, it } from "vitest";
import { generateTrain, splitOfKey } from "../../benchmarks/arith-gen.js";
import { arithCopyRows, arithGrpoRows, arithLongCopyRows, arithSftRows, SOLUTION_STYLES, solutionSteps, styledSolution } from "../../benchmarks/arith-train.js";
import { ARITH_PROMPT_TEMPLATE } from "../../benchmarks/suites/arith.js";

const problems = generateTrain(9, 400);

describe("worked solutions", () => {
  it.each(SOLUTION_STYLES)("%s: every step line is true and the box holds the answer", (style) => {
    for (const p of problems) {
      const s = styledSolution(p, style);
      expect(s.endsWith(`\n</think>\n\\boxed{${p.answer}}`)).toBe(true);
      for (const line of s.split("\n").filter((l) => /^(Check: )?\d+ [-+*/] \d+ = \d+$/.test(l))) {
        const [, a, op, b, c] = /(\d+) ([-+*/]) (\d+) = (\d+)$/.exec(line) as RegExpExecArray;
        const [x, y, z] = [a, b, c].map(Number);
        expect(op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : x / y, `${p.key}: ${line}`).toBe(z);
      }
    }
  });

  it("the styles differ in length (what a length reward can act on)", () => {
    const p = problems.find((q) => q.steps === 2)!;
    const lengths = SOLUTION_STYLES.map((s) => styledSolution(p, s).length);
    expect(new Set(lengths).size).toBe(SOLUTION_STYLES.length);
    expect(solutionSteps(p)).toHaveLength(2);
  });
});

describe("rows", () => {
  it("SFT and GRPO rows ask the suite's prompt about training-split problems only, deterministically", () => {
    const sft = arithSftRows(4, 300);
    const grpo = arithGrpoRows(4, 300);
    expect(arithSftRows(4, 300)).toEqual(sft);
    const train = generateTrain(4, 300);
    train.forEach((p, i) => {
      expect(splitOfKey(p.key)).toBe("train");
      expect(sft[i].prompt).toBe(ARITH_PROMPT_TEMPLATE.replace("{Question}", p.question));
      expect(grpo[i]).toEqual({ problem: sft[i].prompt, answer: String(p.answer), difficulty: p.difficulty });
      expect(sft[i].completion.endsWith(`\\boxed{${p.answer}}`)).toBe(true);
    });
    expect(new Set(sft.map((r) => r.completion.split("\n")[0].startsWith("The numbers")))).toEqual(new Set([true, false]));
  });

  it("copy drills repeat the prompt's numbers and box the first; long drills use the arith questions", () => {
    for (const r of arithCopyRows(3, 200)) {
      const [, a, b] = /^Copy (\d+) and (\d+)\.$/.exec(r.prompt) as RegExpExecArray;
      expect(r.completion).toBe(`${a} ${b}\n</think>\n\\boxed{${a}}`);
    }
    const long = arithLongCopyRows(1, 200);
    generateTrain(1, 200).forEach((p, i) => {
      expect(long[i].prompt).toBe(arithSftRows(1, 200)[i].prompt);
      expect(long[i].completion).toBe(`${(p.question.match(/\d+/g) ?? []).join(" ")}\n</think>\n\\boxed{${p.operands[0]}}`);
    });
  });
});
