// `openrs-eval train grpo` from the command line: one-line errors, the held-out evaluation every N steps through the
// runner (pass@1 and its interval in metrics.jsonl, run directories `compare` reads, an interval band in the plot),
// and crash safety as a real child process (needs the build): kill -9 at three random points, rerun the same
// command each time, and end with weights byte-identical to an uninterrupted run's.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../grading/rng.js";
import { nativeStatus } from "../../native/ts/native.js";
import { makeGrpoTask, taskRecipe } from "../support/grpo-task.js";
import { evalCli } from "../support/eval-cli.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const bin = join(root, "bin", "openrs-eval.js");
const tmp = mkdtempSync(join(tmpdir(), "openrs-grpo-cli-"));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await evalCli(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

function runToEnd(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 120_000 }, (err, _stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stderr });
    });
  });
}

const metricLines = (out: string): number => (existsSync(join(out, "metrics.jsonl")) ? readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.trim()).length : 0);

/** Starts the CLI and SIGKILLs it `extraMs` after metrics.jsonl holds `lines` lines (or at once if it never does). */
async function startAndKill(args: string[], out: string, lines: number, extraMs: number): Promise<boolean> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: "ignore" });
  children.add(child);
  let exited = false;
  const done = new Promise<void>((r) =>
    child.on("exit", () => {
      exited = true;
      r();
    }),
  );
  const t0 = Date.now();
  while (!exited && metricLines(out) < lines && Date.now() - t0 < 60_000) await sleep(2);
  await sleep(extraMs);
  const killed = !exited;
  if (killed) child.kill("SIGKILL");
  await done;
  children.delete(child);
  return killed;
}

let task: { model: string; data: string };
let recipeFile: string;
const STEPS = 8;
const grpoArgs = (out: string, extra: string[] = []) => ["train", "grpo", "--recipe", recipeFile, "--model", task.model, "--data", task.data, "--out", out, "--threads", "2", "--jobs", "1", "-q", ...extra];

describe.skipIf(!nativeStatus().available)("train grpo", () => {
  beforeAll(async () => {
    task = await makeGrpoTask(tmp);
    recipeFile = join(tmp, "recipe.json");
    writeFileSync(recipeFile, JSON.stringify(taskRecipe({ max_steps: STEPS, save_steps: 1 })));
  }, 60_000);

  it("refuses an unknown reward and a missing gold field in one line", async () => {
    const bad = join(tmp, "bad-recipe.json");
    writeFileSync(bad, JSON.stringify(taskRecipe({}, { reward_funcs: ["accuracy", "brevity"] })));
    const r = await cli(["train", "grpo", "--recipe", bad, "--model", task.model, "--data", task.data, "--out", join(tmp, "bad")]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/unknown reward function "brevity"/);
    const nogold = join(tmp, "nogold.jsonl");
    writeFileSync(nogold, `${JSON.stringify({ problem: "Question 0" })}\n`);
    const g = await cli(["train", "grpo", "--recipe", recipeFile, "--model", task.model, "--data", nogold, "--out", join(tmp, "nogold")]);
    expect(g.code).toBe(2);
    expect(g.err).toMatch(/no gold field/);
    const e = await cli(["train", "grpo", "--recipe", recipeFile, "--model", task.model, "--data", task.data, "--out", join(tmp, "x"), "--eval-every", "2"]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--eval-every needs --eval-bench/);
  }, 60_000);

  it("evaluates held-out every N steps through the runner: pass@1 with its interval, compare-able run dirs, a band in the plot", async () => {
    const dataDir = join(tmp, "suites");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "aime24.jsonl"), Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `aime24/${i}`, problem: `Question ${i % 4}: answer with three.`, answer: "3" })).join("\n"));
    const out = join(tmp, "evaluated");
    const r = await cli([...grpoArgs(out, ["--max-steps", "4", "--eval-every", "2", "--eval-bench", "aime24", "--eval-data-dir", dataDir, "--eval-limit", "4", "--eval-samples", "4", "--eval-max-tokens", "12"])]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const m = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(m.map((x) => x.step)).toEqual([0, 1, 2, 3, 4]);
    for (const s of [0, 2, 4]) {
      const row = m[s];
      expect(row["eval/pass@1"]).toBeGreaterThanOrEqual(row["eval/pass@1/lo"]);
      expect(row["eval/pass@1/hi"]).toBeGreaterThanOrEqual(row["eval/pass@1"]);
      expect(existsSync(join(row["eval/run_dir"], "run.json"))).toBe(true);
    }
    expect(m[1]["eval/pass@1"]).toBeUndefined();
    const cmp = await cli(["compare", m[0]["eval/run_dir"], m[4]["eval/run_dir"]]);
    expect(cmp.code).toBe(0);
    const svg = readFileSync(join(out, "metrics.svg"), "utf8");
    for (const panel of ["reward", "rewards/accuracy/mean", "accuracy", "completions/mean_length", "kl", "eval/pass@1"]) expect(svg).toContain(`data-metric="${panel}"`);
    expect(svg).toContain('class="band"');
    expect(svg).not.toContain('data-metric="time/generation_s"');
  }, 120_000);

  it("kill -9 at three random points, rerun the same command: ends bit-identical to an uninterrupted run", async () => {
    const ref = join(tmp, "uninterrupted");
    const r = await runToEnd(grpoArgs(ref));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const refMetrics = readFileSync(join(ref, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(refMetrics).toHaveLength(STEPS);

    const out = join(tmp, "killed");
    const rnd = mulberry32(2026);
    // three kill points: after a random number of finished steps (increasing), plus a random 0-40 ms into the next
    const points = [1, 3, 5].map((base) => ({ lines: base + Math.floor(rnd() * 2), ms: Math.floor(rnd() * 40) }));
    let killed = 0;
    for (const p of points) if (await startAndKill(grpoArgs(out), out, p.lines, p.ms)) killed++;
    expect(killed).toBeGreaterThanOrEqual(2);
    const fin = await runToEnd(grpoArgs(out));
    expect(fin.stderr).toBe("");
    expect(fin.code).toBe(0);
    expect(readFileSync(join(out, "final", "model.safetensors")).equals(readFileSync(join(ref, "final", "model.safetensors")))).toBe(true);
    const m = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(m.map((x) => x.step)).toEqual(refMetrics.map((x) => x.step));
    for (const k of ["reward", "loss", "kl", "grad_norm"]) expect(m.map((x) => x[k])).toEqual(refMetrics.map((x) => x[k]));
  }, 180_000);
});
