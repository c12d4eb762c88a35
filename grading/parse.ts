// parseAnswer: answer string -> typed value (scalar, tuple, set, list, interval, union, relation, matrix, text).
import { Budget } from "./budget.js";
import { type Expr, show as showExpr } from "./expr.js";
import { ExprParser } from "./latex-expr.js";
import { ParseError, type Token, tokenize } from "./latex-tokens.js";
import { normalizeAnswer, textForm } from "./normalize.js";
import * as Q from "./rational.js";

export type RelOp = "=" | "<" | ">" | "le" | "ge" | "ne" | "approx";

export type Value =
  | { kind: "scalar"; expr: Expr }
  | { kind: "tuple"; items: Value[]; maybeInterval: boolean; ratio?: true } // ratio: `3:5`
  | { kind: "set"; items: Value[]; pm?: true } // pm: the values of one `a \pm b`
  | { kind: "list"; items: Value[] }
  | { kind: "interval"; lo: Expr; hi: Expr; loClosed: boolean; hiClosed: boolean }
  | { kind: "union"; parts: Value[] }
  | { kind: "relation"; sides: Value[]; ops: RelOp[] }
  | { kind: "matrix"; rows: Value[][] }
  | { kind: "text"; text: string };

export interface ParsedAnswer {
  /** The answer as given. */
  raw: string;
  /** After the normalisation rules. */
  normalized: string;
  /** Structured value, or null when the answer could not be parsed (text comparison still applies). */
  value: Value | null;
  /** Why parsing failed, when it did. */
  error: string | null;
  /** Lower-cased alphanumerics: the form text answers compare in. */
  text: string;
  /** A multiple-choice letter such as `(C)` or `\text{C}`. */
  choice: string | null;
  percent: boolean;
  degrees: boolean;
  unit: string | null;
}

export interface ParseOptions {
  /** `1,000`: "auto" reads it as one thousand when the whole answer has that shape; "never" reads a list. */
  thousands: "auto" | "never";
  /** Read `1,22` as 1.22 (a single number written with a decimal comma). Default off; see GradeOptions.decimalComma. */
  decimalComma: boolean;
}

const MAX_ITEMS = 256;
const MAX_MATRIX_TERMS = 16;
const MAX_MATRIX_PRODUCTS = 3;
const MAX_MATRIX_DIM = 10;

export function parseAnswer(raw: string, options: Partial<ParseOptions> = {}, budget: Budget = Budget.unlimited()): ParsedAnswer {
  const { text: normalized, notes } = normalizeAnswer(raw, { decimalComma: options.decimalComma === true });
  const out: ParsedAnswer = {
    raw,
    normalized,
    value: null,
    error: null,
    text: textForm(normalized),
    choice: choiceLetter(normalized),
    percent: notes.percent,
    degrees: notes.degrees,
    unit: notes.unit,
  };
  if (out.choice) {
    out.value = { kind: "text", text: out.choice.toLowerCase() };
    return out;
  }
  if (isTextAnswer(normalized)) {
    const inner = normalized.replace(/^\\(?:text|textbf|textit|textnormal|mathrm|mbox|textrm)\s*\{([^{}]*)\}$/, "$1");
    const items = inner.split(/\s*,\s*|\s+and\s+/).map(textForm).filter((t) => t !== "");
    out.value = items.length > 1 ? { kind: "list", items: items.map((text) => ({ kind: "text", text })) } : { kind: "text", text: out.text };
    return out;
  }
  try {
    const toks = tokenize(normalized);
    // `32, 349`: a comma followed by a space separates items; thousands separators are never spaced.
    const thousands = /\d,\s+\d/.test(normalized) ? "never" : (options.thousands ?? "auto");
    out.value = new StructureParser(budget, thousands).value(toks);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    out.error = e.message;
  }
  return out;
}

