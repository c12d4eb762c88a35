// Seeded generator of adversarial grader inputs: grammar-built LaTeX, mutated real gold answers, scaled-down
// versions of pathological inputs, odd completion layouts, and a fixed list of known-hard cases (HARD_CASES).
// Everything here is deterministic for a given seed, so a failing case can be reproduced from (n, seed, index).

import { Rng } from "../../grading/rng.js";

export { mulberry32, Rng } from "../../grading/rng.js";

export interface FuzzCase {
  gold: string;
  completion: string;
  /** Which generator produced the case (for reports); not used by the grader. */
  kind: string;
}

export interface HardCase extends FuzzCase {
  /** Stable, human-readable name of the hard case. */
  name: string;
}

/**
 * A representative sample of real gold answers from the benchmark suites (MATH-500, OlympiadBench, Minerva, AIME,
 * AMC, GSM8K), embedded so the fuzzer needs no data files. Callers may pass more golds to `fuzzCases`.
 */
export const SAMPLE_GOLDS: readonly string[] = [
  "\\left( 3, \\frac{\\pi}{2} \\right)",
  "p - q",
  "\\frac{14}{3}",
  "9",
  "\\text{Evelyn}",
  "42",
  "90^\\circ",
  "\\frac{1}{2 n+2}",
  "$2^{1009}$",
  "$2n-2$",
  "$(1,8,19), (2,7,13), (4,5,7)$",
  "1.6",
  "4.5e33",
  "np.arcsin(10/13)",
  "025",
  "27.0",
  "70000",
  "3\\sqrt{13}",
  "\\begin{pmatrix} 1 \\\\ -2 \\\\ 3 \\end{pmatrix}",
  "[-2,7)",
  "(-\\infty,-2)\\cup(7,\\infty)",
  "\\{1, 2, 3\\}",
  "x^2+7x+10",
  "y = 2x - 3",
  "\\pm \\sqrt{3}",
  "10\\%",
  "\\$18.90",
  "\\text{(C)}",
  "\\frac{\\sqrt{3}}{2}",
  "-\\frac{1}{2}",
  "2 \\sqrt{2} + 2",
  "6 - 5i",
  "\\dfrac{9}{7}",
  "0.006",
  "1,\\!000",
  "x \\in [2, 5]",
  "a_{n}=2^{n-1}",
  "\\sin^2 \\theta",
  "e^{-2}",
  "\\log_2 3",
  "\\infty",
  "\\emptyset",
  "(1,1,1),(-1,-1,-1)",
  "$\\frac{n(n+1)}{2}$",
  "5 \\times 10^{-3}",
  "11\\sqrt2",
  "\\text{odd}",
  "0",
  "-1",
  "\\frac{3}{4} \\text{ cm}",
];

const WORDS = [
  "we", "have", "so", "the", "answer", "is", "let", "then", "therefore", "compute", "check", "wait", "hmm",
  "sum", "of", "all", "roots", "value", "equation", "gives", "thus", "hence", "substituting", "into", "note",
  "that", "case", "first", "second", "final", "boxed", "integer", "since", "because", "multiply", "both", "sides",
];
const VARS = ["x", "y", "z", "n", "a", "b", "k", "t", "m", "\\theta", "\\alpha"];
const FUNCS = ["\\sin", "\\cos", "\\tan", "\\log", "\\ln", "\\exp", "\\arcsin", "\\sec"];
const BINOPS = [" + ", " - ", " \\cdot ", " \\times ", "", " / ", " \\div "];
const RELS = [" = ", " \\le ", " < ", " \\geq ", " \\neq ", " \\approx "];
const NOISE_COMMANDS = ["\\displaystyle ", "\\,", "\\!", "\\ ", "~", "\\quad ", "\\left.", "\\right.", "\\mathrm{}", "^\\prime", "\\%", "\\$"];
const JUNK_CHARS = "{}()[]\\^_$,.;:=+-*/|&%!~0123456789xyzabcn \t\n";

