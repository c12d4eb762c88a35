// openrs_train.h from C: the header compiles as strict C99 and the C program (native/tests/train_api.c) trains a few
// steps, reads a tensor, is refused a step while the trainer's live model generates, and saves a checkpoint that the
// inference engine loads.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NativeModel, nativeStatus } from "../../native/ts/native.js";
import { writeTinyModel } from "../../native/ts/tiny-model.js";

const st = nativeStatus();
const nativeDir = new URL("../../native/", import.meta.url).pathname;
const bin = join(nativeDir, "build", "openrs_train_api");
const root = mkdtempSync(join(tmpdir(), "openrs-train-c-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!st.available || !existsSync(bin))(`openrs_train.h from C${st.available ? "" : ` (skipped: ${st.reason})`}`, () => {
  it("openrs_train.h compiles as strict C99", () => {
    const cc = process.env.CC || "cc";
    const r = spawnSync(cc, ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", `-I${join(nativeDir, "include")}`, join(nativeDir, "tests", "train_api.c")], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("the C program trains (loss falls), reads tensors, is refused a step while generating, and saves a loadable checkpoint", async () => {
    const dir = join(root, "m");
    writeTinyModel(dir, { arch: "qwen2", hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, seed: 3 });
    const out = join(root, "out");
    const r = spawnSync(bin, [dir, out], { encoding: "utf8", timeout: 60_000 });
    expect(r.stdout).toMatch(/loss \d+\.\d+ -> \d+\.\d+/);
    expect(r.stdout).toMatch(/short buffer: tensor model\.embed_tokens\.weight has 8288 values, the buffer 4/);
    expect(r.stdout).toMatch(/while generating: training step refused: a session is generating from these weights \(1 running sequences\)/);
    expect(r.stdout).toMatch(/^ok$/m);
    expect(r.status).toBe(0);
    const m = await NativeModel.load(out, { threads: 1, device: "cpu" });
    expect(m.info.dtype).toBe("f32");
    m.close();
    const bad = spawnSync(bin, [join(root, "missing")], { encoding: "utf8", timeout: 30_000 });
    expect(bad.stdout).toMatch(/^load failed: training .*missing: /);
  });
});
