// The suite registry, `--bench` parsing, the data-dir setting, and loading/verifying suite files (temp files + real data).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { defaultCacheDir, resolveDataDir, resolvePullDir, sharedDataDir } from "../../benchmarks/data-dir.js";
import { PRESETS } from "../../grading/options.js";
import {
  BenchmarkDataError,
  getSuite,
  loadProblems,
  PAPER_SUITE_IDS,
  readSuiteRows,
  resolveBenchList,
  SOURCES,
  SUITE_IDS,
  SUITES,
  UnknownSuiteError,
} from "../../benchmarks/index.js";
import type { SuiteConfig } from "../../benchmarks/types.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-bench-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dataDir = findDataDir();
if (!dataDir) console.warn("benchmarks real-data tests skipped: ../shared/benchmarks not found and OPENRS_DATA_DIR not set");

describe("suite configs", () => {
  // (id, name, dataset, split, count, goldFrom, paper, promptHash) from ../shared/benchmarks/README.md and the paper.
  const rows: [string, string, string, string, number, "answer" | "solution", boolean, string | undefined][] = [
    ["aime24", "AIME24", "HuggingFaceH4/aime_2024", "train", 30, "answer", true, "ddec8fc79d0a014b"],
    ["math500", "MATH-500", "HuggingFaceH4/MATH-500", "test", 500, "solution", true, "adf0cc8311011db2"],
    ["amc23", "AMC23", "knoveleng/AMC-23", "train", 40, "answer", true, "57f3ead69f601b6a"],
    ["minerva", "Minerva", "knoveleng/Minerva-Math", "train", 272, "solution", true, "2380609739db80f4"],
    ["olympiadbench", "OlympiadBench", "knoveleng/OlympiadBench", "train", 675, "answer", true, "96eebb759f237c57"],
    ["aime25", "AIME25", "yentinglin/aime_2025", "train", 30, "answer", false, undefined],
    ["gsm8k", "GSM8K", "openai/gsm8k", "test", 1319, "answer", false, undefined],
    // The project's own, bundled with the package (test/benchmarks/arith.test.ts); its hash is over its own short prompt.
    ["arith", "Arith", "openrs/arith (generated: benchmarks/arith-gen.ts)", "test-v1", 500, "answer", false, "7edc8238baf85772"],
  ];
  it.each(rows)("%s: %s from %s/%s, %i problems, gold from %s", (id, name, dataset, split, count, goldFrom, paper, hash) => {
    const s = getSuite(id);
    expect({ id: s.id, name: s.name, dataset: s.dataset, split: s.split, count: s.count, goldFrom: s.goldFrom, paper: s.paper }).toEqual({
      id,
      name,
      dataset,
      split,
      count,
      goldFrom,
      paper,
    });
    expect(s.promptHash).toBe(hash);
    expect(s.version).toBe("1");
    expect(s.questionField).toBe("problem");
    expect(Object.hasOwn(PRESETS, s.preset), `preset ${s.preset} is a grader preset`).toBe(true);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(SOURCES[id])).toBe(true);
  });

  it("registers exactly these suites, the paper's five first in Table 1 order", () => {
    expect(SUITE_IDS).toEqual(rows.map((r) => r[0]));
    expect(PAPER_SUITE_IDS).toEqual(["aime24", "math500", "amc23", "minerva", "olympiadbench"]);
    expect(Object.keys(SUITES)).toEqual(SUITE_IDS);
  });
});

