// The report's two charts as inline SVG strings (no library, no network): scores with interval whiskers, and a
// histogram of completion lengths for right and wrong samples.

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export const RUN_COLOURS = ["#2b6cb0", "#dd6b20"];
export const RIGHT = "#2f855a";
export const WRONG = "#c53030";

export interface IntervalPoint {
  /** Row label (suite). */
  label: string;
  /** One entry per run, in percent; null when the run has no score there. */
  points: ({ value: number; lo: number; hi: number; weak: boolean } | null)[];
}

/** Horizontal dot-and-whisker chart over 0–100 %, one row per label, one dot per run (whiskers: 95 % interval). */
export function intervalChart(rows: readonly IntervalPoint[], runLabels: readonly string[]): string {
  const W = 760;
  const left = 130;
  const right = 20;
  const rowH = 18 * Math.max(1, runLabels.length) + 12;
  // One legend line per run (model names are long), then the rows.
  const top = 10 + 18 * runLabels.length;
  const H = top + rows.length * rowH + 30;
  const x = (v: number): number => left + ((W - left - right) * Math.max(0, Math.min(100, v))) / 100;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="pass@1 per suite with 95% intervals">`];
  for (let v = 0; v <= 100; v += 10) {
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${top - 6}" y2="${H - 24}" stroke="${v % 50 === 0 ? "#cbd5e0" : "#edf2f7"}"/>`);
    out.push(`<text x="${x(v)}" y="${H - 8}" font-size="11" text-anchor="middle" fill="#4a5568">${v}</text>`);
  }
  runLabels.forEach((l, i) => {
    out.push(`<rect x="${left}" y="${4 + 18 * i}" width="10" height="10" fill="${RUN_COLOURS[i]}"/>`);
    out.push(`<text x="${left + 15}" y="${13 + 18 * i}" font-size="12" fill="#2d3748">${esc(l)}</text>`);
  });
  rows.forEach((r, ri) => {
    const y0 = top + ri * rowH;
    out.push(`<text x="${left - 10}" y="${y0 + rowH / 2 + 4}" font-size="13" text-anchor="end" fill="#1a202c">${esc(r.label)}</text>`);
    r.points.forEach((p, i) => {
      if (!p) return;
      const y = y0 + 10 + i * 18;
      const c = RUN_COLOURS[i];
      const title = `<title>${esc(`${runLabels[i]} — ${r.label}: ${p.value.toFixed(1)} [${p.lo.toFixed(1)}, ${p.hi.toFixed(1)}]${p.weak ? " (interval not meaningful)" : ""}`)}</title>`;
      if (!p.weak) out.push(`<line x1="${x(p.lo)}" x2="${x(p.hi)}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="2"/>`);
      out.push(`<circle cx="${x(p.value).toFixed(1)}" cy="${y}" r="5" fill="${p.weak ? "#fff" : c}" stroke="${c}" stroke-width="2">${title}</circle>`);
      out.push(`<text x="${(x(p.weak ? p.value : p.hi) + 8).toFixed(1)}" y="${y + 4}" font-size="11" fill="#4a5568">${p.value.toFixed(1)}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("");
}

/** Bin edges for lengths up to `max`: `bins` equal bins starting at 0 (the last one closed). */
function binOf(v: number, max: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor((v / max) * bins)));
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Histogram of completion lengths: right samples (green) and wrong (red) side by side per bin, on one axis from 0
 * to the longest sample — or to `limit` (the token limit) when samples come near it, so truncated ones pile up in
 * the last bin.
 */
export function lengthHistogram(title: string, lengths: { correct: readonly number[]; wrong: readonly number[] }, unit: string, limit: number | null): string {
  const W = 360;
  const H = 200;
  const left = 40;
  const right = 24;
  const top = 30;
  const bottom = 34;
  const bins = 20;
  const all = [...lengths.correct, ...lengths.wrong];
  const longest = Math.max(1, ...all);
  const max = limit !== null && longest >= 0.9 * limit ? Math.max(limit, longest) : longest;
  const count = (xs: readonly number[]): number[] => {
    const c = new Array<number>(bins).fill(0);
    for (const v of xs) c[binOf(v, max, bins)]++;
    return c;
  };
  const right_ = count(lengths.correct);
  const wrong_ = count(lengths.wrong);
  const peak = Math.max(1, ...right_, ...wrong_);
  const bw = (W - left - right) / bins;
  const y = (c: number): number => top + (H - top - bottom) * (1 - c / peak);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`];
  out.push(`<text x="${left}" y="14" font-size="13" font-weight="600" fill="#1a202c">${esc(title)}</text>`);
  const mr = median(lengths.correct);
  const mw = median(lengths.wrong);
  const fmt = (v: number | null): string => (v === null ? "-" : Math.round(v).toLocaleString("en-US"));
  out.push(
    `<text x="${left}" y="26" font-size="10" fill="#4a5568"><tspan fill="${RIGHT}">■ right ${lengths.correct.length} (median ${fmt(mr)})</tspan>  <tspan fill="${WRONG}">■ wrong ${lengths.wrong.length} (median ${fmt(mw)})</tspan></text>`,
  );
  out.push(`<line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#a0aec0"/>`);
  out.push(`<text x="${left - 4}" y="${top + 4}" font-size="10" text-anchor="end" fill="#4a5568">${peak}</text>`);
  out.push(`<text x="${left - 4}" y="${H - bottom}" font-size="10" text-anchor="end" fill="#4a5568">0</text>`);
  for (let i = 0; i < bins; i++) {
    const x0 = left + i * bw;
    const lo = Math.round((i * max) / bins);
    const hi = Math.round(((i + 1) * max) / bins);
    if (right_[i]) out.push(`<rect x="${(x0 + 1).toFixed(1)}" y="${y(right_[i]).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${(H - bottom - y(right_[i])).toFixed(1)}" fill="${RIGHT}"><title>${lo}–${hi} ${unit}: ${right_[i]} right</title></rect>`);
    if (wrong_[i]) out.push(`<rect x="${(x0 + bw / 2).toFixed(1)}" y="${y(wrong_[i]).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${(H - bottom - y(wrong_[i])).toFixed(1)}" fill="${WRONG}"><title>${lo}–${hi} ${unit}: ${wrong_[i]} wrong</title></rect>`);
  }
  for (const f of [0, 0.5, 1]) {
    out.push(`<text x="${left + f * (W - left - right)}" y="${H - bottom + 14}" font-size="10" text-anchor="middle" fill="#4a5568">${Math.round(f * max).toLocaleString("en-US")}</text>`);
  }
  out.push(`<text x="${(left + W - right) / 2}" y="${H - 4}" font-size="10" text-anchor="middle" fill="#4a5568">completion length (${esc(unit)})${limit ? `; token limit ${limit.toLocaleString("en-US")}` : ""}</text>`);
  out.push("</svg>");
  return out.join("");
}
