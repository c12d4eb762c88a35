// The GRPO loop on the native engine with a tiny model: π_old is exact (the ratio is exactly 1 on the first
// iteration, the KL to the reference exactly 0 at step 0), reward rises on the synthetic task, the variants run, and
// bad input is a one-line error or a counted skip (a throwing reward fails the step by name, checkpoint intact).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NativeModel, nativeStatus } from "../../native/ts/native.js";
import { loadTokenizer } from "../../native/ts/tokenizer.js";
import { GrpoDataError, loadGrpoData } from "../../trainer/grpo/data.js";
import { GrpoError, type GrpoScorer, runGrpo } from "../../trainer/grpo/loop.js";
import { parseRecipe, type Recipe } from "../../trainer/recipe.js";
import type { RewardBatch } from "../../trainer/rewards/weighted.js";
import { RewardScorer, type ScoreRequest } from "../../trainer/scorer.js";
import { makeGrpoTask, taskRecipe } from "../support/grpo-task.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-grpo-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let task: { model: string; data: string };
let n = 0;

async function run(recipe: Recipe, opts: { scorer?: GrpoScorer; out?: string; maxSteps?: number; data?: string } = {}) {
  const { NativeTrainEngine } = await import("../../trainer/engines/native.js");
  const engine = await NativeTrainEngine.open(task.model, { threads: 2 });
  const own = opts.scorer ? null : new RewardScorer({ recipe, jobs: 1 });
  const out = opts.out ?? join(tmp, `run-${n++}`);
  try {
    const r = await runGrpo(engine, opts.scorer ?? (own as RewardScorer), {
      recipe,
      model: task.model,
      data: opts.data ?? task.data,
      out,
      maxSteps: opts.maxSteps,
      completionsEvery: 1,
      keep: 2,
      dtype: "f32",
      evalEvery: 0,
    });
    const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    return { r, out, metrics };
  } finally {
    await own?.close();
    engine.close();
  }
}

