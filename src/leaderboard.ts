// The leaderboard: the paper's reference rows and local runs side by side, as a markdown table or one self-contained
// HTML page with an inline SVG plot. Reads committed files only; it computes no metric of its own.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { SUITES } from "../benchmarks/registry.js";

/** A score in percent with its 95 % interval when known. */
export interface Score {
  value: number | null;
  ci: [number, number] | null;
}

export interface LeaderboardRow {
  model: string;
  /** "paper" for reference rows (reported by the paper), "local" for runs of this project. */
  kind: "paper" | "local";
  /** Where the numbers come from: the paper's table (and whom it cites) or the run directory. */
  source: string;
  samplesPerProblem: number | null;
  scores: Record<string, Score>;
  /** The plain mean over the table's suites (null unless the row covers all of them, as the paper averages). */
  avg: Score;
  /** Short remarks shown beside the source: "partial run", "limit 10", "backend openai". */
  notes: string[];
  /** The run folder's name, for local rows. */
  run?: string;
}

export interface Leaderboard {
  title: string;
  suites: string[];
  rows: LeaderboardRow[];
  /** Runs that could not be read, one line each (the leaderboard still renders). */
  warnings: string[];
}

/** One-line error for an unreadable reference file or runs folder. */
export class LeaderboardError extends Error {}

const NO_SCORE: Score = Object.freeze({ value: null, ci: null }) as Score;

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new LeaderboardError(`cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LeaderboardError(`${what} ${file} is not valid JSON (${(e as Error).message})`);
  }
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Reads results/reference/*.json (schema "openrs-reference": rows of percent scores reported by the paper). */
export function loadReference(file: string): { title: string; suites: string[]; rows: LeaderboardRow[] } {
  const j = readJson(file, "reference file") as {
    schema?: unknown;
    title?: unknown;
    suites?: unknown;
    rows?: { model?: unknown; source?: unknown; samplesPerProblem?: unknown; scores?: Record<string, unknown>; avg?: unknown }[];
  };
  if (j === null || typeof j !== "object" || j.schema !== "openrs-reference" || !Array.isArray(j.rows) || !Array.isArray(j.suites)) {
    throw new LeaderboardError(`reference file ${file} is not an openrs reference table (needs "schema": "openrs-reference", "suites" and "rows")`);
  }
  const suites = j.suites.filter((s): s is string => typeof s === "string");
  const rows = j.rows.map((r, i): LeaderboardRow => {
    if (typeof r?.model !== "string") throw new LeaderboardError(`reference file ${file}: row ${i + 1} has no "model"`);
    return {
      model: r.model,
      kind: "paper",
      source: typeof r.source === "string" ? r.source : "reported by the paper",
      samplesPerProblem: num(r.samplesPerProblem),
      scores: Object.fromEntries(suites.map((s) => [s, { value: num(r.scores?.[s]), ci: null }])),
      avg: { value: num(r.avg), ci: null },
      notes: [],
    };
  });
  return { title: typeof j.title === "string" ? j.title : "Reference", suites, rows };
}

/** The run.json schema versions this reader understands. */
export const RUN_SCHEMA_VERSIONS = [1];

interface RunScores {
  primary?: unknown;
  scores?: Record<string, unknown>;
  ci95?: { lo?: unknown; hi?: unknown };
  suites?: unknown;
}

/** The primary pass@1 of a metrics block as a fraction: `scores[primary]`, else the first `pass@1...` key. */
function pass1(m: RunScores | undefined): Score {
  if (!m || typeof m !== "object" || !m.scores || typeof m.scores !== "object") return NO_SCORE;
  let v = typeof m.primary === "string" ? num(m.scores[m.primary]) : null;
  if (v === null) {
    const key = Object.keys(m.scores).find((k) => k === "pass@1" || k.startsWith("pass@1:"));
    v = key === undefined ? null : num(m.scores[key]);
  }
  if (v === null) return NO_SCORE;
  const lo = num(m.ci95?.lo);
  const hi = num(m.ci95?.hi);
  return { value: v * 100, ci: lo !== null && hi !== null ? [lo * 100, hi * 100] : null };
}

/**
 * Reads one run directory's run.json into a row. The fields read (everything else is ignored, any of these may be
 * missing): `schema` ("openrs-run"), `schemaVersion` (must be one of RUN_SCHEMA_VERSIONS), `model`, `backend`,
 * `status` ("complete" or not), `settings.samples`, `settings.limit`, and `metrics.suites.<id>` /
 * `metrics.overall`, each with `primary` (score key), `scores` (fractions in [0, 1]; the key `primary` names, else the
 * first `pass@1...` key) and `ci95.lo` / `ci95.hi`; `metrics.overall.suites` lists the suites its mean covers.
 * Throws LeaderboardError (one line) when the file is missing, not JSON, or of another schema or version, and for a
 * run marked `synthetic: true` (made-up completions, listed among the skipped runs, never as a row).
 */
export function readRun(dir: string, suites: readonly string[]): LeaderboardRow {
  const file = join(dir, "run.json");
  if (!existsSync(file)) throw new LeaderboardError(`${dir}: no run.json`);
  const j = readJson(file, "run record") as {
    schema?: unknown;
    schemaVersion?: unknown;
    model?: unknown;
    backend?: unknown;
    status?: unknown;
    settings?: { samples?: unknown; limit?: unknown };
    metrics?: { suites?: Record<string, RunScores>; overall?: RunScores | null } | null;
  };
  if (j === null || typeof j !== "object") throw new LeaderboardError(`${file} is not a JSON object`);
  if (j.schema !== undefined && j.schema !== "openrs-run") throw new LeaderboardError(`${file} is not an openrs run record (schema ${JSON.stringify(j.schema)})`);
  if (!RUN_SCHEMA_VERSIONS.includes(j.schemaVersion as number)) {
    throw new LeaderboardError(`${file} has schema version ${JSON.stringify(j.schemaVersion)}; this leaderboard reads ${RUN_SCHEMA_VERSIONS.join(", ")}`);
  }
  // Synthetic completions (the shipped example) measure nothing: never a row beside measured results.
  if ((j as { synthetic?: unknown }).synthetic === true) throw new LeaderboardError(`${dir}: synthetic completions, not a model's outputs (never listed among measured runs)`);
  const notes: string[] = [];
  if (typeof j.backend === "string") notes.push(`backend ${j.backend}`);
  if (j.status !== undefined && j.status !== "complete") notes.push("partial run");
  const limit = num(j.settings?.limit);
  if (limit !== null) notes.push(`limit ${limit} problems per suite`);
  if (!j.metrics) notes.push("no metrics yet");
  const suiteMetrics = j.metrics?.suites ?? {};
  // Suites beyond the reference table's (e.g. the project's own arith) are kept: they become extra columns.
  const scores = Object.fromEntries([...new Set([...suites, ...Object.keys(suiteMetrics)])].map((s) => [s, pass1(suiteMetrics[s])]));
  const overall = j.metrics?.overall ?? undefined;
  const covered = Array.isArray(overall?.suites) ? (overall.suites as unknown[]) : [];
  // The paper's average is over its five suites; a mean over other suites would not compare.
  const sameSuites = covered.length === suites.length && suites.every((s) => covered.includes(s));
  return {
    model: typeof j.model === "string" && j.model !== "" ? j.model : basename(dir),
    kind: "local",
    source: `measured here: local run ${basename(dir)}`,
    samplesPerProblem: num(j.settings?.samples),
    scores,
    avg: sameSuites ? pass1(overall) : NO_SCORE,
    notes,
    run: basename(dir),
  };
}

