// Creating user-named directories without hanging, and turning raw errno errors into one plain sentence.
import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** What an errno means for a path the user named, and what to do about it. */
const ERRNO_ADVICE: Record<string, string> = {
  EACCES: "permission denied; choose a path you can write or fix its permissions",
  EPERM: "operation not permitted; choose a path you can write or fix its permissions",
  EROFS: "the file system is read-only; choose another path",
  ENOTDIR: "a part of the path is a file, not a directory; choose another path",
  EISDIR: "it is a directory where a file was expected; choose another path",
  ENOENT: "no such file or directory",
  EEXIST: "it already exists and is not a directory; choose another path",
  ENOSPC: "no space left on the device; free some space or choose another path",
  EDQUOT: "disk quota exceeded; free some space or choose another path",
  EMFILE: "too many open files; raise the limit (ulimit -n) and rerun",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many symbolic links in the path",
};

/** A Node file-system error (has `code` and `path`) as one sentence naming the path; null for any other error. */
export function fsErrorMessage(e: unknown): string | null {
  const err = e as NodeJS.ErrnoException | null;
  if (err === null || typeof err !== "object" || typeof err.code !== "string" || typeof err.path !== "string") return null;
  const advice = ERRNO_ADVICE[err.code];
  if (advice === undefined) return null;
  // Temp files (run.json.tmp-123) are an implementation detail: name the file the user knows.
  const path = err.path.replace(/\.tmp-\d+$/, "").replace(/\.regrade-\d+$/, "");
  const verb = err.syscall === "open" || err.syscall === "rename" || err.syscall === "write" ? "cannot write" : err.syscall === "mkdir" ? "cannot create" : "cannot use";
  return `${verb} ${path}: ${advice}`;
}

/**
 * mkdir -p that fails at once with a plain message. Node 20's recursive mkdirSync never returns for some paths
 * (e.g. under /proc, where mkdir answers ENOENT for a parent that exists), so the path is created one component at
 * a time here. `what` names the flag or role in the message ("--out").
 */
export function ensureDir(dir: string, what = "directory"): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") throw new FsPathError(`${what} ${dir} cannot be used: ${ERRNO_ADVICE[code ?? ""] ?? (e as Error).message}`);
    }
    if (isDir === true) break;
    if (isDir === false) throw new FsPathError(`${what} ${dir}: ${p} exists and is not a directory; choose another path`);
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && statSync(d).isDirectory()) continue;
      const code = (e as NodeJS.ErrnoException).code ?? "";
      throw new FsPathError(`${what} ${dir} cannot be created: mkdir ${d} failed, ${ERRNO_ADVICE[code] ?? (e as Error).message}`);
    }
  }
}

/** A user-named path that cannot be used: one line, shown as a usage error. */
export class FsPathError extends Error {}

/**
 * Writes a file whole or not at all: a temp sibling (`FILE.tmp-PID`), then a rename over the target, so a crash or
 * a reader (a browser, a resuming run) sees the old file or the new one, never half of one.
 */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
