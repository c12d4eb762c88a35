// Realistic model completions built from the benchmark suites (../shared/benchmarks): a long <think> block (the
// reference solution with its boxes unwrapped, or generated reasoning), a short summary, and the Open-RS answer
// line with either the gold answer (expected correct) or a plausible wrong variant of it (expected incorrect).
import { findDataDir } from "../../benchmarks/data-dir.js";
import { readSuiteRows } from "../../benchmarks/load.js";
import { getSuite, SUITE_IDS } from "../../benchmarks/registry.js";
import type { BenchmarkRow } from "../../benchmarks/types.js";
import { Rng } from "../../grading/rng.js";

export interface RealisticCompletion {
  completion: string;
  gold: string;
  /** Whether the boxed answer is the gold (true) or a deliberately wrong variant of it (false). */
  expected: boolean;
  /** Suite the row came from, e.g. "math500". */
  suite: string;
}

interface SourceRow {
  suite: string;
  row: BenchmarkRow;
}

let rowsCache: SourceRow[] | null = null;

/** All rows of all 7 suites (throws with a clear message when the data directory is missing). */
export function benchmarkRows(): SourceRow[] {
  if (rowsCache) return rowsCache;
  const dir = findDataDir();
  if (!dir) throw new Error("realisticCompletions: benchmark data not found (set OPENRS_DATA_DIR or provide ../shared/benchmarks)");
  const rows: SourceRow[] = [];
  for (const suite of SUITE_IDS) for (const row of readSuiteRows(getSuite(suite), dir)) rows.push({ suite, row });
  rowsCache = rows;
  return rows;
}

/** Brace-matched end of the group opening at s[open] === "{", or -1. */
function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}

/** Replaces every `\boxed{X}` / `\fbox{X}` by `X`, so the reasoning carries no box of its own. */
export function unbox(s: string): string {
  let out = "";
  let i = 0;
  const re = /\\(?:boxed|fbox)\s*\{/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(s, open);
    if (close < 0) break;
    out += s.slice(i, m.index) + s.slice(open + 1, close);
    i = close + 1;
    re.lastIndex = i;
  }
  return out + s.slice(i);
}

/** The answer as a model would box it: olympiadbench-style `$...$` delimiters removed (escaped `\$` kept). */
export function boxable(gold: string): string {
  const t = gold.trim();
  return t.includes("$") ? t.replace(/(?<!\\)\$/g, "").trim() : t;
}

const FILLER = [
  "Let me start by restating the problem in my own words.",
  "First, I need to figure out what quantity is being asked for.",
  "Hmm, let me reconsider that step.",
  "Wait, I should double-check the arithmetic here.",
  "So the key observation is that the expression simplifies nicely.",
  "Let me verify this with a small case.",
  "That seems consistent with the constraints given.",
  "Alternatively, I could approach this from the other direction.",
  "Okay, so putting these pieces together:",
  "I think this is right, but let me check the edge cases.",
];

function generatedReasoning(r: Rng, problem: string, chars: number): string {
  const parts: string[] = [`The problem says: ${problem.slice(0, 300)}`];
  let len = parts[0].length;
  while (len < chars) {
    let s: string;
    const u = r.float();
    if (u < 0.35) s = r.pick(FILLER);
    else if (u < 0.6) {
      const a = r.int(2, 99);
      const b = r.int(2, 99);
      s = `We compute $${a} \\times ${b} = ${a * b}$, and then $${a * b} + ${b} = ${a * b + b}$.`;
    } else if (u < 0.8) {
      const a = r.int(1, 20);
      const b = r.int(1, 20);
      s = `Setting $x^2 - ${a + b}x + ${a * b} = 0$ gives $(x - ${a})(x - ${b}) = 0$, so $x = ${a}$ or $x = ${b}$.`;
    } else {
      const p = r.int(1, 9);
      const q = r.int(2, 12);
      s = `This gives a ratio of $\\frac{${p}}{${q}}$, which is approximately $${(p / q).toFixed(4)}$.`;
    }
    parts.push(s);
    len += s.length + 1;
  }
  return parts.join(r.chance(0.3) ? "\n\n" : " ");
}

