// extractAnswer: completion text -> final answer string, by named rules tried in the preset's order.
import { type ExtractionRuleName, type GradeOptions, resolveOptions } from "./options.js";

export interface Extraction {
  answer: string | null;
  rule: ExtractionRuleName | null;
}

/** Longest brace-balanced argument we follow; deeper nesting is treated as unbalanced. */
const MAX_BRACE_DEPTH = 500;

/** The text extraction looks at: after the last `</think>` when present. */
export function answerScope(completion: string, afterThink: boolean): string {
  if (!afterThink) return completion;
  const i = completion.lastIndexOf("</think>");
  return i < 0 ? completion : completion.slice(i + "</think>".length);
}

/** Reads `{...}` starting at `open` (the index of "{"); returns the content and the index after "}", or null. */
export function readBraced(s: string, open: number, end = s.length): { content: string; end: number } | null {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 92 /* \ */) {
      i++; // skip the escaped character, so \{ and \} do not count
      continue;
    }
    if (ch === 123) {
      if (++depth > MAX_BRACE_DEPTH) return null;
    } else if (ch === 125) {
      if (--depth === 0) return { content: s.slice(open + 1, i), end: i + 1 };
    }
  }
  return null;
}

interface Box {
  start: number;
  end: number;
  content: string;
}

const BOX_RE = /\\(?:boxed|fbox)(?![A-Za-z])/g;

/** The box argument at `pos` (just after `\boxed`): `{...}` or `\boxed 5` (one token); braces must close before `end`. */
function readBoxArg(s: string, pos: number, end: number): { content: string; end: number } | null {
  let i = pos;
  while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  if (s[i] === "{") return readBraced(s, i, end);
  if (i === pos) return null; // "\boxedx" is not a box
  const m = /^[^\s$]+/.exec(s.slice(i, i + 200));
  if (!m) return null;
  // "\boxed 5." ends a sentence: the period is not part of the answer.
  return { content: m[0].replace(/[.,;]+$/, ""), end: i + m[0].length };
}

/** Rule `boxed`: the last `\boxed{}`/`\fbox{}`; boxes that share the final sentence form a list. */
export function boxedRule(scope: string): string | null {
  const boxes = finalBoxes(scope);
  if (boxes.length === 0) return null;
  // The same box repeated is one answer.
  return [...new Set(boxes.map((b) => b.content))].join(", ");
}

/**
 * The content of the very last box, never a list: how a reference solution's gold is read (math-verify's gold
 * extraction; MATH-500's `answer` equals its solution's last box for all 500 problems).
 */
export function lastBoxContent(text: string): string | null {
  return finalBoxes(text).at(-1)?.content ?? null;
}

/** The boxes of the final answer sentence, in text order (empty when there is no closed box). */
function finalBoxes(scope: string): Box[] {
  const boxes: Box[] = [];
  // Scan from the end: only the last few boxes can share the final sentence.
  let idx = scope.length;
  let fstart = scope.lastIndexOf("\\fbox");
  // A box that starts before an unclosed one cannot close either (its braces would have to close inside the
  // unbalanced tail), so brace matching never needs to look past the earliest unclosed box: linear overall.
  let closeBefore = scope.length;
  while (boxes.length < 64 && idx > 0) {
    const start = scope.lastIndexOf("\\boxed", idx - 1);
    while (fstart >= idx) fstart = fstart > 0 ? scope.lastIndexOf("\\fbox", fstart - 1) : -1;
    const s = Math.max(start, fstart);
    if (s < 0) break;
    BOX_RE.lastIndex = s;
    const m = BOX_RE.exec(scope);
    idx = s;
    if (!m || m.index !== s) continue;
    const arg = readBoxArg(scope, s + m[0].length, closeBefore);
    if (!arg) {
      closeBefore = s;
      if (boxes.length === 0) continue; // an unclosed last box: look further back
      break;
    }
    const box = { start: s, end: arg.end, content: arg.content.trim() };
    if (boxes.length > 0 && box.end > boxes[0].start) {
      // \boxed{\boxed{5}}: the outer box holds the inner one; keep the outer (normalisation unwraps it).
      boxes.shift();
    } else if (boxes.length > 0 && !joinsList(scope.slice(box.end, boxes[0].start))) break;
    boxes.unshift(box);
  }
  return boxes;
}
/**
 * Text between two boxes of one final answer: separators (`, `, ` and `, ` or `, `$ $`) and labels (`x = `).
 * "or" joins too: `\boxed{15\frac{39}{40}}, or \boxed{\frac{639}{40}}` (one answer in two forms) becomes a list
 * whose items are equal, which the comparison reads as that one answer. A few words around an "and"/"or" join as well
 * before the conjunction (`\boxed{1} papers and \boxed{2} bins`, `\boxed{(3, 3)} \text{ for part (a) and } \boxed{(1, 1)}`),
 * but never words after it (`\boxed{1} and later \boxed{2}` is a correction: the last box is the answer).
 */
