// Human-readable views of a run: the paper-style Table 1 row and the per-suite detail table (cli-table3 for the
// console), and summary.md with the same content plus how the uncertainty was computed.
import Table from "cli-table3";
import type { OverallMetrics, RunMetrics, SuiteMetrics } from "./metrics.js";
import type { RunManifest } from "./run-dir.js";

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

/** A p-value with three decimals, or "<0.001". */
export function pValue(p: number): string {
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}

/** A score in [0, 1] as percentage points with one decimal. */
export function pct(v: number | undefined | null): string {
  return v === undefined || v === null || !Number.isFinite(v) ? "-" : (100 * v).toFixed(1);
}

function shortModel(model: string): string {
  const s = model.replace(/\/+$/, "");
  return s.length > 40 ? `…${s.slice(-39)}` : s;
}

function suiteName(m: RunManifest, id: string): string {
  return m.suites.find((s) => s.id === id)?.name ?? id;
}

/** The extra score keys (pass@k, maj@k) present in any suite, in a stable order. */
function extraKeys(metrics: RunMetrics): string[] {
  const keys = new Set<string>();
  for (const s of Object.values(metrics.suites)) for (const k of Object.keys(s.scores)) if (k !== s.primary) keys.add(k);
  const kOf = (key: string): number => Number(/k=(\d+)/.exec(key)?.[1] ?? 0);
  return [...keys].sort((a, b) => (a.slice(0, 4) === b.slice(0, 4) ? kOf(a) - kOf(b) : a < b ? 1 : -1));
}

type Row = { label: string; m: SuiteMetrics | OverallMetrics; problems: number | string; n: number | string };

function rows(m: RunManifest): Row[] {
  const metrics = m.metrics;
  if (!metrics) return [];
  const out: Row[] = Object.entries(metrics.suites).map(([id, s]) => ({ label: suiteName(m, id), m: s, problems: s.problems, n: s.n }));
  if (metrics.overall && out.length > 1) out.push({ label: "Avg.", m: metrics.overall, problems: "", n: "" });
  return out;
}

function detailCells(r: Row, extras: string[]): string[] {
  const { m } = r;
  const c = m.counts;
  return [
    r.label,
    String(r.problems),
    String(r.n),
    pct(m.scores[m.primary]),
    `±${pct(m.se.value)}`,
    `[${pct(m.ci95.lo)}, ${pct(m.ci95.hi)}]`,
    ...extras.map((k) => pct(m.scores[k])),
    String(c.noAnswer),
    String(c.truncated),
    String(c.format),
    String(c.languageDrift),
    m.meanCompletionTokens === null ? "-" : m.meanCompletionTokens.toFixed(0),
  ];
}

function detailHead(extras: string[]): string[] {
  return ["Suite", "Problems", "n", "pass@1", "SE", "95% CI", ...extras.map((k) => k.replace(/&n=\d+$/, "")), "no answer", "truncated", "</think>", "lang drift", "mean tokens"];
}

/** The paper's Table 1 layout: one row (this model), pass@1 per suite and the plain average. */
export function table1(m: RunManifest): string {
  const metrics = m.metrics;
  if (!metrics) return "(no metrics)";
  const ids = Object.keys(metrics.suites);
  const head = ["Model", ...ids.map((id) => suiteName(m, id)), ...(ids.length > 1 ? ["Avg."] : [])];
  const t = new Table({ head, style: { head: [], border: [] } });
  const cells = ids.map((id) => pct(metrics.suites[id].scores[metrics.suites[id].primary]));
  if (ids.length > 1 && metrics.overall) cells.push(pct(metrics.overall.scores[metrics.overall.primary]));
  t.push([shortModel(m.model), ...cells]);
  return t.toString();
}

/** Per-suite details: uncertainty, pass@k/maj@k, failure-mode counts, mean completion tokens. */
export function detailTable(m: RunManifest): string {
  if (!m.metrics) return "(no metrics)";
  const extras = extraKeys(m.metrics);
  const t = new Table({ head: detailHead(extras), style: { head: [], border: [] } });
  for (const r of rows(m)) t.push(detailCells(r, extras));
  return t.toString();
}

/** One line on what the intervals are. */
export function uncertaintyNote(m: RunManifest): string {
  const o = m.metrics?.overall;
  const resamples = o?.ci95.resamples ?? 0;
  const clamped = Object.values(m.metrics?.suites ?? {}).reduce((a, s) => a + (s.counts.contextClamped ?? 0), 0);
  const clampNote = clamped
    ? ` ${clamped} samples had their new-token limit lowered to fit the model's context (--max-new-tokens ${m.settings.sampling.maxNewTokens}).`
    : "";
  return (
    `Scores in %. SE: standard error clustered by problem. 95% CI: percentile interval of a problem-level bootstrap ` +
    `(${resamples} resamples, seeded). Avg. is the plain mean over suites.${clampNote}`
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

/** summary.md: settings, the Table 1 row, details, and the uncertainty note. */
export function summaryMarkdown(m: RunManifest): string {
  const lines: string[] = [`# openrs run: ${m.model}`, ""];
  const s = m.settings;
  lines.push(
    `- backend: ${m.backend}; status: ${m.status}`,
    `- sampling: temperature ${s.sampling.temperature}, top-p ${s.sampling.topP}, max new tokens ${s.sampling.maxNewTokens}, seed ${s.sampling.seed}, ${s.samples} sample(s) per problem${s.limit ? `, first ${s.limit} problems per suite` : ""}`,
    `- suites: ${m.suites.map((x) => `${x.id} v${x.version} (prompt hash ${x.promptHash})`).join(", ")}`,
    `- grader: ${m.grader.version}; git: ${m.git.commit ?? "unknown"}${m.git.dirty ? " (dirty)" : ""}`,
    `- time: ${m.timings.seconds.toFixed(1)} s (summed over concurrent requests: generation ${m.timings.generationSeconds.toFixed(1)} s, grading ${m.timings.gradingSeconds.toFixed(1)} s)`,
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
  lines.push("## Details", "", mdTable(detailHead(extras), rows(m).map((r) => detailCells(r, extras))), "", uncertaintyNote(m), "");
  return lines.join("\n");
}
