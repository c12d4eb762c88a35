// `openrs-eval model tiny|info|generate` end to end on a tiny checkpoint, with usage errors as one line and exit 2.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli-common.js";
import { registerModel } from "../../src/commands/model.js";
import { nativeStatus } from "../../native/ts/native.js";
import { readSafetensors } from "../../native/ts/safetensors.js";
import { loadTokenizer } from "../../native/ts/tokenizer.js";

const status = nativeStatus();
const root = mkdtempSync(join(tmpdir(), "openrs-model-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (d) => (o += d));
  err.on("data", (d) => (e += d));
  let code = 0;
  const program = new Command("openrs-eval").exitOverride().configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  registerModel(program, { setCode: (c) => (code = c), out, err });
  try {
    await program.parseAsync(["node", "openrs-eval", ...args]);
  } catch (x) {
    code = 2;
    if (x instanceof UsageError) e += `openrs-eval: ${x.message}\n`;
  }
  return { code, out: o, err: e };
}

describe("model tiny", () => {
  it.each([
    { args: ["model", "tiny", "--arch", "gpt2", "--out", join(root, "x")], err: /argument 'gpt2' is invalid/, why: "unknown architecture" },
    { args: ["model", "tiny", "--arch", "qwen2"], err: /required option '--out <dir>'/, why: "missing --out" },
    { args: ["model", "tiny", "--arch", "qwen2", "--out", join(root, "y"), "--heads", "3"], err: /head dim 21\.33\S* must be an even integer/, why: "hidden not divisible by heads" },
  ])("usage error: $why", async ({ args, err }) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(err);
  });
});

describe("model tiny training options", () => {
  it("--think opens the assistant turn with <think>, --embed-scale bounds the embeddings, --max-positions sets the context", async () => {
    const dir = join(root, "think");
    const r = await run(["model", "tiny", "--arch", "qwen2", "--out", dir, "--dtype", "f32", "--think", "--embed-scale", "0.02", "--max-positions", "512", "--tied"]);
    expect(r.code).toBe(0);
    const tok = loadTokenizer(dir);
    expect(tok.renderChat([{ role: "user", content: "1 + 1" }])).toBe("<|im_start|>user\n1 + 1<|im_end|>\n<|im_start|>assistant\n<think>\n");
    const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(cfg.max_position_embeddings).toBe(512);
    const emb = readSafetensors(join(dir, "model.safetensors")).get("model.embed_tokens.weight") as { data: Float64Array };
    expect(Math.max(...Array.from(emb.data, Math.abs))).toBeLessThanOrEqual(0.02);
    const plain = join(root, "plain");
    await run(["model", "tiny", "--arch", "qwen2", "--out", plain]);
    expect(loadTokenizer(plain).renderChat([{ role: "user", content: "x" }]).endsWith("<|im_start|>assistant\n")).toBe(true);
  });
});

describe("model generate flags", () => {
  it("use run's names and sampling defaults (--max-new-tokens, temperature 0.6, top-p 0.95, seed 1234)", async () => {
    const r = await run(["model", "generate", "--help"]);
    expect(r.out).toMatch(/--max-new-tokens <n>/);
    expect(r.out).not.toMatch(/--max-new </);
    expect(r.out).toMatch(/--temperature <t>.*default 0\.6, as run/);
    expect(r.out).toMatch(/--top-p <p>.*default 0\.95, as run/);
    expect(r.out).toMatch(/--seed <n>.*default 1234, as run/);
  });
});

describe.skipIf(!status.available)(`model info / generate${status.available ? "" : ` (skipped: ${status.reason})`}`, () => {
  const dir = join(root, "q3");
  it("writes, inspects and generates from a tiny qwen3 checkpoint", async () => {
    const w = await run(["model", "tiny", "--arch", "qwen3", "--out", dir, "--seed", "4", "--dtype", "f16"]);
    expect(w.out).toMatch(/wrote Qwen3ForCausalLM checkpoint/);
    const info = await run(["model", "info", dir]);
    expect(info.out).toMatch(/Qwen3ForCausalLM/);
    expect(info.out).toMatch(/f16/);
    const g = await run(["model", "generate", dir, "--prompt", "2+2=", "--chat", "--max-new-tokens", "5", "--samples", "2", "--temperature", "0.7"]);
    expect(g.code).toBe(0);
    expect(g.out.match(/--- sample \d \(\d tokens, (stop|length)\)/g)?.length).toBe(2);
  });

  it("a missing directory is a usage error", async () => {
    const r = await run(["model", "info", join(root, "nope")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/does not exist/);
  });
});