/** `(C)`, `\text{(P)}`, `\textbf{C}`, `C`: a multiple-choice letter (bare letters only A-E, else they are variables). */
function choiceLetter(s: string): string | null {
  const t = s.replace(/\\(?:text|textbf|mathrm|mathbf|textrm)\s*\{([^{}]*)\}/g, "$1").replace(/\s/g, "");
  const m = /^\(([A-Z])\)$|^([A-E])$/.exec(t);
  return m ? (m[1] ?? m[2]) : null;
}

const FN_WORDS = /^(?:sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|ln|log|exp|sqrt|pi|infty|inf|oo|and|or)$/;

/** Words rather than mathematics: `\text{Monday}`, `no solution`, `odd`. */
function isTextAnswer(s: string): boolean {
  const whole = /^\\(?:text|textbf|textit|textnormal|mathrm|mbox|textrm)\s*\{([^{}]*)\}$/.exec(s.trim());
  if (whole && /[A-Za-z]/.test(whole[1]) && !/\d/.test(whole[1]) && (/[A-Za-z]{2,}|,/.test(whole[1]) || whole[0].startsWith("\\text"))) return true;
  if (/[\\{}^_=<>()[\]|\d]/.test(s)) return false;
  const words = s.match(/[A-Za-z]+/g) ?? [];
  return words.some((w) => w.length >= 3 && !FN_WORDS.test(w));
}

const OPENERS = new Set(["(", "[", "{"]);
const CLOSERS = new Set([")", "]", "}"]);
const CMD_OPENERS = new Set(["{", "langle", "lfloor", "lceil", "begin", "lvert"]);
const CMD_CLOSERS = new Set(["}", "rangle", "rfloor", "rceil", "end", "rvert"]);

function delta(t: Token): number {
  if (t.k === "sym") return OPENERS.has(t.s) ? 1 : CLOSERS.has(t.s) ? -1 : 0;
  if (t.k === "cmd") return CMD_OPENERS.has(t.s) ? 1 : CMD_CLOSERS.has(t.s) ? -1 : 0;
  return 0;
}

/** Splits at depth-0 tokens matching `sep`; throws on unbalanced brackets. */
function splitTop(toks: Token[], sep: (t: Token) => boolean): { parts: Token[][]; seps: Token[] } {
  const parts: Token[][] = [[]];
  const seps: Token[] = [];
  let depth = 0;
  for (const t of toks) {
    if (depth === 0 && sep(t)) {
      parts.push([]);
      seps.push(t);
      continue;
    }
    depth += delta(t);
    if (depth < 0) throw new ParseError("unbalanced brackets");
    parts[parts.length - 1].push(t);
  }
  if (depth !== 0) throw new ParseError("unbalanced brackets");
  return { parts, seps };
}

/** Index of the token closing the bracket opened at 0, or -1. */
function matchingClose(toks: Token[]): number {
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    depth += delta(toks[i]);
    if (depth === 0) return i;
  }
  return -1;
}

const isSym = (t: Token | undefined, s: string) => t !== undefined && t.k === "sym" && t.s === s;
const isCmd = (t: Token | undefined, s: string) => t !== undefined && t.k === "cmd" && t.s === s;
const isComma = (t: Token) => t.k === "sym" && (t.s === "," || t.s === ";");

const REL_CMDS: Record<string, RelOp> = { le: "le", ge: "ge", ne: "ne", approx: "approx", sim: "approx", equiv: "=" };

function relOp(t: Token): RelOp | null {
  if (t.k === "sym") return t.s === "=" ? "=" : t.s === "<" ? "<" : t.s === ">" ? ">" : null;
  if (t.k === "cmd") return REL_CMDS[t.s] ?? null;
  return null;
}

class StructureParser {
  constructor(
    private readonly budget: Budget,
    private readonly thousands: "auto" | "never",
  ) {}