function joinsList(between: string): boolean {
  if (between.length >= 60) return false;
  if (/^(?:[\s$,;.]|\\quad|\\text\{\s*(?:and|or|,)\s*\}|\band\b|\bor\b|[A-Za-z](?:_\{?\w\}?)?\s*=|\\\)|\\\(|\\\]|\\\[)*$/.test(between)) return true;
  const words = between.replace(/\\(?:text|textbf|textrm|mbox|mathrm)\s*\{([^{}]*)\}/g, " $1 ").replace(/\\q?quad|\$|\\[()[\]]/g, " ");
  // Words only before the conjunction: "papers and", "for part (a) and"; "and later" is a correction, not a list.
  return /^[\s,;]*(?:[A-Za-z()]+[\s,;]+){0,4}(?:and|or)[\s,;]*(?:[A-Za-z](?:_\{?\w\}?)?\s*=\s*)?$/.test(words);
}

// "A:" (GSM8K few-shot "Q: ...? A: 18") opens an answer only at a line or sentence start on the last line; elsewhere
// it may label option A of a multiple-choice list.
const ANCHOR_RE = /(?:final answer is|the answer is|answer is|answer\s*:|^####|(?:^|(?<=[?.!]\s))[ \t]*A[ \t]*:(?=[^\n]*(?:\n\s*)?(?![\s\S])))/gim;

/** Anchors that name the final answer outright; one after the last box wins over the box (see extractAnswer). */
const STRONG_ANCHOR_RE = /final answer(?: is|\s*:)/gi;

/** Rule `anchored`: the math or sentence after the last "final answer is", "the answer is", "Answer:", or a GSM8K-style `#### N` line. */
export function anchoredRule(scope: string): string | null {
  let last: RegExpExecArray | null = null;
  ANCHOR_RE.lastIndex = 0;
  for (let m = ANCHOR_RE.exec(scope); m; m = ANCHOR_RE.exec(scope)) last = m;
  if (!last) return hopeSentence(scope);
  let rest = scope.slice(last.index + last[0].length, last.index + last[0].length + 2000);
  rest = rest.replace(/^[\s:*]+/, "");
  const span = firstMathSpan(rest);
  if (span !== null && /^\s*$/.test(rest.slice(0, span.start))) return span.content.trim() || null;
  const sentence = /^(.*?)(?:\.\s|\.$|\n|$)/s.exec(rest);
  const text = (sentence ? sentence[1] : rest).replace(/\s*I hope it is correct.*$/i, "").trim();
  return text === "" ? null : sentenceValue(text);
}

/**
 * "... there are 12 distinct sequences. I hope it is correct." with no anchor phrase: the sentence before the
 * template's closing words is the answer sentence.
 */
function hopeSentence(scope: string): string | null {
  const at = scope.search(/I hope it is correct/i);
  if (at < 0) return null;
  const before = scope.slice(Math.max(0, at - 2000), at).replace(/[\s.]+$/, "");
  const start = Math.max(before.search(/[^.!?\n]*$/), 0);
  const text = before.slice(start).trim();
  return text === "" ? null : sentenceValue(text);
}

/** A number as people write it in prose: optional currency sign, sign, thousands commas, decimals, `a/b`. */
const PROSE_VALUE = /(?:\\?\$\s?)?(-?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,]|\.\d)|\d[\d,]*(?:\.\d+)?(?:\/\d+)?|\.\d+))/;
/** Words that link a subject to its value: "The largest $n$ is 34". */
const COPULA = /\s(?:is|are|was|were|equals)\s+/gi;
const PROSE_WORD = /(?<![\\A-Za-z])[A-Za-z]{3,}/;

/**
 * The value an answer sentence names. Math or a value with at most one trailing word (`12 apples`) is the answer as
 * written; in prose the first value after the first "is"/"are"/"equals" counts (`The largest $n$ is 34`), else the first
 * value in the sentence (`that 5 cars drove through ... in 3 minutes` is 5, not the trailing 3). Prose with no value
 * (`Monday`, `no solution`) is returned whole.
 */
