// The run output directory: run.json (schema-versioned manifest and metrics), samples.jsonl (append-only, flushed
// in batches, torn tail tolerated) and summary.md. Resuming reads back finished samples and refuses mixed settings.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Generation, SamplingParams, TokenSource } from "../backends/types.js";
import { ensureDir, writeFileAtomic } from "../fs-safe.js";
import type { RunMetrics } from "./metrics.js";

export const RUN_SCHEMA = "openrs-run";
export const RUN_SCHEMA_VERSION = 1;
export const RUN_FILE = "run.json";
export const SAMPLES_FILE = "samples.jsonl";
export const SUMMARY_FILE = "summary.md";

/** One line of samples.jsonl: one (problem, sample) pair, generated and graded. */
export interface SampleRecord {
  suite: string;
  /** Problem id. */
  id: string;
  /** Sample index within the problem. */
  sample: number;
  /** Fingerprint of the settings that produced the sample (see sampleFingerprint); resuming refuses a mismatch. */
  cfg: string;
  correct: boolean;
  extracted: string | null;
  /** The extraction rule that found the answer ("boxed", "anchored", "mathSpan", "lastNumber"); null for none. */
  rule?: string | null;
  /** The grader's reason, e.g. "equal:rational", "no-answer", "timeout". */
  reason: string;
  /** "error" marks a sample the backend failed to produce (not graded, left out of the scores; see `error`). */
  finish: Generation["finishReason"];
  promptTokens: number | null;
  completionTokens: number | null;
  /** Present when the new-token limit was lowered to fit the model's context: the limit the sample ran under. */
  maxNewTokens?: number;
  /** Where completionTokens came from, when the backend says (see TokenSource). */
  tokenSource?: TokenSource;
  /** Why the sample failed (the server's message), for finish "error". */
  error?: string;
  gold: string;
  /**
   * The problem text as the data file has it. Newer runs put the question (and `meta`) on every line rather than
   * the rendered prompt: the chat template wraps every question the same way, so the full prompt on each line only
   * repeated the template (run.json keeps one rendered example per suite, `promptExample`, and the prompt hash).
   */
  question?: string;
  /** The problem's metadata from the data file (MATH level/subject, OlympiadBench subfield, ...). */
  meta?: Record<string, string | number | boolean>;
  /** The rendered prompt: written by older runs (still read; absent in newer ones). */
  prompt?: string;
  completion: string;
}

/** What a suite contributes to run.json. */
export interface SuiteEntry {
  id: string;
  name: string;
  version: string;
  dataset: string;
  split: string;
  goldFrom: string;
  /** Grader preset name and any option overrides the suite declares. */
  preset: string;
  grader?: Record<string, unknown>;
  problems: number;
  /** Hash of every rendered prompt of the suite (sha256 over the sorted per-prompt sha256s, 16 hex). */
  promptHash: string;
  /** The first problem's prompt exactly as rendered and sent (the other prompts differ only in the question). */
  promptExample?: string;
  /** lighteval's hash_examples of the paper's user prompts over the problems run (comparable with the paper's logs). */
  lightevalHash?: string;
  /** The hash_examples the suite declares for its full problem set, when known (equal to lightevalHash without --limit). */
  expectedLightevalHash?: string;
}

export interface RunSettings {
  samples: number;
  sampling: SamplingParams;
  limit: number | null;
  k: number[];
  /** Bootstrap resamples behind the intervals (regrading reuses it). */
  resamples?: number;
  concurrency: number;
  preset: string;
  /** Native engine KV cache dtype (only for checkpoint runs; f32 when absent). */
  kvCache?: "f32" | "bf16";
  /** Native engine matmul inputs (only for checkpoint runs; f32 when absent). */
  activations?: "f32" | "bf16";
  /** Settings the backend cannot apply (a replay samples nothing): recorded, ignored, and not compared on resume. */
  notApplicable?: string[];
}

