// One conformance suite every backend runs (as hono runs shared cases against each runtime): the same fixtures are
// served by each backend (replay from a JSONL file, openai from a fake HTTP server), then the same cases check them.
// A backend that cannot run here is skipped with its reason.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend, Generation, GenerationRequest } from "../../src/backends/types.js";
import { FakeOpenAIServer } from "../support/fake-openai-server.js";

/** What each backend must serve: the completion and finish reason of each (problem, sample). */
interface Fixture {
  problemId: string;
  sampleIndex: number;
  completion: string;
  finishReason: "stop" | "length";
}

const SEED = 1234;
const PROBLEMS = ["aime24/60", "math500/test/algebra/1.json", "amc23/7"];
const SAMPLES = 5;
const FIXTURES: Fixture[] = PROBLEMS.flatMap((problemId, p) =>
  Array.from({ length: SAMPLES }, (_, i) => ({
    problemId,
    sampleIndex: i,
    completion: `<think>\nsample ${i} of ${problemId}\n</think>\n\nTherefore, the final answer is: $\\boxed{${p * 10 + i}}$. I hope it is correct`,
    // One truncated sample per problem, so "length" must survive the trip too.
    finishReason: i === 3 ? ("length" as const) : ("stop" as const),
  })),
);
const fixture = (problemId: string, i: number) => FIXTURES.find((f) => f.problemId === problemId && f.sampleIndex === i)!;

function request(problemId: string, sampleIndices: number[], maxNewTokens = 1024): GenerationRequest {
  return {
    problemId,
    question: `question ${problemId}`,
    prompt: `<｜User｜>question ${problemId}<｜Assistant｜><think>\n`,
    messages: [{ role: "user", content: `question ${problemId}` }],
    sampleIndices,
    params: { temperature: 0.6, topP: 0.95, maxNewTokens, seed: SEED },
  };
}

interface Harness {
  name: string;
  /** Why this backend is skipped here; null when it runs. */
  skip: () => Promise<string | null>;
  /** A fresh backend serving FIXTURES, and how to tear down what it needed. */
  make: () => Promise<{ backend: Backend; cleanup: () => Promise<void> }>;
  /**
   * A generating backend (native) cannot serve FIXTURES: its expected sample i is what a request for sample i alone
   * returns (seeded seed + i), which a batched or resumed request must reproduce exactly.
   */
  generates?: { maxNewTokens: number };
}

const here = dirname(fileURLToPath(import.meta.url));
const REPLAY_SOURCE = join(here, "..", "..", "src", "backends", "replay.ts");

