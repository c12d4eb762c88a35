// Named string-level normalisation rules applied to an answer before tokenising; each is testable on its own.
import { readBraced } from "./extract.js";

/** What normalisation learned about the answer while rewriting it. */
export interface NormalizeNotes {
  percent: boolean;
  degrees: boolean;
  unit: string | null;
}

export type Rule = (s: string, notes: NormalizeNotes) => string;

/** Unit words stripped after a value when written bare (`12 inches`); anything else might be a variable. */
const UNIT_WORDS = new Set(
  "units unit cm mm km inch inches ft feet foot yd yard yards mi mile miles meter meters metre metres centimeters centimeter millimeters kilometers kilometer sec second seconds min minute minutes hr hrs hour hours day days week weeks month months year years kg gram grams mg lb lbs pound pounds oz ounce ounces liter liters ml gallon gallons mph kph dollars dollar cents cent degrees degree percent people students cookies apples marbles ways points km/h m/s cm/s ft/s".split(
    " ",
  ),
);

const UNICODE: [RegExp, string][] = [
  [/[\u2212\u2013\u2014]/g, "-"],
  [/[\u00d7\u22c5\u00b7]/g, "\\cdot "],
  [/\u00f7/g, "\\div "],
  [/\u03c0/g, "\\pi "],
  [/\u221e/g, "\\infty "],
  [/\u2264/g, "\\le "],
  [/\u2265/g, "\\ge "],
  [/\u2260/g, "\\ne "],
  [/\u221a/g, "\\sqrt"],
  [/\u222a/g, "\\cup "],
  [/\u2208/g, "\\in "],
  [/[\u00a0\u2009\u202f]/g, " "],
];

