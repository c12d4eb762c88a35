// Cooperative time and size budget threaded through parsing and evaluation, so single calls stay bounded.

export class BudgetExceeded extends Error {
  constructor(readonly what: string) {
    super(`budget exceeded: ${what}`);
  }
}

/** A deadline plus a step counter; `tick()` is cheap and checks the clock every 256 steps. */
export class Budget {
  private steps = 0;
  constructor(readonly deadline: number) {}
  static ms(ms: number): Budget {
    return new Budget(performance.now() + ms);
  }
  static unlimited(): Budget {
    return new Budget(Number.POSITIVE_INFINITY);
  }
  tick(): void {
    if ((++this.steps & 255) === 0 && performance.now() > this.deadline) throw new BudgetExceeded("time");
  }
  check(): void {
    if (performance.now() > this.deadline) throw new BudgetExceeded("time");
  }
}