function genAtom(r: Rng): string {
  switch (r.int(0, 11)) {
    case 0:
    case 1:
      return String(r.int(0, 100));
    case 2:
      return (r.chance(0.3) ? "-" : "") + r.digits(r.skewed(1, 40), r.chance(0.1));
    case 3:
      return `${r.int(0, 999)}.${r.digits(r.int(1, 8), true)}`;
    case 4:
    case 5:
      return r.pick(VARS);
    case 6:
      return r.pick(["\\pi", "e", "i", "\\infty", "-\\infty", "\\emptyset", "\\varnothing"]);
    case 7:
      return `${r.int(1, 999)},${r.digits(3, true)}`;
    case 8:
      return `${r.int(1, 9)}e${r.int(-400, 400)}`;
    case 9:
      return r.pick(["0", "1", "-0", "0.0", ".5", "1.", "00", "+3"]);
    case 10:
      return `${r.int(0, 100)}\\%`;
    default:
      return `${r.int(0, 360)}^\\circ`;
  }
}

/** Random LaTeX from a small grammar of the constructs graders must parse. */
export function genLatex(r: Rng, depth: number): string {
  if (depth <= 0 || r.chance(0.25)) return genAtom(r);
  const sub = () => genLatex(r, depth - 1);
  switch (r.int(0, 19)) {
    case 0:
      return `${r.pick(["\\frac", "\\dfrac", "\\tfrac"])}{${sub()}}{${sub()}}`;
    case 1:
      return r.chance(0.8) ? `\\frac${r.int(1, 9)}${r.int(1, 9)}` : `\\frac{${sub()}}${r.int(0, 9)}`;
    case 2:
      return r.chance(0.7) ? `\\sqrt{${sub()}}` : `\\sqrt[${r.int(2, 5)}]{${sub()}}`;
    case 3:
      return r.chance(0.5) ? `${genAtom(r)}^{${sub()}}` : `${genAtom(r)}^${r.int(0, 9)}`;
    case 4:
      return `${r.pick(VARS)}_{${sub()}}`;
    case 5:
      return `\\left(${sub()}\\right)`;
    case 6:
    case 7:
      return `${sub()}${r.pick(BINOPS)}${sub()}`;
    case 8:
      return `${r.pick(["\\pm ", "\\mp ", "-"])}${sub()}`;
    case 9:
      return r.chance(0.5)
        ? `\\text{${r.pick(WORDS)}${r.chance(0.5) ? ` ${r.pick(WORDS)}` : ""}}`
        : `${sub()} \\text{ ${r.pick(["cm", "m/s", "dollars", "degrees", "units"])}}`;
    case 10: {
      const rows = r.int(1, 3);
      const cols = r.int(1, 3);
      const body: string[] = [];
      for (let i = 0; i < rows; i++) {
        const row: string[] = [];
        for (let j = 0; j < cols; j++) row.push(sub());
        body.push(row.join(" & "));
      }
      const env = r.pick(["pmatrix", "bmatrix", "matrix", "array}{cc"]);
      const close = env.startsWith("array") ? "array" : env;
      return `\\begin{${env}} ${body.join(" \\\\ ")} \\end{${close}}`;
    }
    case 11: {
      const iv = () => `${r.pick(["(", "["])}${sub()}, ${sub()}${r.pick([")", "]"])}`;
      return r.chance(0.3) ? `${iv()} \\cup ${iv()}` : iv();
    }
    case 12:
      return `${r.pick(VARS)}${r.pick(RELS)}${sub()}`;
    case 13: {
      const k = r.int(2, 5);
      const xs: string[] = [];
      for (let i = 0; i < k; i++) xs.push(sub());
      return r.chance(0.5) ? xs.join(", ") : `(${xs.join(", ")})`;
    }
    case 14: {
      const k = r.int(0, 4);
      const xs: string[] = [];
      for (let i = 0; i < k; i++) xs.push(sub());
      return `\\{${xs.join(", ")}\\}`;
    }
    case 15:
      return `${r.pick(FUNCS)}${r.chance(0.5) ? `\\left(${sub()}\\right)` : ` ${genAtom(r)}`}`;
    case 16:
      return `${r.int(1, 9)}.${r.int(0, 99)} \\times 10^{${r.int(-50, 50)}}`;
    case 17:
      return `${sub()}${r.pick(NOISE_COMMANDS)}`;
    case 18:
      return `{${sub()}}`;
    default:
      return `${sub()}!`;
  }
}

