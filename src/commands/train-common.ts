// What `train sft` and `train grpo` share: the input checks, the progress bar of a (possibly resumed) run, the
// tokens/s format and the curves written next to metrics.jsonl at the end.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { plotSvg, readMetrics } from "../../trainer/plot.js";
import { UsageError } from "../cli-common.js";
import { Progress } from "../progress.js";

/** Fails with a usage error naming the first flag whose path does not exist. */
export function requirePaths(paths: readonly (readonly [flag: string, path: string])[]): void {
  for (const [flag, p] of paths) if (!existsSync(p)) throw new UsageError(`${flag} ${p} does not exist`);
}

/** Tokens per second, shortened past a thousand (`12.3k`). */
export function fmtRate(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0);
}

/** The bar over the steps this invocation runs; its label says when the run resumed. */
export function stepProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, label: string, startStep: number, totalSteps: number): Progress {
  return new Progress({ stream, label: startStep ? `${label} (resumed after step ${startStep})` : label, total: totalSteps - startStep });
}

/** Writes OUT/metrics.svg from OUT/metrics.jsonl and returns the closing line naming both. */
export function writeCurves(out: string, title: string): string {
  const svg = join(out, "metrics.svg");
  writeFileSync(svg, plotSvg([readMetrics(out)], title));
  return `metrics: ${join(out, "metrics.jsonl")}, plot: ${svg}`;
}
