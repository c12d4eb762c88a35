// SFT on the float64 reference engine: the data path (chat template, completion + EOS scored, malformed lines with
// their line number, --skip-bad, keep-start truncation), the seeded batch plan, the loop's invariant (one small batch
// driven from ~ln(259) to < 0.1), a NaN stopping at step 1 with the tensor named and nothing saved, and the run
// directory's refusals.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensors, writeSafetensors } from "../../native/ts/safetensors.js";
import { TINY_EOS, writeTinyModel } from "../../native/ts/tiny-model.js";
import { loadTokenizer } from "../../native/ts/tokenizer.js";
import { ReferenceEngine } from "../../trainer/engines/reference.js";
import { loadSftData, parseLine } from "../../trainer/sft/data.js";
import { planBatches, shuffled } from "../../trainer/sft/plan.js";
import { runSft, type SftOptions } from "../../trainer/sft/train.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-sft-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// scale 0.02: near-zero logits, so training starts at the uniform distribution's ln(259)
const model = join(tmp, "model");
writeTinyModel(model, { arch: "qwen2", hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, tied: false, seed: 5, scale: 0.02 });

function dataFile(name: string, lines: string[]): string {
  const f = join(tmp, name);
  writeFileSync(f, `${lines.join("\n")}\n`);
  return f;
}
const pair = (prompt: string, completion: string) => JSON.stringify({ prompt, completion });

const base = (out: string, data: string): SftOptions => ({
  model,
  data,
  out,
  epochs: 40,
  lr: 3e-2,
  batchTokens: 256,
  maxLen: 128,
  seed: 1,
  schedule: "cosine_with_min_lr",
  warmupRatio: 0.05,
  minLrRate: 0.1,
  weightDecay: 0.01,
  maxGradNorm: 1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  dtype: "f32",
  saveEvery: 0,
  keep: 2,
  skipBad: false,
  resume: false,
  engine: "reference",
});

describe("SFT data", () => {
  it("renders the prompt with the chat template and scores the completion plus EOS", () => {
    const f = dataFile("d1.jsonl", [pair("2+2=", "4"), "", pair("hello", "world")]);
    const d = loadSftData(f, model, { maxLen: 128 });
    const tok = loadTokenizer(model);
    const prompt = tok.encode(tok.renderChat([{ role: "user", content: "2+2=" }], true));
    expect(d.examples[0]).toEqual({ line: 1, tokens: [...prompt, ...tok.encode("4"), TINY_EOS], promptLen: prompt.length });
    expect(tok.decode(d.examples[0].tokens.slice(0, prompt.length), false)).toBe("<|im_start|>user\n2+2=<|im_end|>\n<|im_start|>assistant\n");
    expect(d.examples[1].line).toBe(3); // the blank line 2 is skipped, line numbers stay the file's
    expect(d.eosId).toBe(TINY_EOS);
  });

  it.each([
    ["{not json", /^not valid JSON/],
    ["[1,2]", /expected a JSON object/],
    ['{"prompt": "x"}', /missing field 'completion'/],
    ['{"prompt": 3, "completion": "y"}', /field 'prompt' must be a string \(got number\)/],
    ['{"prompt": "x", "completion": ""}', /field 'completion' is empty/],
  ])("malformed line %s", (line, reason) => {
    expect(parseLine(line)).toMatch(reason);
  });

  it("stops at the first malformed line with FILE:LINE: reason; --skip-bad counts them", () => {
    const f = dataFile("bad.jsonl", [pair("a", "b"), pair("c", "d"), '{"prompt": "x"', pair("e", "f"), '{"completion": "z"}']);
    expect(() => loadSftData(f, model, { maxLen: 128 })).toThrow(new RegExp(`^${f.replace(/[.]/g, "\\.")}:3: not valid JSON .*\\(use --skip-bad to skip malformed lines\\)$`));
    const d = loadSftData(f, model, { maxLen: 128, skipBad: true });
    expect(d.examples.map((e) => e.line)).toEqual([1, 2, 4]);
    expect(d.skipped).toBe(2);
    expect(d.skippedReasons[1]).toBe(`${f}:5: missing field 'prompt'`);
  });

  it("truncates keeping the start; drops an example whose prompt fills max-len", () => {
    const long = "x".repeat(200);
    const f = dataFile("long.jsonl", [pair("q", long), pair(long, "a"), pair("q", "a")]);
    const d = loadSftData(f, model, { maxLen: 64 });
    expect(d.truncated).toBe(1);
    expect(d.dropped).toBe(1);
    expect(d.examples.map((e) => e.line)).toEqual([1, 3]);
    expect(d.examples[0].tokens).toHaveLength(64);
    expect(d.examples[0].tokens.at(-1)).toBe("x".charCodeAt(0)); // the completion lost its end, EOS included
    expect(() => loadSftData(dataFile("none.jsonl", [pair(long, "a")]), model, { maxLen: 64 })).toThrow(/no usable examples/);
  });
});