function sentenceValue(text: string): string {
  const plain = text.replace(/\$[^$]*\$|\\\([\s\S]*?\\\)|\\(?:text|textbf|mathrm|mbox)\s*\{[^{}]*\}/g, " ");
  if (!PROSE_WORD.test(plain.replace(/\b(?:and|or)\b/g, " ")) || /^\s*\\?\$?\s*-?[\d.,/]+\s*[A-Za-z]+\W*$/.test(plain) || /^\W*[A-Za-z]+\W*$/.test(plain)) return text;
  COPULA.lastIndex = 0;
  const copula = COPULA.exec(text);
  const tail = copula ? text.slice(copula.index + copula[0].length) : text;
  const value = firstValue(tail) ?? firstValue(text);
  return value ?? text;
}

/** The first math span or prose number in a sentence, when only a few words precede it. */
function firstValue(s: string): string | null {
  const span = firstMathSpan(s);
  const num = PROSE_VALUE.exec(s);
  const spanAt = span ? span.start : Number.POSITIVE_INFINITY;
  const numAt = num ? num.index : Number.POSITIVE_INFINITY;
  if (spanAt === Number.POSITIVE_INFINITY && numAt === Number.POSITIVE_INFINITY) return null;
  const at = Math.min(spanAt, numAt);
  if (s.slice(0, at).trim().split(/\s+/).length > 6) return null;
  if (span && spanAt <= numAt) return span.content.trim() || null;
  // A glued digit (`AZYUK2A`, `x2`) is part of a word, not a value.
  if (num && /[A-Za-z_]$/.test(s.slice(0, num.index))) return null;
  return num ? num[1].replace(/,+$/, "") : null;
}

/** Rule `mathSpan`: the content of the last `$...$`, `$$...$$`, `\(...\)` or `\[...\]`. */
export function mathSpanRule(scope: string): string | null {
  const spans = mathSpans(scope);
  for (let i = spans.length - 1; i >= 0; i--) if (spans[i].content.trim() !== "") return spans[i].content.trim();
  return null;
}

/**
 * A number in running text: a bare `\frac{a}{b}` (signed), `1 000` (space-grouped thousands), `1,250`, `-4.5`, `.4`,
 * `2/3`, `5.89e-7`. Never a digit glued to a letter before it (`AZYUK2A`, `x2`, `H2O`): that is part of a word.
 */
const NUMBER_RE =
  /(?<![A-Za-z_\d./])-?(?:\\[dtc]?frac\s*\{\s*-?\d+(?:\.\d+)?\s*\}\s*\{\s*\d+(?:\.\d+)?\s*\}|\\[dtc]?frac\d\d(?!\d)|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?![\d,]|\.\d)|\d[\d,]*(?:\.\d+|\.(?=\/\d))?(?:[eE][-+]?\d+(?![A-Za-z])|\/\d+(?![\d,]|\.\d))?|\.\d+)/g;

/** Rule `lastNumber`: the last number in the text (numeric suites only). */
export function lastNumberRule(scope: string): string | null {
  const tail = scope.slice(-5000);
  let last: string | null = null;
  NUMBER_RE.lastIndex = 0;
  for (let m = NUMBER_RE.exec(tail); m; m = NUMBER_RE.exec(tail)) last = m[0];
  return last === null ? null : last.replace(/,+$/, "");
}

interface Span {
  start: number;
  content: string;
}

function firstMathSpan(s: string): Span | null {
  const spans = mathSpans(s.slice(0, 2000), 1);
  return spans[0] ?? null;
}

/** Math spans in order; `\$` is a literal dollar. */
function mathSpans(s: string, limit = Number.POSITIVE_INFINITY): Span[] {
  const out: Span[] = [];
  let i = 0;
  while (i < s.length && out.length < limit) {
    const ch = s[i];
    if (ch === "\\" && (s[i + 1] === "(" || s[i + 1] === "[")) {
      const close = s[i + 1] === "(" ? "\\)" : "\\]";
      const j = s.indexOf(close, i + 2);
      if (j < 0) break;
      out.push({ start: i, content: s.slice(i + 2, j) });
      i = j + 2;
    } else if (ch === "\\") {
      i += 2;
    } else if (ch === "$" && s[i + 1] !== "$" && isCurrency(s, i)) {
      i++;
    } else if (ch === "$") {
      const dbl = s[i + 1] === "$";
      const open = dbl ? 2 : 1;
      let j = i + open;
      for (; j < s.length; j++) {
        if (s[j] === "\\") {
          j++;
          continue;
        }
        if (s[j] === "$") break;
      }
      if (j >= s.length) break;
      out.push({ start: i, content: s.slice(i + open, j) });
      i = j + (dbl && s[j + 1] === "$" ? 2 : 1);
    } else i++;
  }
  return out;
}