const TOKEN_RE = /\\[a-zA-Z]+|\d+|[a-zA-Z]|\S/g;

/** One random edit of `s`: deletions, insertions, duplications, unbalanced braces, token swaps, truncation. */
export function mutateOnce(r: Rng, s: string): string {
  const at = () => r.int(0, s.length);
  switch (r.int(0, 11)) {
    case 0: {
      if (s.length === 0) return s;
      const i = r.int(0, s.length - 1);
      return s.slice(0, i) + s.slice(i + 1);
    }
    case 1: {
      const i = at();
      return s.slice(0, i) + r.pick(JUNK_CHARS.split("")) + s.slice(i);
    }
    case 2: {
      const i = at();
      const j = Math.min(s.length, i + r.int(1, 12));
      return s.slice(0, j) + s.slice(i, j) + s.slice(j);
    }
    case 3: {
      const i = at();
      return s.slice(0, i) + r.pick(["{", "}", "{{", "}}", "\\left(", "\\right)", "\\{", "\\}", "$"]) + s.slice(i);
    }
    case 4: {
      const toks = s.match(TOKEN_RE) ?? [];
      if (toks.length < 2) return s + s;
      const i = r.int(0, toks.length - 1);
      const j = r.int(0, toks.length - 1);
      [toks[i], toks[j]] = [toks[j], toks[i]];
      return toks.join(r.chance(0.5) ? "" : " ");
    }
    case 5:
      return s.replace(/\d/g, (d) => (r.chance(0.3) ? String(r.int(0, 9)) : d));
    case 6:
      return s.slice(0, r.int(0, s.length));
    case 7:
      return r.pick(["\\left(", "$", "\\boxed{", "\\text{", "{", "\\sqrt{", "\\frac{"]) + s + r.pick(["\\right)", "$", "}", "", "}}"]);
    case 8: {
      const k = r.int(2, 6);
      return Array.from({ length: k }, () => s).join(r.pick([", ", "", " \\cdot ", "^"]));
    }
    case 9: {
      const i = at();
      return s.slice(0, i) + r.pick(NOISE_COMMANDS) + s.slice(i);
    }
    case 10:
      return s.replace(/[{}]/g, (c) => (r.chance(0.2) ? "" : c));
    default: {
      const i = at();
      return s.slice(0, i) + r.pick(["\\frac", "\\sqrt", "^", "_", "\\\\", "&", "\\begin{pmatrix}", "\\end{pmatrix}", "!", "e"]) + s.slice(i);
    }
  }
}

export function mutate(r: Rng, s: string, edits = r.int(1, 4)): string {
  for (let i = 0; i < edits; i++) s = mutateOnce(r, s);
  return s;
}

function prose(r: Rng, chars: number): string {
  const out: string[] = [];
  let len = 0;
  while (len < chars) {
    let w: string;
    if (r.chance(0.08)) w = `$${genLatex(r, 2)}$`;
    else if (r.chance(0.06)) w = String(r.int(0, 10000));
    else w = r.pick(WORDS);
    if (r.chance(0.07)) w += r.pick([".", ",", ".\n\n", ":"]);
    out.push(w);
    len += w.length + 1;
  }
  return out.join(" ");
}

