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
 * whose items are equal, which the comparison reads as that one answer.
 */
function joinsList(between: string): boolean {
  return (
    between.length < 40 &&
    /^(?:[\s$,;.]|\\quad|\\text\{\s*(?:and|or|,)\s*\}|\band\b|\bor\b|[A-Za-z](?:_\{?\w\}?)?\s*=|\\\)|\\\(|\\\]|\\\[)*$/.test(between)
  );
}

const ANCHOR_RE = /(?:final answer is|the answer is|answer is|answer\s*:|^####)/gim;

/** Rule `anchored`: the math or sentence after the last "final answer is", "the answer is", "Answer:", or a GSM8K-style `#### N` line. */
export function anchoredRule(scope: string): string | null {
  let last: RegExpExecArray | null = null;
  ANCHOR_RE.lastIndex = 0;
  for (let m = ANCHOR_RE.exec(scope); m; m = ANCHOR_RE.exec(scope)) last = m;
  if (!last) return null;
  let rest = scope.slice(last.index + last[0].length, last.index + last[0].length + 2000);
  rest = rest.replace(/^[\s:*]+/, "");
  const span = firstMathSpan(rest);
  if (span !== null && /^\s*$/.test(rest.slice(0, span.start))) return span.content.trim() || null;
  const sentence = /^(.*?)(?:\.\s|\.$|\n|$)/s.exec(rest);
  const text = (sentence ? sentence[1] : rest).replace(/\s*I hope it is correct.*$/i, "").trim();
  return text === "" ? null : text;
}

/** Rule `mathSpan`: the content of the last `$...$`, `$$...$$`, `\(...\)` or `\[...\]`. */
export function mathSpanRule(scope: string): string | null {
  const spans = mathSpans(scope);
  for (let i = spans.length - 1; i >= 0; i--) if (spans[i].content.trim() !== "") return spans[i].content.trim();
  return null;
}

const NUMBER_RE = /-?\d[\d,]*(?:\.\d+)?/g;

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
  const scope = answerScope(text, o.afterThink);
  for (const rule of o.rules) {
    const answer = EXTRACTION_RULES[rule](scope);
    if (answer !== null && answer.trim() !== "") return { answer: answer.trim(), rule };
  }
  return { answer: null, rule: null };
}
