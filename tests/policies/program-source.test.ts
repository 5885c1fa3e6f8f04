/**
 * Keys written in a previewed program's own modules: reported once each, with file and line, only
 * when no resource of the stack shows them; what could not be read is an advisory.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ArtifactReader } from "../../policies/detect/artifacts";
import { findMaterial } from "../../policies/detect/material";
import { programSourceFindings } from "../../policies/program-source";
import type { PackConfig } from "../../policies/settings";
import { tmpDir } from "../support/tmp";
import { PLANTED } from "./helpers";

const [HIDDEN, SHOWN] = PLANTED.map((hex) => `e2b_${hex}`);
const STACK = "urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod";

function program(files: Record<string, string>): { dir: string; files: string[] } {
  const dir = tmpDir("program-source-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return { dir, files: Object.keys(files).map((f) => path.join(dir, f)) };
}

const findings = (
  p: { dir: string; files: string[] },
  inStack: string[] = [],
  config?: PackConfig,
  limits = { maxFileBytes: 1 << 20, maxTotalBytes: 1 << 24, maxFiles: 100 },
) =>
  programSourceFindings(
    new ArtifactReader([p.dir], limits),
    { files: p.files, stackUrn: STACK, inStack: () => new Set(inStack) },
    config,
  );

describe("programSourceFindings", () => {
  it("reports a key no resource shows, once, naming the module and line; not one a resource shows", () => {
    const p = program({
      "index.ts": `import "./lib/settings";\nconst shown = "${SHOWN}";\n`,
      "lib/settings.ts": `export const settings = {\n  region: "eu-west-1",\n  key: "${HIDDEN}",\n};\n// again: ${HIDDEN}\n`,
    });
    const fs = findings(p, [findMaterial(SHOWN)[0].fingerprint]);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({
      policy: "e2b-01-key-from-secret-store",
      caseId: "E2B-01",
      enforcementLevel: "mandatory",
      urn: STACK,
      keyFingerprint: findMaterial(HIDDEN)[0].fingerprint,
    });
    expect(fs[0].message).toMatch(/in lib\/settings\.ts line 3, which no resource input showed at preview/);
    expect(JSON.stringify(fs)).not.toContain(PLANTED[0]);
  });

  it("reports a key in the project file that its config does not explain: a template's config default", () => {
    const p = program({
      "Pulumi.yaml": `name: shop\nruntime: nodejs\ntemplate:\n  config:\n    e2b:apiKey:\n      default: ${HIDDEN}\n`,
    });
    const fs = programSourceFindings(new ArtifactReader([p.dir]), {
      files: [],
      projectFiles: [path.join(p.dir, "Pulumi.yaml")],
      stackUrn: STACK,
      inStack: () => new Set(),
    });
    expect(fs.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^The project file holds E2B key material \(e2b_…[0-9a-f]{4}\) in Pulumi\.yaml line 6, which is committed/,
      ),
    ]);
    // A key its `config` defaults hold is judged as stack configuration (by fingerprint, not twice).
    const asConfig = programSourceFindings(new ArtifactReader([p.dir]), {
      files: [],
      projectFiles: [path.join(p.dir, "Pulumi.yaml")],
      stackUrn: STACK,
      inStack: () => new Set([findMaterial(HIDDEN)[0].fingerprint]),
    });
    expect(asConfig).toEqual([]);
  });

  it("reports a key in a dynamic provider's serialized code at that resource, even one the stack shows", () => {
    const p = program({ "index.ts": "export {};\n" });
    const urn = "urn:pulumi:prod::shop::pulumi-nodejs:dynamic:Resource::volume";
    const source = `exports.handler = __f0;\nvar __e2bApiKey = "${HIDDEN}";\nfunction __f0() { return __e2bApiKey + "${HIDDEN}"; }`;
    const fs = programSourceFindings(
      new ArtifactReader([p.dir], { maxFileBytes: 1 << 20, maxTotalBytes: 1 << 24, maxFiles: 100 }),
      {
        files: p.files,
        providers: [{ urn, type: "pulumi-nodejs:dynamic:Resource", name: "volume", source }],
        stackUrn: STACK,
        inStack: () => new Set([findMaterial(HIDDEN)[0].fingerprint]),
      },
    );
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({
      urn,
      caseId: "E2B-01",
      keyFingerprint: findMaterial(HIDDEN)[0].fingerprint,
    });
    expect(fs[0].message).toMatch(/^The dynamic provider of .* 'volume' holds E2B key material \(e2b_…/);
    expect(JSON.stringify(fs)).not.toContain(PLANTED[0]);
  });

  it("names the key read from the program's environment where this preview's environment lacks it, once, as inconclusive", () => {
    // rt37 #11: `E2B_API_KEY: process.env.E2B_API_KEY` into a Lambda read not-applicable, exit 0, in a
    // guardrail job without the deploy job's secret: the variable was undefined and vanished.
    const p = program({
      "index.ts": `new aws.lambda.Function("api", { environment: { variables: {\n  E2B_API_KEY: process.env.E2B_API_KEY,\n  TOKEN: process.env["E2B_ACCESS_TOKEN"],\n  REGION: process.env.AWS_REGION,\n  AGAIN: process.env.E2B_API_KEY } } });\n`,
    });
    const run = (unset: string[]) =>
      programSourceFindings(new ArtifactReader([p.dir]), {
        files: p.files,
        stackUrn: STACK,
        inStack: () => new Set(),
        unsetInEnvironment: (name) => unset.includes(name),
      });
    const fs = run(["E2B_API_KEY", "E2B_ACCESS_TOKEN", "AWS_REGION"]);
    expect(fs.map((f) => [f.enforcementLevel, f.inconclusive, f.unknown])).toEqual([
      ["advisory", true, true],
      ["advisory", true, true],
    ]);
    expect(fs[0].message).toMatch(
      /reads E2B_API_KEY from its environment \(index\.ts line 2\), which is not set for this preview/,
    );
    expect(fs[1].message).toMatch(/reads E2B_ACCESS_TOKEN from its environment \(index\.ts line 3\)/);
    // Set where the preview runs: the value itself is judged where it lands.
    expect(run([])).toEqual([]);
    // A resource holds a variable of that name (a function reading its own variable at run time), or
    // the program assigns it: nothing to say.
    const runtime = program({
      "index.ts": `new aws.lambda.CallbackFunction("api", { callback: async () => process.env.E2B_API_KEY });\nprocess.env.E2B_ACCESS_TOKEN = "x";\n`,
    });
    expect(
      programSourceFindings(new ArtifactReader([runtime.dir]), {
        files: runtime.files,
        stackUrn: STACK,
        inStack: () => new Set(),
        unsetInEnvironment: () => true,
        namedInStack: (name) => name === "E2B_API_KEY",
      }),
    ).toEqual([]);
    // Where the engine recorded what the program read while unset, that decides, whatever a resource
    // holds: the program fed the variable of that name (real40 bug 3); a closure's read is no record.
    const recorded = (names: string[]) =>
      programSourceFindings(new ArtifactReader([p.dir]), {
        files: p.files,
        stackUrn: STACK,
        inStack: () => new Set(),
        unsetReads: names,
        namedInStack: () => true,
      }).map((f) => f.message.match(/reads (\w+)/)?.[1]);
    expect(recorded(["E2B_API_KEY"])).toEqual(["E2B_API_KEY"]);
    expect(recorded([])).toEqual([]);
    // A recorded read the code does not spell (destructuring, a helper's `process.env[name]`, rt48 #4).
    expect(recorded(["AGENT_E2B_API_KEY", "AWS_REGION"])).toEqual(["AGENT_E2B_API_KEY"]);
  });

  it("is inconclusive on a key read from the environment that no resource shows while secret config hides inputs (real43 #1)", () => {
    const p = program({ "index.ts": "const k = process.env.E2B_API_KEY!;\n" });
    const read = { name: "E2B_API_KEY", fingerprint: "sha256:0123456789ab", mask: "e2b_…4567" };
    const unseen = (inStack: string[], hidden: string | undefined) =>
      programSourceFindings(new ArtifactReader([p.dir]), {
        files: p.files,
        stackUrn: STACK,
        inStack: () => new Set(inStack),
        unsetReads: [],
        keyReads: [read],
        hiddenInputs: () => hidden,
      }).map((f) => [f.enforcementLevel, f.inconclusive, f.message.slice(0, 82)]);
    const hidden =
      "variables and settings not known until deploy (siteConfig of azure-native:web:WebApp 'fn')";
    expect(unseen([], hidden)).toEqual([
      [
        "advisory",
        true,
        "The program's code reads an E2B key (e2b_…4567) from its environment (E2B_API_KEY)",
      ],
    ]);
    // A resource shows it (another finding fails it), or nothing is hidden (the program used it itself).
    expect(unseen([read.fingerprint], hidden)).toEqual([]);
    expect(unseen([], undefined)).toEqual([]);
  });

  it("says what it could not read, as an advisory", () => {
    const p = program({ "index.ts": "export {};\n", "big.ts": `// ${"x".repeat(2000)}\n` });
    const fs = findings(p, [], undefined, { maxFileBytes: 1000, maxTotalBytes: 1 << 20, maxFiles: 100 });
    expect(fs).toEqual([
      expect.objectContaining({ enforcementLevel: "advisory", message: expect.stringMatching(/big\.ts/) }),
    ]);
  });

  it("skips a FIFO put in a module's place instead of waiting on it forever", () => {
    const p = program({ "index.ts": "export {};\n" });
    const fifo = path.join(p.dir, "fifo.ts");
    execFileSync("mkfifo", [fifo]);
    const fs = findings({ ...p, files: [...p.files, fifo] });
    expect(fs.map((f) => f.message)).toEqual([expect.stringMatching(/fifo\.ts skipped: not a regular file/)]);
  });

  it("quotes a module name that holds control characters or a line break", () => {
    const name = "x\u001b[2J\n    ✅ all good\n.ts";
    const p = program({ [name]: `export const k = "${HIDDEN}";\n` });
    const [f] = findings(p);
    expect(f.message).toContain(JSON.stringify(name));
    expect(f.message).not.toContain("\u001b");
    expect(f.message).not.toContain("\n");
  });

  it("reports nothing when e2b-01-key-from-secret-store is disabled", () => {
    const p = program({ "index.ts": `export const k = "${HIDDEN}";\n` });
    const disabled: PackConfig = new Map([
      ["e2b-01-key-from-secret-store", { enforcementLevel: "disabled", properties: {} }],
    ]);
    expect(findings(p)).toHaveLength(1);
    expect(findings(p, [], disabled)).toEqual([]);
  });
});
