// Language drift: the share of prose letters (outside math and code) written in non-Latin scripts, and the
// penalty reward over it. The eval runner reuses `nonLatinProseFraction` for its language-drift count.
import type { Gold, Reward, RewardSpec } from "./types.js";
import { checkAligned, finiteNumber, rejectUnknown } from "./validate.js";

const LETTER = /\p{L}/u;
const LATIN = /\p{Script=Latin}/u;

/** End index (exclusive) of the brace group opening at or after `i` (skipping spaces), or -1 when unbalanced. */
function bracedEnd(s: string, i: number): number {
  while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  if (s[i] !== "{") return -1;
  let depth = 0;
  for (let k = i; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 92) k++;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return k + 1;
  }
  return -1;
}

/**
 * The prose of `text`: everything outside `$$...$$`, `$...$`, `\(...\)`, `\[...\]`, `\boxed{...}`, fenced
 * (```...```) and inline (`...`) code. An opener without its closer is kept as prose (a lone `$` is usually a
 * dollar sign). Linear time: once a closer is known to be absent, later openers of that kind are not searched.
 */
export function proseOf(text: string): string {
  const missing = new Set<string>();
  const closeAt = (closer: string, from: number): number => {
    if (missing.has(closer)) return -1;
    const j = text.indexOf(closer, from);
    if (j < 0) missing.add(closer);
    return j;
  };
  let out = "";
  let keepFrom = 0;
  let i = 0;
  const skip = (from: number, to: number) => {
    out += text.slice(keepFrom, from);
    out += " ";
    keepFrom = to;
    i = to;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "`") {
      const fence = text.startsWith("```", i);
      const closer = fence ? "```" : "`";
      const j = closeAt(closer, i + closer.length);
      if (j >= 0) skip(i, j + closer.length);
      else if (fence) skip(i, text.length); // an unclosed fence runs to the end, as Markdown renders it
      else i++;
    } else if (c === "$") {
      const closer = text.startsWith("$$", i) ? "$$" : "$";
      const j = closeAt(closer, i + closer.length);
      if (j >= 0) skip(i, j + closer.length);
      else i += closer.length;
    } else if (c === "\\") {
      const n = text[i + 1];
      if (n === "(" || n === "[") {
        const closer = n === "(" ? "\\)" : "\\]";
        const j = closeAt(closer, i + 2);
        if (j >= 0) skip(i, j + 2);
        else i += 2;
      } else if (text.startsWith("\\boxed", i)) {
        const end = bracedEnd(text, i + 6);
        if (end >= 0) skip(i, end);
        else i += 6;
      } else i += 2; // an escaped character (\$, \\) never opens math
    } else i++;
  }
  return out + text.slice(keepFrom);
}

/**
 * Share of the prose letters (Unicode category L, outside math and code) that are not in the Latin script:
 * 0 for English (or any Latin-script) prose, 1 for prose entirely in e.g. Chinese or Cyrillic, 0 when there are
 * no prose letters at all. Greek letters written as Unicode outside math count as non-Latin.
 */
export function nonLatinProseFraction(text: string): number {
  const prose = proseOf(text);
  let letters = 0;
  let nonLatin = 0;
  for (let i = 0; i < prose.length; i++) {
    const c = prose.charCodeAt(i);
    if (c < 128) {
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
      continue;
    }
    let ch = prose[i];
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < prose.length) {
      ch = prose.slice(i, i + 2);
      i++;
    }
    if (!LETTER.test(ch)) continue;
    letters++;
    if (!LATIN.test(ch)) nonLatin++;
  }
  return letters === 0 ? 0 : nonLatin / letters;
}

export interface LanguageOptions {
  /** Reward of a completion whose prose is entirely non-Latin (≤ 0); the value scales linearly with the share. */
  maxPenalty: number;
}

export const LANGUAGE_DEFAULTS: Readonly<LanguageOptions> = Object.freeze({ maxPenalty: -1.0 });

export function languageReward(completions: readonly string[], golds?: readonly Gold[], options: LanguageOptions = LANGUAGE_DEFAULTS): number[] {
  if (golds) checkAligned("language", completions, golds);
  // `+ 0` turns the -0 of an all-Latin text into 0, so logs and JSON show a plain zero.
  return completions.map((c) => nonLatinProseFraction(typeof c === "string" ? c : "") * options.maxPenalty + 0);
}

export function resolveLanguageOptions(given: Record<string, unknown> = {}): LanguageOptions {
  rejectUnknown("language", given, Object.keys(LANGUAGE_DEFAULTS));
  const maxPenalty = given.maxPenalty === undefined ? LANGUAGE_DEFAULTS.maxPenalty : finiteNumber("language", "maxPenalty", given.maxPenalty);
  if (maxPenalty > 0) throw new Error(`reward "language": option "maxPenalty" must be <= 0 (it is a penalty), got ${maxPenalty}`);
  return Object.freeze({ maxPenalty });
}

export const language: RewardSpec = {
  name: "language",
  description: "language-drift penalty: maxPenalty * share of prose letters (outside math/code) in non-Latin scripts",
  create(given): Reward {
    const options = resolveLanguageOptions(given);
    return { name: "language", options, needsVerdicts: false, needsTokens: false, score: (c, g) => languageReward(c, g, options) };
  },
};
