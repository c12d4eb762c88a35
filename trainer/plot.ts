// Training curves as one self-contained SVG (no script, no external font or stylesheet): a panel per logged metric
// against step, loss first, every run of a comparison overlaid in its own colour. Opens in any browser and embeds in
// markdown with ![](metrics.svg). Written by hand: chart libraries either need a DOM to render server-side or are far
// larger than the ~150 lines a few polylines take.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface PlotRun {
  label: string;
  /** metrics.jsonl records: `step` plus any numeric fields. */
  records: Record<string, unknown>[];
}

/** Fields that are not worth a panel (the x axis itself, bookkeeping). */
const SKIP = new Set(["step", "epoch", "elapsed_s"]);
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const PANEL_W = 420;
const PANEL_H = 240;
const PAD = { left: 62, right: 14, top: 28, bottom: 34 };

/** Reads DIR/metrics.jsonl (a torn last line from a kill is skipped); one-line error when missing or empty. */
export function readMetrics(dir: string): PlotRun {
  const file = join(dir, "metrics.jsonl");
  if (!existsSync(file)) throw new Error(`${file} not found`);
  const records: Record<string, unknown>[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line);
      if (r && typeof r === "object" && typeof r.step === "number") records.push(r);
    } catch {
      // torn line
    }
  }
  if (!records.length) throw new Error(`${file} has no metric lines`);
  return { label: dir, records };
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (x: number): string => (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(1) : String(Number(x.toPrecision(4))));

/** About `n` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (lo === hi) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** An interval around the points ([x, lo, hi]), drawn as a shaded band: from `<metric>/lo` and `<metric>/hi`. */
  band?: [number, number, number][];
}

/** Interval bounds ride along as `<metric>/lo` and `<metric>/hi`: a band on the metric's panel, not panels of their own. */
const isBound = (k: string): boolean => k.endsWith("/lo") || k.endsWith("/hi");

/**
 * A GRPO run logs dozens of fields; its panels are the paper's Figures 2-5 (reward per function, accuracy, completion
 * length, KL, held-out pass@1) plus the few that diagnose a run. Any other run keeps one panel per field.
 */
const GRPO_PANELS = [
  "reward",
  "accuracy",
  "format_rate",
  "completions/mean_length",
  "completions/clipped_ratio",
  "kl",
  "entropy",
  "eval/pass@1",
  "loss",
  "grad_norm",
  "lr",
  "clip_ratio/region_mean",
];
const isGrpoPanel = (k: string): boolean => GRPO_PANELS.includes(k) || /^rewards\/[^/]+\/mean$/.test(k);

