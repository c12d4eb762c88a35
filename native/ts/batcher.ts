// batcher.ts: continuous batching over one NativeSession: requests join the running batch between decode steps and
// leave when their samples finish, so concurrent callers (the eval runner's problems in flight) share every step.
import type { GeneratedSequence, NativeSession, SampleParams, StepEvent } from "./native.js";

export interface BatcherOptions {
  /** Most sequences decoding at once; a request with more samples than this runs alone. Default 32. */
  maxSequences?: number;
  /**
   * KV-cache bytes one cached token costs (layers x 2 x kv heads x head dim x 4 for the f32 cache); with maxKvBytes,
   * no new request is admitted while the running sequences' caches exceed the budget.
   */
  kvBytesPerToken?: number;
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
  private closed = false;
  private readonly maxSequences: number;
  /** Steps run and sequences decoded in them, for rate reporting. */
  readonly stats = { steps: 0, rows: 0, prefills: 0 };

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
        ids: [],
        left: n,
        resolve,
        reject,
      };
      this.queue.push(job);
      this.jobs.add(job);
      this.loop ??= this.run().finally(() => {
        this.loop = null;
      });
    });
  }

  /** Rejects what is queued or running and stops the loop after the call in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.jobs]) this.fail(job, new Error("the batcher is closed"));
    await this.loop;
  }

  private cachedTokens(): number {
    let n = 0;
    for (const { job, sample } of this.live.values()) n += job.req.prompt.length + job.tokens[sample].length;
    return n;
  }

  private canAdmit(job: Job): boolean {
    if (this.live.size === 0) return true;
    if (this.live.size + job.req.params.length > this.maxSequences) return false;
    const { kvBytesPerToken: per, maxKvBytes: max } = this.opts;
    return !(per && max && (this.cachedTokens() + job.req.prompt.length) * per > max);
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
    if (ev.token >= 0) {
      job.tokens[sample].push(ev.token);
      job.logprobs[sample].push(ev.logprob);
      job.req.onToken?.(sample, ev.token);
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
      for (const ev of evs) {
        const at = this.live.get(ev.id);
        if (at) this.record(at.job, at.sample, ev);
        else if (!ev.finish) this.session.stop(ev.id); // its request failed while this step ran
      }
    }
  }
}
