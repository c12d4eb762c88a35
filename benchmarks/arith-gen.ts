// The `arith` suite's problems: seeded, templated word problems of 1–3 arithmetic steps with 2–3-digit operands,
// each with a step-by-step solution for SFT. A problem's canonical key (template + operands) decides, by a fixed
// hash rule, whether it belongs to the test split or the training split; each split's generator only ever emits
// keys of its own partition, so the training data cannot contain a test problem whatever the seed or the count.
import { createHash } from "node:crypto";
import { Rng } from "../grading/rng.js";

export type Difficulty = "easy" | "medium" | "hard";
export type ArithSplit = "train" | "test";

/** Bumped whenever templates, operand ranges, the partition rule or the solution format change. */
export const ARITH_GEN_VERSION = "1";

/** One generated problem; `operands` in template order, `answer` a non-negative integer. */
export interface ArithProblem {
  key: string;
  template: string;
  difficulty: Difficulty;
  steps: number;
  operands: readonly number[];
  question: string;
  answer: number;
  /** `48 + 27 = 75` lines, then `</think>`, then `\boxed{N}`: the completion after the `<think>\n` generation prompt. */
  solution: string;
}

type Op = "+" | "-" | "*";

interface Template {
  id: string;
  difficulty: Difficulty;
  /** The operations applied left to right: ((o0 op0 o1) op1 o2) ... */
  ops: readonly Op[];
  /** Draws operands whose intermediate results stay non-negative. */
  draw: (r: Rng) => number[];
  text: (name: string, o: readonly number[]) => string;
}

const NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mo", "Nia", "Omar", "Priya"];

/** Two- or three-digit operands: 10..999. */
const op = (r: Rng, lo = 10, hi = 999) => r.int(lo, hi);

const TEMPLATES: readonly Template[] = [
  {
    id: "e-gain",
    difficulty: "easy",
    ops: ["+"],
    draw: (r) => [op(r), op(r)],
    text: (n, [a, b]) => `${n} has ${a} marbles and finds ${b} more. How many marbles does ${n} have now?`,
  },
  {
    id: "e-sell",
    difficulty: "easy",
    ops: ["-"],
    draw: (r) => {
      const a = op(r, 20);
      return [a, op(r, 10, a - 1)];
    },
    text: (_n, [a, b]) => `A shop had ${a} apples and sold ${b} of them. How many apples are left?`,
  },
  {
    id: "e-total",
    difficulty: "easy",
    ops: ["+"],
    draw: (r) => [op(r), op(r)],
    text: (_n, [a, b]) => `A library has ${a} novels and ${b} history books. How many books does it have in total?`,
  },
  {
    id: "e-drain",
    difficulty: "easy",
    ops: ["-"],
    draw: (r) => {
      const a = op(r, 20);
      return [a, op(r, 10, a - 1)];
    },
    text: (_n, [a, b]) => `A tank holds ${a} liters of water. After ${b} liters are drained, how many liters remain?`,
  },
  {
    id: "m-give",
    difficulty: "medium",
    ops: ["+", "-"],
    draw: (r) => {
      const a = op(r);
      const b = op(r);
      return [a, b, op(r, 10, Math.min(999, a + b - 1))];
    },
    text: (n, [a, b, c]) => `${n} had ${a} stickers, bought ${b} more, then gave away ${c}. How many stickers does ${n} have now?`,
  },
  {
    id: "m-farm",
    difficulty: "medium",
    ops: ["+", "+"],
    draw: (r) => [op(r), op(r), op(r)],
    text: (_n, [a, b, c]) => `A farm has ${a} hens, ${b} ducks and ${c} geese. How many birds are on the farm?`,
  },
  {
    id: "m-train",
    difficulty: "medium",
    ops: ["-", "+"],
    draw: (r) => {
      const a = op(r, 20);
      return [a, op(r, 10, a - 1), op(r)];
    },
    text: (_n, [a, b, c]) => `A train carried ${a} passengers. At the first stop ${b} got off and ${c} got on. How many passengers are on the train now?`,
  },
  {
    id: "h-warehouse",
    difficulty: "hard",
    ops: ["+", "-", "+"],
    draw: (r) => {
      const a = op(r);
      const b = op(r);
      return [a, b, op(r, 10, Math.min(999, a + b - 1)), op(r)];
    },
    text: (_n, [a, b, c, d]) =>
      `A warehouse had ${a} boxes. It received ${b} boxes on Monday, shipped ${c} on Tuesday and received ${d} on Wednesday. How many boxes are in the warehouse now?`,
  },
  {
    id: "h-pencils",
    difficulty: "hard",
    ops: ["*", "-", "-"],
    draw: (r) => {
      const a = op(r, 10, 40);
      const b = op(r, 10, 40);
      const c = op(r, 10, Math.min(999, a * b - 11));
      return [a, b, c, op(r, 10, Math.min(999, a * b - c))];
    },
    text: (_n, [a, b, c, d]) =>
      `A school orders ${a} boxes with ${b} pencils in each. It hands out ${c} pencils on Monday and ${d} on Tuesday. How many pencils are left?`,
  },
  {
    id: "h-bakery",
    difficulty: "hard",
    ops: ["+", "-", "-"],
    draw: (r) => {
      const a = op(r);
      const b = op(r);
      const c = op(r, 10, Math.min(999, a + b - 11));
      return [a, b, c, op(r, 10, Math.min(999, a + b - c))];
    },
    text: (n, [a, b, c, d]) =>
      `${n}'s bakery baked ${a} rolls in the morning and ${b} in the afternoon. It sold ${c} rolls and gave ${d} to a shelter. How many rolls are left?`,
  },
];

