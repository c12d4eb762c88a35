// A small dependency-free progress reporter for stderr: a redrawn bar on a TTY, a periodic plain line otherwise.

export interface ProgressOptions {
  /** Total number of items, when known (enables the bar, percentage and ETA). */
  total?: number;
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw in place with `\r` (default: the stream is a TTY). Otherwise a full line is printed every `lineEveryMs`. */
  tty?: boolean;
  /** Minimum time between redraws on a TTY (default 100 ms). */
  redrawMs?: number;
  /** Time between plain lines when not a TTY (default 5000 ms). */
  lineEveryMs?: number;
  /** Prefix, e.g. "grading". */
  label?: string;
  /** Clock, for tests (default performance.now). */
  now?: () => number;
}

/** Formats seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Formats a rate with sensible precision. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "-";
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
}

/** A `[#####.....]` bar of the given inner width. */
export function formatBar(done: number, total: number, width: number): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(frac * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

export class Progress {
  private readonly total: number | undefined;
  private readonly stream: NonNullable<ProgressOptions["stream"]>;
  private readonly tty: boolean;
  private readonly redrawMs: number;
  private readonly lineEveryMs: number;
  private readonly label: string;
  private readonly now: () => number;
  private readonly t0: number;
  private last = Number.NEGATIVE_INFINITY;
  private done = 0;
  private detail = "";
  private drawn = false;
  private finished = false;

  constructor(opts: ProgressOptions = {}) {
    this.total = opts.total;
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.stream.isTTY);
    this.redrawMs = opts.redrawMs ?? 100;
    this.lineEveryMs = opts.lineEveryMs ?? 5000;
    this.label = opts.label ?? "";
    this.now = opts.now ?? (() => performance.now());
    this.t0 = this.now();
    if (!this.tty) this.last = this.t0; // first plain line after one interval, not immediately
  }

  /** Records progress (and an optional status such as a loss, shown after the counts); redraws when enough time has passed. */
  update(done: number, detail?: string): void {
    if (this.finished) return;
    this.done = done;
    if (detail !== undefined) this.detail = detail;
    const t = this.now();
    if (t - this.last < (this.tty ? this.redrawMs : this.lineEveryMs)) return;
    this.last = t;
    this.render(t);
  }

  /** Final redraw (TTY) and newline. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tty) {
      this.render(this.now());
      if (this.drawn) this.stream.write("\n");
    }
  }

  /** The status line for the current state. */
  line(t: number = this.now()): string {
    const elapsed = Math.max(1e-9, (t - this.t0) / 1000);
    const rate = this.done / elapsed;
    const parts: string[] = [];
    if (this.label) parts.push(this.label);
    if (this.total !== undefined && this.total > 0) {
      const pct = ((100 * this.done) / this.total).toFixed(1).padStart(5);
      const eta = rate > 0 ? (this.total - this.done) / rate : Number.NaN;
      parts.push(formatBar(this.done, this.total, 24), `${this.done}/${this.total}`, `${pct}%`);
      parts.push(`${formatRate(rate)}/s`, `ETA ${formatDuration(eta)}`);
    } else {
      parts.push(`${this.done}`, `${formatRate(rate)}/s`, `elapsed ${formatDuration(elapsed)}`);
    }
    if (this.detail) parts.push(this.detail);
    return parts.join(" ");
  }

  private render(t: number): void {
    const text = this.line(t);
    if (this.tty) {
      const cols = this.stream.columns ?? 0;
      const fitted = cols > 1 && text.length >= cols ? text.slice(0, cols - 1) : text;
      this.stream.write(`\r${fitted}\x1b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }
}
