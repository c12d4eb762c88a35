// In-process `openrs-eval` for tests: a fixture data dir of AIME24-shaped problems and main() with its stdout and
// stderr captured as text.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { main } from "../../src/cli.js";

/** Writes `<dir>/aime24.jsonl` with `count` problems ("Problem i", gold 100 + i) and returns dir. */
export function aimeFixture(dir: string, count = 30): string {
  mkdirSync(dir, { recursive: true });
  const rows = Array.from({ length: count }, (_, i) => JSON.stringify({ id: `aime24/${i}`, problem: `Problem ${i}`, answer: String(100 + i) }));
  writeFileSync(join(dir, "aime24.jsonl"), `${rows.join("\n")}\n`);
  return dir;
}

/** The gold of fixture problem i. */
export const aimeGold = (i: number): string => String(100 + i);

/** The fixture problem a prompt asks, from its "Problem i" text (null when none). */
export function problemOf(prompt: string): number | null {
  const m = /Problem (\d+)/.exec(prompt);
  return m ? Number(m[1]) : null;
}

class Capture extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs `openrs-eval ...args` in this process. */
export async function evalCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await main(["node", "openrs-eval", ...args], out as unknown as typeof process.stdout, err as unknown as typeof process.stderr);
  return { code, stdout: out.text, stderr: err.text };
}
