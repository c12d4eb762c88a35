// Gold-guided equivalence of parsed answers: structure rules here, scalar checks exact, symbolic, then numeric.
import type { Budget } from "./budget.js";
import { boundVars, type C, type Expr, closeC, evalComplex, evalExact, freeVars, hasConst, hasInfinity, isFiniteC, show, substitute } from "./expr.js";
import type { GradeOptions } from "./options.js";
import type { ParsedAnswer, RelOp, Value } from "./parse.js";
import * as Q from "./rational.js";
import { mulberry32 } from "./rng.js";

export interface Verdict {
  equal: boolean;
  reason: string;
}

type Ctx = { o: GradeOptions; budget: Budget; how: string };

const yes = (reason: string): Verdict => ({ equal: true, reason: `equal:${reason}` });
const no = (reason: string): Verdict => ({ equal: false, reason: `not-equal:${reason}` });

/** Compares a prediction with the gold; the gold decides how the prediction is read. */
export function compareParsed(gold: ParsedAnswer, pred: ParsedAnswer, o: GradeOptions, budget: Budget): Verdict {
  if (gold.normalized !== "" && gold.normalized.replace(/\s+/g, "") === pred.normalized.replace(/\s+/g, "")) return yes("identical");
  if (gold.choice) {
    const leading = /^\s*(?:\\text(?:bf)?\s*\{\s*)?\(([A-Z])\)/.exec(pred.normalized); // `\text{(C) } 12`: the letter, then its value
    return pred.choice === gold.choice || pred.text === gold.choice.toLowerCase() || leading?.[1] === gold.choice ? yes("choice") : no("choice");
  }
  if (!gold.value || gold.value.kind === "text") {
    if (gold.text !== "" && gold.text === pred.text) return yes("text");
    return no(gold.value ? "text" : "gold-unparsed");
  }
  if (!pred.value) return no("pred-unparsed");
  if (pred.value.kind === "text" && gold.value.kind !== "list") return gold.text === pred.text ? yes("text") : no("text");
  const ctx: Ctx = { o, budget, how: "value" };
  let g: Value = gold.value;
  let p: Value = pred.value;
  // A relation on one side only: compare the value it gives (`m+n = 23` against 23, gold `k=3` against 3).
  if (p.kind === "relation" && g.kind !== "relation") p = givenValue(p) ?? p;
  if (g.kind === "relation" && p.kind !== "relation" && p.kind !== "interval" && p.kind !== "union" && !(p.kind === "tuple" && p.maybeInterval)) g = goldGivenValue(g) ?? g;
  if (g.kind !== "list" && g.kind !== "set" && (p.kind === "list" || p.kind === "set") && p.items.length > 1 && allEqual(p.items, ctx)) {
    // One answer written twice or in two forms (`\frac12 \text{ or } 0.5`, a repeated box).
    p = p.items[0];
  }
  if (g.kind === "scalar" && p.kind === "scalar") {
    if (scalarEq(g.expr, p.expr, ctx) || baseDigitsEq(g.expr, p.expr, ctx)) return yes(ctx.how);
    for (const alt of scaledAlternatives(gold, pred, p.expr, o)) {
      if (scalarEq(g.expr, alt.expr, ctx)) return yes(alt.how);
    }
    return no(ctx.how);
  }
  return valueEq(g, p, ctx) ? yes(ctx.how) : no(ctx.how);
}

/** Percent and degree readings of a scalar prediction that the gold permits. */
function scaledAlternatives(gold: ParsedAnswer, pred: ParsedAnswer, p: Expr, o: GradeOptions): { expr: Expr; how: string }[] {
  const out: { expr: Expr; how: string }[] = [];
  const hundred: Expr = { t: "num", v: Q.rat(100n) };
  if (gold.percent && !pred.percent && o.percentAsFraction) out.push({ expr: { t: "mul", args: [p, hundred] }, how: "percent-as-fraction" });
  if (pred.percent && !gold.percent) out.push({ expr: { t: "div", a: p, b: hundred }, how: "percent" });
  if (gold.degrees && !pred.degrees && show(p).includes("pi")) {
    out.push({ expr: { t: "div", a: { t: "mul", args: [p, { t: "num", v: Q.rat(180n) }] }, b: { t: "const", name: "pi" } }, how: "radians-as-degrees" });
  }
  return out;
}

function valueEq(g: Value, p: Value, ctx: Ctx): boolean {
  ctx.budget.tick();
  // An item written as an assignment (`(x, y) = (5, 8)` in a list) gives its value to a gold that is not a relation.
  if (p.kind === "relation" && g.kind !== "relation" && g.kind !== "scalar") p = givenValue(p) ?? p;
  switch (g.kind) {
    case "scalar":
      if (p.kind === "scalar") return scalarEq(g.expr, p.expr, ctx) || baseDigitsEq(g.expr, p.expr, ctx);
      if (p.kind === "tuple" && p.ratio) return ratioEq(p, g, ctx);
      if (p.kind === "relation") {
        const rhs = givenValue(p);
        return rhs !== null && valueEq(g, rhs, ctx);
      }
      if ((p.kind === "list" || p.kind === "set" || p.kind === "tuple") && p.items.length === 1) return valueEq(g, p.items[0], ctx);
      return false;
    case "relation":
      return relationEq(g, p, ctx);
    case "interval":
    case "union": {
      const gi = asIntervals(g, ctx);
      const pi = asIntervals(p, ctx);
      return gi !== null && pi !== null && intervalsEq(gi, pi, ctx);
    }
    case "tuple": {
      if (g.ratio && p.kind === "scalar") return ratioEq(g, p, ctx);
      if (g.maybeInterval && (p.kind === "interval" || p.kind === "union" || p.kind === "relation")) {
        const gi = asIntervals(g, ctx);
        const pi = asIntervals(p, ctx);
        return gi !== null && pi !== null && intervalsEq(gi, pi, ctx);
      }
      const items = p.kind === "tuple" || p.kind === "list" ? p.items : p.kind === "matrix" ? vectorItems(p) : null;
      return items !== null && orderedEq(g.items, items, ctx);
    }
    case "set":
    case "list": {
      if (p.kind === "set" || p.kind === "list" || (p.kind === "tuple" && g.kind === "list")) {
        if (p.items.length > g.items.length && !hasRepeats(g.items, ctx)) return unorderedEq(g.items, distinct(p.items, ctx), ctx);
        return unorderedEq(g.items, p.items, ctx);
      }
      if (g.items.length === 1) return valueEq(g.items[0], p, ctx);
      return false;
    }
    case "matrix": {
      if (p.kind === "matrix") {
        if (p.rows.length !== g.rows.length || p.rows[0].length !== g.rows[0].length) return false;
        ctx.how = "matrix";
        return g.rows.every((row, i) => orderedEq(row, p.rows[i], ctx));
      }
      const gv = vectorItems(g);
      return gv !== null && (p.kind === "tuple" || p.kind === "list") && orderedEq(gv, p.items, ctx);
    }
    case "text":
      // A listed choice `A` parses as the variable A: compare its name as text.
      return (p.kind === "text" && p.text === g.text) || (p.kind === "scalar" && p.expr.t === "var" && p.expr.name.toLowerCase() === g.text);
  }
}

/** Gold `52_8` ("express in base 8") accepts the digits `52` written without the base, never the decimal value. */
function baseDigitsEq(g: Expr, p: Expr, ctx: Ctx): boolean {
  if (g.t !== "var" || p.t !== "num" || p.v.d !== 1n) return false;
  const m = /^(\d+)_\{?\d+\}?$/.exec(g.name);
  if (!m || BigInt(m[1]) !== p.v.n) return false;
  ctx.how = "base-digits";
  return true;
}

/** `3:5` equals the scalar 3/5 (a ratio given as a fraction). */
function ratioEq(r: Value & { kind: "tuple" }, s: Value & { kind: "scalar" }, ctx: Ctx): boolean {
  const [a, b] = r.items;
  if (a.kind !== "scalar" || b.kind !== "scalar") return false;
  ctx.how = "ratio";
  return scalarEq({ t: "div", a: a.expr, b: b.expr }, s.expr, ctx);
}

/** Entries of a 1xn or nx1 matrix, else null. */
function vectorItems(m: Value & { kind: "matrix" }): Value[] | null {
  if (m.rows.length === 1) return m.rows[0];
  if (m.rows.every((r) => r.length === 1)) return m.rows.map((r) => r[0]);
  return null;
}

/** Every item equals the first (compared as the gold would compare them). */
function allEqual(items: Value[], ctx: Ctx): boolean {
  const saved = ctx.how;
  const same = items.every((v, i) => i === 0 || valueEq(items[0], v, ctx));
  ctx.how = saved;
  return same;
}

/** Whether some item equals an earlier one (a gold listing a root twice means its multiplicity). */
function hasRepeats(items: Value[], ctx: Ctx): boolean {
  return distinct(items, ctx).length !== items.length;
}

/** The items without repeats: a prediction that lists the same solution twice still names one solution. */
function distinct(items: Value[], ctx: Ctx): Value[] {
  if (items.length > 64) return items;
  const saved = ctx.how;
  const out: Value[] = [];
  for (const v of items) if (!out.some((u) => valueEq(u, v, ctx))) out.push(v);
  ctx.how = saved;
  return out;
}

function orderedEq(a: Value[], b: Value[], ctx: Ctx): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!valueEq(a[i], b[i], ctx)) return false;
  return true;
}

