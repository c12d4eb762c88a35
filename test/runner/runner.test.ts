// The eval runner in-process over small in-test suites and the replay backend: outputs, metrics, resume, refusal
// to mix settings, torn lines, backend failure, maj@k through grader equivalence, regrading, and bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Problem, SuiteConfig } from "../../benchmarks/types.js";
import { createBackend, ModelSpecError } from "../../src/backends/index.js";
import { parseReplay, ReplayBackend, ReplayError } from "../../src/backends/replay.js";
import { TestBackend } from "../../src/backends/test-backend.js";
import type { Backend } from "../../src/backends/types.js";
import { regradeRun } from "../../src/runner/regrade.js";
import { readManifest, readSamples, RunDirError, type SampleRecord } from "../../src/runner/run-dir.js";
import { PAPER_SAMPLING, type RunOptions, runEval } from "../../src/runner/runner.js";

const root = mkdtempSync(join(tmpdir(), "openrs-runner-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = (): string => join(root, `run${++dirs}`);

function suite(id: string, golds: string[]): { config: SuiteConfig; problems: Problem[] } {
  const config: SuiteConfig = {
    id,
    name: id.toUpperCase(),
    dataset: "in-test",
    split: "test",
    count: golds.length,
    questionField: "problem",
    goldFrom: "answer",
    preset: "eval-numeric",
    paper: false,
    version: "1",
  };
  return { config, problems: golds.map((gold, i) => ({ id: `${id}/${i}`, suite: id, question: `Question ${i} of ${id}?`, gold, meta: { level: i + 1, subject: "Algebra" } })) };
}

const box = (x: string): string => `<think>\nworking\n</think>\nTherefore, the final answer is: $\\boxed{${x}}$. I hope it is correct`;

// Suite "s1": 3 problems × 2 samples; suite "s2": 2 problems × 2 samples. Correct pattern chosen by hand.
const S1 = suite("s1", ["3", "10", "7"]);
const S2 = suite("s2", ["1", "2"]);
const replayLines = [
  { id: "s1/0", sample: 0, completion: box("3"), finish: "stop", completionTokens: 10 },
  { id: "s1/0", sample: 1, completion: box("4"), finish: "stop", completionTokens: 20 },
  { id: "s1/1", sample: 0, completion: box("10"), completionTokens: 30 },
  { id: "s1/1", sample: 1, completion: box("10") },
  { id: "s1/2", sample: 0, completion: "I could not finish", finish: "length" },
  { id: "s1/2", sample: 1, completion: box("8") },
  { id: "s2/0", completion: box("1") }, // no sample index: numbered in file order
  { id: "s2/0", completion: "Ответ будет такой: $\\boxed{1}$, всё." },
  { id: "s2/1", completion: box("5") },
  { id: "s2/1", completion: box("5") },
];
const replayFile = join(root, "replay.jsonl");
writeFileSync(replayFile, replayLines.map((l) => JSON.stringify(l)).join("\n") + "\n");

function options(out: string, backend: Backend, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    backend,
    suites: [S1, S2],
    render: (p) => ({ prompt: `PROMPT ${p.question}`, messages: [{ role: "user", content: p.question }] }),
    promptFormat: "user-message",
    out,
    samples: 2,
    sampling: PAPER_SAMPLING,
    k: [1, 2],
    concurrency: 3,
    jobs: 1,
    resamples: 200,
    progress: "off",
    ...extra,
  };
}

const sortKey = (r: SampleRecord): string => `${r.suite}|${r.id}|${r.sample}`;
const sorted = (rs: SampleRecord[]): SampleRecord[] => [...rs].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));