/** Where and how a run was made: enough to reproduce it or explain a difference between two runs. */
export interface RunProvenance {
  /** The command line as typed (argv after the node binary), when the run came from the CLI. */
  command?: string[];
  node: string;
  platform: string;
  host: { cpu: string; cores: number; memoryGiB: number; gpu: string | null };
  /** Backend-specific facts: server URLs and served model name, native engine device and build, weights hash. */
  backend?: Record<string, unknown>;
}

export interface RunManifest {
  schema: typeof RUN_SCHEMA;
  schemaVersion: typeof RUN_SCHEMA_VERSION;
  /** "failed" carries `error`; "interrupted" means stopped by a signal (rerun to resume). */
  status: "running" | "complete" | "failed" | "interrupted";
  /** Why the run failed, one line (status "failed" or "interrupted"). */
  error?: string;
  model: string;
  /** True when the completions are synthetic (a made-up example, not a model's outputs): never a measured result. */
  synthetic?: boolean;
  backend: string;
  settings: RunSettings;
  /** How prompts were built ("chat-template:<source>" or "user-message"). */
  promptFormat: string;
  suites: SuiteEntry[];
  /** Grader version, and the per-sample budget when it was set (else the preset's, 1000 ms). */
  grader: { version: string; budgetMs?: number };
  git: { commit: string | null; dirty: boolean | null };
  /** Wall seconds over all invocations; generation/grading seconds are summed over concurrent requests. */
  timings: { started: string; updated: string; seconds: number; generationSeconds: number; gradingSeconds: number; resumes: number };
  /** Samples reused from an earlier, interrupted invocation. */
  resumedSamples: number;
  /** Command line, versions, host, server or weights (runs made since this field was added). */
  provenance?: RunProvenance;
  metrics: RunMetrics | null;
}

/** A user-facing problem with the run directory (mixed settings, bad schema, corrupt file): one line, no stack. */
export class RunDirError extends Error {}

function sha16(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Hash of a suite's rendered prompts, independent of their order. */
export function promptSetHash(prompts: readonly string[]): string {
  return sha16(prompts.map(sha16).sort().join(""));
}

/** Settings that decide what a sample of this suite looks like; samples with another fingerprint must not mix. */
export function sampleFingerprint(
  model: string,
  backend: string,
  sampling: SamplingParams,
  suite: SuiteEntry,
  promptFormat: string,
  engine: { kvCache?: "f32" | "bf16"; activations?: "f32" | "bf16" } = {},
): string {
  const parts: unknown[] = [model, backend, sampling.temperature, sampling.topP, sampling.maxNewTokens, sampling.seed, suite.id, suite.version, suite.promptHash, promptFormat];
  // Appended only when not the default, so runs made before the setting existed (all f32) keep their fingerprint.
  if (engine.kvCache !== undefined && engine.kvCache !== "f32") parts.push(`kv:${engine.kvCache}`);
  if (engine.activations !== undefined && engine.activations !== "f32") parts.push(`act:${engine.activations}`);
  return sha16(JSON.stringify(parts));
}

/** Reads and validates run.json; null when absent. */
export function readManifest(dir: string): RunManifest | null {
  const file = join(dir, RUN_FILE);
  if (!existsSync(file)) return null;
  let m: RunManifest;
  try {
    m = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new RunDirError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  if (m === null || typeof m !== "object" || m.schema !== RUN_SCHEMA) throw new RunDirError(`${file} is not an openrs run record (no "schema": "${RUN_SCHEMA}")`);
  if (m.schemaVersion !== RUN_SCHEMA_VERSION) {
    throw new RunDirError(`${file} has schema version ${String(m.schemaVersion)}; this openrs reads version ${RUN_SCHEMA_VERSION}`);
  }
  return m;
}

/** Writes run.json atomically (temp file + rename), so a crash leaves the old or the new one, never half. */
export function writeManifest(dir: string, m: RunManifest): void {
  writeFileAtomic(join(dir, RUN_FILE), `${JSON.stringify(m, null, 2)}\n`);
}

export function writeSummary(dir: string, markdown: string): void {
  writeFileAtomic(join(dir, SUMMARY_FILE), markdown);
}

function isRecord(v: unknown): v is SampleRecord {
  const r = v as SampleRecord;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.suite === "string" &&
    typeof r.id === "string" &&
    Number.isInteger(r.sample) &&
    typeof r.completion === "string" &&
    typeof r.correct === "boolean"
  );
}

export interface ReadSamplesResult {
  records: SampleRecord[];
  /** Bytes of a torn last line (a crash mid-write) that were ignored; 0 when the file ended cleanly. */
  tornBytes: number;
  /** Byte length of the well-formed prefix. */
  goodBytes: number;
}

const SCAN_CHUNK = 4 << 20;

/**
 * Streams samples.jsonl line by line in 4 MiB chunks (runs of long completions exceed what one string can hold).
 * A last line without its newline is a torn write and is skipped; any other malformed line is corruption and
 * throws. After iteration, `tornBytes` and `goodBytes` describe the file. A missing file yields nothing.
 */
export class SampleScanner {
  tornBytes = 0;
  goodBytes = 0;

  constructor(readonly file: string) {}

  *records(): Generator<SampleRecord> {
    if (!existsSync(this.file)) return;
    const fd = openSync(this.file, "r");
    try {
      const chunk = Buffer.allocUnsafe(SCAN_CHUNK);
      let carry: Buffer = Buffer.alloc(0);
      let pos = 0;
      let lineNo = 0;
      for (;;) {
        const n = readSync(fd, chunk, 0, SCAN_CHUNK, pos);
        if (n === 0) break;
        pos += n;
        const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        let start = 0;
        for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
          lineNo++;
          const line = buf.toString("utf8", start, nl);
          this.goodBytes += nl + 1 - start;
          start = nl + 1;
          if (line.trim() === "") continue;
          yield this.parse(line, lineNo);
        }
        carry = Buffer.from(buf.subarray(start));
      }
      this.tornBytes = carry.length;
    } finally {
      closeSync(fd);
    }
  }

  private parse(line: string, lineNo: number): SampleRecord {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new RunDirError(`${this.file}:${lineNo}: corrupt sample line (${(e as Error).message}); move the file away to start over`);
    }
    if (!isRecord(v)) throw new RunDirError(`${this.file}:${lineNo}: not a sample record (needs suite, id, sample, completion, correct)`);
    return v;
  }
}