describe.skipIf(!nativeStatus().available)("GRPO loop (native engine, tiny model)", () => {
  beforeAll(async () => {
    task = await makeGrpoTask(tmp);
  }, 60_000);

  it("keeps the sampler's log-probs as π_old: ratio exactly 1 and KL exactly 0 at step 0", async () => {
    // directly: a generated completion's log-probs = the trainer's forward = the reference model's openrs_score
    const { NativeTrainEngine } = await import("../../trainer/engines/native.js");
    const engine = await NativeTrainEngine.open(task.model, { threads: 2 });
    const ref = await NativeModel.load(task.model, { device: "cpu" });
    try {
      const tok = loadTokenizer(task.model);
      const prompt = tok.encode(tok.renderChat([{ role: "user", content: "Question 0: answer with three." }], true));
      const s = engine.model().session();
      const g = await s.generate({ prompts: [prompt], nSamples: 3, params: { temperature: 1, seed: 5, maxNewTokens: 12 } });
      s.close();
      const seqs = g.sequences.map((q) => ({ tokens: [...prompt, ...q.tokens], promptLen: prompt.length }));
      const lp = (await engine.logprobs(seqs)).logprobs;
      const rs = ref.session();
      for (const [i, q] of g.sequences.entries()) {
        expect(Array.from(lp[i])).toEqual(Array.from(q.logprobs, (x) => x));
        expect(Array.from(await rs.score(seqs[i].tokens, prompt.length))).toEqual(Array.from(q.logprobs));
      }
      rs.close();
    } finally {
      ref.close();
      engine.close();
    }
    // through the loop: its own check of the backward's log-probs against π_old, and the KL of step 1
    const { metrics } = await run(parseRecipe(taskRecipe({ max_steps: 1 })));
    expect(metrics[0].logprob_max_dev).toBe(0);
    expect(metrics[0].kl).toBe(0);
    expect(metrics[0]["clip_ratio/region_mean"]).toBe(0);
  }, 60_000);

  it("raises the reward on the synthetic task and logs TRL's metrics and the step-time split", async () => {
    const { metrics, out } = await run(parseRecipe(taskRecipe({ max_steps: 12 })));
    const reward = metrics.map((m) => m.reward as number);
    const head = (reward[0] + reward[1]) / 2;
    const tail = (reward[9] + reward[10] + reward[11]) / 3;
    expect(head).toBeLessThan(0.4);
    expect(tail).toBeGreaterThan(head + 0.3);
    for (const k of ["reward_std", "rewards/accuracy/mean", "rewards/accuracy/std", "frac_reward_zero_std", "accuracy", "format_rate", "completions/mean_length", "completions/clipped_ratio", "completions/mean_terminated_length", "kl", "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean", "grad_norm", "lr", "loss", "time/generation_s", "time/reward_s", "time/reference_s", "time/training_s"])
      expect(typeof metrics[11][k], k).toBe("number");
    expect(metrics[11].accuracy).toBe(metrics[11]["rewards/accuracy/mean"]);
    const c = readFileSync(join(out, "completions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(c.length).toBe(12 * 2 * 8);
    expect(Object.keys(c[0])).toEqual(expect.arrayContaining(["prompt", "completion", "rewards", "advantage", "reward"]));
  }, 60_000);

  it("runs the variants: μ = 2 (clipping live), dynamic sampling with refill, dapo, masked truncations", async () => {
    const mu = await run(parseRecipe(taskRecipe({ max_steps: 2, num_iterations: 2, learning_rate: 1e-2 })));
    expect(mu.metrics.map((m) => m.optimizer_step)).toEqual([2, 4]);
    expect(mu.metrics[1]["clip_ratio/region_mean"]).toBeGreaterThan(0); // the second pass sees ρ ≠ 1 and clips
    const dyn = await run(parseRecipe(taskRecipe({ max_steps: 2, dynamic_sampling: true, dynamic_sampling_max_rounds: 3, loss_type: "dapo", mask_truncated_completions: true })));
    for (const m of dyn.metrics) {
      expect(m["dynamic_sampling/rounds"]).toBeGreaterThanOrEqual(1);
      expect(m.trained_groups).toBeLessThanOrEqual(2);
      expect(Number.isFinite(m.loss ?? 0)).toBe(true);
    }
  }, 60_000);

  it("fails a step whose reward function throws, naming it, with the last checkpoint intact; resumes after", async () => {
    const recipe = parseRecipe(taskRecipe({ max_steps: 4 }));
    const real = new RewardScorer({ recipe, jobs: 0 });
    let calls = 0;
    const throwing: GrpoScorer = {
      async score(req: ScoreRequest): Promise<RewardBatch> {
        if (++calls === 3) throw new Error('reward "accuracy" failed: boom');
        return real.score(req);
      },
    };
    const out = join(tmp, "throws");
    await expect(run(recipe, { scorer: throwing, out })).rejects.toThrow(/^step 3: reward "accuracy" failed: boom; nothing was applied or saved$/);
    expect(existsSync(join(out, "checkpoint-000002", "progress.json"))).toBe(true);
    expect(existsSync(join(out, "checkpoint-000003"))).toBe(false);
    const again = await run(recipe, { scorer: real, out });
    expect(again.r.startStep).toBe(2);
    expect(again.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
  }, 60_000);

  it("counts an all-null group as a skip (advantages 0, never NaN)", async () => {
    const recipe = parseRecipe(taskRecipe({ max_steps: 1 }));
    const real = new RewardScorer({ recipe, jobs: 0 });
    const nulls: GrpoScorer = {
      async score(req: ScoreRequest): Promise<RewardBatch> {
        const b = await real.score(req);
        return { ...b, total: b.total.map((x, i) => (i < 8 ? null : x)) };
      },
    };
    const { metrics } = await run(recipe, { scorer: nulls });
    expect(metrics[0].skipped_groups).toBe(1);
    expect(metrics[0].null_rewards).toBe(8);
    expect(Number.isFinite(metrics[0].loss)).toBe(true);
  }, 60_000);

  it("refuses a data file without the gold field and counts long prompts (cut from the left or skipped)", () => {
    const tok = loadTokenizer(task.model);
    const f = join(tmp, "nogold.jsonl");
    writeFileSync(f, `${JSON.stringify({ problem: "x", answer: "1" })}\n${JSON.stringify({ problem: "y" })}\n`);
    const o = { systemPrompt: null, maxPromptLength: 64, longPrompts: "truncate_left" as const, needsGold: true };
    expect(() => loadGrpoData(f, tok, o)).toThrow(GrpoDataError);
    expect(() => loadGrpoData(f, tok, o)).toThrow(/nogold\.jsonl:2: missing gold field "answer"/);
    const long = join(tmp, "long.jsonl");
    writeFileSync(long, [JSON.stringify({ problem: "short", answer: "1" }), JSON.stringify({ problem: "z".repeat(200), answer: "2" })].join("\n"));
    const cut = loadGrpoData(long, tok, o);
    expect(cut.truncated).toBe(1);
    expect(cut.prompts[1].tokens.length).toBe(64);
    expect(cut.prompts[1].tokens.at(-1)).toBe(tok.encode(tok.renderChat([{ role: "user", content: "z" }], true)).at(-1));
    const skip = loadGrpoData(long, tok, { ...o, longPrompts: "skip" });
    expect(skip.skipped).toBe(1);
    expect(skip.prompts.length).toBe(1);
    expect(() => parseRecipe(taskRecipe({}, { reward_funcs: ["accuracy", "brevity"] }))).toThrow(/unknown reward function "brevity"/);
  });

  it("refuses settings it cannot honour", async () => {
    await expect(run(parseRecipe(taskRecipe({ logprob_temperature: "tempered", temperature: 0.7 })))).rejects.toThrow(GrpoError);
  });
});
