// Writes examples/replay-synthetic.jsonl: one synthetic completion per problem of the paper's five suites (not model
// outputs), so a fresh clone can run the whole eval pipeline end to end with `--model replay:...` and no model.
// Every line says so (`"synthetic": true` and the model name), so the run is marked synthetic and the leaderboard
// never lists it among measured rows.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { goldOf, loadProblems, readSuiteRows, resolveBenchList } from "../../benchmarks/index.js";
import { Rng } from "../../grading/rng.js";
import { boxable, wrongVariant } from "../../test/support/completions.js";

/** Deterministic per-problem random numbers, seeded from the problem id. */
const rngFor = (id: string) => new Rng(createHash("sha256").update(id).digest().readUInt32LE(0));

const out = process.argv[2] ?? "examples/replay-synthetic.jsonl";
/** Says what made the lines: no model, a coin flip. */
const MODEL = "synthetic-coin-flip-30pct";
const lines: string[] = [];
for (const suite of resolveBenchList("all")) {
  const rows = readSuiteRows(suite);
  const golds = rows.map((r) => goldOf(suite, r));
  for (const p of loadProblems(suite)) {
    const r = rngFor(p.id);
    const gold = boxable(goldOf(suite, rows.find((row) => row.id === p.id)!));
    // About 30 % right, as a 1.5B reasoning model scores across these suites; the rest a plausible wrong answer.
    const answer = r.chance(0.3) ? gold : wrongVariant(r, gold, golds);
    const completion = `<think>\nLet me work through the problem carefully.\n</think>\n\nTherefore, the final answer is: $\\boxed{${answer}}$. I hope it is correct`;
    lines.push(JSON.stringify({ id: p.id, completion, finish_reason: "stop", model: MODEL, synthetic: true }));
  }
}
writeFileSync(out, `${lines.join("\n")}\n`);
console.log(`wrote ${lines.length} synthetic completions to ${out}`);