describe("runEval with the replay backend", () => {
  const out = newDir();
  let result: Awaited<ReturnType<typeof runEval>>;

  it("writes run.json, samples.jsonl and summary.md with the metrics worked out by hand", async () => {
    result = await runEval(options(out, ReplayBackend.fromFile(replayFile)));
    expect(result.generated).toBe(10);
    const m = readManifest(out)!;
    expect(m.schema).toBe("openrs-run");
    expect(m.schemaVersion).toBe(1);
    expect(m.status).toBe("complete");
    expect(m.backend).toBe("replay");
    expect(m.model).toBe(`replay:${replayFile}`);
    expect(m.settings.sampling).toEqual(PAPER_SAMPLING);
    expect(m.grader.version).toMatch(/openrs-grader/);
    expect(m.suites.map((s) => [s.id, s.version, s.problems])).toEqual([
      ["s1", "1", 3],
      ["s2", "1", 2],
    ]);
    expect(m.suites[0].promptHash).toMatch(/^[0-9a-f]{16}$/);
    const s1 = m.metrics!.suites.s1;
    const s2 = m.metrics!.suites.s2;
    // s1: problem 0 one of two, problem 1 two of two, problem 2 none → (0.5 + 1 + 0)/3.
    expect(s1.scores["pass@1:n=2"]).toBeCloseTo(0.5, 12);
    expect(s1.scores["pass@k:k=2&n=2"]).toBeCloseTo(2 / 3, 12);
    expect(s1.counts).toEqual({ noAnswer: 1, truncated: 1, format: 5, languageDrift: 0, contextClamped: 0 });
    expect(s1.meanCompletionTokens).toBe(20);
    // s2: problem 0 two of two (the Russian one boxes 1 too), problem 1 none → 0.5; one drifting completion.
    expect(s2.scores["pass@1:n=2"]).toBeCloseTo(0.5, 12);
    expect(s2.counts.languageDrift).toBe(1);
    expect(m.metrics!.overall!.scores["pass@1:n=2"]).toBeCloseTo(0.5, 12);
    expect(readFileSync(join(out, "summary.md"), "utf8")).toContain("| S1 | S2 | Avg. |");
  });

  it("records every field of every sample", () => {
    const { records } = readSamples(join(out, "samples.jsonl"));
    expect(records).toHaveLength(10);
    const r = records.find((x) => x.id === "s1/0" && x.sample === 1)!;
    // The question and the problem's metadata on every line, the extraction rule beside the extracted answer; the
    // rendered prompt once per suite in run.json (it only wraps the question in the template).
    expect(r).toMatchObject({ suite: "s1", correct: false, extracted: "4", rule: "boxed", finish: "stop", completionTokens: 20, gold: "3", question: "Question 0 of s1?", meta: { level: 1, subject: "Algebra" } });
    expect(r.prompt).toBeUndefined();
    expect(readManifest(out)!.suites[0].promptExample).toBe("PROMPT Question 0 of s1?");
    expect(r.reason).toMatch(/^not-equal/);
    expect(r.cfg).toMatch(/^[0-9a-f]{16}$/);
    expect(records.find((x) => x.id === "s1/2" && x.sample === 0)).toMatchObject({ extracted: null, reason: "no-answer", finish: "length" });
  });

  it("a rerun with the same settings finds everything done and reproduces the metrics", async () => {
    const again = await runEval(options(out, ReplayBackend.fromFile(replayFile)));
    expect(again.generated).toBe(0);
    expect(again.reused).toBe(10);
    expect(again.manifest.metrics).toEqual(result.manifest.metrics);
    expect(readSamples(join(out, "samples.jsonl")).records).toHaveLength(10);
  });

  it("replays a previous run's samples.jsonl into the same verdicts and metrics", async () => {
    const dir = newDir();
    const again = await runEval(options(dir, ReplayBackend.fromFile(join(out, "samples.jsonl"))));
    expect(again.manifest.metrics).toEqual(result.manifest.metrics);
    // Everything but the fingerprint (the model spec differs) carries over, finish reasons and token counts included.
    const strip = (rs: SampleRecord[]) => sorted(rs).map(({ cfg: _cfg, ...rest }) => rest);
    expect(strip(readSamples(join(dir, "samples.jsonl")).records)).toEqual(strip(readSamples(join(out, "samples.jsonl")).records));
  });

  it("refuses to mix samples made with different settings", async () => {
    const rows: [Partial<RunOptions>, RegExp][] = [
      [{ promptFormat: "chat-template:abc" }, /prompt format/],
      [{ suites: [{ ...S1, config: { ...S1.config, version: "2" } }] }, /s1 version "1" → "2"/],
    ];
    for (const [extra, message] of rows) {
      await expect(runEval(options(out, ReplayBackend.fromFile(replayFile), extra))).rejects.toThrow(message);
    }
    // Sampling settings change what a model generates, so a sampling backend refuses them...
    const sampled = newDir();
    await runEval(options(sampled, new TestBackend("test:")));
    const sampledRows: [Partial<RunOptions>, RegExp][] = [
      [{ sampling: { ...PAPER_SAMPLING, temperature: 0.7 } }, /different settings.*temperature 0\.6 → 0\.7/],
      [{ sampling: { ...PAPER_SAMPLING, seed: 1 } }, /seed 1234 → 1/],
      [{ kvCache: "bf16" }, /kv-cache "f32" → "bf16"/],
      [{ activations: "bf16" }, /activations "f32" → "bf16"/],
    ];
    for (const [extra, message] of sampledRows) {
      await expect(runEval(options(sampled, new TestBackend("test:"), extra))).rejects.toThrow(message);
    }
  });

  it("a replay rerun is not refused for sampling flags a replay never used; its record keeps the first sampling", async () => {
    const again = await runEval(options(out, ReplayBackend.fromFile(replayFile), { sampling: { ...PAPER_SAMPLING, temperature: 0.1, seed: 7 } }));
    expect(again.generated).toBe(0);
    expect(again.manifest.settings.sampling).toEqual(PAPER_SAMPLING);
  });

  it("refuses samples whose fingerprint differs even without run.json, and a wrong schema version", async () => {
    const dir = newDir();
    await runEval(options(dir, ReplayBackend.fromFile(replayFile)));
    rmSync(join(dir, "run.json"));
    await expect(runEval(options(dir, ReplayBackend.fromFile(replayFile), { sampling: { ...PAPER_SAMPLING, topP: 0.9 } }))).rejects.toThrow(
      /samples of s1 made with different settings/,
    );
    writeFileSync(join(dir, "run.json"), JSON.stringify({ schema: "openrs-run", schemaVersion: 99 }));
    await expect(runEval(options(dir, ReplayBackend.fromFile(replayFile)))).rejects.toThrow(/schema version 99.*reads version 1/);
  });
});

