// Short names of the shipped models (`--model openrs-tiny`): resolved to the package's models/ folder, never shadowing
// an explicit path, and named in the error for an unknown model.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveModelSpec, shippedModels, shippedModelsDir } from "../../src/shipped-models.js";
import { evalCli } from "../support/eval-cli.js";

const root = mkdtempSync(join(tmpdir(), "openrs-shipped-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const models = join(root, "models");
for (const name of ["tiny-a", "tiny-b"]) {
  mkdirSync(join(models, name), { recursive: true });
  writeFileSync(join(models, name, "config.json"), "{}");
}
mkdirSync(join(models, "not-a-model"));

describe("shipped model names", () => {
  it("lists the folders of models/ that hold a config.json", () => {
    expect(shippedModels(models)).toEqual(["tiny-a", "tiny-b"]);
  });

  it.each([
    ["tiny-a", join(models, "tiny-a"), "a shipped name resolves to its folder"],
    ["tiny-c", "tiny-c", "an unknown name is left for the backend to refuse"],
    ["./tiny-a", "./tiny-a", "a path is never a short name"],
    ["replay:x.jsonl", "replay:x.jsonl", "other backends' specs pass through"],
    ["http://127.0.0.1:8000", "http://127.0.0.1:8000", "URLs pass through"],
  ])("%s -> %s (%s)", (spec, want) => expect(resolveModelSpec(spec, models)).toBe(want));

  it("an existing path of the same name wins over the shipped model", () => {
    const cwd = process.cwd();
    const here = join(root, "cwd");
    mkdirSync(join(here, "tiny-a"), { recursive: true });
    process.chdir(here);
    try {
      expect(resolveModelSpec("tiny-a", models)).toBe("tiny-a");
    } finally {
      process.chdir(cwd);
    }
  });

  it("the package ships openrs-tiny and openrs-tiny-sft", () => {
    expect(shippedModels()).toEqual(expect.arrayContaining(["openrs-tiny", "openrs-tiny-sft"]));
    expect(shippedModelsDir()).toMatch(/models$/);
  });

  it("an unknown --model names the shipped models in its error", async () => {
    const r = await evalCli(["--model", "no-such-model-here", "--bench", "arith", "--out", join(root, "run")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no-such-model-here: no such directory, and not replay:FILE, an http(s) URL or a shipped model (openrs-tiny, openrs-tiny-sft)");
  });
});