/** Every `<runsDir>/<name>/run.json`, in name order; unreadable runs become warnings, not failures. */
export function loadRuns(runsDir: string, suites: readonly string[]): { rows: LeaderboardRow[]; warnings: string[] } {
  const rows: LeaderboardRow[] = [];
  const warnings: string[] = [];
  if (!existsSync(runsDir)) return { rows, warnings };
  if (!statSync(runsDir).isDirectory()) throw new LeaderboardError(`runs folder is not a directory: ${runsDir}`);
  for (const name of readdirSync(runsDir).sort()) {
    const dir = join(runsDir, name);
    if (!statSync(dir).isDirectory()) continue;
    try {
      rows.push(readRun(dir, suites));
    } catch (e) {
      if (!(e instanceof LeaderboardError)) throw e;
      warnings.push(e.message);
    }
  }
  return { rows, warnings };
}

/**
 * Row names made unique: a local run whose model name another row also has gets its folder in brackets
 * ("my/model (2026-01-02-b)"); any name still repeated gets "#2", "#3".
 */
function distinctNames(rows: LeaderboardRow[]): LeaderboardRow[] {
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.model, (count.get(r.model) ?? 0) + 1);
  const named = rows.map((r) => ((count.get(r.model) ?? 0) > 1 && r.kind === "local" && r.run ? { ...r, model: `${r.model} (${r.run})` } : r));
  const seen = new Map<string, number>();
  return named.map((r) => {
    const k = (seen.get(r.model) ?? 0) + 1;
    seen.set(r.model, k);
    return k > 1 ? { ...r, model: `${r.model} #${k}` } : r;
  });
}

