// make-torch-fixtures.ts: regenerates the PyTorch golden fixtures (test/native/fixtures/torch-*.json) that hold the
// float64 training references to PyTorch's conventions. Writes each case's tiny model into a temp dir, a spec with
// the sequences, per-token weights, temperature and AdamW/schedule settings, then runs tools/torch-golden.py on it.
//
//   apt-get install python3-torch      # Debian's torch; no pip packages needed
//   npx tsx tools/make-torch-fixtures.ts [--python /usr/bin/python3]
//
// CI never runs this: test/native/torch-fixtures.test.ts compares the TS references against the committed files and
// checks the sha256 of each regenerated tiny model, so a change in the tiny-model generator shows up there first.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { rngFrom, type TinyModelOptions, writeTinyModel } from "../native/ts/tiny-model.js";
import type { ScheduleOptions } from "../trainer/optim/schedule.js";

interface TorchCase {
  name: string;
  model: TinyModelOptions;
  /** Lengths and prompt lengths of the sequences (tokens and weights are drawn from the case's seed). */
  shape: { len: number; promptLen: number }[];
  temperature: number;
  adamw: {
    lr: number;
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    maxNorm: number;
    steps: number;
    schedule: Omit<ScheduleOptions, "lr">;
  };
}

const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8, steps: 3 };
const dims = { hidden: 16, layers: 2, ffn: 24, vocab: 259 };

/** One case per architecture feature the reference must get right; together they cover tied/untied, MHA/GQA and each RoPE scaling. */
const TORCH_CASES: TorchCase[] = [
  {
    name: "qwen2-tied-gqa",
    model: { arch: "qwen2", ...dims, heads: 4, kvHeads: 2, tied: true, seed: 11 },
    shape: [
      { len: 7, promptLen: 3 },
      { len: 5, promptLen: 1 },
    ],
    temperature: 1,
    adamw: { ...adam, lr: 1e-2, weightDecay: 0.1, maxNorm: 1, schedule: { name: "cosine_with_min_lr", totalSteps: 4, warmupSteps: 1, minLrRate: 0.1 } },
  },
  {
    name: "llama-untied-mha-llama3",
    model: {
      arch: "llama",
      ...dims,
      heads: 2,
      kvHeads: 2,
      tied: false,
      seed: 12,
      // head dim 8: wavelengths 6.3, 63, 628, 6283 -> two pairs kept, one on the ramp, one divided by the factor
      ropeScaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1024 },
    },
    shape: [
      { len: 8, promptLen: 2 },
      { len: 4, promptLen: 3 },
    ],
    temperature: 0.7,
    adamw: { ...adam, lr: 3e-3, weightDecay: 0.01, maxNorm: 1000, schedule: { name: "linear", totalSteps: 3 } },
  },
  {
    name: "qwen3-untied-gqa-yarn",
    model: {
      arch: "qwen3",
      ...dims,
      heads: 4,
      kvHeads: 1,
      headDim: 8,
      tied: false,
      seed: 13,
      maxPositions: 256,
      ropeScaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 64 },
    },
    shape: [
      { len: 6, promptLen: 2 },
      { len: 6, promptLen: 4 },
    ],
    temperature: 1,
    adamw: { ...adam, lr: 1e-2, weightDecay: 0.05, maxNorm: 0.5, schedule: { name: "cosine", totalSteps: 3, warmupSteps: 1 } },
  },
  {
    name: "llama-tied-gqa-linear",
    model: { arch: "llama", ...dims, heads: 4, kvHeads: 2, tied: true, seed: 14, ropeScaling: { rope_type: "linear", factor: 2 } },
    shape: [
      { len: 9, promptLen: 4 },
      { len: 3, promptLen: 1 },
    ],
    temperature: 1.3,
    adamw: { ...adam, lr: 5e-3, weightDecay: 0, maxNorm: 2, schedule: { name: "constant_with_warmup", totalSteps: 10, warmupSteps: 2 } },
  },
];

/** The sequences and per-token weights of a case, drawn from its model seed (weights in [-1, 1), some exactly 0). */
function caseData(c: TorchCase): { sequences: { tokens: number[]; promptLen: number }[]; weights: number[][] } {
  const rnd = rngFrom(1000 + (c.model.seed ?? 1));
  const vocab = c.model.vocab ?? 259;
  const sequences = c.shape.map(({ len, promptLen }) => ({ tokens: Array.from({ length: len }, () => Math.floor(rnd() * vocab)), promptLen }));
  const weights = c.shape.map(({ len, promptLen }) => Array.from({ length: len - promptLen }, (_, j) => (j === 1 ? 0 : Math.round((rnd() * 2 - 1) * 1000) / 1000)));
  return { sequences, weights };
}

const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const pyIdx = process.argv.indexOf("--python");
  const python = pyIdx > 0 ? process.argv[pyIdx + 1] : "/usr/bin/python3";
  const tmp = mkdtempSync(join(tmpdir(), "openrs-torch-"));
  try {
    const cases = TORCH_CASES.map((c) => {
      const modelDir = join(tmp, c.name);
      writeTinyModel(modelDir, c.model);
      return { ...c, ...caseData(c), modelDir, weightsSha256: sha256File(join(modelDir, "model.safetensors")) };
    });
    const spec = join(tmp, "spec.json");
    writeFileSync(spec, JSON.stringify({ cases }));
    try {
      execFileSync(python, [join(root, "tools/torch-golden.py"), spec, join(root, "test/native/fixtures")], { stdio: "inherit" });
    } catch (e) {
      throw new Error(`make-torch-fixtures: ${python} tools/torch-golden.py failed (${(e as Error).message.split("\n")[0]}); it needs Debian's python3-torch`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
