// Crash safety of `openrs-eval run` as a real child process (needs the build: npm run build): kill -9 at several
// random points, resume each time, and end with exactly the samples and metrics of an uninterrupted run.
// Uses the test-only deterministic backend (`--model test:...`) and a fixture data dir written here.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../grading/rng.js";
import { readManifest, readSamples, type SampleRecord } from "../../src/runner/run-dir.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const bin = join(root, "bin", "openrs-eval.js");
const tmp = mkdtempSync(join(tmpdir(), "openrs-resume-"));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

// Fixture suites with the registry's counts; each question carries its gold for the test backend to answer.
const dataDir = join(tmp, "data");
mkdirSync(dataDir);
for (const [suite, count] of [
  ["aime24", 30],
  ["amc23", 40],
] as const) {
  const rows = Array.from({ length: count }, (_, i) => {
    const gold = String((i * 37 + 11) % 1000);
    return JSON.stringify({ id: `${suite}/${i}`, problem: `Fixture problem ${i} [gold: ${gold}]`, answer: gold });
  });
  writeFileSync(join(dataDir, `${suite}.jsonl`), `${rows.join("\n")}\n`);
}

const args = (out: string): string[] => [
  bin,
  "--model",
  "test:delay=40,correct=0.55",
  "--bench",
  "aime24,amc23",
  "--data-dir",
  dataDir,
  "--samples",
  "3",
  "--concurrency",
  "2",
  "--jobs",
  "1",
  "--out",
  out,
  "--quiet",
  "--json",
];

function runToEnd(out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args(out), { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const lineCount = (file: string): number => (existsSync(file) ? readFileSync(file, "utf8").split("\n").length - 1 : 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a run and SIGKILLs it `extraMs` after it has appended its first new lines; resolves with the lines then. */
async function startAndKill(out: string, extraMs: number): Promise<{ killed: boolean; lines: number }> {
  const file = join(out, "samples.jsonl");
  const before = lineCount(file);
  const child = spawn(process.execPath, args(out), { cwd: root, stdio: "ignore" });
  children.add(child);
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
  });
  const t0 = Date.now();
  while (exitCode === undefined && lineCount(file) <= before && Date.now() - t0 < 20_000) await sleep(10);
  await sleep(extraMs);
  const killed = exitCode === undefined;
  if (killed) child.kill("SIGKILL");
  await exited;
  children.delete(child);
  return { killed, lines: lineCount(file) };
}

const key = (r: SampleRecord): string => `${r.suite}|${r.id}|${r.sample}`;
const bySample = (rs: SampleRecord[]): SampleRecord[] => [...rs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

describe("kill -9 and resume", () => {
  it("ends with the samples and metrics of an uninterrupted run", async () => {
    const seed = 20261129;
    const rng = new Rng(seed);
    const reference = join(tmp, "reference");
    const ref = await runToEnd(reference);
    expect(ref.stderr).toBe("");
    expect(ref.code).toBe(0);
    const total = 3 * (30 + 40);
    expect(readSamples(join(reference, "samples.jsonl")).records).toHaveLength(total);

    const out = join(tmp, "interrupted");
    const seen: number[] = [];
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const { killed, lines } = await startAndKill(out, rng.int(0, 250));
      if (killed) kills++;
      seen.push(lines);
      if (round === 0) appendFileSync(join(out, "samples.jsonl"), '{"suite":"aime24","id":"aime24/'); // a torn write
    }
    expect(kills, `kill points (seed ${seed}) left ${seen.join(", ")} lines`).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[0]).toBeLessThan(total);

    const last = await runToEnd(out);
    expect(last.code, last.stderr).toBe(0);
    const a = readManifest(reference)!;
    const b = readManifest(out)!;
    expect(b.status).toBe("complete");
    expect(b.metrics).toEqual(a.metrics);
    expect(JSON.parse(last.stdout).metrics).toEqual(a.metrics);
    expect(b.timings.resumes).toBeGreaterThanOrEqual(1);
    const ra = readSamples(join(reference, "samples.jsonl"));
    const rb = readSamples(join(out, "samples.jsonl"));
    expect(rb.tornBytes).toBe(0);
    expect(bySample(rb.records)).toEqual(bySample(ra.records));
  });

  it("refuses to resume with other settings, with a one-line error and exit 2", async () => {
    const out = join(tmp, "reference");
    const r = await new Promise<{ code: number; stderr: string }>((done) => {
      execFile(process.execPath, [...args(out), "--temperature", "0.7"], { cwd: root, timeout: 30_000 }, (err, _o, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stderr }),
      );
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/different settings \(temperature 0\.6 → 0\.7\)/);
  });
});
