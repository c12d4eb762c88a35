// `openrs-eval data pull`: download the suites from the Hugging Face hub into the data cache, verified and normalised.
import Table from "cli-table3";
import type { Command } from "commander";
import { resolvePullDir } from "../../benchmarks/data-dir.js";
import { ensureDir } from "../fs-safe.js";
import { HubError } from "../../benchmarks/hub.js";
import { readSuiteRows, suiteFile } from "../../benchmarks/load.js";
import { type PullResult, pullSuite } from "../../benchmarks/pull.js";
import { resolveBenchList, SOURCES, SUITE_IDS, UnknownSuiteError } from "../../benchmarks/registry.js";
import { type CommandContext, EXIT_FAILURE, intInRange, positiveNumber, UsageError } from "../cli-common.js";

interface PullFlags {
  suite?: string;
  cacheDir?: string;
  endpoint?: string;
  force?: boolean;
  timeoutS?: number;
  retries?: number;
  quiet?: boolean;
}

async function runPull(flags: PullFlags, { out, err }: CommandContext): Promise<number> {
  let suites: ReturnType<typeof resolveBenchList>;
  try {
    suites = resolveBenchList(flags.suite ?? SUITE_IDS.join(","));
  } catch (e) {
    if (e instanceof UnknownSuiteError) throw new UsageError(e.message);
    throw e;
  }
  if (flags.endpoint !== undefined && !/^https?:\/\//.test(flags.endpoint)) throw new UsageError(`--endpoint must be an http(s) URL, got "${flags.endpoint}"`);
  const target = resolvePullDir(flags.cacheDir);
  ensureDir(target.dir, "data directory"); // fails at once with a plain message where a recursive mkdir would hang
  const say = flags.quiet ? () => {} : (line: string) => err.write(`${line}\n`);
  say(`pulling ${suites.length} suite(s) into ${target.dir}`);
  const results: (PullResult | { suite: string; error: string } | { suite: string; bundled: true; problems: number; file: string })[] = [];
  let hubDown = false;
  for (const suite of suites) {
    if (suite.bundled !== undefined) {
      // Ships with the package: nothing to download, only check the file is whole.
      try {
        results.push({ suite: suite.id, bundled: true, problems: readSuiteRows(suite).length, file: suiteFile(suite) });
      } catch (e) {
        err.write(`openrs-eval: ${suite.id}: ${(e as Error).message}\n`);
        results.push({ suite: suite.id, error: (e as Error).message });
      }
      continue;
    }
    if (hubDown) {
      results.push({ suite: suite.id, error: "not tried: the hub is unreachable" });
      continue;
    }
    try {
      results.push(
        await pullSuite(suite, SOURCES[suite.id], {
          dir: target.dir,
          force: flags.force,
          hub: { endpoint: flags.endpoint, timeoutMs: flags.timeoutS === undefined ? undefined : flags.timeoutS * 1000, retries: flags.retries },
          onProgress: say,
        }),
      );
    } catch (e) {
      const message = (e as Error).message;
      err.write(`openrs-eval: ${suite.id}: ${message.startsWith(`${suite.id}:`) ? message.slice(suite.id.length + 1).trim() : message}\n`);
      results.push({ suite: suite.id, error: message });
      hubDown = e instanceof HubError && e.unreachable;
    }
  }
  const table = new Table({
    head: ["suite", "status", "problems", "file"],
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const r of results) {
    if ("error" in r) table.push([r.suite, r.error.startsWith("not tried") ? "not tried" : "FAILED", "", ""]);
    else if ("bundled" in r) table.push([r.suite, "bundled", String(r.problems), r.file]);
    else table.push([r.suite, r.skipped ? "already present" : "downloaded", String(r.problems), r.file]);
  }
  out.write(`${table.toString()}\n`);
  return results.some((r) => "error" in r) ? EXIT_FAILURE : 0;
}

export function registerData(program: Command, ctx: CommandContext): void {
  const data = program.command("data").description("Benchmark data: download and verify the suites.");
  data
    .command("pull")
    .description(
      "Download suites from the Hugging Face dataset hub ($HF_ENDPOINT overrides https://huggingface.co), verify count and " +
        "required fields, and write <dir>/<suite>.jsonl atomically. Suites already present and valid are skipped; suites bundled " +
        "with the package (arith) are only verified.",
    )
    .option("--suite <list>", `comma-separated suite ids, or "all" for the paper's five (default: every suite: ${SUITE_IDS.join(",")})`)
    .option("--cache-dir <dir>", "where to write (default: $OPENRS_DATA_DIR, else $XDG_CACHE_HOME/openrs/benchmarks or ~/.cache/openrs/benchmarks)")
    .option("--endpoint <url>", "hub base URL (default: $HF_ENDPOINT, else https://huggingface.co)")
    .option("--force", "download even when a valid file is present")
    .option("--timeout-s <s>", "per-request time limit in seconds (default 60)", positiveNumber("--timeout-s"))
    .option("--retries <n>", "extra attempts per request after a connection error, timeout, 429 or 5xx (default 2)", intInRange("--retries", 0, 10))
    .option("-q, --quiet", "no progress lines on stderr")
    .action(async (flags: PullFlags) => {
      ctx.setCode(await runPull(flags, ctx));
    });
}