  value(toks: Token[]): Value {
    if (toks.length === 0) throw new ParseError("empty answer");
    const { parts } = splitTop(toks, isComma);
    const nonEmpty = parts.filter((p) => p.length > 0);
    if (nonEmpty.length === 0) throw new ParseError("empty answer");
    if (nonEmpty.length > 1) {
      if (this.thousands === "auto" && isThousands(parts)) {
        const digits = parts.map((p) => (p[0] as { s: string }).s).join("");
        return this.item(tokenize(digits));
      }
      if (nonEmpty.length > MAX_ITEMS) throw new ParseError("too many items");
      return { kind: "list", items: groupAssignments(flattenPm(nonEmpty.map((p) => this.item(p)))) };
    }
    return this.item(nonEmpty[0]);
  }

  private item(toks: Token[]): Value {
    this.budget.tick();
    // x \in [1, 2]: the set the variable lies in.
    const inSplit = splitTop(toks, (t) => isCmd(t, "in"));
    if (inSplit.parts.length === 2 && inSplit.parts[1].length > 0) return this.item(inSplit.parts[1]);

    const cup = splitTop(toks, (t) => isCmd(t, "cup"));
    if (cup.parts.length > 1) return { kind: "union", parts: cup.parts.map((p) => this.item(p)) };

    const rel = splitTop(toks, (t) => relOp(t) !== null);
    // "\approx 8.24": a value introduced by a relation with nothing on its left.
    if (rel.parts.length === 2 && rel.parts[0].length === 0 && rel.parts[1].length > 0 && (rel.seps[0].k === "cmd" || isSym(rel.seps[0], "="))) {
      return this.item(rel.parts[1]);
    }
    if (rel.parts.length > 1) {
      if (rel.parts.some((p) => p.length === 0)) throw new ParseError("empty side of relation");
      return { kind: "relation", sides: rel.parts.map((p) => this.item(p)), ops: rel.seps.map((t) => relOp(t)!) };
    }

    const ratio = splitTop(toks, (t) => isSym(t, ":"));
    if (ratio.parts.length === 2 && ratio.parts.every((p) => p.length > 0)) {
      return { kind: "tuple", items: ratio.parts.map((p) => this.item(p)), maybeInterval: false, ratio: true };
    }

    const first = toks[0];
    const last = toks[toks.length - 1];
    if ((isSym(first, "(") || isSym(first, "[") || isCmd(first, "langle")) && matchingClose(toks) === toks.length - 1) {
      const inner = toks.slice(1, -1);
      if (isCmd(inner[0], "begin")) return this.matrix(inner); // \left[ \begin{matrix} ... \end{matrix} \right]
      const { parts } = splitTop(inner, isComma);
      if (parts.length >= 2) {
        if (parts.some((p) => p.length === 0)) throw new ParseError("empty tuple item");
        if (parts.length > MAX_ITEMS) throw new ParseError("too many items");
        const open = isCmd(first, "langle") ? "<" : (first as { s: string }).s;
        const close = isCmd(last, "rangle") ? ">" : (last as { s: string }).s;
        if (parts.length === 2 && (open === "[" || close === "]") && open !== "<") {
          return {
            kind: "interval",
            lo: this.scalar(parts[0]),
            hi: this.scalar(parts[1]),
            loClosed: open === "[",
            hiClosed: close === "]",
          };
        }
        const items = parts.map((p) => this.item(p));
        const pmAt = items.findIndex((v) => v.kind === "set" && v.pm);
        if (pmAt >= 0 && items.filter((v) => v.kind === "set" && v.pm).length === 1) {
          // `(4 \pm 2\sqrt2, 8)`: one tuple per sign, listed (they join a surrounding list).
          const alts = (items[pmAt] as { items: Value[] }).items;
          return { kind: "set", pm: true, items: alts.map((a) => ({ kind: "tuple", items: items.map((v, i) => (i === pmAt ? a : v)), maybeInterval: false })) };
        }
        return { kind: "tuple", items, maybeInterval: parts.length === 2 && open === "(" && close === ")" };
      }
    }
    // `{1,3}`: a set written with bare braces (a brace group without a top-level comma is just grouping).
    if (isSym(first, "{") && matchingClose(toks) === toks.length - 1) {
      const { parts } = splitTop(toks.slice(1, -1), isComma);
      if (parts.length > 1 && parts.every((p) => p.length > 0)) return { kind: "set", items: flattenPm(parts.map((p) => this.item(p))) };
    }
    if (isCmd(first, "{") && matchingClose(toks) === toks.length - 1) {
      const inner = toks.slice(1, -1);
      if (inner.length === 0) return { kind: "set", items: [] };
      // Set-builder `\{x \mid x \le 3\}` / `\{x : x > 0\}`: the condition is the answer (an interval when it can be).
      const builder = splitTop(inner, (t) => isCmd(t, "mid") || isSym(t, "|") || isSym(t, ":"));
      if (builder.parts.length === 2 && builder.parts.every((p) => p.length > 0)) return this.value(builder.parts[1]);
      const { parts } = splitTop(inner, isComma);
      return { kind: "set", items: flattenPm(parts.filter((p) => p.length > 0).map((p) => this.item(p))) };
    }
    if (isCmd(first, "begin") && matrixBlockEnd(toks, 0) === toks.length) return this.matrix(toks);
    if (toks.some((t) => isCmd(t, "begin"))) {
      const arith = this.matrixArithmetic(toks);
      if (arith) return arith;
      if (isCmd(first, "begin")) return this.matrix(toks);
    }

    const expr = this.scalar(toks);
    const expanded = expandPm(expr);
    if (expanded.length > 1) return { kind: "set", items: expanded.map((e) => ({ kind: "scalar", expr: e })), pm: true };
    return { kind: "scalar", expr };
  }