/** Wraps a candidate answer in one of several completion layouts (most of them ending with a box). */
export function wrapCandidate(r: Rng, candidate: string, reasoningChars = r.skewed(0, 3000)): string {
  const reasoning = prose(r, reasoningChars);
  switch (r.int(0, 15)) {
    case 0:
      return `${reasoning}\n\nThe answer is ${candidate}.`;
    case 1:
      return `${reasoning}\n\nFinal answer: $${candidate}$`;
    case 2:
      return `${reasoning} so $${candidate}$ follows.`;
    case 3:
      return `<think>\n${reasoning}\n\\boxed{${candidate}}\n</think>\n\nSo the result is ${candidate}.`;
    case 4:
      return `${reasoning} \\boxed{${genLatex(r, 2)}} ... wait, actually \\boxed{${candidate}}`;
    case 5:
      return `${reasoning} \\boxed ${candidate}`;
    case 6:
      return `${reasoning} \\boxed{\\boxed{${candidate}}}`;
    case 7:
      return `${reasoning} \\fbox{${candidate}}`;
    case 8:
      return `<think>${reasoning}</think>${r.chance(0.5) ? "</think>" : "<think>"} \\boxed{${candidate}}`;
    default:
      return r.chance(0.5)
        ? `${reasoning}\n\nTherefore, the final answer is: $\\boxed{${candidate}}$. I hope it is correct`
        : `${reasoning} \\boxed{${candidate}}`;
  }
}

/** Scaled-down, randomly sized versions of the hard families (towers, factorials, deep nesting, long digits). */
function genScaledHard(r: Rng): { gold: string; candidate: string } {
  switch (r.int(0, 13)) {
    case 0: {
      const h = r.int(2, 7);
      const b = r.pick(["x", "2", "10", "9", "e", "1.0001"]);
      let t = b;
      for (let i = 1; i < h; i++) t = `${b}^{${t}}`;
      return { gold: r.chance(0.5) ? t : String(r.int(0, 99)), candidate: t };
    }
    case 1: {
      const n = r.pick([10, 100, 1000, 1e4, 1e5, 1e6, 1e9]);
      return { gold: `(1+x)^{${n}}`, candidate: r.pick([`(x+1)^{${n}}`, `(1+x)^{${n - 1}}(1+x)`, `(1+x)^{${n}}+1`]) };
    }
    case 2: {
      const n = r.pick(["1000", "100000", "1000000", "10^{9}", "10^{100}", "99999999999"]);
      return { gold: r.chance(0.5) ? `${n}!` : String(r.int(1, 9)), candidate: `${n}!` };
    }
    case 3: {
      const d = r.skewed(1, 300);
      const s = "\\sqrt{".repeat(d) + r.int(0, 9) + "}".repeat(d);
      return { gold: r.chance(0.5) ? s : "1", candidate: s };
    }
    case 4: {
      const d = r.skewed(1, 3000);
      return { gold: String(r.int(0, 9)), candidate: "{".repeat(d) + r.int(0, 9) + "}".repeat(r.chance(0.5) ? d : r.int(0, d)) };
    }
    case 5: {
      const d = r.skewed(1, 300);
      let s = "1";
      for (let i = 0; i < d; i++) s = r.chance(0.5) ? `\\frac{1}{1+${s}}` : `\\frac{${s}}{2}`;
      return { gold: r.chance(0.5) ? s : "0.618033988749895", candidate: s };
    }
    case 6: {
      const a = r.digits(r.skewed(1, 20000));
      return { gold: a, candidate: r.chance(0.5) ? a : mutateOnce(r, a) };
    }
    case 7:
      return {
        gold: r.pick(["0", "1", "\\infty", "\\text{undefined}", "0^0"]),
        candidate: r.pick(["\\frac{1}{0}", "0^0", "\\frac{0}{0}", "0^{-1}", "\\log 0", "\\sqrt{-1}", "\\infty - \\infty", "1^{\\infty}", "\\tan(\\pi/2)"]),
      };
    case 8: {
      const e = r.int(2, 400);
      return { gold: `10^{${e}}`, candidate: r.pick([`1${"0".repeat(e)}`, `10^{${e}}+1`, `1e${e}`, `10^{10^{${e}}}`, `e^{10^{${e}}}`]) };
    }
    case 9:
      return { gold: `x^{${r.int(-1e7, 1e7)}}`, candidate: `x^{${r.int(-1e7, 1e7)}} \\cdot x^{${r.int(-1e7, 1e7)}}` };
    case 10: {
      const f = r.pick(["\\sin", "\\cos", "\\tan", "\\exp", "\\ln", "\\Gamma"]);
      return { gold: `${f}(10^{${r.int(10, 400)}})`, candidate: `${f}(10^{${r.int(10, 400)}})` };
    }
    case 11: {
      const k = r.skewed(2, 2000);
      const terms = Array.from({ length: k }, () => `${r.int(1, 9)}${r.pick(["x", "y", "", "x^{2}"])}`);
      return { gold: terms.join("+"), candidate: terms.reverse().join("+") };
    }
    case 12: {
      const k = r.skewed(2, 500);
      const xs = Array.from({ length: k }, () => String(r.int(0, 99)));
      return { gold: `(${xs.join(",")})`, candidate: `\\left(${xs.join(", ")}\\right)` };
    }
    default: {
      const d = r.skewed(1, 200);
      return { gold: "x", candidate: "\\left(".repeat(d) + "x" + "\\right)".repeat(d) };
    }
  }
}

