// The run's console tables and summary.md read at a glance (issue 14, section 6): 100 columns with 16 samples,
// pass@k labels as people write them, failure modes as rates with counts, wall-clock vs summed request time
// labelled, the two prompt hashes named apart, and intervals over too few problems flagged.
import { describe, expect, it } from "vitest";
import { computeMetrics, defaultKs, type ScoredSample } from "../../src/runner/metrics.js";
import { detailTable, summaryMarkdown, table1, uncertaintyNote } from "../../src/runner/report.js";
import type { RunManifest } from "../../src/runner/run-dir.js";

const PAPER = [
  ["aime24", "AIME24", 30],
  ["math500", "MATH-500", 500],
  ["amc23", "AMC23", 40],
  ["minerva", "Minerva", 272],
  ["olympiadbench", "OlympiadBench", 675],
] as const;

/** Samples with a fixed pattern: problem p, sample s right when (p·7 + s·3) % 10 < 4; every 4th truncated. */
function samples(suites: readonly (readonly [string, string, number])[], n: number): ScoredSample[] {
  const out: ScoredSample[] = [];
  for (const [suite, , problems] of suites) {
    for (let p = 0; p < problems; p++) {
      for (let s = 0; s < n; s++) {
        const correct = (p * 7 + s * 3) % 10 < 4;
        out.push({
          suite,
          id: `${suite}/${p}`,
          sample: s,
          correct,
          extracted: (p + s) % 5 === 0 ? null : "1",
          finish: (p + s) % 4 === 0 ? "length" : "stop",
          completionTokens: 1000 + p,
          think: true,
          drift: false,
          vote: correct ? 0 : 1,
        });
      }
    }
  }
  return out;
}

function manifest(suites: readonly (readonly [string, string, number])[], n: number, model = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B-with-a-long-suffix"): RunManifest {
  return {
    schema: "openrs-run",
    schemaVersion: 1,
    status: "complete",
    model,
    backend: "openai",
    settings: { samples: n, sampling: { temperature: 0.6, topP: 0.95, maxNewTokens: 32768, seed: 1234 }, limit: null, k: defaultKs(n), concurrency: 32, preset: "r1" },
    promptFormat: "chat-template:abc",
    suites: suites.map(([id, name, problems]) => ({ id, name, version: "1", dataset: "d", split: "test", goldFrom: "answer", preset: "eval", problems, promptHash: "a1b2c3d4e5f60718", lightevalHash: "1234abcd5678ef90" })),
    grader: { version: "g" },
    git: { commit: null, dirty: null },
    timings: { started: "", updated: "", seconds: 1.2, generationSeconds: 0.9, gradingSeconds: 30.2, resumes: 0 },
    resumedSamples: 0,
    metrics: computeMetrics(samples(suites, n), { k: defaultKs(n), resamples: 200 }, suites.map((s) => s[0])),
  };
}

describe("console tables with 16 samples over the paper's five suites", () => {
  const m = manifest(PAPER, 16);
  const text = `${table1(m)}\n${detailTable(m)}\n${uncertaintyNote(m)}`;

  it("fit in 100 columns", () => {
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it("label pass@k and maj@k as pass@16 and maj@16, and say which k were left out", () => {
    expect(text).not.toMatch(/pass@k:k=|maj@k:k=|&n=/);
    expect(text).toMatch(/pass@16/);
    expect(text).toMatch(/maj@16/);
    expect(text).toMatch(/pass@2, pass@4, maj@2, maj@4 left out to fit 100 columns/);
  });

  it("give failure modes as rates with the count in brackets", () => {
    // 30 AIME problems × 16 samples = 480; (p + s) % 4 === 0 marks 120 of them truncated.
    expect(text).toMatch(/AIME24 .*25\.0% \(120\)/);
    expect(text).not.toMatch(/│ 120 │/);
  });
});

describe("intervals that mean little are flagged", () => {
  it("a 3-problem run shows no [0.0, 0.0] interval and says why", () => {
    const m = manifest([["aime24", "AIME24", 3]], 1);
    for (const s of Object.values(m.metrics!.suites)) s.ci95 = { ...s.ci95, lo: 0, hi: 0 };
    const text = `${detailTable(m)}\n${uncertaintyNote(m)}`;
    expect(text).not.toContain("[0.0, 0.0]");
    expect(text).toMatch(/AIME24: only 3 problems: a 95% interval needs at least 10 to mean anything/);
  });

  it("an interval with no width over 30 problems carries the rule-of-three bound", () => {
    const m = manifest([["aime24", "AIME24", 30]], 1);
    m.metrics!.suites.aime24.ci95 = { ...m.metrics!.suites.aime24.ci95, lo: 0, hi: 0 };
    const text = `${detailTable(m)}\n${uncertaintyNote(m)}`;
    expect(text).toMatch(/\[0\.0, 0\.0\]†/);
    expect(text).toMatch(/† AIME24: every one of the 30 problems scored 0.*up to 10\.0%/s);
  });
});

describe("summary.md", () => {
  const md = summaryMarkdown(manifest(PAPER, 4));

  it("labels wall-clock time apart from request time summed over concurrent requests", () => {
    expect(md).toMatch(/- time: 1\.2 s wall-clock over 1 invocation\(s\)\. Request time summed over concurrent requests/);
    expect(md).toMatch(/not CPU time\): generation 0\.9 s, grading 30\.2 s/);
  });

  it("names the rendered-prompt hash and lighteval's hash_examples apart", () => {
    expect(md).toContain("aime24 v1 (rendered-prompt hash a1b2c3d4e5f60718, lighteval hash_examples 1234abcd5678ef90)");
    expect(md).not.toMatch(/\(prompt hash/);
  });

  it("keeps every pass@k and maj@k column (markdown is not width-limited)", () => {
    expect(md).toMatch(/\| pass@2 \| pass@4 \| maj@2 \| maj@4 \|/);
  });
});