function reasoningFor(r: Rng, row: BenchmarkRow, suite: string): string {
  const sol = typeof row.solution === "string" ? row.solution : "";
  if (sol.length === 0) return generatedReasoning(r, row.problem, r.int(1000, 4000));
  let text = unbox(sol);
  if (suite === "gsm8k") text = text.replace(/\n?####.*$/s, "");
  // Real think blocks are long: pad short reference solutions with generated reasoning in front.
  if (text.length < 1000) text = `${generatedReasoning(r, row.problem, r.int(1000, 3000) - text.length)}\n\n${text}`;
  return text;
}

/**
 * Replaces one digit of the first digit run by a different digit (returns null when there is no digit). The first
 * run is the leading value; later digits are often unit exponents (`\mbox{ cm}^2`) that graders rightly ignore.
 */
function changeDigit(r: Rng, s: string): string | null {
  const m = /\d+/.exec(s);
  if (!m) return null;
  const idx = Array.from({ length: m[0].length }, (_, k) => m.index + k);
  const i = r.pick(idx);
  const d = Number(s[i]);
  const nd = (d + r.int(1, 9)) % 10;
  return s.slice(0, i) + nd + s.slice(i + 1);
}

/** A plausible wrong variant of `ans` (already boxable): off-by-one, altered fraction, changed digit, swapped tuple. */
export function wrongVariant(r: Rng, ans: string, others: readonly string[]): string {
  const int = /^(-?)(\d+)(\.0+)?$/.exec(ans);
  if (int) {
    const v = BigInt(int[1] + int[2]) + (r.chance(0.5) ? 1n : -1n);
    return String(v) + (int[3] ?? "");
  }
  const frac = /^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$/.exec(ans);
  if (frac) {
    const [, sign, a, b] = frac;
    if (a !== b && r.chance(0.5)) return `${sign}\\frac{${b}}{${a}}`;
    return `${sign}\\frac{${BigInt(a) + 1n}}{${b}}`;
  }
  const tuple = /^\\left\((.*)\\right\)$|^\((.*)\)$/.exec(ans);
  if (tuple) {
    const parts = (tuple[1] ?? tuple[2]).split(",");
    if (parts.length >= 2 && parts[0].trim() !== parts[1].trim()) {
      [parts[0], parts[1]] = [parts[1], parts[0]];
      return tuple[1] !== undefined ? `\\left(${parts.join(",")}\\right)` : `(${parts.join(",")})`;
    }
  }
  const changed = changeDigit(r, ans);
  if (changed !== null && changed !== ans) return changed;
  // No digits (e.g. \text{Evelyn}, p - q): another problem's answer of a different value.
  for (let tries = 0; tries < 20; tries++) {
    const o = boxable(r.pick(others));
    if (o !== ans && o.length > 0) return o;
  }
  return `${ans} + 1`;
}

const SUMMARIES = [
  "To summarize, I worked through the problem step by step and verified the key computation.",
  "In short, combining the steps above gives the result.",
  "The calculation above leads directly to the answer, and a quick check confirms it.",
  "Putting it all together, the final value follows from the last step of the reasoning.",
];

/**
 * `n` realistic completions over all 7 suites, deterministic for a given `seed`. Rows are visited in a seeded
 * shuffled order (so every suite is represented); half the completions box the gold, half a wrong variant.
 */
export function realisticCompletions(n: number, seed: number): RealisticCompletion[] {
  const rows = benchmarkRows();
  const r = new Rng(seed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const answers = rows.map((x) => x.row.answer);
  const out: RealisticCompletion[] = [];
  for (let k = 0; k < n; k++) {
    const { suite, row } = rows[order[k % order.length]];
    const gold = row.answer;
    const right = boxable(gold);
    const expected = r.chance(0.5);
    const answer = expected ? right : wrongVariant(r, right, answers);
    const reasoning = reasoningFor(r, row, suite);
    const completion =
      `<think>\n${reasoning}\n</think>\n\n${r.pick(SUMMARIES)}\n\n` +
      `Therefore, the final answer is: $\\boxed{${answer}}$. I hope it is correct`;
    out.push({ completion, gold, expected, suite });
  }
  return out;
}
