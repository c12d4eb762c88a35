// What run.json records about where a run was made: the command line, Node, the host's CPU and GPU, and per
// backend the server URLs or the native engine build and a hash of the checkpoint's weights.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import xxhash from "xxhash-wasm";
import type { RunProvenance } from "./run-dir.js";

/** The first GPU `nvidia-smi` names (with its count), or null when there is none or no driver tool. */
export function gpuName(): string | null {
  try {
    const out = execFileSync("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], { timeout: 3000, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const names = out.split("\n").map((l) => l.trim()).filter(Boolean);
    return names.length === 0 ? null : names.length === 1 ? names[0] : `${names.length} × ${names[0]}`;
  } catch {
    return null;
  }
}

export function hostInfo(): RunProvenance["host"] {
  const cpu = cpus();
  return { cpu: cpu[0]?.model.trim() ?? "unknown", cores: cpu.length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, gpu: gpuName() };
}

/** Provenance common to every backend; `backend` adds its own facts. */
export function provenance(command: string[] | undefined, backend?: Record<string, unknown>): RunProvenance {
  return {
    ...(command ? { command } : {}),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    host: hostInfo(),
    ...(backend ? { backend } : {}),
  };
}

/**
 * xxh64 over a checkpoint's weight files (*.safetensors, *.bin; names and bytes, in name order): identifies the
 * weights a run used at ~GB/s, so two runs of "the same" directory with different weights are told apart.
 */
export async function weightsHash(dir: string): Promise<{ hash: string; files: number; bytes: number }> {
  const { create64 } = await xxhash();
  const h = create64();
  const files = readdirSync(dir)
    .filter((f) => /\.(safetensors|bin|gguf)$/.test(f))
    .sort();
  const buf = Buffer.allocUnsafe(8 << 20);
  let bytes = 0;
  for (const f of files) {
    h.update(`${f}\0`);
    const fd = openSync(join(dir, f), "r");
    try {
      for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
        h.update(buf.subarray(0, n));
        bytes += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return { hash: `xxh64:${h.digest().toString(16).padStart(16, "0")}`, files: files.length, bytes };
}

/** Size of a checkpoint's weight files, to decide whether hashing them is worth saying so on stderr. */
export function weightsBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => /\.(safetensors|bin|gguf)$/.test(f))
    .reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}
