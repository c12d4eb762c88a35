// batcher.ts: continuous batching over one NativeSession: requests join the running batch between decode steps and
// leave when their samples finish, so concurrent callers (the eval runner's problems in flight) share every step.
import type { GeneratedSequence, NativeSession, SampleParams, StepEvent } from "./native.js";

export interface BatcherOptions {
  /** Most sequences decoding at once; a request with more samples than this runs alone. Default 32. */
  maxSequences?: number;
  /**
   * KV-cache budget in bytes: a request is admitted only while the caches the engine holds for the running sequences
   * (as it reports them, after their next step's growth) plus what the request's start would allocate fit it. When
   * running sequences grow past it, the youngest request is preempted: its sequences are stopped and it goes back to
   * the front of the queue to start over. Generation is deterministic per seed and independent of the batch, so it
   * regenerates exactly the same tokens (onToken is not called again for tokens it already saw).
   */
  maxKvBytes?: number;
}

export interface BatchRequest {
  prompt: Int32Array | number[];
  /** One entry per sample; the samples share one prefill of the prompt. */
  params: SampleParams[];
  signal?: AbortSignal;
  /** Called on the main thread for every token of sample j. */
  onToken?: (sample: number, token: number) => void;
}

interface Job {
  req: BatchRequest;
  /** Tokens already passed to onToken per sample (kept across a preemption, so none is reported twice). */
  emitted: number[];
  tokens: number[][];
  logprobs: number[][];
  finish: (GeneratedSequence["finish"] | null)[];
  ids: number[];
  left: number;
  resolve: (r: GeneratedSequence[]) => void;
  reject: (e: unknown) => void;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("generation cancelled");
}

export class ContinuousBatcher {
  private readonly queue: Job[] = [];
  private readonly live = new Map<number, { job: Job; sample: number }>();
  private readonly jobs = new Set<Job>();
  private loop: Promise<void> | null = null;
  /** Set while run() is inside its loop; cleared synchronously when it leaves, so a submit right after a
   * resolution (before the loop promise settles) starts a new loop instead of waiting for nothing. */
  private looping = false;
  private closed = false;
  private readonly maxSequences: number;
  /** Steps run and sequences decoded in them, for rate reporting. */
  readonly stats = { steps: 0, rows: 0, prefills: 0, preemptions: 0 };

  constructor(
    private readonly session: NativeSession,
    private readonly opts: BatcherOptions = {},
  ) {
    this.maxSequences = Math.max(1, opts.maxSequences ?? 32);
  }

  /** Generates one completion per params entry; resolves when all of them finish, in params order. */
  submit(req: BatchRequest): Promise<GeneratedSequence[]> {
    if (this.closed) return Promise.reject(new Error("the batcher is closed"));
    if (req.params.length === 0) return Promise.resolve([]);
    if (req.signal?.aborted) return Promise.reject(abortError(req.signal));
    return new Promise((resolve, reject) => {
      const n = req.params.length;
      const job: Job = {
        req,
        tokens: Array.from({ length: n }, () => []),
        logprobs: Array.from({ length: n }, () => []),
        finish: new Array(n).fill(null),
        emitted: new Array(n).fill(0),
        ids: [],
        left: n,
        resolve,
        reject,
      };
      this.queue.push(job);
      this.jobs.add(job);
      if (!this.looping) {
        this.looping = true;
        this.loop = this.run();
      }
    });
  }

  /** Rejects what is queued or running and stops the loop after the call in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.jobs]) this.fail(job, new Error("the batcher is closed"));
    await this.loop;
  }

  private canAdmit(job: Job): boolean {
    if (this.live.size === 0) return true;
    if (this.live.size + job.req.params.length > this.maxSequences) return false;
    const max = this.opts.maxKvBytes;
    if (!max) return true;
    const first = this.session.model.kvStartBytes(job.req.prompt.length, job.req.params);
    return this.session.kvUsage().afterStep + first <= max;
  }

  /** Over the KV budget with more than one request running: send the youngest back to the queue to start over. */
  private preemptOverBudget(): void {
    const max = this.opts.maxKvBytes;
    if (!max) return;
    while (this.session.kvUsage().afterStep > max) {
      const running = [...new Set([...this.live.values()].map((x) => x.job))]; // admission order
      if (running.length <= 1) return; // a request alone always runs
      const victim = running[running.length - 1];
      for (const id of victim.ids)
        if (this.live.delete(id)) this.session.stop(id);
      const n = victim.req.params.length;
      victim.tokens = Array.from({ length: n }, () => []);
      victim.logprobs = Array.from({ length: n }, () => []);
      victim.finish = new Array(n).fill(null);
      victim.ids = [];
      victim.left = n;
      this.queue.unshift(victim);
      this.stats.preemptions++;
    }
  }

