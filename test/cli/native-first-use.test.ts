// `npm ci` does not build the native engine; the first command that needs it builds it once with a message, and
// says why when it cannot. A stand-in build script replaces the two-minute compile.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { nativeStatus } from "../../native/ts/native.js";
import { ensureNativeEngine } from "../../src/native-build.js";

const tmp = mkdtempSync(join(tmpdir(), "openrs-native-first-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let t = "";
  stream.on("data", (d) => (t += d));
  return { stream, text: () => t };
}

describe("the native engine on first use", () => {
  it("is built once, with a progress message and the build's own output on stderr", async () => {
    const script = join(tmp, "build.mjs");
    const marker = join(tmp, "built");
    writeFileSync(script, `import { writeFileSync } from "node:fs"; console.log("native: built (stand-in)"); writeFileSync(${JSON.stringify(marker)}, "");`);
    const status: typeof nativeStatus = () => (existsSync(marker) ? { available: true, path: marker, reason: "" } : { available: false, path: null, reason: "native library not built" });
    const err = sink();
    await ensureNativeEngine(err.stream, { script, status });
    expect(err.text()).toMatch(/the native engine is not built yet; building it now, once/);
    expect(err.text()).toMatch(/native: built \(stand-in\)/);
    expect(err.text()).toMatch(/native engine built in \d+ s/);
    // Already built: nothing is printed.
    const again = sink();
    await ensureNativeEngine(again.stream, { script, status });
    expect(again.text()).toBe("");
  });

  it("says why when the build cannot make it (no compiler), in one line", async () => {
    const script = join(tmp, "fail.mjs");
    writeFileSync(script, `console.log("native: skipped, cmake not found");`);
    const status: typeof nativeStatus = () => ({ available: false, path: null, reason: "native library not built: cmake not found (install cmake >= 3.18 to build the native engine)" });
    await expect(ensureNativeEngine(sink().stream, { script, status })).rejects.toThrow(/^the native engine could not be built \(native library not built: cmake not found/);
  });

  it("OPENRS_NO_AUTO_BUILD=1 turns the build off and says what is missing", async () => {
    process.env.OPENRS_NO_AUTO_BUILD = "1";
    try {
      const status: typeof nativeStatus = () => ({ available: false, path: null, reason: "native library not built (run `npm run build:native`)" });
      await expect(ensureNativeEngine(sink().stream, { script: join(tmp, "never.mjs"), status })).rejects.toThrow(/not available \(native library not built/);
    } finally {
      delete process.env.OPENRS_NO_AUTO_BUILD;
    }
  });
});
