// The project's one seeded PRNG. Everything that must be reproducible from a seed (bootstrap intervals, evaluation
// points for symbolic equivalence, tiny test models, fuzz cases, synthetic data) draws from it, so a seed means the
// same stream everywhere and on every platform.

/** mulberry32: a small, fast, seeded 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Convenience wrapper over mulberry32. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** Integer in [lo, hi] skewed towards lo (for sizes and depths). */
  skewed(lo: number, hi: number): number {
    const u = this.next();
    return lo + Math.floor(u * u * u * (hi - lo + 1));
  }
  digits(len: number, leadingZeroOk = false): string {
    let s = "";
    for (let i = 0; i < len; i++) s += String(i === 0 && !leadingZeroOk ? this.int(1, 9) : this.int(0, 9));
    return s;
  }
}
