/** One resource's key scan: each key once, where it is, whatever else repeats it. */
import { scanProps } from "../../../policies/detect/scanner";

const KEY = "e2b_" + "3f9a1c7e52b8d04f6a1e9c3b7d25f8e06c4a9b1d";

describe("scanProps", () => {
  it("reports a key used as a name inside a JSON document once, as the name, not again as the document's text", () => {
    const props = { settings: JSON.stringify({ tokens: { [KEY]: "agent" } }) };
    const keys = scanProps("aws:ssm/parameter:Parameter", props).keys;
    expect(keys.map((k) => [k.path, k.embedded])).toEqual([
      ["settings{json}.tokens.e2b_…9b1d (property name)", true],
    ]);
  });

  it("reports a key in a document's value once, as the value", () => {
    const props = { settings: JSON.stringify({ tokens: { agent: KEY } }) };
    expect(scanProps("aws:ssm/parameter:Parameter", props).keys.map((k) => k.path)).toEqual([
      "settings{json}.tokens.agent",
    ]);
  });
});

describe("env entries name their value", () => {
  it("names a Cloud Run v2 env var read from Secret Manager (valueSource.secretKeyRef) by its entry (real36 bug 4)", () => {
    const props = {
      template: {
        containers: [
          {
            envs: [
              {
                name: "E2B_API_KEY",
                valueSource: { secretKeyRef: { secret: "e2b-api-key", version: "latest" } },
              },
            ],
          },
        ],
      },
    };
    expect(
      scanProps("gcp:cloudrunv2/service:Service", props)
        .named.map((l) => [l.path, l.envName])
        .sort(),
    ).toEqual([
      ["template.containers[0].envs[0].valueSource.secretKeyRef.secret", "E2B_API_KEY"],
      ["template.containers[0].envs[0].valueSource.secretKeyRef.version", "E2B_API_KEY"],
    ]);
  });

  it("names Azure Container Apps and Container Instances env entries (secretRef, secureValue) by their entry (rt41 #7)", () => {
    const names = (type: string, props: Record<string, unknown>) =>
      scanProps(type, props as never).named.map((l) => [l.path, l.envName]);
    expect(
      names("azure-native:app:ContainerApp", {
        template: { containers: [{ env: [{ name: "E2B_API_KEY", secretRef: "e2b-api-key" }] }] },
      }),
    ).toEqual([["template.containers[0].env[0].secretRef", "E2B_API_KEY"]]);
    expect(
      names("azure-native:containerinstance:ContainerGroup", {
        containers: [{ environmentVariables: [{ name: "E2B_API_KEY", secureValue: "x" }] }],
      }),
    ).toEqual([["containers[0].environmentVariables[0].secureValue", "E2B_API_KEY"]]);
  });
});

describe("a key cut into the elements of a list (real34 bug 7)", () => {
  const paths = (props: Record<string, unknown>) =>
    scanProps("pulumi:pulumi:Stack", props as never).keys.map((k) => [k.path, k.mask]);

  it("is found at the list's path, cut anywhere after its prefix, in two or more pieces", () => {
    expect(paths({ parts: [KEY.slice(0, 24), KEY.slice(24)] })).toEqual([["parts", "e2b_…9b1d"]]);
    expect(paths({ parts: [KEY.slice(0, 4), KEY.slice(4, 30), KEY.slice(30)] })).toEqual([
      ["parts", "e2b_…9b1d"],
    ]);
  });

  it("is found when the cut falls inside the e2b_ prefix, in either letter case (rt39 #10)", () => {
    for (const at of [1, 2, 3])
      expect(paths({ runCommand: [`export E2B_API_KEY=${KEY.slice(0, at)}`, KEY.slice(at)] })).toEqual([
        ["runCommand", "e2b_…9b1d"],
      ]);
    expect(paths({ parts: ["E2", KEY.slice(2).toUpperCase()] })).toEqual([["parts", "e2b_…9b1d"]]);
  });

  it("is not made up from lists that only look like one, and a whole key is reported once", () => {
    expect(
      paths({
        tags: ["e2b_", "docs"],
        ids: ["e2b_12", "ab"],
        other: ["abc", KEY.slice(4)],
        words: ["one e", "2b_ two"],
        near: ["e2", `b_${KEY.slice(5)}`],
      }),
    ).toEqual([]);
    expect(paths({ keys: [KEY, "x"] })).toEqual([["keys[0]", "e2b_…9b1d"]]);
  });
});

test("a near miss of 39 digits next to a one-letter element is no cut key", () => {
  // Found by the recall property test: ["sk_e2b_" + 39 zeros, "a"] joined read as a key.
  const props = { E2B_API_KEY: [`sk_e2b_${"0".repeat(39)}`, "a"], other: [`e2b_${"1".repeat(38)}`, "ab"] };
  expect(scanProps("aws:lambda/function:Function", props).keys).toEqual([]);
});
