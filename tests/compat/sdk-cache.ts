/**
 * The @pulumi/pulumi versions the SDK matrix previews under, each installed from the npm registry into
 * its own folder of a cache (`.e2b-guardrails/compat/`, reused across runs), with a provider SDK that
 * supports it. A program copied into `<folder>/programs/<name>` resolves that folder's packages, as a
 * user's program resolves its own node_modules.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const cacheRoot = path.resolve(__dirname, "../../.e2b-guardrails/compat");

/** The oldest release we support, two the public examples pin, and whatever is newest on the registry. */
export function matrixVersions(): string[] {
  return ["3.100.0", "3.158.0", "3.228.0", newestRelease()];
}

function newestRelease(): string {
  const out = execFileSync("npm", ["view", "@pulumi/pulumi", "version"], { encoding: "utf8" });
  return out.trim();
}

/** What TypeScript ES module programs ship so cmd/run can register ts-node's ESM loader (public examples do). */
const TYPESCRIPT_ESM = { "ts-node": "10.9.2", typescript: "5.9.3" };

/** @pulumi/aws 7 needs @pulumi/pulumi ^3.142.0; older SDKs get the last 6.x. */
function awsFor(sdk: string): string {
  const minor = Number(sdk.split(".")[1]);
  return minor >= 142 ? "7.23.0" : "6.83.0";
}

function installedVersion(dir: string, pkg: string): string | undefined {
  const file = path.join(dir, "node_modules", pkg, "package.json");
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version
    : undefined;
}

/** The folder holding this SDK version, installed on first use. */
export function sdkFolder(sdk: string): string {
  const dir = path.join(cacheRoot, `pulumi-${sdk}`);
  const aws = awsFor(sdk);
  // As in public examples, the TypeScript toolchain is a devDependency: a CallbackFunction bundles the
  // program's production dependencies into its Lambda, and would otherwise ship TypeScript too.
  const manifest = JSON.stringify(
    {
      name: `compat-pulumi-${sdk}`,
      private: true,
      dependencies: { "@pulumi/pulumi": sdk, "@pulumi/aws": aws },
      devDependencies: TYPESCRIPT_ESM,
    },
    null,
    2,
  );
  const file = path.join(dir, "package.json");
  const wanted: Record<string, string> = { "@pulumi/pulumi": sdk, "@pulumi/aws": aws, ...TYPESCRIPT_ESM };
  const current = existsSync(file) && readFileSync(file, "utf8") === manifest;
  if (current && Object.entries(wanted).every(([pkg, v]) => installedVersion(dir, pkg) === v)) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, manifest);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdio: "inherit",
  });
  return dir;
}

/** A fresh copy of one of our compat programs inside the SDK's folder. */
export function programIn(sdkDir: string, program: string): string {
  const dest = path.join(sdkDir, "programs", program);
  rmSync(dest, { recursive: true, force: true });
  cpSync(path.join(__dirname, "programs", program), dest, { recursive: true });
  return dest;
}