/** Multiset equality: every gold item matched by a distinct prediction item. */
function unorderedEq(a: Value[], b: Value[], ctx: Ctx): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  outer: for (const x of a) {
    for (let j = 0; j < b.length; j++) {
      if (!used[j] && valueEq(x, b[j], ctx)) {
        used[j] = true;
        continue outer;
      }
    }
    return false;
  }
  ctx.how = "unordered";
  return true;
}

// ---------- relations ----------

/**
 * What a relation gives as the answer when the gold is a plain value: the last side of an `=`/`\approx` chain whose
 * left side names a quantity (`x = 3`, `f(2) = 5`) or whose last side is a constant (`m+n = 23`, `\binom52 = 10`).
 */
function givenValue(r: Value & { kind: "relation" }): Value | null {
  const assigned = assignedValue(r);
  if (assigned) return assigned;
  if (r.ops.some((op) => op !== "=" && op !== "approx")) return null;
  const last = valueSide(r);
  if (!isConstantValue(last)) return null;
  // `5x - 7y + 11z + 4 = 0`, `y' + ry = 0`: an equation in standard form, not a value 0.
  if (last.kind === "scalar" && last.expr.t === "num" && last.expr.v.n === 0n && r.sides.slice(0, -1).some((s) => !isConstantValue(s))) return null;
  return last;
}