describe("resuming", () => {
  it("tolerates a torn last line, skips finished pairs and ends equal to an uninterrupted run", async () => {
    const full = newDir();
    const ref = await runEval(options(full, ReplayBackend.fromFile(replayFile)));
    const lines = readFileSync(join(full, "samples.jsonl"), "utf8").split("\n").filter(Boolean);
    const part = newDir();
    await runEval(options(part, ReplayBackend.fromFile(replayFile), { suites: [S1], samples: 1 })); // creates run.json
    // Keep four whole lines and half of the fifth, as a kill mid-write would.
    writeFileSync(join(part, "samples.jsonl"), `${lines.slice(0, 4).join("\n")}\n${lines[4].slice(0, 30)}`);
    const resumed = await runEval(options(part, ReplayBackend.fromFile(replayFile)));
    expect(resumed.reused).toBe(4);
    expect(resumed.generated).toBe(6);
    const a = readSamples(join(full, "samples.jsonl")).records;
    const b = readSamples(join(part, "samples.jsonl")).records;
    expect(sorted(b)).toEqual(sorted(a));
    expect(resumed.manifest.metrics).toEqual(ref.manifest.metrics);
  });

  it("a corrupt line in the middle is an error, not silently dropped", async () => {
    const dir = newDir();
    await runEval(options(dir, ReplayBackend.fromFile(replayFile)));
    const lines = readFileSync(join(dir, "samples.jsonl"), "utf8").split("\n");
    lines[2] = "{broken";
    writeFileSync(join(dir, "samples.jsonl"), lines.join("\n"));
    await expect(runEval(options(dir, ReplayBackend.fromFile(replayFile)))).rejects.toThrow(/samples\.jsonl:3: corrupt sample line/);
  });

  it("a failing backend stops the run with its message and keeps what was saved", async () => {
    const dir = newDir();
    const inner = ReplayBackend.fromFile(replayFile);
    let calls = 0;
    const flaky: Backend = {
      name: "replay",
      model: inner.model,
      async generate(req, signal) {
        if (++calls === 3) throw new Error("server down: connection refused");
        return inner.generate(req, signal);
      },
      close: () => inner.close(),
    };
    await expect(runEval(options(dir, flaky, { concurrency: 1 }))).rejects.toThrow("server down: connection refused");
    // Recorded as failed with the error, never left "running".
    expect(readManifest(dir)!).toMatchObject({ status: "failed", error: "server down: connection refused" });
    expect(readSamples(join(dir, "samples.jsonl")).records).toHaveLength(4); // two problems × two samples
    const resumed = await runEval(options(dir, ReplayBackend.fromFile(replayFile)));
    expect(resumed.reused).toBe(4);
    expect(resumed.manifest.status).toBe("complete");
  });
});

