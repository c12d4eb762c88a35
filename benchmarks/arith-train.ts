// Training rows for the tiny model from the arith generator's training split: SFT pairs whose worked solutions vary in
// length (so a length-aware reward has something to act on), and GRPO prompts with gold answers. Both use the suite's
// own prompt template, so what the model trains on is exactly what `--bench arith` asks it.
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

/** The inverse check of the last step: `c - b = a` for `a + b = c`, `c + b = a` for `a - b = c`, `c / b = a` for `a * b = c`. */
function checkLine(step: string): string {
  const m = /^(\d+) ([-+*]) (\d+) = (\d+)$/.exec(step);
  if (!m) throw new Error(`arith step "${step}" is not "a op b = c"`);
  const [, a, op, b, c] = m;
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
