// `openrs-eval compare RUN_A RUN_B`: per-suite paired difference, the verdict under one stated rule with the test
// that produced it, the tests' disagreements, and warnings when the runs were made differently.
import type { Command } from "commander";
import { type CommandContext, positiveInt, UsageError } from "../cli-common.js";
import { type Comparison, compareRuns, noiseNote } from "../runner/compare.js";
import { consoleTable, pct, pValue, wrapText } from "../runner/report.js";
import { RunDirError } from "../runner/run-dir.js";

function signed(v: number): string {
  const s = pct(v);
  return v > 0 ? `+${s}` : s;
}

/** The comparison as a table (fits 100 columns), the rule, and the notes users must see. */
export function comparisonText(c: Comparison): string {
  const body: string[][] = c.suites.map((s) => [
    s.name,
    String(s.problems),
    pct(s.a),
    pct(s.b),
    signed(s.diff),
    s.intervalNote ? "(too few)" : `[${signed(s.bootstrap.lo)}, ${signed(s.bootstrap.hi)}]`,
    `${s.test === "mcnemar" ? "McNemar" : "bootstrap"} ${pValue(s.p)}`,
    s.verdict,
  ]);
  if (c.overall) {
    const o = c.overall;
    body.push(["Avg.", "", pct(o.a), pct(o.b), signed(o.diff), `[${signed(o.lo)}, ${signed(o.hi)}]`, `bootstrap ${pValue(o.p)}`, o.verdict]);
  }
  const table = consoleTable(["Suite", "Probs", "A", "B", "B − A", "95% CI", "Verdict's test", "Verdict"], body, ["l", "r", "r", "r", "r", "l", "l", "l"]);
  const lines = [`A: ${c.a.model} (${c.a.dir})`, `B: ${c.b.model} (${c.b.dir})`, table, ""];
  const note = (text: string): void => {
    lines.push(wrapText(text, 100, "  "));
  };
  note(
    "Scores in %, pass@1 over the problems both runs have. 95% CI: paired bootstrap over problems of B\u00a0−\u00a0A." +
      (c.overall ? " Avg.: plain mean over suites; the bootstrap decides its verdict." : ""),
  );
  note(c.rule);
  for (const s of c.suites) if (s.disagreement) note(`${s.name}: the tests disagree. ${s.disagreement}`);
  for (const s of c.suites) if (s.intervalNote) note(`${s.name}: ${s.intervalNote}; the bootstrap interval is not shown.`);
  for (const s of c.suites) if (!s.intervalNote) note(noiseNote(s));
  if (c.warnings.length) {
    note("warning: the runs differ in settings that change scores, so a difference may come from them and not the models:");
    for (const w of c.warnings) lines.push(wrapText(`  - ${w}`, 100, "    "));
  }
  for (const r of [c.a, c.b]) if (r.status !== "complete") note(`warning: ${r.dir} is not complete (status ${r.status}); compared on the samples it has`);
  return lines.join("\n");
}

export function registerCompare(program: Command, ctx: CommandContext): void {
  program
    .command("compare")
    .description("Compare two runs suite by suite: paired bootstrap over problems, McNemar's exact test for single-sample runs, one stated verdict rule, and warnings when the runs differ in settings.")
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