describe("getSuite / resolveBenchList", () => {
  const ok: [string, string[], string][] = [
    ["all", ["aime24", "math500", "amc23", "minerva", "olympiadbench"], "the paper's five in table order"],
    ["math500,aime24", ["math500", "aime24"], "order as given"],
    [" AIME24 , gsm8k ", ["aime24", "gsm8k"], "case and spaces ignored"],
    ["aime24,aime24", ["aime24"], "duplicates dropped"],
    ["all,gsm8k", ["aime24", "math500", "amc23", "minerva", "olympiadbench", "gsm8k"], "all plus an extra"],
    ["gsm8k,all", ["gsm8k", "aime24", "math500", "amc23", "minerva", "olympiadbench"], "extra first"],
    ["aime25,", ["aime25"], "trailing comma"],
  ];
  it.each(ok)("%j -> %j (%s)", (spec, ids) => {
    expect(resolveBenchList(spec).map((s) => s.id)).toEqual(ids);
  });

  const bad: [string, RegExp, string][] = [
    ["aime2024", /unknown suite "aime2024" \(known: aime24, math500, amc23, minerva, olympiadbench, aime25, gsm8k, arith;/, "typo lists the known ids"],
    ["", /empty suite list/, "empty"],
    [" , ", /empty suite list/, "only separators"],
    ["all,nope", /unknown suite "nope"/, "one bad id in a list"],
    ["__proto__", /unknown suite "__proto__"/, "not an own property"],
  ];
  it.each(bad)("%j throws %s (%s)", (spec, message) => {
    expect(() => resolveBenchList(spec)).toThrow(UnknownSuiteError);
    expect(() => resolveBenchList(spec)).toThrow(message);
  });

  it("getSuite rejects unknown ids with the list", () => {
    expect(() => getSuite("math")).toThrow(/unknown suite "math" \(known: .*math500/);
  });
});

describe("data-dir setting", () => {
  const home = join(tmp, "home-cache");
  const cases: [string, string | undefined, NodeJS.ProcessEnv, string, string][] = [
    ["flag wins over env", "/x/flag", { OPENRS_DATA_DIR: "/x/env" }, "/x/flag", "--data-dir"],
    ["env when no flag", undefined, { OPENRS_DATA_DIR: "/x/env" }, "/x/env", "OPENRS_DATA_DIR"],
    ["empty flag and env are unset", "", { OPENRS_DATA_DIR: "" }, sharedDataDir() ?? join(home, "openrs", "benchmarks"), sharedDataDir() ? "shared" : "cache"],
  ];
  it.each(cases)("%s", (_why, flag, env, dir, origin) => {
    expect(resolveDataDir(flag, { XDG_CACHE_HOME: home, ...env })).toEqual({ dir, origin });
  });

  it("default cache follows XDG_CACHE_HOME, else ~/.cache", () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/openrs/benchmarks");
    expect(defaultCacheDir({})).toMatch(/\.cache\/openrs\/benchmarks$/);
  });

  it("pull target: --cache-dir, then OPENRS_DATA_DIR, then the cache; never the shared folder", () => {
    expect(resolvePullDir("/p", { OPENRS_DATA_DIR: "/e" })).toEqual({ dir: "/p", origin: "--cache-dir" });
    expect(resolvePullDir(undefined, { OPENRS_DATA_DIR: "/e" })).toEqual({ dir: "/e", origin: "OPENRS_DATA_DIR" });
    expect(resolvePullDir(undefined, { XDG_CACHE_HOME: "/c" })).toEqual({ dir: "/c/openrs/benchmarks", origin: "cache" });
  });

  it("this workplace defaults to ../shared/benchmarks when it exists", () => {
    if (!sharedDataDir()) return;
    expect(resolveDataDir(undefined, {}).origin).toBe("shared");
  });
});

/** A tiny suite shaped like AIME (answer gold) or MATH-500 (solution gold), for file-level checks. */
function tinySuite(goldFrom: "answer" | "solution", count = 3): SuiteConfig {
  return Object.freeze({ id: `tiny-${goldFrom}`, name: "Tiny", dataset: "x/tiny", split: "test", count, questionField: "problem", goldFrom, preset: "eval", paper: false, version: "1" });
}

function writeSuite(dir: string, suite: SuiteConfig, lines: (object | string)[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${suite.id}.jsonl`), lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
}

const row = (i: number, extra: object = {}) => ({ id: `t/${i}`, problem: `What is ${i}+${i}?`, answer: String(2 * i), solution: `It is $\\boxed{${2 * i}}$.`, ...extra });

describe("loadProblems", () => {
  it("returns {id, suite, question, gold} in file order, gold from answer", () => {
    const s = tinySuite("answer");
    const dir = join(tmp, "ok-answer");
    writeSuite(dir, s, [row(1), row(2), "", row(3)]);
    expect(loadProblems(s, { dataDir: dir })).toEqual([
      { id: "t/1", suite: s.id, question: "What is 1+1?", gold: "2" },
      { id: "t/2", suite: s.id, question: "What is 2+2?", gold: "4" },
      { id: "t/3", suite: s.id, question: "What is 3+3?", gold: "6" },
    ]);
  });

  it("carries the row's short scalar fields as metadata (MATH level and subject), not the answer, solution or long text", () => {
    const s = tinySuite("answer");
    const dir = join(tmp, "meta");
    writeSuite(dir, s, [row(1, { level: 3, subject: "Algebra", unique_id: "test/algebra/1.json", url: "https://x", long: "x".repeat(300), list: [1] }), row(2), row(3)]);
    expect(loadProblems(s, { dataDir: dir })[0].meta).toEqual({ level: 3, subject: "Algebra", unique_id: "test/algebra/1.json" });
  });

  it("goldFrom solution takes the final \\boxed{} of the solution, not the answer field", () => {
    const s = tinySuite("solution", 2);
    const dir = join(tmp, "ok-solution");
    writeSuite(dir, s, [
      row(1, { answer: "ignored", solution: "First $\\boxed{1}$, then finally $\\boxed{\\frac{1}{2}}$." }),
      row(2, { answer: "ignored", solution: "So $x \\in \\boxed{[0, 1)}$" }),
    ]);
    expect(loadProblems(s, { dataDir: dir }).map((p) => p.gold)).toEqual(["\\frac{1}{2}", "[0, 1)"]);
  });

  it("accepts a suite id; unknown ids are usage errors", () => {
    const dir = join(tmp, "empty-by-id");
    mkdirSync(dir, { recursive: true });
    expect(() => loadProblems(getSuite("aime24"), { dataDir: dir })).toThrow(/benchmark file missing: .*aime24\.jsonl/);
    expect(() => getSuite("aime2024")).toThrow(UnknownSuiteError);
  });

  it("limit keeps the first N after verifying the whole file", () => {
    const s = tinySuite("answer");
    const dir = join(tmp, "limit");
    writeSuite(dir, s, [row(1), row(2), row(3)]);
    expect(loadProblems(s, { dataDir: dir, limit: 2 }).map((p) => p.id)).toEqual(["t/1", "t/2"]);
    expect(loadProblems(s, { dataDir: dir, limit: 10 })).toHaveLength(3);
    expect(() => loadProblems(s, { dataDir: dir, limit: 0 })).toThrow(/limit must be a positive integer/);
    writeSuite(dir, s, [row(1), row(2)]);
    expect(() => loadProblems(s, { dataDir: dir, limit: 1 })).toThrow(/has 2 problems, tiny-answer has 3/);
  });

  const broken: [string, (object | string)[], RegExp, "answer" | "solution"][] = [
    ["torn last line", [row(1), row(2), '{"id": "t/3", "prob'], /:3: not valid JSON/, "answer"],
    ["array instead of object", [row(1), "[1,2]", row(3)], /:2: not a JSON object/, "answer"],
    ["missing answer", [row(1), { id: "t/2", problem: "p" }, row(3)], /:2: field "answer" missing/, "answer"],
    ["numeric answer", [row(1), row(2, { answer: 4 }), row(3)], /:2: field "answer" missing or not a non-empty string/, "answer"],
    ["empty problem", [row(1), row(2, { problem: "  " }), row(3)], /:2: field "problem" missing/, "answer"],
    ["missing id", [{ problem: "p", answer: "1" }, row(2), row(3)], /:1: field "id" missing/, "answer"],
    ["missing solution for a solution-gold suite", [row(1), row(2, { solution: undefined }), row(3)], /:2: field "solution" missing/, "solution"],
    ["duplicate id", [row(1), row(1), row(3)], /:2: duplicate id "t\/1"/, "answer"],
    ["too few problems", [row(1), row(2)], /has 2 problems, tiny-answer has 3/, "answer"],
    ["too many problems", [row(1), row(2), row(3), row(4)], /has 4 problems, tiny-answer has 3/, "answer"],
    ["solution without a box", [row(1), row(2, { solution: "no box here" }), row(3)], /problem t\/2: no \\boxed\{\} answer in its solution/, "solution"],
  ];
  it.each(broken)("%s -> one-line error that says how to get the data", (why, lines, message, goldFrom) => {
    const s = tinySuite(goldFrom);
    const dir = join(tmp, `broken-${why.replace(/\W+/g, "-")}`);
    writeSuite(dir, s, lines);
    let err: Error | undefined;
    try {
      loadProblems(s, { dataDir: dir });
    } catch (e) {
      err = e as Error;
    }
    expect(err, why).toBeInstanceOf(BenchmarkDataError);
    expect(err!.message).toMatch(message);
    expect(err!.message).not.toContain("\n");
    if (!/no \\boxed/.test(err!.message)) expect(err!.message).toContain(`openrs-eval data pull --suite ${s.id} --cache-dir ${dir}\` (downloads x/tiny)`);
  });

  it("missing file names the file, the pull command and the settings", () => {
    const dir = join(tmp, "empty");
    mkdirSync(dir, { recursive: true });
    expect(() => loadProblems(getSuite("aime24"), { dataDir: dir })).toThrow(
      `benchmark file missing: ${join(dir, "aime24.jsonl")}; run \`openrs-eval data pull --suite aime24 --cache-dir ${dir}\` (downloads HuggingFaceH4/aime_2024) or point --data-dir / OPENRS_DATA_DIR at a folder holding aime24.jsonl`,
    );
  });
});

