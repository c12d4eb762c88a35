// `openrs-eval train sft|plot` from the command line: one-line usage errors (malformed data with its line number,
// --skip-bad, an unavailable native engine), the SVG plot parsed as XML with every run's series in it, and crash
// safety as a real child process (needs the build: npm run build): kill -9 twice mid-run, --resume each time, and end
// with final weights byte-identical to an uninterrupted run's.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DOMParser } from "@xmldom/xmldom";
import { afterAll, describe, expect, it } from "vitest";
import { writeTinyModel } from "../../native/ts/tiny-model.js";
import { nativeEngineModule } from "../../trainer/engines/index.js";
import { evalCli } from "../support/eval-cli.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const bin = join(root, "bin", "openrs-eval.js");
const tmp = mkdtempSync(join(tmpdir(), "openrs-train-cli-"));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

const model = join(tmp, "model");
writeTinyModel(model, { arch: "llama", hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, seed: 3, scale: 0.05 });
const pair = (prompt: string, completion: string) => JSON.stringify({ prompt, completion });
function dataFile(name: string, lines: string[]): string {
  const f = join(tmp, name);
  writeFileSync(f, `${lines.join("\n")}\n`);
  return f;
}
const data = dataFile(
  "train.jsonl",
  Array.from({ length: 9 }, (_, i) => pair(`${i} + ${i * 3} =`, `The sum of ${i} and ${i * 3} is ${i * 4}, so the answer is ${i * 4}.`)),
);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await evalCli(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const sftArgs = (out: string, extra: string[] = []) => [
  "train",
  "sft",
  "--model",
  model,
  "--data",
  data,
  "--out",
  out,
  "--engine",
  "reference",
  "--epochs",
  "6",
  "--batch-tokens",
  "200",
  "--max-len",
  "100",
  "--lr",
  "1e-2",
  "--save-every",
  "3",
  "--seed",
  "7",
  "--quiet",
  ...extra,
];

describe("train sft: bad input", () => {
  it("a malformed data line is one line naming the file and line, exit 2; --skip-bad trains and counts it", async () => {
    const bad = dataFile("bad.jsonl", [pair("a", "b"), '{"prompt": "c", "completion": 5}', pair("d", "e")]);
    const r = await cli(["train", "sft", "--model", model, "--data", bad, "--out", join(tmp, "bad"), "--engine", "reference", "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`openrs-eval: ${bad}:2: field 'completion' must be a string (got number) (use --skip-bad to skip malformed lines)\n`);
    const s = await cli(["train", "sft", "--model", model, "--data", bad, "--out", join(tmp, "skip"), "--engine", "reference", "--skip-bad", "--max-len", "64", "--batch-tokens", "64"]);
    expect(s.code, s.err).toBe(0);
    expect(s.err).toMatch(/sft: 2 examples, \d+ steps, engine reference, 1 malformed line\(s\) skipped \(first: .*bad\.jsonl:2: /);
    expect(s.out).toMatch(/model in .*skip\/final/);
    expect(existsSync(join(tmp, "skip", "metrics.svg"))).toBe(true);
  });

  it.each([
    [["--epochs", "0"], /--epochs must be a positive integer/],
    [["--warmup-ratio", "2"], /--warmup-ratio must be a number in \[0, 1\]/],
    [["--schedule", "exp"], /argument 'exp' is invalid/],
    [["--engine", "gpu"], /argument 'gpu' is invalid/],
  ])("usage error %j", async (extra, msg) => {
    const r = await cli([...sftArgs(join(tmp, "u"), extra as string[])]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });

  it("a missing model or data file is named", async () => {
    const r = await cli(["train", "sft", "--model", join(tmp, "nope"), "--data", data, "--out", join(tmp, "m")]);
    expect(r).toMatchObject({ code: 2, err: `openrs-eval: --model ${join(tmp, "nope")} does not exist\n` });
  });

  it("--engine native says why it cannot run while the native trainer is absent", async () => {
    const mod = await nativeEngineModule();
    if (typeof mod !== "string") return; // the native trainer is built: nothing to refuse
    const r = await cli([...sftArgs(join(tmp, "nat")).map((a) => (a === "reference" ? "native" : a))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^openrs-eval: --engine native: .*native trainer.* \(use --engine reference for tiny models\)\n$/);
  });
});

describe("train plot", () => {
  it("writes a well-formed SVG with a panel per metric and one line per run, overlaid", async () => {
    const a = join(tmp, "plot-a");
    const b = join(tmp, "plot-b");
    expect((await cli([...sftArgs(a, ["--max-steps", "6"])])).code).toBe(0);
    expect((await cli([...sftArgs(b, ["--max-steps", "6", "--lr", "3e-2"])])).code).toBe(0);
    const r = await cli(["train", "plot", a, b, "--title", "lr 1e-2 vs 3e-2"]);
    expect(r.code, r.err).toBe(0);
    const file = join(a, "metrics-overlay.svg");
    expect(r.out).toBe(`wrote ${file}\n`);
    const doc = new DOMParser().parseFromString(readFileSync(file, "utf8"), "image/svg+xml"); // throws when not well-formed
    expect(doc.documentElement?.getAttribute("xmlns")).toBe("http://www.w3.org/2000/svg");
    const panels = [...Array.from(doc.getElementsByTagName("g"))].filter((g) => g.getAttribute("class") === "panel");
    const metrics = panels.map((g) => g.getAttribute("data-metric"));
    expect(metrics[0]).toBe("loss");
    expect(metrics).toEqual(expect.arrayContaining(["lr", "grad_norm", "tokens_per_s"]));
    const loss = panels[0];
    const lines = Array.from(loss.getElementsByTagName("polyline"));
    expect(lines.map((l) => l.getAttribute("data-run"))).toEqual([a, b]);
    for (const l of lines) expect(l.getAttribute("points")?.trim().split(/\s+/)).toHaveLength(6);
    expect(readFileSync(file, "utf8")).not.toMatch(/<script|href=|@import/); // self-contained
  });

  it("a directory without metrics is a usage error", async () => {
    const r = await cli(["train", "plot", join(tmp, "nothing")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/metrics\.jsonl not found/);
  });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hasCheckpointAfter = (out: string, step: number) =>
  existsSync(out) && readdirSync(out).some((e) => /^checkpoint-\d+$/.test(e) && Number(e.slice(11)) > step && existsSync(join(out, e, "progress.json")));

function runToEnd(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 120_000 }, (err, _stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stderr });
    });
  });
}

/** Starts the CLI and SIGKILLs it `extraMs` after a checkpoint later than `after` is complete. */
async function startAndKill(args: string[], out: string, after: number, extraMs: number): Promise<boolean> {
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
  while (!exited && !hasCheckpointAfter(out, after) && Date.now() - t0 < 60_000) await sleep(5);
  await sleep(extraMs);
  const killed = !exited;
  if (killed) child.kill("SIGKILL");
  await done;
  children.delete(child);
  return killed;
}

const lastStep = (out: string) => Math.max(0, ...readdirSync(out).filter((e) => /^checkpoint-\d+$/.test(e) && existsSync(join(out, e, "progress.json"))).map((e) => Number(e.slice(11))));

describe.skipIf(!existsSync(join(root, "dist", "src", "cli.js")))("train sft: kill -9 and --resume", () => {
  it("ends with final weights byte-identical to an uninterrupted run", async () => {
    const ref = join(tmp, "uninterrupted");
    const r = await runToEnd(sftArgs(ref));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const refMetrics = readFileSync(join(ref, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const total = refMetrics.length;
    expect(total).toBeGreaterThan(9);

    const out = join(tmp, "killed");
    expect(await startAndKill(sftArgs(out), out, 0, 20)).toBe(true);
    const first = lastStep(out);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(total);
    expect(await startAndKill(sftArgs(out, ["--resume"]), out, first, 35)).toBe(true);
    expect(lastStep(out)).toBeGreaterThan(first);
    const fin = await runToEnd(sftArgs(out, ["--resume"]));
    expect(fin.stderr).toBe("");
    expect(fin.code).toBe(0);

    expect(readFileSync(join(out, "final", "model.safetensors")).equals(readFileSync(join(ref, "final", "model.safetensors")))).toBe(true);
    const state = (d: string) => readFileSync(join(d, `checkpoint-${String(total).padStart(6, "0")}`, "training-state", "tensors.bin"));
    expect(state(out).equals(state(ref))).toBe(true);
    // metrics: one line per step, the killed runs' extra lines dropped, the same losses as the uninterrupted run
    const m = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(m.map((x) => x.step)).toEqual(refMetrics.map((x) => x.step));
    expect(m.map((x) => x.loss)).toEqual(refMetrics.map((x) => x.loss));
    expect(readdirSync(out).filter((e) => e.startsWith("."))).toEqual([]);
  }, 180_000);
});
