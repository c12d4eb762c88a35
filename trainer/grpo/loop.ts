// The GRPO loop: rollouts from the live weights (one continuous-batching session; the G samples of a prompt share
// its prefill), rewards through the recipe's RewardScorer (grader pool, hard budget), group-relative advantages,
// reference log-probs from a second read-only model of the starting weights (openrs_score), the loss weights of
// trainer/grpo/loss.ts handed to TrainEngine.backward per micro-batch, AdamW through engine.step on the recipe's
// schedule. One "step" is one generation batch; with num_iterations μ > 1 it takes μ optimizer steps on it.
//
// Exactness: on CPU training and generation share kernels, so the log-probs the sampler reports are π_old and equal
// the trainer's forward bit for bit (ratio exactly 1 on the first iteration); `logprob_max_dev` logs the largest
// difference seen, so a backend where that is not so shows it instead of training on a silently wrong ratio.
//
// Resume: every random choice is a function of (seed, prompt draw index, sample), checkpoints hold the engine's full
// state and the data cursor, so a run killed at any point and rerun ends bit-identical to an uninterrupted one.
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { mulberry32 } from "../../grading/rng.js";
import { ContinuousBatcher } from "../../native/ts/batcher.js";
import { type GeneratedSequence, NativeModel, type NativeSession } from "../../native/ts/native.js";
import { type CheckpointTokenizer, loadTokenizer } from "../../native/ts/tokenizer.js";
import { removeStaleTemps, writeFileAtomic } from "../checkpoint.js";
import type { TrainEngine, TrainSequence } from "../engine.js";
import { makeSchedule } from "../optim/schedule.js";
import type { Recipe } from "../recipe.js";
import { formatValue } from "../rewards/format.js";
import type { Gold } from "../rewards/types.js";
import type { RewardBatch } from "../rewards/weighted.js";
import type { ScoreRequest } from "../scorer.js";
import { appendMetrics, checkpointName, completeCheckpoints, PROGRESS_FILE, pruneCheckpoints, removeIncompleteCheckpoints, STATE_DIR, truncateMetrics } from "../sft/run-dir.js";
import { groupsPerStep as groupsPerStepOf } from "../training-config.js";
import { dynamicSamplingFilter, groupAdvantages } from "./advantages.js";
import { type GrpoData, loadGrpoData } from "./data.js";
import { type GrpoSequence, grpoLoss, logprobTemperature } from "./loss.js";
import { completionMask } from "./mask.js";

export const GRPO_RUN_FILE = "grpo-run.json";
export const COMPLETIONS_FILE = "completions.jsonl";

/** The engine the loop needs: a TrainEngine whose model() is the live weights (trainer/engines/native.ts). */
export interface LiveEngine extends TrainEngine {
  model(): NativeModel;
}

/** What the loop asks of the scorer (trainer/scorer.ts RewardScorer). */
export interface GrpoScorer {
  /** `timedOut` marks items whose grading ran past the budget (counted in grader_timeouts). */
  score(req: ScoreRequest): Promise<RewardBatch & { timedOut?: boolean[] }>;
}

export interface GrpoOptions {
  recipe: Recipe;
  model: string;
  data: string;
  out: string;
  /** Overrides training.max_steps. */
  maxSteps?: number;
  /** Overrides training.seed. */
  seed?: number;
  /** Write sampled completions every N steps (0 = never). */
  completionsEvery: number;
  /** Complete checkpoints kept. */
  keep: number;
  problemField?: string;
  goldField?: string;
  /** Most sequences decoding at once in the rollout batcher. */
  maxSequences?: number;
  /** Saved checkpoints' dtype. */
  dtype: "f32" | "bf16";
  /** Held-out evaluation every N steps (0 = never); needs the evaluate hook. */
  evalEvery: number;
}

export interface GrpoStepMetrics extends Record<string, number | string | null> {
  step: number;
}

