// `openrs-eval bench list`: the registered suites, their problem counts, and where (and whether) their data was found.
import Table from "cli-table3";
import type { Command } from "commander";
import { defaultCacheDir } from "../../benchmarks/data-dir.js";
import { type BenchListing, listSuites } from "../../benchmarks/status.js";
import type { CommandContext } from "../cli-common.js";

const ORIGIN_TEXT: Record<string, string> = {
  "--data-dir": "from --data-dir",
  OPENRS_DATA_DIR: "from OPENRS_DATA_DIR",
  shared: "../shared/benchmarks beside the project",
  cache: "download cache; fill it with `openrs-eval data pull`",
};

/** The listing as a cli-table3 table plus the data-dir line and a hint when something is missing. */
export function benchTable(listing: BenchListing): string {
  const table = new Table({
    head: ["suite", "name", "problems", "gold from", "preset", "paper", "data", "lighteval hash"],
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const s of listing.suites) {
    const hash =
      s.promptHash.ok === true ? `ok ${s.promptHash.actual}` : s.promptHash.ok === false ? `MISMATCH ${s.promptHash.actual} (paper ${s.promptHash.expected})` : s.promptHash.expected === null ? "not recorded" : "-";
    table.push([s.id, s.name, String(s.count), s.goldFrom, s.preset, s.paper ? "yes" : "", s.data === "invalid" ? "INVALID" : s.data, hash]);
  }
  const lines = [`data dir: ${listing.dataDir.dir} (${ORIGIN_TEXT[listing.dataDir.origin] ?? listing.dataDir.origin})`, table.toString()];
  for (const s of listing.suites) if (s.data === "invalid") lines.push(`${s.id}: ${s.error}`);
  // A bundled suite is never pulled: its problems are part of the package.
  const missing = listing.suites.filter((s) => s.data !== "found" && s.data !== "bundled" && s.bundled === undefined).map((s) => s.id);
  // `data pull` writes to OPENRS_DATA_DIR or the cache by default; name the folder when it is another one.
  const origin = listing.dataDir.origin;
  const into = origin === "--data-dir" ? ` --cache-dir ${listing.dataDir.dir}` : "";
  if (missing.length > 0) {
    const then = origin === "shared" ? ` (writes to ${defaultCacheDir()}; then pass --data-dir ${defaultCacheDir()})` : "";
    lines.push(`to get ${missing.join(", ")}: openrs-eval data pull --suite ${missing.join(",")}${into}${then}`);
  }
  return lines.join("\n");
}

export function registerBench(program: Command, ctx: CommandContext): void {
  const bench = program.command("bench").description("Benchmark suites: list them and check their data.");
  bench
    .command("list")
    .description("List the suites: problem counts, gold field, grader preset, and whether their data file is found and matches the paper's prompt hash.")
    .option("--json", "print machine-readable JSON instead of a table")
    .option("--data-dir <dir>", "folder holding <suite>.jsonl (default: $OPENRS_DATA_DIR, else ../shared/benchmarks, else the download cache)")
    .action(async (flags: { json?: boolean; dataDir?: string }) => {
      const listing = await listSuites({ dataDir: flags.dataDir });
      ctx.out.write(flags.json ? `${JSON.stringify(listing, null, 2)}\n` : `${benchTable(listing)}\n`);
      ctx.setCode(0);
    });
}
