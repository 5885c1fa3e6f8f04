/**
 * Where preview cannot tell (a secret that could not be decrypted, an output not known yet), the
 * report says which values were unknown for the case, in every format, and the verdict does not rest
 * on what was hidden: a key-named variable fails with or without the passphrase, and in an audit
 * whether or not the export was made with --show-secrets.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ResourceGraph } from "../../engine";
import { SECRET_SIG, SECRET_VALUE, UNKNOWN } from "../../engine/graph";
import type { Report, StackReport } from "../../policies/report";
import { render, type Format } from "../../reports";
import { useScanner } from "../support/scan";
import { PLANTED, expectClean, fx, status } from "../policies/helpers";

const VIEWS: Format[] = ["text", "json", "markdown", "html", "junit", "sarif"];
const e2b01 = (s: StackReport) => s.cases.find((c) => c.id === "E2B-01")!;

/** Every view names the unknown value (its path) and says it was unknown at preview. */
function expectEveryViewSays(report: Report, pathText: string): void {
  for (const f of VIEWS) {
    const out = render(f, report);
    expect({ f, has: out.includes(pathText) }).toEqual({ f, has: true });
    expect({ f, says: /unknown at preview|unknownAtPreview|"unknown"/.test(out) }).toEqual({ f, says: true });
  }
}

const base = "urn:pulumi:prod::api";
function lambdaExport(variables: Record<string, unknown>) {
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-11-30T09:12:44Z", magic: "", version: "v3.248.0" },
      secrets_providers: {
        type: "passphrase",
        state: { salt: "v1:4mXq2oP6h0k=:v1:Vt0nq9m1vD0sUu8m:Kq0c==" },
      },
      resources: [
        { urn: `${base}::pulumi:pulumi:Stack::api-prod`, custom: false, type: "pulumi:pulumi:Stack" },
        {
          urn: `${base}::aws:lambda/function:Function::api`,
          custom: true,
          id: "api-7d1e0f2",
          type: "aws:lambda/function:Function",
          inputs: { runtime: "nodejs20.x", environment: { variables } },
          outputs: { runtime: "nodejs20.x", environment: { variables } },
          propertyDependencies: { runtime: [], environment: [] },
        },
      ],
    },
  };
}
const ciphertext = { [SECRET_SIG]: SECRET_VALUE, ciphertext: "v1:Ab3dEf==:Zm9vYmFy" };
const shown = (v: string) => ({ [SECRET_SIG]: SECRET_VALUE, plaintext: JSON.stringify(v) });

function write(doc: unknown): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "unknown-values-")), "prod.json");
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe("values unknown at preview, per case and in every format", () => {
  const scan = useScanner();

  it("lists the undecryptable secret behind E2B_API_KEY under E2B-01, which fails either way", async () => {
    const { stack, report } = await scan.program(fx("secret-config-key"), "prod", {});
    expect(status(stack, "E2B-01")).toBe("fail");
    expect(e2b01(stack).unknown).toEqual([
      expect.objectContaining({
        urn: expect.stringMatching(/::aws:lambda\/function:Function::api$/),
        path: "environment.variables.E2B_API_KEY",
      }),
    ]);
    expectEveryViewSays(report, "environment.variables.E2B_API_KEY");
    // With the passphrase nothing is unknown, and the verdict is the same.
    const known = await scan.program(fx("secret-config-key"), "prod", { passphrase: "correct horse" });
    expect(status(known.stack, "E2B-01")).toBe("fail");
    expect(e2b01(known.stack).unknown).toBeUndefined();
    expectClean(stack);
  });

  it("judges an audit's encrypted E2B_API_KEY as the shown one is judged", async () => {
    const key = `e2b_${PLANTED[1]}`;
    const plain = await scan.states([write(lambdaExport({ E2B_API_KEY: shown(key) }))]);
    const hidden = await scan.states([write(lambdaExport({ E2B_API_KEY: ciphertext }))]);
    expect(status(plain.stacks[0], "E2B-01")).toBe("fail");
    expect(status(hidden.stacks[0], "E2B-01")).toBe("fail");
    expect(e2b01(hidden.stacks[0]).unknown?.map((u) => u.path)).toEqual([
      "environment.variables.E2B_API_KEY",
    ]);
    expectClean(plain.stacks[0]);
  });

  it("names an encrypted value it could not check beside the verdict of what it could", async () => {
    // An E2B stack (it reads the key's secret ARN) with an encrypted variable of another name.
    const report = await scan.states([
      write(
        lambdaExport({
          E2B_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:e2b",
          SETTINGS: ciphertext,
        }),
      ),
    ]);
    const c = e2b01(report.stacks[0]);
    expect(c.status).toBe("pass");
    expect(c.unknown?.map((u) => u.path)).toEqual(["environment.variables.SETTINGS"]);
    expect(c.findings.every((f) => f.enforcementLevel === "advisory")).toBe(true);
    expect(c.findings[0].message).toMatch(/hidden at preview .*not checked for E2B key material/);
    expectEveryViewSays(report, "environment.variables.SETTINGS");
  });

  it("names an undecryptable secret of a program that comes from no resource", async () => {
    const urn = "urn:pulumi:prod::api::aws:lambda/function:Function::api";
    const graph: ResourceGraph = {
      project: "api",
      stack: "prod",
      organization: "organization",
      source: { kind: "program", path: "(test)" },
      tags: {},
      config: {},
      resources: [
        {
          urn,
          type: "aws:lambda/function:Function",
          name: "api",
          custom: true,
          dependencies: [],
          propertyDependencies: { environment: [], runtime: [] },
          inputs: {
            runtime: "nodejs20.x",
            environment: {
              variables: {
                E2B_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:e2b",
                SETTINGS: { [SECRET_SIG]: SECRET_VALUE, value: UNKNOWN },
              },
            },
          },
          outputs: {},
        },
      ],
    };
    const { stack } = await scan.graph(graph);
    expect(e2b01(stack).unknown?.map((u) => u.path)).toEqual(["environment.variables.SETTINGS"]);
  });
});