/** Reads all of samples.jsonl into memory (small runs and tests; large ones stream with SampleScanner). */
export function readSamples(file: string): ReadSamplesResult {
  const scanner = new SampleScanner(file);
  const records = [...scanner.records()];
  return { records, tornBytes: scanner.tornBytes, goodBytes: scanner.goodBytes };
}

export function sampleKey(suite: string, id: string, sample: number): string {
  return `${suite}\u0000${id}\u0000${sample}`;
}

/**
 * Appends sample lines in batches: lines are buffered and written with one write call when `batchLines` are waiting
 * or `flushMs` has passed. Each batch is whole lines, so a crash can tear at most the last line of the file.
 */
export class SampleWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  written = 0;

  constructor(
    readonly file: string,
    private readonly batchLines = 64,
    private readonly flushMs = 500,
  ) {
    this.fd = openSync(file, "a");
  }

  add(record: SampleRecord): void {
    if (this.closed) throw new Error("SampleWriter is closed");
    this.buffer.push(`${JSON.stringify(record)}\n`);
    if (this.buffer.length >= this.batchLines) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    const buf = Buffer.from(this.buffer.join(""), "utf8");
    this.written += this.buffer.length;
    this.buffer = [];
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }
}

export interface OpenedRun<T> {
  dir: string;
  /** run.json of an earlier invocation, when resuming. */
  previous: RunManifest | null;
  /** What `keep` returned for each finished sample already on disk (undefined results are dropped). */
  kept: T[];
  /** Sample lines on disk. */
  onDisk: number;
  tornBytes: number;
  /** Failed samples (finish "error") kept as done. */
  failed: number;
  /** Failed samples removed from samples.jsonl to be generated again (retryErrors). */
  retrying: number;
}

export interface OpenRunOptions {
  /**
   * Treat failed samples (finish "error") as not done: their lines are removed from samples.jsonl (rewritten
   * atomically) so the resumed run generates them again and the file keeps one line per sample. Without it they
   * count as done, so a rerun does not hammer a server on the samples it cannot produce.
   */
  retryErrors?: boolean;
}