describe.skipIf(!dataDir)("real suites (../shared/benchmarks)", () => {
  it.each(SUITE_IDS.map((id) => [id]))("%s loads, verifies and yields non-empty golds", (id) => {
    const s = getSuite(id);
    const problems = loadProblems(s, { dataDir: dataDir! });
    expect(problems).toHaveLength(s.count);
    expect(new Set(problems.map((p) => p.id)).size).toBe(s.count);
    for (const p of problems) {
      expect(p.suite).toBe(id);
      expect(p.gold.trim()).not.toBe("");
      expect(p.question).not.toBe("");
    }
  });

  it("MATH-500 and Minerva: the gold read from the solution equals the recorded answer for every problem", () => {
    for (const id of ["math500", "minerva"]) {
      const s = getSuite(id);
      const rows = readSuiteRows(s, dataDir!);
      const golds = loadProblems(s, { dataDir: dataDir! }).map((p) => p.gold);
      const differ = rows.filter((r, i) => r.answer.trim() !== golds[i]).map((r, i) => `${r.id}: ${r.answer} vs ${golds[i]}`);
      expect(differ, id).toEqual([]);
    }
  });

  it("question is the problem text byte for byte", () => {
    const s = getSuite("aime24");
    const first = JSON.parse(readFileSync(join(dataDir!, "aime24.jsonl"), "utf8").split("\n")[0]);
    expect(loadProblems(s, { dataDir: dataDir!, limit: 1 })[0].question).toBe(first.problem);
  });
});
