// Recursive-descent parser from answer tokens to scalar expression trees (implicit products, \frac, roots, functions).
import type { Budget } from "./budget.js";
import { type Digits, type Expr, FUNCTIONS, int, num } from "./expr.js";
import { ParseError, type Token } from "./latex-tokens.js";
import * as Q from "./rational.js";

const MAX_DEPTH = 200;

const GREEK = new Set(
  "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi omicron rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega ell hbar angle nabla partial".split(
    " ",
  ),
);

/** Accents make a new variable name: \dot{x}, \hat{\theta}. */
const ACCENTS = new Set(["dot", "ddot", "hat", "bar", "vec", "tilde", "widehat", "overline", "mathcal", "mathbb"]);

const FN_CMDS: Record<string, string> = {
  sin: "sin",
  cos: "cos",
  tan: "tan",
  cot: "cot",
  sec: "sec",
  csc: "csc",
  arcsin: "asin",
  arccos: "acos",
  arctan: "atan",
  sinh: "sinh",
  cosh: "cosh",
  tanh: "tanh",
  ln: "ln",
  exp: "exp",
  log: "log",
  lg: "log",
};
const INVERSE: Record<string, string> = { sin: "asin", cos: "acos", tan: "atan" };

/** Commands that carry no meaning in an answer and are skipped. */
const IGNORED = new Set([
  "left",
  "right",
  "big",
  "Big",
  "bigg",
  "Bigg",
  "bigl",
  "bigr",
  "Bigl",
  "Bigr",
  "biggl",
  "biggr",
  "displaystyle",
  "textstyle",
  "limits",
  ",",
  ";",
  ":",
  "!",
  " ",
  "quad",
  "qquad",
  "mathstrut",
]);

const TEXT_WRAPPERS = new Set(["text", "textbf", "textit", "mathrm", "mathbf", "mathit", "mbox", "operatorname", "boldsymbol", "mathsf", "textrm"]);

/** Parses one scalar expression from a token slice; throws ParseError on anything it does not understand. */
export class ExprParser {
  private pos = 0;
  private depth = 0;
  private absDepth = 0;
  constructor(
    private readonly toks: Token[],
    private readonly budget: Budget,
  ) {
    this.toks = toks.filter((t) => !(t.k === "cmd" && IGNORED.has(t.s)));
  }

  static parse(toks: Token[], budget: Budget): Expr {
    const p = new ExprParser(toks, budget);
    if (p.toks.length === 0) throw new ParseError("empty expression");
    const e = p.expr();
    if (p.pos < p.toks.length) throw new ParseError(`unexpected ${show(p.toks[p.pos])}`);
    return e;
  }

  private peek(o = 0): Token | undefined {
    return this.toks[this.pos + o];
  }
  private isSym(s: string, o = 0): boolean {
    const t = this.toks[this.pos + o];
    return t !== undefined && t.k === "sym" && t.s === s;
  }
  private isCmd(s: string, o = 0): boolean {
    const t = this.toks[this.pos + o];
    return t !== undefined && t.k === "cmd" && t.s === s;
  }
  private expect(s: string): void {
    if (!this.isSym(s)) throw new ParseError(`expected "${s}"`);
    this.pos++;
  }
  private enter(): void {
    this.budget.tick();
    if (++this.depth > MAX_DEPTH) throw new ParseError("nesting too deep");
  }

  expr(): Expr {
    this.enter();
    const terms: Expr[] = [this.term()];
    for (;;) {
      const t = this.peek();
      if (t?.k === "sym" && (t.s === "+" || t.s === "-")) {
        this.pos++;
        const rhs = this.term();
        terms.push(t.s === "-" ? { t: "neg", a: rhs } : rhs);
      } else if (t?.k === "cmd" && (t.s === "pm" || t.s === "mp")) {
        this.pos++;
        const rhs = this.term();
        const left: Expr = terms.length === 1 ? terms[0] : { t: "add", args: terms.splice(0) };
        terms.length = 0;
        terms.push({ t: "fn", name: t.s === "pm" ? "pm" : "mp", args: [left, rhs] });
      } else break;
    }
    this.depth--;
    return terms.length === 1 ? terms[0] : { t: "add", args: terms };
  }