/**
 * A `$` followed by an amount and then prose, the end of a line, a sentence end, or another amount (`$2 per egg`,
 * `$18.`, `$10 + $5`, `$1.20/4 = $0.30`, `$<<2*9=18>>`) is money, not a math delimiter. `$5$`, `$2x$`, `$2 \times 3$`, `$1: 4$`, `$1 /$`
 * stay math.
 */
const CURRENCY_RE = /^\$\s?(?:<<|\d[\d,]*(?:\.\d+)?(?:\s+[A-Za-z]{2,}|,\s+[A-Za-z]{2,}|[.!?)](?:\s|$)|[ \t]*(?:\n|$)|(?:\s*[-+*/\u00d7x]\s*\d[\d,.]*)*\s*[-+*/=\u00d7]\s*\\?\$\s?\d))/;

function isCurrency(s: string, i: number): boolean {
  return CURRENCY_RE.test(s.slice(i, i + 64));
}

/** Chat-template tokens (`<|im_end|>`, `<|endoftext|>`, `<｜end▁of▁sentence｜>`): what follows is not the model's answer. */
const CHAT_TOKEN_RE = /<[|\uff5c][^<>\n]{1,40}?[|\uff5c]>/g;
/** GSM8K calculator annotations `<<2*9=18>>`: bookkeeping of the data set, never an answer. */
const CALC_RE = /<<[^<>\n]{0,200}>>/g;

/** The scope without calculator annotations and without anything after the first chat-template token past the answer. */
export function cleanScope(scope: string): string {
  let s = scope;
  if (s.includes("<|") || s.includes("<\uff5c")) {
    // Leading tokens (`<|im_start|>assistant`) open the answer; the first one after some text ends it.
    let end = -1;
    let from = 0;
    for (const m of s.matchAll(CHAT_TOKEN_RE)) {
      if (s.slice(from, m.index).trim() !== "") {
        end = m.index;
        break;
      }
      from = m.index + m[0].length;
    }
    if (end >= 0) s = s.slice(0, end);
    s = s.replace(CHAT_TOKEN_RE, " ");
  }
  if (s.includes("<<")) s = s.replace(CALC_RE, "");
  return s;
}

export const EXTRACTION_RULES: Readonly<Record<ExtractionRuleName, (scope: string) => string | null>> = {
  boxed: boxedRule,
  anchored: anchoredRule,
  mathSpan: mathSpanRule,
  lastNumber: lastNumberRule,
};

export function extractAnswer(completion: string, options?: Partial<GradeOptions> | string): Extraction {
  const o = resolveOptions(options);
  let text = completion;
  if (text.length > o.maxCompletionChars) text = text.slice(-o.maxCompletionChars);
  const scope = cleanScope(answerScope(text, o.afterThink));
  for (const rule of o.rules) {
    const answer = EXTRACTION_RULES[rule](scope);
    if (answer === null || answer.trim() === "") continue;
    if (rule === "boxed" && o.rules.includes("anchored")) {
      const later = finalAnswerAfterBoxes(scope);
      if (later !== null) return { answer: later, rule: "anchored" };
    }
    return { answer: answer.trim(), rule };
  }
  return { answer: null, rule: null };
}

/**
 * Precedence: a box is the answer unless an explicit "final answer is ..." / "Final Answer: ..." statement comes
 * after the last box (`... \boxed{255} ... The final answer is $10,455$. I hope it is correct.`): the later, explicitly
 * final statement wins. A plain "the answer is" after a box does not override it.
 */
function finalAnswerAfterBoxes(scope: string): string | null {
  // Cheap guard first: most completions have no "final answer" after their last box.
  const lastBox = Math.max(scope.lastIndexOf("\\boxed"), scope.lastIndexOf("\\fbox"));
  if (!/final answer/i.test(scope.slice(lastBox))) return null;
  const boxes = finalBoxes(scope);
  const lastEnd = boxes.length > 0 ? boxes[boxes.length - 1].end : scope.length;
  let at = -1;
  STRONG_ANCHOR_RE.lastIndex = 0;
  for (let m = STRONG_ANCHOR_RE.exec(scope); m; m = STRONG_ANCHOR_RE.exec(scope)) at = m.index;
  if (at < lastEnd) return null;
  const answer = anchoredRule(scope.slice(at));
  return answer !== null && answer.trim() !== "" ? answer.trim() : null;
}
