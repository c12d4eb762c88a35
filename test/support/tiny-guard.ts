// The CI guard on the shipped tiny model: a fixed slice of its `arith` evaluation (the README's main command on the
// first GUARD_LIMIT problems, scalar kernels so every x86-64 host computes the same bits) compared line by line with
// the committed record results/guard/openrs-tiny-arith.jsonl. Shared by the test and by the tool that re-records it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setKernels } from "../../native/ts/native.js";
import { packageRoot } from "../../src/version.js";
import { evalCli } from "./eval-cli.js";

export const GUARD_MODEL = "openrs-tiny";
export const GUARD_LIMIT = 100;
export const GUARD_FILE = join(packageRoot(), "results", "guard", "openrs-tiny-arith.jsonl");
/** The README's main command (paper sampling defaults, seed 1234) on the first GUARD_LIMIT problems. */
export const GUARD_ARGS = ["--model", GUARD_MODEL, "--bench", "arith", "--limit", String(GUARD_LIMIT), "--quiet", "--json"];

/** What the guard holds fixed for each sample. */
export interface GuardLine {
  id: string;
  sample: number;
  completion: string;
  finish: string;
  extracted: string | null;
  correct: boolean;
}

/** Runs the slice into `out` (scalar kernels, restored afterwards) and returns its lines in id order. */
export async function runGuardSlice(out: string): Promise<GuardLine[]> {
  const before = setKernels("scalar");
  try {
    const r = await evalCli([...GUARD_ARGS, "--out", out]);
    if (r.code !== 0) throw new Error(`openrs-eval ${GUARD_ARGS.join(" ")} exited ${r.code}: ${r.stderr}`);
  } finally {
    setKernels(before as Parameters<typeof setKernels>[0]);
  }
  return readGuardLines(join(out, "samples.jsonl"));
}

export function readGuardLines(file: string): GuardLine[] {
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
  return lines
    .map((l) => JSON.parse(l) as GuardLine)
    .map(({ id, sample, completion, finish, extracted, correct }) => ({ id, sample, completion, finish, extracted, correct }))
    .sort((a, b) => Number(a.id.split("/")[1]) - Number(b.id.split("/")[1]) || a.sample - b.sample);
}

/** One line per difference between the record and a fresh slice (missing, extra, changed completion or verdict). */
export function guardDiff(recorded: readonly GuardLine[], fresh: readonly GuardLine[]): string[] {
  const key = (g: GuardLine) => `${g.id}#${g.sample}`;
  const now = new Map(fresh.map((g) => [key(g), g]));
  const out: string[] = [];
  for (const r of recorded) {
    const f = now.get(key(r));
    now.delete(key(r));
    if (!f) {
      out.push(`${key(r)}: missing from the fresh run`);
      continue;
    }
    if (f.completion !== r.completion || f.finish !== r.finish) out.push(`${key(r)}: completion changed: ${JSON.stringify(r.completion)} (${r.finish}) -> ${JSON.stringify(f.completion)} (${f.finish})`);
    if (f.correct !== r.correct || f.extracted !== r.extracted) out.push(`${key(r)}: verdict changed: ${r.correct ? "right" : "wrong"} (${r.extracted}) -> ${f.correct ? "right" : "wrong"} (${f.extracted})`);
  }
  for (const k of now.keys()) out.push(`${k}: not in the record`);
  return out;
}