/**
 * What a gold relation gives as a value: the assigned value (`k = 1`, `(x, y) = (1, 2)`) or the end of an all-constant
 * chain (`\binom52 = 10`), or the value of a quantity named by symbols (`\angle BEA_1 = 90`, `\frac{NO}{BO} = ...`, `|AB| = 1`). A gold
 * equation in unknowns (`2x + z = 1`) is the equation itself, never its right side;
 * a prediction may still end its working in the value (`m + n = 23` against 23), see givenValue.
 */
function goldGivenValue(r: Value & { kind: "relation" }): Value | null {
  const first = r.sides[0];
  const names = first.kind === "scalar" && namesQuantity(first.expr);
  return assignedValue(r) ?? (names || r.sides.every(isConstantValue) ? givenValue(r) : null);
}

function isConstantValue(v: Value): boolean {
  switch (v.kind) {
    case "scalar":
      return freeVars(v.expr).size === 0;
    case "tuple":
    case "set":
    case "list":
      return v.items.every(isConstantValue);
    default:
      return false;
  }
}

/** `x = 3` -> 3 (the value assigned to a lone variable), else null. */
function assignedValue(r: Value & { kind: "relation" }): Value | null {
  if (r.ops.length < 1 || r.ops.some((op) => op !== "=" && op !== "approx")) return null;
  const first = r.sides[0];
  if (first.kind === "scalar" && isNameLike(first.expr)) return valueSide(r);
  if (first.kind === "tuple" && first.items.every((i) => i.kind === "scalar" && i.expr.t === "var")) return valueSide(r);
  return null;
}

/**
 * The side a chain gives as its value: the last one before the first `\approx` (`x = 1/3 \approx 0.33` gives 1/3: an
 * approximation that follows is not the answer), else the last side (`x \approx 0.33`).
 */
