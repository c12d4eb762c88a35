// Human-readable views of a run: the paper-style Table 1 row and the per-suite detail tables for the console (fit
// 100 columns), and summary.md with the same content plus how the uncertainty was computed.
import { failedNote, type OverallMetrics, type RunMetrics, type SuiteMetrics } from "./metrics.js";
import type { RunManifest } from "./run-dir.js";
import { intervalCaveat, MIN_INTERVAL_PROBLEMS } from "./stats.js";

/** Console output fits this many columns by default (tables and wrapped notes). */
export const CONSOLE_WIDTH = 100;

/**
 * A borderless table (columns two spaces apart, a rule under the header): the boxed style spends three columns per
 * cell on borders, which is what pushed wide tables past a terminal's width. `align` is per column, "l" or "r".
 */
export function consoleTable(head: readonly string[], body: readonly (readonly string[])[], align: readonly ("l" | "r")[] = []): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (align[i] === "r" ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const total = widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1);
  return [line(head), "─".repeat(total), ...body.map(line)].join("\n");
}

/**
 * Word-wraps a paragraph to `width` columns: the first line keeps the text's leading spaces, later lines start with
 * `indent`; words longer than a line are left whole. Only plain spaces break (a no-break space holds "B − A").
 */
export function wrapText(text: string, width = CONSOLE_WIDTH, indent = ""): string {
  const lead = /^ */.exec(text)![0];
  const lines: string[] = [];
  let cur = lead;
  for (const word of text.split(/[ \n]+/).filter(Boolean)) {
    const next = cur.trim() ? `${cur} ${word}` : `${cur}${word}`;
    if (next.length > width && cur.trim()) {
      lines.push(cur);
      cur = indent + word;
    } else cur = next;
  }
  if (cur.trim()) lines.push(cur);
  return lines.join("\n");
}

/** A p-value as `p=0.027`, or `p<0.001`. */
export function pValue(p: number): string {
  return p < 0.001 ? "p<0.001" : `p=${p.toFixed(3)}`;
}

/** A score in [0, 1] as percentage points with one decimal. */
export function pct(v: number | undefined | null): string {
  return v === undefined || v === null || !Number.isFinite(v) ? "-" : (100 * v).toFixed(1);
}

function shortModel(model: string, max = 40): string {
  const s = model.replace(/\/+$/, "");
  return s.length > max ? `…${s.slice(-(max - 1))}` : s;
}

function suiteName(m: RunManifest, id: string): string {
  return m.suites.find((s) => s.id === id)?.name ?? id;
}

/** `pass@k:k=4&n=16` → `pass@4`, `maj@k:k=4&n=16` → `maj@4` (the key's parameters, as people write them). */
export function scoreLabel(key: string): string {
  const m = /^(pass|maj)@k:k=(\d+)/.exec(key);
  if (m) return `${m[1]}@${m[2]}`;
  return key.replace(/:n=\d+$/, "");
}

/** The extra score keys (pass@k, maj@k) present in any suite: pass@k by k, then maj@k by k. */
function extraKeys(metrics: RunMetrics): string[] {
  const keys = new Set<string>();
  for (const s of Object.values(metrics.suites)) for (const k of Object.keys(s.scores)) if (k !== s.primary) keys.add(k);
  const kOf = (key: string): number => Number(/k=(\d+)/.exec(key)?.[1] ?? 0);
  return [...keys].sort((a, b) => (a.slice(0, 4) === b.slice(0, 4) ? kOf(a) - kOf(b) : a < b ? 1 : -1));
}

type Row = { label: string; m: SuiteMetrics | OverallMetrics; problems: number; samples: number; n: number | string };

function rows(m: RunManifest): Row[] {
  const metrics = m.metrics;
  if (!metrics) return [];
  const out: Row[] = Object.entries(metrics.suites).map(([id, s]) => ({ label: suiteName(m, id), m: s, problems: s.problems, samples: s.samples, n: s.n }));
  if (metrics.overall && out.length > 1) {
    const sum = (f: (r: Row) => number): number => out.reduce((a, r) => a + f(r), 0);
    out.push({ label: "Avg.", m: metrics.overall, problems: sum((r) => r.problems), samples: sum((r) => r.samples), n: "" });
  }
  return out;
}

/** Failed samples of the run (0 for runs recorded before they were counted). */
function runErrors(m: RunManifest): number {
  return m.metrics?.overall?.errors ?? Object.values(m.metrics?.suites ?? {}).reduce((a, s) => a + (s.errors ?? 0), 0);
}

/** The line reports print under the tables when samples failed (null when none did). */
export function errorNote(m: RunManifest): string | null {
  const errors = runErrors(m);
  return errors > 0 ? failedNote(errors) : null;
}

