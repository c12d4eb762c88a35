// One self-contained HTML page for a run (or two, compared): settings, pass@1 per suite with intervals, per-group
// scores over the suites' metadata, failure-mode rates, completion-length histograms, and a browsable per-problem
// table (client.ts). Inline CSS, SVG and script only: the page loads nothing from anywhere.
import type { Comparison } from "../runner/compare.js";
import { VERDICT_RULE } from "../runner/compare.js";
import { pct, pValue } from "../runner/report.js";
import { CLIENT_SCRIPT } from "./client.js";
import type { IntervalScore, RunReport, SuiteReport } from "./collect.js";
import { esc, type IntervalPoint, intervalChart, lengthHistogram, RUN_COLOURS } from "./svg.js";

const CSS = `
:root { --fg: #1a202c; --muted: #4a5568; --line: #e2e8f0; --right: #2f855a; --wrong: #c53030; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f7fafc; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 60px; background: #fff; min-height: 100vh; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.note, .note { color: var(--muted); font-size: 13px; max-width: 100ch; }
.warn { color: #9c4221; background: #fffaf0; border-left: 3px solid #dd6b20; padding: 6px 10px; font-size: 13px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f7fafc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; font-size: 13px; }
dl.settings dt { color: var(--muted); }
dl.settings dd { margin: 0; overflow-wrap: anywhere; }
.runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px 28px; }
.bar { height: 10px; background: #edf2f7; width: 160px; position: relative; border-radius: 2px; }
.bar span { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 2px; }
.grid { display: flex; flex-wrap: wrap; gap: 10px 24px; }
.verdict-higher { color: var(--right); font-weight: 600; }
.verdict-lower { color: var(--wrong); font-weight: 600; }
.verdict-disagree { color: #9c4221; font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 8px 0; position: sticky; top: 0; background: #fff; padding: 6px 0; z-index: 1; }
.controls input[type=search] { width: 260px; padding: 3px 6px; }
table.problems { width: 100%; table-layout: fixed; }
table.problems col.pid { width: 170px; }
table.problems col.gold { width: 140px; }
table.problems col.samples { width: 360px; }
table.problems td.gold { word-break: break-word; }
table.problems td.question { white-space: pre-wrap; word-break: break-word; }
.pid .suite { font-size: 12px; color: var(--muted); }
.pid .id { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.chip { display: inline-block; font-size: 11px; background: #edf2f7; border-radius: 3px; padding: 0 5px; margin: 2px 3px 0 0; }
.run-samples { display: flex; flex-wrap: wrap; gap: 3px; align-items: center; margin: 1px 0; }
.run-label { font-weight: 600; color: var(--muted); width: 16px; }
button.sample { font: inherit; font-size: 12px; border: 1px solid var(--line); border-left: 3px solid var(--line); background: #fff; border-radius: 3px; padding: 0 5px; cursor: pointer; }
button.sample.right { border-left-color: var(--right); }
button.sample.wrong { border-left-color: var(--wrong); background: #fff5f5; }
button.sample.open { outline: 2px solid #2b6cb0; }
.sample .mark { font-weight: 700; margin-right: 3px; }
.sample.right .mark { color: var(--right); }
.sample.wrong .mark { color: var(--wrong); }
.sample .ans { word-break: break-all; }
.sample .tags { font-size: 11px; color: #9c4221; margin-left: 4px; }
tr.detail td { background: #f7fafc; }
tr.detail .meta { font-size: 12px; color: var(--muted); margin: 2px 0 4px; }
pre.completion { white-space: pre-wrap; word-break: break-word; max-height: 420px; overflow: auto; background: #f7fafc; border: 1px solid var(--line); padding: 8px; font-size: 12px; }
.question details summary { cursor: pointer; }
`;

function fmtInterval(s: IntervalScore): string {
  if (s.caveat && s.problems < 10) return "(too few)";
  return `[${pct(s.lo)}, ${pct(s.hi)}]${s.caveat ? "†" : ""}`;
}

