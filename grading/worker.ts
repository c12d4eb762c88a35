// Worker-thread side of the GraderPool: grades chunks of items with `grade` and reports each item's start on a
// shared heartbeat so the main thread can kill it when one item runs past the time budget.
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { grade } from "./grade.js";
import type { GradeOptions } from "./options.js";
import type { GradeResult } from "./result.js";

/**
 * TEST-ONLY hook. A gold string of the form `SLOW_STEP_FOR_TESTS + "<ms>\u0000" + realGold` makes the worker
 * busy-loop `<ms>` milliseconds before grading `realGold`. It exists solely so tests can inject a slow,
 * uninterruptible step and exercise the pool's timeout path; nothing else should produce such a gold string.
 * The prefix starts with a NUL character, which never occurs in real gold answers.
 */
export const SLOW_STEP_FOR_TESTS = "\u0000openrs-test-slow:";

/** Builds a test gold string that stalls the worker for `ms` milliseconds before grading `gold` (tests only). */
export function slowGoldForTests(ms: number, gold: string): string {
  return `${SLOW_STEP_FOR_TESTS}${Math.max(0, Math.floor(ms))}\u0000${gold}`;
}

/**
 * TEST-ONLY hook, like SLOW_STEP_FOR_TESTS: a gold string starting with this prefix makes the worker thread exit
 * abruptly (exit code 70) instead of grading, so tests can exercise the pool's crash recovery.
 */
export const CRASH_FOR_TESTS = "\u0000openrs-test-crash\u0000";

/** Data handed to each worker at spawn time. */
export interface WorkerInit {
  /** Marker so that importing this module on the main thread (e.g. for SLOW_STEP_FOR_TESTS) does nothing. */
  openrsGraderWorker: true;
  /** Grader options: the pool's resolved options, with its budget as `budgetMs`. */
  options: Partial<GradeOptions> | string | undefined;
  /** Resolved preset name, for results the worker makes up itself. */
  preset: string;
  /** Int32Array over a SharedArrayBuffer: [itemsStarted, startMs]; startMs is relative to `epochMs`. */
  heartbeat: SharedArrayBuffer;
  /** `performance.timeOrigin + performance.now()` origin both threads measure start times from. */
  epochMs: number;
}

/** Main thread → worker: grade these items, in order. */
export interface ChunkMessage {
  type: "chunk";
  chunk: number;
  items: [completion: string, gold: string][];
}

/** Worker → main thread. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "results"; chunk: number; k0: number; results: GradeResult[] };

/**
 * Results travel in small batches (one message per item halves throughput); a batch is flushed after this many
 * items or this many milliseconds, so the main thread still sees progress. Items finished but not yet flushed when
 * a worker is killed are simply graded again.
 */
const FLUSH_ITEMS = 32;
const FLUSH_MS = 20;

/** Heartbeat slots. */
export const HB_STARTED = 0;
export const HB_START_MS = 1;

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  let spins = 0;
  while (performance.now() < end) spins++;
  if (spins < 0) throw new Error("unreachable");
}

/** Applies the test-only slow-step hook; returns the real gold string. */
function applyTestHook(gold: string): string {
  if (gold.startsWith(CRASH_FOR_TESTS)) process.exit(70);
  if (!gold.startsWith(SLOW_STEP_FOR_TESTS)) return gold;
  const rest = gold.slice(SLOW_STEP_FOR_TESTS.length);
  const end = rest.indexOf("\u0000");
  if (end < 0) return gold;
  const ms = Number(rest.slice(0, end));
  if (Number.isFinite(ms) && ms > 0) busyWait(ms);
  return rest.slice(end + 1);
}

function run(init: WorkerInit): void {
  const port = parentPort!;
  const hb = new Int32Array(init.heartbeat);
  let started = 0;
  port.on("message", (msg: ChunkMessage) => {
    if (msg?.type !== "chunk") return;
    let pending: GradeResult[] = [];
    let k0 = 0;
    let lastFlush = performance.now();
    const flush = () => {
      if (pending.length > 0) port.postMessage({ type: "results", chunk: msg.chunk, k0, results: pending } satisfies WorkerMessage);
      k0 += pending.length;
      pending = [];
      lastFlush = performance.now();
    };
    for (let k = 0; k < msg.items.length; k++) {
      const [completion, gold] = msg.items[k];
      // Start time first, then the counter: a reader that sees the new counter also sees the new start time.
      Atomics.store(hb, HB_START_MS, Math.round(performance.timeOrigin + performance.now() - init.epochMs));
      Atomics.store(hb, HB_STARTED, ++started);
      let result: GradeResult;
      try {
        result = grade(completion, applyTestHook(gold), init.options);
      } catch {
        // `grade` promises never to throw; if it does anyway, report it for this item and keep the worker alive.
        result = {
          correct: false,
          extracted: null,
          rule: null,
          reason: "grader-error",
          goldParsed: null,
          predParsed: null,
          preset: init.preset,
          ms: performance.timeOrigin + performance.now() - init.epochMs - Atomics.load(hb, HB_START_MS),
        };
      }
      pending.push(result);
      if (pending.length >= FLUSH_ITEMS || performance.now() - lastFlush > FLUSH_MS) flush();
    }
    flush();
  });
  port.postMessage({ type: "ready" } satisfies WorkerMessage);
}

if (!isMainThread && parentPort && (workerData as WorkerInit | undefined)?.openrsGraderWorker === true) {
  run(workerData as WorkerInit);
}
