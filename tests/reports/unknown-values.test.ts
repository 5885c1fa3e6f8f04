/**
 * Where preview cannot tell (a secret that could not be decrypted, an output not known yet), the
 * report says which values were unknown for the case, in every format, and the verdict does not rest
 * on what was hidden: a key-named variable fails with or without the passphrase (also beside values
 * from other resources in the same property), and in an audit whether or not the export was made
 * with --show-secrets. Where nothing settles it, the case is inconclusive, never pass, and every
 * format says so.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { GraphResource, ResourceGraph } from "../../engine";
import type { WireObject } from "../../engine/graph";
import { SECRET_SIG, SECRET_VALUE, UNKNOWN } from "../../engine/graph";
import type { Report, StackReport } from "../../policies/report";
import { render, type Format } from "../../reports";
import { resourceName } from "../../reports/view-helpers";
import { useScanner } from "../support/scan";
import { PLANTED, expectClean, fx, status } from "../policies/helpers";
import { tmpDir } from "../support/tmp";

const VIEWS: Format[] = ["text", "json", "markdown", "html", "junit", "sarif", "github"];
const e2b01 = (s: StackReport) => s.cases.find((c) => c.id === "E2B-01")!;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Every view lists the unknown value (its path) for its case, apart from the findings' messages: the
 * data views in the case's `unknown` list, the others in the case's "N values unknown at preview: …"
 * line (the github format as a workflow command of its own).
 */
function expectEveryViewSays(report: Report, pathText: string): void {
  const listed: Record<Format, RegExp> = {
    json: new RegExp(`"unknown": \\[[^\\]]*"path": "${escapeRe(pathText)}"`),
    sarif: new RegExp(`"unknown": \\[[^\\]]*"path": "${escapeRe(pathText)}"`),
    text: new RegExp(`values? unknown at preview[^\\n]*: [^\\n]*${escapeRe(pathText)}`),
    markdown: new RegExp(`values? unknown at preview[^\\n]*: [^\\n]*${escapeRe(pathText)}`),
    html: new RegExp(`<p class="unknown">[^<]*values? unknown at preview[^<]*${escapeRe(pathText)}`),
    junit: new RegExp(`name="unknown" value="[^"]*${escapeRe(pathText)}`),
    github: new RegExp(
      `^::(warning|notice) title=E2B-\\d\\d [^:]*%3A values unknown at preview::[^\\n]*${escapeRe(pathText)}`,
      "m",
    ),
  };
  for (const f of VIEWS) expect({ f, lists: listed[f].test(render(f, report)) }).toEqual({ f, lists: true });
}

/** How each view writes an inconclusive verdict (and, for a report with none, must not). */
const INCONCLUSIVE_IN: Record<Format, RegExp> = {
  text: /INCONCLUSIVE {2}E2B-01 /,
  json: /"status": "inconclusive"/,
  markdown: /❔ INCONCLUSIVE/,
  html: /data-case="E2B-01" data-status="inconclusive"/,
  junit: /<skipped message="inconclusive: /,
  sarif: /"id": "E2B-01",\s+"status": "inconclusive"/,
  github: /::warning title=E2B-01 inconclusive/,
};

