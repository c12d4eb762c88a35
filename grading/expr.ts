// Expression trees for scalar answers: exact rational evaluation, complex floating evaluation, printing.
import { type Budget, BudgetExceeded } from "./budget.js";
import * as Q from "./rational.js";
import type { Rational } from "./rational.js";

export type Expr =
  | { t: "num"; v: Rational } // exact literal (integers, decimals, scientific notation)
  | { t: "const"; name: "pi" | "e" | "i" | "inf" }
  | { t: "var"; name: string }
  | { t: "add"; args: Expr[] }
  | { t: "mul"; args: Expr[] }
  | { t: "neg"; a: Expr }
  | { t: "div"; a: Expr; b: Expr }
  | { t: "pow"; a: Expr; b: Expr }
  | { t: "fn"; name: string; args: Expr[] };

export const num = (v: Rational): Expr => ({ t: "num", v });
export const int = (n: number | bigint): Expr => ({ t: "num", v: Q.rat(BigInt(n)) });

/** Functions the evaluator knows; arity checked at parse time. */
export const FUNCTIONS: Readonly<Record<string, number>> = {
  sqrt: 1,
  root: 2, // root(x, n)
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
    case "add":
    case "mul":
    case "fn":
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

function evalExactFn(name: string, args: Expr[], budget: Budget): Rational | null {
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
    case "pow":
      return cpow(evalComplex(e.a, env, budget), evalComplex(e.b, env, budget));
    case "fn": {
      const a = e.args.map((x) => evalComplex(x, env, budget));
      return applyFn(e.name, a);
    }
  }
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
