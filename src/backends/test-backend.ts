// TEST-ONLY backend (`--model test:[delay=MS][,correct=P]`): deterministic fake completions for the runner's own
// tests (kill -9 / resume). Not a model. Each completion is a pure function of (problem, sample, seed), so an
// interrupted and resumed run must reproduce an uninterrupted one exactly.
import type { Backend, Generation, GenerationRequest } from "./types.js";

/** 32-bit FNV-1a, then a murmur finaliser: a deterministic uniform number in [0, 1) per key. */
function unit(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

export interface TestBackendOptions {
  /** Milliseconds each generate call waits (so a test can kill the process mid-run). */
  delayMs: number;
  /** Probability that a sample answers the gold. */
  correct: number;
}

/** Parses `test:delay=20,correct=0.6` (every part optional). */
export function parseTestSpec(spec: string): TestBackendOptions {
  const opts: TestBackendOptions = { delayMs: 0, correct: 0.5 };
  const body = spec.slice("test:".length);
  for (const part of body.split(",").filter((p) => p !== "")) {
    const [k, v] = part.split("=");
    const n = Number(v);
    if (k === "delay" && Number.isFinite(n) && n >= 0) opts.delayMs = n;
    else if (k === "correct" && Number.isFinite(n) && n >= 0 && n <= 1) opts.correct = n;
    else throw new Error(`bad test backend option "${part}" (known: delay=MS, correct=P)`);
  }
  return opts;
}

/** The gold a test problem carries in its question as `[gold: X]`, or null. */
function goldOf(question: string): string | null {
  const m = /\[gold: ([^\]]+)\]/.exec(question);
  return m ? m[1] : null;
}

export class TestBackend implements Backend {
  readonly name = "test";
  readonly model: string;

  constructor(
    spec: string,
    private readonly opts: TestBackendOptions = parseTestSpec(spec),
  ) {
    this.model = spec;
  }

  /** The completion for one sample: right, wrong, unanswered, truncated or drifting, decided by hashes. */
  completionFor(req: GenerationRequest, sampleIndex: number): Generation {
    const key = `${req.problemId}|${sampleIndex}|${req.params.seed}|${req.params.temperature}`;
    const gold = goldOf(req.question) ?? String(Math.floor(unit(`${key}|g`) * 10));
    const u = unit(key);
    const wrong = String(Number.isFinite(Number(gold)) ? Number(gold) + 1 + Math.floor(unit(`${key}|w`) * 3) : `${gold}x`);
    const answer = u < this.opts.correct ? gold : wrong;
    const kind = unit(`${key}|k`);
    const think = kind > 0.15 ? "<think>\nLet me work through this carefully.\n</think>\n" : "";
    let completion: string;
    let finishReason: Generation["finishReason"] = "stop";
    if (kind < 0.05) {
      completion = `${think}I am not sure how to finish this.`;
    } else if (kind < 0.1) {
      completion = `${think}Let me keep going with the long computation`;
      finishReason = "length";
    } else if (kind < 0.13) {
      completion = `${think}Давайте решим эту задачу шаг за шагом. Ответ: $\\boxed{${answer}}$.`;
    } else {
      completion = `${think}Therefore, the final answer is: $\\boxed{${answer}}$. I hope it is correct`;
    }
    const completionTokens = Math.ceil(completion.length / 4);
    return { problemId: req.problemId, sampleIndex, completion, finishReason, promptTokens: Math.ceil(req.prompt.length / 4), completionTokens };
  }

  async generate(req: GenerationRequest, signal?: AbortSignal): Promise<Generation[]> {
    if (this.opts.delayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          clearTimeout(t);
          reject(new Error("aborted"));
        };
        const t = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, this.opts.delayMs);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    return req.sampleIndices.map((i) => this.completionFor(req, i));
  }

  async close(): Promise<void> {}
}
