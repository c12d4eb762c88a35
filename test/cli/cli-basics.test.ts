// The CLI a user expects (needs the build: npm run build): --version, one-line option errors, lazy command loading,
// --out that cannot be created, plain file-system errors, stop signals, flags that do not apply to the backend,
// --k beyond the samples, --served-model-name, and synthetic replay files.
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { fsErrorMessage } from "../../src/fs-safe.js";
import { FakeOpenAIServer } from "../support/fake-openai-server.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const bin = join(root, "bin", "openrs-eval.js");
const tmp = mkdtempSync(join(tmpdir(), "openrs-cli-basics-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dataDir = join(tmp, "data");
mkdirSync(dataDir);
writeFileSync(join(dataDir, "aime24.jsonl"), Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `aime24/${i}`, problem: `Problem ${i} [gold: ${100 + i}]`, answer: String(100 + i) })).join("\n"));
const replay = join(tmp, "replay.jsonl");
writeFileSync(replay, Array.from({ length: 4 }, (_, i) => JSON.stringify({ id: `aime24/${i}`, completion: `\\boxed{${100 + i}}` })).join("\n"));

function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; node?: string[] } = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((done) => {
    execFile(process.execPath, [...(opts.node ?? []), bin, ...args], { cwd: root, timeout: 30_000, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr, ms: performance.now() - t0 }),
    );
  });
}

const run = (extra: string[]) => cli(["--bench", "aime24", "--data-dir", dataDir, "--limit", "4", "--jobs", "1", "-q", ...extra]);

describe("the command line", () => {
  it("--version and -V print the package, grader and native engine versions", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await cli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^openrs \d+\.\d+\.\d+\ngrader openrs-grader\/\S+\nnative engine (built|not built)/);
    }
  });

  it("an option error is one line that points to --help", async () => {
    const r = await cli(["--model", `replay:${replay}`, "--k", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--k must be a comma-separated list.*\(run with --help for usage\)$/m);
    // commander's suggestion joins the same line
    const typo = await cli(["--benc", "all"]);
    expect(typo.stderr).toBe("error: unknown option '--benc' (Did you mean --bench?) (run with --help for usage)\n");
  });

  it("--help loads no command module (commands are imported when run)", async () => {
    const hook = `data:text/javascript,export async function resolve(s,c,n){const r=await n(s,c);if(r.url.includes("/dist/"))console.error("LOAD "+r.url);return r}`;
    const trace = ["--import", `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hook)})`];
    const help = await cli(["--help"], { node: trace });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/run\s+Evaluate a model/);
    expect(help.stderr).not.toMatch(/commands\/|grading\/pool|benchmarks\//);
    const bench = await cli(["bench", "list", "--help"], { node: trace });
    expect(bench.stderr).toMatch(/commands\/bench\.js/);
    expect(bench.stderr).not.toMatch(/commands\/run\.js|commands\/serve-rewards\.js/);
  });
});

describe("--out and file-system errors", () => {
  it("an --out that cannot be created fails at once with a plain message (no mkdir loop)", async () => {
    for (const out of ["/proc/openrs-nope", join(replay, "sub")]) {
      const r = await run(["--model", `replay:${replay}`, "--out", out]);
      expect(r.code).toBe(2);
      expect(r.ms).toBeLessThan(10_000);
      expect(r.stderr).toMatch(/^openrs-eval: --out \S+ cannot be (created|used): /);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("data pull --cache-dir and model tiny --out fail at once too", async () => {
    const pull = await cli(["data", "pull", "--suite", "aime24", "--cache-dir", "/proc/openrs-nope"]);
    expect(pull.code).toBe(2);
    expect(pull.stderr).toMatch(/^openrs-eval: data directory \/proc\/openrs-nope cannot be created: /);
    const tiny = await cli(["model", "tiny", "--arch", "qwen2", "--out", "/proc/openrs-nope/tiny"]);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toMatch(/^openrs-eval: --out \/proc\/openrs-nope\/tiny cannot be created: /);
  });

  it("raw errno errors become one sentence naming the path and what to do", () => {
    const e = Object.assign(new Error("EACCES: permission denied, open '/x/run.json.tmp-32562'"), { code: "EACCES", path: "/x/run.json.tmp-32562", syscall: "open" });
    expect(fsErrorMessage(e)).toBe("cannot write /x/run.json: permission denied; choose a path you can write or fix its permissions");
    const d = Object.assign(new Error("ENOTDIR"), { code: "ENOTDIR", path: "/a/b", syscall: "mkdir" });
    expect(fsErrorMessage(d)).toMatch(/^cannot create \/a\/b: a part of the path is a file/);
    expect(fsErrorMessage(new Error("plain"))).toBeNull();
  });
});

describe("stop signals", () => {
  it("SIGTERM stops a run under way within two seconds, keeping what was written; the rerun resumes", async () => {
    const out = join(tmp, "sig");
    const args = [bin, "--model", "test:delay=400", "--bench", "aime24", "--data-dir", dataDir, "--samples", "2", "--concurrency", "2", "--jobs", "1", "--out", out, "-q"];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // Wait until samples are on disk, then stop it.
    const file = join(out, "samples.jsonl");
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        if (readFileSync(file, "utf8").length > 0) break;
      } catch {
        // not yet created
      }
    }
    const t0 = performance.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/interrupted/);
    const m = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(m.status).toBe("interrupted");
    const same = await cli(args.slice(1));
    expect(same.code).toBe(0);
    const done = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(done.status).toBe("complete");
    expect(done.resumedSamples).toBeGreaterThan(0);
  }, 90_000);
});

