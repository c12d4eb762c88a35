// Training rows for the tiny model from the arith generator's training split: SFT pairs whose worked solutions vary in
// length (so a length-aware reward has something to act on), the column scratchpad the shipped model learned
// arithmetic from, bare column drills, copy drills, and GRPO prompts with gold answers. Rows about arith problems use
// the suite's own prompt template, so what the model trains on is exactly what `--bench arith` asks it.
import { Rng } from "../grading/rng.js";
import { type ArithProblem, generateTrain } from "./arith-gen.js";
import { userPrompt } from "./prompt.js";
import { ARITH_PROMPT_TEMPLATE } from "./suites/arith.js";

/** How a worked solution is written out; every style ends `</think>\n\boxed{N}`. */
export type SolutionStyle = "terse" | "restate" | "check" | "conclude";
export const SOLUTION_STYLES: readonly SolutionStyle[] = ["terse", "restate", "check", "conclude"];

/** The step lines of a generated solution (`a op b = c`), without the closing `</think>` and box. */
export function solutionSteps(p: ArithProblem): string[] {
  const end = p.solution.indexOf("\n</think>");
  if (end < 0) throw new Error(`arith problem ${p.key}: solution has no </think>`);
  return p.solution.slice(0, end).split("\n");
}

/** A step line `a op b = c` split into its parts. */
function parseStep(step: string): { a: number; op: "+" | "-" | "*"; b: number; c: number } {
  const m = /^(\d+) ([-+*]) (\d+) = (\d+)$/.exec(step);
  if (!m) throw new Error(`arith step "${step}" is not "a op b = c"`);
  return { a: Number(m[1]), op: m[2] as "+" | "-" | "*", b: Number(m[3]), c: Number(m[4]) };
}

/** The inverse check of the last step: `c - b = a` for `a + b = c`, `c + b = a` for `a - b = c`, `c / b = a` for `a * b = c`. */
function checkLine(step: string): string {
  const { a, op, b, c } = parseStep(step);
  const inv = op === "+" ? "-" : op === "-" ? "+" : "/";
  return `Check: ${c} ${inv} ${b} = ${a}`;
}

/** The completion after the `<think>\n` generation prompt, in the given style. */
export function styledSolution(p: ArithProblem, style: SolutionStyle): string {
  const steps = solutionSteps(p);
  const tail = `</think>\n\\boxed{${p.answer}}`;
  switch (style) {
    case "terse":
      return `${steps.join("\n")}\n${tail}`;
    case "restate":
      return `The numbers are ${p.operands.join(", ")}.\n${steps.join("\n")}\n${tail}`;
    case "check":
      return `${steps.join("\n")}\n${checkLine(steps[steps.length - 1])}\n${tail}`;
    case "conclude":
      return `${steps.join("\n")}\nSo the answer is ${p.answer}.\n${tail}`;
  }
}

/**
 * The column scratchpad for one operation, least significant digit first: `583 + 887`, then one line per column
 * (`3+7+0=10`: digits and the carry in), then `= 1470`. Subtraction lines carry the borrow in (`1-4-0=7 b`, ` b` when
 * the column borrows); multiplication writes one partial product per digit of the multiplier (`3*7+2=23`, then
 * `= 690` with the place's zeros) and adds the partials in columns. Every line is local arithmetic on digits the
 * model can see a line or two above, which is what a 3M-parameter model can learn (whole-number sums it could not).
 */
export function columnLines(a: number, op: "+" | "-" | "*", b: number): string[] {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || (op === "-" && b > a)) {
    throw new Error(`column scratchpad: ${a} ${op} ${b} is not a non-negative integer operation`);
  }
  const lines = [`${a} ${op} ${b}`];
  if (op === "*") {
    const partials: number[] = [];
    const ad = digitsLow(a);
    digitsLow(b).forEach((d, place) => {
      let carry = 0;
      ad.forEach((x) => {
        const v = x * d + carry;
        lines.push(`${x}*${d}+${carry}=${v}`);
        carry = Math.floor(v / 10);
      });
      const partial = a * d * 10 ** place;
      lines.push(`= ${partial}`);
      partials.push(partial);
    });
    let acc = partials[0];
    for (const p of partials.slice(1)) {
      lines.push(...columnLines(acc, "+", p));
      acc += p;
    }
    return lines;
  }
  const n = Math.max(String(a).length, String(b).length);
  const ad = digitsLow(a, n);
  const bd = digitsLow(b, n);
  let carry = 0;
  for (let i = 0; i < n; i++) {
    if (op === "+") {
      const v = ad[i] + bd[i] + carry;
      lines.push(`${ad[i]}+${bd[i]}+${carry}=${v}`);
      carry = v >= 10 ? 1 : 0;
    } else {
      let v = ad[i] - bd[i] - carry;
      const borrow = v < 0;
      if (borrow) v += 10;
      lines.push(`${ad[i]}-${bd[i]}-${carry}=${v}${borrow ? " b" : ""}`);
      carry = borrow ? 1 : 0;
    }
  }
  lines.push(`= ${op === "+" ? a + b : a - b}`);
  return lines;
}

