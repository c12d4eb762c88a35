// A pair the grader works on for tens of milliseconds without ever blocking: two long polynomials in x and y, equal
// up to the order of their terms, so equivalence is decided by evaluation at sampled points (which checks the
// in-thread deadline as it goes). Under a 10 ms budget it must come back "timeout"; under 1 s, "equal".
function terms(n: number, reversed: boolean): string {
  const t = Array.from({ length: n }, (_, i) => `${(i % 9) + 1}x^{${i % 7}}y^{${i % 5}}`);
  return (reversed ? t.reverse() : t).join("+");
}

export const SLOW_PAIR = Object.freeze({ gold: terms(300, false), completion: `So the result is $\\boxed{${terms(300, true)}}$.` });
