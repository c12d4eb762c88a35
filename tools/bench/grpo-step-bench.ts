// grpo-step-bench.ts: where a GRPO step's time goes (generation / reward / reference / training) on the native
// engine, with the recipe's rewards graded in the worker pool. Generation should dominate, as in real RL runs, and
// reward grading must stay under 2 % of the step. Step 1 also starts the grader workers; the steady-state share is
// over the later steps.
// Usage: npx tsx tools/bench/grpo-step-bench.ts [--hidden 256] [--layers 4] [--completion 256] [--steps 4] [--threads 2]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeTinyModel } from "../../native/ts/tiny-model.js";
import { NativeTrainEngine } from "../../trainer/engines/native.js";
import { runGrpo } from "../../trainer/grpo/loop.js";
import { parseRecipe } from "../../trainer/recipe.js";
import { RewardScorer } from "../../trainer/scorer.js";

const { values } = parseArgs({
  options: {
    hidden: { type: "string", default: "256" },
    layers: { type: "string", default: "4" },
    completion: { type: "string", default: "256" },
    steps: { type: "string", default: "4" },
    threads: { type: "string", default: "2" },
  },
});
const hidden = Number(values.hidden);
const tmp = mkdtempSync(join(tmpdir(), "openrs-grpo-bench-"));
try {
  const model = join(tmp, "model");
  writeTinyModel(model, { arch: "qwen2", hidden, layers: Number(values.layers), heads: 4, kvHeads: 2, ffn: hidden * 3, tied: true, maxPositions: 1024, seed: 7 });
  const data = join(tmp, "data.jsonl");
  writeFileSync(data, Array.from({ length: 32 }, (_, i) => JSON.stringify({ problem: `What is ${i} + ${2 * i}?`, answer: String(3 * i) })).join("\n"));
  const recipe = parseRecipe({
    name: "bench",
    max_completion_length: Number(values.completion),
    reward_funcs: ["accuracy", "format"],
    training: { max_steps: Number(values.steps), num_generations: 6, per_device_train_batch_size: 6, gradient_accumulation_steps: 2, max_prompt_length: 128, save_steps: 1000 },
  });
  const engine = await NativeTrainEngine.open(model, { threads: Number(values.threads) });
  const scorer = new RewardScorer({ recipe, jobs: 2 });
  const rows: Record<string, number>[] = [];
  try {
    await runGrpo(engine, scorer, { recipe, model, data, out: join(tmp, "out"), completionsEvery: 0, keep: 1, dtype: "f32", evalEvery: 0 }, {
      onStep: (m) => rows.push(m as unknown as Record<string, number>),
    });
  } finally {
    await scorer.close();
    engine.close();
  }
  const parts = ["generation", "reward", "reference", "training"] as const;
  console.log(`GRPO step split: qwen2 ${hidden} x ${values.layers} layers, ${2 * 6} completions of up to ${values.completion} tokens per step, ${values.threads} threads`);
  console.log(`step | ${parts.map((p) => p.padStart(10)).join(" | ")} |   step s | gen tok/s`);
  for (const r of rows) {
    const tot = r["time/step_s"];
    console.log(`${String(r.step).padStart(4)} | ${parts.map((p) => `${((100 * r[`time/${p}_s`]) / tot).toFixed(2).padStart(9)}%`).join(" | ")} | ${tot.toFixed(2).padStart(8)} | ${r.tokens_per_s.toFixed(0).padStart(9)}`);
  }
  const later = rows.slice(1);
  if (later.length) {
    const sum = (k: string) => later.reduce((a, r) => a + r[k], 0);
    const all = sum("time/step_s");
    console.log(`steady state (steps 2..${rows.length}): ${parts.map((p) => `${p} ${((100 * sum(`time/${p}_s`)) / all).toFixed(2)}%`).join(", ")}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
