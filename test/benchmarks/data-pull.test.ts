// `data pull` against a fake Hugging Face hub on 127.0.0.1 serving parquet/JSONL/JSON fixtures this test generates.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchmarkRow } from "../../benchmarks/types.js";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { HubError } from "../../benchmarks/hub.js";
import { writeParquet } from "../../benchmarks/parquet-writer.js";
import { promptHash } from "../../benchmarks/prompt-hash.js";
import { pullSuite, selectSplitFiles } from "../../benchmarks/pull.js";
import { getSource, getSuite, loadProblems, readSuiteRows, SOURCES, SUITE_IDS } from "../../benchmarks/index.js";
import { main } from "../../src/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-pull-"));
const dataDir = findDataDir();
if (!dataDir) console.warn("data-pull real-data round trip skipped: ../shared/benchmarks not found and OPENRS_DATA_DIR not set");

// ---- the fake hub ---------------------------------------------------------------------------------------------------

type Files = Record<string, Uint8Array | string>;

interface FakeHub {
  base: string;
  repos: Map<string, Files>;
  /** Paths requested, in order (pathname + search). */
  log: string[];
  /** Answer this many requests for a path with 503 first. */
  flaky: Map<string, number>;
  /** Paths whose requests are never answered. */
  hang: Set<string>;
  /** Tree listing page size (the hub paginates with a Link header). */
  pageSize: number;
  server: Server;
}

function startHub(): Promise<FakeHub> {
  const hub = { repos: new Map(), log: [], flaky: new Map(), hang: new Set(), pageSize: 1000 } as unknown as FakeHub;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", hub.base);
    const path = decodeURIComponent(url.pathname);
    hub.log.push(path + url.search);
    if (hub.hang.has(path)) return; // never answers
    if (path.startsWith("/html/")) return void res.writeHead(200, { "content-type": "text/html" }).end("<html>a web page</html>");
    const left = hub.flaky.get(path) ?? 0;
    if (left > 0) {
      hub.flaky.set(path, left - 1);
      res.writeHead(503).end("busy");
      return;
    }
    const tree = /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/main$/.exec(path);
    if (tree) {
      const files = hub.repos.get(tree[1]);
      if (!files) return void res.writeHead(404, { "content-type": "application/json" }).end('{"error":"Repository not found"}');
      const dirs = new Set<string>();
      for (const p of Object.keys(files)) for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) dirs.add(p.slice(0, i));
      const entries = [
        ...[...dirs].map((p) => ({ type: "directory", oid: "0", size: 0, path: p })),
        ...Object.entries(files).map(([p, b]) => ({ type: "file", oid: "0", size: typeof b === "string" ? Buffer.byteLength(b) : b.length, path: p })),
      ];
      const start = Number(url.searchParams.get("cursor") ?? 0);
      const page = entries.slice(start, start + hub.pageSize);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (start + hub.pageSize < entries.length) headers.link = `<${hub.base}${url.pathname}?recursive=true&cursor=${start + hub.pageSize}>; rel="next"`;
      return void res.writeHead(200, headers).end(JSON.stringify(page));
    }
    const resolve = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    const body = resolve ? hub.repos.get(resolve[1])?.[resolve[2]] : undefined;
    if (body === undefined) return void res.writeHead(404).end("Entry not found");
    res.writeHead(200, { "content-length": String(typeof body === "string" ? Buffer.byteLength(body) : body.length) }).end(body);
  };
  hub.server = createServer(handler);
  return new Promise((done) =>
    hub.server.listen(0, "127.0.0.1", () => {
      hub.base = `http://127.0.0.1:${(hub.server.address() as AddressInfo).port}`;
      done(hub);
    }),
  );
}

// ---- fixtures: hub repos shaped like each suite's real dataset, built from normalised rows -------------------------

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const DECOYS: Files = { "README.md": "# card", ".gitattributes": "*.parquet filter=lfs" };

