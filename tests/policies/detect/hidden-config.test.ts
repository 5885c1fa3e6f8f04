import { readFileSync } from "node:fs";
import path from "node:path";
import {
  CONFIG_KEY_NAME,
  UNDECRYPTED_CONFIG_TYPE,
  configKeyAsVariable,
  describePlaceholders,
  e2bSecureLeaves,
  placeholderKeys,
  undecryptedConfigKey,
  undecryptedPlaceholder,
} from "../../../policies/detect/hidden-config";

describe("undecrypted config markers", () => {
  it("name the config key after the marker type, and nothing else is a marker", () => {
    const urn = `urn:pulumi:prod::app::${UNDECRYPTED_CONFIG_TYPE}::app:e2bApiKey`;
    expect(undecryptedConfigKey(urn)).toBe("app:e2bApiKey");
    expect(undecryptedConfigKey("urn:pulumi:prod::app::aws:s3/bucket:Bucket::e2bApiKey")).toBeUndefined();
    // A component of a user's own that happens to carry the type in its parent chain is not a marker.
    const child = `urn:pulumi:prod::app::my:index:C$${UNDECRYPTED_CONFIG_TYPE}::x`;
    expect(undecryptedConfigKey(child)).toBeUndefined();
  });

  it("are written by the engine's preload with the same type token", () => {
    const preload = readFileSync(path.join(__dirname, "../../../engine/preload/unknown-secrets.js"), "utf8");
    expect(preload).toContain(`const UNDECRYPTED_CONFIG_TYPE = "${UNDECRYPTED_CONFIG_TYPE}";`);
    // The placeholder it sends for an exported value is the one plain getters read.
    const sentinel = undecryptedPlaceholder("k").split("#")[0];
    expect(preload).toContain("const placeholder = (key) => `" + sentinel + "#${encodeURIComponent(key)}#`;");
    const documents = readFileSync(
      path.join(__dirname, "../../../engine/preload/hidden-documents.js"),
      "utf8",
    );
    expect(documents).toContain(`const SENTINEL = "${sentinel}";`);
  });
});

describe("the placeholder a plain getter reads offline", () => {
  it("names its config keys wherever it is in a string, odd characters included", () => {
    const a = undecryptedPlaceholder("app:e2bApiKey");
    const b = undecryptedPlaceholder("app:we#ird key");
    expect(placeholderKeys(`Bearer ${a} and ${b}!`)).toEqual(["app:e2bApiKey", "app:we#ird key"]);
    expect(placeholderKeys("04da6b54-80e4-46f7-96ec-b56ff0331ba9")).toEqual([]);
    expect(placeholderKeys("no placeholder here")).toEqual([]);
    // A program may change the value's letter case.
    expect(placeholderKeys(a.toUpperCase())).toEqual(["APP:E2BAPIKEY"]);
  });

  it("reads as `[secret <key>]` where people see it", () => {
    const a = undecryptedPlaceholder("app:e2bApiKey");
    expect(describePlaceholders(`rn-${a}`)).toBe("rn-[secret app:e2bApiKey]");
    expect(describePlaceholders("plain")).toBe("plain");
    // A piece of one, as `value.slice(4)` leaves it (real42 #3); a lone `#a%3Ab#` is no placeholder.
    expect(describePlaceholders(`id ${a.slice(4)} is not live`)).toBe(
      "id [part of secret app:e2bApiKey] is not live",
    );
    expect(describePlaceholders(`sha 12ab${a.slice(30)}`)).toBe("sha 12ab[part of secret app:e2bApiKey]");
    expect(describePlaceholders("see page#a%3Ab# here")).toBe("see page#a%3Ab# here");
  });
});