  private scalar(toks: Token[]): Expr {
    return ExprParser.parse(toks, this.budget);
  }

  /**
   * A sum, difference or product of matrices (`A + B`, `2A - B`, `A B`, `A \cdot B`) evaluated entry by entry, so
   * `\begin{pmatrix}1&2\\3&4\end{pmatrix} + \begin{pmatrix}5&6\\7&8\end{pmatrix}` equals the matrix of sums.
   * Null when the tokens are not such an expression (the caller then reads them as usual).
   */
  private matrixArithmetic(toks: Token[]): Value | null {
    // Each product multiplies entry sizes by the inner dimension: a few small factors are all answers use, and the
    // cap keeps a chain of products from building an exponentially large expression.
    if (toks.filter((t) => isCmd(t, "begin")).length > MAX_MATRIX_TERMS) throw new ParseError("too many matrices");
    let acc: Expr[][] | null = null;
    let i = 0;
    while (i < toks.length) {
      let sign = 1;
      if (isSym(toks[i], "+") || isSym(toks[i], "-")) {
        if (isSym(toks[i], "-")) sign = -1;
        i++;
      } else if (acc !== null) return null;
      let j = i;
      while (j < toks.length && !isCmd(toks[j], "begin")) j++;
      if (j >= toks.length) return null;
      let term: Expr[][] | null = null;
      let products = 0;
      let coef: Expr | null = j > i ? this.scalar(toks.slice(i, j)) : null;
      if (coef && isSym(toks[j - 1], "*")) return null;
      i = j;
      while (i < toks.length && isCmd(toks[i], "begin")) {
        const after = matrixBlockEnd(toks, i);
        if (after < 0) return null;
        const m = this.matrix(toks.slice(i, after));
        if (m.kind !== "matrix" || m.rows.some((r) => r.some((v) => v.kind !== "scalar"))) return null;
        const rows = m.rows.map((r) => r.map((v) => (v as { expr: Expr }).expr));
        if (term === null) term = rows;
        else {
          if (term[0].length !== rows.length) throw new ParseError("matrix sizes do not match for a product");
          if (++products > MAX_MATRIX_PRODUCTS || rows.length > MAX_MATRIX_DIM || rows[0].length > MAX_MATRIX_DIM) throw new ParseError("matrix product too large");
          const a: Expr[][] = term;
          term = a.map((row) => rows[0].map((_, c) => ({ t: "add", args: row.map((x, k) => ({ t: "mul", args: [x, rows[k][c]] }) as Expr) }) as Expr));
        }
        i = after;
        if (isCmd(toks[i], "cdot") || isCmd(toks[i], "times")) i++;
      }
      if (term === null) return null;
      if (sign < 0) coef = coef ? { t: "neg", a: coef } : { t: "neg", a: { t: "num", v: Q.ONE } };
      const scaled: Expr[][] = coef ? term.map((r) => r.map((x) => ({ t: "mul", args: [coef, x] }) as Expr)) : term;
      if (acc === null) acc = scaled;
      else {
        const a: Expr[][] = acc;
        if (a.length !== scaled.length || a[0].length !== scaled[0].length) throw new ParseError("matrix sizes do not match for a sum");
        acc = a.map((r, ri) => r.map((x, ci) => ({ t: "add", args: [x, scaled[ri][ci]] }) as Expr));
      }
    }
    if (acc === null) return null;
    return { kind: "matrix", rows: acc.map((r) => r.map((expr) => ({ kind: "scalar", expr }) as Value)) };
  }