export interface GrpoHooks {
  onStart?(info: { totalSteps: number; startStep: number; data: GrpoData }): void;
  onStep?(m: GrpoStepMetrics, totalSteps: number): void;
  onCheckpoint?(dir: string): void;
  /** Held-out evaluation of a saved checkpoint (src/ runs it through the eval runner); its numbers join the step's metrics. */
  evaluate?(info: { step: number; modelDir: string }): Promise<Record<string, number | string | null>>;
}

export interface GrpoResult {
  totalSteps: number;
  startStep: number;
  finalDir: string;
  last: GrpoStepMetrics | null;
  data: GrpoData;
}

/** A step that cannot be taken (a throwing reward, a non-finite gradient): nothing was applied or saved. */
export class GrpoError extends Error {}

interface Rollout {
  prompt: number;
  draw: number;
  seqs: GeneratedSequence[];
  texts: string[];
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}
const nn = (x: number) => (Number.isFinite(x) ? x : null);

/** Sampler seed of sample j of the n-th prompt drawn in the run: independent of batching, so resumes regenerate exactly. */
function sampleSeed(seed: number, draw: number, j: number, G: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + draw * G + j) >>> 0;
}

/** Settings that change the weights; a rerun with other values is refused rather than silently mixing runs. */
function checkSettings(out: string, settings: Record<string, unknown>): boolean {
  const file = join(out, GRPO_RUN_FILE);
  if (!existsSync(file)) {
    if (existsSync(join(out, "metrics.jsonl")) || completeCheckpoints(out).length) throw new GrpoError(`${out} holds training output but no ${GRPO_RUN_FILE}; choose another --out`);
    writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`);
    return false;
  }
  const saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(saved), ...Object.keys(settings)]))
    if (JSON.stringify(saved[k]) !== JSON.stringify(settings[k]))
      throw new GrpoError(`cannot resume ${out}: ${k} differs from the run it holds (${JSON.stringify(saved[k])?.slice(0, 80)} vs ${JSON.stringify(settings[k])?.slice(0, 80)}); choose another --out`);
  return true;
}

function truncateJsonl(file: string, step: number): void {
  if (!existsSync(file)) return;
  const keep = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => {
      try {
        return l.trim() !== "" && (JSON.parse(l) as { step: number }).step <= step;
      } catch {
        return false;
      }
    });
  writeFileAtomic(file, keep.map((l) => `${l}\n`).join(""));
}

export async function runGrpo(engine: LiveEngine, scorer: GrpoScorer, o: GrpoOptions, hooks: GrpoHooks = {}): Promise<GrpoResult> {
  const c = o.recipe.training;
  const seed = o.seed ?? c.seed;
  const totalSteps = o.maxSteps ?? c.maxSteps;
  const G = c.numGenerations;
  const mu = c.numIterations;
  const { microBatchGroups, groupsPerStep } = groupsPerStepOf(c);
  const lpTemp = logprobTemperature(c.logprobTemperature, c.temperature);
  if (lpTemp !== 1 && c.beta > 0)
    throw new GrpoError('"training.logprob_temperature: tempered" with beta > 0 needs tempered reference log-probs, which openrs_score does not give; set beta 0 or logprob_temperature raw');
  const maxCompletion = o.recipe.maxCompletionLength;
  if (maxCompletion === null) throw new GrpoError(`recipe ${o.recipe.name}: "max_completion_length" is required for training`);
  if (c.maxPromptLength + maxCompletion > engine.maxPositions)
    throw new GrpoError(`max_prompt_length ${c.maxPromptLength} + max_completion_length ${maxCompletion} exceeds the model's ${engine.maxPositions} positions`);

  const tok: CheckpointTokenizer = loadTokenizer(o.model);
  const eos = tok.eosIds;
  if (eos.length === 0) throw new GrpoError(`${o.model}: the tokenizer names no end-of-sequence token`);
  const needsGold = o.recipe.rewardFuncs.some((f) => f === "accuracy" || f === "cosine");
  const data = loadGrpoData(o.data, tok, {
    systemPrompt: o.recipe.systemPrompt,
    maxPromptLength: c.maxPromptLength,
    longPrompts: c.longPrompts,
    problemField: o.problemField,
    goldField: o.goldField,
    needsGold,
  });

  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const { source: _source, ...recipeSettings } = o.recipe;
  checkSettings(out, { recipe: recipeSettings, model: resolve(o.model), data: resolve(o.data), dataSha256: sha256(o.data), totalSteps, seed, dtype: o.dtype });
  removeStaleTemps(out);
  removeIncompleteCheckpoints(out);
  let startStep = 0;
  let cursor = 0; // prompts drawn so far
  const latest = completeCheckpoints(out).at(-1);
  if (latest) {
    await engine.loadState(join(latest.dir, STATE_DIR));
    const p = JSON.parse(readFileSync(join(latest.dir, PROGRESS_FILE), "utf8")) as { step: number; cursor: number };
    startStep = p.step;
    cursor = p.cursor;
  }
  truncateMetrics(out, startStep);
  truncateJsonl(join(out, COMPLETIONS_FILE), startStep);
  hooks.onStart?.({ totalSteps, startStep, data });

  const schedule = makeSchedule({
    name: c.lrSchedulerType,
    lr: c.learningRate,
    totalSteps: totalSteps * mu,
    warmupRatio: c.warmupRatio,
    ...(c.lrSchedulerType === "cosine_with_min_lr" ? { minLrRate: c.minLrRate as number } : {}),
  });
  // the order prompts are drawn in: a seeded permutation per pass over the data
  const perms = new Map<number, number[]>();
  const promptAt = (draw: number): number => {
    const P = data.prompts.length;
    const epoch = Math.floor(draw / P);
    let perm = perms.get(epoch);
    if (!perm) {
      const rng = mulberry32((seed + epoch * 7919) >>> 0);
      perm = Array.from({ length: P }, (_, i) => i);
      for (let i = P - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      perms.set(epoch, perm);
    }
    return perm[draw % P];
  };

  const ref = c.beta > 0 ? await NativeModel.load(o.model, { device: "cpu" }) : null;
  const refSession: NativeSession | null = ref ? ref.session() : null;

  const generate = async (n: number): Promise<Rollout[]> => {
    const session = engine.model().session();
    const batcher = new ContinuousBatcher(session, { maxSequences: o.maxSequences ?? 64 });
    try {
      const draws = Array.from({ length: n }, () => cursor++);
      return await Promise.all(
        draws.map(async (draw) => {
          const prompt = promptAt(draw);
          const pt = data.prompts[prompt].tokens;
          const seqs = await batcher.submit({
            prompt: pt,
            params: Array.from({ length: G }, (_, j) => ({ temperature: c.temperature, seed: sampleSeed(seed, draw, j, G), maxNewTokens: maxCompletion, stop: eos.slice(0, 8) })),
          });
          return { prompt, draw, seqs, texts: seqs.map((s) => tok.decode(s.tokens, true)) };
        }),
      );
    } finally {
      await batcher.close();
      session.close();
    }
  };

  const score = async (rs: Rollout[], step: number): Promise<RewardBatch & { timedOut?: boolean[] }> => {
    const completions = rs.flatMap((r) => r.texts);
    const golds: Gold[] = rs.flatMap((r) => r.seqs.map(() => data.prompts[r.prompt].gold));
    const completionTokens = rs.flatMap((r) => r.seqs.map((s) => s.tokens.length));
    try {
      return await scorer.score({ completions, golds, completionTokens, forceVerdicts: true });
    } catch (e) {
      throw new GrpoError(`step ${step}: ${(e as Error).message.split("\n")[0]}; nothing was applied or saved`);
    }
  };

  const save = async (step: number) => {
    const dir = join(out, checkpointName(step));
    await engine.saveCheckpoint(dir, { dtype: o.dtype });
    await engine.saveState(join(dir, STATE_DIR));
    writeFileAtomic(join(dir, PROGRESS_FILE), `${JSON.stringify({ step, totalSteps, seed, cursor }, null, 1)}\n`);
    pruneCheckpoints(out, o.keep);
    hooks.onCheckpoint?.(dir);
  };

  // the starting weights' held-out score: the curve's step 0
  const hasStep0 = () => existsSync(join(out, "metrics.jsonl")) && readFileSync(join(out, "metrics.jsonl"), "utf8").startsWith('{"step":0,');
  if (hooks.evaluate && o.evalEvery > 0 && startStep === 0 && !hasStep0()) {
    const dir = join(out, "eval", checkpointName(0), "model");
    await engine.saveCheckpoint(dir, { dtype: o.dtype });
    appendMetrics(out, { step: 0, ...(await hooks.evaluate({ step: 0, modelDir: dir })) });
  }
  const t0 = performance.now();
  let last: GrpoStepMetrics | null = null;
  try {
    for (let k = startStep; k < totalSteps; k++) {
      const step = k + 1;
      const tm = { generation: 0, reward: 0, reference: 0, training: 0 };
      let timeouts = 0;
      // 1-2. rollouts and rewards (dynamic sampling: more rounds until enough groups have reward variance)
      let all: Rollout[] = [];
      let allRewards: RewardBatch | null = null;
      let kept: { r: Rollout; rewards: (number | null)[] }[] = [];
      let dropped = 0;
      let rounds = 0;
      let want = groupsPerStep;
      for (;;) {
        rounds++;
        let t = performance.now();
        const rs = await generate(want);
        tm.generation += (performance.now() - t) / 1000;
        t = performance.now();
        const rb = await score(rs, step);
        tm.reward += (performance.now() - t) / 1000;
        timeouts += (rb.timedOut ?? []).filter(Boolean).length;
        all = all.concat(rs);
        allRewards = allRewards
          ? {
              total: [...allRewards.total, ...rb.total],
              perFunction: Object.fromEntries(Object.keys(rb.perFunction).map((f) => [f, [...allRewards!.perFunction[f], ...rb.perFunction[f]]])),
              correct: [...(allRewards.correct ?? []), ...(rb.correct ?? [])],
            }
          : rb;
        const groupsNow = rs.map((r, g) => ({ r, rewards: rb.total.slice(g * G, (g + 1) * G) }));
        if (!c.dynamicSampling) {
          kept = groupsNow;
          break;
        }
        const filt = dynamicSamplingFilter(groupAdvantages(rb.total, { numGenerations: G, scaleRewards: c.scaleRewards }), want);
        dropped += filt.dropped;
        kept = kept.concat(filt.keep.map((g) => groupsNow[g]));
        want = groupsPerStep - kept.length;
        if (want <= 0 || rounds >= c.dynamicSamplingMaxRounds) break;
      }
      // micro-batches hold whole groups: train on a whole number of them (dynamic sampling may fall short)
      kept = kept.slice(0, Math.floor(Math.min(kept.length, groupsPerStep) / microBatchGroups) * microBatchGroups);
      const rewardsAll = allRewards as RewardBatch;

      // 3. advantages, masks, sequences
      const adv = kept.length ? groupAdvantages(kept.flatMap((g) => g.rewards), { numGenerations: G, scaleRewards: c.scaleRewards }) : null;
      const seqs: TrainSequence[] = [];
      const masks: number[] = [];
      const old: Float64Array[] = [];
      for (const g of kept)
        for (const s of g.r.seqs) {
          const pt = data.prompts[g.r.prompt].tokens;
          const tokens = new Int32Array(pt.length + s.tokens.length);
          tokens.set(pt);
          tokens.set(s.tokens, pt.length);
          seqs.push({ tokens, promptLen: pt.length });
          masks.push(completionMask(s.tokens, eos, { maskTruncated: c.maskTruncatedCompletions }).length);
          old.push(Float64Array.from(s.logprobs));
        }

      // 4. reference log-probs
      let refLps: Float64Array[] | null = null;
      if (refSession && seqs.length) {
        const t = performance.now();
        refLps = [];
        for (const s of seqs) refLps.push(Float64Array.from(await refSession.score(s.tokens as Int32Array, s.promptLen)));
        tm.reference += (performance.now() - t) / 1000;
      }

      // 5. μ optimizer steps on the batch
      const t5 = performance.now();
      let lossSum = 0;
      let gradNorm: number | null = null;
      let lr = 0;
      let firstStats: ReturnType<typeof grpoLoss>["stats"] | null = null;
      let lastStats: ReturnType<typeof grpoLoss>["stats"] | null = null;
      let maxDev = 0;
      let entSum = 0;
      let entN = 0;
      if (seqs.length && adv) {
        if (lpTemp !== 1) {
          // π_old at the tempered distribution: the sampler's log-probs are raw, so score them once before any update
          const r = await engine.logprobs(seqs, { temperature: lpTemp });
          r.logprobs.forEach((lp, i) => {
            old[i] = lp;
          });
        }
        for (let it = 0; it < mu; it++) {
          const cur = it === 0 ? old : (await engine.logprobs(seqs, { temperature: lpTemp })).logprobs;
          const groups: GrpoSequence[][] = kept.map((_, g) =>
            Array.from({ length: G }, (_, j) => {
              const i = g * G + j;
              return { logprobs: cur[i], oldLogprobs: old[i], ...(refLps ? { refLogprobs: refLps[i] } : {}), advantage: adv.advantages[i], maskLength: masks[i] };
            }),
          );
          const L = grpoLoss(groups, { lossType: c.lossType, beta: c.beta, epsilon: c.epsilon, epsilonHigh: c.epsilonHigh, microBatchGroups, maxCompletionLength: maxCompletion });
          if (it === 0) firstStats = L.stats;
          lastStats = L.stats;
          lossSum += L.loss;
          for (let mb = 0; mb < kept.length / microBatchGroups; mb++) {
            const idx = Array.from({ length: microBatchGroups * G }, (_, q) => mb * microBatchGroups * G + q);
            const w = idx.map((i) => L.weights[Math.floor(i / G)][i % G]);
            let r: Awaited<ReturnType<LiveEngine["backward"]>>;
            try {
              r = await engine.backward(
                idx.map((i) => seqs[i]),
                w,
                { temperature: lpTemp, entropy: it === 0 },
              );
            } catch (e) {
              engine.zeroGrad();
              throw new GrpoError(`step ${step}: ${(e as Error).message.split("\n")[0]}; nothing was applied or saved`);
            }
            idx.forEach((i, q) => {
              const lp = r.logprobs[q];
              for (let t = 0; t < lp.length; t++) maxDev = Math.max(maxDev, Math.abs(lp[t] - cur[i][t]));
              if (r.entropy)
                for (let t = 0; t < masks[i]; t++) {
                  entSum += r.entropy[q][t];
                  entN++;
                }
            });
          }
          lr = schedule.lrAt(k * mu + it);
          try {
            gradNorm = (await engine.step({ lr, beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm })).gradNorm;
          } catch (e) {
            engine.zeroGrad();
            throw new GrpoError(`step ${step}: ${(e as Error).message.split("\n")[0]}; nothing was applied or saved`);
          }
        }
      }
      tm.training += (performance.now() - t5) / 1000;

      // 6. metrics (TRL's names where TRL has them)
      const totals = rewardsAll.total.filter((x): x is number => x !== null);
      const lens = all.flatMap((r) => r.seqs.map((s) => s.tokens.length));
      const finished = all.flatMap((r) => r.seqs.filter((s) => s.finish === "stop").map((s) => s.tokens.length));
      const verdicts = (rewardsAll.correct ?? []).filter((v): v is boolean => v !== null);
      const allTexts = all.flatMap((r) => r.texts);
      const genTokens = lens.reduce((a, b) => a + b, 0);
      const stepSeconds = tm.generation + tm.reward + tm.reference + tm.training;
      const m: GrpoStepMetrics = {
        step,
        reward: nn(mean(totals)),
        reward_std: std(totals),
        ...Object.fromEntries(
          Object.entries(rewardsAll.perFunction).flatMap(([f, vs]) => {
            const v = vs.filter((x): x is number => x !== null);
            return [
              [`rewards/${f}/mean`, nn(mean(v))],
              [`rewards/${f}/std`, std(v)],
            ];
          }),
        ),
        frac_reward_zero_std: adv ? adv.stats.frac_reward_zero_std : 1,
        accuracy: nn(mean(verdicts.map((v) => (v ? 1 : 0)))),
        format_rate: mean(allTexts.map((t) => formatValue(t))),
        "completions/mean_length": mean(lens),
        "completions/min_length": Math.min(...lens),
        "completions/max_length": Math.max(...lens),
        "completions/clipped_ratio": 1 - finished.length / lens.length,
        "completions/mean_terminated_length": finished.length ? mean(finished) : 0,
        kl: firstStats?.kl ?? null,
        entropy: entN ? entSum / entN : null,
        "clip_ratio/low_mean": lastStats?.["clip_ratio/low_mean"] ?? 0,
        "clip_ratio/high_mean": lastStats?.["clip_ratio/high_mean"] ?? 0,
        "clip_ratio/region_mean": lastStats?.["clip_ratio/region_mean"] ?? 0,
        grad_norm: gradNorm,
        lr,
        optimizer_step: (k + 1) * mu,
        loss: kept.length ? lossSum / mu : null,
        logprob_max_dev: maxDev,
        skipped_groups: adv?.skippedGroups ?? 0,
        null_rewards: rewardsAll.total.length - totals.length,
        grader_timeouts: timeouts,
        "dynamic_sampling/dropped_groups": dropped,
        "dynamic_sampling/rounds": rounds,
        trained_groups: kept.length,
        generated_tokens: genTokens,
        tokens_per_s: genTokens / Math.max(1e-9, tm.generation),
        "time/generation_s": tm.generation,
        "time/reward_s": tm.reward,
        "time/reference_s": tm.reference,
        "time/training_s": tm.training,
        "time/step_s": stepSeconds,
        elapsed_s: (performance.now() - t0) / 1000,
      };
      if (o.completionsEvery > 0 && step % o.completionsEvery === 0) {
        const lines = all.flatMap((r, g) =>
          r.seqs.map((s, j) => {
            const i = g * G + j;
            const ki = kept.findIndex((x) => x.r === r);
            return JSON.stringify({
              step,
              prompt: data.prompts[r.prompt].problem,
              gold: data.prompts[r.prompt].gold,
              completion: r.texts[j],
              tokens: s.tokens.length,
              finish: s.finish,
              reward: rewardsAll.total[i],
              rewards: Object.fromEntries(Object.entries(rewardsAll.perFunction).map(([f, vs]) => [f, vs[i]])),
              correct: rewardsAll.correct?.[i] ?? null,
              advantage: ki >= 0 && adv ? adv.advantages[ki * G + j] : null,
            });
          }),
        );
        appendFileSync(join(out, COMPLETIONS_FILE), lines.map((l) => `${l}\n`).join(""));
      }
      if (hooks.evaluate && o.evalEvery > 0 && (step % o.evalEvery === 0 || step === totalSteps)) {
        const dir = join(out, "eval", checkpointName(step), "model");
        await engine.saveCheckpoint(dir, { dtype: o.dtype });
        Object.assign(m, await hooks.evaluate({ step, modelDir: dir }));
      }
      appendMetrics(out, m);
      last = m;
      hooks.onStep?.(m, totalSteps);
      if (step % c.saveSteps === 0 || step === totalSteps) await save(step);
    }
  } finally {
    refSession?.close();
    ref?.close();
  }
  const finalDir = join(out, "final");
  if (!existsSync(join(finalDir, "model.safetensors")) || startStep < totalSteps) await engine.saveCheckpoint(finalDir, { dtype: o.dtype });
  return { totalSteps, startStep, finalDir, last, data };
}