function valueSide(r: Value & { kind: "relation" }): Value {
  const k = r.ops.indexOf("approx");
  return k > 0 ? r.sides[k] : r.sides[r.sides.length - 1];
}

/** `\angle BEA_1`, `\frac{NO}{BO}`, `|AB|`: symbols, their products, quotients and absolute values name a quantity. */
function namesQuantity(e: Expr): boolean {
  switch (e.t) {
    case "var":
      return true;
    case "mul":
      return e.args.every(namesQuantity);
    case "div":
      return namesQuantity(e.a) && namesQuantity(e.b);
    case "fn":
      return e.name === "abs" && namesQuantity(e.args[0]);
    default:
      return false;
  }
}

/** `x`, `a_1`, `f(x)` (read as f times x), `\sin` ...: a left side that names what is being given. */
function isNameLike(e: Expr): boolean {
  if (e.t === "var" || e.t === "const") return true;
  return e.t === "mul" && e.args.length === 2 && e.args[0].t === "var" && (e.args[1].t === "var" || e.args[1].t === "add");
}

function relationEq(g: Value & { kind: "relation" }, p: Value, ctx: Ctx): boolean {
  const gAssigned = assignedValue(g);
  if (p.kind !== "relation") {
    const given = goldGivenValue(g);
    if (given && p.kind !== "interval" && p.kind !== "union") return valueEq(given, p, ctx);
    if (p.kind === "interval" || p.kind === "union" || (p.kind === "tuple" && p.maybeInterval)) {
      const gi = asIntervals(g, ctx);
      const pi = asIntervals(p, ctx);
      return gi !== null && pi !== null && intervalsEq(gi, pi, ctx);
    }
    return false;
  }
  const pAssigned = assignedValue(p);
  if (gAssigned && pAssigned) {
    if (g.sides[0].kind === "scalar" && p.sides[0].kind === "scalar" && show(g.sides[0].expr) !== show(p.sides[0].expr)) {
      // y = 2x + 3 vs x = (y - 3)/2: fall through to the general equation check.
    } else return valueEq(gAssigned, pAssigned, ctx);
  }
  if (g.ops.every((o) => o === "=") && p.ops.every((o) => o === "=") && g.sides.length === 2 && p.sides.length === 2) {
    const [gl, gr] = g.sides;
    const [pl, pr] = p.sides;
    if (gl.kind === "scalar" && gr.kind === "scalar" && pl.kind === "scalar" && pr.kind === "scalar") {
      ctx.how = "equation";
      return proportional({ t: "add", args: [gl.expr, { t: "neg", a: gr.expr }] }, { t: "add", args: [pl.expr, { t: "neg", a: pr.expr }] }, ctx);
    }
  }
  const gi = asIntervals(g, ctx);
  const pi = asIntervals(p, ctx);
  if (gi && pi) return intervalsEq(gi, pi, ctx);
  // Same chain, possibly written the other way round (a < b vs b > a).
  if (g.sides.length === p.sides.length && g.ops.length === p.ops.length) {
    if (g.ops.every((op, i) => op === p.ops[i]) && orderedEq(g.sides, p.sides, ctx)) return true;
    const flipped = [...p.ops].reverse().map(flip);
    return g.ops.every((op, i) => op === flipped[i]) && orderedEq(g.sides, [...p.sides].reverse(), ctx);
  }
  return false;
}

function flip(op: RelOp): RelOp {
  return op === "<" ? ">" : op === ">" ? "<" : op === "le" ? "ge" : op === "ge" ? "le" : op;
}

// ---------- intervals ----------

interface Iv {
  lo: Expr;
  hi: Expr;
  loClosed: boolean;
  hiClosed: boolean;
}

const NEG_INF: Expr = { t: "neg", a: { t: "const", name: "inf" } };
const POS_INF: Expr = { t: "const", name: "inf" };

