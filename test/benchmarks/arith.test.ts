// The arith suite (issue 12): the generator's answers, mix and determinism; the test/train exclusion; the committed
// test split's bytes; loading, prompt, prompt hash and grading through the registry; `data pull` / `bench list`
// for a bundled suite; and an end-to-end `openrs-eval --model replay:FILE --bench arith` run (needs the build).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  ARITH_TEMPLATES,
  ARITH_TEST_V1,
  type ArithProblem,
  arithKey,
  arithTestJsonl,
  generateTest,
  generateTrain,
  splitOfKey,
} from "../../benchmarks/arith-gen.js";
import { loadProblems, readSuiteRows, suiteFile } from "../../benchmarks/load.js";
import { promptHash } from "../../benchmarks/prompt-hash.js";
import { getSource, getSuite, PAPER_SUITE_IDS, resolveBenchList, SUITE_IDS } from "../../benchmarks/registry.js";
import type { BenchListing } from "../../benchmarks/status.js";
import { grade } from "../../grading/grade.js";
import { main } from "../../src/cli.js";
import { chatTemplateRenderer, userMessageRenderer } from "../../src/runner/prepare.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const tmp = mkdtempSync(join(tmpdir(), "openrs-arith-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const suite = getSuite("arith");

/** The templates' arithmetic written out again, independently of the generator's op lists. */
const FORMULA: Record<string, (o: readonly number[]) => number> = {
  "e-gain": ([a, b]) => a + b,
  "e-sell": ([a, b]) => a - b,
  "e-total": ([a, b]) => a + b,
  "e-drain": ([a, b]) => a - b,
  "m-give": ([a, b, c]) => a + b - c,
  "m-farm": ([a, b, c]) => a + b + c,
  "m-train": ([a, b, c]) => a - b + c,
  "h-warehouse": ([a, b, c, d]) => a + b - c + d,
  "h-pencils": ([a, b, c, d]) => a * b - c - d,
  "h-bakery": ([a, b, c, d]) => a + b - c - d,
};

function checkProblem(p: ArithProblem): void {
  expect(Object.keys(FORMULA)).toContain(p.template);
  expect(p.answer, p.key).toBe(FORMULA[p.template](p.operands));
  expect(Number.isInteger(p.answer) && p.answer >= 0, p.key).toBe(true);
  expect(p.operands.length, p.key).toBe(p.steps + 1);
  for (const o of p.operands) expect(o >= 10 && o <= 999, `${p.key}: operand ${o}`).toBe(true);
  expect(p.key).toBe(arithKey(p.template, p.operands));
  for (const o of p.operands) expect(p.question, p.key).toContain(String(o));
  // Each solution line is a true equation, chained, then </think> and the boxed answer.
  const lines = p.solution.split("\n");
  expect(lines.slice(-2)).toEqual(["</think>", `\\boxed{${p.answer}}`]);
  const steps = lines.slice(0, -2);
  expect(steps).toHaveLength(p.steps);
  let prev: number | null = null;
  for (const s of steps) {
    const m = /^(\d+) ([-+*]) (\d+) = (\d+)$/.exec(s);
    expect(m, s).not.toBeNull();
    const [x, o, y, z] = [Number(m![1]), m![2], Number(m![3]), Number(m![4])];
    expect(o === "+" ? x + y : o === "-" ? x - y : x * y, s).toBe(z);
    if (prev !== null) expect(x, s).toBe(prev);
    prev = z;
  }
  expect(prev).toBe(p.answer);
}

