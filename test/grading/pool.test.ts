// The worker pool: input order, hard time budget, crash recovery, close. Uses only gold "42" vs "\boxed{42}" /
// "\boxed{41}" so the assertions do not depend on the grader's math. Needs the compiled worker (npm run build).
import { afterEach, describe, expect, it } from "vitest";
import { GraderPool, gradeBatch } from "../../grading/pool.js";
import { grade } from "../../grading/grade.js";
import { resolveOptions } from "../../grading/options.js";
import { CRASH_FOR_TESTS, slowGoldForTests } from "../../grading/worker.js";
import { SLOW_PAIR } from "../support/slow-pair.js";

const RIGHT = "The answer is \\boxed{42}.";
const WRONG = "The answer is \\boxed{41}.";

const pools: GraderPool[] = [];
function pool(opts: ConstructorParameters<typeof GraderPool>[0]): GraderPool {
  const p = new GraderPool(opts);
  pools.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function items(n: number) {
  return Array.from({ length: n }, (_, i) => ({ completion: i % 3 === 0 ? WRONG : RIGHT, gold: "42", i }));
}

describe("GraderPool", () => {
  it("grades one item and reports the preset", async () => {
    const p = pool({ jobs: 1, options: "reward" });
    const right = await p.grade(RIGHT, "42");
    const wrong = await p.grade(WRONG, "42");
    expect(right.correct).toBe(true);
    expect(right.extracted).toBe("42");
    expect(right.preset).toBe("reward");
    expect(wrong.correct).toBe(false);
    expect(wrong.extracted).toBe("41");
  });

  it("returns results in input order, with progress callbacks", async () => {
    const input = items(500);
    const seen: number[] = [];
    const p = pool({ jobs: 2, chunkSize: 16 });
    const out = await p.gradeMany(input, (done, total) => {
      expect(total).toBe(500);
      seen.push(done);
    });
    expect(out).toHaveLength(500);
    out.forEach((r, i) => {
      expect(r.extracted).toBe(i % 3 === 0 ? "41" : "42");
      expect(r.correct).toBe(i % 3 !== 0);
    });
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(p.stats.workers).toBeLessThanOrEqual(2);
  });

  it("handles an empty batch and many concurrent single grades", async () => {
    const p = pool({ jobs: 2 });
    expect(await p.gradeMany([])).toEqual([]);
    const rs = await Promise.all(items(100).map((it) => p.grade(it.completion, it.gold)));
    rs.forEach((r, i) => {
      expect(r.extracted).toBe(i % 3 === 0 ? "41" : "42");
    });
  });

  it("times out a slow item within budget + grace while the rest of its chunk completes", async () => {
    const budgetMs = 300;
    const graceMs = 100;
    const p = pool({ jobs: 1, budgetMs, graceMs, chunkSize: 64, options: "eval" });
    const input: { completion: string; gold: string }[] = items(40);
    input[5] = { completion: RIGHT, gold: slowGoldForTests(10_000, "42") };
    const t0 = performance.now();
    const out = await p.gradeMany(input);
    const wall = performance.now() - t0;
    expect(out[5]).toMatchObject({ correct: false, reason: "timeout", extracted: null, preset: "eval" });
    expect(out[5].ms).toBeGreaterThanOrEqual(budgetMs + graceMs);
    expect(out[5].ms).toBeLessThan(budgetMs + graceMs + 1000);
    expect(wall).toBeLessThan(5000); // far less than the 10 s slow step: the worker was killed
    out.forEach((r, i) => {
      if (i !== 5) expect(r.extracted).toBe(i % 3 === 0 ? "41" : "42");
    });
    expect(p.stats.timeouts).toBe(1);
  });

  it("keeps working after a timeout (respawned worker)", async () => {
    const p = pool({ jobs: 1, budgetMs: 300, graceMs: 100 });
    const slow = await p.grade(RIGHT, slowGoldForTests(5_000, "42"));
    expect(slow.reason).toBe("timeout");
    const after = await p.gradeMany(items(30));
    after.forEach((r, i) => {
      expect(r.correct).toBe(i % 3 !== 0);
    });
    // A slow step under the budget is not a timeout.
    const okSlow = await p.grade(RIGHT, slowGoldForTests(20, "42"));
    expect(okSlow.correct).toBe(true);
  });

  it("with 2 jobs, several timeouts in flight do not lose or reorder items", async () => {
    const p = pool({ jobs: 2, budgetMs: 300, graceMs: 100, chunkSize: 8 });
    const input: { completion: string; gold: string }[] = items(60);
    for (const k of [3, 17, 18, 40]) input[k] = { completion: RIGHT, gold: slowGoldForTests(5_000, "42") };
    const out = await p.gradeMany(input);
    out.forEach((r, i) => {
      if ([3, 17, 18, 40].includes(i)) expect(r.reason).toBe("timeout");
      else expect(r.extracted).toBe(i % 3 === 0 ? "41" : "42");
    });
    expect(p.stats.timeouts).toBe(4);
  });

  it("a crashing worker yields worker-crash for that item and loses nothing else", async () => {
    const p = pool({ jobs: 1, chunkSize: 64 });
    const input: { completion: string; gold: string }[] = items(50);
    input[20] = { completion: RIGHT, gold: `${CRASH_FOR_TESTS}42` };
    const out = await p.gradeMany(input);
    expect(out[20]).toMatchObject({ correct: false, reason: "worker-crash", extracted: null });
    out.forEach((r, i) => {
      if (i !== 20) expect(r.extracted).toBe(i % 3 === 0 ? "41" : "42");
    });
    expect(p.stats.crashes).toBe(1);
    expect((await p.grade(RIGHT, "42")).correct).toBe(true);
  });

  it("close() terminates the workers and rejects later and pending work", async () => {
    const p = pool({ jobs: 2 });
    await p.gradeMany(items(200));
    expect(p.stats.workers).toBeGreaterThan(0);
    const pending = p.grade(RIGHT, slowGoldForTests(5_000, "42")).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await p.close();
    expect(p.stats.workers).toBe(0);
    expect(await pending).toBeInstanceOf(Error);
    expect(String(await pending)).toMatch(/closed/);
    await expect(p.grade(RIGHT, "42")).rejects.toThrow(/closed/);
    await p.close(); // idempotent
  });

  it("supports await using", async () => {
    let inner: GraderPool | undefined;
    {
      await using p = new GraderPool({ jobs: 1 });
      inner = p;
      expect((await p.grade(RIGHT, "42")).correct).toBe(true);
    }
    expect(inner.stats.workers).toBe(0);
    await expect(inner.grade(RIGHT, "42")).rejects.toThrow(/closed/);
  });

  it("one budget: the pool's budgetMs is the deadline the worker grades under, whatever the options say", async () => {
    const slow = grade(SLOW_PAIR.completion, SLOW_PAIR.gold, resolveOptions({ budgetMs: 60_000 }));
    expect(slow.reason).toBe("equal:sampled"); // the pair is right, and slow, when time allows
    const tight = pool({ jobs: 1, budgetMs: 10, options: { budgetMs: 60_000 } });
    await tight.grade(RIGHT, "42"); // worker start-up is not part of the item's time
    const t = await tight.grade(SLOW_PAIR.completion, SLOW_PAIR.gold);
    expect(t.reason).toBe("timeout");
    expect(t.ms).toBeLessThan(250); // the in-thread deadline, not the kill at budget + grace
    const loose = pool({ jobs: 1, budgetMs: 60_000, options: { budgetMs: 10 } });
    expect((await loose.grade(SLOW_PAIR.completion, SLOW_PAIR.gold)).reason).toBe("equal:sampled");
  });

  it("rejects an unknown preset up front", () => {
    expect(() => new GraderPool({ options: "no-such-preset" })).toThrow(/no-such-preset/);
  });

  it("gradeBatch grades and closes", async () => {
    const out = await gradeBatch(items(10), { jobs: 2 });
    expect(out.map((r) => r.extracted)).toEqual(items(10).map((_, i) => (i % 3 === 0 ? "41" : "42")));
  });
});
