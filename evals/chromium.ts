/**
 * Headless Chromium for the HTML report (its browser test and the docs screenshot): Debian's
 * `chromium` driven by playwright-core, never a downloaded browser. The flags keep it off the network
 * this machine does not have (background networking, component updates, sync).
 */
import { chromium, type Browser } from "playwright-core";
import { existsSync } from "node:fs";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`chromium not found at ${chromiumPath} (apt-get install chromium)`);
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
