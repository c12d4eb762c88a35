// Issue 16, item 4: every HTTP run printed "MaxListenersExceededWarning: Possible EventTarget memory leak detected.
// 11 abort listeners added to [AbortSignal]": abort listeners were added to shared signals per request. Now a shared
// signal carries at most one listener of the backend however many requests run, and none once they are done.
import { getEventListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AbortHub, OpenAIBackend } from "../../src/backends/openai.js";
import type { GenerationRequest } from "../../src/backends/types.js";
import { getSuite } from "../../benchmarks/registry.js";
import { userMessageRenderer } from "../../src/runner/prepare.js";
import { runEval } from "../../src/runner/runner.js";
import { answerLine, FakeOpenAIServer } from "../support/fake-openai-server.js";

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Collects process warnings while `fn` runs. */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const on = (w: Error): void => {
    seen.push(`${w.name}: ${w.message}`);
  };
  process.on("warning", on);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off("warning", on);
  }
  return seen;
}

const request = (i: number): GenerationRequest => ({
  problemId: `p/${i}`,
  question: `q${i}`,
  prompt: `PROMPT ${i}`,
  messages: [{ role: "user", content: `PROMPT ${i}` }],
  sampleIndices: [0],
  params: { temperature: 0.6, topP: 0.95, maxNewTokens: 64, seed: 1 },
});

describe("abort listeners", () => {
  it("1,000 concurrent requests on one caller signal: at most one listener on it at any time, none after", async () => {
    const signal = new AbortController().signal;
    let most = 0;
    const s = await FakeOpenAIServer.start({
      script: () => {
        most = Math.max(most, getEventListeners(signal, "abort").length);
        return { kind: "complete", choices: [{ text: "ok" }], delayMs: 1 };
      },
    });
    servers.push(s);
    const b = await OpenAIBackend.open({ baseUrls: s.url, concurrency: 32 });
    const warnings = await warningsDuring(async () => {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => b.generate(request(i), signal)));
    });
    expect(s.count).toBe(1000);
    expect(most).toBe(1);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    expect(b.watchedSignals).toBe(0);
    expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
    await b.close();
  });

  it("a 1,000-sample run through the runner adds no listener and prints no warning", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "openrs-listeners-"));
    try {
      const config = getSuite("aime24");
      const problems = Array.from({ length: 1000 }, (_, i) => ({ id: `aime24/${i}`, suite: "aime24", question: `Problem ${i}`, gold: String(i) }));
      const s = await FakeOpenAIServer.start({ script: (r) => ({ kind: "complete", choices: [{ text: answerLine(r.prompt.slice(-3)) }] }) });
      servers.push(s);
      const b = await OpenAIBackend.open({ baseUrls: s.url, chat: true, concurrency: 16 });
      const outer = new AbortController();
      let result: Awaited<ReturnType<typeof runEval>> | null = null;
      const warnings = await warningsDuring(async () => {
        result = await runEval({
          backend: b,
          suites: [{ config, problems }],
          render: userMessageRenderer().render,
          promptFormat: "user-message",
          out: join(tmp, "run"),
          samples: 1,
          sampling: { temperature: 0.6, topP: 0.95, maxNewTokens: 64, seed: 1 },
          k: [1],
          concurrency: 64,
          jobs: 1,
          resamples: 10,
          progress: "off",
          signal: outer.signal,
        });
      });
      await b.close();
      expect(result!.generated).toBe(1000);
      expect(s.count).toBe(1000);
      expect(getEventListeners(outer.signal, "abort")).toHaveLength(0);
      expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);

  it("AbortHub: one listener per signal, every watcher called on abort, detached when the last leaves", () => {
    const hub = new AbortHub();
    const ac = new AbortController();
    const calls: number[] = [];
    const offs = [0, 1, 2].map((i) => hub.watch(ac.signal, () => calls.push(i)));
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    offs[1]();
    ac.abort();
    expect(calls).toEqual([0, 2]);
    expect(hub.size).toBe(0);
    offs[0]();
    offs[2]();
    const other = new AbortController();
    const off = hub.watch(other.signal, () => calls.push(9));
    off();
    expect(getEventListeners(other.signal, "abort")).toHaveLength(0);
    other.abort();
    expect(calls).toEqual([0, 2]);
  });
});