/** Reads intervals, unions, open-pair tuples and single-variable inequalities as a list of intervals. */
function asIntervals(v: Value, ctx: Ctx): Iv[] | null {
  switch (v.kind) {
    case "interval":
      return [v];
    case "tuple":
      if (!v.maybeInterval || v.items[0].kind !== "scalar" || v.items[1].kind !== "scalar") return null;
      return [{ lo: v.items[0].expr, hi: v.items[1].expr, loClosed: false, hiClosed: false }];
    case "union": {
      const out: Iv[] = [];
      for (const p of v.parts) {
        const ivs = asIntervals(p, ctx);
        if (!ivs) return null;
        out.push(...ivs);
      }
      return out;
    }
    case "set":
      // {3} inside a union: the degenerate interval [3, 3].
      if (v.items.every((i) => i.kind === "scalar")) return v.items.map((i) => ({ lo: (i as { expr: Expr }).expr, hi: (i as { expr: Expr }).expr, loClosed: true, hiClosed: true }));
      return null;
    case "relation":
      return inequalityInterval(v, ctx);
    case "list": {
      // `x < -2 \text{ or } x > 3`: the union of the items' intervals.
      if (!v.items.every((i) => i.kind === "relation")) return null;
      const out: Iv[] = [];
      for (const item of v.items) {
        const ivs = asIntervals(item, ctx);
        if (!ivs) return null;
        out.push(...ivs);
      }
      return out;
    }
    default:
      return null;
  }
}

/**
 * The set a one-variable inequality describes, as intervals. Sides may be linear in the variable (`-x > -1` is
 * `x < 1`: dividing by a negative slope flips the relation), an absolute value of a linear expression (`|x - 3| < 2`,
 * `1 \le |z| \le \frac32` is two intervals), or in a chain `a < M < b` a named quantity (`0 < f(x) < 1` is the
 * range (0, 1)).
 */
function inequalityInterval(r: Value & { kind: "relation" }, ctx: Ctx): Iv[] | null {
  if (r.sides.some((s) => s.kind !== "scalar")) return null;
  const sides = r.sides.map((s) => (s as { expr: Expr }).expr);
  const isVar = (e: Expr) => e.t === "var";
  const strict = (op: RelOp) => op === "<" || op === ">";
  if (sides.length === 2) {
    const [a, b] = sides;
    let op = r.ops[0];
    if (op === "=" || op === "approx") return null;
    let bound: Expr;
    if (isVar(a) && !isVar(b) && freeVars(b).size === 0) bound = b;
    else if (isVar(b) && !isVar(a) && freeVars(a).size === 0) {
      bound = a;
      op = flip(op);
    } else {
      // Move everything to one side: f(x) op 0 with f linear, or |u| op c.
      const absSide = a.t === "fn" && a.name === "abs" && freeVars(b).size === 0 ? 0 : b.t === "fn" && b.name === "abs" && freeVars(a).size === 0 ? 1 : -1;
      if (absSide >= 0) {
        const u = (absSide === 0 ? a : b) as Expr & { t: "fn" };
        const c = absSide === 0 ? b : a;
        const o = absSide === 0 ? op : flip(op);
        if (o === "ne") return null;
        const lin = linearIn(u.args[0], ctx);
        if (!lin) return null;
        const negC: Expr = { t: "neg", a: c };
        if (o === "<" || o === "le") return linearRange(lin, negC, c, !strict(o), !strict(o));
        const lo = linearRange(lin, NEG_INF, negC, false, !strict(o));
        const hi = linearRange(lin, c, POS_INF, !strict(o), false);
        return lo && hi ? [...lo, ...hi] : null;
      }
      const lin = linearIn({ t: "add", args: [a, { t: "neg", a: b }] }, ctx);
      if (!lin) return null;
      const zero: Expr = { t: "num", v: Q.ZERO };
      if (op === "<" || op === "le") return linearRange(lin, NEG_INF, zero, false, !strict(op));
      if (op === ">" || op === "ge") return linearRange(lin, zero, POS_INF, !strict(op), false);
      return null;
    }
    if (op === "<" || op === "le") return [{ lo: NEG_INF, hi: bound, loClosed: false, hiClosed: !strict(op) }];
    if (op === ">" || op === "ge") return [{ lo: bound, hi: POS_INF, loClosed: !strict(op), hiClosed: false }];
    if (op === "ne") return [{ lo: NEG_INF, hi: bound, loClosed: false, hiClosed: false }, { lo: bound, hi: POS_INF, loClosed: false, hiClosed: false }];
    return null;
  }
  if (sides.length === 3 && freeVars(sides[0]).size === 0 && freeVars(sides[2]).size === 0) {
    const [o1, o2] = r.ops;
    const up = (o: RelOp) => o === "<" || o === "le";
    const down = (o: RelOp) => o === ">" || o === "ge";
    let lo: Expr;
    let hi: Expr;
    let loClosed: boolean;
    let hiClosed: boolean;
    if (up(o1) && up(o2)) [lo, hi, loClosed, hiClosed] = [sides[0], sides[2], !strict(o1), !strict(o2)];
    else if (down(o1) && down(o2)) [lo, hi, loClosed, hiClosed] = [sides[2], sides[0], !strict(o2), !strict(o1)];
    else return null;
    const mid = sides[1];
    if (isVar(mid) || isNameLike(mid)) return [{ lo, hi, loClosed, hiClosed }];
    if (mid.t === "fn" && mid.name === "abs") {
      // a <= |u| <= b with a >= 0: u in [-b, -a] or [a, b].
      const lin = linearIn(mid.args[0], ctx);
      const a0 = evalComplex(lo, EMPTY, ctx.budget);
      if (!lin || !(a0.re >= 0) || a0.im !== 0) return null;
      const neg = linearRange(lin, { t: "neg", a: hi }, { t: "neg", a: lo }, hiClosed, loClosed);
      const pos = linearRange(lin, lo, hi, loClosed, hiClosed);
      return neg && pos ? [...neg, ...pos] : null;
    }
    const lin = linearIn(mid, ctx);
    return lin ? linearRange(lin, lo, hi, loClosed, hiClosed) : null;
  }
  return null;
}