/** A count as a rate of `of`, with the count in brackets: `12.5% (8)`. */
export function rate(count: number, of: number): string {
  return of > 0 ? `${((100 * count) / of).toFixed(1)}% (${count})` : `- (${count})`;
}

/** The interval cell: `[lo, hi]`, `(too few)` below MIN_INTERVAL_PROBLEMS, a dagger when it has no width. */
function ciCell(r: Row): string {
  const { lo, hi } = r.m.ci95;
  const caveat = intervalCaveat(r.problems, lo, hi);
  if (caveat === null) return `[${pct(lo)}, ${pct(hi)}]`;
  return r.problems < MIN_INTERVAL_PROBLEMS ? "(too few)" : `[${pct(lo)}, ${pct(hi)}]†`;
}

function scoreHead(extras: readonly string[]): string[] {
  return ["Suite", "Problems", "n", "pass@1", "SE", "95% CI", ...extras.map(scoreLabel)];
}

function scoreCells(r: Row, extras: readonly string[]): string[] {
  const { m } = r;
  return [r.label, String(r.problems || ""), String(r.n), pct(m.scores[m.primary]), `±${pct(m.se.value)}`, ciCell(r), ...extras.map((k) => pct(m.scores[k]))];
}

const FAILURE_HEAD = ["Suite", "no answer", "truncated", "has </think>", "lang drift", "mean tokens"];

/** The failure-modes head; a "failed" column (samples the backend could not produce) only in runs that have some. */
function failureHead(errors: boolean): string[] {
  return errors ? [...FAILURE_HEAD, "failed"] : FAILURE_HEAD;
}

function failureCells(r: Row, errors = false): string[] {
  const c = r.m.counts;
  return [
    // Counts add up over suites (rates are over every sample), so the last row is "All", not an average.
    r.label === "Avg." ? "All" : r.label,
    rate(c.noAnswer, r.samples),
    rate(c.truncated, r.samples),
    rate(c.format, r.samples),
    rate(c.languageDrift, r.samples),
    r.m.meanCompletionTokens === null ? "-" : r.m.meanCompletionTokens.toFixed(0),
    ...(errors ? [rate(r.m.errors ?? 0, r.samples)] : []),
  ];
}

const widthOf = (text: string): number => Math.max(...text.split("\n").map((l) => l.length));

/** The paper's Table 1 layout: one row (this model), pass@1 per suite and the plain average; fits `width` columns. */
export function table1(m: RunManifest, width = CONSOLE_WIDTH): string {
  const metrics = m.metrics;
  if (!metrics) return "(no metrics)";
  const ids = Object.keys(metrics.suites);
  const head = ["Model", ...ids.map((id) => suiteName(m, id)), ...(ids.length > 1 ? ["Avg."] : [])];
  const cells = ids.map((id) => pct(metrics.suites[id].scores[metrics.suites[id].primary]));
  if (ids.length > 1 && metrics.overall) cells.push(pct(metrics.overall.scores[metrics.overall.primary]));
  const align = head.map((_, i) => (i ? "r" : "l") as "l" | "r");
  // The model name gets what the score columns leave of the width (at least 12 characters).
  const others = widthOf(consoleTable(head.slice(1), [cells]));
  const room = Math.max(12, width - others - 2);
  return consoleTable(head, [[shortModel(m.model, room), ...cells]], align);
}

/**
 * Per-suite details as two tables that fit `width` columns: scores (pass@1 with its SE and 95% interval, pass@k,
 * maj@k) and failure modes (rates with counts in brackets, mean completion tokens). When every pass@k/maj@k column
 * does not fit, the smaller k are left out and a line says where they are.
 */
export function detailTable(m: RunManifest, width = CONSOLE_WIDTH): string {
  if (!m.metrics) return "(no metrics)";
  const all = extraKeys(m.metrics);
  const body = rows(m);
  const align = (n: number): ("l" | "r")[] => Array.from({ length: n }, (_, i) => (i === 0 || i === 5 ? "l" : "r"));
  const render = (extras: readonly string[]): string => consoleTable(scoreHead(extras), body.map((r) => scoreCells(r, extras)), align(6 + extras.length));
  let extras = all;
  let scores = render(extras);
  // Drop the smallest k (its pass@k and maj@k together), keeping the largest, until the table fits.
  const kOf = (key: string): number => Number(/k=(\d+)/.exec(key)?.[1] ?? 0);
  while (widthOf(scores) > width && extras.length > 0) {
    const ks = [...new Set(extras.map(kOf))].sort((a, b) => a - b);
    const victim = ks.length > 1 ? ks[0] : ks[ks.length - 1];
    const next = extras.filter((k) => kOf(k) !== victim);
    // With one k left, drop maj@k before pass@k.
    extras = next.length === 0 && extras.length > 1 ? extras.filter((k) => !k.startsWith("maj")) : next;
    scores = render(extras);
  }
  const errors = runErrors(m) > 0;
  const failures = consoleTable(failureHead(errors), body.map((r) => failureCells(r, errors)), ["l", "r", "r", "r", "r", "r", "r"]);
  const left = all.filter((k) => !extras.includes(k)).map(scoreLabel);
  const leftNote = left.length ? `\n${wrapText(`${left.join(", ")} left out to fit ${width} columns: see summary.md or --json.`, width)}` : "";
  return `${scores}${leftNote}\n\n${failures}`;
}

