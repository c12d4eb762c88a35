// The synthetic GRPO task of the tests: four prompts whose gold answer is always "3", and a tiny random model given a
// short SFT warm-up that teaches the `\boxed{d}` format with a uniformly random digit. The warm model answers in the
// right format about one time in ten, so groups of 8 have reward variance from the first step and GRPO has a clear
// signal to learn (the digit), in a few seconds on two cores.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../../grading/rng.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";
import { loadTokenizer } from "../../native/ts/tokenizer.js";

export const TASK_ROWS = Array.from({ length: 4 }, (_, i) => ({ problem: `Question ${i}: answer with three.`, answer: "3" }));

/** A recipe for the task (accuracy reward, small batch, fast constant lr); `training` entries override. */
export function taskRecipe(training: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "boxed-three",
    max_completion_length: 12,
    reward_funcs: ["accuracy"],
    ...extra,
    training: {
      learning_rate: 3e-3,
      lr_scheduler_type: "constant",
      warmup_ratio: 0,
      min_lr_rate: null,
      max_steps: 12,
      num_generations: 8,
      temperature: 1.0,
      max_prompt_length: 64,
      per_device_train_batch_size: 8,
      gradient_accumulation_steps: 2,
      save_steps: 2,
      ...training,
    },
  };
}

/** Writes the random model, warms it up with SFT and saves it; returns the paths of the warm model and the data. */
/** `wrap` turns a question into the problem text (e.g. the eval runner's paper prompt, so training and held-out prompts match). */
export async function makeGrpoTask(dir: string, wrap: (q: string) => string = (q) => q): Promise<{ model: string; data: string }> {
  const raw = join(dir, "raw-model");
  writeTinyModel(raw, { arch: "qwen2", seed: 3, hidden: 64, layers: 2, maxPositions: 1024 });
  const tok = loadTokenizer(raw);
  const { NativeTrainEngine } = await import("../../trainer/engines/native.js");
  const eng = await NativeTrainEngine.open(raw, { threads: 2 });
  const rnd = mulberry32(11);
  try {
    for (let k = 0; k < 40; k++) {
      const seqs = Array.from({ length: 16 }, () => {
        const p = wrap(TASK_ROWS[Math.floor(rnd() * TASK_ROWS.length)].problem);
        const pt = tok.encode(tok.renderChat([{ role: "user", content: p }], true));
        const ct = [...tok.encode(`\\boxed{${Math.floor(rnd() * 10)}}`), tok.eosIds[0]];
        return { tokens: [...pt, ...ct], promptLen: pt.length };
      });
      const n = seqs.reduce((a, q) => a + q.tokens.length - q.promptLen, 0);
      await eng.backward(
        seqs,
        seqs.map((q) => new Float64Array(q.tokens.length - q.promptLen).fill(-1 / n)),
      );
      await eng.step({ lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
    }
    await eng.saveCheckpoint(join(dir, "warm"));
  } finally {
    eng.close();
  }
  const data = join(dir, "data.jsonl");
  writeFileSync(data, TASK_ROWS.map((r) => JSON.stringify({ ...r, problem: wrap(r.problem) })).join("\n") + "\n");
  return { model: join(dir, "warm"), data };
}
