// KV usage: the engine reports the KV-cache memory it allocates (bytes per position, what a start leaves allocated,
// what running sequences hold now and after their next step), so callers budget with its numbers, not a copy of its
// growth rule: a cache starts at prompt + min(max_new_tokens, 256) positions and doubles when full, capped at
// max_position_embeddings.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NativeModel, type NativeSession, nativeStatus, type SampleParams } from "../../native/ts/native.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";

const status = nativeStatus();
const root = mkdtempSync(join(tmpdir(), "openrs-kv-usage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROMPT = [257, 1, 2, 3];
const greedy = (maxNewTokens: number): SampleParams => ({ temperature: 0, maxNewTokens });

async function steps(s: NativeSession, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await s.step();
}

describe.skipIf(!status.available)(`KV usage reported by the engine${status.available ? "" : ` (skipped: ${status.reason})`}`, () => {
  const dir = join(root, "m");
  // 3 layers x 2 KV heads x head_dim 16; max_position_embeddings 600 so the second doubling is capped.
  writeTinyModel(dir, { arch: "qwen2", dtype: "BF16", hidden: 64, layers: 3, heads: 4, kvHeads: 2, seed: 5, maxPositions: 600 });

  it.each([
    ["f32", 4],
    ["bf16", 2],
  ] as const)("bytes per cached position: layers x (K and V) x kv heads x head dim x %s size", async (kvCache, elem) => {
    using model = await NativeModel.load(dir, { threads: 1, kvCache });
    expect(model.info.kvBytesPerPosition).toBe(3 * 2 * 2 * 16 * elem);
  });

  it("a start allocates prompt + min(max_new_tokens, 256) per decoding sample; a sample with max_new_tokens 0 holds none", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    const per = model.info.kvBytesPerPosition;
    expect(model.kvStartBytes(4, [greedy(10), greedy(0), greedy(300)])).toBe((4 + 10 + 0 + (4 + 256)) * per);
    using s = model.session();
    const first = await s.start(PROMPT, [greedy(10), greedy(0), greedy(300)]);
    expect(first.map((e) => e.finish)).toEqual([null, "length", null]);
    expect(s.kvUsage()).toEqual({ allocated: (14 + 260) * per, afterStep: (14 + 260) * per, sequences: 2 });
    expect(s.kvUsage(first[0].id)).toEqual({ allocated: 14 * per, afterStep: 14 * per, sequences: 1 });
    expect(s.kvUsage(first[1].id).sequences).toBe(0); // finished at once
    expect(() => model.kvStartBytes(0, [greedy(1)])).toThrow(/promptLength > 0/);
  });

  it("a full cache doubles at the next step (reported before it happens), capped at max_position_embeddings; stopped and finished sequences free theirs", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    const per = model.info.kvBytesPerPosition;
    using s = model.session();
    const [{ id }] = await s.start(PROMPT, [greedy(590)]);
    // After k steps the cache holds 4 + k positions; the next step needs 5 + k, so at k = 256 the 260-position cache is full.
    await steps(s, 255);
    expect(s.kvUsage(id)).toEqual({ allocated: 260 * per, afterStep: 260 * per, sequences: 1 });
    await steps(s, 1);
    expect(s.kvUsage(id)).toEqual({ allocated: 260 * per, afterStep: 520 * per, sequences: 1 });
    await steps(s, 1);
    expect(s.kvUsage(id).allocated).toBe(520 * per);
    await steps(s, 516 - 257); // 4 + 516 = 520 positions filled: the next growth is capped at 600, not 1040
    expect(s.kvUsage(id)).toEqual({ allocated: 520 * per, afterStep: 600 * per, sequences: 1 });
    const [b] = await s.start(PROMPT, [greedy(5)]);
    expect(s.kvUsage().sequences).toBe(2);
    expect(s.stop(id)).toBe(true);
    expect(s.kvUsage()).toEqual({ allocated: 9 * per, afterStep: 9 * per, sequences: 1 });
    await steps(s, 4);
    expect(s.kvUsage(b.id)).toEqual({ allocated: 0, afterStep: 0, sequences: 0 });
  });

  it("usage is read between calls only", async () => {
    using model = await NativeModel.load(dir, { threads: 1 });
    using s = model.session();
    await s.start(PROMPT, [greedy(50)]);
    const pending = s.step();
    expect(() => s.kvUsage()).toThrow(/busy/);
    await pending;
    expect(s.kvUsage().sequences).toBe(1);
  });
});