function rate(count: number, of: number): string {
  return of > 0 ? `${((100 * count) / of).toFixed(1)}% (${count})` : "-";
}

function td(text: string, cls = "", title?: string): string {
  return `<td${cls ? ` class="${cls}"` : ""}${title ? ` title="${esc(title)}"` : ""}>${esc(text)}</td>`;
}

function th(text: string, num = false): string {
  return `<th${num ? ' class="num"' : ""}>${esc(text)}</th>`;
}

function settingsList(r: RunReport): string {
  const m = r.manifest;
  const s = m.settings;
  const items: [string, string][] = [
    ["model", m.model],
    ["run directory", r.dir],
    ["backend", m.backend],
    ["status", m.status],
    ["samples per problem", String(s.samples)],
    ["sampling", `temperature ${s.sampling.temperature}, top-p ${s.sampling.topP}, max new tokens ${s.sampling.maxNewTokens}, seed ${s.sampling.seed}`],
    ["problems", s.limit ? `first ${s.limit} of each suite` : "all"],
    ["prompt format", m.promptFormat],
    ["grader", m.grader.version],
    ["git", `${m.git.commit ?? "unknown"}${m.git.dirty ? " (dirty)" : ""}`],
    ["time", `${m.timings.seconds.toFixed(1)} s wall-clock; started ${m.timings.started || "?"}, updated ${m.timings.updated || "?"}`],
  ];
  return `<dl class="settings">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
}

function caveatNotes(runs: readonly RunReport[]): string {
  const lines: string[] = [];
  for (const r of runs) {
    for (const s of r.suites) if (s.pass1.caveat) lines.push(`${runs.length > 1 ? `${r.manifest.model}, ` : ""}${s.name}: ${s.pass1.caveat}.`);
  }
  return lines.map((l) => `<p class="note">† ${esc(l)}</p>`).join("");
}

function suiteTable(r: RunReport): string {
  const extras = [...new Set(r.suites.flatMap((s) => s.extras.map((e) => e.label)))];
  const head = `<tr>${th("Suite")}${th("Problems", true)}${th("n", true)}${th("pass@1", true)}${th("95% CI", true)}${th("SE", true)}${extras.map((e) => th(e, true)).join("")}</tr>`;
  const rows = r.suites.map(
    (s) =>
      `<tr>${td(s.name)}${td(String(s.pass1.problems), "num")}${td(String(s.n), "num")}${td(pct(s.pass1.value), "num")}${td(fmtInterval(s.pass1), "num", s.pass1.caveat ?? undefined)}${td(`±${pct(s.se)}`, "num")}${extras
        .map((e) => td(pct(s.extras.find((x) => x.label === e)?.value), "num"))
        .join("")}</tr>`,
  );
  if (r.overall) rows.push(`<tr>${td("Avg.", "", "plain mean over suites")}${td(String(r.overall.problems), "num")}${td("", "num")}${td(pct(r.overall.value), "num")}${td(fmtInterval(r.overall), "num")}${td("", "num")}${extras.map(() => td("")).join("")}</tr>`);
  return `<table>${head}${rows.join("")}</table>`;
}

function verdictClass(v: string): string {
  return v === "B higher" ? "verdict-higher" : v === "B lower" ? "verdict-lower" : v === "tests disagree" ? "verdict-disagree" : "";
}

function comparisonTable(c: Comparison): string {
  const signed = (v: number): string => `${v > 0 ? "+" : ""}${pct(v)}`;
  const head = `<tr>${th("Suite")}${th("Problems (paired)", true)}${th("A", true)}${th("B", true)}${th("B − A", true)}${th("95% CI (paired bootstrap)", true)}${th("Verdict's test")}${th("Verdict")}</tr>`;
  const rows = c.suites.map(
    (s) =>
      `<tr>${td(s.name)}${td(String(s.problems), "num")}${td(pct(s.a), "num")}${td(pct(s.b), "num")}${td(signed(s.diff), "num")}${td(
        s.intervalNote ? "(too few)" : `[${signed(s.bootstrap.lo)}, ${signed(s.bootstrap.hi)}]`,
        "num",
      )}${td(`${s.test === "mcnemar" ? "McNemar" : "bootstrap"} ${pValue(s.p)}`)}${td(s.verdict, verdictClass(s.verdict))}</tr>`,
  );
  if (c.overall) {
    const o = c.overall;
    rows.push(`<tr>${td("Avg.")}${td("", "num")}${td(pct(o.a), "num")}${td(pct(o.b), "num")}${td(signed(o.diff), "num")}${td(`[${signed(o.lo)}, ${signed(o.hi)}]`, "num")}${td(`bootstrap ${pValue(o.p)}`)}${td(o.verdict, verdictClass(o.verdict))}</tr>`);
  }
  const notes = [
    `<p class="note">${esc(VERDICT_RULE)}</p>`,
    ...c.suites.filter((s) => s.disagreement).map((s) => `<p class="warn">${esc(`${s.name}: the tests disagree. ${s.disagreement}`)}</p>`),
    ...c.suites.filter((s) => s.intervalNote).map((s) => `<p class="note">${esc(`${s.name}: ${s.intervalNote}.`)}</p>`),
    ...(c.warnings.length
      ? [`<div class="warn">The runs differ in settings that change scores, so a difference may come from them and not the models:<ul>${c.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`]
      : []),
  ];
  return `<table>${head}${rows.join("")}</table>${notes.join("")}`;
}

function chart(runs: readonly RunReport[]): string {
  const ids = [...new Set(runs.flatMap((r) => r.suites.map((s) => s.id)))];
  const rows: IntervalPoint[] = ids.map((id) => {
    const name = runs.map((r) => r.suites.find((s) => s.id === id)?.name).find((n) => n) ?? id;
    return {
      label: name,
      points: runs.map((r) => {
        const s = r.suites.find((x) => x.id === id);
        return s ? { value: 100 * s.pass1.value, lo: 100 * s.pass1.lo, hi: 100 * s.pass1.hi, weak: s.pass1.problems < 10 } : null;
      }),
    };
  });
  return intervalChart(rows, runs.map((r, i) => `${runs.length > 1 ? `${"AB"[i]}: ` : ""}${r.manifest.model}`));
}

function bar(v: number, colour: string): string {
  return `<div class="bar"><span style="width:${(100 * v).toFixed(1)}%;background:${colour}"></span></div>`;
}

function breakdownSection(runs: readonly RunReport[]): string {
  const parts: string[] = [];
  const ids = [...new Set(runs.flatMap((r) => r.suites.filter((s) => s.breakdown.length).map((s) => s.id)))];
  for (const id of ids) {
    const per = runs.map((r) => r.suites.find((s) => s.id === id));
    const first = per.find((s): s is SuiteReport => Boolean(s))!;
    const tables: string[] = [];
    for (const f of first.breakdown) {
      const labels = [...new Set(per.flatMap((s) => s?.breakdown.find((b) => b.field === f.field)?.groups.map((g) => g.label) ?? []))];
      const head = `<tr>${th(f.field)}${th("Problems", true)}${runs.map((_, i) => `${th(runs.length > 1 ? `${"AB"[i]} pass@1` : "pass@1", true)}${th("95% CI", true)}${th("")}`).join("")}</tr>`;
      const body = labels.map((label) => {
        const groups = per.map((s) => s?.breakdown.find((b) => b.field === f.field)?.groups.find((g) => g.label === label));
        const problems = groups.find((g) => g)?.problems ?? 0;
        return `<tr>${td(label)}${td(String(problems), "num")}${groups
          .map((g, i) => (g ? `${td(pct(g.value), "num")}${td(fmtInterval(g), "num", g.caveat ?? undefined)}<td>${bar(g.value, RUN_COLOURS[i])}</td>` : `${td("-", "num")}${td("")}${td("")}`))
          .join("")}</tr>`;
      });
      tables.push(`<div><table>${head}${body.join("")}</table></div>`);
    }
    parts.push(`<h3>${esc(first.name)}</h3><div class="grid">${tables.join("")}</div>`);
  }
  if (parts.length === 0) return `<p class="note">No suite in this run declares metadata to break scores down by (MATH-500: level and subject; OlympiadBench: subfield and answer type; Minerva: course).</p>`;
  return `${parts.join("")}<p class="note">pass@1 per group with a 95% problem-level bootstrap interval. (too few): under 10 problems, no interval is meaningful; †: every problem of the group scored the same, so the interval has no width.</p>`;
}

function failureSection(runs: readonly RunReport[]): string {
  const head = `<tr>${runs.length > 1 ? th("Run") : ""}${th("Suite")}${th("Samples", true)}${th("no answer", true)}${th("truncated (token limit)", true)}${th("has </think>", true)}${th("language drift", true)}${th("mean tokens", true)}</tr>`;
  const rows: string[] = [];
  runs.forEach((r, i) => {
    for (const s of r.suites) {
      rows.push(
        `<tr>${runs.length > 1 ? td("AB"[i]) : ""}${td(s.name)}${td(String(s.samples), "num")}${td(rate(s.counts.noAnswer, s.samples), "num")}${td(rate(s.counts.truncated, s.samples), "num")}${td(rate(s.counts.think, s.samples), "num")}${td(rate(s.counts.drift, s.samples), "num")}${td(s.meanTokens === null ? "-" : s.meanTokens.toFixed(0), "num")}</tr>`,
      );
    }
  });
  return `<table>${head}${rows.join("")}</table><p class="note">Share of samples, count in brackets. Language drift: the prose (outside maths and code) is mostly in a non-Latin script.</p>`;
}

function lengthSection(runs: readonly RunReport[]): string {
  const blocks: string[] = [];
  runs.forEach((r, i) => {
    const limit = r.lengthUnit === "tokens" ? r.manifest.settings.sampling.maxNewTokens : null;
    const charts = r.suites.map((s) => lengthHistogram(`${runs.length > 1 ? `${"AB"[i]}: ` : ""}${s.name}`, s.lengths, r.lengthUnit, limit));
    blocks.push(`<div class="grid">${charts.join("")}</div>`);
  });
  return blocks.join("");
}

/** The per-problem data the client script renders (short keys: the page carries one entry per sample). */
function problemData(runs: readonly RunReport[]): unknown {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const k of r.problems.keys()) {
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const order = new Map(runs[0].manifest.suites.map((s, i) => [s.id, i]));
  keys.sort((a, b) => {
    const [sa, ia] = a.split("\u0000");
    const [sb, ib] = b.split("\u0000");
    return (order.get(sa) ?? 99) - (order.get(sb) ?? 99) || (ia < ib ? -1 : ia > ib ? 1 : 0);
  });
  const problems = keys.map((k) => {
    const ps = runs.map((r) => r.problems.get(k));
    const p = ps.find((x) => x)!;
    return {
      s: p.suite,
      id: p.id,
      q: p.question,
      g: p.gold,
      m: p.meta,
      r: ps.map((x) =>
        (x?.samples ?? []).map((s) => ({ i: s.sample, c: s.correct, x: s.extracted, why: s.reason, f: s.finish, t: s.tokens, th: s.think, d: s.drift, txt: s.completion, ln: s.line })),
      ),
    };
  });
  const suites: Record<string, string> = {};
  for (const r of runs) for (const s of r.manifest.suites) suites[s.id] = s.name;
  return { runs: runs.map((r, i) => ({ model: r.manifest.model, short: runs.length > 1 ? "AB"[i] : "" })), suites, problems };
}

/** JSON that is safe inside a <script> element (no "</script>", no "<!--"). */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** The whole page for a run, or for run A compared with run B (`comparison` from compareRuns(A, B)). */
export function reportHtml(a: RunReport, b: RunReport | null = null, comparison: Comparison | null = null): string {
  const runs = b ? [a, b] : [a];
  const title = b ? `openrs report: ${a.manifest.model} vs ${b.manifest.model}` : `openrs report: ${a.manifest.model}`;
  const notes = runs.flatMap((r) => r.notes.map((n) => `<p class="warn">${esc(n)}</p>`));
  const clipped = runs.reduce((acc, r) => acc + r.clipped, 0);
  const suiteOptions = [...new Map(runs.flatMap((r) => r.manifest.suites.map((s) => [s.id, s.name] as const))).entries()]
    .map(([id, name]) => `<option value="${esc(id)}">${esc(name)}</option>`)
    .join("");
  const filters: [string, string][] = [
    ["all", "all problems"],
    ["wrong", "a sample is wrong"],
    ["allwrong", "every sample wrong"],
    ["disagree", "samples disagree (answer or verdict)"],
    ["noanswer", "no answer extracted"],
    ["truncated", "truncated at the token limit"],
    ["drift", "language drift"],
    ...(b ? [["runsdiffer", "A and B score differently"] as [string, string]] : []),
  ];
  const scores = b && comparison
    ? `${comparisonTable(comparison)}${runs.map((r, i) => `<h3>${"AB"[i]}: ${esc(r.manifest.model)}</h3>${suiteTable(r)}`).join("")}`
    : suiteTable(a);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p class="note">Written by <code>openrs-eval report</code> from run.json and samples.jsonl${b ? " of both runs" : ""}. Self-contained: nothing on this page loads from the network.</p>
${notes.join("\n")}
<div class="runs">${runs.map((r, i) => `<div>${b ? `<h3>${"AB"[i]}</h3>` : ""}${settingsList(r)}</div>`).join("")}</div>
<h2 id="scores">pass@1 by suite</h2>
${scores}
${chart(runs)}
<p class="note">pass@1 in %: the mean over samples, per problem, averaged over problems; Avg.: the plain mean over suites. 95% CI: percentile interval of a seeded problem-level bootstrap; SE: standard error clustered by problem. Hollow dots: too few problems for an interval.</p>
${caveatNotes(runs)}
<h2 id="breakdown">By problem metadata</h2>
${breakdownSection(runs)}
<h2 id="failures">Failure modes</h2>
${failureSection(runs)}
<h2 id="lengths">Completion lengths, right vs wrong</h2>
${lengthSection(runs)}
<h2 id="problems">Problems</h2>
<div class="controls">
<label>show <select id="filter">${filters.map(([v, l]) => `<option value="${v}">${esc(l)}</option>`).join("")}</select></label>
<label>suite <select id="suite"><option value="">all suites</option>${suiteOptions}</select></label>
<input type="search" id="search" placeholder="search id, question, gold, answers">
<button id="page-prev" type="button">◀ previous</button><button id="page-next" type="button">next ▶</button>
<span id="problem-count" class="note"></span>
</div>
<p class="note">Each button is one sample: ✓/✗ and the extracted answer; click it to read the completion.${clipped ? ` ${clipped} long completion(s) have their middle cut to keep the page small (the cut says where the full text is).` : ""}</p>
<table class="problems">
<colgroup><col class="pid"><col><col class="gold"><col class="samples"></colgroup>
<thead><tr><th>Problem</th><th>Question</th><th>Gold</th><th>Samples: verdict and extracted answer</th></tr></thead>
<tbody id="problem-rows"></tbody>
</table>
</main>
<script type="application/json" id="report-data">${scriptJson(problemData(runs))}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

