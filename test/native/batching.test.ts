// Continuous batching: sequences that join a running batch mid-way, leave early, or outgrow their first KV
// allocation produce exactly what a lone generate() produces; the batcher shares decode steps between callers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContinuousBatcher } from "../../native/ts/batcher.js";
import { NativeModel, nativeStatus, type SampleParams } from "../../native/ts/native.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";

const status = nativeStatus();
const root = mkdtempSync(join(tmpdir(), "openrs-batching-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROMPTS = [
  [257, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 258, 10],
  [257, 1, 2, 3],
  [257, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12],
  [257, 40, 41],
];
const sp = (seed: number, extra: Partial<SampleParams> = {}): SampleParams => ({
  temperature: 0.9,
  topP: 0.95,
  topK: 50,
  seed,
  maxNewTokens: 10,
  ...extra,
});

describe.skipIf(!status.available)(`continuous batching${status.available ? "" : ` (skipped: ${status.reason})`}`, () => {
  const dir = join(root, "m");
  writeTinyModel(dir, { arch: "qwen2", dtype: "BF16", hidden: 64, heads: 4, kvHeads: 2, seed: 21, scale: 0.5, maxPositions: 2048 });

  /** What each (prompt, params) gives on its own. */
  async function alone(model: NativeModel, prompt: number[], params: SampleParams[]) {
    using s = model.session();
    const r = await s.generate({ prompts: [prompt], nSamples: params.length, params });
    return r.sequences.map((q) => ({ tokens: [...q.tokens], logprobs: [...q.logprobs], finish: q.finish }));
  }

  it("sequences joining and leaving a running batch equal lone generations (tokens, logprobs, finish)", async () => {
    using model = await NativeModel.load(dir, { threads: 2 });
    using s = model.session();
    const got = new Map<number, { tokens: number[]; logprobs: number[]; finish: string | null }>();
    const take = (evs: { id: number; token: number; logprob: number; finish: string | null }[]) => {
      for (const e of evs) {
        const g = got.get(e.id) ?? { tokens: [], logprobs: [], finish: null };
        if (e.token >= 0) {
          g.tokens.push(e.token);
          g.logprobs.push(e.logprob);
        }
        g.finish = e.finish;
        got.set(e.id, g);
      }
    };
    const pA = [sp(1, { maxNewTokens: 14 }), sp(2, { maxNewTokens: 5 })];
    const pB = [sp(3, { maxNewTokens: 9, temperature: 0 })];
    const pC = [sp(4, { maxNewTokens: 0 }), sp(5, { maxNewTokens: 12 }), sp(6, { maxNewTokens: 3 })];
    const a = await s.start(PROMPTS[0], pA);
    take(a);
    expect(s.running).toBe(2);
    for (let i = 0; i < 3; i++) take(await s.step());
    const b = await s.start(PROMPTS[1], pB); // joins after 3 steps
    take(b);
    take(await s.step());
    const c = await s.start(PROMPTS[2], pC);
    take(c);
    expect(c[0]).toMatchObject({ token: -1, finish: "length" }); // max_new_tokens 0 never runs
    let steps = 0;
    while (s.running > 0) {
      take(await s.step());
      steps++;
    }
    expect(await s.step()).toEqual([]);
    expect(steps).toBeLessThan(14);
    const want = [...(await alone(model, PROMPTS[0], pA)), ...(await alone(model, PROMPTS[1], pB)), ...(await alone(model, PROMPTS[2], pC))];
    const ids = [...a, ...b, ...c].map((e) => e.id);
    expect(new Set(ids).size).toBe(6);
    ids.forEach((id, i) => {
      expect(got.get(id), `sequence ${i}`).toEqual(want[i]);
    });
  });

  it.each(["f32", "bf16"] as const)("a sequence growing past its first KV allocation (256 + prompt) keeps exact logprobs (= teacher forcing), %s cache", async (kvCache) => {
    using model = await NativeModel.load(dir, { threads: 2, device: "cpu", kvCache });
    using s = model.session();
    const r = await s.generate({ prompts: [PROMPTS[1]], nSamples: 2, params: [sp(7, { maxNewTokens: 700 }), sp(8, { maxNewTokens: 300 })] });
    for (const q of r.sequences) {
      const lp = await s.score([...PROMPTS[1], ...q.tokens], PROMPTS[1].length);
      expect([...lp]).toEqual([...q.logprobs]);
    }
    expect(r.sequences.map((q) => q.tokens.length)).toEqual([700, 300]);
  });

  it("with a bf16 KV cache, a sequence joining a running batch still equals its lone generation", async () => {
    using model = await NativeModel.load(dir, { threads: 2, device: "cpu", kvCache: "bf16" });
    using s = model.session();
    const pA = [sp(1, { maxNewTokens: 12 })];
    const pB = [sp(2, { maxNewTokens: 6 }), sp(3, { maxNewTokens: 9 })];
    const toks = new Map<number, number[]>();
    const take = (evs: { id: number; token: number }[]) => {
      for (const e of evs) toks.set(e.id, [...(toks.get(e.id) ?? []), e.token]);
    };
    const a = await s.start(PROMPTS[0], pA);
    take(a);
    take(await s.step());
    take(await s.step());
    const b = await s.start(PROMPTS[2], pB);
    take(b);
    while (s.running > 0) take(await s.step());
    const want = [...(await alone(model, PROMPTS[0], pA)), ...(await alone(model, PROMPTS[2], pB))];
    [...a, ...b].forEach((e, i) => {
      expect(toks.get(e.id)).toEqual(want[i].tokens);
    });
  });

  it("stop() ends a running sequence early and frees its slot", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    const ev = await s.start(PROMPTS[0], [sp(1), sp(2)]);
    expect(s.running).toBe(2);
    expect(s.stop(ev[0].id)).toBe(true);
    expect(s.stop(ev[0].id)).toBe(false);
    expect(s.running).toBe(1);
    const next = await s.step();
    expect(next.map((e) => e.id)).toEqual([ev[1].id]);
  });

  it("bad requests are refused with the reason and leave the batch intact", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    await s.start(PROMPTS[0], [sp(1)]);
    await expect(s.start([257, 99999], [sp(1)])).rejects.toThrow(/token id 99999 at position 1 is outside the vocabulary/);
    await expect(s.start(PROMPTS[0], [sp(1, { topP: 0 })])).rejects.toThrow(/sequence 0: need temperature >= 0, 0 < top_p <= 1/);
    await expect(s.start(PROMPTS[0], [sp(1, { maxNewTokens: 5000 })])).rejects.toThrow(/exceeds max_position_embeddings 2048/);
    await expect(s.start(PROMPTS[0], [])).rejects.toThrow(/at least one/);
    expect(s.running).toBe(1);
    expect((await s.step()).length).toBe(1);
  });

  it("the batcher: concurrent requests share decode steps and each gets its lone result", async () => {
    using model = await NativeModel.load(dir, { threads: 2 });
    using s = model.session();
    const batcher = new ContinuousBatcher(s, { maxSequences: 8 });
    const reqs = PROMPTS.map((p, i) => ({ prompt: p, params: [sp(10 + i, { maxNewTokens: 6 + 3 * i }), sp(20 + i, { maxNewTokens: 4 })] }));
    const streamed: number[][] = reqs.map(() => []);
    const got = await Promise.all(reqs.map((r, i) => batcher.submit({ ...r, onToken: (j, t) => j === 0 && streamed[i].push(t) })));
    for (const [i, r] of reqs.entries()) {
      const want = await alone(model, r.prompt, r.params);
      expect(got[i].map((q) => ({ tokens: [...q.tokens], logprobs: [...q.logprobs], finish: q.finish }))).toEqual(want);
      expect(streamed[i]).toEqual(want[0].tokens);
    }
    // 4 requests x 2 samples decoded together: the steps are about the longest request's, not the sum.
    const tokens = reqs.reduce((a, r) => a + r.params.reduce((b, p) => b + p.maxNewTokens, 0), 0);
    expect(batcher.stats.prefills).toBe(4);
    expect(batcher.stats.steps).toBeLessThanOrEqual(15 + 3);
    expect(batcher.stats.rows).toBe(tokens - 8); // every token but the first of each sequence came from a step
    await batcher.close();
  });

  it("the batcher keeps at most maxSequences running; a larger request runs alone", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    const batcher = new ContinuousBatcher(s, { maxSequences: 3 });
    let peak = 0;
    const watch = () => {
      peak = Math.max(peak, s.running);
    };
    const small = PROMPTS.map((p, i) => batcher.submit({ prompt: p, params: [sp(i, { maxNewTokens: 5 })], onToken: watch }));
    const big = batcher.submit({ prompt: PROMPTS[0], params: [1, 2, 3, 4, 5].map((k) => sp(k, { maxNewTokens: 3 })), onToken: watch });
    const r = await Promise.all([...small, big]);
    expect(r.map((x) => x.length)).toEqual([1, 1, 1, 1, 5]);
    expect(peak).toBe(5); // the 5-sample request, alone
    await batcher.close();
  });

  it("an aborted request is rejected and stopped; the others finish unchanged", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    const batcher = new ContinuousBatcher(s);
    const ac = new AbortController();
    let n = 0;
    const doomed = batcher.submit({
      prompt: PROMPTS[0],
      params: [sp(1, { maxNewTokens: 200 })],
      signal: ac.signal,
      onToken: () => {
        if (++n === 3) ac.abort(new Error("stop it"));
      },
    });
    const kept = batcher.submit({ prompt: PROMPTS[1], params: [sp(2, { maxNewTokens: 12 })] });
    await expect(doomed).rejects.toThrow("stop it");
    const [k] = await kept;
    expect(n).toBeLessThan(6);
    expect(s.running).toBe(0);
    expect([...k.tokens]).toEqual((await alone(model, PROMPTS[1], [sp(2, { maxNewTokens: 12 })]))[0].tokens);
    await expect(batcher.submit({ prompt: PROMPTS[1], params: [sp(2)], signal: ac.signal })).rejects.toThrow("stop it");
    await batcher.close();
    await expect(batcher.submit({ prompt: PROMPTS[1], params: [sp(2)] })).rejects.toThrow(/closed/);
  });

  it("the KV budget holds back new requests while running caches are over it", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    // Budget of ~20 cached positions: the second request waits until the first finishes.
    const batcher = new ContinuousBatcher(s, { maxKvBytes: 20 * model.info.kvBytesPerPosition });
    let peak = 0;
    const watch = () => {
      peak = Math.max(peak, s.running);
    };
    await Promise.all([
      batcher.submit({ prompt: PROMPTS[0], params: [sp(1, { maxNewTokens: 8 })], onToken: watch }),
      batcher.submit({ prompt: PROMPTS[2], params: [sp(2, { maxNewTokens: 8 })], onToken: watch }),
    ]);
    expect(peak).toBe(1);
    await batcher.close();
  });

  it("a request submitted right after another resolves still runs (the loop restarts)", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    const batcher = new ContinuousBatcher(s);
    const a = await batcher.submit({ prompt: PROMPTS[1], params: [sp(1, { maxNewTokens: 3 })] });
    const b = await batcher.submit({ prompt: PROMPTS[1], params: [sp(1, { maxNewTokens: 3 })] }); // same microtask turn
    expect([...b[0].tokens]).toEqual([...a[0].tokens]);
    await batcher.close();
  });

  it("an onToken callback that throws fails its own request only; nothing is left running", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    const batcher = new ContinuousBatcher(s);
    let n = 0;
    const bad = batcher.submit({
      prompt: PROMPTS[0],
      params: [sp(1, { maxNewTokens: 50 }), sp(2, { maxNewTokens: 50 })],
      onToken: () => {
        if (++n === 4) throw new Error("boom");
      },
    });
    const good = batcher.submit({ prompt: PROMPTS[1], params: [sp(3, { maxNewTokens: 10 })] });
    await expect(bad).rejects.toThrow("boom");
    const [g] = await good;
    expect([...g.tokens]).toEqual((await alone(model, PROMPTS[1], [sp(3, { maxNewTokens: 10 })]))[0].tokens);
    expect(s.running).toBe(0);
    await batcher.close();
  });

  it("the KV budget counts every sample's first cache (prompt + up to 256 positions), not one prompt", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    // Budget of 600 positions: the running request holds 4 + 10 = 14; an 8-sample request needs
    // 8 x (4 + 10) = 112 -> fits; a 48-sample one (672) must wait until the first finishes.
    const batcher = new ContinuousBatcher(s, { maxKvBytes: 600 * model.info.kvBytesPerPosition, maxSequences: 64 });
    let peak = 0;
    const watch = () => {
      peak = Math.max(peak, s.running);
    };
    const p = (k: number) => Array.from({ length: k }, (_, i) => sp(i, { maxNewTokens: 10 }));
    await Promise.all([
      batcher.submit({ prompt: PROMPTS[1], params: p(1), onToken: watch }),
      batcher.submit({ prompt: PROMPTS[1], params: p(8), onToken: watch }),
      batcher.submit({ prompt: PROMPTS[1], params: p(48), onToken: watch }),
    ]);
    expect(peak).toBe(48); // 48 ran without the 9 others (9 + 48 = 57 would have been seen otherwise)
    await batcher.close();
  });

  it("over the KV budget the youngest request is preempted and restarts; both still get their lone results, streamed once", async () => {
    using model = await NativeModel.load(dir, { threads: 2 });
    using s = model.session();
    // Budget of 600 positions: both 4-token requests start (260 + 260); at 256 tokens the older one's cache
    // doubles (520 + 260 > 600), so the younger is stopped and rerun after the older finishes.
    const batcher = new ContinuousBatcher(s, { maxKvBytes: 600 * model.info.kvBytesPerPosition });
    const pA = [sp(1, { maxNewTokens: 300 })];
    const pB = [sp(2, { maxNewTokens: 300 })];
    const streamB: number[] = [];
    const [a, b] = await Promise.all([
      batcher.submit({ prompt: PROMPTS[1], params: pA }),
      batcher.submit({ prompt: PROMPTS[3], params: pB, onToken: (_j, t) => streamB.push(t) }),
    ]);
    expect(batcher.stats.preemptions).toBe(1);
    expect([...a[0].tokens]).toEqual((await alone(model, PROMPTS[1], pA))[0].tokens);
    const wantB = (await alone(model, PROMPTS[3], pB))[0];
    expect([...b[0].tokens]).toEqual(wantB.tokens);
    expect([...b[0].logprobs]).toEqual(wantB.logprobs);
    expect(streamB).toEqual(wantB.tokens);
    expect(s.running).toBe(0);
    await batcher.close();
  });
});
