// Option checking shared by the reward functions: unknown keys and wrong types are errors that name the option.

/** Throws on keys of `given` that are not in `known`, naming the function and the known keys. */
export function rejectUnknown(fn: string, given: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(given)) {
    if (!known.includes(k)) throw new Error(`reward "${fn}": unknown option "${k}" (known: ${known.join(", ") || "none"})`);
  }
}

export function finiteNumber(fn: string, key: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`reward "${fn}": option "${key}" must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

export function positiveNumber(fn: string, key: string, v: unknown): number {
  const n = finiteNumber(fn, key, v);
  if (n <= 0) throw new Error(`reward "${fn}": option "${key}" must be > 0, got ${n}`);
  return n;
}

export function positiveInt(fn: string, key: string, v: unknown): number {
  const n = finiteNumber(fn, key, v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`reward "${fn}": option "${key}" must be a positive integer, got ${n}`);
  return n;
}

export function oneOf<T extends string>(fn: string, key: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw new Error(`reward "${fn}": option "${key}" must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Checks that a batch is aligned: the lists have equal length. */
export function checkAligned(fn: string, completions: readonly unknown[], golds: readonly unknown[]): void {
  if (!Array.isArray(completions) || !Array.isArray(golds)) throw new Error(`reward "${fn}": completions and golds must be arrays`);
  if (completions.length !== golds.length) {
    throw new Error(`reward "${fn}": ${completions.length} completions but ${golds.length} golds`);
  }
}
