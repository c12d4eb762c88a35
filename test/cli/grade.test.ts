// The openrs-eval CLI, run as a child process (needs the build: npm run build). Assertions avoid the grader's
// math: gold "42" against "\boxed{42}" (right) and "\boxed{41}" (wrong).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SLOW_PAIR } from "../support/slow-pair.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const bin = join(root, "bin", "openrs-eval.js");
const dir = mkdtempSync(join(tmpdir(), "openrs-cli-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

function jsonl(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const RIGHT = "Adding up, the final answer is $\\boxed{42}$.";
const WRONG = "Adding up, the final answer is $\\boxed{41}$.";

describe("openrs-eval grade --input", () => {
  const lines = [
    JSON.stringify({ id: "a", gold: "42", completion: RIGHT, meta: { k: 1 } }),
    JSON.stringify({ id: "b", gold: "42", completion: WRONG }),
    "",
    JSON.stringify({ id: "c", gold: "42", pred: RIGHT }),
    "{not json",
    JSON.stringify({ id: "e", completion: RIGHT }),
    JSON.stringify({ id: "f", gold: 42, completion: RIGHT }),
    JSON.stringify([1, 2]),
    JSON.stringify({ id: "h", gold: "42", completion: WRONG, extra: [1, "x"] }),
  ];
  const input = join(dir, "pairs.jsonl");
  writeFileSync(input, `${lines.join("\n")}\n`);

  function check(out: Record<string, unknown>[]): void {
    expect(out).toHaveLength(8); // one per non-empty input line
    expect(out.map((r) => r.id)).toEqual(["a", "b", "c", undefined, "e", "f", undefined, "h"]);
    for (const r of out) {
      expect(typeof r.correct).toBe("boolean");
      expect(typeof r.reason).toBe("string");
      expect(typeof r.ms).toBe("number");
      expect(r).toHaveProperty("extracted");
      expect(r).toHaveProperty("rule");
      expect(r).not.toHaveProperty("completion");
      expect(r).not.toHaveProperty("pred");
    }
    expect(out[0]).toMatchObject({ correct: true, extracted: "42", meta: { k: 1 } });
    expect(out[0]).not.toHaveProperty("error");
    expect(out[1]).toMatchObject({ correct: false, extracted: "41" });
    expect(out[2]).toMatchObject({ correct: true, extracted: "42" }); // pred alias
    expect(out[7]).toMatchObject({ correct: false, extracted: "41", extra: [1, "x"] });
    for (const [i, lineNo, what] of [
      [3, 5, /invalid JSON/],
      [4, 6, /missing "gold"/],
      [5, 7, /"gold" must be a string/],
      [6, 8, /expected a JSON object/],
    ] as const) {
      expect(out[i]).toMatchObject({ correct: false, extracted: null, reason: "bad-input" });
      expect(out[i].error).toMatch(new RegExp(`^line ${lineNo}:`));
      expect(out[i].error).toMatch(what);
    }
  }

  it("writes one verdict per line to stdout, in order, with pass-through fields", async () => {
    const r = await cli(["grade", "--input", input, "--quiet"]);
    expect(r.code).toBe(0);
    check(jsonl(r.stdout));
    expect(r.stderr).toBe("");
  });

  it("writes to --output with 2 jobs and prints a summary on stderr", async () => {
    const output = join(dir, "verdicts.jsonl");
    const r = await cli(["grade", "--input", input, "--output", output, "--jobs", "2", "--preset", "reward"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    check(jsonl(readFileSync(output, "utf8")));
    expect(r.stderr).toMatch(/graded 8 items: 2 correct \(25\.0%\)/);
    expect(r.stderr).toMatch(/items\/s/);
    expect(r.stderr).toMatch(/0 timeouts/);
  });

  it("preserves order over many lines with several workers and reads stdin", async () => {
    const many = Array.from({ length: 700 }, (_, i) =>
      JSON.stringify({ n: i, gold: "42", completion: i % 5 === 0 ? WRONG : RIGHT }),
    ).join("\n");
    const r = await cli(["grade", "--input", "-", "--jobs", "3", "--quiet"], many);
    expect(r.code).toBe(0);
    const out = jsonl(r.stdout);
    expect(out.map((o) => o.n)).toEqual(Array.from({ length: 700 }, (_, i) => i));
    out.forEach((o, i) => {
      expect(o.extracted).toBe(i % 5 === 0 ? "41" : "42");
    });
  });

  it("--include-input keeps gold and completion", async () => {
    const r = await cli(["grade", "--input", input, "--quiet", "--include-input"]);
    const out = jsonl(r.stdout);
    expect(out[0]).toMatchObject({ gold: "42", completion: RIGHT });
    expect(out[2]).toMatchObject({ gold: "42", pred: RIGHT });
  });
});

describe("openrs-eval grade --budget-ms", () => {
  it("the flag is the deadline items are graded under: 10 ms times a slow pair out in about 10 ms", async () => {
    const input = join(dir, "slow.jsonl");
    writeFileSync(input, `${JSON.stringify({ id: "warm", gold: "42", completion: RIGHT })}\n${JSON.stringify({ id: "slow", ...SLOW_PAIR })}\n`);
    const tight = await cli(["grade", "--input", input, "--jobs", "1", "--budget-ms", "10", "--quiet"]);
    expect(tight.code).toBe(0);
    const [, slow] = jsonl(tight.stdout);
    expect(slow.reason).toBe("timeout");
    expect(slow.ms as number).toBeLessThan(250); // the in-thread deadline: the preset budget it used to get is 1000 ms
    const loose = await cli(["grade", "--input", input, "--jobs", "1", "--budget-ms", "60000", "--quiet"]);
    expect(jsonl(loose.stdout)[1].reason).toBe("equal:sampled");
  });
});

describe("openrs-eval grade (single pair)", () => {
  it("prints a table and exits 0 for right and wrong answers", async () => {
    const right = await cli(["grade", "--gold", "42", "--completion", RIGHT]);
    expect(right.code).toBe(0);
    expect(right.stdout).toMatch(/correct\s*│\s*true/);
    expect(right.stdout).toMatch(/extracted\s*│\s*42/);
    expect(right.stdout).toMatch(/reason/);
    const wrong = await cli(["grade", "--gold", "42", "--completion", WRONG]);
    expect(wrong.code).toBe(0);
    expect(wrong.stdout).toMatch(/correct\s*│\s*false/);
  });

  it("--json prints the GradeResult", async () => {
    const r = await cli(["grade", "--gold", "42", "--completion", WRONG, "--json", "--preset", "eval-numeric"]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(res).toMatchObject({ correct: false, extracted: "41", preset: "eval-numeric" });
    expect(typeof res.reason).toBe("string");
    expect(typeof res.ms).toBe("number");
  });
});

describe("openrs-eval usage errors", () => {
  it("unknown preset exits 2 naming it", async () => {
    const r = await cli(["grade", "--gold", "42", "--completion", RIGHT, "--preset", "bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bogus/);
    expect(r.stdout).toBe("");
  });

  it("missing input file exits 2 naming it", async () => {
    const r = await cli(["grade", "--input", join(dir, "nope.jsonl")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/input file not found: .*nope\.jsonl/);
  });

  it("missing arguments and bad numbers exit 2", async () => {
    expect((await cli(["grade"])).code).toBe(2);
    expect((await cli(["grade", "--gold", "42"])).code).toBe(2);
    expect((await cli(["grade", "--input", "x", "--jobs", "0"])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
    const help = await cli(["grade", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--jobs/);
  });
});
