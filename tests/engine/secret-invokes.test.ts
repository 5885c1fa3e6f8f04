/**
 * Secrets a provider function reads at deploy time, answered offline (engine/secret-invokes.ts): the
 * value is a hidden placeholder named by the secret, the pack's rules judge it by that name.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { UNKNOWN } from "../../engine/graph";
import { SECRET_INVOKES, secretInvokeResult, secretLookupResult } from "../../engine/secret-invokes";
import { invokeSecretKey, placeholderKeys } from "../../policies/detect/hidden-config";

describe("secretInvokeResult", () => {
  it("answers a secret-reading invoke with its arguments and the value hidden under the secret's name", () => {
    const r = secretInvokeResult("aws:ssm/getParameter:getParameter", {
      name: "/agents/e2b-api-key",
      withDecryption: true,
    });
    expect(r).toMatchObject({ name: "/agents/e2b-api-key", withDecryption: true });
    expect(placeholderKeys(String(r!.value))).toEqual([invokeSecretKey("/agents/e2b-api-key")]);
    const sm = secretInvokeResult("aws:secretsmanager/getSecretVersion:getSecretVersion", {
      secretId: "prod/e2b",
    });
    expect(placeholderKeys(String(sm!.secretString))).toEqual([invokeSecretKey("prod/e2b")]);
  });

  // Of the packages this project installs (@pulumi/azure, the classic provider, is not one).
  const installed = (token: string) => {
    try {
      return Boolean(require.resolve(`@pulumi/${token.split(":")[0]}/package.json`));
    } catch {
      return false;
    }
  };
  it.each(Object.entries(SECRET_INVOKES).filter(([token]) => installed(token)))(
    "%s is a function of the provider package, taking the secret's name and giving its value as named",
    (token, { name, value }) => {
      // `aws:ssm/getParameter:getParameter` is declared in @pulumi/aws/ssm/getParameter.{js,d.ts}.
      const [pkg, mod] = token.split(":");
      const file = path.join(require.resolve(`@pulumi/${pkg}/package.json`), "..", mod);
      expect(readFileSync(`${file}.js`, "utf8")).toContain(`"${token}"`);
      const types = readFileSync(`${file}.d.ts`, "utf8");
      expect(types).toMatch(new RegExp(`\\b${name}\\??: `));
      expect(types).toMatch(new RegExp(`readonly ${value}: string;`));
    },
  );

  it("answers functions that read several secrets with each value hidden under its name (rt44 #2)", () => {
    const kms = secretInvokeResult("aws:kms/getSecrets:getSecrets", {
      secrets: [
        { name: "e2b-api-key", payload: "AQICAHh…" },
        { name: "db", payload: "AQICAHi…" },
      ],
    })!;
    const plaintext = kms.plaintext as Record<string, string>;
    expect(placeholderKeys(plaintext["e2b-api-key"])).toEqual([invokeSecretKey("e2b-api-key")]);
    expect(placeholderKeys(plaintext.db)).toEqual([invokeSecretKey("db")]);
    expect(secretInvokeResult("aws:kms/getSecrets:getSecrets", { secrets: [] })).toBeUndefined();
    // A path that does not name the key: the parameters under it, picked by their names, are not
    // known offline at all (rt45 #8).
    const tree = secretInvokeResult("aws:ssm/getParametersByPath:getParametersByPath", {
      path: "/web/prod/",
    })!;
    expect([tree.names, tree.values]).toEqual([UNKNOWN, UNKNOWN]);
  });

  it("answers a secret looked up by name with an ARN that carries the name, so reading it by that ARN is named (real39 bug 2)", () => {
    const found = secretLookupResult("aws:secretsmanager/getSecret:getSecret", { name: "agents/prod/env" })!;
    expect(found).toMatchObject({
      name: "agents/prod/env",
      arn: expect.stringMatching(/:secret:agents\/prod\/env$/),
    });
    const read = secretInvokeResult("aws:secretsmanager/getSecretVersion:getSecretVersion", {
      secretId: found.arn!,
    });
    expect(placeholderKeys(String(read!.secretString))).toEqual([invokeSecretKey(String(found.arn))]);
    expect(secretLookupResult("aws:secretsmanager/getSecret:getSecret", {})).toBeUndefined();
    expect(secretLookupResult("aws:index/getRegion:getRegion", { name: "x" })).toBeUndefined();
  });

  it("leaves AWS's own public parameters as they are: an AMI id is no secret (real39 obs. 2)", () => {
    const ami = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id";
    expect(secretInvokeResult("aws:ssm/getParameter:getParameter", { name: ami })).toBeUndefined();
  });

  it("leaves other invokes, and a secret whose name is not known yet, to the usual answer", () => {
    expect(secretInvokeResult("aws:index/getRegion:getRegion", { name: "x" })).toBeUndefined();
    expect(secretInvokeResult("aws:ssm/getParameter:getParameter", {})).toBeUndefined();
  });
});

describe("a deploy-time secret the program encodes (rt43 #1)", () => {
  const value = String(
    secretInvokeResult("aws:ssm/getParameter:getParameter", { name: "/web/prod/e2b-api-key" })!.value,
  );
  const key = invokeSecretKey("/web/prod/e2b-api-key");

  it("keeps its name through base64, base64url and encodeURIComponent", () => {
    expect(placeholderKeys(Buffer.from(value).toString("base64"))).toEqual([key]);
    expect(placeholderKeys(`token=${Buffer.from(value).toString("base64url")}`)).toEqual([key]);
    expect(placeholderKeys(`https://app/?k=${encodeURIComponent(value)}`)).toEqual([key]);
  });

  it("keeps it through hex, and base64 of a text that holds it anywhere (rt44 #2)", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    for (const encoded of [
      Buffer.from(value).toString("hex"),
      Buffer.from(value).toString("hex").toUpperCase(),
      b64(`user:${value}`),
      b64(JSON.stringify({ apiKey: value, apiUrl: "https://api.e2b.app" })),
      `token${b64(`ab${value}`)}`,
      `k=${Buffer.from(`x${value}`).toString("base64url")}&y=1`,
    ])
      expect([encoded.slice(0, 12), placeholderKeys(encoded)]).toEqual([encoded.slice(0, 12), [key]]);
  });

  it("finds nothing in ordinary long text", () => {
    expect(placeholderKeys("x".repeat(100))).toEqual([]);
    expect(
      placeholderKeys(Buffer.from("an ordinary value of some length, base64 encoded").toString("base64")),
    ).toEqual([]);
  });
});