describe("the arith generator", () => {
  const train = generateTrain(7, 50_000);

  it("every answer recomputes from its operands, and every solution line is a true equation ending in the box", () => {
    for (const p of train.slice(0, 5000)) checkProblem(p);
    for (const p of generateTest(ARITH_TEST_V1.seed, ARITH_TEST_V1.count)) checkProblem(p);
    expect(new Set(train.map((p) => p.template))).toEqual(new Set(Object.keys(ARITH_TEMPLATES)));
  });

  it("an easy / medium / hard mix of 1, 2 and 3 steps: exact quotas in the test split, near the weights in training", () => {
    const count = (ps: ArithProblem[], d: string) => ps.filter((p) => p.difficulty === d).length;
    const test = generateTest(ARITH_TEST_V1.seed, 500);
    expect([count(test, "easy"), count(test, "medium"), count(test, "hard")]).toEqual([200, 175, 125]);
    for (const [d, w] of [["easy", 0.4], ["medium", 0.35], ["hard", 0.25]] as const) expect(Math.abs(count(train, d) / train.length - w), d).toBeLessThan(0.01);
    for (const p of train) expect(p.steps).toBe({ easy: 1, medium: 2, hard: 3 }[p.difficulty]);
  });

  it("is deterministic per seed and differs across seeds", () => {
    expect(generateTrain(7, 300)).toEqual(train.slice(0, 300));
    expect(generateTest(3, 50)).toEqual(generateTest(3, 50));
    expect(generateTrain(8, 300).map((p) => p.key)).not.toEqual(train.slice(0, 300).map((p) => p.key));
  });

  it("the training generator never emits a test key or a test question (50,000 problems)", () => {
    const testRows = readSuiteRows(suite);
    const testKeys = new Set(testRows.map((r) => r.key as string));
    const testQuestions = new Set(testRows.map((r) => r.problem));
    expect(testKeys.size).toBe(500);
    for (const p of train) {
      expect(testKeys.has(p.key), p.key).toBe(false);
      expect(testQuestions.has(p.question), p.question).toBe(false);
      expect(splitOfKey(p.key)).toBe("train");
    }
    // The rule, not luck: every test row is in the test partition, which is about a tenth of all keys.
    for (const k of testKeys) expect(splitOfKey(k)).toBe("test");
    const share = train.slice(0, 2000).filter((p) => splitOfKey(arithKey(p.template, p.operands.map((o) => o + 1))) === "test").length / 2000;
    expect(share).toBeGreaterThan(0.06);
    expect(share).toBeLessThan(0.15);
  });

  it("rejects a bad count", () => {
    expect(() => generateTrain(1, -1)).toThrow(/count must be a non-negative integer/);
    expect(() => generateTest(1, 1.5)).toThrow(/count must be a non-negative integer/);
  });
});

describe("the committed test split", () => {
  it("regenerating benchmarks/data/arith-test-v1.jsonl gives the same bytes", () => {
    const committed = readFileSync(join(root, "benchmarks", "data", "arith-test-v1.jsonl"), "utf8");
    expect(arithTestJsonl(generateTest(ARITH_TEST_V1.seed, ARITH_TEST_V1.count)) === committed).toBe(true);
    expect(suiteFile(suite, "/nonexistent")).toBe(join(root, "benchmarks", "data", "arith-test-v1.jsonl"));
  });
});

describe("the arith suite through the registry, loader, prompt and grader", () => {
  it("is registered with a version, not among the paper's five; --bench all is unchanged", () => {
    expect(SUITE_IDS).toContain("arith");
    expect(suite).toMatchObject({ id: "arith", count: 500, paper: false, version: "1", goldFrom: "answer", bundled: "benchmarks/data/arith-test-v1.jsonl" });
    expect(PAPER_SUITE_IDS).toEqual(["aime24", "math500", "amc23", "minerva", "olympiadbench"]);
    expect(resolveBenchList("all").map((s) => s.id)).toEqual(PAPER_SUITE_IDS);
    expect(() => getSource("arith")).toThrow(/ships with the package/);
  });

  it("--bench arith loads the bundled 500 problems whatever the data dir", () => {
    const [config] = resolveBenchList("arith");
    const problems = loadProblems(config, { dataDir: join(tmp, "no-such-dir") });
    expect(problems).toHaveLength(500);
    expect(problems[0]).toMatchObject({ id: "arith/0", suite: "arith" });
    for (const p of problems) expect(p.gold).toMatch(/^\d+$/);
    expect(problems[0].meta).toMatchObject({ difficulty: "easy", steps: 1 });
    expect(loadProblems(config, { limit: 3 })).toHaveLength(3);
  });

  it("records the lighteval-style hash of its own short prompt, and the renderers use that prompt", async () => {
    const rows = readSuiteRows(suite);
    expect(suite.promptTemplate).toContain("{Question}");
    expect(await promptHash(rows.map((r) => r.problem), suite.promptTemplate)).toBe(suite.promptHash);
    const [p] = loadProblems(suite, { limit: 1 });
    const user = userMessageRenderer().render(p, suite);
    expect(user.prompt).toBe(suite.promptTemplate!.replace("{Question}", p.question));
    // Short enough for a 512-position byte-level model to have room to answer.
    for (const r of rows) expect(Buffer.byteLength(suite.promptTemplate!.replace("{Question}", r.problem))).toBeLessThan(260);
    const tok = join(tmp, "tok");
    mkdirSync(tok);
    writeFileSync(join(tok, "tokenizer_config.json"), JSON.stringify({ chat_template: "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}<|assistant|>" }));
    const chat = chatTemplateRenderer(tok).render(p, suite);
    expect(chat.prompt).toBe(`<|user|>${user.prompt}<|assistant|>`);
    expect(chat.messages).toEqual([{ role: "user", content: user.prompt }]);
    // A paper suite keeps the paper's prompt.
    expect(userMessageRenderer().render(p, getSuite("aime24")).prompt).toMatch(/^Solve the following math problem efficiently/);
  });

  it("the suite's preset grades a right boxed answer right and a wrong one wrong", () => {
    const [p] = loadProblems(suite, { limit: 1 });
    const rows = readSuiteRows(suite);
    expect(grade(rows[0].solution as string, p.gold, suite.preset).correct).toBe(true);
    expect(grade(`${p.gold} - 1\n</think>\n\\boxed{${Number(p.gold) + 1}}`, p.gold, suite.preset).correct).toBe(false);
  });
});

