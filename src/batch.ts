// Grades a JSONL file of {gold, completion} pairs through the worker pool, streaming: input is read line by
// line, verdicts are written in input order in batches of whole lines as soon as they are ready.
import { closeSync, createReadStream, openSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { defaultJobs, GraderPool } from "../grading/pool.js";
import type { GradeOptions } from "../grading/options.js";
import type { GradeResult } from "../grading/result.js";
import { Progress } from "./progress.js";

/** Files with fewer non-empty lines than this are graded with one worker by default (worker start-up dominates). */
export const SMALL_INPUT_ITEMS = 200;
/** Files with at least this many lines show progress on stderr even when it is not a TTY. */
export const LARGE_INPUT_ITEMS = 10_000;

/** One parsed input line: either a pair to grade or the reason it cannot be graded. */
export type ParsedLine =
  | { ok: true; completion: string; gold: string; fields: Record<string, unknown> }
  | { ok: false; error: string; fields: Record<string, unknown> };

/** Verdict fields appended to each output record. */
export interface VerdictFields {
  correct: boolean;
  extracted: string | null;
  rule: string | null;
  reason: string;
  ms: number;
  error?: string;
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/**
 * Parses one JSONL input line. `completion` may be given as `pred`. Unless `includeInput` is set, the returned
 * pass-through fields omit `gold`, `completion` and `pred` (completions are large); all other fields are kept.
 */
export function parsePairLine(raw: string, lineNo: number, includeInput = false): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return { ok: false, error: `line ${lineNo}: invalid JSON (${(e as Error).message})`, fields: {} };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: `line ${lineNo}: expected a JSON object, got ${typeName(value)}`, fields: {} };
  }
  const obj = value as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (includeInput || (k !== "gold" && k !== "completion" && k !== "pred")) fields[k] = v;
  }
  const problems: string[] = [];
  const gold = obj.gold;
  if (gold === undefined) problems.push(`missing "gold"`);
  else if (typeof gold !== "string") problems.push(`"gold" must be a string, got ${typeName(gold)}`);
  const compKey = obj.completion !== undefined ? "completion" : obj.pred !== undefined ? "pred" : null;
  const completion = compKey ? obj[compKey] : undefined;
  if (compKey === null) problems.push(`missing "completion" (or "pred")`);
  else if (typeof completion !== "string") problems.push(`"${compKey}" must be a string, got ${typeName(completion)}`);
  if (problems.length > 0) return { ok: false, error: `line ${lineNo}: ${problems.join("; ")}`, fields };
  return { ok: true, completion: completion as string, gold: gold as string, fields };
}

/** The output record for a graded line. */
export function verdictRecord(fields: Record<string, unknown>, r: GradeResult): Record<string, unknown> {
  return {
    ...fields,
    correct: r.correct,
    extracted: r.extracted,
    rule: r.rule,
    reason: r.reason,
    ms: Math.round(r.ms * 1000) / 1000,
  } satisfies Record<string, unknown> & VerdictFields;
}

/** The output record for a line that could not be graded. */
export function badInputRecord(fields: Record<string, unknown>, error: string): Record<string, unknown> {
  return { ...fields, correct: false, extracted: null, rule: null, reason: "bad-input", ms: 0, error };
}

/** Counts non-blank lines in a file by scanning bytes (cheap; used for the progress total and default --jobs). */
export async function countNonEmptyLines(path: string): Promise<number> {
  let count = 0;
  let content = false;
  for await (const buf of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (b === 10) {
        if (content) count++;
        content = false;
      } else if (b !== 32 && b !== 9 && b !== 13) {
        content = true;
      }
    }
  }
  return content ? count + 1 : count;
}

export interface GradeJsonlOptions {
  /** Input JSONL path, or "-" for stdin. */
  input: string;
  /** Output JSONL path; stdout when absent or "-". The file is truncated first. */
  output?: string;
  /** Grader options or preset name. */
  options?: Partial<GradeOptions> | string;
  /** Worker threads; default 1 below SMALL_INPUT_ITEMS items, else min(available cores, 4). */
  jobs?: number;
  /** Hard per-item time budget in ms (default: from the options). */
  budgetMs?: number;
  /** Keep gold/completion/pred in the output records. */
  includeInput?: boolean;
  /** Progress on stderr: "auto" (TTY or large input), "on", "off". */
  progress?: "auto" | "on" | "off";
  /** Diagnostics stream (default process.stderr). */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Output lines buffered before a write (default 256; also flushed every 500 ms). */
  flushEvery?: number;
}

export interface GradeJsonlSummary {
  /** Non-empty input lines (= output lines). */
  items: number;
  correct: number;
  /** correct / items (0 when there are no items). */
  accuracy: number;
  badInput: number;
  timeouts: number;
  workerCrashes: number;
  seconds: number;
  itemsPerSecond: number;
  jobs: number;
}

