// Tokenizer for the LaTeX subset that final answers use; commands, single letters, numbers and symbols.

export type Token =
  | { k: "num"; s: string }
  | { k: "id"; s: string } // one letter
  | { k: "cmd"; s: string } // without the backslash: "frac", "{", ",", ...
  | { k: "word"; s: string } // a bare known function/constant word: "sin", "pi", "sqrt"
  | { k: "sym"; s: string };

export class ParseError extends Error {}

/** Bare words read as commands when a model writes plain-text math (`sqrt(2)`, `pi`). */
const WORDS = new Set([
  "sqrt",
  "sin",
  "cos",
  "tan",
  "cot",
  "sec",
  "csc",
  "arcsin",
  "arccos",
  "arctan",
  "sinh",
  "cosh",
  "tanh",
  "ln",
  "log",
  "exp",
  "pi",
  "infty",
  "infinity",
  "inf",
  "oo",
]);
const WORD_PREFIXES = ["arcsin", "arccos", "arctan", "sqrt", "sin", "cos", "tan", "log", "exp"];

export const MAX_TOKENS = 20_000;

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    if (out.length > MAX_TOKENS) throw new ParseError("too many tokens");
    const ch = src[i];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "\\") {
      let j = i + 1;
      while (j < n && /[A-Za-z]/.test(src[j])) j++;
      if (j === i + 1) {
        if (i + 1 >= n) throw new ParseError("dangling backslash");
        out.push({ k: "cmd", s: src[i + 1] });
        i += 2;
      } else {
        out.push({ k: "cmd", s: src.slice(i + 1, j) });
        i = j;
      }
      continue;
    }
    if ((ch >= "0" && ch <= "9") || (ch === "." && i + 1 < n && src[i + 1] >= "0" && src[i + 1] <= "9")) {
      const m = /^(\d*\.?\d*)(?:[eE]([+-]?\d+)(?![A-Za-z]))?/.exec(src.slice(i, i + 6000))!;
      // "1./3" (Fortran-style "1."): the dot belongs to the number; sentence dots were removed by normalisation.
      const s = m[0];
      out.push({ k: "num", s });
      i += s.length;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      let j = i;
      while (j < n && /[A-Za-z]/.test(src[j])) j++;
      const run = src.slice(i, j);
      if (WORDS.has(run)) {
        out.push({ k: "word", s: run });
        i = j;
        continue;
      }
      const pre = WORD_PREFIXES.find((p) => run.startsWith(p));
      if (pre && run.length > pre.length && run.length <= pre.length + 1) {
        out.push({ k: "word", s: pre });
        i += pre.length;
        continue;
      }
      out.push({ k: "id", s: ch });
      i++;
      continue;
    }
    out.push({ k: "sym", s: ch });
    i++;
  }
  return out;
}
