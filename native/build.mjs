#!/usr/bin/env node
// build.mjs: configures and builds native/ with CMake into native/build (Release, -j2); without cmake or a C++ compiler it says so and exits 0.
// CUDA kernels are compiled when nvcc is found (OPENRS_BUILD_CUDA=0 turns that off); without nvcc the CPU library alone.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const build = join(here, "build");
const statusFile = join(build, "openrs-build.json");

function status(ok, reason, extra = {}) {
  mkdirSync(build, { recursive: true });
  writeFileSync(statusFile, `${JSON.stringify({ ok, reason, at: new Date().toISOString(), ...extra })}\n`);
}

function has(cmd, args = ["--version"]) {
  const r = spawnSync(cmd, args, { stdio: "ignore", timeout: 10_000 });
  return r.status === 0;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
  if (r.error) return `${cmd}: ${r.error.message}`;
  return r.status === 0 ? null : `${cmd} ${args.slice(0, 2).join(" ")} exited with ${r.status ?? r.signal}`;
}

const cxx = process.env.CXX || "c++";
if (!has("cmake")) {
  const reason = "cmake not found (install cmake >= 3.18 to build the native engine)";
  console.log(`native: skipped, ${reason}; native tests will be skipped`);
  status(false, reason);
  process.exit(0);
}
if (!has(cxx)) {
  const reason = `C++ compiler '${cxx}' not found (install g++ or clang, or set CXX)`;
  console.log(`native: skipped, ${reason}; native tests will be skipped`);
  status(false, reason);
  process.exit(0);
}
// CUDA is compiled whenever nvcc is found (CMake's check_language decides; about 15 s more on 2 cores), so CI proves
// the kernels compile; OPENRS_BUILD_CUDA=0 turns it off.
const cuda = process.env.OPENRS_BUILD_CUDA === "0" ? "OFF" : "ON";
const t0 = Date.now();
// Configure only when there is no cache yet or the CUDA choice changed; `cmake --build` re-runs it itself when CMakeLists.txt changes.
const stamp = join(build, ".configured");
const last = existsSync(stamp) ? readFileSync(stamp, "utf8") : "";
if (!existsSync(join(build, "CMakeCache.txt")) || last !== cuda) {
  const err = run("cmake", ["-S", here, "-B", build, "-DCMAKE_BUILD_TYPE=Release", `-DOPENRS_BUILD_CUDA=${cuda}`, "--log-level=WARNING"]);
  if (err) {
    console.error(`native: configure failed: ${err}`);
    status(false, `configure failed: ${err}`);
    process.exit(1);
  }
  writeFileSync(stamp, cuda);
}
const err = run("cmake", ["--build", build, "-j2"]);
if (err) {
  console.error(`native: build failed: ${err}`);
  status(false, `build failed: ${err}`);
  process.exit(1);
}
const cudaText = cuda === "ON" ? (existsSync(join(build, "libopenrs_cuda.a")) ? "compiled" : "not compiled: nvcc not found") : "off: OPENRS_BUILD_CUDA=0";
status(true, "", { cuda: cudaText });
console.log(`native: built ${join("native", "build")} in ${((Date.now() - t0) / 1000).toFixed(1)} s (CUDA ${cudaText})`);