describe("a config key read as a variable name", () => {
  it.each([
    ["app:e2bApiKey", "E2B_API_KEY"],
    ["app:E2B_API_KEY", "E2B_API_KEY"],
    ["app:e2b-api-key", "E2B_API_KEY"],
    ["app:e2bAPIKey", "E2B_API_KEY"],
    ["e2b:apiKey", "E2B_API_KEY"],
    ["e2b:e2bAccessToken", "E2B_ACCESS_TOKEN"],
    ["app:dbPassword", "DB_PASSWORD"],
    ["app:e2bToken", "E2B_TOKEN"],
    ["app:e2b::apiKey", "E2B_API_KEY"],
    // One lower-case word is about E2B as its camelCase spelling is (rt44 #7).
    ["app:e2bkey", "E2B_KEY"],
    ["app:e2btoken", "E2B_TOKEN"],
    ["app:e2bapikey", "E2B_APIKEY"],
    ["app:prodE2bkey", "PROD_E2B_KEY"],
    ["app:e2b2", "E2B2"],
  ])("%s reads as %s", (key, variable) => {
    expect(configKeyAsVariable(key)).toBe(variable);
  });

  it("names the key when it says API key or access token after E2B, whatever follows or precedes", () => {
    const names = (keys: string[]) => keys.filter((k) => CONFIG_KEY_NAME.test(configKeyAsVariable(k)));
    expect(
      names(["a:e2bApiKey", "a:e2bApikey", "a:e2bApiKeyProd", "a:prodE2bAccessToken", "e2b:apiKey"]),
    ).toHaveLength(5);
    expect(names(["a:e2bKey", "a:e2bToken", "a:dbPassword", "a:apiKey", "a:e2bTemplate"])).toEqual([]);
  });

  it("does not name the key when what follows says it names a reference to it", () => {
    const names = (keys: string[]) => keys.filter((k) => CONFIG_KEY_NAME.test(configKeyAsVariable(k)));
    expect(
      names([
        "a:e2bApiKeySecretName",
        "a:e2bApiKeyArn",
        "a:e2bApiKeySecretArn",
        "a:e2bApiKeyParameter",
        "a:e2bAccessTokenPath",
        "a:e2bApiKeyId",
      ]),
    ).toEqual([]);
    // A suffix that only says where or which the key is for still names the key.
    expect(names(["a:e2bApiKeyProd", "a:e2bApiKeyEu", "a:e2bApiKeyNameless"])).toEqual([
      "a:e2bApiKeyProd",
      "a:e2bApiKeyEu",
      "a:e2bApiKeyNameless",
    ]);
  });
});

/** The first secure leaf about E2B (what E2B-01 names). */
const e2bSecureLeaf = (shape: string, key: string) => e2bSecureLeaves(shape, key)[0];

describe("a structured secret's secure leaves, read without the passphrase", () => {
  it("names the first secure leaf whose path, with the config key's name, is about E2B", () => {
    const shape = { db: { password: "[secret]" }, e2b: { apiKey: "[secret]" }, region: "us-east-1" };
    expect(e2bSecureLeaf(JSON.stringify(shape), "app:agents")).toEqual({
      path: "e2b.apiKey",
      variable: "AGENTS_E2B_API_KEY",
    });
    expect(e2bSecureLeaf(JSON.stringify({ agents: [{ e2bToken: "[secret]" }] }), "app:settings")?.path).toBe(
      "agents.e2bToken",
    );
    // The config key's own name says what its leaves are about: `e2b` → `apiKey`.
    expect(e2bSecureLeaf(JSON.stringify({ apiKey: "[secret]" }), "app:e2b")).toEqual({
      path: "apiKey",
      variable: "E2B_API_KEY",
    });
  });

  it("ignores plaintext leaves about E2B, secure leaves about something else and bad shapes", () => {
    expect(
      e2bSecureLeaf(JSON.stringify({ e2b: { region: "us-east-1" }, db: "[secret]" }), "app:s"),
    ).toBeUndefined();
    expect(e2bSecureLeaf(JSON.stringify({ e2bApiKey: "not masked" }), "app:s")).toBeUndefined();
    expect(e2bSecureLeaf("{not json", "app:s")).toBeUndefined();
  });
});
