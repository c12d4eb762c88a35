// Language drift for the eval counts: a completion whose prose (outside math) is mostly non-Latin script, judged by
// the trainer's `nonLatinProseFraction` so evaluation and the language reward agree on what drift is.
import { nonLatinProseFraction } from "../../trainer/rewards/language.js";

export { nonLatinProseFraction };

/** Completions whose non-Latin prose share exceeds this count as language drift (a failure mode the paper reports). */
export const LANGUAGE_DRIFT_THRESHOLD = 0.3;

const NON_ASCII = /[^\x00-\x7f]/;

/** Whether a completion drifted out of Latin-script prose (share above LANGUAGE_DRIFT_THRESHOLD). */
export function isLanguageDrift(text: string): boolean {
  // Pure-ASCII text has no non-Latin letters; one native scan skips the prose analysis for most completions.
  if (!NON_ASCII.test(text)) return false;
  return nonLatinProseFraction(text) > LANGUAGE_DRIFT_THRESHOLD;
}
