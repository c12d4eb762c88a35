// Bounded pool of worker threads that run `grade` with a hard per-item time budget: an item that runs past the
// budget (synchronous code cannot be interrupted in-thread) gets its worker terminated and a "timeout" verdict,
// the worker is respawned, and the rest of its chunk is re-queued. Crashed workers never lose items either.
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ResourceLimits, Worker } from "node:worker_threads";
import { type GradeOptions, resolveOptions } from "./options.js";
import type { GradeResult } from "./result.js";
import type { ChunkMessage, WorkerInit, WorkerMessage } from "./worker.js";

/** One completion to grade against its gold answer. */
export interface GradeItem {
  completion: string;
  gold: string;
}

export interface GraderPoolOptions {
  /** Maximum number of worker threads (default: min(available cores, 4)). Workers are started on demand. */
  jobs?: number;
  /** Grader options or preset name, passed to `grade` unchanged. */
  options?: Partial<GradeOptions> | string;
  /**
   * Hard time budget per item in ms (default: the options' `budgetMs`, 1000 in every preset). It replaces the
   * options' `budgetMs`, so the in-thread deadline and the pool's kill deadline are one value.
   */
  budgetMs?: number;
  /** Extra time allowed past `budgetMs` before the worker is terminated (default 250 ms). */
  graceMs?: number;
  /** Largest number of items sent to a worker in one message (default 64). */
  chunkSize?: number;
  /** Heap limits for each worker, so a runaway grade crashes its worker ("worker-crash") rather than the process. */
  resourceLimits?: ResourceLimits;
}

interface Task {
  completion: string;
  gold: string;
  settled: boolean;
  resolve: (r: GradeResult) => void;
  reject: (e: Error) => void;
}

interface Chunk {
  id: number;
  tasks: Task[];
  done: boolean[];
  remaining: number;
}

interface Slot {
  worker: Worker;
  /** Shared heartbeat written by the worker: [itemsStarted, startMs relative to the pool epoch]. */
  hb: Int32Array;
  /** Items this worker had been sent before the current chunk (so hb[0] - base - 1 is the current index). */
  base: number;
  ready: boolean;
  dead: boolean;
  error: Error | null;
  chunk: Chunk | null;
}

// Heartbeat slots (kept in step with worker.ts; not imported so the main thread never loads the worker module).
const HB_STARTED = 0;
const HB_START_MS = 1;

const DEFAULT_CHUNK = 64;
const DEFAULT_GRACE_MS = 250;

/** Default worker count: the available cores, at most 4. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

/** How a worker thread is started: a script file, or (from source) code that loads the TypeScript worker. */
type WorkerEntry = { kind: "file"; url: URL } | { kind: "source"; code: string };

let workerEntryCache: WorkerEntry | null = null;

/**
 * Locates the worker. From the build output (dist/grading/pool.js) it is the sibling dist/grading/worker.js. Run
 * from source (grading/pool.ts under vitest or tsx), worker threads do not inherit the TypeScript loader, so the
 * worker registers tsx itself and then imports grading/worker.ts: tests and tools need no build first.
 */
