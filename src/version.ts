// `openrs-eval --version`: the package version, the grader version (recorded in every run) and the native engine
// build, read from files only so it stays fast and works without the engine.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GRADER_VERSION } from "../grading/version.js";

/** The project root: the folder holding package.json above this module (src/ or dist/src/). */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(d, "package.json"))) return d;
    d = dirname(d);
  }
  return dirname(fileURLToPath(import.meta.url));
}

export function packageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown }).version ?? "unknown");
  } catch {
    return "unknown";
  }
}

/** The native engine's build as native/build.mjs recorded it: "built <date> (CUDA ...)" or "not built (<why>)". */
export function nativeBuildText(): string {
  const build = join(packageRoot(), "native", "build");
  const libs = ["libopenrs.so", "libopenrs.dylib", "openrs.dll"];
  const lib = libs.find((l) => existsSync(join(build, l)));
  let status: { ok?: boolean; reason?: string; at?: string; cuda?: string } = {};
  try {
    status = JSON.parse(readFileSync(join(build, "openrs-build.json"), "utf8"));
  } catch {
    // no record: fall back to whether the library exists
  }
  if (process.env.OPENRS_NATIVE_LIB) return `OPENRS_NATIVE_LIB=${process.env.OPENRS_NATIVE_LIB}`;
  if (!lib) return `not built (${status.reason || "run npm run build:native, or run a checkpoint once to build it"})`;
  return `built ${status.at ?? "(date unknown)"}${status.cuda ? `, CUDA ${status.cuda}` : ""}`;
}

export function versionText(): string {
  return [`openrs ${packageVersion()}`, `grader ${GRADER_VERSION}`, `native engine ${nativeBuildText()}`, `node ${process.version}`].join("\n");
}
