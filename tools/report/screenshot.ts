// Makes docs/report/*.png: two replay runs over real benchmark problems (../shared/benchmarks when present, else the
// synthetic test data), their comparison page from `openrs-eval report --compare`, opened in headless Chromium,
// checked for console errors and network requests, and photographed (top of the page, and the problem table with
// one completion open). Dev tool: needs chromium (`apt-get install -y chromium`).
//   npx tsx tools/report/screenshot.ts [--out docs/report]
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findChromium, HeadlessPage, NO_CHROMIUM } from "../../test/support/chromium.js";
import { makeRun, runCli, writeReplay, writeSyntheticData } from "../../test/support/report-fixture.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outIdx = process.argv.indexOf("--out");
const outDir = resolve(outIdx > 0 ? process.argv[outIdx + 1] : join(root, "docs", "report"));

async function shoot(): Promise<void> {
  const chromium = findChromium();
  if (!chromium) throw new Error(NO_CHROMIUM);
  // Model names are "replay:<file>": a short fixed folder keeps them readable in the picture.
  const tmp = join(tmpdir(), "openrs-demo");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const shared = resolve(root, "..", "shared", "benchmarks");
    const dataDir = existsSync(join(shared, "math500.jsonl")) ? shared : writeSyntheticData(join(tmp, "data"));
    const o = { dataDir, suites: ["aime24", "math500"], limit: 60, samples: 4 };
    const a = await makeRun(join(tmp, "base"), writeReplay(join(tmp, "base.jsonl"), o), o);
    const b = await makeRun(join(tmp, "tuned"), writeReplay(join(tmp, "tuned.jsonl"), { ...o, skill: 3 }), o);
    const html = join(tmp, "report.html");
    const r = await runCli(["report", a, "--compare", b, "--data-dir", dataDir, "-o", html]);
    if (r.code !== 0) throw new Error(r.stderr);
    const page = await HeadlessPage.launch(chromium, { width: 1300, height: 1000 });
    try {
      await page.goto(pathToFileURL(html).href);
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, "report-top.png"), await page.screenshot({ top: 0, height: 1500 }));
      const top = await page.evaluate<number>(
        "(() => { const f = document.getElementById('filter'); f.value = 'runsdiffer'; f.dispatchEvent(new Event('change')); document.querySelectorAll('#problem-rows button.sample')[1].click(); return document.getElementById('problems').getBoundingClientRect().top + window.scrollY; })()",
      );
      writeFileSync(join(outDir, "report-problems.png"), await page.screenshot({ top: Math.floor(top) - 10, height: 1100 }));
      const { consoleErrors, exceptions, logErrors, requests } = page.problems;
      const foreign = requests.filter((u) => !u.startsWith("file:"));
      if (consoleErrors.length || exceptions.length || logErrors.length || foreign.length) {
        throw new Error(`page problems: ${JSON.stringify({ consoleErrors, exceptions, logErrors, foreign })}`);
      }
      console.log(`wrote ${join(outDir, "report-top.png")} and report-problems.png (data: ${dataDir}); no console errors, no network requests`);
    } finally {
      await page.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

shoot().catch((e: unknown) => {
  console.error(`report-screenshot: ${(e as Error).message}`);
  process.exit(1);
});
