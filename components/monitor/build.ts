/**
 * Bundle the monitor into `components/monitor/dist/index.js` (handler `index.handler`), the default
 * code archive of the AWS monitor:   npx tsx components/monitor/build.ts
 * The AWS SDK is left out: the Lambda Node.js 20 runtime provides it.
 */
import path from "node:path";
import { buildSync } from "esbuild";

export const MONITOR_ENTRY = path.join(__dirname, "lambda.ts");

export function buildMonitorBundle(outdir = path.join(__dirname, "dist")): string {
  const outfile = path.join(outdir, "index.js");
  buildSync({
    entryPoints: [MONITOR_ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["@aws-sdk/*"],
    // Reproducible bytes: the archive hash only changes when the code does.
    legalComments: "none",
    logLevel: "warning",
  });
  return outfile;
}

if (require.main === module) {
  console.log(`monitor bundle: ${buildMonitorBundle()}`);
}
