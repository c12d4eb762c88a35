// A minimal Hugging Face hub client for dataset repos: list files, download one; timeouts, retries, one-line errors.

export interface HubOptions {
  /** Hub base URL (default: $HF_ENDPOINT, else https://huggingface.co, as huggingface_hub does). */
  endpoint?: string;
  /** Bearer token for gated datasets (default: $HF_TOKEN). */
  token?: string;
  /** Per-request limit, body included (default 60 s). */
  timeoutMs?: number;
  /** Extra attempts after a connection error, timeout, 429 or 5xx (default 2). */
  retries?: number;
  /** First backoff delay; doubles per attempt, plus up to 50 % jitter (default 500 ms). */
  retryDelayMs?: number;
  /** Largest file accepted (default 512 MiB). */
  maxBytes?: number;
  /** Revision (branch, tag or commit) to read (default "main"). */
  revision?: string;
}

export interface HubFile {
  path: string;
  size: number | null;
}

/** Any failure talking to the hub, already phrased as one line for the user. */
export class HubError extends Error {
  override name = "HubError";
  /** The hub could not be reached at all (connection error or no answer): later requests would fail the same way. */
  readonly unreachable: boolean;
  constructor(message: string, unreachable = false) {
    super(message);
    this.unreachable = unreachable;
  }
}

export function hubEndpoint(opts: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  const e = opts.endpoint ?? (env.HF_ENDPOINT && env.HF_ENDPOINT !== "" ? env.HF_ENDPOINT : "https://huggingface.co");
  return e.replace(/\/+$/, "");
}

function encodePath(p: string): string {
  return p.split("/").map(encodeURIComponent).join("/");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function causeCode(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return (e as Error).message;
}

/** GET with timeout and retries; resolves to the OK response with its body read, or throws HubError. */
async function get(url: string, opts: HubOptions, env: NodeJS.ProcessEnv): Promise<{ body: Uint8Array; headers: Headers }> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const retries = opts.retries ?? 2;
  const delay = opts.retryDelayMs ?? 500;
  const maxBytes = opts.maxBytes ?? 512 * 1024 * 1024;
  const token = opts.token ?? env.HF_TOKEN;
  const headers: Record<string, string> = { "user-agent": "openrs-eval" };
  if (token) headers.authorization = `Bearer ${token}`;
  let problem = "";
  let unreachable = false;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(delay * 2 ** (attempt - 1) * (1 + Math.random() * 0.5));
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
    } catch (e) {
      const timedOut = (e as Error).name === "TimeoutError";
      problem = timedOut ? `no response from ${url} within ${timeoutMs / 1000} s` : `cannot reach ${url} (${causeCode(e)})`;
      unreachable = true;
      continue;
    }
    unreachable = false;
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel().catch(() => {});
      problem = `${url}: HTTP ${res.status} ${res.statusText}`.trim();
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      if (res.status === 404) throw new HubError(`not found on the hub: ${url} (HTTP 404)`);
      if (res.status === 401 || res.status === 403) throw new HubError(`access denied: ${url} (HTTP ${res.status}); set HF_TOKEN if the dataset is gated`);
      throw new HubError(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
    }
    const length = Number(res.headers.get("content-length") ?? Number.NaN);
    if (length > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new HubError(`${url}: ${length} bytes is over the ${maxBytes}-byte limit`);
    }
    try {
      return { body: new Uint8Array(await res.arrayBuffer()), headers: res.headers };
    } catch (e) {
      const timedOut = (e as Error).name === "TimeoutError";
      problem = timedOut ? `download of ${url} took over ${timeoutMs / 1000} s` : `download of ${url} broke off (${causeCode(e)})`;
    }
  }
  throw new HubError(retries > 0 ? `${problem} (after ${retries + 1} attempts)` : problem, unreachable);
}

function nextLink(headers: Headers): string | null {
  const link = headers.get("link");
  if (!link) return null;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? m[1] : null;
}

/** Every file of a dataset repo (recursive tree listing, following the hub's `Link: rel="next"` pages). */
export async function listDatasetFiles(dataset: string, opts: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<HubFile[]> {
  const base = hubEndpoint(opts, env);
  let url: string | null = `${base}/api/datasets/${encodePath(dataset)}/tree/${encodeURIComponent(opts.revision ?? "main")}?recursive=true`;
  const files: HubFile[] = [];
  for (let page = 0; url !== null; page++) {
    if (page >= 1000) throw new HubError(`${dataset}: file listing did not end after 1000 pages`);
    const { body, headers } = await get(url, opts, env);
    let entries: unknown;
    try {
      entries = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new HubError(`${url}: file listing is not JSON (is HF_ENDPOINT a hub?)`);
    }
    if (!Array.isArray(entries)) throw new HubError(`${url}: file listing is not a JSON array (is HF_ENDPOINT a hub?)`);
    for (const e of entries as { type?: unknown; path?: unknown; size?: unknown }[]) {
      if (e && e.type === "file" && typeof e.path === "string") files.push({ path: e.path, size: typeof e.size === "number" ? e.size : null });
    }
    const next = nextLink(headers);
    url = next === null ? null : new URL(next, base).toString();
  }
  return files;
}

/** The URL a repo file is downloaded from. */
export function resolveUrl(dataset: string, path: string, opts: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  return `${hubEndpoint(opts, env)}/datasets/${encodePath(dataset)}/resolve/${encodeURIComponent(opts.revision ?? "main")}/${encodePath(path)}`;
}

/** One repo file's bytes. */
export async function downloadDatasetFile(dataset: string, path: string, opts: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  return (await get(resolveUrl(dataset, path, opts, env), opts, env)).body;
}
