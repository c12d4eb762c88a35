// `openrs-eval regrade DIR`: grade a run's samples again with the current grader; list every changed verdict.
import Table from "cli-table3";
import type { Command } from "commander";
import { type CommandContext, positiveInt, positiveNumber, UsageError } from "../cli-common.js";
import { Progress } from "../progress.js";
import { type RegradeResult, regradeRun } from "../runner/regrade.js";
import { pct } from "../runner/report.js";
import { RunDirError } from "../runner/run-dir.js";

function clip(s: string | null, n = 40): string {
  if (s === null) return "-";
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Changed verdicts and the before/after primary scores. */
export function regradeText(r: RegradeResult): string {
  const lines = [
    `${r.dir}: ${r.samples} samples regraded with ${r.gradedWith} (recorded with ${r.recordedWith}); ${r.changed.length} verdict(s) changed, ${r.detailChanged} other detail change(s)`,
  ];
  if (r.changed.length) {
    const t = new Table({ head: ["suite", "problem", "sample", "before", "after", "extracted before → after", "reason after"], style: { head: [], border: [] } });
    for (const c of r.changed) {
      t.push([c.suite, c.id, String(c.sample), String(c.before.correct), String(c.after.correct), `${clip(c.before.extracted)} → ${clip(c.after.extracted)}`, c.after.reason]);
    }
    lines.push(t.toString());
  }
  const t = new Table({ head: ["suite", "pass@1 before", "pass@1 after"], style: { head: [], border: [] } });
  for (const [id, m] of Object.entries(r.after.suites)) {
    const before = r.before?.suites[id];
    t.push([id, pct(before?.scores[before.primary]), pct(m.scores[m.primary])]);
  }
  if (r.after.overall) t.push(["Avg.", pct(r.before?.overall?.scores[r.before.overall.primary]), pct(r.after.overall.scores[r.after.overall.primary])]);
  lines.push(t.toString());
  lines.push(r.written ? "wrote samples.jsonl, run.json and summary.md" : "nothing written (use --write to save the new verdicts and metrics)");
  return lines.join("\n");
}

export function registerRegrade(program: Command, ctx: CommandContext): void {
  program
    .command("regrade")
    .description("Grade a run's samples.jsonl again with the current grader, recompute the metrics, and list every verdict that changed.")
    .argument("<dir>", "run directory")
    .option("--write", "save the new verdicts and metrics into the run directory")
    .option("--check", "exit 1 when any verdict changed (for CI)")
    .option("-j, --jobs <n>", "grader worker threads", positiveInt("--jobs"))
    .option("--budget-ms <ms>", "hard grading time per sample (default: the run's, else 1000)", positiveNumber("--budget-ms"))
    .option("--json", "print the result as JSON")
    .option("-q, --quiet", "no progress on stderr")
    .action(async (dir: string, flags: { write?: boolean; check?: boolean; jobs?: number; budgetMs?: number; json?: boolean; quiet?: boolean }) => {
      const err = ctx.err as NodeJS.WritableStream & { isTTY?: boolean };
      const progress = flags.quiet ? null : new Progress({ stream: err, label: "regrade" });
      let r: RegradeResult;
      try {
        r = await regradeRun(dir, { write: flags.write, jobs: flags.jobs, budgetMs: flags.budgetMs, onProgress: (d) => progress?.update(d) });
      } catch (e) {
        if (e instanceof RunDirError) throw new UsageError(e.message);
        throw e;
      } finally {
        progress?.finish();
      }
      ctx.out.write(flags.json ? `${JSON.stringify(r, null, 2)}\n` : `${regradeText(r)}\n`);
      ctx.setCode(flags.check && r.changed.length > 0 ? 1 : 0);
    });
}
