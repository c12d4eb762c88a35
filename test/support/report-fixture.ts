// Run directories for report tests and the report screenshot: a data folder (synthetic MATH-500 and AIME24 rows with
// MATH's level and subject, or the real files when given), replay completions made from the gold answers with a
// fixed pattern of right, wrong, unanswered, truncated, drifting and very long samples, and real runs of them
// through the CLI (so run.json and samples.jsonl are exactly what the runner writes).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { goldOf, readSuiteRows } from "../../benchmarks/load.js";
import { getSuite } from "../../benchmarks/registry.js";
import { evalCli } from "./eval-cli.js";

const SUBJECTS = ["Algebra", "Counting & Probability", "Geometry", "Intermediate Algebra", "Number Theory", "Prealgebra", "Precalculus"];

/** A data folder with all 500 MATH-500 rows and 30 AIME24 rows (counts as the loader checks them). */
export function writeSyntheticData(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const math = Array.from({ length: 500 }, (_, i) => {
    const subject = SUBJECTS[i % SUBJECTS.length];
    const answer = i % 9 === 0 ? `\\frac{${i + 1}}{${i + 2}}` : String(3 * i + 1);
    return JSON.stringify({
      id: `math500/test/${subject.toLowerCase().replace(/[^a-z]+/g, "_")}/${i}.json`,
      problem: `Problem ${i} (${subject}). Let $x = ${i}$. Compute $3x + 1$ ${i % 9 === 0 ? "as a fraction $\\frac{x+1}{x+2}$" : "exactly"}. ${i % 4 === 0 ? "A longer statement follows so that the table has to fold it: ".repeat(6) : ""}`,
      answer,
      solution: `We compute it directly, so the answer is $\\boxed{${answer}}$.`,
      level: 1 + (i % 5),
      subject,
    });
  });
  writeFileSync(join(dir, "math500.jsonl"), `${math.join("\n")}\n`);
  const aime = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `aime24/${60 + i}`, problem: `AIME problem ${i}: find the remainder of $${i}^{2} + 7$ modulo 1000.`, answer: String((i * i + 7) % 1000) }));
  writeFileSync(join(dir, "aime24.jsonl"), `${aime.join("\n")}\n`);
  return dir;
}

export interface ReplayOptions {
  dataDir: string;
  suites: readonly string[];
  limit: number;
  samples: number;
  /** Shifts which samples are right, so a second run scores differently (0 for run A). */
  skill?: number;
}

/** One replay line per problem × sample; what each sample is follows from (problem, sample, skill) only. */
export function writeReplay(file: string, o: ReplayOptions): string {
  const lines: string[] = [];
  for (const id of o.suites) {
    const suite = getSuite(id);
    readSuiteRows(suite, o.dataDir)
      .slice(0, o.limit)
      .forEach((row, p) => {
        const gold = goldOf(suite, row);
        const level = typeof row.level === "number" ? row.level : 3;
        for (let s = 0; s < o.samples; s++) {
          const h = (p * 31 + s * 17 + 7 * (o.skill ?? 0)) % 100;
          // Harder problems (higher level) are right less often; the skill shift helps the hard ones most.
          const right = h >= 12 * level + 5 - 4 * (o.skill ?? 0) * (level > 3 ? 2 : 1);
          const steps = right ? 3 + (h % 5) : 8 + (h % 11);
          const think = Array.from({ length: steps }, (_, k) => `Step ${k + 1}: rewrite the expression and check the arithmetic once more.`).join("\n");
          let completion = `<think>\n${think}\n</think>\n\nTherefore, the final answer is: $\\boxed{${right ? gold : `${gold}1`}}$. I hope it is correct`;
          let finish = "stop";
          let tokens = 40 + steps * 14;
          if (!right && h % 7 === 0) {
            completion = `<think>\n${think}\n${"and so on, checking again ".repeat(40)}`;
            finish = "length";
            tokens = 2048;
          } else if (!right && h % 7 === 1) completion = `<think>\n${think}\n</think>\n\nI could not finish this one.`;
          else if (!right && h % 7 === 2) completion = `<think>\n${"我们需要仔细检查每一步的计算。".repeat(steps)}\n</think>\n\n所以答案是 $\\boxed{${gold}2}$。`;
          if (p === 1 && s === 0) completion = `${completion}\n${"A very long digression that the report must cut in the middle. ".repeat(600)}</script><b>not markup</b>`;
          lines.push(JSON.stringify({ id: row.id, sample: s, completion, finish_reason: finish, completion_tokens: tokens }));
        }
      });
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** The CLI in-process (test/support/eval-cli.ts). */
export const runCli = evalCli;

/** Runs a replay through `openrs-eval run` into `out`; throws with the CLI's stderr when it fails. */
export async function makeRun(out: string, replay: string, o: Omit<ReplayOptions, "skill">): Promise<string> {
  const r = await runCli(["run", "--model", `replay:${replay}`, "--bench", o.suites.join(","), "--limit", String(o.limit), "--samples", String(o.samples), "--data-dir", o.dataDir, "--out", out, "--jobs", "1", "-q"]);
  if (r.code !== 0) throw new Error(`openrs-eval run failed (${r.code}): ${r.stderr}`);
  return out;
}
