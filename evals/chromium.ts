/**
 * Headless Chromium for the browser tests and the docs screenshot, driven by playwright-core. Which
 * browser, in order: `CHROMIUM_PATH`; Debian's `/usr/bin/chromium` when installed; otherwise the
 * headless-shell build that ships inside the `@sparticuz/chromium` npm package (a devDependency), so
 * `npm ci` is all a fresh machine needs: no apt, no root, no browser download at run time.
 *
 * The npm build is a brotli-compressed binary; its `executablePath()` unpacks it into `os.tmpdir()`.
 * We run that once in a child whose TMPDIR is a private staging folder and rename the folder into
 * node_modules/.cache, so parallel jest workers (or two checkouts) never see a half-written binary and
 * never share /tmp/chromium with anyone else's run.
 *
 * The flags keep the browser off the network (no background networking, component updates, sync,
 * pings, domain-reliability uploads): the pages under test are local files, and nothing but loopback
 * may see traffic.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";

const systemChromium = "/usr/bin/chromium";
const root = path.resolve(__dirname, "..");

export const offlineArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-domain-reliability",
  "--disable-sync",
  "--no-pings",
  "--no-first-run",
  "--no-default-browser-check",
];

export interface ChromiumBinary {
  executablePath: string;
  /** Where it came from, for error messages and the test's log. */
  source: "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";
  /** Extra environment for the browser process (the npm build's own fonts). */
  env: Record<string, string>;
}

export async function findChromium(): Promise<ChromiumBinary> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv}: no such file`);
    return { executablePath: fromEnv, source: "CHROMIUM_PATH", env: {} };
  }
  if (existsSync(systemChromium)) return { executablePath: systemChromium, source: "system", env: {} };
  return bundledChromium();
}

export async function launchChromium(): Promise<Browser> {
  const bin = await findChromium();
  return chromium.launch({
    executablePath: bin.executablePath,
    headless: true,
    args: offlineArgs,
    env: { ...process.env, ...bin.env },
  });
}

/** The npm package's build, unpacked once per package version into node_modules/.cache. */
async function bundledChromium(): Promise<ChromiumBinary> {
  let main: string;
  try {
    main = require.resolve("@sparticuz/chromium");
  } catch {
    throw new Error(
      `no Chromium: ${systemChromium} is not installed and @sparticuz/chromium is missing (run npm ci)`,
    );
  }
  const pkgDir = path.resolve(path.dirname(main), "../..");
  const { version } = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
    version: string;
  };
  const cacheRoot = path.join(root, "node_modules", ".cache", "e2b-guardrails");
  const dir = path.join(cacheRoot, `chromium-${version}-${process.arch}`);
  const result = (): ChromiumBinary => ({
    executablePath: path.join(dir, "chromium"),
    source: "@sparticuz/chromium",
    env: { FONTCONFIG_FILE: path.join(dir, "fonts.conf") },
  });
  if (existsSync(path.join(dir, "complete"))) return result();

  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(path.join(cacheRoot, ".staging-"));
  try {
    const script = 'require("@sparticuz/chromium").executablePath().then((p) => process.stdout.write(p))';
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
      cwd: pkgDir,
      env: { ...process.env, TMPDIR: staging },
      timeout: 120_000,
    });
    if (stdout !== path.join(staging, "chromium"))
      throw new Error(`@sparticuz/chromium unpacked to ${stdout}, expected ${staging}/chromium`);
    // The package's fonts.conf names /tmp/fonts (its Lambda layout); ours names the unpacked fonts
    // and keeps the machine's own fonts too.
    writeFileSync(
      path.join(staging, "fonts.conf"),
      [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
        "<fontconfig>",
        `  <dir>${path.join(dir, "fonts")}</dir>`,
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
        `  <cachedir>${path.join(dir, "fonts-cache")}</cachedir>`,
        "</fontconfig>",
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(staging, "complete"), `${version}\n`);
    try {
      renameSync(staging, dir);
    } catch (e) {
      // Another process finished first: its copy is as good as ours.
      if (!existsSync(path.join(dir, "complete"))) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return result();
}