/** Completion-level oddities: missing/unclosed/empty/many boxes, junk bytes, think-tag confusion, huge `$` runs. */
function genOddCompletion(r: Rng, gold: string): string {
  const reasoning = prose(r, r.skewed(0, 2000));
  switch (r.int(0, 11)) {
    case 0:
      return reasoning;
    case 1:
      return `${reasoning} \\boxed{${gold}`;
    case 2:
      return `${reasoning} \\boxed{}`;
    case 3:
      return `${reasoning} ${Array.from({ length: r.skewed(2, 3000) }, () => `\\boxed{${r.int(0, 9)}}`).join(" ")}`;
    case 4:
      return `${reasoning} ${"$".repeat(r.skewed(1, 20000))} ${gold}`;
    case 5:
      return `${"\\boxed".repeat(r.skewed(1, 5000))}{${gold}}`;
    case 6:
      return `${"<think>".repeat(r.int(1, 50))}${reasoning}${"</think>".repeat(r.int(0, 50))}\\boxed{${gold}}`;
    case 7:
      return junk(r, r.skewed(1, 20000)) + (r.chance(0.5) ? `\\boxed{${gold}}` : "");
    case 8:
      return "";
    case 9:
      return `${reasoning} \\boxed{${junk(r, r.int(1, 200))}}`;
    case 10:
      return `${reasoning} The answer is ${"(".repeat(r.skewed(1, 5000))}${gold}`;
    default:
      return `${reasoning} \\boxed{\\text{${"\\".repeat(r.skewed(1, 5000))}}}`;
  }
}

/** Random bytes (0–255) as a string, with occasional lone surrogates and other awkward code units. */
export function junk(r: Rng, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len; i++) {
    const u = r.float();
    if (u < 0.01) parts.push(String.fromCharCode(r.int(0xd800, 0xdfff)));
    else if (u < 0.02) parts.push(r.pick(["\uFEFF", "\u202E", "\u0000", "\uFFFD", "\u2028", "𝑥", "−", "√", "π"]));
    else parts.push(String.fromCharCode(r.int(0, 255)));
  }
  return parts.join("");
}

/**
 * `n` adversarial {gold, completion} pairs, deterministic for a given `seed`. `golds` adds real gold answers to the
 * embedded sample (e.g. all answers of the benchmark suites) for the mutation generator.
 */
