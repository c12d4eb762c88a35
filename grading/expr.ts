// Expression trees for scalar answers: exact rational evaluation, complex floating evaluation, printing.
import { type Budget, BudgetExceeded } from "./budget.js";
import * as Q from "./rational.js";
import type { Rational } from "./rational.js";

export type Expr =
  | { t: "num"; v: Rational; digits?: Digits } // exact literal (integers, decimals, scientific notation)
  | { t: "const"; name: "pi" | "e" | "i" | "inf" }
  | { t: "var"; name: string }
  | { t: "add"; args: Expr[] }
  | { t: "mul"; args: Expr[] }
  | { t: "neg"; a: Expr }
  | { t: "div"; a: Expr; b: Expr }
  | { t: "pow"; a: Expr; b: Expr }
  | { t: "fn"; name: string; args: Expr[] };

/** How a decimal literal was written: significant digits and the power of ten of its last digit (`0.0830` -> 3, -4). */
export interface Digits {
  sig: number;
  exp: number;
}

export const num = (v: Rational, digits?: Digits): Expr => (digits ? { t: "num", v, digits } : { t: "num", v });

/** Bound-variable operators: `sum(body, lo, hi, index)`, `prod(...)`; the index is not a free variable. */
export const BINDERS = new Set(["sum", "prod"]);
/** Most terms a sum or product is evaluated over. */
const MAX_TERMS = 100_000;
const MAX_EXACT_TERMS = 2_000;
export const int = (n: number | bigint): Expr => ({ t: "num", v: Q.rat(BigInt(n)) });

/** Functions the evaluator knows; arity checked at parse time. */
export const FUNCTIONS: Readonly<Record<string, number>> = {
  sqrt: 1,
  root: 2, // root(x, n)
  sum: 4, // sum(body, lo, hi, index)
  prod: 4,
  sin: 1,
  cos: 1,
  tan: 1,
  cot: 1,
  sec: 1,
  csc: 1,
  asin: 1,
  acos: 1,
  atan: 1,
  sinh: 1,
  cosh: 1,
  tanh: 1,
  ln: 1,
  log: 2, // log(x, base)
  exp: 1,
  abs: 1,
  fact: 1,
  binom: 2,
  floor: 1,
  ceil: 1,
  gcd: 2,
  lcm: 2,
};

export function freeVars(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.t) {
    case "var":
      out.add(e.name);
      break;
    case "fn":
      if (BINDERS.has(e.name)) {
        const inner = freeVars(e.args[0]);
        inner.delete((e.args[3] as { name: string }).name);
        for (const v of inner) out.add(v);
        freeVars(e.args[1], out);
        freeVars(e.args[2], out);
        break;
      }
      for (const a of e.args) freeVars(a, out);
      break;
    case "add":
    case "mul":
      for (const a of e.args) freeVars(a, out);
      break;
    case "neg":
      freeVars(e.a, out);
      break;
    case "div":
    case "pow":
      freeVars(e.a, out);
      freeVars(e.b, out);
      break;
  }
  return out;
}

/** Variables used in the bounds of a sum or product: they count terms, so they are sampled at integers. */
export function boundVars(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.t) {
    case "fn":
      if (BINDERS.has(e.name)) {
        freeVars(e.args[1], out);
        freeVars(e.args[2], out);
      }
      for (const a of e.args) boundVars(a, out);
      break;
    case "add":
    case "mul":
      for (const a of e.args) boundVars(a, out);
      break;
    case "neg":
      boundVars(e.a, out);
      break;
    case "div":
    case "pow":
      boundVars(e.a, out);
      boundVars(e.b, out);
      break;
  }
  return out;
}

/** Whether the constant occurs anywhere in the tree. */
export function hasConst(e: Expr, name: "pi" | "e" | "i" | "inf"): boolean {
  switch (e.t) {
    case "const":
      return e.name === name;
    case "add":
    case "mul":
    case "fn":
      return e.args.some((a) => hasConst(a, name));
    case "neg":
      return hasConst(e.a, name);
    case "div":
    case "pow":
      return hasConst(e.a, name) || hasConst(e.b, name);
    default:
      return false;
  }
}