describe("maj@k groups answers the grader finds equal", () => {
  it("1/2 and \\frac{1}{2} vote together and outvote the gold", async () => {
    const s = suite("m", ["3"]);
    const file = join(root, "maj.jsonl");
    const comps = [box("3"), box("1/2"), box("\\frac{1}{2}"), box("7")];
    writeFileSync(file, comps.map((c, i) => JSON.stringify({ id: "m/0", sample: i, completion: c })).join("\n"));
    const r = await runEval(options(newDir(), ReplayBackend.fromFile(file), { suites: [s], samples: 4, k: [1, 3, 4] }));
    const m = r.manifest.metrics!.suites.m;
    expect(m.scores["pass@1:n=4"]).toBe(0.25);
    expect(m.scores["pass@k:k=4&n=4"]).toBe(1);
    // Without grouping, k=3 would be a 1–1–1 tie won by the gold (seen first).
    expect(m.scores["maj@k:k=3&n=4"]).toBe(0);
    expect(m.scores["maj@k:k=4&n=4"]).toBe(0);
  });
});

describe("regrade", () => {
  it("lists every verdict that changed and writes the corrected run on request", async () => {
    const dir = newDir();
    const ref = await runEval(options(dir, ReplayBackend.fromFile(replayFile)));
    const file = join(dir, "samples.jsonl");
    const records = readSamples(file).records;
    // Pretend an older grader got two verdicts wrong.
    const tampered = records.map((r) => (r.id === "s1/0" && r.sample === 1) || (r.id === "s2/0" && r.sample === 0) ? { ...r, correct: !r.correct } : r);
    writeFileSync(file, tampered.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const dry = await regradeRun(dir, { jobs: 1 });
    expect(dry.changed.map((c) => [c.id, c.sample, c.before.correct, c.after.correct]).sort()).toEqual([
      ["s1/0", 1, true, false],
      ["s2/0", 0, false, true],
    ]);
    expect(dry.after).toEqual(ref.manifest.metrics);
    expect(dry.written).toBe(false);
    const wet = await regradeRun(dir, { jobs: 1, write: true });
    expect(wet.written).toBe(true);
    expect((await regradeRun(dir, { jobs: 1 })).changed).toEqual([]);
  });
});

describe("replay files", () => {
  const rows: [text: string, message: RegExp, why: string][] = [
    ['{"id": "a", "completion": "x"}\n{oops}\n{"id": "b", "completion": "y"}', /f:2: not valid JSON/, "bad JSON in the middle"],
    ['{"completion": "x"}', /f:1: "id" must be a non-empty string, got undefined/, "missing id"],
    ['{"id": "a", "completion": 5}', /f:1: "completion" must be a string, got number/, "completion not a string"],
    ['{"id": "a", "completion": "x", "sample": -1}', /sample index must be an integer ≥ 0/, "bad sample index"],
    ['{"id": "a", "completion": "x", "sample": 0}\n{"id": "a", "completion": "y", "sample": 0}', /duplicate completion for a sample 0/, "duplicate pair"],
    ["[1, 2]", /expected a JSON object, got array/, "not an object"],
  ];
  it.each(rows)("%#: %s (%s)", (text, message) => {
    expect(() => parseReplay(text, "f")).toThrow(message);
  });

  it("numbers samples in file order, reads run records, and ignores a torn last line", () => {
    const m = parseReplay('{"id":"a","completion":"x"}\n{"id":"a","completion":"y","finish_reason":"length","completion_tokens":7}\n{"id":"a","comp');
    expect([...m.get("a")!.entries()].map(([i, e]) => [i, e.completion, e.finishReason, e.completionTokens])).toEqual([
      [0, "x", "unknown", null],
      [1, "y", "length", 7],
    ]);
  });

  it("asks clearly for a missing problem or sample, and matches bare ids", async () => {
    const b = new ReplayBackend(parseReplay('{"id":"7","completion":"x"}'), "replay:f");
    const req = { problemId: "s/7", question: "", prompt: "", messages: [], sampleIndices: [0], params: PAPER_SAMPLING };
    expect((await b.generate(req))[0].completion).toBe("x");
    await expect(b.generate({ ...req, sampleIndices: [1] })).rejects.toThrow("replay:f has no completion for s/7 sample 1");
    await expect(b.generate({ ...req, problemId: "s/8" })).rejects.toThrow(ReplayError);
  });
});

describe("createBackend", () => {
  const rows: [spec: string, message: RegExp, why: string][] = [
    [`replay:${join(root, "nope.jsonl")}`, /replay file not found/, "missing replay file"],
    ["replay:", /needs a file/, "empty replay spec"],
    [root, /config\.json|native engine is not available/, "a directory that is not a checkpoint (or no native library)"],
    [join(root, "missing-model"), /no such directory/, "unreadable model path"],
    [replayFile, /use replay:/, "a plain file"],
    ["", /--model is empty/, "empty spec"],
  ];
  it.each(rows)("%s → %s (%s)", async (spec, message) => {
    await expect(createBackend(spec)).rejects.toThrow(message);
  });
  it("gives the error classes the CLI turns into usage errors", async () => {
    await expect(createBackend(root)).rejects.toBeInstanceOf(ModelSpecError);
    await expect(createBackend(`replay:${join(root, "nope")}`)).rejects.toBeInstanceOf(ReplayError);
    expect(RunDirError).toBeDefined();
  });
});

describe("runEval with the OpenAI-compatible backend against a fake server on 127.0.0.1", () => {
  it("renders, requests, grades and records finish reasons and token counts", async () => {
    const { FakeOpenAIServer, answerLine } = await import("../support/fake-openai-server.js");
    // Problem i of a suite is answered with 3 on sample 0 and 10 on sample 1; "s2" problem 1 is truncated.
    const server = await FakeOpenAIServer.start({
      script: (r) => ({
        kind: "complete",
        choices: Array.from({ length: r.n }, (_, j) =>
          r.prompt.includes("Question 1 of s2") ? { text: "Let me think", finishReason: "length" as const } : { text: answerLine(r.seed + j === PAPER_SAMPLING.seed ? "3" : "10") },
        ),
      }),
    });
    try {
      const backend = await createBackend(server.url, { concurrency: 4, maxAttempts: 1 });
      const r = await runEval(options(newDir(), backend));
      await backend.close();
      expect(r.manifest.backend).toBe("openai");
      const s1 = r.manifest.metrics!.suites.s1;
      // s1 golds 3, 10, 7: problem 0 right on sample 0, problem 1 right on sample 1, problem 2 never.
      expect(s1.scores["pass@1:n=2"]).toBeCloseTo((0.5 + 0.5 + 0) / 3, 12);
      expect(s1.counts.format).toBe(6);
      expect(r.manifest.metrics!.suites.s2.counts.truncated).toBe(2);
      expect(s1.meanCompletionTokens).toBeGreaterThan(0);
      expect(server.requests.some((q) => q.prompt.startsWith("PROMPT Question"))).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe("samples.jsonl scanning", () => {
  it("reads lines longer than its 4 MiB chunk and multi-byte text split across chunks, and reports a torn tail", () => {
    const file = join(root, "scan.jsonl");
    const rec = (sample: number, completion: string): string =>
      JSON.stringify({ suite: "s", id: "p", sample, cfg: "x", correct: false, extracted: null, reason: "", finish: "stop", promptTokens: null, completionTokens: null, gold: "", prompt: "", completion });
    const long = "é∑".repeat(1_500_000); // 7.5 MB of UTF-8: crosses chunk edges mid-character
    writeFileSync(file, `${rec(0, "a")}\n${rec(1, long)}\n${rec(2, "b")}\n{"suite":"s","id":"p","sam`);
    const { records, tornBytes, goodBytes } = readSamples(file);
    expect(records.map((r) => r.sample)).toEqual([0, 1, 2]);
    expect(records[1].completion).toBe(long);
    expect(tornBytes).toBe(Buffer.byteLength('{"suite":"s","id":"p","sam'));
    expect(goodBytes + tornBytes).toBe(readFileSync(file).length);
  });
});