/** Decimal digits, least significant first, zero-padded to `width`. */
function digitsLow(x: number, width = String(x).length): number[] {
  return String(x).padStart(width, "0").split("").reverse().map(Number);
}

/** The column-scratchpad completion: each step of the problem worked in columns (columnLines), `</think>`, the box. */
export function columnSolution(p: ArithProblem): string {
  const lines = solutionSteps(p).flatMap((step) => {
    const { a, op, b } = parseStep(step);
    return columnLines(a, op, b);
  });
  return `${lines.join("\n")}\n</think>\n\\boxed{${p.answer}}`;
}

/** The user turn for a problem: the suite's prompt template around the question. */
export function arithUserPrompt(p: ArithProblem): string {
  return userPrompt(p.question, ARITH_PROMPT_TEMPLATE);
}

export interface SftRow {
  prompt: string;
  completion: string;
}

/** `count` SFT pairs from training-split seed `seed`; the style of each is drawn from `seed` too. */
export function arithSftRows(seed: number, count: number): SftRow[] {
  const styleRng = new Rng(seed ^ 0x5f3759df);
  return generateTrain(seed, count).map((p) => ({ prompt: arithUserPrompt(p), completion: styledSolution(p, styleRng.pick(SOLUTION_STYLES)) }));
}

/** `count` SFT pairs from training-split seed `seed`, every one worked in the column scratchpad (columnSolution). */
export function arithColumnRows(seed: number, count: number): SftRow[] {
  return generateTrain(seed, count).map((p) => ({ prompt: arithUserPrompt(p), completion: columnSolution(p) }));
}

/**
 * `count` bare column drills: the prompt is the operation alone (`1470 - 204`), the completion its column scratchpad,
 * `</think>` and the box. Operands span what the word problems' steps meet: sums of up to 1998 + 999, differences of
 * up to 2997, products of 10..40 by 10..40 (45 / 45 / 10 %).
 */
export function arithColumnDrillRows(seed: number, count: number): SftRow[] {
  const r = new Rng(seed);
  return Array.from({ length: count }, () => {
    const u = r.float();
    let a: number;
    let b: number;
    let op: "+" | "-" | "*";
    if (u < 0.45) {
      op = "+";
      a = r.int(10, 1998);
      b = r.int(10, 999);
    } else if (u < 0.9) {
      op = "-";
      a = r.int(20, 2997);
      b = r.int(10, Math.min(999, a - 1));
    } else {
      op = "*";
      a = r.int(10, 40);
      b = r.int(10, 40);
    }
    const answer = op === "+" ? a + b : op === "-" ? a - b : a * b;
    return { prompt: `${a} ${op} ${b}`, completion: `${columnLines(a, op, b).join("\n")}\n</think>\n\\boxed{${answer}}` };
  });
}

/**
 * `count` copy drills, the warm-up before SFT: "Copy 739 and 588." answered `739 588` then `</think>` and the first
 * number boxed. A randomly initialised model learns to copy numbers from a short prompt in about 60 steps, and
 * from the long arith questions far more slowly; the drill gives SFT a model that already copies.
 */
export function arithCopyRows(seed: number, count: number): SftRow[] {
  const r = new Rng(seed);
  return Array.from({ length: count }, () => {
    const a = r.int(10, 999);
    const b = r.int(10, 999);
    return { prompt: `Copy ${a} and ${b}.`, completion: `${a} ${b}\n</think>\n\\boxed{${a}}` };
  });
}

/**
 * `count` long copy drills, the second warm-up: the arith training questions (suite prompt) answered with their
 * numbers in order, `</think>`, and the first one boxed. Copying from a ~140-token question is learned quickly only
 * by a model that already copies from short prompts (arithCopyRows); from a random init it had not begun in 100 steps.
 */
export function arithLongCopyRows(seed: number, count: number): SftRow[] {
  return generateTrain(seed, count).map((p) => ({
    prompt: arithUserPrompt(p),
    completion: `${p.operands.join(" ")}\n</think>\n\\boxed{${p.operands[0]}}`,
  }));
}

export interface GrpoRow {
  problem: string;
  answer: string;
  difficulty: string;
}

/** `count` GRPO prompts (suite prompt template applied) with their integer gold answers. */
export function arithGrpoRows(seed: number, count: number): GrpoRow[] {
  return generateTrain(seed, count).map((p) => ({ problem: arithUserPrompt(p), answer: String(p.answer), difficulty: p.difficulty }));
}
