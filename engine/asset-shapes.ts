/**
 * The engine's refusal of a malformed asset or archive in a registration, as `pulumi preview` gives it
 * (sdk/go/common/resource/asset/asset.go and archive/archive.go `Deserialize`, called while the
 * resource monitor unmarshals RegisterResource's properties): an asset's text, path, uri or hash, or
 * an archive's path, uri or hash, that is not a string — an Output passed where the SDK's types ask for
 * `string | Promise<string>`, which arrives as a secret or an unknown — and an archive member that is
 * no asset or archive. The message names the value's Go type, as the CLI's does.
 */
import { ARCHIVE_VALUE, ASSET_VALUE, SECRET_SIG, SECRET_VALUE, UNKNOWN, type WireValue } from "./graph";
import { RESOURCE_REFERENCE_SIG } from "./marshal";

const OUTPUT_VALUE = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/** The Go type `%T` prints for the value the engine unmarshals from this wire value. */
function goType(v: WireValue): string {
  if (v === null) return "<nil>";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "float64";
  if (typeof v === "string") return v === UNKNOWN ? "resource.Computed" : "string";
  if (Array.isArray(v)) return "[]interface {}";
  switch (v[SECRET_SIG]) {
    case SECRET_VALUE:
      return "*resource.Secret";
    case ASSET_VALUE:
      return "*asset.Asset";
    case ARCHIVE_VALUE:
      return "*archive.Archive";
    case OUTPUT_VALUE:
      return "resource.Output";
    case RESOURCE_REFERENCE_SIG:
      return "resource.ResourceReference";
    default:
      return "map[string]interface {}";
  }
}

const isObject = (v: WireValue): v is { [k: string]: WireValue } =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function checkFields(o: { [k: string]: WireValue }, what: "asset" | "archive", fields: string[]): void {
  for (const f of fields)
    if (f in o && (typeof o[f] !== "string" || o[f] === UNKNOWN))
      throw new Error(`unexpected ${what} ${f === "uri" ? "URI" : f} of type ${goType(o[f])}`);
}

/** Throws the CLI's error when `o` is a malformed asset or archive (its members are checked on their own). */
export function checkAssetShape(o: { [k: string]: WireValue }): void {
  if (o[SECRET_SIG] === ASSET_VALUE) checkFields(o, "asset", ["hash", "text", "path", "uri"]);
  else if (o[SECRET_SIG] === ARCHIVE_VALUE) {
    checkFields(o, "archive", ["hash"]);
    // The first of path, uri and assets that is set decides what the archive is, as in Deserialize.
    if ("path" in o) checkFields(o, "archive", ["path"]);
    if (o.path) return;
    if ("uri" in o) checkFields(o, "archive", ["uri"]);
    if (o.uri) return;
    if (!("assets" in o)) return;
    const assets = o.assets;
    if (!isObject(assets) || assets[SECRET_SIG] !== undefined)
      throw new Error(`unexpected archive contents of type ${goType(assets)}`);
    for (const [k, m] of Object.entries(assets))
      if (!isObject(m) || (m[SECRET_SIG] !== ASSET_VALUE && m[SECRET_SIG] !== ARCHIVE_VALUE))
        throw new Error(`archive member '${k}' is not an asset or archive`);
  }
}

/**
 * Throws the CLI's error for the first malformed asset or archive in a registration's properties,
 * innermost first as the engine unmarshals them. Iterative: properties may nest deeply.
 */
export function checkAssetShapes(props: { [k: string]: WireValue }): void {
  // Post-order: an object is checked after everything inside it.
  const stack: Array<{ v: WireValue; seen: boolean }> = [{ v: props, seen: false }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.seen || top.v === null || typeof top.v !== "object") {
      stack.pop();
      if (top.seen && isObject(top.v)) checkAssetShape(top.v);
      continue;
    }
    top.seen = true;
    const children = Array.isArray(top.v) ? top.v : Object.values(top.v);
    for (let i = children.length - 1; i >= 0; i--) stack.push({ v: children[i], seen: false });
  }
}