describe("flags that do not apply, --k, --served-model-name", () => {
  it("refuses --kv-cache and --tokenizer for a replay; ignores and records a replay's sampling flags", async () => {
    const kv = await run(["--model", `replay:${replay}`, "--kv-cache", "bf16", "--out", join(tmp, "kv")]);
    expect(kv.code).toBe(2);
    expect(kv.stderr).toMatch(/^openrs-eval: --kv-cache does not apply to a replay file \(/);
    const act = await run(["--model", `replay:${replay}`, "--activations", "bf16", "--out", join(tmp, "act")]);
    expect(act.code).toBe(2);
    expect(act.stderr).toMatch(/^openrs-eval: --activations does not apply to a replay file \(/);
    expect((await run(["--model", `replay:${replay}`, "--activations", "f16", "--out", join(tmp, "act2")])).stderr).toMatch(/--activations must be f32 or bf16, got "f16"/);
    const tok = await run(["--model", `replay:${replay}`, "--tokenizer", tmp, "--out", join(tmp, "tok")]);
    expect(tok.stderr).toMatch(/--tokenizer does not apply to a replay file/);
    const out = join(tmp, "replay-t");
    expect((await run(["--model", `replay:${replay}`, "--out", out])).code).toBe(0);
    const t = await run(["--model", `replay:${replay}`, "--out", out, "--temperature", "0", "--seed", "7"]);
    expect(t.code).toBe(0);
    expect(t.stderr).toMatch(/--temperature, --seed ignored: a replay samples nothing/);
    const m = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(m.settings.notApplicable).toEqual(["temperature", "seed"]);
    expect(m.settings.sampling.temperature).toBe(0.6);
  });

  it("--k larger than the samples is an error saying why", async () => {
    const r = await run(["--model", `replay:${replay}`, "--k", "1,4", "--out", join(tmp, "k")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--k 4 needs at least 4 samples per problem, and the run takes 1; raise --samples or lower --k/);
  });

  it("--served-model-name names the model for a server without /v1/models, and run.json records the server", async () => {
    const server = await FakeOpenAIServer.start({ models: [] });
    try {
      const bad = await run(["--model", server.url, "--out", join(tmp, "srv0")]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/pass it with --served-model-name NAME/);
      const out = join(tmp, "srv");
      const ok = await run(["--model", server.url, "--served-model-name", "my-model", "--max-new-tokens", "64", "--out", out]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      const m = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
      expect(m.model).toBe("my-model");
      expect(m.provenance.backend).toEqual({ servers: [server.url], servedModel: "my-model" });
      expect(m.provenance.command).toEqual(["openrs-eval", "--bench", "aime24", "--data-dir", dataDir, "--limit", "4", "--jobs", "1", "-q", "--model", server.url, "--served-model-name", "my-model", "--max-new-tokens", "64", "--out", out]);
      expect(m.provenance.node).toBe(process.version);
      expect(m.provenance.host.cores).toBeGreaterThan(0);
      expect(m.provenance.host).toHaveProperty("gpu");
    } finally {
      await server.close();
    }
  });
});

describe("synthetic replay files", () => {
  it("a replay whose lines say synthetic makes a run marked synthetic, and the output says so", async () => {
    const file = join(tmp, "synthetic.jsonl");
    writeFileSync(file, Array.from({ length: 4 }, (_, i) => JSON.stringify({ id: `aime24/${i}`, completion: `\\boxed{${100 + i}}`, model: "synthetic-coin-flip", synthetic: true })).join("\n"));
    const out = join(tmp, "syn");
    const r = await cli(["--model", `replay:${file}`, "--bench", "aime24", "--data-dir", dataDir, "--limit", "4", "--jobs", "1", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SYNTHETIC: /);
    const m = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(m.synthetic).toBe(true);
    expect(m.provenance.backend).toMatchObject({ sourceModel: "synthetic-coin-flip", synthetic: true });
  });

  it("the shipped example says synthetic on every line and in its name", () => {
    const lines = readFileSync(join(root, "examples", "replay-synthetic.jsonl"), "utf8").split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(1000);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ synthetic: true, model: expect.stringMatching(/^synthetic/) });
  });
});