describe("SFT plan", () => {
  it("shuffles each epoch with the seed and packs batches up to the token budget", () => {
    const lengths = Array.from({ length: 50 }, (_, i) => 10 + ((i * 7) % 23));
    const p = planBatches(lengths, { epochs: 3, batchTokens: 100, seed: 9 });
    expect(planBatches(lengths, { epochs: 3, batchTokens: 100, seed: 9 })).toEqual(p);
    expect(planBatches(lengths, { epochs: 3, batchTokens: 100, seed: 10 })).not.toEqual(p);
    for (let e = 0; e < 3; e++) {
      const items = p.filter((b) => b.epoch === e).flatMap((b) => b.items);
      expect([...items].sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    }
    for (const b of p) expect(b.tokens).toBe(b.items.reduce((a, i) => a + lengths[i], 0));
    expect(Math.max(...p.map((b) => b.tokens))).toBeLessThanOrEqual(100);
    expect(planBatches(lengths, { epochs: 3, batchTokens: 100, seed: 9, maxSteps: 4 })).toEqual(p.slice(0, 4));
    expect(shuffled(5, 1)).not.toEqual([0, 1, 2, 3, 4]);
  });
});

describe("SFT loop (reference engine)", () => {
  it("drives the completion loss of one small batch from ~ln(259) to < 0.1, one metrics line per step", async () => {
    const f = dataFile("tiny.jsonl", [pair("2+2=", "4"), pair("3*3=", "9")]);
    const out = join(tmp, "run");
    const e = await ReferenceEngine.load(model);
    const r = await runSft(e, base(out, f));
    expect(r.totalSteps).toBe(40);
    const m = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(m.map((x) => x.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(Math.abs(m[0].loss - Math.log(259))).toBeLessThan(0.05);
    expect(m.at(-1).loss).toBeLessThan(0.1);
    expect(m[0].scored_tokens).toBe(4); // "4" + EOS and "9" + EOS: the prompts are not scored
    expect(m[0].lr).toBe(0); // warmup: ceil(0.05 * 40) = 2 steps starting from 0
    // the saved final model (f32) carries the trained weights
    const after = await (await ReferenceEngine.load(r.finalDir)).logprobs([r.data.examples[0]]);
    expect(-after.logprobs[0].reduce((a, b) => a + b, 0) / 2).toBeLessThan(0.1);
  });

  it("--warmup-steps wins over the ratio, so a shorter run repeats a longer run's first steps exactly", async () => {
    const f = dataFile("warm.jsonl", [pair("2+2=", "4"), pair("3*3=", "9")]);
    const lrs = async (name: string, o: Partial<SftOptions>) => {
      const out = join(tmp, name);
      await runSft(await ReferenceEngine.load(model), { ...base(out, f), schedule: "constant_with_warmup", epochs: 8, ...o });
      return readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    };
    const long = await lrs("warm-long", { warmupRatio: 0.5 }); // 8 steps, ceil(4) warmup steps
    const short = await lrs("warm-short", { maxSteps: 5, warmupSteps: 4 });
    expect(short.map((m) => m.lr)).toEqual([0, 0.25, 0.5, 0.75, 1].map((x) => x * 3e-2));
    expect(short).toEqual(long.slice(0, 5).map((m, i) => ({ ...m, elapsed_s: short[i].elapsed_s, tokens_per_s: short[i].tokens_per_s })));
  });

  it("a NaN stops at step 1 naming the tensor; no checkpoint is written", async () => {
    const bad = join(tmp, "nan-model");
    writeTinyModel(bad, { arch: "qwen2", hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, seed: 5 });
    const st = readSafetensors(join(bad, "model.safetensors"));
    writeSafetensors(
      join(bad, "model.safetensors"),
      "F32",
      [...st].map(([name, t]) => ({ name, shape: t.shape, fill: (o: Float32Array) => o.set(name === "model.layers.1.mlp.down_proj.weight" ? t.data.map((x, i) => (i === 5 ? Number.NaN : x)) : t.data) })),
    );
    const out = join(tmp, "run-nan");
    const e = await ReferenceEngine.load(bad);
    await expect(runSft(e, { ...base(out, dataFile("nan.jsonl", [pair("a", "b")])), model: bad, saveEvery: 1 })).rejects.toThrow(/^step 1: gradient of \S+ is not finite/);
    expect(readdirSync(out).filter((x) => x.startsWith("checkpoint") || x === "final")).toEqual([]);
    expect(existsSync(join(out, "metrics.jsonl"))).toBe(false);
  });

  it("refuses to reuse an output directory without --resume, and a resume with other settings", async () => {
    const f = dataFile("small.jsonl", [pair("a", "b")]);
    const out = join(tmp, "run-twice");
    await runSft(await ReferenceEngine.load(model), { ...base(out, f), epochs: 2 });
    await expect(runSft(await ReferenceEngine.load(model), { ...base(out, f), epochs: 2 })).rejects.toThrow(/already holds an SFT run; pass --resume/);
    await expect(runSft(await ReferenceEngine.load(model), { ...base(out, f), epochs: 2, lr: 1e-3, resume: true })).rejects.toThrow(/cannot resume .*: lr was 0\.03, now 0\.001/);
    const done = await runSft(await ReferenceEngine.load(model), { ...base(out, f), epochs: 2, resume: true });
    expect(done.startStep).toBe(done.totalSteps);
  });

  it("rejects a max length beyond the model's context and a batch smaller than one sequence", async () => {
    const f = dataFile("x.jsonl", [pair("a", "b")]);
    const e = await ReferenceEngine.load(model);
    await expect(runSft(e, { ...base(join(tmp, "r1"), f), maxLen: 4096 })).rejects.toThrow(/--max-len 4096 exceeds the model's 2048 positions/);
    await expect(runSft(e, { ...base(join(tmp, "r2"), f), batchTokens: 64 })).rejects.toThrow(/--batch-tokens 64 must be at least --max-len 128/);
  });
});