  private fail(job: Job, e: unknown): void {
    if (!this.jobs.delete(job)) return;
    const q = this.queue.indexOf(job);
    if (q >= 0) this.queue.splice(q, 1);
    for (const id of job.ids)
      if (this.live.delete(id)) {
        try {
          this.session.stop(id);
        } catch {
          // busy: the sequence is dropped from `live`; its cache is freed when it finishes or the session closes
        }
      }
    job.reject(e);
  }

  private record(job: Job, sample: number, ev: StepEvent): void {
    if (!this.jobs.has(job)) return;
    if (ev.token >= 0) {
      job.tokens[sample].push(ev.token);
      job.logprobs[sample].push(ev.logprob);
      if (job.tokens[sample].length > job.emitted[sample]) {
        job.emitted[sample] = job.tokens[sample].length;
        try {
          job.req.onToken?.(sample, ev.token);
        } catch (e) {
          this.fail(job, e); // a throwing callback ends its own request only
          return;
        }
      }
    }
    if (ev.finish) {
      job.finish[sample] = ev.finish;
      this.live.delete(ev.id);
      if (--job.left === 0 && this.jobs.delete(job))
        job.resolve(
          job.tokens.map((t, j) => ({
            prompt: 0,
            sample: j,
            tokens: Int32Array.from(t),
            logprobs: Float32Array.from(job.logprobs[j]),
            finish: job.finish[j] ?? "length",
          })),
        );
    }
  }

  private async run(): Promise<void> {
    try {
      await this.loopBody();
    } catch (e) {
      // Nothing may escape: a rejected loop would be an unhandled rejection and strand every request.
      for (const job of [...this.jobs]) this.fail(job, e);
      this.looping = false;
    }
  }

  private async loopBody(): Promise<void> {
    while (!this.closed && (this.queue.length > 0 || this.live.size > 0)) {
      for (const job of [...this.jobs]) if (job.req.signal?.aborted) this.fail(job, abortError(job.req.signal));
      // Admit whole requests in arrival order while the batch has room.
      while (this.queue.length > 0 && this.canAdmit(this.queue[0])) {
        const job = this.queue.shift() as Job;
        try {
          const first = await this.session.start(job.req.prompt, job.req.params);
          this.stats.prefills++;
          if (!this.jobs.has(job)) {
            // closed while prefilling
            for (const e of first) if (!e.finish) this.session.stop(e.id);
            continue;
          }
          job.ids = first.map((e) => e.id);
          first.forEach((e, j) => {
            if (!e.finish) this.live.set(e.id, { job, sample: j });
          });
          for (const [j, e] of first.entries()) this.record(job, j, e);
        } catch (e) {
          this.fail(job, e);
        }
      }
      if (this.live.size === 0 || this.closed) continue;
      let evs: StepEvent[];
      try {
        evs = await this.session.step();
      } catch (e) {
        for (const { job } of [...this.live.values()]) this.fail(job, e);
        continue;
      }
      this.stats.steps++;
      this.stats.rows += evs.length;
      if (evs.length === 0 && this.live.size > 0) {
        // The engine runs nothing we still wait for (stopped behind our back): fail rather than spin.
        const e = new Error(`the native batch lost ${this.live.size} running sequences`);
        for (const { job } of [...this.live.values()]) this.fail(job, e);
        continue;
      }
      for (const ev of evs) {
        const at = this.live.get(ev.id);
        if (at) this.record(at.job, at.sample, ev);
        else if (!ev.finish) this.session.stop(ev.id); // its request failed while this step ran
      }
      this.preemptOverBudget();
    }
    // Synchronously after the last resolution, before its awaiting caller runs: a submit from there starts a new loop.
    this.looping = false;
  }
}