/** f = slope * v + at0 in its one free variable v (checked at sample points), or null. */
interface Linear {
  slope: Expr;
  at0: Expr;
  negative: boolean;
}

function linearIn(f: Expr, ctx: Ctx): Linear | null {
  const vars = freeVars(f);
  if (vars.size !== 1) return null;
  const [v] = vars;
  const at0 = substitute(f, v, { t: "num", v: Q.ZERO });
  const at1 = substitute(f, v, { t: "num", v: Q.ONE });
  const slope: Expr = { t: "add", args: [at1, { t: "neg", a: at0 }] };
  const s = evalComplex(slope, EMPTY, ctx.budget);
  const b = evalComplex(at0, EMPTY, ctx.budget);
  if (!isFiniteC(s) || !isFiniteC(b) || s.im !== 0 || b.im !== 0 || Math.abs(s.re) < 1e-12) return null;
  for (const t of [2.5, -1.75, 7.25]) {
    const y = evalComplex(f, new Map([[v, { re: t, im: 0 }]]), ctx.budget);
    if (!isFiniteC(y) || !closeC(y, { re: s.re * t + b.re, im: 0 }, 1e-9)) return null;
  }
  return { slope, at0, negative: s.re < 0 };
}

/** The v for which lo (op) slope*v + at0 (op) hi: an interval, its ends swapped when the slope is negative. */
function linearRange(l: Linear, lo: Expr, hi: Expr, loClosed: boolean, hiClosed: boolean): Iv[] {
  const solve = (y: Expr): Expr => (hasInfinity(y) ? (l.negative ? { t: "neg", a: y } : y) : { t: "div", a: { t: "add", args: [y, { t: "neg", a: l.at0 }] }, b: l.slope });
  if (l.negative) return [{ lo: solve(hi), hi: solve(lo), loClosed: hiClosed, hiClosed: loClosed }];
  return [{ lo: solve(lo), hi: solve(hi), loClosed, hiClosed }];
}

function intervalsEq(a: Iv[], b: Iv[], ctx: Ctx): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  outer: for (const x of a) {
    for (let j = 0; j < b.length; j++) {
      const y = b[j];
      if (!used[j] && x.loClosed === y.loClosed && x.hiClosed === y.hiClosed && endpointEq(x.lo, y.lo, ctx) && endpointEq(x.hi, y.hi, ctx)) {
        used[j] = true;
        continue outer;
      }
    }
    return false;
  }
  ctx.how = "interval";
  return true;
}

function endpointEq(a: Expr, b: Expr, ctx: Ctx): boolean {
  const ia = hasInfinity(a);
  const ib = hasInfinity(b);
  if (ia || ib) {
    if (!(ia && ib)) return false;
    const va = evalComplex(a, EMPTY, ctx.budget);
    const vb = evalComplex(b, EMPTY, ctx.budget);
    return Math.sign(va.re) === Math.sign(vb.re);
  }
  return scalarEq(a, b, ctx);
}