/** Local rows with every score and interval equal to an earlier local row's get a note naming it. */
function noteIdentical(rows: LeaderboardRow[], suites: readonly string[]): LeaderboardRow[] {
  const key = (r: LeaderboardRow): string => JSON.stringify([...suites.map((s) => r.scores[s]), r.avg]);
  const first = new Map<string, string>();
  return rows.map((r) => {
    if (r.kind !== "local" || suites.every((s) => r.scores[s].value === null)) return r;
    const k = key(r);
    const earlier = first.get(k);
    if (earlier === undefined) {
      first.set(k, r.model);
      return r;
    }
    return { ...r, notes: [...r.notes, `same scores as ${earlier}`] };
  });
}

export function buildLeaderboard(referenceFile: string, runsDir: string | null): Leaderboard {
  const ref = loadReference(referenceFile);
  const runs = runsDir === null ? { rows: [], warnings: [] } : loadRuns(runsDir, ref.suites);
  const local = runs.rows.length;
  // The reference table's title alone would claim the page is the paper's table when it also holds local runs.
  const title = local ? `${ref.title}, with ${local} local run${local === 1 ? "" : "s"}` : ref.title;
  // Columns: the reference table's suites, then any other suite a local run scored (the paper's rows show "-" there).
  const extra = [...new Set(runs.rows.flatMap((r) => Object.keys(r.scores).filter((s) => !ref.suites.includes(s) && r.scores[s].value !== null)))].sort();
  const suites = [...ref.suites, ...extra];
  const filled = [...ref.rows, ...runs.rows].map((r) => ({ ...r, scores: Object.fromEntries(suites.map((s) => [s, r.scores[s] ?? NO_SCORE])) }));
  const rows = noteIdentical(distinctNames(filled), suites);
  return { title, suites, rows, warnings: runs.warnings };
}

const suiteName = (id: string): string => (Object.hasOwn(SUITES, id) ? SUITES[id].name : id);

