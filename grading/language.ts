// Language drift: the share of prose letters (outside math and code) written in non-Latin scripts. One measure for
// evaluation (the drift count in run metrics) and training (the language reward), so both agree on what drift is.

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

/** Completions whose non-Latin prose share exceeds this count as language drift (a failure mode the paper reports). */
export const LANGUAGE_DRIFT_THRESHOLD = 0.3;

const NON_ASCII = /[^\x00-\x7f]/;

/** Whether a completion drifted out of Latin-script prose (share above LANGUAGE_DRIFT_THRESHOLD). */
export function isLanguageDrift(text: string): boolean {
  // Pure-ASCII text has no non-Latin letters; one native scan skips the prose analysis for most completions.
  if (!NON_ASCII.test(text)) return false;
  return nonLatinProseFraction(text) > LANGUAGE_DRIFT_THRESHOLD;
}