export function fuzzCases(n: number, seed: number, golds: readonly string[] = []): FuzzCase[] {
  const r = new Rng(seed);
  const pool = golds.length > 0 ? [...SAMPLE_GOLDS, ...golds] : SAMPLE_GOLDS;
  const out: FuzzCase[] = [];
  for (let i = 0; i < n; i++) {
    const u = r.float();
    if (u < 0.3) {
      const gold = genLatex(r, r.int(1, 5));
      const v = r.float();
      const cand = v < 0.4 ? gold : v < 0.75 ? mutate(r, gold) : genLatex(r, r.int(1, 5));
      out.push({ kind: "grammar", gold, completion: wrapCandidate(r, cand) });
    } else if (u < 0.65) {
      const real = r.pick(pool);
      if (r.chance(0.2)) {
        // Malformed gold: the grader must reject it gracefully ("gold-unparsed"), never throw.
        out.push({ kind: "mutated-gold", gold: mutate(r, real), completion: wrapCandidate(r, real) });
      } else {
        const cand = r.chance(0.25) ? real.replace(/\$/g, "") : mutate(r, real.replace(/\$/g, ""));
        out.push({ kind: "mutated-answer", gold: real, completion: wrapCandidate(r, cand) });
      }
    } else if (u < 0.85) {
      const { gold, candidate } = genScaledHard(r);
      out.push({ kind: "scaled-hard", gold, completion: wrapCandidate(r, candidate, r.skewed(0, 500)) });
    } else {
      const gold = r.chance(0.5) ? r.pick(pool) : genLatex(r, 2);
      out.push({ kind: "odd-completion", gold, completion: genOddCompletion(r, gold.replace(/\$/g, "")) });
    }
  }
  return out;
}

function boxed(candidate: string, reasoning = "Let me work through this step by step. "): string {
  return `<think>\n${reasoning}\n</think>\n\nTherefore, the final answer is: $\\boxed{${candidate}}$. I hope it is correct`;
}

function hard(name: string, gold: string, completion: string): HardCase {
  return { name, kind: "hard", gold, completion };
}

