/**
 * Regenerates the documentation assets from a real run: docs/evals-sample.txt (the `evals` command's
 * text output) and docs/html-report.png (the run's HTML report in headless Chromium).
 *
 *   npx tsx evals/docs-assets.ts
 *
 * Chromium as in evals/chromium.ts (CHROMIUM_PATH to override). Not part of the test suite.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "./chromium";
import { runEvals } from "./runner";
import { renderSummary } from "./summary";
import { writeReports } from "./write-reports";

const root = path.resolve(__dirname, "..");

async function main(): Promise<void> {
  const run = await runEvals();
  const text = renderSummary(run, { color: false });
  writeFileSync(path.join(root, "docs/evals-sample.txt"), "$ npm run evals\n\n" + text);
  const dir = path.join(root, "test-output/docs-assets");
  mkdirSync(dir, { recursive: true });
  writeReports(run, dir);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
    await page.goto(pathToFileURL(path.join(dir, "report.html")).href);
    // Open one failing finding so the screenshot shows what a reviewer sees when expanding it.
    await page.locator("section.stack details.case[open] details.finding > summary").first().click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(root, "docs/html-report.png") });
  } finally {
    await browser.close();
  }
  process.stdout.write(
    `wrote docs/evals-sample.txt and docs/html-report.png (run ${run.ok ? "ok" : "FAILED"})\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