/** The caveats of intervals that cannot be read as intervals (too few problems, no width), one line each. */
function intervalCaveats(m: RunManifest): string[] {
  const out: string[] = [];
  for (const r of rows(m)) {
    const c = intervalCaveat(r.problems, r.m.ci95.lo, r.m.ci95.hi);
    if (c) out.push(`${r.problems < MIN_INTERVAL_PROBLEMS ? "" : "† "}${r.label}: ${c}.`);
  }
  return out;
}

/** What the intervals and rates are, and the caveats of intervals that mean little; wrapped to `width`. */
export function uncertaintyNote(m: RunManifest, width = CONSOLE_WIDTH): string {
  return [uncertaintyText(m), ...intervalCaveats(m)].map((t) => wrapText(t, width, "  ")).join("\n");
}

function uncertaintyText(m: RunManifest): string {
  const o = m.metrics?.overall ?? Object.values(m.metrics?.suites ?? {})[0];
  const resamples = o?.ci95.resamples ?? 0;
  const clamped = Object.values(m.metrics?.suites ?? {}).reduce((a, s) => a + (s.counts.contextClamped ?? 0), 0);
  const clampNote = clamped
    ? ` ${clamped} samples had their new-token limit lowered to fit the model's context (--max-new-tokens ${m.settings.sampling.maxNewTokens}).`
    : "";
  return (
    `Scores in %. SE: standard error clustered by problem. 95% CI: percentile interval of a problem-level bootstrap ` +
    `(${resamples} resamples, seeded). Avg. is the plain mean over suites. Failure modes: share of samples, count in brackets.${clampNote}`
  );
}

function mdTable(head: string[], body: string[][]): string {
  const esc = (s: string): string => s.replace(/\|/g, "\\|");
  return [
    `| ${head.map(esc).join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...body.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

const secs = (v: number): string => `${v.toFixed(1)} s`;

/** summary.md: settings, the Table 1 row, details, and the uncertainty note. */
export function summaryMarkdown(m: RunManifest): string {
  const lines: string[] = [`# openrs run: ${m.model}`, ""];
  const s = m.settings;
  const t = m.timings;
  lines.push(
    `- backend: ${m.backend}; status: ${m.status}`,
    `- sampling: temperature ${s.sampling.temperature}, top-p ${s.sampling.topP}, max new tokens ${s.sampling.maxNewTokens}, seed ${s.sampling.seed}, ${s.samples} sample(s) per problem${s.limit ? `, first ${s.limit} problems per suite` : ""}`,
    `- suites: ${m.suites.map((x) => `${x.id} v${x.version} (rendered-prompt hash ${x.promptHash}${x.lightevalHash ? `, lighteval hash_examples ${x.lightevalHash}` : ""})`).join(", ")}`,
    `- grader: ${m.grader.version}; git: ${m.git.commit ?? "unknown"}${m.git.dirty ? " (dirty)" : ""}`,
    `- time: ${secs(t.seconds)} wall-clock over ${t.resumes + 1} invocation(s). Request time summed over concurrent requests ` +
      `(they overlap, so these exceed the wall-clock; not CPU time): generation ${secs(t.generationSeconds)}, grading ${secs(t.gradingSeconds)}`,
    "",
  );
  const metrics = m.metrics;
  if (!metrics) return `${lines.join("\n")}(no metrics yet)\n`;
  const ids = Object.keys(metrics.suites);
  const head = ["Model", ...ids.map((id) => suiteName(m, id)), ...(ids.length > 1 ? ["Avg."] : [])];
  const cells = ids.map((id) => pct(metrics.suites[id].scores[metrics.suites[id].primary]));
  if (ids.length > 1 && metrics.overall) cells.push(pct(metrics.overall.scores[metrics.overall.primary]));
  lines.push("## pass@1", "", mdTable(head, [[m.model, ...cells]]), "");
  const extras = extraKeys(metrics);
  lines.push(
    "## Details",
    "",
    mdTable(scoreHead(extras), rows(m).map((r) => scoreCells(r, extras))),
    "",
    mdTable(failureHead(runErrors(m) > 0), rows(m).map((r) => failureCells(r, runErrors(m) > 0))),
    "",
    uncertaintyText(m),
    "",
    ...intervalCaveats(m).flatMap((c) => [c, ""]),
    ...(errorNote(m) ? [`**${errorNote(m)}**`, ""] : []),
  );
  return lines.join("\n");
}
