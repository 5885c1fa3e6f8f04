/**
 * The stack templates through `e2b-guardrails preview` (in-process with the run's shared pack and
 * warm program workers, tests/support/cli.ts; the passphrase case spawns the binary, which runs the
 * program under the language host as a user's `preview` does): each environment
 * passes the whole pack with no mandatory finding, and the two classic mistakes — sharing prod's
 * key with the load test, and putting the key in a public front-end env var — make it fail.
 * Mutations are made on a temporary copy of the project, never on the templates themselves.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isKeyMaterial } from "../../policies/detect/keys";
import { runCli, spawnCli, type CliRun } from "../support/cli";
import { tmpDir } from "../support/tmp";

const root = path.resolve(__dirname, "../..");
const PASSPHRASE = "e2b-guardrails-example";

interface Report {
  stacks: Array<{
    stack: string;
    environment: string;
    cases: Array<{ id: string; status: string }>;
    findings: Array<{ policy: string; caseId: string; enforcementLevel: string; message: string }>;
  }>;
}

/**
 * The templates' keys were created on 2026-11-02 with a 90-day maximum age, so from 2027-02-01 the
 * rotation rule (rightly) fails them. Judge them as of a fixed date so this suite tests the templates,
 * not the calendar; the rotation rule itself is tested in tests/policies/e2b-09-key-rotation.test.ts.
 */
const TEMPLATES_AS_OF = "2026-12-01";

/** A policy config file: the rotation date pinned, plus the templates' teams inventory if asked. */
function writePolicyConfig(withInventory: boolean): string {
  const config: Record<string, unknown> = withInventory
    ? JSON.parse(readFileSync(path.join(root, "stacks/policy-config.json"), "utf8"))
    : {};
  config["e2b-09-key-rotation"] = { asOf: TEMPLATES_AS_OF };
  const file = path.join(tmpDir("e2b-policy-config-"), "policy-config.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const policyConfigs = { plain: writePolicyConfig(false), inventory: writePolicyConfig(true) };

async function preview(
  cwd: string,
  stack: string,
  opts: { inventory?: boolean; env?: Record<string, string>; binary?: boolean } = {},
): Promise<CliRun & { report?: Report }> {
  const args = ["preview", "--cwd", cwd, "--stack", stack, "--format", "json"];
  args.push("--policy-config", opts.inventory ? policyConfigs.inventory : policyConfigs.plain);
  const r = opts.binary
    ? await spawnCli(args, { cwd, env: opts.env })
    : await runCli(args, { env: opts.env });
  let report: Report | undefined;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    // leave undefined: the assertions below show stderr
  }
  return { ...r, report };
}

/** A throw-away copy of the project (program, components, the runtime helpers they use, model), sharing node_modules. */
function projectCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "e2b-stacks-"));
  for (const f of ["Pulumi.yaml", "tsconfig.json", "package.json"])
    cpSync(path.join(root, f), path.join(dir, f));
  for (const d of ["stacks", "components", "runtime"])
    cpSync(path.join(root, d), path.join(dir, d), { recursive: true });
  cpSync(path.join(root, "policies"), path.join(dir, "policies"), {
    recursive: true,
    filter: (src) => !/[/\\](dist|node_modules)$/.test(src),
  });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function appendToProgram(dir: string, code: string): void {
  const file = path.join(dir, "stacks/index.ts");
  writeFileSync(file, readFileSync(file, "utf8") + "\n" + code);
}

describe.each(["prod", "staging", "loadtest"])("stack %s", (stack) => {
  test("previews with no mandatory finding and every case passing", async () => {
    const r = await preview(root, stack);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const s = r.report!.stacks[0];
    expect(s.stack).toBe(stack);
    expect(s.findings.filter((f) => f.enforcementLevel === "mandatory")).toEqual([]);
    expect(s.cases.map((c) => [c.id, c.status]).filter(([, st]) => st !== "pass")).toEqual([]);
    expect(s.cases).toHaveLength(9);
  });
});

test("with the passphrase, the decrypted management token never reaches the report (binary)", async () => {
  const r = await preview(root, "prod", { env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE }, binary: true });
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain("example-dashboard-session-token");
  expect(isKeyMaterial(r.stdout + r.stderr)).toBe(false);
});

describe("mutated templates fail the preview", () => {
  let dir: string;
  beforeEach(() => {
    dir = projectCopy();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("the copy itself still passes (the mutation, not the copy, is what fails)", async () => {
    expect((await preview(dir, "loadtest")).code).toBe(0);
  });

  test("sharing prod's key with loadtest (through a StackReference) fails E2B-02", async () => {
    appendToProgram(
      dir,
      `
import * as aws from "@pulumi/aws";
// MUTATION: the load-test runner reads production's key secret instead of its own.
const prodStack = new pulumi.StackReference("acme/e2b-platform/prod");
new aws.lambda.Function("loadtest-runner", {
  role: "arn:aws:iam::222222222222:role/loadtest-runner",
  runtime: "nodejs20.x",
  handler: "index.handler",
  code: new pulumi.asset.AssetArchive({}),
  environment: { variables: { E2B_SECRET_ARN: prodStack.getOutput("secretLocator") } },
  tags: { environment: "loadtest" },
});
`,
    );
    const r = await preview(dir, "loadtest");
    expect(r.code).toBe(1);
    const s = r.report!.stacks[0];
    expect(s.cases.find((c) => c.id === "E2B-02")?.status).toBe("fail");
    expect(
      s.findings.some(
        (f) => f.policy === "e2b-02-no-cross-environment-key-reference" && f.enforcementLevel === "mandatory",
      ),
    ).toBe(true);
  });

  test("with the teams inventory, moving loadtest into production's E2B team fails E2B-07", async () => {
    const inventory = { inventory: true };
    expect((await preview(dir, "loadtest", inventory)).code).toBe(0);
    const file = path.join(dir, "stacks/Pulumi.loadtest.yaml");
    const prodTeam = /teamId: (\S+)/.exec(
      readFileSync(path.join(dir, "stacks/Pulumi.prod.yaml"), "utf8"),
    )![1];
    writeFileSync(file, readFileSync(file, "utf8").replace(/teamId: \S+/, `teamId: ${prodTeam}`));
    const r = await preview(dir, "loadtest", inventory);
    expect(r.code).toBe(1);
    const s = r.report!.stacks[0];
    expect(s.cases.find((c) => c.id === "E2B-07")?.status).toBe("fail");
    expect(s.findings.map((f) => f.policy)).toContain("e2b-07-workspace-isolation");
  });

  test("putting the key in a public front-end env var fails E2B-01", async () => {
    appendToProgram(
      dir,
      `
import * as vercel from "@pulumiverse/vercel";
// MUTATION: the web app gets the key in a NEXT_PUBLIC_ variable, which ships to every browser.
new vercel.ProjectEnvironmentVariable("web-e2b-key", {
  projectId: "prj_agents_web",
  key: "NEXT_PUBLIC_E2B_API_KEY",
  value: platform.apiKey!.key,
  sensitive: true, // even "sensitive": a NEXT_PUBLIC_ value is inlined into the browser bundle
  targets: ["production"],
});
`,
    );
    const r = await preview(dir, "prod");
    expect(r.code).toBe(1);
    const s = r.report!.stacks[0];
    expect(s.cases.find((c) => c.id === "E2B-01")?.status).toBe("fail");
    expect(
      s.findings.some((f) => f.policy === "e2b-01-no-client-side-key" && f.enforcementLevel === "mandatory"),
    ).toBe(true);
    expect(isKeyMaterial(r.stdout)).toBe(false);
  });
});