function expectEveryViewInconclusive(report: Report, yes: boolean): void {
  for (const f of VIEWS)
    expect({ f, shows: INCONCLUSIVE_IN[f].test(render(f, report)) }).toEqual({ f, shows: yes });
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
  const file = path.join(tmpDir("unknown-values-"), "prod.json");
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** A program's graph in project `api`, stack `prod`, for the hand-built stacks below. */
const urn = (type: string, name: string) => `urn:pulumi:prod::api::${type}::${name}`;
const hidden = { [SECRET_SIG]: SECRET_VALUE, value: UNKNOWN };
const TABLE = urn("aws:dynamodb/table:Table", "sessions");
/** A resource whose every input depends on `deps` (none: its hidden values came from no resource). */
const resource = (type: string, name: string, inputs: WireObject, deps: string[] = []): GraphResource => ({
  urn: urn(type, name),
  type,
  name,
  custom: true,
  dependencies: deps,
  propertyDependencies: Object.fromEntries(Object.keys(inputs).map((k) => [k, deps])),
  inputs,
  outputs: {},
});
const programGraph = (resources: GraphResource[]): ResourceGraph => ({
  project: "api",
  stack: "prod",
  organization: "organization",
  source: { kind: "program", path: "(test)" },
  tags: {},
  config: {},
  resources: [resource("aws:dynamodb/table:Table", "sessions", { hashKey: "id" }), ...resources],
});

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
    expectEveryViewInconclusive(report, false);
    // With the passphrase nothing is unknown, and the verdict is the same.
    const known = await scan.program(fx("secret-config-key"), "prod", { passphrase: "correct horse" });
    expect(status(known.stack, "E2B-01")).toBe("fail");
    expect(e2b01(known.stack).unknown).toBeUndefined();
    expectClean(stack);
  });

  it("fails E2B_API_KEY from an undecryptable secret beside a table's name in one property, as with the passphrase", async () => {
    // `environment` depends on the table, so its dependencies cannot say where E2B_API_KEY came from.
    const without = await scan.program(fx("secret-config-key-mixed"), "prod", {});
    const withPass = await scan.program(fx("secret-config-key-mixed"), "prod", {
      passphrase: "correct horse",
    });
    const verdicts = (s: StackReport) => s.cases.map((c) => [c.id, c.status]);
    const fired = (s: StackReport) =>
      [...new Set(s.findings.map((f) => `${f.caseId} ${f.enforcementLevel} ${f.path ?? ""}`))].sort();
    expect(verdicts(without.stack)).toEqual(verdicts(withPass.stack));
    expect(status(without.stack, "E2B-01")).toBe("fail");
    expect(fired(without.stack)).toEqual(fired(withPass.stack));
    expect(fired(without.stack)).toEqual(["E2B-01 mandatory environment.variables.E2B_API_KEY"]);
    // Decrypted, the registration's own rule finds the key; hidden, the stack rule judges the
    // variable by its name, having seen what the property depends on.
    expect(without.stack.findings.map((f) => f.policy)).toEqual(["e2b-01-key-from-secret-store"]);
    expect(withPass.stack.findings.map((f) => f.policy)).toEqual(["e2b-01-key-only-in-key-stores"]);
    expect(e2b01(without.stack).unknown?.map((u) => u.path)).toEqual(["environment.variables.E2B_API_KEY"]);
    expectEveryViewSays(without.report, "environment.variables.E2B_API_KEY");
    expectClean(without.stack);
    expectClean(withPass.stack);
  });

  it("reads E2B-01 inconclusive, never pass, when a hidden secret sits under an E2B name", async () => {
    const { stack, report } = await scan.program(fx("secret-config-hidden"), "prod", {});
    const c = e2b01(stack);
    expect(c.status).toBe("inconclusive");
    // Both hidden values are listed; only the E2B-named one is the case's own evidence.
    expect(c.unknown?.map((u) => u.path).sort()).toEqual([
      "environment.variables.DB_PASSWORD",
      "environment.variables.E2B_KEY",
    ]);
    expect(c.findings.filter((f) => f.inconclusive).map((f) => f.path)).toEqual([
      "environment.variables.E2B_KEY",
    ]);
    expectEveryViewSays(report, "environment.variables.E2B_KEY");
    expectEveryViewInconclusive(report, true);
    // With the passphrase the value is seen, and it is the key.
    const known = await scan.program(fx("secret-config-hidden"), "prod", { passphrase: "correct horse" });
    expect(status(known.stack, "E2B-01")).toBe("fail");
    expect(e2b01(known.stack).unknown).toBeUndefined();
    expectClean(stack);
    expectClean(known.stack);
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
    expectEveryViewInconclusive(report, false);
  });

  it("reads an audit inconclusive when an encrypted value under an E2B name hides what the case judges", async () => {
    const report = await scan.states([
      write(
        lambdaExport({
          E2B_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:e2b",
          E2B_KEY: ciphertext,
        }),
      ),
    ]);
    const c = e2b01(report.stacks[0]);
    expect(c.status).toBe("inconclusive");
    expect(c.unknown?.map((u) => u.path)).toEqual(["environment.variables.E2B_KEY"]);
    expectEveryViewSays(report, "environment.variables.E2B_KEY");
    expectEveryViewInconclusive(report, true);
    // Shown, the same value is judged: the key fails the case.
    const shownKey = await scan.states([
      write(
        lambdaExport({
          E2B_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:e2b",
          E2B_KEY: shown(`e2b_${PLANTED[1]}`),
        }),
      ),
    ]);
    expect(status(shownKey.stacks[0], "E2B-01")).toBe("fail");
    expectClean(shownKey.stacks[0]);
  });

  describe("hidden values on a public env var and in sandbox env vars", () => {
    /**
     * An ECS task whose container env passes SANDBOX_ENV_VARS, a public variable and a whole env map on
     * Amplify, and a public S3 object's content: each hidden, from no resource or from a table.
     */
    function graph(fromTable: boolean): ResourceGraph {
      const deps = fromTable ? [TABLE] : [];
      const res = (type: string, name: string, inputs: WireObject) => resource(type, name, inputs, deps);
      return programGraph([
        res("aws:ecs/taskDefinition:TaskDefinition", "agent", {
          family: "agent",
          containerDefinitions: [
            {
              name: "agent",
              environment: [
                { name: "E2B_SECRET_ARN", value: "arn:aws:secretsmanager:us-east-1:1:secret:e2b" },
                { name: "SANDBOX_ENV_VARS", value: hidden },
              ],
            },
          ],
        }),
        res("aws:amplify/app:App", "web", {
          name: "web",
          environmentVariables: { NEXT_PUBLIC_SETTINGS: hidden },
        }),
        // A whole front-end env map hidden: not even its names can be checked.
        res("aws:amplify/app:App", "admin", { name: "admin", environmentVariables: hidden }),
        // A public object whose content is hidden: browsers download whatever it is.
        res("aws:s3/bucketObject:BucketObject", "config-js", {
          bucket: "site",
          key: "config.js",
          acl: "public-read",
          content: hidden,
        }),
      ]);
    }

    it("reads E2B-01 and E2B-06 inconclusive when the values came from no resource", async () => {
      const { stack } = await scan.graph(graph(false));
      expect(status(stack, "E2B-01")).toBe("inconclusive");
      expect(status(stack, "E2B-06")).toBe("inconclusive");
      const inconclusive = (id: string) =>
        stack.cases.find((c) => c.id === id)!.findings.filter((f) => f.inconclusive);
      expect(
        inconclusive("E2B-01")
          .map((f) => [f.policy, resourceName(f.urn), f.path])
          .sort(),
      ).toEqual([
        ["e2b-01-no-client-side-key", "admin", "environmentVariables"],
        ["e2b-01-no-client-side-key", "config-js", "content"],
        ["e2b-01-no-client-side-key", "web", "environmentVariables.NEXT_PUBLIC_SETTINGS"],
      ]);
      expect(inconclusive("E2B-06").map((f) => [f.policy, f.enforcementLevel])).toEqual([
        ["e2b-06-no-key-in-sandbox", "advisory"],
      ]);
    });

    it("passes both when the values come from a resource that holds no key: dependencies settle them", async () => {
      const { stack } = await scan.graph(graph(true));
      expect(status(stack, "E2B-01")).toBe("pass");
      expect(status(stack, "E2B-06")).toBe("pass");
      expect(stack.findings.filter((f) => f.inconclusive)).toEqual([]);
    });
  });

  describe("hidden build args of a sandbox template image", () => {
    /** A Docker image built for the sandbox template, its `build` hidden in part or whole. */
    const graph = (build: WireObject, deps: string[] = []) =>
      programGraph([
        resource(
          "docker:index/image:Image",
          "template",
          { imageName: "registry.example.com/agent-template:1", build },
          deps,
        ),
      ]);
    const e2b06 = (s: StackReport) => s.cases.find((c) => c.id === "E2B-06")!;

    it("reads E2B-06 inconclusive when an arg under an E2B name, or the whole args map, came from no resource", async () => {
      const named = (await scan.graph(graph({ args: { E2B_KEY: hidden, NODE_ENV: "production" } }))).stack;
      expect(e2b06(named).status).toBe("inconclusive");
      expect(e2b06(named).findings.map((f) => [f.path, f.inconclusive, f.enforcementLevel])).toEqual([
        ["build.args.E2B_KEY", true, "advisory"],
      ]);
      const whole = (await scan.graph(graph({ args: hidden }))).stack;
      expect(e2b06(whole).findings.map((f) => [f.path, f.inconclusive])).toEqual([["build.args", true]]);
    });

    it("passes when dependencies settle the hidden arg, and only lists one under an unrelated name", async () => {
      const fromTable = (await scan.graph(graph({ args: { E2B_KEY: hidden } }, [TABLE]))).stack;
      expect(e2b06(fromTable).status).toBe("pass");
      const unrelated = (await scan.graph(graph({ args: { E2B_TEMPLATE: "agent", NPM_TOKEN: hidden } })))
        .stack;
      expect(e2b06(unrelated).status).toBe("pass");
      expect(unrelated.findings.filter((f) => f.inconclusive)).toEqual([]);
    });
  });

  it("names an undecryptable secret of a program that comes from no resource", async () => {
    const graph = programGraph([
      resource("aws:lambda/function:Function", "api", {
        runtime: "nodejs20.x",
        environment: {
          variables: { E2B_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:e2b", SETTINGS: hidden },
        },
      }),
    ]);
    const { stack } = await scan.graph(graph);
    expect(e2b01(stack).unknown?.map((u) => u.path)).toEqual(["environment.variables.SETTINGS"]);
  });
});