/** `46.7`, or `46.7 [30.0, 63.3]` with an interval, or `-` when not reported. */
export function formatScore(s: Score): string {
  if (s.value === null) return "-";
  return s.ci === null ? s.value.toFixed(1) : `${s.value.toFixed(1)} [${s.ci[0].toFixed(1)}, ${s.ci[1].toFixed(1)}]`;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A GitHub markdown table: one row per model, the paper's first, then local runs; sources as numbered notes. */
export function leaderboardMarkdown(lb: Leaderboard): string {
  const sources: string[] = [];
  const sourceRef = (s: string): number => {
    let i = sources.indexOf(s);
    if (i < 0) i = sources.push(s) - 1;
    return i + 1;
  };
  const head = ["Model", "Source", "Samples", ...lb.suites.map(suiteName), "Avg"];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`];
  for (const r of lb.rows) {
    const source = `${r.kind === "paper" ? "paper" : "local"} [${sourceRef(r.source)}]${r.notes.length ? ` (${r.notes.join("; ")})` : ""}`;
    const cells = [r.model, source, r.samplesPerProblem === null ? "-" : String(r.samplesPerProblem), ...lb.suites.map((s) => formatScore(r.scores[s])), formatScore(r.avg)];
    lines.push(`| ${cells.map(mdCell).join(" | ")} |`);
  }
  const notes = sources.map((s, i) => `[${i + 1}] ${s}`);
  return [
    `### ${lb.title}`,
    "",
    ...lines,
    "",
    "Scores are zero-shot pass@1 in percent; `-` = not reported. Brackets after a local score give its 95 % interval " +
      "(problem-level bootstrap, from run.json). Paper rows carry no interval: the paper reports none. With one sample per " +
      "problem, AIME24's 30 problems make a single run's score uncertain by about ±16 points (95 %).",
    "",
    ...notes.flatMap((n) => [n, ""]),
  ]
    .join("\n")
    .replace(/\n+$/, "\n");
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const PAPER_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#d95f02"];
/** Local runs get strong colours of their own, so they stand out from the paper's rows. */
const LOCAL_COLOURS = ["#000000", "#c00000", "#0050c8", "#007a00", "#8000a0"];

/** A distinct colour per row (paper rows and local runs from separate palettes, then evenly spaced hues). */
function colours(rows: readonly LeaderboardRow[]): string[] {
  const seen = { paper: 0, local: 0 };
  return rows.map((r) => {
    const i = seen[r.kind]++;
    const palette = r.kind === "paper" ? PAPER_COLOURS : LOCAL_COLOURS;
    return i < palette.length ? palette[i] : `hsl(${Math.round((i * 137.5) % 360)} 65% ${r.kind === "paper" ? 55 : 30}%)`;
  });
}

/** The inline SVG: one column per suite (and Avg), a dot per model, interval whiskers for local runs. */
export function leaderboardSvg(lb: Leaderboard): string {
  const cols = [...lb.suites.map(suiteName), "Avg"];
  // Each row has its own x slot in a column, at least SLOT px apart, so identical scores sit side by side.
  const SLOT = 14;
  const W = Math.max(980, 70 + cols.length * (lb.rows.length + 1) * SLOT);
  const H = 440;
  const left = 50;
  const right = 20;
  const top = 20;
  const bottom = 40;
  const colW = (W - left - right) / cols.length;
  const y = (v: number) => top + (H - top - bottom) * (1 - v / 100);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="pass@1 per suite">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
  ];
  for (let v = 0; v <= 100; v += 20) {
    parts.push(
      `<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#555">${v}</text>`,
    );
  }
  cols.forEach((c, ci) => {
    const x0 = left + ci * colW;
    if (ci > 0) parts.push(`<line x1="${x0}" x2="${x0}" y1="${top}" y2="${H - bottom}" stroke="#ccc"/>`);
    parts.push(`<text x="${x0 + colW / 2}" y="${H - bottom + 18}" text-anchor="middle" font-size="12" fill="#222">${esc(c)}</text>`);
  });
  const n = lb.rows.length;
  const colour = colours(lb.rows);
  lb.rows.forEach((r, ri) => {
    const scores = [...lb.suites.map((s) => r.scores[s]), r.avg];
    scores.forEach((s, ci) => {
      if (s.value === null) return;
      const x = left + ci * colW + (colW * (ri + 1)) / (n + 1);
      const title = `<title>${esc(`${r.model} — ${cols[ci]}: ${formatScore(s)}`)}</title>`;
      if (s.ci !== null) parts.push(`<line x1="${x}" x2="${x}" y1="${y(s.ci[0])}" y2="${y(s.ci[1])}" stroke="${colour[ri]}" stroke-width="1.5"/>`);
      parts.push(
        r.kind === "paper"
          ? `<circle cx="${x.toFixed(1)}" cy="${y(s.value).toFixed(1)}" r="4" fill="${colour[ri]}">${title}</circle>`
          : `<rect x="${(x - 4).toFixed(1)}" y="${(y(s.value) - 4).toFixed(1)}" width="8" height="8" fill="${colour[ri]}" stroke="#000" stroke-width="0.8">${title}</rect>`,
      );
    });
  });
  parts.push(`<text x="12" y="${(top + H - bottom) / 2}" font-size="12" fill="#222" transform="rotate(-90 12 ${(top + H - bottom) / 2})" text-anchor="middle">pass@1 (%)</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}

/** One self-contained HTML page (no external assets): the plot, a legend, the table and the sources. */
export function leaderboardHtml(lb: Leaderboard): string {
  const sources: string[] = [];
  const ref = (s: string) => (sources.includes(s) ? sources.indexOf(s) : sources.push(s) - 1) + 1;
  const colour = colours(lb.rows);
  const head = ["", "Model", "Source", "Samples", ...lb.suites.map(suiteName), "Avg"].map((h) => `<th>${esc(h)}</th>`).join("");
  const body = lb.rows
    .map((r, i) => {
      const swatch = `<span class="sw ${r.kind}" style="background:${colour[i]}"></span>`;
      const source = `${r.kind === "paper" ? "paper" : "local"} [${ref(r.source)}]${r.notes.length ? ` (${r.notes.join("; ")})` : ""}`;
      const cells = [r.model, source, r.samplesPerProblem === null ? "-" : String(r.samplesPerProblem), ...lb.suites.map((s) => formatScore(r.scores[s])), formatScore(r.avg)];
      return `<tr class="${r.kind}"><td>${swatch}</td>${cells.map((c, ci) => `<td${ci >= 2 ? ' class="num"' : ""}>${esc(c)}</td>`).join("")}</tr>`;
    })
    .join("\n");
  const notes = sources.map((s, i) => `<li value="${i + 1}">${esc(s)}</li>`).join("\n");
  const warnings = lb.warnings.length ? `<p class="warn">Runs not shown: ${lb.warnings.map(esc).join("; ")}</p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(lb.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.local { background: #f6f9ff; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%; }
.sw.local { border-radius: 0; outline: 1px solid #000; }
.warn { color: #a00; }
</style>
</head>
<body>
<h1>${esc(lb.title)}</h1>
<p>Zero-shot pass@1 (%) per suite. Circles: reported by the paper (no interval reported). Squares: local runs, with
their 95 % interval (problem-level bootstrap) as a whisker. With one sample per problem, AIME24's 30 problems make a
single run uncertain by about ±16 points.</p>
${leaderboardSvg(lb)}
<table>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
<ol class="sources">
${notes}
</ol>
${warnings}
</body>
</html>
`;
}