/** The repo files for a suite, in the source's own column names and file layout (see each suite's source mapping). */
function repoFor(id: string, rows: BenchmarkRow[]): Files {
  const num = (r: BenchmarkRow, i: number) => (typeof r.source_id === "number" ? r.source_id : i);
  switch (id) {
    case "aime24":
      return {
        ...DECOYS,
        "data/train-00000-of-00001.parquet": writeParquet([
          { name: "id", type: "int64", values: rows.map(num) },
          { name: "problem", type: "string", values: rows.map((r) => r.problem) },
          { name: "solution", type: "string", values: rows.map((r) => String(r.solution ?? "")) },
          { name: "answer", type: "string", values: rows.map((r) => r.answer) },
          { name: "url", type: "string", values: rows.map((r) => String(r.url ?? "")) },
          { name: "year", type: "int64", values: rows.map(() => 2024) },
        ]),
      };
    case "math500":
      return {
        ...DECOYS,
        "test.jsonl": jsonl(rows.map((r) => ({ problem: r.problem, solution: r.solution, answer: r.answer, subject: r.subject, level: r.level, unique_id: r.unique_id }))),
      };
    case "amc23": {
      // Two shards; answers stored as doubles, as the source keeps them (27.0).
      const half = Math.ceil(rows.length / 2);
      const shard = (part: BenchmarkRow[], offset: number) =>
        writeParquet([
          { name: "id", type: "int64", values: part.map((r, i) => num(r, i + offset)) },
          { name: "problem", type: "string", values: part.map((r) => r.problem) },
          { name: "answer", type: "double", values: part.map((r) => Number(r.answer)) },
          { name: "url", type: "string", values: part.map((r) => String(r.url ?? "")) },
        ]);
      return { ...DECOYS, "data/train-00000-of-00002.parquet": shard(rows.slice(0, half), 0), "data/train-00001-of-00002.parquet": shard(rows.slice(half), half) };
    }
    case "minerva": // a JSON array, no answer column: the answer is derived from the solution's box
      return { ...DECOYS, "train.json": JSON.stringify(rows.map((r, i) => ({ problem: r.problem, solution: r.solution, type: r.type ?? "course", idx: num(r, i) }))) };
    case "olympiadbench": // `question` column, list-valued final_answer and solutions
      return {
        ...DECOYS,
        "data/train.jsonl": jsonl(
          rows.map((r, i) => ({ id: num(r, i), question: r.problem, final_answer: [r.answer], solutions: [r.solution ?? "s"], answer_type: "Numerical" })),
        ),
      };
    case "aime25": // no split word anywhere: the `datasets` convention makes it train
      return { ...DECOYS, "aime2025.jsonl": jsonl(rows.map((r, i) => ({ id: num(r, i), problem: r.problem, answer: r.answer, url: r.url }))) };
    case "gsm8k": {
      const file = (part: BenchmarkRow[]) =>
        writeParquet([
          { name: "question", type: "string", values: part.map((r) => r.problem) },
          { name: "answer", type: "string", values: part.map((r) => String(r.solution)) },
        ]);
      // Decoys: another config's test split and this config's train split (wrong counts if ever picked).
      return { ...DECOYS, "main/test-00000-of-00001.parquet": file(rows), "main/train-00000-of-00001.parquet": file(rows.slice(0, 7)), "socratic/test-00000-of-00001.parquet": file(rows.slice(0, 5)) };
    }
  }
  throw new Error(`no fixture layout for ${id}`);
}

/** Synthetic normalised rows with the suite's count: unicode and `$` in problems, boxed solutions, GSM8K `####`. */
function syntheticRows(id: string): BenchmarkRow[] {
  const s = getSuite(id);
  return Array.from({ length: s.count }, (_, i) => {
    const ans = id.startsWith("aime") ? String(i + 1).padStart(3, "0") : String(i + 1);
    return {
      id: `${id}/${i}`,
      source_id: 100 + i,
      problem: `Problem ${i} of ${id}: if $x-1 = ${i}$ (ü, ∑, 𝑥, \\$5), find $x$.`,
      answer: ans,
      solution: id === "gsm8k" ? `x = ${i} + 1 = <<${i}+1=${i + 1}>>${i + 1}\n#### ${ans}` : `Adding one, $x = \\boxed{${ans}}$.`,
      url: `https://example.org/${i}`,
      unique_id: `test/algebra/${i}.json`,
      subject: "Algebra",
      level: 1 + (i % 5),
      type: "Course",
    };
  });
}

