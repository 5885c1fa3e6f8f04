/**
 * Opens the HTML report from disk in headless Chromium (evals/chromium.ts: Debian's `chromium` or the
 * npm package's, driven by playwright-core), checks the case matrix and expands a finding, and saves
 * a screenshot under test-output/reports/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { launchChromium } from "../../evals/chromium";
import { toHtml } from "../../reports/html";
import { makeReport } from "./fixture";

const outDir = path.resolve(__dirname, "../../test-output/reports");

describe("html report in a browser", () => {
  let browser: Browser;
  let file: string;

  beforeAll(async () => {
    mkdirSync(outDir, { recursive: true });
    file = path.join(outDir, "report.html");
    writeFileSync(file, toHtml(makeReport()));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows the matrix verdicts, expands a finding, loads nothing from outside", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);

    const verdict = (stack: string, id: string) =>
      page.locator(`table.matrix td[data-stack="${stack}"][data-case="${id}"]`).innerText();
    expect(await verdict("prod", "E2B-01")).toBe("FAIL");
    expect(await verdict("prod", "E2B-03")).toBe("PASS");
    expect(await verdict("prod", "E2B-07")).toBe("N-A");
    expect(await verdict("loadtest", "E2B-02")).toBe("FAIL");
    expect(await verdict("loadtest", "E2B-05")).toBe("PASS");
    // The badge colours come from the inline stylesheet: a failing badge is red.
    const failColour = await page
      .locator('table.matrix td[data-stack="prod"][data-case="E2B-01"] .badge')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(failColour).toBe("rgb(207, 34, 46)");

    // A passing case is collapsed; open it, then open its waived finding.
    const loadtest = page.locator('section.stack[data-stack="loadtest"]');
    const e05 = loadtest.locator('details.case[data-case="E2B-05"]');
    const message = e05.locator("details.finding p.message");
    expect(await message.isVisible()).toBe(false);
    await e05.locator("> summary").click();
    await e05.locator("details.finding > summary").click();
    expect(await message.isVisible()).toBe(true);
    expect(await message.innerText()).toBe("Environment 'loadtest' has no hard spending limit.");
    expect(await e05.locator("dd.waiver").innerText()).toBe("Load test of 2026-12 needs headroom");

    // Failing cases start open so a reviewer sees why; the escaped script text is shown, not run.
    const prodE01 = page.locator('section.stack[data-stack="prod"] details.case[data-case="E2B-01"]');
    expect(await prodE01.getAttribute("open")).not.toBeNull();
    const clientSide = prodE01.locator('details.finding[data-policy="e2b-01-no-client-side-key"]');
    await clientSide.locator("> summary").click();
    expect(await clientSide.locator("p.message").innerText()).toContain("<script>alert(1)</script>");
    expect(await page.locator("script").count()).toBe(0);

    await page.screenshot({ path: path.join(outDir, "html-report.png"), fullPage: true });
    expect(requests.every((u) => u.startsWith("file:"))).toBe(true);
    await page.close();
  });
});