// ---------- scalars ----------

const EMPTY = new Map<string, C>();

/** Exact when both are rational, else symbolic text, else numeric at random points (complex arithmetic). */
export function scalarEq(a: Expr, b: Expr, ctx: Ctx): boolean {
  if (show(a) === show(b)) {
    ctx.how = "symbolic";
    return true;
  }
  const ea = evalExact(a, ctx.budget);
  if (ea) {
    const eb = evalExact(b, ctx.budget);
    if (eb) {
      ctx.how = "rational";
      if (Q.eq(ea, eb)) return true;
      if (approximates(ea, null, b)) {
        ctx.how = "decimal-approximation";
        return true;
      }
      return false;
    }
  }
  const va = freeVars(a);
  const vb = freeVars(b);
  if (va.size !== vb.size || [...va].some((v) => !vb.has(v))) {
    ctx.how = "variables";
    return false;
  }
  if (va.size === 0) {
    ctx.how = "numeric";
    const x = evalComplex(a, EMPTY, ctx.budget);
    const y = evalComplex(b, EMPTY, ctx.budget);
    if (!isFiniteC(x) || !isFiniteC(y)) return hasInfinity(a) && hasInfinity(b) && Math.sign(x.re) === Math.sign(y.re) && !Number.isNaN(x.re);
    if (closeC(x, y, ctx.o.relTol)) return true;
    if (x.im === 0 && approximates(null, x.re, b)) {
      ctx.how = "decimal-approximation";
      return true;
    }
    return false;
  }
  ctx.how = "sampled";
  let valid = 0;
  const complex = usesImaginary(a) || usesImaginary(b);
  const counting = boundVars(a, boundVars(b));
  for (const env of samplePoints([...va].sort(), ctx.o.samplePoints, complex, counting)) {
    const x = evalComplex(a, env, ctx.budget);
    const y = evalComplex(b, env, ctx.budget);
    const fx = isFiniteC(x);
    const fy = isFiniteC(y);
    if (!fx && !fy) continue;
    if (fx !== fy) return false;
    if (!closeC(x, y, Math.max(ctx.o.relTol, 1e-9))) return false;
    valid++;
  }
  return valid >= 2;
}

// ---------- decimal approximations ----------

/** Fewest significant digits a decimal must carry to stand for a gold it cannot write exactly. */
export const APPROX_MIN_DIGITS = 6;

/** A decimal literal as written, possibly signed or in scientific form (`-0.0833333`, `8.33333 \times 10^{-2}`). */
function decimalLiteral(e: Expr): { v: Q.Rational; sig: number; exp: number } | null {
  if (e.t === "num") return e.digits ? { v: e.v, sig: e.digits.sig, exp: e.digits.exp } : null;
  if (e.t === "neg") {
    const d = decimalLiteral(e.a);
    return d && { ...d, v: Q.neg(d.v) };
  }
  if (e.t === "mul" && e.args.length === 2 && e.args[1].t === "pow") {
    const d = decimalLiteral(e.args[0]);
    const p = e.args[1];
    const k = p.b.t === "num" ? p.b.v : p.b.t === "neg" && p.b.a.t === "num" ? Q.neg(p.b.a.v) : null;
    if (!d || p.a.t !== "num" || !Q.eq(p.a.v, Q.rat(10n)) || !k || !Q.isInt(k) || k.n > 400n || k.n < -400n) return null;
    return { v: Q.mul(d.v, Q.powInt(Q.rat(10n), k.n)), sig: d.sig, exp: d.exp + Number(k.n) };
  }
  return null;
}

/** Whether the rational's decimal expansion ends (its denominator has no prime factor but 2 and 5). */
function terminates(q: Q.Rational): boolean {
  let d = q.d;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}

/**
 * The decimal-approximation rule: a prediction written as a decimal stands for a gold that has no finite decimal
 * form (`\frac{1}{12}`, `\sqrt2`, `\pi`) when it carries at least APPROX_MIN_DIGITS significant digits and equals the
 * gold rounded or truncated at its last written digit. Golds with a finite decimal form (`27.39`, `\frac18`) must be
 * written exactly; coarse roundings (`0.9091` for `\frac{10}{11}`, `3.14` for `\pi`) are wrong.
 */
