// Cases from an adversarial review of the grader on realistic R1-distill outputs (gold, prediction, expected), and
// completions whose boxes must be read as one answer; each was wrong before the fix that made it pass.
import { describe, expect, test } from "vitest";
import { grade, isEquivalent } from "../../grading/index.js";

const rows: [string,string,boolean][] = [
 ["23","m+n = 23",true],["5","f(2) = 5",true],["(2,3)","(x,y) = (2,3)",true],["8","|z| = 8",true],["30^\\circ","\\angle ABC = 30^\\circ",true],
 ["\\frac{\\sqrt{3}}{2}","\\sin\\theta = \\frac{\\sqrt{3}}{2}",true],["10","\\binom{5}{2} = 10",true],["\\frac{1}{6}","\\frac{2}{12} = \\frac{1}{6}",true],
 ["288 \\pi","288\\pi \\text{ cubic units}",true],["12\\sqrt{3}","12\\sqrt{3} cm",true],["52_8","52",true],["52_8","42",false],
 ["(-\\infty, -2) \\cup (3, \\infty)","x < -2 \\text{ or } x > 3",true],["1 \\pm \\sqrt{19}","x = 1 \\pm \\sqrt{19}",true],["2n-1","2 n-1",true],["$6m$","6 m",true],
 ["\\text{(C)}","\\text{(C) } 12",true],["\\text{(C)}","\\text{(D) } 12",false],["3","3 \\pmod{7}",true],["\\lambda_{\\text {red}} / \\sqrt{2}","\\frac{\\sqrt{2}}{2}\\lambda_{red}",true],
 ["\\frac{1}{2}","\\frac{1}{2} \\text{ or } 0.5",true],["\\frac{1}{2}","\\frac{1}{2} \\text{ or } 0.6",false],["$\\angle B E A_{1}=90$,$\\angle A E B_{1}=90$","90^\\circ, 90^\\circ",true],
 ["23","m+n = 24",false],
 ["(-\\infty, 3]","\\{x \\mid x \\le 3\\}",true],["(-\\infty,-2)\\cup(3,\\infty)","\\{x \\mid x<-2 \\text{ or } x>3\\}",true],
 ["$(-1,-9),(4+2 \\sqrt{2}, 8),(4-2 \\sqrt{2}, 8)$","(4 \\pm 2\\sqrt{2}, 8), (-1,-9)",true],["(4+2\\sqrt2, 8)","(4 \\pm 2\\sqrt{2}, 8)",false],
 ["(-\\infty,\\infty)","\\text{all real numbers}",true],["\\{x : x > 0\\}","(0,\\infty)",true],["x+1","y = x+1",true],["2x+3","x+y = 2x+3",false],["5","x+y=z",false],
];

const comps: [string,string,boolean][] = [
 ["$x = \\boxed{-1}$, $x=\\boxed{0}$, and $x = \\boxed{1}$.","-1, 0, 1",true],["$x = \\boxed{2}$ and $y = \\boxed{3}$","(2,3)",true],["\\boxed{2} \\text{ or } \\boxed{3}","2, 3",true],
 ["\\boxed{5}\n\n\\boxed{5}","5",true],["\\boxed{\\boxed{5}}","5",true],["We get $d = 15\\frac{975}{1000} = \\boxed{15\\frac{39}{40}},$ or $\\boxed{\\frac{639}{40}}$ inches.","\\frac{639}{40}",true],
];

describe("review: predictions that name or restate the value", () => {
  test.for(rows)("gold %s vs pred %s -> %s", ([gold, pred, want]) => {
    const r = isEquivalent(gold, pred);
    expect(r.equal, r.reason).toBe(want);
  });
});

describe("review: several boxes in the final answer", () => {
  test.for(comps)("%j vs gold %s -> %s", ([completion, gold, want]) => {
    const r = grade(completion, gold);
    expect(r.correct, `${r.extracted} ${r.reason}`).toBe(want);
  });
});

describe("review: unclosed boxes stay linear", () => {
  test("a truncated loop of 2,500 unclosed boxes and 20,000 bare ones grade within the budget", () => {
    for (const text of ["So the answer is \\boxed{\\frac{1}{2}. ".repeat(2500), "\\boxed{".repeat(20_000)]) {
      const r = grade(text, "1/2");
      expect(r.reason).not.toBe("timeout");
      expect(r.ms).toBeLessThan(1000);
    }
  });
});