/** Template ids by difficulty (what tests and the training code may draw on). */
export const ARITH_TEMPLATES: Readonly<Record<string, { difficulty: Difficulty; steps: number }>> = Object.freeze(
  Object.fromEntries(TEMPLATES.map((t) => [t.id, Object.freeze({ difficulty: t.difficulty, steps: t.ops.length })])),
);

/** Share of each difficulty: the test split's exact quotas and the training draw's weights. */
export const DIFFICULTY_MIX: Readonly<Record<Difficulty, number>> = Object.freeze({ easy: 0.4, medium: 0.35, hard: 0.25 });

/** Template + operands: the problem's identity (the name in the text is decoration and not part of it). */
export function arithKey(template: string, operands: readonly number[]): string {
  return `${template}:${operands.join(",")}`;
}

/** One key in ten belongs to the test split: the first byte of its SHA-256 below 26 (of 256). Fixed forever for v1. */
export function splitOfKey(key: string): ArithSplit {
  return createHash("sha256").update(`openrs-arith-v1|${key}`).digest()[0] < 26 ? "test" : "train";
}

function apply(x: number, o: Op, y: number): number {
  return o === "+" ? x + y : o === "-" ? x - y : x * y;
}

function build(t: Template, operands: number[], name: string): ArithProblem {
  let acc = operands[0];
  const lines: string[] = [];
  t.ops.forEach((o, i) => {
    const next = apply(acc, o, operands[i + 1]);
    lines.push(`${acc} ${o} ${operands[i + 1]} = ${next}`);
    acc = next;
  });
  if (!Number.isInteger(acc) || acc < 0) throw new Error(`arith template ${t.id} drew ${operands.join(",")} giving ${acc}`);
  return {
    key: arithKey(t.id, operands),
    template: t.id,
    difficulty: t.difficulty,
    steps: t.ops.length,
    operands: Object.freeze(operands),
    question: t.text(name, operands),
    answer: acc,
    solution: `${lines.join("\n")}\n</think>\n\\boxed{${acc}}`,
  };
}

/** A problem of the given difficulty from `r`, drawn until its key falls in `split` (about 1 in 10 for test). */
function drawIn(r: Rng, difficulty: Difficulty, split: ArithSplit): ArithProblem {
  const pool = TEMPLATES.filter((t) => t.difficulty === difficulty);
  for (let tries = 0; tries < 10_000; tries++) {
    const t = r.pick(pool);
    const operands = t.draw(r);
    const name = r.pick(NAMES);
    if (splitOfKey(arithKey(t.id, operands)) === split) return build(t, operands, name);
  }
  throw new Error(`arith: no ${split} problem of difficulty ${difficulty} in 10000 draws`);
}

function difficultyOf(u: number): Difficulty {
  if (u < DIFFICULTY_MIX.easy) return "easy";
  return u < DIFFICULTY_MIX.easy + DIFFICULTY_MIX.medium ? "medium" : "hard";
}

/**
 * `count` training problems from `seed`: difficulty drawn by DIFFICULTY_MIX, every key outside the test partition.
 * Keys may repeat (the key space is large; a repeat is just another sample). Deterministic per (seed, count).
 */
export function generateTrain(seed: number, count: number): ArithProblem[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const r = new Rng(seed);
  const out: ArithProblem[] = [];
  for (let i = 0; i < count; i++) out.push(drawIn(r, difficultyOf(r.float()), "train"));
  return out;
}

/**
 * `count` distinct test-partition problems from `seed`, with exact difficulty quotas (DIFFICULTY_MIX, rounded,
 * remainder to easy), in difficulty order easy, medium, hard.
 */
export function generateTest(seed: number, count: number): ArithProblem[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const r = new Rng(seed);
  const medium = Math.round(count * DIFFICULTY_MIX.medium);
  const hard = Math.round(count * DIFFICULTY_MIX.hard);
  const quotas: [Difficulty, number][] = [
    ["easy", count - medium - hard],
    ["medium", medium],
    ["hard", hard],
  ];
  const seen = new Set<string>();
  const out: ArithProblem[] = [];
  for (const [difficulty, n] of quotas) {
    for (let got = 0; got < n; ) {
      const p = drawIn(r, difficulty, "test");
      if (seen.has(p.key)) continue;
      seen.add(p.key);
      out.push(p);
      got++;
    }
  }
  return out;
}

/** The seed and size of the committed test split benchmarks/data/arith-test-v1.jsonl. */
export const ARITH_TEST_V1 = Object.freeze({ seed: 20260412, count: 500 });

/** One JSONL row of the suite's file (the normalised benchmark schema plus the problem's metadata). */
export function arithRow(p: ArithProblem, index: number): Record<string, string | number> {
  return {
    id: `arith/${index}`,
    problem: p.question,
    answer: String(p.answer),
    solution: p.solution,
    difficulty: p.difficulty,
    steps: p.steps,
    template: p.template,
    key: p.key,
  };
}

/** The committed test file's exact text: one row per line, trailing newline. */
export function arithTestJsonl(problems: readonly ArithProblem[]): string {
  return `${problems.map((p, i) => JSON.stringify(arithRow(p, i))).join("\n")}\n`;
}
