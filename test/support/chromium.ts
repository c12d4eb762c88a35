// A headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages ending in
// NUL on file descriptors 3 and 4), so tests can load a page, collect console errors, uncaught exceptions and
// network requests, run scripts in it and take a screenshot — with no npm dependency. Chromium is a dev tool here
// (Debian: `apt-get install chromium`), never a CI requirement: findChromium() returns null when it is absent and
// the callers skip with a message.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/** The browser binary: $CHROMIUM, else the first of chromium / chromium-browser / google-chrome on PATH, else null. */
export function findChromium(): string | null {
  const env = process.env.CHROMIUM;
  if (env) return existsSync(env) ? env : null;
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    try {
      const path = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      if (path) return path;
    } catch {
      // not installed under this name
    }
  }
  return null;
}

export const NO_CHROMIUM = "skipped: no chromium found (install it with `apt-get install -y chromium`, or set CHROMIUM=/path/to/chrome)";

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export interface PageProblems {
  /** console.error / console.assert messages. */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections. */
  exceptions: string[];
  /** Browser log entries of level error (failed loads, CSP, ...). */
  logErrors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** One browser with one page; every call is bounded by `timeoutMs`. */
export class HeadlessPage {
  readonly problems: PageProblems = { consoleErrors: [], exceptions: [], logErrors: [], requests: [] };
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly waiters: { method: string; resolve: () => void }[] = [];
  private buffer = "";
  private sessionId = "";

  private constructor(
    private readonly proc: ChildProcess,
    private readonly profile: string,
    private readonly timeoutMs: number,
  ) {
    const out = proc.stdio[4] as Readable;
    out.setEncoding("utf8");
    out.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf("\0"); i >= 0; i = this.buffer.indexOf("\0")) {
        const text = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.onMessage(JSON.parse(text) as Message);
      }
    });
    proc.on("exit", () => {
      for (const p of this.pending.values()) p.reject(new Error("chromium exited"));
      this.pending.clear();
    });
  }

  /** Starts the browser and opens a blank page of the given size. */
  static async launch(binary: string, opts: { width?: number; height?: number; timeoutMs?: number } = {}): Promise<HeadlessPage> {
    const profile = mkdtempSync(join(tmpdir(), "openrs-chromium-"));
    const proc = spawn(
      binary,
      ["--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions", `--user-data-dir=${profile}`, "about:blank"],
      { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] },
    );
    const page = new HeadlessPage(proc, profile, opts.timeoutMs ?? 30_000);
    try {
      const { targetId } = (await page.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
      const { sessionId } = (await page.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
      page.sessionId = sessionId;
      await page.send("Runtime.enable");
      await page.send("Log.enable");
      await page.send("Page.enable");
      await page.send("Network.enable");
      await page.send("Emulation.setDeviceMetricsOverride", { width: opts.width ?? 1280, height: opts.height ?? 900, deviceScaleFactor: 1, mobile: false });
    } catch (e) {
      await page.close();
      throw e;
    }
    return page;
  }

  private onMessage(m: Message): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m);
      return;
    }
    const params = m.params ?? {};
    switch (m.method) {
      case "Runtime.consoleAPICalled": {
        const type = params.type as string;
        if (type === "error" || type === "assert") {
          this.problems.consoleErrors.push(((params.args as { value?: unknown; description?: string }[]) ?? []).map((a) => String(a.value ?? a.description ?? "")).join(" "));
        }
        break;
      }
      case "Runtime.exceptionThrown": {
        const d = params.exceptionDetails as { text?: string; exception?: { description?: string } };
        this.problems.exceptions.push(d.exception?.description ?? d.text ?? "exception");
        break;
      }
      case "Log.entryAdded": {
        const e = params.entry as { level: string; text: string; url?: string };
        if (e.level === "error") this.problems.logErrors.push(`${e.text}${e.url ? ` (${e.url})` : ""}`);
        break;
      }
      case "Network.requestWillBeSent":
        this.problems.requests.push((params.request as { url: string }).url);
        break;
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].method === m.method) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  /** Sends a protocol command (to the page's session once attached) and waits for its result. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const msg: Message = { id, method, params, ...(this.sessionId ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`chromium: ${method} got no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m.result ?? {});
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      (this.proc.stdio[3] as Writable).write(`${JSON.stringify(msg)}\0`);
    });
  }

  private event(method: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium: no ${method} within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiters.push({
        method,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Loads a URL and waits for its load event. */
  async goto(url: string): Promise<void> {
    const loaded = this.event("Page.loadEventFired");
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /** Evaluates an expression in the page (promises awaited) and returns its JSON value; page exceptions throw. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = (await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`in page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /**
   * A PNG of the viewport, of the whole page when `fullPage` (capped at `maxHeight` pixels), or of a band of the
   * page from `top` down `height` pixels.
   */
  async screenshot(opts: { fullPage?: boolean; maxHeight?: number; top?: number; height?: number } = {}): Promise<Buffer> {
    let clip: Record<string, number> | undefined;
    if (opts.top !== undefined && opts.height !== undefined) {
      const m = (await this.send("Page.getLayoutMetrics")) as { cssContentSize: { width: number; height: number } };
      clip = { x: 0, y: opts.top, width: Math.ceil(m.cssContentSize.width), height: opts.height, scale: 1 };
    } else if (opts.fullPage) {
      const m = (await this.send("Page.getLayoutMetrics")) as { cssContentSize: { width: number; height: number } };
      clip = { x: 0, y: 0, width: Math.ceil(m.cssContentSize.width), height: Math.min(opts.maxHeight ?? 20_000, Math.ceil(m.cssContentSize.height)), scale: 1 };
    }
    const r = (await this.send("Page.captureScreenshot", { format: "png", ...(clip ? { clip, captureBeyondViewport: true } : {}) })) as { data: string };
    return Buffer.from(r.data, "base64");
  }

  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
      try {
        this.sessionId = "";
        void this.send("Browser.close").catch(() => undefined);
      } catch {
        // the pipe may already be closed
      }
      const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}
