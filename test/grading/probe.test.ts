// Assorted answer forms as models write them (gold, prediction, expected): a second table beside grading-table.
import { describe, expect, test } from "vitest";
import { isEquivalent } from "../../grading/index.js";

const cases: [string, string, boolean][] = [
 ["\\frac{3}{4}", "\\dfrac{3}{4}", true], ["18.90", "\\$18.90", true], ["1000", "1,\\!000", true],
 ["(-\\infty,-2)\\cup(3,\\infty)", "(-\\infty, -2) \\cup (3, +\\infty)", true],
 ["\\text{B}", "\\textbf{(B)}", true], ["60", "60^{\\circ}", true], ["y=-\\frac{1}{2}x+3", "y = -0.5x + 3", true],
 ["5", "5\\text{ cm}", true], ["\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", true], ["3\\sqrt{2}", "\\sqrt{18}", true],
 ["\\frac{1}{2}", "\\frac{1}{2}\\text{ or }0.5", true] /* one value in two forms */, ["2", "x=2", true], ["2", "2 \\text{ and } 3", false],
 ["4", "\\boxed{4}", true], ["\\infty", "\\infty", true], ["-\\infty", "\\infty", false],
 ["x^2+2x+1", "(x+1)^2", true], ["\\sin^2 x", "1-\\cos^2 x", true], ["a+b", "b+a", true], ["ab", "ba", true],
 ["\\frac{a}{b}", "a/b", true], ["e^{i\\pi}", "-1", true], ["\\log_2 8", "3", true], ["\\ln e^2", "2", true],
 ["\\sqrt{-4}", "2i", true], ["i", "\\sqrt{-1}", true], ["\\binom{10}{3}", "120", true], ["10!", "3628800", true],
 ["0", "-0", true], ["1.5", "\\frac{3}{2}", true], ["1.5", "1.50", true], ["\\frac{2}{4}", "\\frac{1}{2}", true],
 ["(1,2)", "(1, 2)", true], ["[1,2]", "[1,2)", false], ["\\{1,2,3\\}", "\\{3,2,1\\}", true], ["\\{1,2,3\\}", "\\{1,2\\}", false],
 ["3", "3.0000001", false], ["\\pi", "3.14159265358979", true], ["100\\pi", "314.159265", true] /* relative error 1.1e-9 is inside the 1e-6 tolerance */, 
 ["\\frac{7}{2}", "3\\frac{1}{2}", true], ["2\\sqrt{2}", "2 \\sqrt 2", true], ["\\sqrt{2}", "2^{0.5}", true], ["\\sqrt{2}", "2^{1/2}", true],
 ["x \\in (0,1)", "(0,1)", true], ["0 < x < 1", "(0,1)", true], ["\\mathbb{R}", "(-\\infty,\\infty)", true], ["\\emptyset", "\\{\\}", true],
 ["1", "\\mathbf{1}", true], ["12", "\\text{12}", true], ["\\text{yes}", "Yes", true], ["\\text{no}", "yes", false],
 ["k", "k", true], ["2k+1", "1+2k", true], ["n(n+1)/2", "\\frac{n^2+n}{2}", true], ["\\frac{n(n+1)}{2}", "\\frac{n^2-n}{2}", false],
 ["f(x) = x^2", "x^2", true], ["-3", "-3", true], ["-3", "3", false], ["\\pm 3", "3, -3", true], ["\\pm 3", "3", false],
 ["3\\times 10^{8}", "3e8", true], ["6.02\\times10^{23}", "6.02 \\cdot 10^{23}", true], ["2^{100}", "1267650600228229401496703205376", true],
 ["\\frac{1}{3}", "0.3333", false], ["\\frac{1}{3}", "0.\\overline{3}", true], ["\\frac{1}{3}", "0.(3)", false],
 ["\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", "\\begin{bmatrix}1&0\\\\0&1\\end{bmatrix}", true],
 ["(3, \\frac{\\pi}{2})", "\\left(3,\\frac{\\pi}{2}\\right)", true], ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3, 90^\\circ)", false],
 ["1/2", "\\tfrac12", true], ["\\frac{\\pi}{4}", "45^\\circ", false], ["10\\%", "10", true], ["25\\%", "\\frac{1}{4}", true],
 ["x=1, y=2", "y=2, x=1", true], ["(1,2)", "x=1, y=2", true] /* assignments listed in the tuple's order */, ["\\dfrac{5\\sqrt{2}}{2}", "\\frac{5}{\\sqrt{2}}", true],
 ["\\sqrt[3]{-8}", "-2", true], ["|x|", "\\sqrt{x^2}", true], ["\\lfloor 3.7 \\rfloor", "3", true],
 ["\\text{Monday}", "\\text{monday}", true], ["\\text{Monday}", "Tuesday", false], ["7", "seven", false],
 ["5", "5.", true], ["5", "$5$", true], ["5", "\\(5\\)", true], ["2", "\\sqrt{4}", true],
 ["1+\\sqrt{2}", "\\sqrt{2}+1", true], ["\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt{5}+1}{2}", true],
 ["\\cos \\theta", "\\cos(\\theta)", true], ["\\sin 2x", "2\\sin x\\cos x", true], ["2\\pi r", "2 r \\pi", true],
];

describe("assorted model-output forms", () => {
  test.for(cases)("gold %s vs pred %s -> %s", ([gold, pred, want]) => {
    const r = isEquivalent(gold, pred);
    expect(r.equal, r.reason).toBe(want);
  });
});
