// What `npm pack` would publish: the library's build, the CLI, examples, recipes and the native engine's sources,
// and nothing from tests, tools, benches or fuzzers (those live in test/ and tools/, outside the build).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = existsSync(join(root, "dist", "src", "cli.js"));

describe.skipIf(!built)("npm pack --dry-run (needs `npm run build`, which npm test runs first)", () => {
  const out = built ? execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", timeout: 60_000 }) : "[]";
  const files: string[] = built ? (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path) : [];

  it("lists the library, the CLI and the engine sources", () => {
    for (const f of ["dist/grading/index.js", "dist/grading/worker.js", "dist/src/cli.js", "bin/openrs-eval.js", "native/CMakeLists.txt", "native/include/openrs.h", "benchmarks/data/arith-test-v1.jsonl", "models/openrs-tiny/model.safetensors", "models/openrs-tiny-sft/README.md"]) {
      expect(files).toContain(f);
    }
  });

  it("lists no test, tool, bench or fuzz file", () => {
    const unwanted = files.filter(
      (f) => /^(dist\/)?(test|tools|scripts)\//.test(f) || /(^|\/)native\/(tests|build)\//.test(f) || /\.(test|bench)\.[jt]s/.test(f) || /(^|\/)[^/]*(fuzz|-bench|bench-)[^/]*\.[jt]s/.test(f),
    );
    expect(unwanted).toEqual([]);
  });
});
