/**
 * The stack's configuration as ConfigureStack sends it: plaintext values that hold key material are
 * the index's evidence and hits; secure ones (listed in config_secret_keys) are not judged.
 */
import { StackIndex } from "../../../policies/detect/stack-index";
import { UNKNOWN_STRING } from "../../../policies/detect/unknowns";

const KEY = `e2b_${"0123456789abcdef".repeat(3).slice(0, 40)}`;
const TOKEN = `sk_e2b_${"fedcba9876543210".repeat(3).slice(0, 40)}`;

const indexWith = (values: Record<string, string>, secretKeys: string[] = []) =>
  new StackIndex([], "prod", "shop", { config: { values, secretKeys: new Set(secretKeys) } });

describe("StackIndex over the stack's configuration", () => {
  it("finds key material in plaintext values, inside structured values too, and counts it as evidence", () => {
    const index = indexWith({
      "aws:region": "us-east-1",
      "shop:e2bApiKey": KEY,
      "shop:runtime": JSON.stringify({ logLevel: "info", tokens: [TOKEN] }),
    });
    expect(
      index
        .configKeyHits()
        .map((k) => k.path)
        .sort(),
    ).toEqual(["shop:e2bApiKey", "shop:runtime{json}.tokens[0]"]);
    expect(index.e2bEvidence()).toMatchObject({ material: 2, accessTokens: 1 });
  });

  it("leaves secure values alone: decrypted for the pack, but encrypted in the stack file", () => {
    const index = indexWith({ "shop:e2bApiKey": KEY }, ["shop:e2bApiKey"]);
    expect(index.configKeyHits()).toEqual([]);
  });

  it("names a secure value holding the key that no resource preview could see holds, and counts it as evidence", () => {
    const config = { values: { "shop:e2bApiKey": KEY }, secretKeys: new Set(["shop:e2bApiKey"]) };
    const unused = new StackIndex([], "prod", "shop", { config });
    expect(unused.unseenSecretConfig()).toEqual([{ key: "shop:e2bApiKey", mask: "e2b_…4567" }]);
    expect(unused.e2bEvidence().material).toBe(1);
    // Stored where preview sees it: seen, so nothing to say about the config value.
    const stored = {
      urn: "urn:pulumi:prod::shop::aws:secretsmanager/secretVersion:SecretVersion::e2b",
      type: "aws:secretsmanager/secretVersion:SecretVersion",
      name: "e2b",
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      props: { secretString: KEY },
      outputs: { secretString: KEY },
    };
    const index = new StackIndex([stored as never], "prod", "shop", { config });
    expect(index.unseenSecretConfig()).toEqual([]);
  });

  it("has nothing to judge without a configuration (a state export, an older protocol)", () => {
    expect(new StackIndex([], "prod", "shop").configKeyHits()).toEqual([]);
  });
});

describe("StackIndex.hiddenVariables: where a value the program holds may have gone unseen (real44 #1)", () => {
  const app = (props: Record<string, unknown>) =>
    ({
      urn: "urn:pulumi:prod::shop::azure-native:web:WebApp::fn",
      type: "azure-native:web:WebApp",
      name: "fn",
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      props,
      outputs: props,
    }) as never;
  const hidden = (props: Record<string, unknown>) =>
    new StackIndex([app(props)], "prod", "shop").hiddenVariables();

  it("names a runtime's settings or variables not known until deploy", () => {
    expect(hidden({ siteConfig: UNKNOWN_STRING })).toBe("siteConfig of azure-native:web:WebApp 'fn'");
    expect(hidden({ siteConfig: { appSettings: [{ name: "A", value: "1" }, UNKNOWN_STRING] } })).toBe(
      "siteConfig.appSettings[1] of azure-native:web:WebApp 'fn'",
    );
    expect(hidden({ environment: { variables: UNKNOWN_STRING } })).toBe(
      "environment.variables of azure-native:web:WebApp 'fn'",
    );
  });

  it("names a boot script or a function's service settings not known until deploy (rt54 #2)", () => {
    expect(hidden({ userData: UNKNOWN_STRING })).toBe("userData of azure-native:web:WebApp 'fn'");
    expect(hidden({ metadata: { "startup-script": UNKNOWN_STRING } })).toBe(
      "metadata.startup-script of azure-native:web:WebApp 'fn'",
    );
    expect(hidden({ serviceConfig: UNKNOWN_STRING })).toBe("serviceConfig of azure-native:web:WebApp 'fn'");
    expect(hidden({ osProfile: { customData: UNKNOWN_STRING } })).toBe(
      "osProfile.customData of azure-native:web:WebApp 'fn'",
    );
    expect(hidden({ metadata: { "windows-startup-script-ps1": UNKNOWN_STRING } })).toBe(
      "metadata.windows-startup-script-ps1 of azure-native:web:WebApp 'fn'",
    );
    // A machine's other metadata stays a label.
    expect(hidden({ metadata: { owner: UNKNOWN_STRING } })).toBe(undefined);
  });

  it("says nothing of one value not known yet (a role's ARN, a tag, a variable another resource's output feeds: rt53 #6)", () => {
    expect(hidden({ environment: { variables: { TABLE: UNKNOWN_STRING } } })).toBe(undefined);
    expect(
      hidden({ role: UNKNOWN_STRING, tags: { owner: UNKNOWN_STRING }, siteConfig: { alwaysOn: true } }),
    ).toBe(undefined);
  });
});
