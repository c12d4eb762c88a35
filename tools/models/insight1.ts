// The Insight-1 table from GRPO run directories made with --eval-every: held-out pass@1 at every evaluated step, and
// the paired difference from step 0 (paired bootstrap over problems, 95 % interval; src/runner/compare.ts).
//   tsx tools/models/insight1.ts RUN_DIR [RUN_DIR ...] [--json FILE]
// Prints a markdown table: run, step, pass@1 [95 % CI], gain over step 0 [paired 95 % CI], verdict.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { compareRuns } from "../../src/runner/compare.js";
import type { RunManifest } from "../../src/runner/run-dir.js";

const args = process.argv.slice(2);
const jsonAt = args.indexOf("--json");
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : null;
const runs = jsonAt < 0 ? args : args.filter((_, i) => i !== jsonAt && i !== jsonAt + 1);
if (runs.length === 0) {
  console.error("usage: tsx tools/models/insight1.ts RUN_DIR [RUN_DIR ...] [--json FILE]");
  process.exit(2);
}

const pct = (x: number) => (100 * x).toFixed(1);
const rows: Record<string, unknown>[] = [];
const lines = ["| run | step | pass@1 % [95 % CI] | gain over step 0, points [paired 95 % CI] | verdict |", "| --- | ---: | ---: | ---: | --- |"];
for (const run of runs) {
  const evalDir = join(run, "eval");
  if (!existsSync(evalDir)) throw new Error(`${run}: no eval/ folder (was it run with --eval-every?)`);
  const steps = readdirSync(evalDir)
    .filter((d) => /^checkpoint-\d+$/.test(d) && existsSync(join(evalDir, d, "run", "run.json")))
    .map((d) => ({ step: Number(d.slice("checkpoint-".length)), dir: join(evalDir, d, "run") }))
    .sort((a, b) => a.step - b.step);
  const base = steps.find((s) => s.step === 0);
  if (!base) throw new Error(`${run}: no step-0 evaluation`);
  for (const s of steps) {
    const m = (JSON.parse(readFileSync(join(s.dir, "run.json"), "utf8")) as RunManifest).metrics;
    const suite = m ? Object.values(m.suites)[0] : undefined;
    if (!suite) throw new Error(`${s.dir}: no metrics`);
    const score = suite.scores[suite.primary];
    const row: Record<string, unknown> = { run: basename(run), step: s.step, pass1: score, lo: suite.ci95.lo, hi: suite.ci95.hi };
    let gain = "-";
    let verdict = "-";
    if (s.step > 0) {
      const c = compareRuns(base.dir, s.dir).suites[0];
      Object.assign(row, { gain: c.diff, gainLo: c.bootstrap.lo, gainHi: c.bootstrap.hi, p: c.p, verdict: c.verdict, problems: c.problems });
      gain = `${c.diff >= 0 ? "+" : ""}${pct(c.diff)} [${pct(c.bootstrap.lo)}, ${pct(c.bootstrap.hi)}]`;
      verdict = c.verdict;
    }
    rows.push(row);
    lines.push(`| ${basename(run)} | ${s.step} | ${pct(score)} [${pct(suite.ci95.lo)}, ${pct(suite.ci95.hi)}] | ${gain} | ${verdict} |`);
  }
}
console.log(lines.join("\n"));
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(rows, null, 2)}\n`);