function collector(): { stream: Writable; text: () => string } {
  let buf = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = collector();
  const err = collector();
  const code = await main(["node", "openrs-eval", ...args], out.stream as unknown as typeof process.stdout, err.stream as unknown as typeof process.stderr);
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Suites pulled from the hub; bundled ones (arith) ship with the package and are only verified. */
const HUB_IDS = SUITE_IDS.filter((id) => Object.hasOwn(SOURCES, id));

let hub: FakeHub;
beforeAll(async () => {
  hub = await startHub();
  for (const id of HUB_IDS) hub.repos.set(getSuite(id).dataset, repoFor(id, syntheticRows(id)));
});
afterAll(async () => {
  hub.server.closeAllConnections();
  await new Promise((r) => hub.server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

const fast = () => ({ endpoint: hub.base, retries: 2, retryDelayMs: 5, timeoutMs: 5000 });

// ---- split-file selection -------------------------------------------------------------------------------------------

describe("selectSplitFiles", () => {
  const f = (...paths: string[]) => paths.map((path) => ({ path, size: 1 }));
  const rows: [string, string[], string, string | undefined, string[]][] = [
    ["root split file", ["README.md", "test.jsonl", "train.jsonl"], "test", undefined, ["test.jsonl"]],
    ["sharded parquet in data/, sorted", ["data/train-00001-of-00002.parquet", "data/train-00000-of-00002.parquet", "data/test-00000-of-00001.parquet"], "train", undefined, ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]],
    ["config folder only", ["main/test-0.parquet", "socratic/test-0.parquet", "main/train-0.parquet"], "test", "main", ["main/test-0.parquet"]],
    ["parquet preferred over JSON of the same split", ["test.jsonl", "data/test-0.parquet"], "test", undefined, ["data/test-0.parquet"]],
    ["split as a folder", ["train/part-0.jsonl", "test/part-0.jsonl"], "train", undefined, ["train/part-0.jsonl"]],
    ["no split words: everything is train", ["aime2025.jsonl", "dataset_info.json"], "train", undefined, ["aime2025.jsonl"]],
    ["no split words, split test: nothing", ["aime2025.jsonl"], "test", undefined, []],
    ["split word must be whole: 'contest' is not 'test'", ["contest.jsonl", "test.json"], "test", undefined, ["test.json"]],
    ["hidden folders and metadata JSON are ignored", [".cache/test.jsonl", "dataset_infos.json", "test.parquet"], "test", undefined, ["test.parquet"]],
  ];
  it.each(rows)("%s", (_why, paths, split, config, expected) => {
    expect(selectSplitFiles(f(...paths), split, config).map((x) => x.path)).toEqual(expected);
  });
});

// ---- pulling every suite through the CLI ----------------------------------------------------------------------------

describe("openrs-eval data pull (fake hub)", () => {
  const dir = join(tmp, "cache");

  it("downloads, normalises, verifies and writes every suite; bench list then finds them", async () => {
    hub.log.length = 0;
    const r = await cli(["data", "pull", "--cache-dir", dir, "--endpoint", hub.base]);
    expect(r.stderr).not.toMatch(/openrs-eval:/);
    expect(r.code).toBe(0);
    for (const id of HUB_IDS) expect(r.stdout).toMatch(new RegExp(`${id}\\s+│ downloaded\\s+│ ${getSuite(id).count}\\s`));
    expect(r.stdout).toMatch(/arith\s+│ bundled\s+│ 500\s/);
    expect(r.stderr).toContain("aime24: downloading data/train-00000-of-00001.parquet");
    expect(r.stderr).toContain(`gsm8k: 1319 problems verified, wrote ${join(dir, "gsm8k.jsonl")}`);
    // Only the split's own files were fetched: no decoys, no other config, no README.
    const fetched = hub.log.filter((p) => p.includes("/resolve/")).map((p) => p.replace(/^\/datasets\/[^/]+\/[^/]+\/resolve\/main\//, ""));
    expect(fetched.sort()).toEqual(
      [
        "data/train-00000-of-00001.parquet",
        "test.jsonl",
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
        "train.json",
        "data/train.jsonl",
        "aime2025.jsonl",
        "main/test-00000-of-00001.parquet",
      ].sort(),
    );
    expect(readdirSync(dir).sort()).toEqual(HUB_IDS.map((id) => `${id}.jsonl`).sort()); // no temp files left
    for (const id of SUITE_IDS) expect(loadProblems(getSuite(id), { dataDir: dir })).toHaveLength(getSuite(id).count);

    const list = await cli(["bench", "list", "--json", "--data-dir", dir]);
    expect(list.code).toBe(0);
    const listing = JSON.parse(list.stdout) as { dataDir: { dir: string; origin: string }; suites: { id: string; data: string }[] };
    expect(listing.dataDir).toEqual({ dir, origin: "--data-dir" });
    expect(listing.suites.map((s) => [s.id, s.data])).toEqual(SUITE_IDS.map((id) => [id, HUB_IDS.includes(id) ? "found" : "bundled"]));
  });

  // (suite, first normalised row, why): the column mapping each source needs.
  const first: [string, Record<string, unknown>, string][] = [
    ["aime24", { id: "aime24/100", source_id: 100, index: 0, answer: "001", solution: "Adding one, $x = \\boxed{001}$.", url: "https://example.org/0", year: 2024 }, "parquet INT64 id and year become numbers; zero-padded answer kept"],
    ["math500", { id: "math500/test/algebra/0.json", source_id: "test/algebra/0.json", index: 0, answer: "1", subject: "Algebra", level: 1, unique_id: "test/algebra/0.json" }, "unique_id names the problem"],
    ["amc23", { id: "amc23/100", index: 0, answer: "1", url: "https://example.org/0" }, "double answer 1.0 written as text"],
    ["minerva", { id: "minerva/100", index: 0, answer: "1", solution: "Adding one, $x = \\boxed{1}$.", type: "Course" }, "answer derived from the solution's box"],
    ["olympiadbench", { id: "olympiadbench/100", index: 0, answer: "1", final_answer: ["1"], answer_type: "Numerical", solution: "Adding one, $x = \\boxed{1}$." }, "question column, list answer and solutions"],
    ["aime25", { id: "aime25/100", index: 0, answer: "001" }, "single file with no split word is train"],
    ["gsm8k", { id: "gsm8k/0", index: 0, answer: "1", solution: "x = 0 + 1 = <<0+1=1>>1\n#### 1" }, "answer after ####, full solution kept; no id column -> row index"],
  ];
  it.each(first)("%s: %s", (id, expected) => {
    const rows = readSuiteRows(getSuite(id), dir);
    expect(rows[0]).toMatchObject({ ...expected, problem: `Problem 0 of ${id}: if $x-1 = 0$ (ü, ∑, 𝑥, \\$5), find $x$.` });
    expect(rows[rows.length - 1].index).toBe(getSuite(id).count - 1);
  });

  it("skips suites already present and valid; --force downloads again", async () => {
    hub.log.length = 0;
    const again = await cli(["data", "pull", "--suite", "aime24,math500", "--cache-dir", dir, "--endpoint", hub.base]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/aime24\s+│ already present/);
    expect(hub.log).toEqual([]);
    const forced = await cli(["data", "pull", "--suite", "aime24", "--cache-dir", dir, "--endpoint", hub.base, "--force", "--quiet"]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe("");
    expect(hub.log.length).toBe(2);
  });

  it("HF_ENDPOINT is honoured when no endpoint is given", async () => {
    const out = join(tmp, "via-env");
    const r = await pullSuite(getSuite("aime25"), getSource("aime25"), { dir: out, env: { HF_ENDPOINT: `${hub.base}/` } });
    expect(r).toMatchObject({ suite: "aime25", problems: 30, skipped: false, sourceFiles: ["aime2025.jsonl"] });
  });

  it("follows the hub's paginated file listing", async () => {
    hub.pageSize = 1;
    try {
      const r = await pullSuite(getSuite("amc23"), getSource("amc23"), { dir: join(tmp, "paged"), hub: fast() });
      expect(r.sourceFiles).toEqual(["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]);
    } finally {
      hub.pageSize = 1000;
    }
  });

  it("retries 503s with backoff and then succeeds", async () => {
    const file = "/datasets/HuggingFaceH4/aime_2024/resolve/main/data/train-00000-of-00001.parquet";
    hub.flaky.set(file, 2);
    hub.log.length = 0;
    const r = await pullSuite(getSuite("aime24"), getSource("aime24"), { dir: join(tmp, "flaky"), hub: fast() });
    expect(r.problems).toBe(30);
    expect(hub.log.filter((p) => p === file)).toHaveLength(3);
  });
});

// ---- failures: one-line messages, nothing half-written --------------------------------------------------------------

describe("data pull failures", () => {
  async function pullError(id: string, files: Files | null, hubOpts: object = {}): Promise<Error> {
    const suite = getSuite(id);
    const saved = hub.repos.get(suite.dataset);
    if (files === null) hub.repos.delete(suite.dataset);
    else hub.repos.set(suite.dataset, files);
    try {
      await pullSuite(suite, getSource(id), { dir: join(tmp, "fail"), hub: { ...fast(), ...hubOpts } });
    } catch (e) {
      return e as Error;
    } finally {
      if (saved) hub.repos.set(suite.dataset, saved);
    }
    throw new Error("pull did not fail");
  }

  const rows30 = () => syntheticRows("aime24");
  const cases: [string, () => Files | null, RegExp][] = [
    ["dataset not on the hub (404)", () => null, /^not found on the hub: http:\/\/127\.0\.0\.1:\d+\/api\/datasets\/HuggingFaceH4\/aime_2024\/tree\/main\?recursive=true \(HTTP 404\)$/],
    ["wrong count", () => repoFor("aime24", rows30().slice(0, 29)), /^aime24: HuggingFaceH4\/aime_2024 split train has 29 rows, expected 30$/],
    ["missing answer column", () => ({ "train.jsonl": jsonl(rows30().map((r) => ({ id: r.source_id, problem: r.problem }))) }), /^aime24: HuggingFaceH4\/aime_2024 row 0 has no answer \(looked for answer; columns: id, problem\)$/],
    ["missing problem text", () => ({ "train.jsonl": jsonl(rows30().map((r) => ({ id: r.source_id, question: r.problem, answer: "1" }))) }), /^aime24: HuggingFaceH4\/aime_2024 row 0 has no problem text \(looked for problem; columns: id, question, answer\)$/],
    ["duplicate ids", () => ({ "train.jsonl": jsonl(rows30().map((r) => ({ id: 7, problem: r.problem, answer: "1" }))) }), /^aime24: duplicate id "aime24\/7" in HuggingFaceH4\/aime_2024$/],
    ["corrupt parquet", () => ({ "data/train-0.parquet": new Uint8Array([80, 65, 82, 49, 1, 2, 3, 4, 80, 65, 82, 49]) }), /^HuggingFaceH4\/aime_2024\/data\/train-0\.parquet: cannot read parquet \(.+\)$/],
    ["torn JSONL", () => ({ "train.jsonl": '{"id": 1, "problem": "p", "answer": "1"}\n{"id": 2, "prob' }), /^HuggingFaceH4\/aime_2024\/train\.jsonl:2: not valid JSON/],
    ["no files for the split", () => ({ "README.md": "# card", "test.jsonl": "{}" }), /^aime24: no parquet\/JSON files for split "train" in HuggingFaceH4\/aime_2024 \(2 files listed\)$/],
  ];
  it.each(cases)("%s", async (_why, files, message) => {
    const e = await pullError("aime24", files());
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain("\n");
  });

  it("server down: connection refused, after the retries", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const e = await pullError("aime24", repoFor("aime24", rows30()), { endpoint: `http://127.0.0.1:${port}` });
    expect(e).toBeInstanceOf(HubError);
    expect(e.message).toMatch(new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${port}/api/datasets/HuggingFaceH4/aime_2024/tree/main\\?recursive=true \\(ECONNREFUSED\\) \\(after 3 attempts\\)$`));
  });

  it("a server that never answers times out", async () => {
    const file = "/datasets/HuggingFaceH4/aime_2024/resolve/main/data/train-00000-of-00001.parquet";
    hub.hang.add(file);
    try {
      const e = await pullError("aime24", repoFor("aime24", rows30()), { timeoutMs: 300, retries: 0 });
      expect(e.message).toMatch(/^no response from http:\/\/127\.0\.0\.1:\d+\/datasets\/HuggingFaceH4\/aime_2024\/resolve\/main\/data\/train-00000-of-00001\.parquet within 0\.3 s$/);
    } finally {
      hub.hang.delete(file);
    }
  });

  it("an endpoint that is not a hub says so", async () => {
    const e = await pullError("aime24", repoFor("aime24", rows30()), { endpoint: `${hub.base}/html`, retries: 0 });
    expect(e.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/html\/api\/datasets\/HuggingFaceH4\/aime_2024\/tree\/main\?recursive=true: file listing is not JSON \(is HF_ENDPOINT a hub\?\)$/);
  });

  it("a failed forced pull leaves the existing file untouched and no temp files", async () => {
    const out = join(tmp, "keep");
    await pullSuite(getSuite("aime24"), getSource("aime24"), { dir: out, hub: fast() });
    const before = readFileSync(join(out, "aime24.jsonl"));
    const saved = hub.repos.get("HuggingFaceH4/aime_2024")!;
    hub.repos.set("HuggingFaceH4/aime_2024", repoFor("aime24", rows30().slice(0, 10)));
    try {
      await expect(pullSuite(getSuite("aime24"), getSource("aime24"), { dir: out, hub: fast(), force: true })).rejects.toThrow(/has 10 rows, expected 30/);
    } finally {
      hub.repos.set("HuggingFaceH4/aime_2024", saved);
    }
    expect(readFileSync(join(out, "aime24.jsonl")).equals(before)).toBe(true);
    expect(readdirSync(out)).toEqual(["aime24.jsonl"]);
  });

  it("a corrupt file in the cache is replaced by a fresh pull", async () => {
    const out = join(tmp, "corrupt");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "aime24.jsonl"), '{"id": "aime24/1", "prob');
    const r = await pullSuite(getSuite("aime24"), getSource("aime24"), { dir: out, hub: fast() });
    expect(r.skipped).toBe(false);
    expect(loadProblems(getSuite("aime24"), { dataDir: out })).toHaveLength(30);
  });

  const usage: [string, string[], RegExp][] = [
    ["unknown suite", ["data", "pull", "--suite", "aime2024"], /^openrs-eval: unknown suite "aime2024" \(known: /],
    ["endpoint not http", ["data", "pull", "--endpoint", "ftp://x"], /^openrs-eval: --endpoint must be an http\(s\) URL, got "ftp:\/\/x"\n$/],
    ["bad timeout", ["data", "pull", "--timeout-s", "0"], /--timeout-s must be a positive number/],
    ["bad retries", ["data", "pull", "--retries", "-1"], /--retries must be an integer in \[0, 10\]/],
  ];
  it.each(usage)("CLI usage error: %s -> exit 2, one line", async (_why, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("CLI: with the hub unreachable the first failure stops the pull, the rest are marked not tried", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const r = await cli(["data", "pull", "--suite", "aime24,amc23", "--cache-dir", join(tmp, "down"), "--endpoint", `http://127.0.0.1:${port}`, "--retries", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("openrs-eval:"))).toEqual([
      `openrs-eval: aime24: cannot reach http://127.0.0.1:${port}/api/datasets/HuggingFaceH4/aime_2024/tree/main?recursive=true (ECONNREFUSED) (after 2 attempts)`,
    ]);
    expect(r.stdout).toMatch(/aime24\s+│ FAILED/);
    expect(r.stdout).toMatch(/amc23\s+│ not tried/);
  });

  it("CLI: a failing suite is reported on one line, the others still pull, exit 1", async () => {
    const out = join(tmp, "cli-partial");
    const saved = hub.repos.get("knoveleng/AMC-23")!;
    hub.repos.delete("knoveleng/AMC-23");
    try {
      const r = await cli(["data", "pull", "--suite", "amc23,aime25", "--cache-dir", out, "--endpoint", hub.base]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^openrs-eval: amc23: not found on the hub: \S+ \(HTTP 404\)$/m);
      expect(r.stdout).toMatch(/amc23\s+│ FAILED/);
      expect(r.stdout).toMatch(/aime25\s+│ downloaded\s+│ 30/);
      expect(existsSync(join(out, "amc23.jsonl"))).toBe(false);
    } finally {
      hub.repos.set("knoveleng/AMC-23", saved);
    }
  });
});

// ---- real data round trip: the pulled files hash to the paper's recorded values --------------------------------------

describe.skipIf(!dataDir)("round trip of the real suites through the fake hub", () => {
  it("pulled problem texts reproduce the paper's prompt hashes (parquet, JSONL and JSON paths)", async () => {
    const ids = ["aime24", "math500", "amc23", "minerva", "olympiadbench"];
    const real = new Map<string, Files>();
    for (const id of ids) real.set(getSuite(id).dataset, repoFor(id, readSuiteRows(getSuite(id), dataDir!)));
    const saved = new Map(hub.repos);
    for (const [k, v] of real) hub.repos.set(k, v);
    try {
      const out = join(tmp, "real");
      for (const id of ids) {
        const suite = getSuite(id);
        await pullSuite(suite, getSource(id), { dir: out, hub: fast() });
        const pulled = readSuiteRows(suite, out);
        expect(await promptHash(pulled.map((r) => r.problem)), id).toBe(suite.promptHash);
        // Golds agree with the shared files (amc23's "27.0" arrives as the double 27 and is written "27").
        const want = loadProblems(suite, { dataDir: dataDir! }).map((p) => (id === "amc23" ? String(Number(p.gold)) : p.gold));
        expect(loadProblems(suite, { dataDir: out }).map((p) => p.gold), id).toEqual(want);
      }
    } finally {
      hub.repos.clear();
      for (const [k, v] of saved) hub.repos.set(k, v);
    }
  });
});
