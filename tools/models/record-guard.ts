// Re-records results/guard/openrs-tiny-arith.jsonl, the CI guard's slice of the shipped tiny model's arith run
// (test/models/tiny-guard.test.ts), and prints every line that changed. Run it only after an intended change to the
// engine, tokenizer, template, sampler, grader or model, and review the printed diff before committing.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GUARD_FILE, guardDiff, readGuardLines, runGuardSlice } from "../../test/support/tiny-guard.js";

const dir = mkdtempSync(join(tmpdir(), "openrs-guard-"));
try {
  const t0 = performance.now();
  const fresh = await runGuardSlice(join(dir, "run"));
  const seconds = (performance.now() - t0) / 1000;
  const diff = existsSync(GUARD_FILE) ? guardDiff(readGuardLines(GUARD_FILE), fresh) : ["(no earlier record)"];
  mkdirSync(dirname(GUARD_FILE), { recursive: true });
  writeFileSync(GUARD_FILE, `${fresh.map((g) => JSON.stringify(g)).join("\n")}\n`);
  console.log(`recorded ${fresh.length} samples (${fresh.filter((g) => g.correct).length} right) in ${seconds.toFixed(1)} s to ${GUARD_FILE}`);
  for (const d of diff) console.log(`  ${d}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