function panel(metric: string, series: Series[], x0: number, y0: number): string {
  const all = series.flatMap((s) => [...s.points, ...(s.band ?? []).flatMap(([x, l, h]): [number, number][] => [[x, l], [x, h]])]);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [xmin, xmax] = [Math.min(...xs), Math.max(...xs)];
  let [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  // a metric spanning two decades or more (a loss going from ln V to ~0) reads better on a log axis
  const log = ymin > 0 && ymax / ymin >= 100;
  const f = (y: number) => (log ? Math.log10(y) : y);
  let [lo, hi] = [f(ymin), f(ymax)];
  if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  if (!log) [ymin, ymax] = [lo, hi];
  const w = PANEL_W - PAD.left - PAD.right;
  const h = PANEL_H - PAD.top - PAD.bottom;
  const sx = (x: number) => x0 + PAD.left + (xmax === xmin ? w / 2 : ((x - xmin) / (xmax - xmin)) * w);
  const sy = (y: number) => y0 + PAD.top + h - ((f(y) - lo) / (hi - lo)) * h;
  const parts: string[] = [];
  parts.push(`<g class="panel" data-metric="${esc(metric)}">`);
  parts.push(`<text x="${x0 + PAD.left}" y="${y0 + 18}" font-size="13" font-weight="bold">${esc(metric)}${log ? " (log scale)" : ""}</text>`);
  parts.push(`<rect x="${x0 + PAD.left}" y="${y0 + PAD.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  const yt = log
    ? Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => 10 ** (Math.ceil(lo) + i))
    : niceTicks(ymin, ymax);
  for (const t of yt) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${x0 + PAD.left}" x2="${x0 + PAD.left + w}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + PAD.left - 4}" y="${y}" font-size="10" text-anchor="end" dominant-baseline="middle">${num(t)}</text>`);
  }
  for (const t of niceTicks(xmin, xmax).filter((t) => Number.isInteger(t))) {
    const x = sx(t).toFixed(1);
    parts.push(`<text x="${x}" y="${y0 + PAD.top + h + 14}" font-size="10" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<text x="${x0 + PAD.left + w / 2}" y="${y0 + PANEL_H - 4}" font-size="10" text-anchor="middle">step</text>`);
  for (const s of series) {
    if (s.band?.length) {
      const upper = s.band.map(([x, , h]) => `${sx(x).toFixed(1)},${sy(h).toFixed(1)}`);
      const lower = s.band.map(([x, l]) => `${sx(x).toFixed(1)},${sy(l).toFixed(1)}`).reverse();
      parts.push(`<polygon class="band" data-run="${esc(s.label)}" points="${[...upper, ...lower].join(" ")}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    }
    if (!s.points.length) continue;
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
    if (s.points.length === 1) parts.push(`<circle cx="${pts.split(",")[0]}" cy="${pts.split(",")[1]}" r="2.5" fill="${s.color}"/>`);
    else parts.push(`<polyline data-run="${esc(s.label)}" points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
  }
  parts.push("</g>");
  return parts.join("\n");
}

/** The SVG text: a grid of panels (two columns), a legend naming each run when there are several. */
export function plotSvg(runs: readonly PlotRun[], title = "training metrics"): string {
  if (!runs.length) throw new Error("plot: no runs");
  const metrics: string[] = [];
  for (const r of runs)
    for (const rec of r.records)
      for (const [k, v] of Object.entries(rec)) if (!SKIP.has(k) && !isBound(k) && typeof v === "number" && Number.isFinite(v) && !metrics.includes(k)) metrics.push(k);
  const grpo = runs.some((r) => r.records.some((rec) => typeof rec.reward === "number" && "kl" in rec));
  if (grpo) {
    const keep = metrics.filter(isGrpoPanel);
    const rank = (k: string) => (k.startsWith("rewards/") ? 0.5 : GRPO_PANELS.indexOf(k));
    metrics.splice(0, metrics.length, ...keep.sort((a, b) => rank(a) - rank(b)));
  } else metrics.sort((a, b) => (a === "loss" ? -1 : b === "loss" ? 1 : 0));
  if (!metrics.length) throw new Error("plot: the metrics hold no numeric field besides step");
  const cols = Math.min(2, metrics.length);
  const legendH = runs.length > 1 ? 18 * runs.length + 8 : 0;
  const width = cols * PANEL_W;
  const height = 30 + legendH + Math.ceil(metrics.length / cols) * PANEL_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  runs.forEach((r, i) => {
    if (runs.length < 2) return;
    const y = 34 + 18 * i;
    out.push(`<line x1="14" x2="38" y1="${y}" y2="${y}" stroke="${COLORS[i % COLORS.length]}" stroke-width="3"/>`);
    out.push(`<text x="44" y="${y}" font-size="11" dominant-baseline="middle">${esc(r.label)}</text>`);
  });
  metrics.forEach((metric, i) => {
    const series: Series[] = runs.map((r, j) => ({
      label: r.label,
      color: COLORS[j % COLORS.length],
      points: r.records
        .filter((rec) => typeof rec[metric] === "number" && Number.isFinite(rec[metric]))
        .map((rec): [number, number] => [rec.step as number, rec[metric] as number]),
      band: r.records
        .filter((rec) => typeof rec[`${metric}/lo`] === "number" && typeof rec[`${metric}/hi`] === "number")
        .map((rec): [number, number, number] => [rec.step as number, rec[`${metric}/lo`] as number, rec[`${metric}/hi`] as number]),
    }));
    out.push(panel(metric, series, (i % cols) * PANEL_W, 30 + legendH + Math.floor(i / cols) * PANEL_H));
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
