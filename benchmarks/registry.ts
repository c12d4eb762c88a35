// The suite registry: every suite's config by id and `--bench` list parsing (loading is load.ts).
import * as aime24 from "./suites/aime24.js";
import * as aime25 from "./suites/aime25.js";
import * as amc23 from "./suites/amc23.js";
import * as arith from "./suites/arith.js";
import * as gsm8k from "./suites/gsm8k.js";
import * as math500 from "./suites/math500.js";
import * as minerva from "./suites/minerva.js";
import * as olympiadbench from "./suites/olympiadbench.js";
import type { SuiteSource } from "./source.js";
import type { SuiteConfig } from "./types.js";


/*
 * PRESET_CHOICE. Every suite uses the `eval-numeric` preset (boxed, anchored phrase, last math span, then the last
 * bare number). Open-RS scored all five suites with lighteval's math-verify metric whose *prediction* targets were
 * (ExprExtractionConfig(), LatexExtractionConfig(boxed_match_priority=0)) — the same for the LaTeX-gold suites
 * (MATH-500, Minerva, OlympiadBench) as for the number-gold ones (AIME, AMC); only the *gold* extraction differed.
 * ExprExtractionConfig extracts un-anchored plain numbers too, so the paper credited a completion whose answer is a
 * bare final number with no box or math span; `eval` would not. The difference only touches completions with no
 * \boxed{}, no "final answer is" and no math span, which the paper's prompt makes rare.
 */

/** Registered suites in the paper's table order, then the extras; bundled suites (config.bundled) have no hub source. */
const DEFINITIONS: readonly { suite: SuiteConfig; source?: SuiteSource }[] = [aime24, math500, amc23, minerva, olympiadbench, aime25, gsm8k, arith];

/** Every suite by id. */
export const SUITES: Readonly<Record<string, SuiteConfig>> = Object.freeze(Object.fromEntries(DEFINITIONS.map((d) => [d.suite.id, d.suite])));

/** Each downloadable suite's hub source mapping, by id (what `data pull` needs beyond the config); bundled suites have none. */
export const SOURCES: Readonly<Record<string, SuiteSource>> = Object.freeze(
  Object.fromEntries(DEFINITIONS.flatMap((d) => (d.source ? [[d.suite.id, d.source] as const] : []))),
);

/** Ids of every suite, paper's five first in the paper's Table 1 order. */
export const SUITE_IDS: readonly string[] = Object.freeze(DEFINITIONS.map((d) => d.suite.id));

/** The paper's five (`--bench all`), in Table 1 order: AIME24, MATH-500, AMC23, Minerva, OlympiadBench. */
export const PAPER_SUITE_IDS: readonly string[] = Object.freeze(DEFINITIONS.filter((d) => d.suite.paper).map((d) => d.suite.id));

/** An unknown suite id or a malformed `--bench` list: a usage error. */
export class UnknownSuiteError extends Error {
  override name = "UnknownSuiteError";
}

/** The suite with this id; unknown ids throw UnknownSuiteError listing the known ones. */
export function getSuite(id: string): SuiteConfig {
  const s = Object.hasOwn(SUITES, id) ? SUITES[id] : undefined;
  if (!s) throw new UnknownSuiteError(`unknown suite "${id}" (known: ${SUITE_IDS.join(", ")}; "all" = ${PAPER_SUITE_IDS.join(",")})`);
  return s;
}

/** The hub source mapping of a suite id; a bundled suite has none (nothing to download) and throws. */
export function getSource(id: string): SuiteSource {
  const suite = getSuite(id);
  if (!Object.hasOwn(SOURCES, id)) throw new UnknownSuiteError(`suite "${id}" ships with the package (${suite.bundled}); it has no hub source`);
  return SOURCES[id];
}

/**
 * Parses a `--bench` value: "all" (the paper's five, in table order) or a comma-separated list of ids, kept in the
 * order given, duplicates dropped. Case and surrounding spaces are ignored.
 */
export function resolveBenchList(spec: string): SuiteConfig[] {
  const parts = spec
    .split(",")
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p !== "");
  if (parts.length === 0) throw new UnknownSuiteError(`empty suite list "${spec}" (use "all" or ids from: ${SUITE_IDS.join(", ")})`);
  const ids: string[] = [];
  for (const p of parts) {
    for (const id of p === "all" ? PAPER_SUITE_IDS : [p]) if (!ids.includes(id)) ids.push(id);
  }
  return ids.map(getSuite);
}