export const hasInfinity = (e: Expr): boolean => hasConst(e, "inf");

/** Canonical text of a tree; equal texts mean equal expressions (the cheap symbolic check). */
export function show(e: Expr): string {
  switch (e.t) {
    case "num":
      return Q.ratToString(e.v);
    case "const":
      return e.name === "inf" ? "oo" : e.name;
    case "var":
      return e.name;
    case "add":
      return `(${e.args.map(show).join(" + ")})`;
    case "mul":
      return `(${e.args.map(show).join("*")})`;
    case "neg":
      return `-${show(e.a)}`;
    case "div":
      return `(${show(e.a)})/(${show(e.b)})`;
    case "pow":
      return `(${show(e.a)})^(${show(e.b)})`;
    case "fn":
      return `${e.name}(${e.args.map(show).join(", ")})`;
  }
}

// ---------- exact evaluation ----------

const FACT_EXACT_MAX = 2000n;

/** Exact rational value, or null when the expression is not (provably cheaply) rational. */
export function evalExact(e: Expr, budget: Budget): Rational | null {
  budget.tick();
  try {
    switch (e.t) {
      case "num":
        return e.v;
      case "const":
      case "var":
        return null;
      case "neg": {
        const a = evalExact(e.a, budget);
        return a && Q.neg(a);
      }
      case "add": {
        let acc = Q.ZERO;
        for (const x of e.args) {
          const v = evalExact(x, budget);
          if (!v) return null;
          acc = Q.add(acc, v);
        }
        return acc;
      }
      case "mul": {
        let acc = Q.ONE;
        for (const x of e.args) {
          const v = evalExact(x, budget);
          if (!v) return null;
          acc = Q.mul(acc, v);
        }
        return acc;
      }
      case "div": {
        const a = evalExact(e.a, budget);
        const b = evalExact(e.b, budget);
        if (!a || !b || b.n === 0n) return null;
        return Q.div(a, b);
      }
      case "pow": {
        const a = evalExact(e.a, budget);
        const b = evalExact(e.b, budget);
        if (!a || !b) return null;
        if (b.d === 1n) {
          if (a.n === 0n && b.n < 0n) return null;
          return Q.powInt(a, b.n);
        }
        return exactRoot(a, b);
      }
      case "fn":
        return evalExactFn(e.name, e.args, budget);
    }
  } catch (err) {
    if (err instanceof BudgetExceeded && err.what === "time") throw err;
    return null; // size caps: fall back to floating point
  }
}

/** a^(p/q) when it is rational (perfect powers only). */
function exactRoot(a: Rational, b: Rational): Rational | null {
  if (b.d > 64n || a.n < 0n) return null;
  const q = Number(b.d);
  const rn = intRoot(a.n, q);
  const rd = intRoot(a.d, q);
  if (rn === null || rd === null) return null;
  return Q.powInt(Q.rat(rn, rd), b.n);
}

function intRoot(x: bigint, q: number): bigint | null {
  if (x < 0n) return null;
  if (x < 2n) return x;
  const approx = BigInt(Math.round(Number(x) ** (1 / q)));
  for (const c of [approx - 1n, approx, approx + 1n]) if (c >= 0n && c ** BigInt(q) === x) return c;
  return null;
}

/** The tree with variable `name` replaced by `value`. */
export function substitute(e: Expr, name: string, value: Expr): Expr {
  switch (e.t) {
    case "var":
      return e.name === name ? value : e;
    case "add":
    case "mul":
      return { ...e, args: e.args.map((a) => substitute(a, name, value)) };
    case "fn":
      if (BINDERS.has(e.name) && (e.args[3] as { name: string }).name === name) {
        return { ...e, args: [e.args[0], substitute(e.args[1], name, value), substitute(e.args[2], name, value), e.args[3]] };
      }
      return { ...e, args: e.args.map((a) => substitute(a, name, value)) };
    case "neg":
      return { t: "neg", a: substitute(e.a, name, value) };
    case "div":
    case "pow":
      return { ...e, a: substitute(e.a, name, value), b: substitute(e.b, name, value) };
    default:
      return e;
  }
}

