// The layers and what each may import (ARCHITECTURE.md): src → trainer → native → grading, benchmarks beside
// (above grading, below trainer and src). Library code never imports tests or tools, and no module imports itself
// back through a cycle. A new upward import fails here with the file and the import named.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Library layers by folder, each with the layers it may import (its own included). */
const LAYERS: Record<string, readonly string[]> = {
  grading: ["grading"],
  benchmarks: ["benchmarks", "grading"],
  "native/ts": ["native/ts", "grading"],
  trainer: ["trainer", "native/ts", "benchmarks", "grading"],
  src: ["src", "trainer", "native/ts", "benchmarks", "grading"],
};

/** Finer rules inside a layer: [importer prefix, forbidden target prefix, why]. */
const FORBIDDEN: readonly [string, string, string][] = [
  ["src/backends/", "src/runner/", "backends serve the runner; they must not reach into it"],
  ["src/backends/", "src/commands/", "backends are below the CLI"],
  ["src/runner/", "src/commands/", "the runner is below the CLI"],
  ["src/runner/", "trainer/", "evaluation must not depend on the RL toolkit"],
  ["src/runner/", "src/cli.ts", "the runner is below the CLI"],
];

function layerOf(file: string): string | null {
  for (const l of Object.keys(LAYERS).sort((a, b) => b.length - a.length)) if (file === l || file.startsWith(`${l}/`)) return l;
  return null;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.ts$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Relative imports of a file (static, re-exports, dynamic), resolved to project paths; comments stripped first. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const specs = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^;'"`]*?from\s*["']([^"']+)["']/g)) specs.add(m[1]);
  for (const m of text.matchAll(/(?:^|[\s;])import\s*["']([^"']+)["']/g)) specs.add(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specs.add(m[1]);
  return [...specs].filter((s) => s.startsWith(".")).map((s) => relative(root, resolve(root, dirname(file), s)).replace(/\.js$/, ".ts"));
}

const library = Object.keys(LAYERS).flatMap((l) => walk(l));
const graph = new Map(library.map((f) => [f, importsOf(f)]));

describe("layers", () => {
  it("finds the library's files and their imports", () => {
    expect(library.length).toBeGreaterThan(50);
    expect(graph.get("src/cli.ts")?.length).toBeGreaterThan(3);
  });

  it("every import points down (or within its layer)", () => {
    const bad: string[] = [];
    for (const [file, deps] of graph) {
      const from = layerOf(file)!;
      for (const d of deps) {
        const to = layerOf(d);
        if (to === null) bad.push(`${file} imports ${d}: library code may import only library layers (not test/, tools/ or other folders)`);
        else if (!LAYERS[from].includes(to)) bad.push(`${file} imports ${d}: ${from} may import only ${LAYERS[from].join(", ")}`);
        for (const [src, target, why] of FORBIDDEN) if (file.startsWith(src) && d.startsWith(target)) bad.push(`${file} imports ${d}: ${why}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("no import cycles", () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 1);
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue;
        if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].join(" → "));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("the checker sees an upward import when there is one", () => {
    // Guard against a parser that silently finds nothing: a known downward import is found with its target.
    expect(graph.get("src/runner/scoring.ts")).toContain("grading/pool.ts");
    expect(importsOf("test/repo/layers.test.ts")).toEqual([]);
  });
});