/** Replay: FIXTURES written as a JSONL file in the replay format. Imported at run time: the file may not exist yet. */
const replay: Harness = {
  name: "replay",
  skip: async () => (existsSync(REPLAY_SOURCE) ? null : "src/backends/replay.ts does not exist yet (the runner issue adds it)"),
  make: async () => {
    const dir = mkdtempSync(join(tmpdir(), "openrs-conformance-"));
    const file = join(dir, "replay.jsonl");
    writeFileSync(
      file,
      FIXTURES.map((f) => JSON.stringify({ id: f.problemId, sample: f.sampleIndex, completion: f.completion, finish_reason: f.finishReason })).join("\n") +
        "\n",
    );
    const path = "../../src/backends/replay.js";
    const mod = (await import(path)) as { ReplayBackend: { fromFile(file: string): Backend } };
    return { backend: mod.ReplayBackend.fromFile(file), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

/** openai: a fake server that answers each (prompt, seed) with the fixture of that problem and sample. */
const openai: Harness = {
  name: "openai",
  skip: async () => null,
  make: async () => {
    const byPrompt = new Map(PROBLEMS.map((p) => [request(p, []).prompt, p]));
    const server = await FakeOpenAIServer.start({
      script: (r) => {
        const problemId = byPrompt.get(r.prompt);
        if (problemId === undefined) return { kind: "error", status: 400, message: "unknown prompt" };
        // Choice j of a request seeded s is sample s + j - SEED (the backend seeds each request with SEED + first index).
        const choices = Array.from({ length: r.n }, (_, j) => fixture(problemId, r.seed + j - SEED)).map((f) => ({
          text: f.completion,
          finishReason: f.finishReason,
        }));
        return { kind: "complete", choices, delayMs: 2 };
      },
    });
    const { OpenAIBackend } = await import("../../src/backends/openai.js");
    const backend = await OpenAIBackend.open({ baseUrls: server.url, concurrency: 4, backoffBaseMs: 2, timeoutMs: 5_000 });
    return {
      backend,
      cleanup: async () => {
        await backend.close();
        await server.close();
      },
    };
  },
};

/** native (CPU): a tiny random Qwen2 checkpoint the project writes itself; skipped when the library is not built. */
const native: Harness = {
  name: "native-cpu",
  generates: { maxNewTokens: 12 },
  skip: async () => {
    const { nativeStatus } = await import("../../native/ts/index.js");
    const s = nativeStatus();
    return s.available ? null : s.reason;
  },
  make: async () => {
    const { writeTinyModel } = await import("../../native/ts/index.js");
    const { NativeBackend } = await import("../../src/backends/native.js");
    const dir = mkdtempSync(join(tmpdir(), "openrs-conformance-native-"));
    writeTinyModel(dir, { arch: "qwen2", seed: 7 });
    const backend = await NativeBackend.open(dir, { threads: 1, device: "cpu" });
    return { backend, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const HARNESSES: Harness[] = [replay, openai, native];

const isOneLine = (e: unknown): boolean => e instanceof Error && e.message.length > 0 && !e.message.includes("\n");

function checkGeneration(g: Generation): void {
  expect(["stop", "length", "unknown"]).toContain(g.finishReason);
  for (const t of [g.promptTokens, g.completionTokens]) {
    expect(t === null || (Number.isInteger(t) && t >= 0), `token count ${t}`).toBe(true);
  }
  expect(typeof g.completion).toBe("string");
}

for (const h of HARNESSES) {
  const reason = await h.skip();
  const suite = reason === null ? describe : describe.skip;
  suite(`backend conformance: ${h.name}${reason === null ? "" : ` (skipped: ${reason})`}`, () => {
    let backend: Backend;
    let cleanup: () => Promise<void>;
    const maxNew = h.generates?.maxNewTokens ?? 1024;
    const solo = new Map<string, Generation>();
    /** What sample i of problem p must be: the fixture, or (generating backends) sample i requested alone. */
    const expected = async (p: string, i: number): Promise<{ completion: string; finishReason: string }> => {
      if (!h.generates) return fixture(p, i);
      const key = `${p}#${i}`;
      if (!solo.has(key)) solo.set(key, (await backend.generate(request(p, [i], maxNew)))[0]);
      return solo.get(key)!;
    };
    beforeAll(async () => {
      ({ backend, cleanup } = await h.make());
    });
    afterAll(async () => {
      await backend.close();
      await cleanup();
    });

    it("names itself", () => {
      expect(backend.name).toBe(h.name);
      expect(typeof backend.model).toBe("string");
      expect(backend.model.length).toBeGreaterThan(0);
    });

    // (requested indices, why)
    const rows: [number[], string][] = [
      [[0], "a single sample"],
      [[0, 1, 2, 3, 4], "all samples of a problem"],
      [[3], "one sample alone, as a resume asks for the missing one"],
      [[4, 1], "indices out of order, as a resume may ask"],
      [[2, 3, 4], "a tail of the samples"],
    ];
    it.each(rows)("returns exactly the requested samples %j (%s), each with its own completion", async (indices) => {
      for (const p of PROBLEMS) {
        const gens = await backend.generate(request(p, indices, maxNew));
        expect(gens.map((g) => g.sampleIndex).sort()).toEqual([...indices].sort());
        for (const g of gens) {
          checkGeneration(g);
          expect(g.problemId).toBe(p);
          const want = await expected(p, g.sampleIndex);
          expect(g.completion).toBe(want.completion);
          expect(g.finishReason).toBe(want.finishReason);
        }
      }
    });

    it("an empty request returns no samples", async () => {
      expect(await backend.generate(request(PROBLEMS[0], [], maxNew))).toEqual([]);
    });

    it("the same request twice gives the same samples (a resumed run equals an uninterrupted one)", async () => {
      const a = await backend.generate(request(PROBLEMS[1], [0, 1, 2], maxNew));
      const b = await backend.generate(request(PROBLEMS[1], [0, 1, 2], maxNew));
      const key = (gs: Generation[]) => gs.map((g) => `${g.sampleIndex}:${g.completion}`).sort();
      expect(key(b)).toEqual(key(a));
    });

    it("concurrent calls for different problems keep their ids apart", async () => {
      const all = await Promise.all(PROBLEMS.flatMap((p) => [0, 1, 2, 3, 4].map((i) => backend.generate(request(p, [i], maxNew)))));
      for (const [g] of all) expect(g.completion).toBe((await expected(g.problemId, g.sampleIndex)).completion);
    });

    // (bad indices, why)
    const bad: [unknown[], string][] = [
      [[-1], "a negative sample index"],
      [[0.5], "a fractional sample index"],
      [["0"], "a string index"],
    ];
    it.each(bad)("rejects %j (%s) with a one-line error", async (indices) => {
      const err = await backend.generate(request(PROBLEMS[0], indices as number[], maxNew)).catch((e: unknown) => e);
      expect(isOneLine(err), String(err)).toBe(true);
    });

    it("close() can be called twice", async () => {
      const { backend: b, cleanup: c } = await h.make();
      await b.close();
      await expect(b.close()).resolves.toBeUndefined();
      await c();
    });
  });
}
