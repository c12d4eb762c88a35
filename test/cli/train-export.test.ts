// `openrs-eval train export` through commander: the files land in --out, usage errors are one line with exit 2.
// The command is registered under a `train` command built here (src/cli.ts wires it to the real one).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command, CommanderError } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli-common.js";
import { registerTrainExport } from "../../src/commands/train-export.js";

const root = mkdtempSync(join(tmpdir(), "openrs-train-export-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (d) => (o += d));
  err.on("data", (d) => (e += d));
  let code = 0;
  const program = new Command("openrs-eval").exitOverride().configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  const train = program.command("train").exitOverride();
  registerTrainExport(train, { setCode: (c) => (code = c), out, err });
  try {
    await program.parseAsync(["node", "openrs-eval", ...args]);
  } catch (x) {
    // as src/cli.ts's main: usage and commander errors exit 2 (commander printed its own message), others 1
    code = x instanceof UsageError || x instanceof CommanderError ? 2 : 1;
    if (!(x instanceof CommanderError)) e += `openrs-eval: ${(x as Error).message}\n`;
  }
  return { code, out: o, err: e };
}

describe("train export", () => {
  it.each(["trl", "verl", "openrlhf"])("--engine %s writes its files and says where", async (engine) => {
    const out = join(root, engine);
    const r = await run(["train", "export", "--recipe", "openrs-exp3", "--engine", engine, "--out", out]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${engine} export of openrs-exp3 in ${out}: .*run\\.sh`));
    expect(statSync(join(out, "run.sh")).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(out, "differences.md"), "utf8")).toContain("| loss aggregation |");
  });

  it("--data rows and --gold-field", async () => {
    const data = join(root, "rows.jsonl");
    writeFileSync(data, '{"problem": "1+1?", "answer": "2"}\n');
    const out = join(root, "with-data");
    const r = await run(["train", "export", "--recipe", "openrs-exp1", "--engine", "verl", "--out", out, "--data", data, "--gold-field", "answer", "--port", "9000"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, "data", "train.parquet"))).toBe(true);
    expect(readFileSync(join(out, "run.sh"), "utf8")).toMatch(/PORT=\$\{PORT:-9000\}/);
    const bad = await run(["train", "export", "--recipe", "openrs-exp1", "--engine", "verl", "--out", join(root, "bad-data"), "--data", data]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/rows.jsonl:1: no string "solution" field/);
  });

  it.each([
    { args: ["--recipe", "openrs-exp3", "--engine", "deepspeed", "--out", "X"], err: /--engine must be one of trl, verl, openrlhf \(got "deepspeed"\)/ },
    { args: ["--recipe", "no-such-recipe", "--engine", "trl", "--out", "X"], err: /recipe not found: "no-such-recipe"/ },
    { args: ["--recipe", "openrs-exp3", "--engine", "trl", "--out", "X", "--port", "0"], err: /--port/ },
    { args: ["--engine", "trl", "--out", "X"], err: /required option '--recipe/ },
  ])("usage error: $err", async ({ args, err }) => {
    const r = await run(["train", "export", ...args.map((a) => (a === "X" ? join(root, "never") : a))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(err);
    expect(existsSync(join(root, "never"))).toBe(false);
  });

  it("refuses a non-empty --out unless --force", async () => {
    const out = join(root, "busy");
    mkdirSync(out);
    writeFileSync(join(out, "keep.txt"), "x");
    const r = await run(["train", "export", "--recipe", "openrs-exp3", "--engine", "trl", "--out", out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out .*busy is not empty \(pass --force/);
    expect((await run(["train", "export", "--recipe", "openrs-exp3", "--engine", "trl", "--out", out, "--force"])).code).toBe(0);
    expect(readFileSync(join(out, "keep.txt"), "utf8")).toBe("x");
  });
});