interface Writer {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

function fileWriter(path: string): Writer {
  const fd = openSync(path, "w");
  return {
    async write(text) {
      const buf = Buffer.from(text, "utf8");
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    },
    async close() {
      closeSync(fd);
    },
  };
}

function streamWriter(stream: NodeJS.WritableStream): Writer {
  let failed: Error | null = null;
  const onError = (err: Error): void => {
    failed ??= err;
  };
  stream.on("error", onError); // e.g. EPIPE when piped into `head`: stop instead of crashing
  return {
    write(text) {
      if (failed) return Promise.reject(failed);
      return new Promise<void>((resolve, reject) => {
        const ok = stream.write(text, (err) => {
          if (err) {
            failed ??= err;
            reject(err);
          }
        });
        if (ok) resolve();
        else stream.once("drain", () => resolve());
      });
    },
    async close() {
      stream.off("error", onError);
    },
  };
}

interface Pending {
  settled: boolean;
  record: Record<string, unknown> | null;
}

/** Grades a JSONL file of pairs; see GradeJsonlOptions. Resolves with throughput statistics. */
export async function gradeJsonl(opts: GradeJsonlOptions): Promise<GradeJsonlSummary> {
  const stderr = opts.stderr ?? process.stderr;
  const fromStdin = opts.input === "-";
  const total = fromStdin ? undefined : await countNonEmptyLines(opts.input);
  const jobs = opts.jobs ?? (total !== undefined && total < SMALL_INPUT_ITEMS ? 1 : defaultJobs());
  const pool = new GraderPool({ jobs, options: opts.options, budgetMs: opts.budgetMs });
  const mode = opts.progress ?? "auto";
  const showProgress = mode === "on" || (mode === "auto" && (Boolean(stderr.isTTY) || (total ?? 0) >= LARGE_INPUT_ITEMS));
  const progress = showProgress ? new Progress({ total, stream: stderr, label: "grading" }) : null;
  const writer = opts.output && opts.output !== "-" ? fileWriter(opts.output) : streamWriter(process.stdout);
  const flushEvery = Math.max(1, opts.flushEvery ?? 256);
  const windowSize = Math.max(1024, jobs * pool.chunkSize * 4);

  const t0 = performance.now();
  let items = 0;
  let done = 0;
  let correct = 0;
  let badInput = 0;
  let timeouts = 0;
  let crashes = 0;
  let fatal: Error | null = null;
  const inFlight: Pending[] = [];
  let wakeHead: (() => void) | null = null;
  let buffer: string[] = [];
  let lastFlush = performance.now();

  const finishOne = (p: Pending, record: Record<string, unknown>): void => {
    p.record = record;
    p.settled = true;
    done++;
    if (record.correct === true) correct++;
    if (record.reason === "bad-input") badInput++;
    else if (record.reason === "timeout") timeouts++;
    else if (record.reason === "worker-crash") crashes++;
    progress?.update(done);
    if (inFlight[0] === p && wakeHead) wakeHead();
  };

  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const text = buffer.join("");
    buffer = [];
    lastFlush = performance.now();
    await writer.write(text);
  };

  /** Moves settled records from the head of the queue to the output buffer, in order. */
  const drainSettled = async (): Promise<void> => {
    while (inFlight.length > 0 && inFlight[0].settled) {
      const p = inFlight.shift()!;
      buffer.push(`${JSON.stringify(p.record)}\n`);
      if (buffer.length >= flushEvery) await flush();
    }
    if (buffer.length > 0 && performance.now() - lastFlush >= 500) await flush();
  };

  const waitHead = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (fatal || inFlight.length === 0 || inFlight[0].settled) return resolve();
      wakeHead = () => {
        wakeHead = null;
        resolve();
      };
    });

  const input = fromStdin ? process.stdin : createReadStream(opts.input);
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  try {
    for await (const raw of rl) {
      lineNo++;
      if (raw.trim() === "") continue;
      items++;
      const parsed = parsePairLine(raw, lineNo, opts.includeInput);
      const p: Pending = { settled: false, record: null };
      inFlight.push(p);
      if (!parsed.ok) {
        finishOne(p, badInputRecord(parsed.fields, parsed.error));
      } else {
        pool.grade(parsed.completion, parsed.gold).then(
          (r) => finishOne(p, verdictRecord(parsed.fields, r)),
          (e: unknown) => {
            fatal ??= e instanceof Error ? e : new Error(String(e));
            wakeHead?.();
          },
        );
      }
      await drainSettled();
      while (inFlight.length >= windowSize && !fatal) {
        await waitHead();
        await drainSettled();
      }
      if (fatal) throw fatal;
    }
    while (inFlight.length > 0 && !fatal) {
      await waitHead();
      await drainSettled();
    }
    if (fatal) throw fatal;
    await flush();
  } finally {
    rl.close();
    progress?.finish();
    try {
      await flush().catch(() => undefined); // an earlier write error is already being thrown
    } finally {
      await writer.close();
      await pool.close();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    items,
    correct,
    accuracy: items > 0 ? correct / items : 0,
    badInput,
    timeouts,
    workerCrashes: crashes,
    seconds,
    itemsPerSecond: seconds > 0 ? items / seconds : 0,
    jobs,
  };
}

/** One-line human summary of a run, for stderr. */
export function formatSummary(s: GradeJsonlSummary): string {
  const acc = (100 * s.accuracy).toFixed(1);
  const extra = [`${s.timeouts} timeouts`];
  if (s.badInput > 0) extra.push(`${s.badInput} bad-input`);
  if (s.workerCrashes > 0) extra.push(`${s.workerCrashes} worker crashes`);
  return (
    `graded ${s.items} items: ${s.correct} correct (${acc}%), ${extra.join(", ")}; ` +
    `${s.seconds.toFixed(2)} s, ${s.itemsPerSecond.toFixed(1)} items/s, ${s.jobs} job${s.jobs === 1 ? "" : "s"}`
  );
}