/** Rewrites samples.jsonl without its failed samples (temp file + rename: a crash leaves the old or the new one). */
function dropFailed(file: string): void {
  const tmp = `${file}.retry-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    let lines: string[] = [];
    const flush = (): void => {
      if (lines.length) writeSync(fd, lines.join(""));
      lines = [];
    };
    for (const r of new SampleScanner(file).records()) {
      if (r.finish === "error") continue;
      lines.push(`${JSON.stringify(r)}\n`);
      if (lines.length >= 1024) flush();
    }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Describes how `next` differs from `prev` in the settings that make samples, or null when they agree. */
export function settingsMismatch(prev: RunManifest, next: Pick<RunManifest, "model" | "backend" | "settings" | "suites" | "promptFormat">): string | null {
  const diffs: string[] = [];
  const cmp = (name: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`${name} ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
  };
  cmp("model", prev.model, next.model);
  cmp("backend", prev.backend, next.backend);
  // A replay samples nothing: its sampling flags never changed a completion, so they are not compared.
  if (next.backend !== "replay") {
    cmp("temperature", prev.settings.sampling.temperature, next.settings.sampling.temperature);
    cmp("top-p", prev.settings.sampling.topP, next.settings.sampling.topP);
    cmp("max-new-tokens", prev.settings.sampling.maxNewTokens, next.settings.sampling.maxNewTokens);
    cmp("seed", prev.settings.sampling.seed, next.settings.sampling.seed);
  }
  cmp("kv-cache", prev.settings.kvCache ?? "f32", next.settings.kvCache ?? "f32");
  cmp("activations", prev.settings.activations ?? "f32", next.settings.activations ?? "f32");
  cmp("prompt format", prev.promptFormat, next.promptFormat);
  for (const s of next.suites) {
    const p = prev.suites.find((x) => x.id === s.id);
    if (!p) continue;
    cmp(`${s.id} version`, p.version, s.version);
    cmp(`${s.id} prompt hash`, p.promptHash, s.promptHash);
  }
  return diffs.length ? diffs.join(", ") : null;
}

/**
 * Opens (creating) a run directory for writing. When it holds an earlier run, the settings must match (else a
 * RunDirError naming the differences), a torn last line of samples.jsonl is cut off, and every sample line's
 * fingerprint must be one of `fingerprints` for its suite.
 */
export function openRunDir<T>(
  dir: string,
  next: Pick<RunManifest, "model" | "backend" | "settings" | "suites" | "promptFormat">,
  fingerprints: ReadonlyMap<string, string>,
  keep: (r: SampleRecord) => T | undefined,
  opts: OpenRunOptions = {},
): OpenedRun<T> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new RunDirError(`--out ${dir} exists and is not a directory`);
  ensureDir(dir, "--out");
  const previous = readManifest(dir);
  if (previous) {
    const diff = settingsMismatch(previous, next);
    if (diff) {
      throw new RunDirError(`${dir} holds a run made with different settings (${diff}); use another --out or the same settings`);
    }
  }
  const file = join(dir, SAMPLES_FILE);
  const scanner = new SampleScanner(file);
  const kept: T[] = [];
  let onDisk = 0;
  let failed = 0;
  let retrying = 0;
  for (const r of scanner.records()) {
    onDisk++;
    const want = fingerprints.get(r.suite);
    if (want !== undefined && r.cfg !== want) {
      throw new RunDirError(
        `${file} holds samples of ${r.suite} made with different settings (fingerprint ${r.cfg}, expected ${want}); use another --out`,
      );
    }
    if (r.finish === "error") {
      if (opts.retryErrors) {
        retrying++;
        continue;
      }
      failed++;
    }
    const k = keep(r);
    if (k !== undefined) kept.push(k);
  }
  if (scanner.tornBytes > 0) truncateSync(file, scanner.goodBytes);
  if (retrying > 0) dropFailed(file);
  return { dir, previous, kept, onDisk, tornBytes: scanner.tornBytes, failed, retrying };
}