  /** \begin{pmatrix} a & b \\ c & d \end{pmatrix} (also bmatrix, matrix, array with a column spec). */
  private matrix(toks: Token[]): Value {
    let end = toks.length - 1;
    while (end > 0 && !isCmd(toks[end], "end")) end--;
    if (end === 0 || matchingClose(toks) !== end || !isSym(toks[end + 1], "{") || !isSym(toks[toks.length - 1], "}")) throw new ParseError("text after matrix");
    let i = 1;
    if (!isSym(toks[i], "{")) throw new ParseError("bad \\begin");
    let env = "";
    for (i++; i < toks.length && !isSym(toks[i], "}"); i++) env += (toks[i] as { s: string }).s;
    i++;
    if (!/^(?:[pbvBV]?matrix|array|smallmatrix)$/.test(env)) throw new ParseError(`unsupported environment ${env}`);
    if (env === "array" && isSym(toks[i], "{")) {
      while (i < toks.length && !isSym(toks[i], "}")) i++;
      i++;
    }
    const body = toks.slice(i, end);
    const rows = splitTop(body, (t) => isCmd(t, "\\"))
      .parts.filter((r) => r.length > 0)
      .map((r) => splitTop(r, (t) => isSym(t, "&")).parts.map((c) => this.item(c)));
    if (rows.length === 0) throw new ParseError("empty matrix");
    if (rows.some((r) => r.length !== rows[0].length)) throw new ParseError("ragged matrix");
    return { kind: "matrix", rows };
  }
}

/**
 * `p=5, q=2; p=7, q=2`: labelled assignments whose names repeat in the same order are one tuple per round
 * (`(p=5, q=2), (p=7, q=2)`), which compares with the gold `(5,2),(7,2)`; distinct names (`x_1 = 3, x_2 = 5`) stay a
 * list of assignments.
 */
function groupAssignments(items: Value[]): Value[] {
  const names: string[] = [];
  for (const v of items) {
    if (v.kind !== "relation" || v.ops.length !== 1 || v.ops[0] !== "=" || v.sides[0].kind !== "scalar" || v.sides[0].expr.t !== "var") return items;
    names.push(v.sides[0].expr.name);
  }
  const k = names.indexOf(names[0], 1);
  if (k < 2 || names.length % k !== 0) return items;
  for (let i = k; i < names.length; i++) if (names[i] !== names[i % k]) return items;
  const out: Value[] = [];
  for (let i = 0; i < items.length; i += k) out.push({ kind: "tuple", items: items.slice(i, i + k), maybeInterval: false });
  return out;
}