export const rules: Readonly<Record<string, Rule>> = {
  /** Unicode math symbols to their LaTeX commands. */
  unicode: (s) => {
    if (!/[^\x00-\x7f]/.test(s)) return s;
    for (const [re, to] of UNICODE) s = s.replace(re, to);
    return s;
  },
  /** `$...$`, `\(...\)`, `\[...\]` delimiters and `\displaystyle` carry no meaning inside an answer. */
  mathDelimiters: (s) =>
    s
      .replace(/\\\$/g, "\u0001") // keep escaped dollars (currency) for the currency rule
      .replace(/\$/g, " ")
      .replace(/\\[()[\]]/g, " ")
      .replace(/\u0001/g, "\\$")
      .replace(/\\(displaystyle|textstyle|scriptstyle)/g, " "),
  /** A gold written as `\boxed{X}` means X. */
  boxWrapper: (s) => {
    const m = /^\s*\\(?:boxed|fbox)\s*(?=\{)/.exec(s);
    if (!m) return s;
    const arg = readBraced(s, m[0].length);
    return arg && s.slice(arg.end).trim() === "" ? arg.content : s;
  },
  /** `\left(`, `\right]`, `\bigl(`: sizing only; `\left.` and `\right.` are invisible. */
  sizing: (s) => s.replace(/\\(?:left|right)\s*\./g, " ").replace(/\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])/g, " "),
  /** Thin/negative spaces, `~`, `\quad` (also glued to a one-letter name, `\quadx_2`, as space-stripped golds have it). */
  spacing: (s) => s.replace(/\\\\|\\[,;:! ]/g, (m) => (m === "\\\\" ? m : " ")).replace(/\\q?quad(?![A-Za-z])|\\q?quad(?=[A-Za-z][^A-Za-z])/g, " ").replace(/~/g, " "),
  /** `\dfrac`, `\tfrac`, `\cfrac` are `\frac`; `\dbinom` is `\binom`. */
  fracVariants: (s) => s.replace(/\\[dtc]frac(?![A-Za-z])/g, "\\frac").replace(/\\[dt]binom(?![A-Za-z])/g, "\\binom"),
  /** Relation spellings to one form. */
  relations: (s) =>
    s
      .replace(/\\(?:leq|leqslant|leqq)(?![A-Za-z])/g, "\\le ")
      .replace(/\\(?:geq|geqslant|geqq)(?![A-Za-z])/g, "\\ge ")
      .replace(/\\(?:neq)(?![A-Za-z])/g, "\\ne ")
      .replace(/\\lt(?![A-Za-z])/g, "<")
      .replace(/\\gt(?![A-Za-z])/g, ">")
      .replace(/<=/g, "\\le ")
      .replace(/>=/g, "\\ge ")
      .replace(/!=/g, "\\ne ")
      .replace(/\\(?:dfrac)/g, "\\frac"),
  /** `1 000`, `12 345 678`: digits grouped by single spaces (`\,` and thin spaces became spaces) are one number. */
  spaceThousands: (s) => (s.includes(" ") ? s.replace(/(?<![\d.])\d{1,3}(?: \d{3})+(?![\d]| \d)/g, (m) => m.replace(/ /g, "")) : s),
  /** `1{,}000`, `14 {, }916` and `29,\!322,\!216` (MATH's style) are thousands separators wherever they stand. */
  thousandsBraces: (s) => s.replace(/(\d)\s*\{\s*,\s*\}\s*(?=\d)/g, "$1").replace(/\{,\}/g, "").replace(/(\d),\\!\s*(?=\d{3}(?!\d))/g, "$1"),
  /** `\phantom{x}` and `\phantom -` are invisible. */
  phantom: (s) => s.replace(/\\[hv]?phantom\s*(?:\{[^{}]*\}|.)/g, ""),
  /** `45^\circ`, `45^{\circ}`, `45°`, `\degree`: degrees. */
  degrees: (s, notes) => {
    const t = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![A-Za-z])|\\circ(?![A-Za-z])|\u00b0|\\degree(?![A-Za-z])|\^\s*\{\s*\\text\{\s*o\s*\}\s*\}/g, " ");
    if (t !== s) notes.degrees = true;
    return t;
  },
  /** `10\%`, `10%`, `10 percent`, `10 pct`, `10 percentage`. */
  percent: (s, notes) => {
    const t = s.replace(/\\%|%|\\(?:text|textbf|mathrm)\s*\{\s*(?:percent(?:age)?|pct)\s*\}|\b(?:percent(?:age)?|per cent|pct)\b/g, " ");
    if (t !== s) notes.percent = true;
    return t;
  },
  /** `\$18`, `18 dollars`: currency is a unit. */
  currency: (s) => s.replace(/\\\$|\$/g, " "),
  /** `\emptyset`, `\varnothing`: the empty set. `\mathbb{R}`: the real line. */
  namedSets: (s) =>
    s
      .replace(/\\(?:emptyset|varnothing)(?![A-Za-z])/g, "\\{\\}")
      .replace(/\\mathbb\s*\{?\s*R\s*\}?/g, "(-\\infty,\\infty)")
      .replace(/^\s*(?:\\text\s*\{\s*)?all real numbers\s*\}?\s*$/i, "(-\\infty,\\infty)"),
  /** `\text{ and }`, `and`, `or` between answers list them (also unspaced between brackets: `(11,7)or(7,11)`). */
  conjunctions: (s) =>
    s
      .replace(/\\(?:text|textrm|mbox|mathrm)\s*\{\s*(?:and|or|,)\s*\}/g, ",")
      .replace(/\s+(?:and|or)\s+/g, ",")
      .replace(/(?<=[)\]])\s*(?:and|or)\s*(?=[([])/g, ","),
  /**
   * Trailing units: `5 \text{ cm}`, `6.5 \mathrm{~m}`, `288\pi \text{ cubic units}` (text wrappers after a value), and
   * bare unit words from a list (`12 inches`, `12\sqrt{3} cm`); a bare tail that is not a known unit (`2 n-1`) stays.
   */
  units: (s, notes) => {
    const wrapped = /^(.*?(?:[0-9}]|\\pi))\s*((?:\\(?:text|textnormal|mathrm|mbox|textrm|operatorname|textbf|textit|mathbf|mathit)\s*\{[^{}]*\}\s*(?:\^\s*\{?-?\d\}?)?\s*(?:\/\s*)?)+)$/.exec(s);
    if (wrapped && /\d|\\pi/.test(wrapped[1]) && /[A-Za-z]/.test(wrapped[2].replace(/\\[A-Za-z]+/g, ""))) {
      notes.unit = wrapped[2].replace(/\\[A-Za-z]+|[{}]/g, "").trim();
      return wrapped[1];
    }
    const bare = /^(.*?(?:[0-9}]|\\pi))\s+((?:square |cubic |sq\.? )?[A-Za-z]+(?:\/[A-Za-z]+)?(?:\s*\^\s*\{?\d\}?)?)$/.exec(s);
    if (bare && /\d|\\pi/.test(bare[1]) && UNIT_WORDS.has(bare[2].replace(/\s*\^.*$/, "").replace(/^(?:square|cubic|sq\.?) /, "").toLowerCase())) {
      notes.unit = bare[2].trim();
      return bare[1];
    }
    return s;
  },
  /** `3 \pmod{7}`, `1 \ (\text{mod } 7)`, `3 \mod 7`: the residue is the answer. */
  modulus: (s) =>
    s
      .replace(/\\pmod\s*\{[^{}]*\}/g, " ")
      .replace(/\(\s*\\(?:text|mathrm)\s*\{\s*mod\s*\}\s*[^()]*\)/g, " ")
      .replace(/\\(?:bmod|mod)\s*\{?\s*\d+\s*\}?\s*$/g, " "),
  /** `\text{5}` is 5: unwrap text wrappers whose content is not words. */
  textWrappers: (s) => s.replace(/\\(?:text|textnormal|textbf|mathbf|textrm|mbox|mathrm)\s*\{([^{}A-Za-z]*)\}/g, "$1"),
  /** `np.arcsin(x)`, `math.sqrt(2)`: code spellings of functions. */
  codeNotation: (s) => s.replace(/\b(?:np|numpy|math|sympy|sp)\.(?=[a-z])/g, "").replace(/\*\*/g, "^"),
  /** `y^{\prime}`, `y^\prime`, `y'`: a derivative is part of the variable's name. */
  primes: (s) => s.replace(/\^\s*\{\s*((?:\\prime\s*)+)\}|\^\s*\\prime(?![A-Za-z])/g, (_m, g: string | undefined) => "'".repeat(g ? (g.match(/prime/g) ?? []).length : 1)),
  /** Trailing sentence punctuation and surrounding space. */
  trailingPunctuation: (s) => s.replace(/[\s.;,]+$/g, "").replace(/^[\s,;:]+/, ""),
};