function buildHardCases(): HardCase[] {
  const r = new Rng(0x5eed);
  const sqrt200 = "\\sqrt{".repeat(200) + "2" + "}".repeat(200);
  let contFrac = "1";
  for (let i = 0; i < 500; i++) contFrac = `1+\\frac{1}{${contFrac}}`;
  let nestedFrac = "x";
  for (let i = 0; i < 1000; i++) nestedFrac = `\\frac{${nestedFrac}}{2}`;
  const digits100k = r.digits(100_000);
  const digits100kOther = digits100k.slice(0, -1) + ((Number(digits100k.at(-1)) + 1) % 10);
  const prose100k = prose(r, 100_000);
  const prose1m = prose(r, 1_000_000);
  const binary = junk(r, 200_000);
  const braces10k = "{".repeat(10_000) + "7" + "}".repeat(10_000);
  const open10k = "{".repeat(10_000);

  return [
    hard("power tower x^{x^{x^{x}}}", "x^{x^{x^{x}}}", boxed("x^{x^{x^{x}}}")),
    hard("power tower x^{x^{x^{x}}} vs shorter", "x^{x^{x^{x}}}", boxed("x^{x^{x}}")),
    hard("(1+x)^{1000} vs (x+1)^{1000}", "(1+x)^{1000}", boxed("(x+1)^{1000}")),
    hard("(1+x)^{1000} vs off-by-one", "(1+x)^{1000}", boxed("(1+x)^{999}(x+1)+1")),
    hard("10^{10^{10}}", "10^{10^{10}}", boxed("10^{10^{10}}")),
    hard("10^{10^{10}} vs +1", "10^{10^{10}}", boxed("10^{10^{10}}+1")),
    hard("1000000!", "1000000!", boxed("1000000!")),
    hard("1000000! vs 999999!", "1000000!", boxed("999999! \\cdot 1000000")),
    hard("gold 1000000! vs integer", "1000000!", boxed("8263931688")),
    hard("2^{2^{2^{2^{2}}}}", "2^{2^{2^{2^{2}}}}", boxed("2^{2^{2^{2^{2}}}}")),
    hard("2^{2^{2^{2^{2}}}} vs 2^{65536}", "2^{65536}", boxed("2^{2^{2^{2^{2}}}}")),
    hard("9^{9^{9}}", "9^{9^{9}}", boxed("9^{387420489}")),
    hard("e^{10^{10}} vs e^{10^{10}}+1", "e^{10^{10}}", boxed("e^{10^{10}}+1")),
    hard("x^{-1000000} * x^{1000000}", "1", boxed("x^{-1000000} \\cdot x^{1000000}")),
    hard("sin(10^{100})", "\\sin(10^{100})", boxed("\\sin(10^{100}+2\\pi)")),
    hard("sqrt nested 200 deep", sqrt200, boxed(sqrt200)),
    hard("sqrt nested 200 deep vs 1", "1", boxed(sqrt200)),
    hard("continued fraction 500 deep", "\\frac{1+\\sqrt{5}}{2}", boxed(contFrac)),
    hard("frac nested 1000 deep", nestedFrac, boxed(nestedFrac)),
    hard("10k nested braces", "7", boxed(braces10k)),
    hard("10k nested braces as gold", braces10k, boxed("7")),
    hard("10k unbalanced {", "7", `Reasoning. \\boxed{${open10k}7`),
    hard("10k unbalanced { as gold", open10k, boxed("7")),
    hard("100k-char prose ending with a box", "42", `${prose100k}\n\nTherefore, the final answer is: $\\boxed{42}$. I hope it is correct`),
    hard("1 MB completion ending with a box", "42", `${prose1m}\n\n\\boxed{42}`),
    hard("1 MB completion without a box", "42", prose1m),
    hard("2.5 MB completion (over maxCompletionChars)", "42", `${prose1m}${prose1m}${prose1m.slice(0, 500_000)} \\boxed{42}`),
    hard("binary junk", "42", binary),
    hard("binary junk inside a box", "42", boxed(binary.slice(0, 4000))),
    hard("binary junk as gold", binary.slice(0, 1000), boxed("42")),
    hard("100k digits equal", digits100k, boxed(digits100k)),
    hard("100k digits, last digit differs", digits100k, boxed(digits100kOther)),
    hard("100k digits vs small gold", "17", boxed(digits100k)),
    hard("100k zeros after the point", "0", boxed(`0.${"0".repeat(100_000)}1`)),
    hard("\\frac{1}{0}", "\\frac{1}{0}", boxed("\\frac{1}{0}")),
    hard("\\frac{1}{0} vs 0", "0", boxed("\\frac{1}{0}")),
    hard("\\frac{0}{0} vs 1", "1", boxed("\\frac{0}{0}")),
    hard("0^0 vs 1", "1", boxed("0^0")),
    hard("0^0 as gold", "0^0", boxed("0^0")),
    hard("\\boxed{ unclosed", "5", "So we get \\boxed{5"),
    hard("\\boxed{ unclosed at the very end", "5", "So we get \\boxed{"),
    hard("\\boxed alone", "5", "\\boxed"),
    hard("empty completion", "5", ""),
    hard("empty gold", "", boxed("5")),
    hard("many boxes", "3", Array.from({ length: 20_000 }, (_, i) => `\\boxed{${i % 10}}`).join(" ")),
    hard("many \\boxed without braces", "3", "\\boxed ".repeat(50_000)),
    hard("100k dollar signs", "3", `${"$".repeat(100_000)} 3`),
    hard("many think tags", "3", `${"<think>".repeat(10_000)}${"</think>".repeat(10_000)}\\boxed{3}`),
    hard("long left( run", "x", boxed("\\left(".repeat(5000) + "x")),
    hard("huge matrix", "\\begin{pmatrix} 1 \\end{pmatrix}", boxed(`\\begin{pmatrix} ${Array.from({ length: 200 }, () => Array.from({ length: 200 }, () => "1").join(" & ")).join(" \\\\ ")} \\end{pmatrix}`)),
    hard("long sum of 5000 terms", Array.from({ length: 5000 }, (_, i) => `x^{${i}}`).join("+"), boxed(Array.from({ length: 5000 }, (_, i) => `x^{${4999 - i}}`).join("+"))),
    hard("exponent 1e999999", "1e999999", boxed("10^{999999}")),
    hard("percent 10^{100}\\%", "10^{98}", boxed("10^{100}\\%")),
    hard("lone surrogates", "\uD800", boxed("\uDC00\uD800")),
  ];
}

/** Known-hard inputs (power towers, huge factorials, deep nesting, megabyte completions, junk). Built once. */
export const HARD_CASES: readonly HardCase[] = Object.freeze(buildHardCases());
