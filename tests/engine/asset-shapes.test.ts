/**
 * A registration's assets and archives, refused as the CLI's engine refuses them when it unmarshals
 * RegisterResource (asset.Deserialize / archive.Deserialize), with the Go type the CLI names.
 */
import { checkAssetShapes } from "../../engine/asset-shapes";
import {
  ARCHIVE_VALUE,
  ASSET_VALUE,
  SECRET_SIG,
  SECRET_VALUE,
  UNKNOWN,
  type WireValue,
} from "../../engine/graph";

const asset = (fields: Record<string, WireValue>) => ({ [SECRET_SIG]: ASSET_VALUE, ...fields });
const archive = (fields: Record<string, WireValue>) => ({ [SECRET_SIG]: ARCHIVE_VALUE, ...fields });
const secret = (value: WireValue) => ({ [SECRET_SIG]: SECRET_VALUE, value });

describe("checkAssetShapes", () => {
  it("accepts the assets and archives the SDK sends: text, path, uri, folders and members", () => {
    expect(() =>
      checkAssetShapes({
        source: asset({ text: "<p>hi</p>" }),
        file: asset({ path: "www/app.js" }),
        remote: asset({ uri: "https://example.com/a.js" }),
        code: archive({ path: "./app" }),
        bundle: archive({ assets: { "index.js": asset({ text: "x" }), lib: archive({ path: "lib" }) } }),
        // A whole asset may be secret; only its fields must be strings.
        hidden: secret(asset({ text: "x" })),
        empty: archive({}),
      }),
    ).not.toThrow();
  });

  it("refuses an asset's text that is a secret, an unknown or an object, naming the Go type", () => {
    expect(() => checkAssetShapes({ source: asset({ text: secret("x") }) })).toThrow(
      "unexpected asset text of type *resource.Secret",
    );
    expect(() => checkAssetShapes({ source: asset({ text: UNKNOWN }) })).toThrow(
      "unexpected asset text of type resource.Computed",
    );
    expect(() => checkAssetShapes({ a: [{ b: asset({ path: { p: "x" } }) }] })).toThrow(
      "unexpected asset path of type map[string]interface {}",
    );
    expect(() => checkAssetShapes({ source: asset({ uri: 3 }) })).toThrow(
      "unexpected asset URI of type float64",
    );
  });

  it("refuses an archive's path or contents of the wrong type and a member that is no asset", () => {
    expect(() => checkAssetShapes({ code: archive({ path: null }) })).toThrow(
      "unexpected archive path of type <nil>",
    );
    expect(() => checkAssetShapes({ code: archive({ assets: ["x"] }) })).toThrow(
      "unexpected archive contents of type []interface {}",
    );
    expect(() => checkAssetShapes({ code: archive({ assets: { "index.js": UNKNOWN } }) })).toThrow(
      "archive member 'index.js' is not an asset or archive",
    );
  });

  it("names the innermost bad asset first, as the engine unmarshals inside out", () => {
    expect(() =>
      checkAssetShapes({ code: archive({ assets: { "a.txt": secret(asset({ text: true })) } }) }),
    ).toThrow("unexpected asset text of type bool");
  });

  it("walks deep properties without recursion", () => {
    let v: WireValue = asset({ text: UNKNOWN });
    for (let i = 0; i < 50_000; i++) v = { a: v };
    expect(() => checkAssetShapes({ deep: v })).toThrow("resource.Computed");
  });
});
