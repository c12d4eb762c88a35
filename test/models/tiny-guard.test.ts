// CI's guard on the shipped tiny model: the first 100 problems of the README's main command must give exactly the
// recorded completions and verdicts. One real model holds the engine, tokenizer, chat template, sampler, grader and
// runner together; a change to any of them that moves a single token shows up here, listed. After an intended
// change, re-record with `npx tsx tools/models/record-guard.ts` and review the diff it prints.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nativeStatus } from "../../native/ts/native.js";
import { GUARD_FILE, GUARD_LIMIT, guardDiff, readGuardLines, runGuardSlice } from "../support/tiny-guard.js";

const dir = mkdtempSync(join(tmpdir(), "openrs-guard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!nativeStatus().available)("openrs-tiny arith guard", () => {
  it(`the first ${GUARD_LIMIT} problems give the recorded completions and verdicts`, async () => {
    expect(existsSync(GUARD_FILE), `${GUARD_FILE} is missing`).toBe(true);
    const recorded = readGuardLines(GUARD_FILE);
    expect(recorded).toHaveLength(GUARD_LIMIT);
    const fresh = await runGuardSlice(join(dir, "run"));
    const diff = guardDiff(recorded, fresh);
    expect(diff, `${diff.length} change(s) against ${GUARD_FILE}:\n${diff.join("\n")}`).toEqual([]);
  }, 120_000);

  it("the comparison names every kind of change", () => {
    const a = { id: "arith/0", sample: 0, completion: "1 + 1 = 2\n</think>\n\\boxed{2}", finish: "stop", extracted: "2", correct: true };
    const b = { ...a, id: "arith/1" };
    const diff = guardDiff([a, b], [{ ...a, completion: "x", extracted: "3", correct: false }, { ...b, id: "arith/2" }]);
    expect(diff).toEqual([
      'arith/0#0: completion changed: "1 + 1 = 2\\n</think>\\n\\\\boxed{2}" (stop) -> "x" (stop)',
      "arith/0#0: verdict changed: right (2) -> wrong (3)",
      "arith/1#0: missing from the fresh run",
      "arith/2#0: not in the record",
    ]);
  });
});
