// Exact rational arithmetic on BigInt, with size caps so no operation can run away.
import { BudgetExceeded } from "./budget.js";

/** Largest numerator/denominator size (bits) an exact result may have; larger falls back to floating point. */
export const MAX_BITS = 20_000;

export interface Rational {
  readonly n: bigint;
  readonly d: bigint; // > 0, gcd(n, d) = 1
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  return x === 0n ? 0 : x.toString(16).length * 4;
}

export function rat(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new RangeError("division by zero");
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  const r = g === 1n ? { n, d } : { n: n / g, d: d / g };
  if (bitLength(r.n) > MAX_BITS || bitLength(r.d) > MAX_BITS) throw new BudgetExceeded("rational size");
  return r;
}

export const ZERO = rat(0n);
export const ONE = rat(1n);

export const add = (a: Rational, b: Rational): Rational => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rat(a.n * b.n, a.d * b.d);
export const div = (a: Rational, b: Rational): Rational => rat(a.n * b.d, a.d * b.n);
export const neg = (a: Rational): Rational => ({ n: -a.n, d: a.d });
export const eq = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;
export const isInt = (a: Rational): boolean => a.d === 1n;
export const cmp = (a: Rational, b: Rational): number => {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
};

/** a^k for integer k; refuses results that would exceed MAX_BITS before computing them. */
export function powInt(a: Rational, k: bigint): Rational {
  if (k === 0n) return ONE;
  if (a.n === 0n) {
    if (k < 0n) throw new RangeError("division by zero");
    return ZERO;
  }
  if ((a.n === 1n || a.n === -1n) && a.d === 1n) return rat(k % 2n === 0n ? 1n : a.n);
  const e = k < 0n ? -k : k;
  const bits = Math.max(bitLength(a.n), bitLength(a.d));
  if (e > BigInt(MAX_BITS) || bits * Number(e) > MAX_BITS * 2) throw new BudgetExceeded("power size");
  const r = rat(a.n ** e, a.d ** e);
  return k < 0n ? div(ONE, r) : r;
}

export function toNumber(a: Rational): number {
  const n = Number(a.n);
  const d = Number(a.d);
  if (Number.isFinite(n) && Number.isFinite(d)) return n / d;
  // Scale both down to keep the ratio finite for huge values.
  const shift = BigInt(Math.max(bitLength(a.n), bitLength(a.d)) - 1000);
  if (shift <= 0n) return n / d;
  const sn = Number(a.n >> shift);
  const sd = Number(a.d >> shift);
  return sd === 0 ? (a.n < 0n ? -Infinity : Infinity) : sn / sd;
}

export function ratToString(a: Rational): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}

/** Parses a decimal literal like "-12.50", ".35", "4.5e33" exactly. */
export function fromDecimal(text: string): Rational | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const sign = m[1] === "-" ? -1n : 1n;
  const intPart = m[2] || "0";
  const frac = m[3] ?? "";
  const exp = m[4] ? Number.parseInt(m[4], 10) : 0;
  if (Math.abs(exp) > 4000 || intPart.length + frac.length > 4000) throw new BudgetExceeded("literal size");
  let n = BigInt(intPart + frac) * sign;
  let d = 10n ** BigInt(frac.length);
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  return rat(n, d);
}

/** Value of a repeating decimal such as 0.1\overline{6}: prefix digits, then the repeating block. */
export function fromRepeating(intPart: string, fixed: string, repeat: string): Rational {
  const base = fromDecimal(`${intPart || "0"}.${fixed}`)!;
  if (repeat === "") return base;
  const rep = rat(BigInt(repeat), (10n ** BigInt(repeat.length) - 1n) * 10n ** BigInt(fixed.length));
  return intPart.startsWith("-") ? sub(base, rep) : add(base, rep);
}