/** The order rules run in. */
export const RULE_ORDER: readonly (keyof typeof rules)[] = [
  "unicode",
  "mathDelimiters",
  "codeNotation",
  "primes",
  "boxWrapper",
  "sizing",
  "thousandsBraces",
  "phantom",
  "spacing",
  "spaceThousands",
  "fracVariants",
  "relations",
  "degrees",
  "percent",
  "currency",
  "namedSets",
  "conjunctions",
  "trailingPunctuation",
  "modulus",
  "units",
  "textWrappers",
  "trailingPunctuation",
];

/** Plain numbers (most benchmark answers) need no rule; skipping them keeps the common case fast. */
const PLAIN_NUMBER = /^\s*-?\d+(?:\.\d+)?\s*$/;

/**
 * `1,22` or `1.000,5` read with a decimal comma (only when asked: `decimalComma`, default off, because `1,220` is one
 * thousand two hundred and twenty and `1,22` is more often a list of two numbers in English text). Applies to an answer
 * that is a single number; thousands may then be grouped by `.` or spaces.
 */
const DECIMAL_COMMA = /^\s*([+-]?)(\d{1,3}(?:[. ]\d{3})+|\d+),(\d+)\s*$/;

export function decimalCommaNumber(raw: string): string | null {
  const m = DECIMAL_COMMA.exec(raw);
  return m ? `${m[1]}${m[2].replace(/[. ]/g, "")}.${m[3]}` : null;
}

export function normalizeAnswer(raw: string, opts: { decimalComma?: boolean } = {}): { text: string; notes: NormalizeNotes } {
  const notes: NormalizeNotes = { percent: false, degrees: false, unit: null };
  if (PLAIN_NUMBER.test(raw)) return { text: raw.trim(), notes };
  let s = raw;
  if (opts.decimalComma) s = decimalCommaNumber(raw.replace(/\$/g, "")) ?? s;
  for (const name of RULE_ORDER) s = rules[name](s, notes);
  return { text: s.trim(), notes };
}

/** Lower-cased letters and digits only: the form text answers are compared in. */
export function textForm(raw: string): string {
  return raw
    .replace(/\\(?:text|textbf|textit|textnormal|mathrm|mathbf|mbox|textrm|operatorname)(?![A-Za-z])\s*/g, "")
    .replace(/\\[,;:! ]/g, "")
    .replace(/[^A-Za-z0-9]/g, "")
    .toLowerCase();
}
