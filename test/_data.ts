import { loadSuite, ALL_SUITES } from "../benchmarks/data.js";
import { grade } from "../grading/grade.js";
import { parseAnswer } from "../grading/parse.js";
for (const suite of ALL_SUITES) {
  const rows = loadSuite(suite);
  let unparsed = 0, withBox = 0, ok = 0; const fails: string[] = []; const unp: string[] = [];
  let tmax = 0;
  for (const r of rows) {
    const p = parseAnswer(r.answer);
    if (!p.value || p.value.kind === "text") { unparsed++; unp.push(`${r.id}: ${r.answer} (${p.error ?? p.value?.kind})`); }
    if (r.solution && /\\boxed|\\fbox/.test(r.solution)) {
      withBox++;
      const g = grade(r.solution, r.answer);
      tmax = Math.max(tmax, g.ms);
      if (g.correct) ok++; else fails.push(`${r.id}: gold=${r.answer} | ext=${g.extracted} | ${g.reason}`);
    }
  }
  console.log(`== ${suite}: ${rows.length} rows, unparsed/text ${unparsed}, self-consistency ${ok}/${withBox}, max ${tmax.toFixed(1)}ms`);
  for (const u of unp.slice(0, 40)) console.log("  U", u);
  for (const f of fails.slice(0, 60)) console.log("  F", f);
}
