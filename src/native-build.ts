// Builds the native engine on first use. `npm ci` does not build it (CMake and a C++ compiler take minutes and are not
// needed for replay or HTTP runs), so the first command that needs it, a run on a checkpoint directory or
// `model info|generate`, runs native/build.mjs once, with a progress message, and then proceeds.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { nativeStatus } from "../native/ts/native.js";
import { UsageError } from "./cli-common.js";
import { packageRoot } from "./version.js";

/** Resolves when the native library is available, building it first when it is not; else a UsageError saying why. */
export async function ensureNativeEngine(
  err: NodeJS.WritableStream,
  // The build script and status check are parameters so a test can stand in for a two-minute compile.
  { script = join(packageRoot(), "native", "build.mjs"), status = nativeStatus }: { script?: string; status?: typeof nativeStatus } = {},
): Promise<void> {
  let st = status();
  if (st.available) return;
  if (process.env.OPENRS_NATIVE_LIB || process.env.OPENRS_NO_AUTO_BUILD === "1" || !existsSync(script)) {
    throw new UsageError(`the native engine is not available (${st.reason})`);
  }
  err.write("openrs-eval: the native engine is not built yet; building it now, once (about 2.5 min on 2 cores with CUDA, less without; needs CMake and a C++ compiler; `npm run build:native` does the same)\n");
  const t0 = performance.now();
  // Build output goes to stderr, so stdout stays clean for --json.
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => err.write(d));
    child.stderr.on("data", (d) => err.write(d));
    child.on("error", () => resolve(null));
    child.on("exit", (c) => resolve(c));
  });
  st = status();
  if (!st.available) throw new UsageError(`the native engine could not be built (${code === 0 ? st.reason : `native/build.mjs exited with ${code}`}); see the messages above`);
  err.write(`openrs-eval: native engine built in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}
