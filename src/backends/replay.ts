// The replay backend: serves completions produced elsewhere, from a JSONL file of {id, completion[, sample]} lines or
// a previous run's samples.jsonl, so outputs from any system can be scored by the runner.
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Backend, Generation, GenerationRequest } from "./types.js";

interface ReplayEntry {
  completion: string;
  finishReason: Generation["finishReason"];
  promptTokens: number | null;
  completionTokens: number | null;
  error?: string;
}

/** A malformed or incomplete replay file: one line naming the file, the line and what is wrong. */
export class ReplayError extends Error {}

function finishOf(v: unknown): Generation["finishReason"] {
  // "error": a failed sample of an earlier run, replayed as failed rather than graded as an empty answer.
  return v === "stop" || v === "length" || v === "error" ? v : "unknown";
}

function countOf(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null;
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/**
 * Parses replay JSONL text. Each line: `id` (string), `completion` (string), optional `sample` / `sample_index` /
 * `sampleIndex` (integer ≥ 0; otherwise lines of one id are numbered 0, 1, ... in file order), optional finish
 * reason (`finish`, `finishReason`, `finish_reason`) and token counts. A previous run's samples.jsonl fits as is.
 */
/** What a replay file says about itself: whether every line is marked synthetic, and the model names its lines give. */
export interface ReplayInfo {
  synthetic: boolean;
  models: Set<string>;
}

export function parseReplay(text: string, file = "replay file", info: ReplayInfo = { synthetic: true, models: new Set() }): Map<string, Map<number, ReplayEntry>> {
  const byId = new Map<string, Map<number, ReplayEntry>>();
  const lines = text.split("\n");
  // A last line without newline may be a torn write of an interrupted run: skip it only if it is not valid JSON.
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1) return;
      throw new ReplayError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ReplayError(`${file}:${i + 1}: expected a JSON object, got ${typeName(v)}`);
    if (typeof v.id !== "string" || v.id === "") throw new ReplayError(`${file}:${i + 1}: "id" must be a non-empty string, got ${typeName(v.id)}`);
    if (typeof v.completion !== "string") throw new ReplayError(`${file}:${i + 1}: "completion" must be a string, got ${typeName(v.completion)}`);
    if (v.synthetic !== true) info.synthetic = false;
    if (typeof v.model === "string" && v.model !== "") info.models.add(v.model);
    const rawIndex = v.sample ?? v.sample_index ?? v.sampleIndex;
    let samples = byId.get(v.id);
    if (!samples) byId.set(v.id, (samples = new Map()));
    let index: number;
    if (rawIndex === undefined || rawIndex === null) {
      index = samples.size;
      while (samples.has(index)) index++;
    } else if (typeof rawIndex === "number" && Number.isInteger(rawIndex) && rawIndex >= 0) {
      index = rawIndex;
    } else {
      throw new ReplayError(`${file}:${i + 1}: sample index must be an integer ≥ 0, got ${JSON.stringify(rawIndex)}`);
    }
    if (samples.has(index)) throw new ReplayError(`${file}:${i + 1}: duplicate completion for ${v.id} sample ${index}`);
    samples.set(index, {
      completion: v.completion,
      finishReason: finishOf(v.finish ?? v.finishReason ?? v.finish_reason),
      promptTokens: countOf(v.promptTokens ?? v.prompt_tokens),
      completionTokens: countOf(v.completionTokens ?? v.completion_tokens),
      ...(typeof v.error === "string" ? { error: v.error } : {}),
    });
  });
  return byId;
}

export class ReplayBackend implements Backend {
  readonly name = "replay";
  readonly model: string;
  private readonly entries: Map<string, Map<number, ReplayEntry>>;
  /** Every line says `"synthetic": true`: made-up completions (the shipped example), not a model's outputs. */
  readonly synthetic: boolean;
  /** The model name the lines give (`"model"`), when they all give the same one. */
  readonly sourceModel: string | null;

  constructor(entries: Map<string, Map<number, ReplayEntry>>, model = "replay", info: ReplayInfo = { synthetic: false, models: new Set() }) {
    this.entries = entries;
    this.model = model;
    this.synthetic = info.synthetic && entries.size > 0;
    this.sourceModel = info.models.size === 1 ? [...info.models][0] : null;
  }

  /** Loads a replay file; throws ReplayError with a one-line message when it is missing or malformed. */
  static fromFile(file: string): ReplayBackend {
    if (!existsSync(file)) throw new ReplayError(`replay file not found: ${file}`);
    if (!statSync(file).isFile()) throw new ReplayError(`replay path is not a file: ${file}`);
    const info: ReplayInfo = { synthetic: true, models: new Set() };
    const entries = parseReplay(readFileSync(file, "utf8"), file, info);
    if (entries.size === 0) throw new ReplayError(`replay file has no completions: ${file}`);
    return new ReplayBackend(entries, `replay:${file}`, info);
  }

  /** Number of problems with completions. */
  get size(): number {
    return this.entries.size;
  }

  /** Most samples any one problem has (a sensible default for --samples). */
  get maxSamples(): number {
    let m = 0;
    for (const s of this.entries.values()) m = Math.max(m, s.size);
    return m;
  }

  private lookup(problemId: string): Map<number, ReplayEntry> | undefined {
    // Runs name problems `<suite>/<id>`; files made elsewhere may carry the bare id.
    return this.entries.get(problemId) ?? this.entries.get(problemId.slice(problemId.indexOf("/") + 1));
  }

  async generate(req: GenerationRequest, _signal?: AbortSignal): Promise<Generation[]> {
    const samples = this.lookup(req.problemId);
    if (!samples) throw new ReplayError(`${this.model} has no completion for ${req.problemId}`);
    return req.sampleIndices.map((i) => {
      const e = samples.get(i);
      if (!e) throw new ReplayError(`${this.model} has no completion for ${req.problemId} sample ${i} (it has ${samples.size}; lower --samples?)`);
      return { problemId: req.problemId, sampleIndex: i, ...e };
    });
  }

  async close(): Promise<void> {}
}