function approximates(goldExact: Q.Rational | null, goldFloat: number | null, pred: Expr): boolean {
  const lit = decimalLiteral(pred);
  if (!lit || lit.sig < APPROX_MIN_DIGITS) return false;
  if (goldExact) {
    if (terminates(goldExact)) return false;
    const ulp = lit.exp >= 0 ? Q.rat(10n ** BigInt(lit.exp)) : Q.rat(1n, 10n ** BigInt(-lit.exp));
    const q = Q.div(goldExact, ulp);
    const neg = q.n < 0n;
    const abs = neg ? -q.n : q.n;
    const trunc = abs / q.d;
    const round = (2n * abs + q.d) / (2n * q.d);
    const p = Q.div(lit.v, ulp);
    if (!Q.isInt(p)) return false;
    const pAbs = p.n < 0n ? -p.n : p.n;
    return (p.n < 0n) === neg && (pAbs === trunc || pAbs === round);
  }
  if (goldFloat === null || !Number.isFinite(goldFloat)) return false;
  const p = Q.toNumber(lit.v);
  if (lit.sig > 15) return Math.abs(p - goldFloat) <= 1e-14 * Math.abs(goldFloat);
  const ulp = 10 ** lit.exp;
  const q = Math.abs(goldFloat) / ulp;
  const pa = Math.abs(p) / ulp;
  return Math.sign(p) === Math.sign(goldFloat) && (Math.abs(pa - Math.trunc(q)) < 1e-6 || Math.abs(pa - Math.round(q)) < 1e-6);
}

/** f = c * g for a nonzero constant c at every sample point (equivalent equations f = 0, g = 0). */
function proportional(f: Expr, g: Expr, ctx: Ctx): boolean {
  const vars = [...new Set([...freeVars(f), ...freeVars(g)])].sort();
  if (vars.length === 0) return false;
  const fv = freeVars(f);
  const gv = freeVars(g);
  if (fv.size !== gv.size || [...fv].some((v) => !gv.has(v))) return false;
  let ratio: C | null = null;
  let valid = 0;
  for (const env of samplePoints(vars, ctx.o.samplePoints, usesImaginary(f) || usesImaginary(g))) {
    const x = evalComplex(f, env, ctx.budget);
    const y = evalComplex(g, env, ctx.budget);
    if (!isFiniteC(x) || !isFiniteC(y)) continue;
    const yAbs = Math.hypot(y.re, y.im);
    const xAbs = Math.hypot(x.re, x.im);
    if (yAbs < 1e-12 || xAbs < 1e-12) {
      if (yAbs < 1e-12 && xAbs < 1e-12) continue;
      return false;
    }
    const den = y.re * y.re + y.im * y.im;
    const r = { re: (x.re * y.re + x.im * y.im) / den, im: (x.im * y.re - x.re * y.im) / den };
    if (ratio === null) ratio = r;
    else if (!closeC(ratio, r, 1e-8)) return false;
    valid++;
  }
  return valid >= 2;
}

const usesImaginary = (e: Expr): boolean => hasConst(e, "i");
const NO_VARS: ReadonlySet<string> = new Set();

/**
 * Deterministic evaluation points: mostly positive reals, some negative; one complex point only when an answer
 * mentions i (real-variable answers such as |x| and sqrt(x^2) agree on the reals, where the problems live).
 */
function* samplePoints(vars: string[], n: number, complex: boolean, integers: ReadonlySet<string> = NO_VARS): Generator<Map<string, C>> {
  const rnd = mulberry32(0x9e3779b9);
  for (let k = 0; k < n; k++) {
    const env = new Map<string, C>();
    for (const v of vars) {
      const mag = 0.4 + 2.2 * rnd();
      if (integers.has(v)) env.set(v, { re: 1 + k + Math.floor(3 * mag), im: 0 });
      else if (k < n - 3) env.set(v, { re: mag, im: 0 });
      else if (k < n - 1 || !complex) env.set(v, { re: -mag, im: 0 });
      else env.set(v, { re: mag, im: 0.3 + rnd() });
    }
    yield env;
  }
}
