// The report page in a real headless Chromium (a dev tool, not a CI requirement: without it these tests skip and say
// how to install it): it renders with no console error, exception or network request beyond the file itself, the
// problem table pages and filters, a sample's completion opens, and a screenshot is taken (written to
// $OPENRS_SCREENSHOT when set; tools/report-screenshot.ts makes the committed one).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findChromium, HeadlessPage, NO_CHROMIUM } from "../support/chromium.js";
import { makeRun, runCli, writeReplay, writeSyntheticData } from "../support/report-fixture.js";

const chromium = findChromium();
if (!chromium) console.warn(`report-browser.test.ts: ${NO_CHROMIUM}`);

describe.skipIf(!chromium)("the report page in headless Chromium", () => {
  const tmp = mkdtempSync(join(tmpdir(), "openrs-report-browser-"));
  const dataDir = join(tmp, "data");
  const o = { dataDir, suites: ["aime24", "math500"], limit: 40, samples: 4 };
  let page: HeadlessPage;
  let single: string;
  let compared: string;

  beforeAll(async () => {
    writeSyntheticData(dataDir);
    const a = await makeRun(join(tmp, "runA"), writeReplay(join(tmp, "a.jsonl"), o), o);
    const b = await makeRun(join(tmp, "runB"), writeReplay(join(tmp, "b.jsonl"), { ...o, skill: 3 }), o);
    single = join(tmp, "single.html");
    compared = join(tmp, "compared.html");
    expect((await runCli(["report", a, "--data-dir", dataDir, "-o", single, "--completion-chars", "4000"])).code).toBe(0);
    expect((await runCli(["report", a, "--compare", b, "--data-dir", dataDir, "-o", compared])).code).toBe(0);
    page = await HeadlessPage.launch(chromium!, { width: 1300, height: 1000, timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await page?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("renders with no console error, exception or request beyond the page itself", async () => {
    const url = pathToFileURL(single).href;
    await page.goto(url);
    expect(await page.evaluate("document.title")).toMatch(/^openrs report: replay:/);
    expect(await page.evaluate("document.querySelectorAll('svg').length")).toBe(3); // scores + one histogram per suite
    expect(page.problems).toEqual({ consoleErrors: [], exceptions: [], logErrors: [], requests: [url] });
  });

  it("pages through the problems and filters them", async () => {
    expect(await page.evaluate("document.querySelectorAll('#problem-rows tr.problem').length")).toBe(25);
    expect(await page.evaluate("document.getElementById('problem-count').textContent")).toBe("problems 1–25 of 70 (page 1 of 3)");
    await page.evaluate("document.getElementById('page-next').click()");
    expect(await page.evaluate("document.getElementById('problem-count').textContent")).toBe("problems 26–50 of 70 (page 2 of 3)");
    // "every sample wrong" shows exactly the problems whose buttons are all ✗.
    const shown = await page.evaluate<number>(
      "(() => { const f = document.getElementById('filter'); f.value = 'allwrong'; f.dispatchEvent(new Event('change')); return Number(document.body.dataset.shown); })()",
    );
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(70);
    expect(await page.evaluate("[...document.querySelectorAll('#problem-rows tr.problem')].every((tr) => [...tr.querySelectorAll('button.sample')].every((b) => b.classList.contains('wrong')))")).toBe(true);
    await page.evaluate("(() => { const s = document.getElementById('search'); s.value = 'geometry/2.json'; s.dispatchEvent(new Event('input')); const f = document.getElementById('filter'); f.value = 'all'; f.dispatchEvent(new Event('change')); })()");
    expect(await page.evaluate("document.body.dataset.shown")).toBe("1");
    expect(page.problems.exceptions).toEqual([]);
  });

  it("opens a sample's completion and escapes it", async () => {
    await page.evaluate("(() => { const s = document.getElementById('search'); s.value = 'Problem 1 ('; s.dispatchEvent(new Event('input')); })()");
    await page.evaluate("document.querySelector('#problem-rows button.sample').click()");
    const text = await page.evaluate<string>("document.querySelector('tr.detail:not([hidden]) pre.completion').textContent");
    expect(text).toContain("characters cut here");
    expect(text.endsWith("</script><b>not markup</b>")).toBe(true);
    expect(await page.evaluate("document.querySelectorAll('main b').length")).toBe(0);
  });

  it("the comparison page renders too, with the A ≠ B filter", async () => {
    const url = pathToFileURL(compared).href;
    page.problems.requests.length = 0;
    await page.goto(url);
    const n = await page.evaluate<number>(
      "(() => { const f = document.getElementById('filter'); f.value = 'runsdiffer'; f.dispatchEvent(new Event('change')); return Number(document.body.dataset.shown); })()",
    );
    expect(n).toBeGreaterThan(0);
    expect(await page.evaluate("document.querySelectorAll('#problem-rows tr.problem .run-label').length")).toBe(2 * Math.min(25, n));
    expect(page.problems).toMatchObject({ consoleErrors: [], exceptions: [], logErrors: [], requests: [url] });
    const png = await page.screenshot({ top: 0, height: 1000 });
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.length).toBeGreaterThan(20_000);
    if (process.env.OPENRS_SCREENSHOT) writeFileSync(process.env.OPENRS_SCREENSHOT, png);
  });
});