/** Index just past `\begin{env} ... \end{env}` starting at `i`, or -1. */
function matrixBlockEnd(toks: Token[], i: number): number {
  const end = i + matchingClose(toks.slice(i));
  if (end < i || !isCmd(toks[end], "end") || !isSym(toks[end + 1], "{")) return -1;
  let close = end + 2;
  while (close < toks.length && !isSym(toks[close], "}")) close++;
  return close < toks.length ? close + 1 : -1;
}

/** `1 \pm \sqrt2, 3` lists three values: the `\pm` pair joins the surrounding list. */
function flattenPm(items: Value[]): Value[] {
  return items.flatMap((v) => (v.kind === "set" && v.pm ? v.items : [v]));
}

/** `1,000` or `12,345,678`: one number written with thousands separators. */
function isThousands(parts: Token[][]): boolean {
  if (parts.some((p) => p.length !== 1 || p[0].k !== "num")) return false;
  const nums = parts.map((p) => (p[0] as { s: string }).s);
  if (!/^\d{1,3}$/.test(nums[0])) return false;
  return nums.slice(1).every((s, i) => (i === nums.length - 2 ? /^\d{3}(?:\.\d+)?$/.test(s) : /^\d{3}$/.test(s)));
}

/** `a \pm b` -> [a + b, a - b]; at most 4 signs (16 values). */
function expandPm(e: Expr): Expr[] {
  let count = 0;
  const visit = (x: Expr): Expr[] => {
    switch (x.t) {
      case "fn": {
        if (x.name === "pm" || x.name === "mp") {
          if (++count > 4) throw new ParseError("too many \\pm");
          const as = visit(x.args[0]);
          const bs = visit(x.args[1]);
          const out: Expr[] = [];
          for (const a of as)
            for (const b of bs) {
              const plus: Expr = { t: "add", args: [a, b] };
              const minus: Expr = { t: "add", args: [a, { t: "neg", a: b }] };
              out.push(...(x.name === "pm" ? [plus, minus] : [minus, plus]));
            }
          return out;
        }
        return product(x.args.map(visit)).map((args) => ({ ...x, args }));
      }
      case "add":
      case "mul":
        return product(x.args.map(visit)).map((args) => ({ ...x, args }));
      case "neg":
        return visit(x.a).map((a) => ({ t: "neg", a }));
      case "div":
      case "pow": {
        const as = visit(x.a);
        const bs = visit(x.b);
        const out: Expr[] = [];
        for (const a of as) for (const b of bs) out.push({ ...x, a, b });
        return out;
      }
      default:
        return [x];
    }
  };
  return visit(e);
}

function product(lists: Expr[][]): Expr[][] {
  let acc: Expr[][] = [[]];
  for (const l of lists) {
    const next: Expr[][] = [];
    for (const a of acc) for (const x of l) next.push([...a, x]);
    acc = next;
  }
  return acc;
}

/** A short human-readable rendering of a parsed value (for results and logs). */
export function describe(v: Value | null): string {
  if (!v) return "unparsed";
  switch (v.kind) {
    case "scalar":
      return showExpr(v.expr);
    case "tuple":
      return `tuple(${v.items.map(describe).join(", ")})`;
    case "set":
      return `set{${v.items.map(describe).join(", ")}}`;
    case "list":
      return `list[${v.items.map(describe).join(", ")}]`;
    case "interval":
      return `${v.loClosed ? "[" : "("}${showExpr(v.lo)}, ${showExpr(v.hi)}${v.hiClosed ? "]" : ")"}`;
    case "union":
      return v.parts.map(describe).join(" U ");
    case "relation":
      return v.sides.map((s, i) => (i === 0 ? describe(s) : ` ${v.ops[i - 1]} ${describe(s)}`)).join("");
    case "matrix":
      return `matrix[${v.rows.map((r) => r.map(describe).join(", ")).join("; ")}]`;
    case "text":
      return `text(${v.text})`;
  }
}