async function cliIn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    }) as never;
  const code = await main(["node", "openrs-eval", ...args], sink((s) => (stdout += s)), sink((s) => (stderr += s)));
  return { code, stdout, stderr };
}

describe("data pull and bench list with a bundled suite", () => {
  it("data pull --suite arith verifies the bundled file and downloads nothing", async () => {
    const r = await cliIn(["data", "pull", "--suite", "arith", "--cache-dir", join(tmp, "cache"), "--endpoint", "http://127.0.0.1:9", "--retries", "0", "-q"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ arith\s+│ bundled\s+│ 500\s+│ \S*arith-test-v1\.jsonl/);
  });

  it("bench list says bundled, with the hash check, and never asks to pull it", async () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    const listing = JSON.parse((await cliIn(["bench", "list", "--json", "--data-dir", empty])).stdout) as BenchListing;
    const arith = listing.suites.find((s) => s.id === "arith")!;
    expect(arith).toMatchObject({ data: "bundled", bundled: "benchmarks/data/arith-test-v1.jsonl", promptHash: { expected: suite.promptHash, actual: suite.promptHash, ok: true } });
    const table = (await cliIn(["bench", "list", "--data-dir", empty])).stdout;
    expect(table).toMatch(/│ arith\s+│ Arith\s+│ 500\s+│ answer\s+│ eval-numeric │\s+│ bundled │ ok 7edc8238baf85772/);
    expect(table).not.toMatch(/data pull --suite \S*arith/);
  });
});

describe("openrs-eval --model replay:FILE --bench arith (needs the build)", () => {
  it("runs the whole suite end to end and scores the replayed answers", async () => {
    const problems = loadProblems(suite);
    const replay = join(tmp, "replay.jsonl");
    // Even problems answered right with the generator's own solution, odd ones off by one: pass@1 = 50 %.
    const rows = readSuiteRows(suite);
    writeFileSync(
      replay,
      problems
        .map((p, i) => JSON.stringify({ id: p.id, completion: i % 2 === 0 ? (rows[i].solution as string) : `</think>\n\\boxed{${Number(p.gold) + 1}}` }))
        .join("\n"),
    );
    const out = join(tmp, "run");
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, [join(root, "bin", "openrs-eval.js"), "--model", `replay:${replay}`, "--bench", "arith", "--out", out, "-q"], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Arith +500 +1 +50\.0 /m);
    const m = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(m.metrics.suites.arith.scores["pass@1:n=1"]).toBe(0.5);
    expect(m.suites[0]).toMatchObject({ id: "arith", version: "1", problems: 500, lightevalHash: suite.promptHash, expectedLightevalHash: suite.promptHash });
    expect(m.suites[0].promptExample).toBe(suite.promptTemplate!.replace("{Question}", problems[0].question));
  }, 90_000);
});