  private term(): Expr {
    this.enter();
    const factors: Expr[] = [this.unary()];
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if ((t.k === "sym" && (t.s === "*" || t.s === "/")) || (t.k === "cmd" && (t.s === "cdot" || t.s === "times" || t.s === "div" || t.s === "ast"))) {
        this.pos++;
        const rhs = this.unary();
        if (t.s === "/" || t.s === "div") factors.push({ t: "div", a: factors.pop()!, b: rhs });
        else factors.push(rhs);
      } else if (this.startsFactor(t)) {
        factors.push(this.postfix());
      } else break;
    }
    this.depth--;
    return factors.length === 1 ? factors[0] : { t: "mul", args: factors };
  }

  private startsFactor(t: Token): boolean {
    switch (t.k) {
      case "num":
      case "id":
      case "word":
        return true;
      case "sym":
        return t.s === "(" || t.s === "{" || t.s === "[" || (t.s === "|" && this.absDepth === 0);
      case "cmd":
        return (
          t.s === "frac" ||
          t.s === "dfrac" ||
          t.s === "tfrac" ||
          t.s === "cfrac" ||
          t.s === "sqrt" ||
          t.s === "pi" ||
          t.s === "infty" ||
          t.s === "binom" ||
          t.s === "dbinom" ||
          t.s === "tbinom" ||
          t.s === "lfloor" ||
          t.s === "lceil" ||
          (t.s === "lvert" && this.absDepth === 0) ||
          t.s === "exp" ||
          GREEK.has(t.s) ||
          ACCENTS.has(t.s) ||
          TEXT_WRAPPERS.has(t.s) ||
          t.s in FN_CMDS ||
          t.s === "gcd" ||
          t.s === "sum" ||
          t.s === "prod" ||
          t.s === "operatorname"
        );
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t?.k === "sym" && (t.s === "-" || t.s === "+")) {
      this.pos++;
      this.enter();
      const a = this.unary();
      this.depth--;
      return t.s === "-" ? { t: "neg", a } : a;
    }
    if (t?.k === "cmd" && (t.s === "pm" || t.s === "mp")) {
      this.pos++;
      return { t: "fn", name: t.s, args: [int(0), this.unary()] };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let base = this.primary();
    for (;;) {
      if (this.isSym("^")) {
        this.pos++;
        // x^\circ is handled by normalisation; x^{-1} etc.
        const ex = this.scriptArg();
        base = { t: "pow", a: base, b: ex };
      } else if (this.isSym("!")) {
        this.pos++;
        base = { t: "fn", name: "fact", args: [base] };
      } else if (this.isSym("'")) {
        throw new ParseError("prime notation");
      } else break;
    }
    return base;
  }

  /** Argument of ^ or _ or of \frac without braces: a group, or a single character/command. */
  private scriptArg(): Expr {
    const t = this.peek();
    if (!t) throw new ParseError("missing argument");
    if (t.k === "sym" && t.s === "{") return this.group();
    if (t.k === "num") return this.firstDigit();
    if (t.k === "sym" && t.s === "-") {
      this.pos++;
      return { t: "neg", a: this.scriptArg() };
    }
    return this.primary();
  }

  /** In `\frac12` or `x^23` LaTeX takes one character; split a number token. */
  private firstDigit(): Expr {
    const t = this.toks[this.pos] as { k: "num"; s: string };
    if (t.s.length === 1) {
      this.pos++;
      return int(Number(t.s));
    }
    this.toks[this.pos] = { k: "num", s: t.s.slice(1) };
    return int(Number(t.s[0]));
  }

  private group(): Expr {
    this.expect("{");
    this.enter();
    if (this.isSym("}")) throw new ParseError("empty group");
    const e = this.expr();
    this.expect("}");
    this.depth--;
    return e;
  }

  private textArg(): string {
    this.expect("{");
    let s = "";
    let d = 1;
    while (this.pos < this.toks.length) {
      const t = this.toks[this.pos++];
      if (t.k === "sym" && t.s === "{") d++;
      if (t.k === "sym" && t.s === "}" && --d === 0) return s;
      s += t.k === "cmd" ? `\\${t.s}` : t.s;
    }
    throw new ParseError("unclosed text group");
  }

  private primary(): Expr {
    this.enter();
    const t = this.peek();
    if (!t) throw new ParseError("unexpected end");
    this.pos++;
    let e: Expr;
    switch (t.k) {
      case "num":
        e = this.number(t.s);
        break;
      case "id":
        e = this.identifier(t.s);
        break;
      case "word":
        e = this.word(t.s);
        break;
      case "sym":
        e = this.symbolPrimary(t.s);
        break;
      case "cmd":
        e = this.command(t.s);
        break;
    }
    this.depth--;
    return e;
  }

  private number(s: string): Expr {
    if (this.isCmd("overline") || this.isCmd("dot")) {
      this.pos++;
      const rep = this.textArg().replace(/\s/g, "");
      if (!/^\d+$/.test(rep)) throw new ParseError("bad repeating block");
      const [ip, fp = ""] = s.split(".");
      return num(Q.fromRepeating(ip, fp, rep));
    }
    const v = Q.fromDecimal(s);
    if (!v) throw new ParseError(`bad number ${s}`);
    if (/[.eE]/.test(s) && !(this.isSym("_") || this.isCmd("frac"))) return num(v, literalDigits(s));
    // Base subscript: 1011_2, 40_{9}. The answer asks for that notation, so it stays an opaque literal:
    // 40_9 equals 40_{9} but not 36 (a reader grading "express in base 9" would not accept 36).
    if (this.isSym("_") && /^\d+$/.test(s)) {
      this.pos++;
      return { t: "var", name: `${s}_${this.subscriptText()}` };
    }
    // Mixed number: 2\frac{1}{2} (numeric literals only) means 2 + 1/2.
    if (/^\d+$/.test(s) && (this.isCmd("frac") || this.isCmd("dfrac") || this.isCmd("tfrac"))) {
      const save = this.pos;
      this.pos++;
      const a = this.scriptArg();
      const b = this.scriptArg();
      if (a.t === "num" && b.t === "num" && Q.isInt(a.v) && Q.isInt(b.v) && b.v.n !== 0n) return { t: "add", args: [num(v), { t: "div", a, b }] };
      this.pos = save;
    }
    return num(v);
  }

  private identifier(s: string): Expr {
    let name = s;
    while (this.isSym("'")) {
      this.pos++;
      name += "'";
    }
    if (this.isSym("_")) {
      this.pos++;
      name += `_${this.subscriptText()}`;
    }
    if (name === "e") return { t: "const", name: "e" };
    if (name === "i") return { t: "const", name: "i" };
    return { t: "var", name };
  }

  private subscriptText(): string {
    const t = this.peek();
    if (!t) throw new ParseError("missing subscript");
    // `\lambda_{\text{red}}` and `\lambda_{red}` name the same variable.
    if (t.k === "sym" && t.s === "{") return this.textArg().replace(/\\(?:text|textrm|mathrm|rm|mathit)|[{}\s]/g, "");
    this.pos++;
    if (t.k === "num") {
      if (t.s.length > 1) {
        this.toks.splice(this.pos, 0, { k: "num", s: t.s.slice(1) });
        return t.s[0];
      }
      return t.s;
    }
    return t.k === "cmd" ? t.s : t.s;
  }

  private word(s: string): Expr {
    switch (s) {
      case "pi":
        return { t: "const", name: "pi" };
      case "infty":
      case "infinity":
      case "inf":
      case "oo":
        return { t: "const", name: "inf" };
      case "sqrt":
        return { t: "fn", name: "sqrt", args: [this.fnArg()] };
      default:
        return this.command(s);
    }
  }

  private symbolPrimary(s: string): Expr {
    if (s === "(" || s === "[") {
      const close = s === "(" ? ")" : "]";
      if (this.isSym(close)) throw new ParseError("empty parentheses");
      const e = this.expr();
      if (!this.isSym(close)) throw new ParseError(`expected "${close}"`);
      this.pos++;
      return e;
    }
    if (s === "{") {
      this.pos--;
      return this.group();
    }
    if (s === "|") {
      this.absDepth++;
      const e = this.expr();
      this.absDepth--;
      this.expect("|");
      return { t: "fn", name: "abs", args: [e] };
    }
    throw new ParseError(`unexpected "${s}"`);
  }

  private command(s: string): Expr {
    switch (s) {
      case "frac":
      case "dfrac":
      case "tfrac":
      case "cfrac": {
        const a = this.scriptArg();
        const b = this.scriptArg();
        return { t: "div", a, b };
      }
      case "sqrt": {
        if (this.isSym("[")) {
          this.pos++;
          const idx = this.expr();
          this.expect("]");
          return { t: "fn", name: "root", args: [this.scriptArg(), idx] };
        }
        return { t: "fn", name: "sqrt", args: [this.scriptArg()] };
      }
      case "binom":
      case "dbinom":
      case "tbinom":
        return { t: "fn", name: "binom", args: [this.scriptArg(), this.scriptArg()] };
      case "pi":
        return { t: "const", name: "pi" };
      case "infty":
      case "infin":
        return { t: "const", name: "inf" };
      case "lfloor":
      case "lceil": {
        const e = this.expr();
        if (!this.isCmd(s === "lfloor" ? "rfloor" : "rceil")) throw new ParseError(`unclosed \\${s}`);
        this.pos++;
        return { t: "fn", name: s === "lfloor" ? "floor" : "ceil", args: [e] };
      }
      case "lvert": {
        this.absDepth++;
        const e = this.expr();
        this.absDepth--;
        if (!this.isCmd("rvert")) throw new ParseError("unclosed \\lvert");
        this.pos++;
        return { t: "fn", name: "abs", args: [e] };
      }
      case "gcd":
        return this.callN("gcd", 2);
      case "sum":
      case "prod":
        return this.bigOperator(s);
      case "operatorname":
      case "mathrm":
      case "text":
      case "textrm":
      case "mathit":
      case "mathbf":
      case "textbf":
      case "textit":
      case "mbox":
      case "boldsymbol":
      case "mathsf": {
        const inner = this.textArg().trim();
        if (inner in FN_CMDS) return this.fn(inner);
        if (inner === "e") return { t: "const", name: "e" };
        if (inner === "i") return { t: "const", name: "i" };
        if (inner === "lcm" || inner === "gcd") return this.callN(inner, 2);
        if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(inner)) throw new ParseError(`text in expression: ${inner}`);
        return { t: "var", name: inner };
      }
      default:
        if (ACCENTS.has(s)) {
          let name = `${s}{${this.textArg().replace(/\s/g, "")}}`;
          if (this.isSym("_")) {
            this.pos++;
            name += `_${this.subscriptText()}`;
          }
          return { t: "var", name };
        }
        if (s in FN_CMDS) return this.fn(s);
        if (GREEK.has(s)) {
          let name = s;
          if (this.isSym("_")) {
            this.pos++;
            name += `_${this.subscriptText()}`;
          }
          return { t: "var", name };
        }
        throw new ParseError(`unsupported command \\${s}`);
    }
  }

  /**
   * `\sum_{k=1}^{n} body` / `\prod_{k=1}^{n} body`: the body is the product term that follows (as `\sum_k k^2 + 1` is
   * the sum plus one). Evaluated term by term when the bounds are integers.
   */
  private bigOperator(name: string): Expr {
    if (!this.isSym("_")) throw new ParseError(`\\${name} without an index`);
    this.pos++;
    this.expect("{");
    const idx = this.peek();
    if (!idx || (idx.k !== "id" && !(idx.k === "cmd" && GREEK.has(idx.s)))) throw new ParseError(`\\${name} index must be a letter`);
    this.pos++;
    this.expect("=");
    const lo = this.expr();
    this.expect("}");
    if (!this.isSym("^")) throw new ParseError(`\\${name} without an upper bound`);
    this.pos++;
    const hi = this.scriptArg();
    const body = rebind(this.term(), idx.s);
    return { t: "fn", name, args: [body, lo, hi, { t: "var", name: idx.s }] };
  }

  private callN(name: string, n: number): Expr {
    this.expect("(");
    const args: Expr[] = [this.expr()];
    while (this.isSym(",")) {
      this.pos++;
      args.push(this.expr());
    }
    this.expect(")");
    if (args.length !== n) throw new ParseError(`${name} takes ${n} arguments`);
    return { t: "fn", name, args };
  }

  /** \sin x, \sin^2 x, \sin^{-1} x, \log_2 8, \ln(x+1). */
  private fn(cmd: string): Expr {
    let name = FN_CMDS[cmd];
    let power: Expr | null = null;
    let base: Expr | null = null;
    for (;;) {
      if (this.isSym("^")) {
        this.pos++;
        power = this.scriptArg();
      } else if (this.isSym("_") && name === "log") {
        this.pos++;
        base = this.scriptArg();
      } else break;
    }
    if (power && power.t === "neg" && power.a.t === "num" && Q.eq(power.a.v, Q.ONE) && INVERSE[name]) {
      name = INVERSE[name];
      power = null;
    }
    const arg = this.fnArg();
    let e: Expr;
    if (name === "log") e = { t: "fn", name: "log", args: [arg, base ?? int(10)] };
    else e = { t: "fn", name, args: [arg] };
    if (FUNCTIONS[e.t === "fn" ? e.name : ""] === undefined) throw new ParseError(`unknown function ${name}`);
    return power ? { t: "pow", a: e, b: power } : e;
  }

  /** Argument of a function written without parentheses: a run of implicit-product factors. */
  private fnArg(): Expr {
    const t = this.peek();
    if (!t) throw new ParseError("missing function argument");
    if (t.k === "sym" && (t.s === "(" || t.s === "{")) return this.postfix();
    const factors: Expr[] = [this.unary()];
    for (;;) {
      const n = this.peek();
      if (!n || !(n.k === "num" || n.k === "id" || (n.k === "cmd" && (n.s === "pi" || GREEK.has(n.s) || n.s === "frac")))) break;
      factors.push(this.postfix());
    }
    return factors.length === 1 ? factors[0] : { t: "mul", args: factors };
  }
}

/** Significant digits of a decimal literal and the power of ten of its last written digit (`0.08330` -> 4, -5). */
function literalDigits(s: string): Digits {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return { sig: 0, exp: 0 };
  const all = (m[1] + (m[2] ?? "")).replace(/^0+/, "");
  return { sig: all.length, exp: (m[3] ? Number(m[3]) : 0) - (m[2] ?? "").length };
}

/** An index named `i` or `e` is the bound variable inside its sum, not the imaginary unit or Euler's number. */
function rebind(e: Expr, name: string): Expr {
  if (name !== "i" && name !== "e") return e;
  switch (e.t) {
    case "const":
      return e.name === name ? { t: "var", name } : e;
    case "add":
    case "mul":
    case "fn":
      return { ...e, args: e.args.map((a) => rebind(a, name)) };
    case "neg":
      return { t: "neg", a: rebind(e.a, name) };
    case "div":
    case "pow":
      return { ...e, a: rebind(e.a, name), b: rebind(e.b, name) };
    default:
      return e;
  }
}

function show(t: Token): string {
  return t.k === "cmd" ? `\\${t.s}` : t.s;
}
