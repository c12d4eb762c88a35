// `openrs-eval compare RUN_A RUN_B`: per-suite paired difference with bootstrap and McNemar, and a noise verdict.
import Table from "cli-table3";
import type { Command } from "commander";
import { type CommandContext, positiveInt, UsageError } from "../cli-common.js";
import { type Comparison, compareRuns, noiseNote } from "../runner/compare.js";
import { pct } from "../runner/report.js";
import { RunDirError } from "../runner/run-dir.js";

function signed(v: number): string {
  const s = pct(v);
  return v > 0 ? `+${s}` : s;
}

/** The comparison as a table, the overall line, and the noise notes users must see. */
export function comparisonText(c: Comparison): string {
  const t = new Table({
    head: ["Suite", "Problems", "n A/B", "A", "B", "B − A", "95% CI (paired bootstrap)", "p (bootstrap)", "McNemar b/c p", "Verdict"],
    style: { head: [], border: [] },
  });
  for (const s of c.suites) {
    t.push([
      s.name,
      String(s.problems),
      `${s.nA}/${s.nB}`,
      pct(s.a),
      pct(s.b),
      signed(s.diff),
      `[${signed(s.bootstrap.lo)}, ${signed(s.bootstrap.hi)}]`,
      s.bootstrap.p.toFixed(3),
      s.mcnemar ? `${s.mcnemar.b}/${s.mcnemar.c} p=${s.mcnemar.p.toFixed(3)}` : "- (n > 1)",
      s.distinguishable ? "distinguishable" : "not distinguishable from noise",
    ]);
  }
  if (c.overall) {
    const o = c.overall;
    t.push(["Avg.", "", "", pct(o.a), pct(o.b), signed(o.diff), `[${signed(o.lo)}, ${signed(o.hi)}]`, o.p.toFixed(3), "", o.distinguishable ? "distinguishable" : "not distinguishable from noise"]);
  }
  const lines = [`A: ${c.a.model} (${c.a.dir})`, `B: ${c.b.model} (${c.b.dir})`, t.toString()];
  for (const s of c.suites) lines.push(noiseNote(s));
  lines.push("Scores in %. Verdict: distinguishable when the 95% paired-bootstrap interval excludes 0 (and, for single-sample runs, McNemar's exact p < 0.05).");
  for (const r of [c.a, c.b]) if (r.status !== "complete") lines.push(`warning: ${r.dir} is not complete (status ${r.status}); compared on the samples it has`);
  return lines.join("\n");
}

export function registerCompare(program: Command, ctx: CommandContext): void {
  program
    .command("compare")
    .description("Compare two runs suite by suite: paired bootstrap over problems, McNemar for single-sample runs, and whether the difference beats noise.")
    .argument("<runA>", "run directory A (the baseline)")
    .argument("<runB>", "run directory B")
    .option("--resamples <n>", "bootstrap resamples", positiveInt("--resamples"), 10_000)
    .option("--seed <n>", "bootstrap seed", positiveInt("--seed"), 1234)
    .option("--json", "print the comparison as JSON")
    .action(async (a: string, b: string, flags: { resamples: number; seed: number; json?: boolean }) => {
      let c: Comparison;
      try {
        c = compareRuns(a, b, { resamples: flags.resamples, seed: flags.seed });
      } catch (e) {
        if (e instanceof RunDirError) throw new UsageError(e.message);
        throw e;
      }
      if (c.suites.length === 0) throw new UsageError(`${a} and ${b} share no suite with samples`);
      ctx.out.write(flags.json ? `${JSON.stringify(c, null, 2)}\n` : `${comparisonText(c)}\n`);
      ctx.setCode(0);
    });
}