/** Integer bounds of a sum/product when both are exact integers and the range is small enough, else null. */
function exactRange(lo: Rational | null, hi: Rational | null, max: number): [bigint, bigint] | null {
  if (!lo || !hi || !Q.isInt(lo) || !Q.isInt(hi)) return null;
  if (hi.n - lo.n + 1n > BigInt(max)) return null;
  return [lo.n, hi.n];
}

function evalExactFn(name: string, args: Expr[], budget: Budget): Rational | null {
  if (BINDERS.has(name)) {
    const range = exactRange(evalExact(args[1], budget), evalExact(args[2], budget), MAX_EXACT_TERMS);
    if (!range) return null;
    const idx = (args[3] as { name: string }).name;
    let acc = name === "sum" ? Q.ZERO : Q.ONE;
    for (let k = range[0]; k <= range[1]; k++) {
      const v = evalExact(substitute(args[0], idx, int(k)), budget);
      if (!v) return null;
      acc = name === "sum" ? Q.add(acc, v) : Q.mul(acc, v);
    }
    return acc;
  }
  const vals = args.map((a) => evalExact(a, budget));
  if (vals.some((v) => v === null)) {
    return null;
  }
  const v = vals as Rational[];
  switch (name) {
    case "sqrt":
      return exactRoot(v[0], Q.rat(1n, 2n));
    case "root":
      return Q.isInt(v[1]) && v[1].n > 0n ? exactRoot(v[0], Q.rat(1n, v[1].n)) : null;
    case "abs":
      return v[0].n < 0n ? Q.neg(v[0]) : v[0];
    case "fact": {
      if (!Q.isInt(v[0]) || v[0].n < 0n || v[0].n > FACT_EXACT_MAX) return null;
      let acc = 1n;
      for (let k = 2n; k <= v[0].n; k++) acc *= k;
      return Q.rat(acc);
    }
    case "binom": {
      const [n, k] = v;
      if (!Q.isInt(n) || !Q.isInt(k) || n.n < 0n || n.n > 100_000n) return null;
      if (k.n < 0n || k.n > n.n) return Q.ZERO;
      const rest = n.n - k.n;
      // biome-ignore lint/complexity/useMathMinMax: BigInt operands; Math.min does not apply
      const kk = rest < k.n ? rest : k.n;
      if (kk > 5000n) return null;
      let acc = 1n;
      for (let j = 1n; j <= kk; j++) acc = (acc * (n.n - kk + j)) / j;
      return Q.rat(acc);
    }
    case "floor":
    case "ceil": {
      const [x] = v;
      let f = x.n / x.d;
      if (x.n < 0n && f * x.d !== x.n) f -= 1n; // BigInt division truncates toward zero
      if (name === "ceil" && f * x.d !== x.n) f += 1n;
      return Q.rat(f);
    }
    case "gcd":
    case "lcm": {
      if (!Q.isInt(v[0]) || !Q.isInt(v[1])) return null;
      let [a, b] = [v[0].n < 0n ? -v[0].n : v[0].n, v[1].n < 0n ? -v[1].n : v[1].n];
      const prod = a * b;
      while (b !== 0n) [a, b] = [b, a % b];
      return Q.rat(name === "gcd" ? a : a === 0n ? 0n : prod / a);
    }
    case "log": {
      // log_b(x) rational when x = b^k for small integer k
      const [x, b] = v;
      if (x.n <= 0n || b.n <= 0n || Q.eq(b, Q.ONE)) return null;
      for (let k = -64n; k <= 64n; k++) {
        try {
          if (Q.eq(Q.powInt(b, k), x)) return Q.rat(k);
        } catch {
          /* too large: not this k */
        }
      }
      return null;
    }
    default:
      return null;
  }
}

// ---------- complex floating evaluation ----------

