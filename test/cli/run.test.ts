// `openrs-eval run` / the root default / `regrade` as child processes (needs the build: npm run build): output,
// exit codes, and one-line errors for bad input. Uses a fixture data dir and replay files written here.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const tmp = mkdtempSync(join(tmpdir(), "openrs-run-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dataDir = join(tmp, "data");
mkdirSync(dataDir);
const golds = Array.from({ length: 30 }, (_, i) => String(100 + i));
writeFileSync(join(dataDir, "aime24.jsonl"), golds.map((g, i) => JSON.stringify({ id: `aime24/${i}`, problem: `Problem ${i}`, answer: g })).join("\n"));
const replay = join(tmp, "replay.jsonl");
// Problems 0-3: right, wrong, right, no answer.
writeFileSync(
  replay,
  ["\\boxed{100}", "\\boxed{5}", "The answer is $\\boxed{102}$.", "no idea"].map((c, i) => JSON.stringify({ id: `aime24/${i}`, completion: c })).join("\n"),
);
const badReplay = join(tmp, "bad.jsonl");
writeFileSync(badReplay, '{"id": "aime24/0", "completion": "x"}\n{"id": 3}\n');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, "bin", "openrs-eval.js"), ...args], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("openrs-eval --model replay:FILE (root default command)", () => {
  const out = join(tmp, "run");
  it("scores the replay file, prints the Table 1 row and details, and writes the run directory", async () => {
    const r = await cli(["--model", `replay:${replay}`, "--bench", "aime24", "--data-dir", dataDir, "--limit", "4", "--out", out, "--jobs", "1"]);
    expect(r.stderr).toMatch(/4 samples generated; wrote .*run\.json/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Model\s+AIME24$/m);
    expect(r.stdout).toMatch(/^AIME24 +4 +1 +50\.0 /m); // 2 of 4
    expect(r.stdout).toMatch(/problem-level\s+bootstrap/);
    const m = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(m.metrics.suites.aime24.scores["pass@1:n=1"]).toBe(0.5);
    expect(m.metrics.suites.aime24.counts.noAnswer).toBe(1);
    expect(m.suites[0]).toMatchObject({ id: "aime24", version: "1", problems: 4 });
    expect(m.promptFormat).toBe("user-message");
  });

  it("`run` is the same command, and regrade --check passes on an untouched run, fails on a changed verdict", async () => {
    const again = await cli(["run", "--model", `replay:${replay}`, "--bench", "aime24", "--data-dir", dataDir, "--limit", "4", "--out", out, "--json", "-q"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).metrics.suites.aime24.scores["pass@1:n=1"]).toBe(0.5);
    expect((await cli(["regrade", out, "--check", "-q"])).code).toBe(0);
    const file = join(out, "samples.jsonl");
    writeFileSync(file, readFileSync(file, "utf8").replace('"correct":false,"extracted":"5"', '"correct":true,"extracted":"5"'));
    const r = await cli(["regrade", out, "--check", "-q"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/1 verdict\(s\) changed/);
    expect(r.stdout).toMatch(/aime24\/1 .*│ true\s+│ false/);
  });
});

/** The CLI in-process (same `main` the bin calls), capturing its output; saves a process start per case. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import("../../src/cli.js");
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    return { stream, text: () => chunks.join("") };
  };
  const o = sink();
  const e = sink();
  const code = await main(["node", "openrs-eval", ...args], o.stream as unknown as typeof process.stdout, e.stream as unknown as typeof process.stderr);
  return { code, stdout: o.text(), stderr: e.text() };
}

describe("bad input: one line on stderr, exit 2", () => {
  const rows: [args: string[], message: RegExp, why: string][] = [
    [["--bench", "aime24"], /--model is required/, "no model"],
    [["--model", `replay:${join(tmp, "none.jsonl")}`, "--bench", "aime24", "--data-dir", dataDir], /replay file not found/, "missing replay file"],
    [["--model", `replay:${badReplay}`, "--bench", "aime24", "--data-dir", dataDir], /bad\.jsonl:2: "id" must be a non-empty string/, "malformed replay file"],
    [["--model", `replay:${replay}`, "--bench", "aime99", "--data-dir", dataDir], /unknown suite "aime99"/, "unknown suite"],
    [["--model", tmp, "--bench", "aime24", "--data-dir", dataDir], /config\.json|native engine is not available/, "a directory that is not a checkpoint"],
    [["--model", `replay:${replay}`, "--bench", "amc23", "--data-dir", dataDir], /benchmark file missing: .*amc23\.jsonl/, "missing data"],
    [["--model", `replay:${replay}`, "--temperature", "hot"], /--temperature must be a number/, "bad flag value"],
  ];
  it.each(rows)("%j → %s (%s)", async (args, message) => {
    const r = await inProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
