/**
 * E2B-01 in a real browser: the runtime helpers bundled for the browser (esbuild, as a front-end
 * build would) and loaded in headless Chromium (evals/chromium.ts: Debian's or the npm package's,
 * driven by playwright-core) throw while the bundle loads, with the server-side message, and make no
 * request.
 */
import path from "node:path";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { launchChromium } from "../../evals/chromium";
import { BROWSER_REFUSAL } from "../../runtime/server-only";

const ROOT = path.resolve(__dirname, "../..");

async function bundle(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: "browser",
    format: "iife",
    write: false,
    logLevel: "silent",
    // Front-end bundlers stub or polyfill Node built-ins; leaving them external is the same here.
    external: ["node:*"],
    footer: { js: "window.__bundleFinished = true;" },
  });
  return r.outputFiles[0].text;
}

describe("runtime helpers in a browser bundle", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test.each(["runtime/index.ts", "runtime/guard.ts"])(
    "%s throws at load with the server-side message",
    async (entry) => {
      const code = await bundle(entry);
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => requests.push(r.url()));
      await page.setContent("<!doctype html><title>bundle</title>");
      await page.addScriptTag({ content: code }).catch(() => undefined);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(BROWSER_REFUSAL);
      expect(
        await page.evaluate(() => (window as unknown as { __bundleFinished?: boolean }).__bundleFinished),
      ).toBeUndefined();
      expect(requests).toEqual([]);
      await page.close();
    },
  );
});
