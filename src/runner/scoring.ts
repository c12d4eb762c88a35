// Turns sample records into scored samples: grader pools per suite preset, and the maj@k vote classes (answers that
// are equal under the grader vote together), all grading through GraderPool so every check is bounded in time.
import type { GradeOptions } from "../../grading/options.js";
import { GraderPool } from "../../grading/pool.js";
import { isLanguageDrift } from "../../grading/language.js";
import type { ScoredSample } from "./metrics.js";
import type { SampleRecord, SuiteEntry } from "./run-dir.js";

/** Grader options of a suite: its preset, with any overrides it declares. */
export function suiteGradeOptions(suite: Pick<SuiteEntry, "preset" | "grader">): Partial<GradeOptions> | string {
  return suite.grader && Object.keys(suite.grader).length > 0 ? { ...(suite.grader as Partial<GradeOptions>), preset: suite.preset } : suite.preset;
}

/** One GraderPool per distinct grader configuration, created on first use and closed together. */
export class GraderPools {
  private readonly pools = new Map<string, GraderPool>();

  constructor(
    private readonly jobs?: number,
    private readonly budgetMs?: number,
  ) {}

  get(options: Partial<GradeOptions> | string): GraderPool {
    const key = JSON.stringify(options);
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new GraderPool({ jobs: this.jobs, options, budgetMs: this.budgetMs })));
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}

/** Distinct wrong answers of one problem compared pairwise through the grader, at most this many (the most frequent). */
export const MAX_VOTE_CANDIDATES = 24;

const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

function squash(s: string): string {
  return s.replace(/\s+/g, "");
}

/**
 * Vote classes for one problem's samples: 0 for every correct sample (equal to the gold), null for no answer, and
 * for wrong answers one class per group of answers the grader finds equal (the later answer graded against the
 * earlier one as gold). Distinct plain numbers are unequal without asking the grader; beyond MAX_VOTE_CANDIDATES
 * distinct wrong answers the rarest stay in classes of their own.
 */
export async function voteClasses(samples: readonly Pick<ScoredSample, "correct" | "extracted">[], pool: GraderPool): Promise<(number | null)[]> {
  const classes: (number | null)[] = samples.map((s) => (s.correct ? 0 : null));
  const byText = new Map<string, number[]>();
  samples.forEach((s, i) => {
    if (s.correct || s.extracted === null) return;
    const key = squash(s.extracted);
    const list = byText.get(key);
    if (list) list.push(i);
    else byText.set(key, [i]);
  });
  const distinct = [...byText.entries()].sort((a, b) => b[1].length - a[1].length || a[1][0] - b[1][0]);
  const reps: { text: string; cls: number }[] = [];
  let next = 1;
  for (const [text, members] of distinct) {
    let cls: number | null = null;
    if (reps.length < MAX_VOTE_CANDIDATES) {
      for (const rep of reps) {
        if (PLAIN_NUMBER.test(text) && PLAIN_NUMBER.test(rep.text)) {
          if (Number(text) === Number(rep.text)) cls = rep.cls;
        } else if ((await pool.grade(`\\boxed{${text}}`, rep.text)).correct) {
          cls = rep.cls;
        }
        if (cls !== null) break;
      }
    }
    if (cls === null) {
      cls = next++;
      reps.push({ text, cls });
    }
    for (const i of members) classes[i] = cls;
  }
  return classes;
}

/** What the metrics keep of a record (no prompt or completion, so a large run fits in memory). */
export function toScored(r: SampleRecord): ScoredSample {
  return {
    suite: r.suite,
    id: r.id,
    sample: r.sample,
    correct: r.correct,
    extracted: r.extracted,
    finish: r.finish,
    completionTokens: r.completionTokens,
    clamped: r.maxNewTokens !== undefined,
    think: r.completion.includes("</think>"),
    drift: isLanguageDrift(r.completion),
    vote: r.correct ? 0 : null,
  };
}

/** Sets the maj@k vote classes of scored samples in place, problem by problem, through the suite's grader pool. */
export async function assignVotes(scored: ScoredSample[], poolFor: (suite: string) => GraderPool): Promise<void> {
  const problems = new Map<string, ScoredSample[]>();
  for (const s of scored) {
    const key = `${s.suite}\u0000${s.id}`;
    const list = problems.get(key);
    if (list) list.push(s);
    else problems.set(key, [s]);
  }
  await Promise.all(
    [...problems.values()].map(async (list) => {
      list.sort((a, b) => a.sample - b.sample);
      const classes = await voteClasses(list, poolFor(list[0].suite));
      list.forEach((s, j) => {
        s.vote = classes[j];
      });
    }),
  );
}