export interface C {
  re: number;
  im: number;
}
const c = (re: number, im = 0): C => ({ re, im });
const NAN = c(Number.NaN, Number.NaN);

function cmul(a: C, b: C): C {
  return c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
function cdiv(a: C, b: C): C {
  const den = b.re * b.re + b.im * b.im;
  if (den === 0) return a.re === 0 && a.im === 0 ? NAN : c(Number.POSITIVE_INFINITY, 0);
  return c((a.re * b.re + a.im * b.im) / den, (a.im * b.re - a.re * b.im) / den);
}
function cexp(a: C): C {
  const m = Math.exp(a.re);
  return a.im === 0 ? c(m) : c(m * Math.cos(a.im), m * Math.sin(a.im));
}
function clog(a: C): C {
  return c(Math.log(Math.hypot(a.re, a.im)), Math.atan2(a.im, a.re));
}
function cpow(a: C, b: C): C {
  if (b.im === 0 && Number.isInteger(b.re) && Math.abs(b.re) <= 64) {
    let r = c(1);
    let base = b.re < 0 ? cdiv(c(1), a) : a;
    let k = Math.abs(b.re);
    while (k > 0) {
      if (k & 1) r = cmul(r, base);
      base = cmul(base, base);
      k >>= 1;
    }
    return r;
  }
  if (a.im === 0 && b.im === 0 && a.re >= 0) return c(a.re ** b.re);
  if (a.re === 0 && a.im === 0) return b.re > 0 ? c(0) : NAN;
  return cexp(cmul(b, clog(a)));
}
function csqrt(a: C): C {
  if (a.im === 0) return a.re >= 0 ? c(Math.sqrt(a.re)) : c(0, Math.sqrt(-a.re));
  const m = Math.hypot(a.re, a.im);
  const re = Math.sqrt((m + a.re) / 2);
  const im = Math.sign(a.im) * Math.sqrt((m - a.re) / 2);
  return c(re, im);
}
function csin(a: C): C {
  return c(Math.sin(a.re) * Math.cosh(a.im), Math.cos(a.re) * Math.sinh(a.im));
}
function ccos(a: C): C {
  return c(Math.cos(a.re) * Math.cosh(a.im), -Math.sin(a.re) * Math.sinh(a.im));
}

function gamma(x: number): number {
  if (x > 171.7) return Number.POSITIVE_INFINITY;
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const g = 7;
  const p = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let a = p[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += p[i] / (x + i);
  return Math.sqrt(2 * Math.PI) * t ** (x + 0.5) * Math.exp(-t) * a;
}

/** Complex value under variable bindings; NaN components when undefined. */
export function evalComplex(e: Expr, env: ReadonlyMap<string, C>, budget: Budget): C {
  budget.tick();
  switch (e.t) {
    case "num":
      return c(Q.toNumber(e.v));
    case "const":
      return e.name === "pi" ? c(Math.PI) : e.name === "e" ? c(Math.E) : e.name === "i" ? c(0, 1) : c(Number.POSITIVE_INFINITY);
    case "var":
      return env.get(e.name) ?? NAN;
    case "neg": {
      const a = evalComplex(e.a, env, budget);
      return c(-a.re, -a.im);
    }
    case "add": {
      let re = 0;
      let im = 0;
      for (const x of e.args) {
        const v = evalComplex(x, env, budget);
        re += v.re;
        im += v.im;
      }
      return c(re, im);
    }
    case "mul": {
      let acc = c(1);
      for (const x of e.args) acc = cmul(acc, evalComplex(x, env, budget));
      return acc;
    }
    case "div":
      return cdiv(evalComplex(e.a, env, budget), evalComplex(e.b, env, budget));
    case "pow": {
      const a = evalComplex(e.a, env, budget);
      // A negative real base to a rational power with an odd denominator takes the real root, as \sqrt[3]{x}^2 does:
      // x^{2/3} and \sqrt[3]{x}^2 agree at negative x instead of one taking the complex principal branch.
      if (a.im === 0 && a.re < 0) {
        const q = e.b.t === "div" || e.b.t === "num" || e.b.t === "neg" ? evalExact(e.b, budget) : null;
        if (q && q.d % 2n === 1n && q.d !== 1n) {
          const m = Math.abs(a.re) ** Q.toNumber(q);
          return c(q.n % 2n === 0n ? m : -m);
        }
      }
      return cpow(a, evalComplex(e.b, env, budget));
    }
    case "fn": {
      if (BINDERS.has(e.name)) return evalBinder(e.name, e.args, env, budget);
      const a = e.args.map((x) => evalComplex(x, env, budget));
      return applyFn(e.name, a);
    }
  }
}

/** A finite sum or product at the bound values (real integers); NaN for infinite or non-integer bounds. */
function evalBinder(name: string, args: Expr[], env: ReadonlyMap<string, C>, budget: Budget): C {
  const lo = evalComplex(args[1], env, budget);
  const hi = evalComplex(args[2], env, budget);
  const l = Math.round(lo.re);
  const h = Math.round(hi.re);
  if (lo.im !== 0 || hi.im !== 0 || Math.abs(lo.re - l) > 1e-9 || Math.abs(hi.re - h) > 1e-9 || h - l + 1 > MAX_TERMS) return NAN;
  const idx = (args[3] as { name: string }).name;
  const inner = new Map(env);
  let acc = c(name === "sum" ? 0 : 1);
  for (let k = l; k <= h; k++) {
    inner.set(idx, c(k));
    const v = evalComplex(args[0], inner, budget);
    acc = name === "sum" ? c(acc.re + v.re, acc.im + v.im) : cmul(acc, v);
  }
  return acc;
}

function applyFn(name: string, a: C[]): C {
  const [x, y] = a;
  const real = x.im === 0;
  switch (name) {
    case "sqrt":
      return csqrt(x);
    case "root":
      // Real odd roots of negatives stay real, as a reader of \sqrt[3]{-8} expects.
      if (real && y.im === 0 && x.re < 0 && Number.isInteger(y.re) && y.re % 2 !== 0) return c(-((-x.re) ** (1 / y.re)));
      return cpow(x, cdiv(c(1), y));
    case "sin":
      return csin(x);
    case "cos":
      return ccos(x);
    case "tan":
      return cdiv(csin(x), ccos(x));
    case "cot":
      return cdiv(ccos(x), csin(x));
    case "sec":
      return cdiv(c(1), ccos(x));
    case "csc":
      return cdiv(c(1), csin(x));
    case "asin":
      return real && Math.abs(x.re) <= 1 ? c(Math.asin(x.re)) : NAN;
    case "acos":
      return real && Math.abs(x.re) <= 1 ? c(Math.acos(x.re)) : NAN;
    case "atan":
      return real ? c(Math.atan(x.re)) : NAN;
    case "sinh":
      return real ? c(Math.sinh(x.re)) : NAN;
    case "cosh":
      return real ? c(Math.cosh(x.re)) : NAN;
    case "tanh":
      return real ? c(Math.tanh(x.re)) : NAN;
    case "ln":
      return clog(x);
    case "log":
      return cdiv(clog(x), clog(y));
    case "exp":
      return cexp(x);
    case "abs":
      return c(Math.hypot(x.re, x.im));
    case "fact":
      return real ? c(gamma(x.re + 1)) : NAN;
    case "binom":
      return real && y.im === 0 ? c(gamma(x.re + 1) / (gamma(y.re + 1) * gamma(x.re - y.re + 1))) : NAN;
    case "floor":
      return real ? c(Math.floor(x.re)) : NAN;
    case "ceil":
      return real ? c(Math.ceil(x.re)) : NAN;
    default:
      return NAN;
  }
}

export function isFiniteC(v: C): boolean {
  return Number.isFinite(v.re) && Number.isFinite(v.im);
}

/** |a - b| within relative tolerance (absolute near zero). */
export function closeC(a: C, b: C, relTol: number): boolean {
  const diff = Math.hypot(a.re - b.re, a.im - b.im);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return diff <= relTol * scale || diff <= 1e-12;
}
