// The tiny model's training rows: worked solutions in four lengths that stay correct, only training-split problems,
// the suite's own prompt, and the two copy drills of the warm-up.
import { describe, expect, it } from "vitest";
import { generateTrain, splitOfKey } from "../../benchmarks/arith-gen.js";
import {
  arithColumnDrillRows,
  arithColumnRows,
  arithCopyRows,
  arithGrpoRows,
  arithLongCopyRows,
  arithSftRows,
  columnLines,
  columnSolution,
  SOLUTION_STYLES,
  solutionSteps,
  styledSolution,
} from "../../benchmarks/arith-train.js";
import { Rng } from "../../grading/rng.js";
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

/** Re-checks a column scratchpad line by line: each column's digits come from the header, carries chain, results add up. */
function checkColumns(lines: string[]): number {
  const [h, ...rest] = lines;
  const m = /^(\d+) ([-+*]) (\d+)$/.exec(h);
  expect(m, `header "${h}"`).not.toBeNull();
  const [a, op, b] = [Number(m![1]), m![2], Number(m![3])];
  const expected = op === "+" ? a + b : op === "-" ? a - b : a * b;
  const digit = (x: number, i: number) => Math.floor(x / 10 ** i) % 10;
  if (op === "*") {
    // per multiplier digit: columns of a times that digit, then the partial with its place; then the partials added
    let i = 0;
    const partials: number[] = [];
    for (let place = 0; place < String(b).length; place++) {
      let carry = 0;
      for (let k = 0; k < String(a).length; k++) {
        expect(rest[i++]).toBe(`${digit(a, k)}*${digit(b, place)}+${carry}=${digit(a, k) * digit(b, place) + carry}`);
        carry = Math.floor((digit(a, k) * digit(b, place) + carry) / 10);
      }
      expect(rest[i++]).toBe(`= ${a * digit(b, place) * 10 ** place}`);
      partials.push(a * digit(b, place) * 10 ** place);
    }
    let acc = partials[0];
    for (const p of partials.slice(1)) {
      const block = rest.slice(i, i + 2 + Math.max(String(acc).length, String(p).length));
      expect(block[0]).toBe(`${acc} + ${p}`);
      acc = checkColumns(block);
      i += block.length;
    }
    expect(i).toBe(rest.length);
    expect(acc).toBe(expected);
    return acc;
  }
  const n = Math.max(String(a).length, String(b).length);
  expect(rest).toHaveLength(n + 1);
  let carry = 0;
  for (let k = 0; k < n; k++) {
    const lm = /^(\d)([-+])(\d)([-+])([01])=(\d+)( b)?$/.exec(rest[k]);
    expect(lm, `column line "${rest[k]}"`).not.toBeNull();
    const [x, y, c, v] = [lm![1], lm![3], lm![5], lm![6]].map(Number);
    expect([x, y, c]).toEqual([digit(a, k), digit(b, k), carry]);
    if (op === "+") {
      expect(v).toBe(x + y + c);
      carry = v >= 10 ? 1 : 0;
    } else {
      const borrow = x - y - c < 0;
      expect(v).toBe(x - y - c + (borrow ? 10 : 0));
      expect(lm![7] !== undefined).toBe(borrow);
      carry = borrow ? 1 : 0;
    }
  }
  expect(rest[n]).toBe(`= ${expected}`);
  return expected;
}

describe("column scratchpad", () => {
  it("columnLines works +, - and * column by column, carries and borrows chained, for random operands", () => {
    const r = new Rng(5);
    for (let t = 0; t < 3000; t++) {
      const op = r.pick(["+", "-", "*"] as const);
      const a = r.int(0, op === "*" ? 60 : 3000);
      const b = r.int(0, op === "-" ? a : op === "*" ? 60 : 3000);
      expect(checkColumns(columnLines(a, op, b))).toBe(op === "+" ? a + b : op === "-" ? a - b : a * b);
    }
    expect(columnLines(621, "-", 204)).toEqual(["621 - 204", "1-4-0=7 b", "2-0-1=1", "6-2-0=4", "= 417"]);
    expect(columnLines(583, "+", 887)).toEqual(["583 + 887", "3+7+0=10", "8+8+1=17", "5+8+1=14", "= 1470"]);
    expect(() => columnLines(5, "-", 7)).toThrow(/5 - 7/);
  });

  it("column solutions chain each step's result into the next header and box the answer", () => {
    for (const p of problems) {
      const s = columnSolution(p);
      expect(s.endsWith(`\n</think>\n\\boxed{${p.answer}}`)).toBe(true);
      const lines = s.split("\n").slice(0, -2);
      // each step's block starts with its header "a op b" (a: the previous step's value) and runs to the next header
      const headers = solutionSteps(p).map((step) => step.replace(/ = \d+$/, ""));
      expect(headers[0].startsWith(`${p.operands[0]} `)).toBe(true);
      let from = 0;
      let acc = -1;
      headers.forEach((h, k) => {
        expect(lines[from], `${p.key}: step ${k + 1}`).toBe(h);
        const next = k + 1 < headers.length ? lines.indexOf(headers[k + 1], from + 1) : lines.length;
        expect(next).toBeGreaterThan(from);
        acc = checkColumns(lines.slice(from, next));
        if (k + 1 < headers.length) expect(headers[k + 1].startsWith(`${acc} `)).toBe(true);
        from = next;
      });
      expect(acc).toBe(p.answer);
    }
    expect(new Set(problems.map((p) => p.template)).has("h-pencils")).toBe(true);
  });

  it("column rows ask the suite's prompt about training-split problems; drills are bare operations, all deterministic", () => {
    const rows = arithColumnRows(4, 200);
    expect(arithColumnRows(4, 200)).toEqual(rows);
    generateTrain(4, 200).forEach((p, i) => {
      expect(rows[i]).toEqual({ prompt: ARITH_PROMPT_TEMPLATE.replace("{Question}", p.question), completion: columnSolution(p) });
    });
    const drills = arithColumnDrillRows(6, 500);
    expect(arithColumnDrillRows(6, 500)).toEqual(drills);
    const ops = new Set<string>();
    for (const d of drills) {
      const lines = d.completion.split("\n");
      expect(lines[0]).toBe(d.prompt);
      ops.add(d.prompt.split(" ")[1]);
      const v = checkColumns(lines.slice(0, -2));
      expect(lines.slice(-2)).toEqual(["</think>", `\\boxed{${v}}`]);
    }
    expect([...ops].sort()).toEqual(["*", "+", "-"]);
  });
});
