#!/usr/bin/env node
// Runs vitest and ends with the one closing line CI reads: "N passed, N failed, N skipped"; exits non-zero on failure.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "openrs-vitest-"));
const out = join(dir, "results.json");
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync("npx", args, { stdio: "inherit" });
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const j = JSON.parse(readFileSync(out, "utf8"));
  passed = j.numPassedTests;
  failed = j.numFailedTests + (j.numRuntimeErrorTestSuites ?? 0);
  skipped = j.numPendingTests + j.numTodoTests;
  // A test file that fails to load counts as a failure even though it ran no test.
  failed += j.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
} catch (e) {
  console.error(`could not read vitest results (${e.message})`);
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(r.status !== 0 || failed > 0 ? 1 : 0);