function workerEntry(): WorkerEntry {
  if (workerEntryCache) return workerEntryCache;
  const fromSource = /\.[cm]?ts$/.test(new URL(import.meta.url).pathname);
  if (!fromSource) {
    const url = new URL("./worker.js", import.meta.url);
    if (!existsSync(fileURLToPath(url))) throw new Error(`GraderPool: worker script not found at ${fileURLToPath(url)}; run \`npm run build\` first`);
    workerEntryCache = { kind: "file", url };
    return workerEntryCache;
  }
  let tsx: string;
  try {
    // The ESM entry of tsx's register API (require.resolve would give its CommonJS twin).
    const pkgFile = createRequire(import.meta.url).resolve("tsx/package.json");
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { exports: Record<string, { import: { default: string } }> };
    tsx = pathToFileURL(join(dirname(pkgFile), pkg.exports["./esm/api"].import.default)).href;
  } catch {
    throw new Error("GraderPool: running from TypeScript source needs the dev dependency tsx (npm ci), or run the built dist/");
  }
  const worker = new URL("./worker.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); });`;
  workerEntryCache = { kind: "source", code };
  return workerEntryCache;
}

function clampInt(v: number | undefined, dflt: number, min: number): number {
  if (v === undefined || !Number.isFinite(v)) return dflt;
  return Math.max(min, Math.floor(v));
}

/**
 * A bounded pool of grader worker threads.
 *
 * ```ts
 * await using pool = new GraderPool({ jobs: 4, options: "eval" });
 * const results = await pool.gradeMany(items, (done, total) => {});
 * ```
 *
 * Every item resolves to a GradeResult: items that exceed the time budget get `reason: "timeout"`, items whose
 * worker crashed get `reason: "worker-crash"`. Promises reject only when the pool is closed or the worker script
 * cannot be loaded at all.
 */
export class GraderPool {
  readonly jobs: number;
  readonly budgetMs: number;
  readonly graceMs: number;
  readonly chunkSize: number;
  readonly preset: string;
  private readonly options: Partial<GradeOptions>;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly epochMs = performance.timeOrigin + performance.now();
  private readonly queue: Task[] = [];
  private readonly slots: Slot[] = [];
  private readonly terminating = new Set<Promise<unknown>>();
  private nextChunkId = 1;
  private dispatchScheduled = false;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private failure: Error | null = null;
  private timeouts = 0;
  private crashes = 0;

  constructor(opts: GraderPoolOptions = {}) {
    const resolved = resolveOptions(opts.options); // throws on an unknown preset name
    this.preset = resolved.preset;
    this.jobs = clampInt(opts.jobs, defaultJobs(), 1);
    this.budgetMs = Math.max(1, opts.budgetMs ?? resolved.budgetMs);
    // One budget: the worker's cooperative in-thread deadline and the pool's kill deadline are the same number.
    this.options = { ...resolved, budgetMs: this.budgetMs };
    this.graceMs = Math.max(0, opts.graceMs ?? DEFAULT_GRACE_MS);
    this.chunkSize = clampInt(opts.chunkSize, DEFAULT_CHUNK, 1);
    this.resourceLimits = opts.resourceLimits;
    workerEntry(); // fail fast with a clear message
  }

  /** Counts of items that timed out and of worker crashes so far. */
  get stats(): { timeouts: number; crashes: number; workers: number } {
    return { timeouts: this.timeouts, crashes: this.crashes, workers: this.slots.length };
  }

  /** Grades one completion in a worker. */
  grade(completion: string, gold: string): Promise<GradeResult> {
    return new Promise<GradeResult>((resolve, reject) => {
      if (this.closed) return reject(new Error("GraderPool is closed"));
      if (this.failure) return reject(this.failure);
      this.queue.push({ completion, gold, settled: false, resolve, reject });
      this.scheduleDispatch();
    });
  }

  /** Grades many items; results come back in input order. `onProgress` is called after each item finishes. */
  gradeMany(items: readonly GradeItem[], onProgress?: (done: number, total: number) => void): Promise<GradeResult[]> {
    const total = items.length;
    let done = 0;
    return Promise.all(
      items.map((it) =>
        this.grade(it.completion, it.gold).then((r) => {
          done++;
          onProgress?.(done, total);
          return r;
        }),
      ),
    );
  }

  /** Terminates all workers; pending and queued items reject with "GraderPool is closed". */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stopWatchdog();
      const err = new Error("GraderPool is closed");
      this.failAll(err);
      for (const slot of this.slots.splice(0)) this.terminate(slot);
    }
    await Promise.all([...this.terminating]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals ----

  private now(): number {
    return performance.timeOrigin + performance.now() - this.epochMs;
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.closed || this.failure) return;
    const share = Math.max(1, Math.min(this.chunkSize, Math.ceil(this.queue.length / this.jobs)));
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.chunk === null && !s.dead);
      if (!slot) {
        if (this.slots.length >= this.jobs) break;
        try {
          slot = this.spawn();
        } catch (e) {
          this.fail(e instanceof Error ? e : new Error(String(e)));
          return;
        }
      }
      const tasks = this.queue.splice(0, share);
      const chunk: Chunk = { id: this.nextChunkId++, tasks, done: tasks.map(() => false), remaining: tasks.length };
      slot.chunk = chunk;
      slot.worker.ref();
      const msg: ChunkMessage = { type: "chunk", chunk: chunk.id, items: tasks.map((t) => [t.completion, t.gold]) };
      slot.worker.postMessage(msg);
    }
    this.updateWatchdog();
  }

  private spawn(): Slot {
    const heartbeat = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const init: WorkerInit = {
      openrsGraderWorker: true,
      options: this.options,
      preset: this.preset,
      heartbeat,
      epochMs: this.epochMs,
    };
    const entry = workerEntry();
    const worker = new Worker(entry.kind === "file" ? entry.url : entry.code, {
      eval: entry.kind === "source",
      workerData: init,
      name: "openrs-grader",
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
    });
    const slot: Slot = { worker, hb: new Int32Array(heartbeat), base: 0, ready: false, dead: false, error: null, chunk: null };
    worker.on("message", (msg: WorkerMessage) => this.onMessage(slot, msg));
    worker.on("error", (err: Error) => {
      slot.error = err;
    });
    worker.on("exit", (code: number) => this.onExit(slot, code));
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    if (slot.dead) return;
    if (msg.type === "ready") {
      slot.ready = true;
      return;
    }
    const chunk = slot.chunk;
    if (msg.type !== "results" || !chunk || msg.chunk !== chunk.id) return;
    msg.results.forEach((result, j) => {
      const k = msg.k0 + j;
      if (chunk.done[k]) return;
      chunk.done[k] = true;
      chunk.remaining--;
      this.settle(chunk.tasks[k], result);
    });
    if (chunk.remaining === 0) {
      slot.base += chunk.tasks.length;
      slot.chunk = null;
      slot.worker.unref();
      this.dispatch();
    }
  }

  private onExit(slot: Slot, code: number): void {
    if (slot.dead) return; // terminated on purpose
    slot.dead = true;
    this.removeSlot(slot);
    if (this.closed) return;
    this.crashes++;
    if (!slot.ready && Atomics.load(slot.hb, HB_STARTED) === 0) {
      // The worker died before it could grade anything: the script itself is broken, retrying would loop.
      const why = slot.error ? slot.error.message : `exit code ${code}`;
      const err = new Error(`GraderPool: grader worker failed to start (${why})`);
      if (slot.error) err.cause = slot.error;
      if (slot.chunk) this.queue.unshift(...slot.chunk.tasks.filter((t) => !t.settled));
      this.fail(err);
      return;
    }
    const chunk = slot.chunk;
    if (chunk) {
      let k = this.currentIndex(slot);
      if (k < 0 || chunk.done[k]) k = chunk.done.indexOf(false);
      const started = Atomics.load(slot.hb, HB_START_MS);
      this.abandon(slot, k, "worker-crash", k >= 0 ? Math.max(0, this.now() - started) : 0);
    }
    this.dispatch();
  }

  /** Index within the current chunk of the item the worker is on, or -1 if it has not started the chunk. */
  private currentIndex(slot: Slot): number {
    if (!slot.chunk) return -1;
    const k = Atomics.load(slot.hb, HB_STARTED) - slot.base - 1;
    return k >= 0 && k < slot.chunk.tasks.length ? k : -1;
  }

  private checkTimeouts(): void {
    const limit = this.budgetMs + this.graceMs;
    for (const slot of [...this.slots]) {
      if (slot.dead || !slot.chunk) continue;
      const k = this.currentIndex(slot); // read the counter before the start time (see worker.ts)
      if (k < 0 || slot.chunk.done[k]) continue;
      const elapsed = this.now() - Atomics.load(slot.hb, HB_START_MS);
      if (elapsed <= limit) continue;
      this.timeouts++;
      slot.dead = true;
      this.removeSlot(slot);
      this.terminate(slot);
      this.abandon(slot, k, "timeout", elapsed);
    }
    this.dispatch();
  }

  /** Gives item k of the slot's chunk a failure verdict and re-queues the chunk's other unfinished items. */
  private abandon(slot: Slot, k: number, reason: string, ms: number): void {
    const chunk = slot.chunk;
    slot.chunk = null;
    if (!chunk) return;
    if (k >= 0 && !chunk.done[k]) {
      chunk.done[k] = true;
      this.settle(chunk.tasks[k], {
        correct: false,
        extracted: null,
        rule: null,
        reason,
        goldParsed: null,
        predParsed: null,
        preset: this.preset,
        ms,
      });
    }
    const rest = chunk.tasks.filter((t, j) => !chunk.done[j] && !t.settled);
    this.queue.unshift(...rest);
  }

  private settle(task: Task, result: GradeResult): void {
    if (task.settled) return;
    task.settled = true;
    task.resolve(result);
  }

  private fail(err: Error): void {
    this.failure = err;
    this.failAll(err);
    this.stopWatchdog();
    for (const slot of this.slots.splice(0)) {
      slot.dead = true;
      this.terminate(slot);
    }
  }

  private failAll(err: Error): void {
    const pending = this.queue.splice(0);
    for (const slot of this.slots) if (slot.chunk) pending.push(...slot.chunk.tasks);
    for (const t of pending) {
      if (t.settled) continue;
      t.settled = true;
      t.reject(err);
    }
  }

  private terminate(slot: Slot): void {
    slot.dead = true;
    const p = slot.worker.terminate().catch(() => undefined);
    this.terminating.add(p);
    void p.finally(() => this.terminating.delete(p));
  }

  private removeSlot(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private updateWatchdog(): void {
    const busy = this.slots.some((s) => s.chunk !== null);
    if (busy && !this.watchdog) {
      const period = Math.max(5, Math.min(50, Math.floor((this.budgetMs + this.graceMs) / 10)));
      this.watchdog = setInterval(() => this.checkTimeouts(), period);
    } else if (!busy) {
      this.stopWatchdog();
    }
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }
}

/** Creates a pool, grades `items` (results in input order), and closes the pool. */
export async function gradeBatch(
  items: readonly GradeItem[],
  opts: GraderPoolOptions & { onProgress?: (done: number, total: number) => void } = {},
): Promise<GradeResult[]> {
  const pool = new GraderPool(opts);
  try {
    return await pool.gradeMany(items, opts.onProgress);
  } finally {
    await pool.close();
  }
}
