/**
 * Preview unknowns and the SDK's unknown-checking proxy.
 *
 * `@pulumi/policy` wraps every `props` object in `unknownCheckingProxy`, which throws on reading a
 * sentinel and turns the whole policy into a "can't run policy during preview" advisory. Our rules
 * must still judge unknown values (through property dependencies), so they never read props through
 * the proxy: `rawProps` asks the proxy for its target once (the proxy answers that special key without
 * checking), and every detector then compares leaves against the sentinel strings itself.
 */

/** The wire sentinel of an unknown string (what the SDK's `output.unknown` serializes as). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The wire sentinels for unknown values, one per kind (see @pulumi/policy/proxy.js). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  UNKNOWN_STRING, // string
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** What an encrypted secret of a state export reads as (walk.ts `normalizeWire`): present, but hidden. */
export const OPAQUE_SECRET = "[secret]";

export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && value.length === 36 && UNKNOWN_SENTINELS.has(value);
}

/** The key the proxy answers with its raw target (`getSpecialProxyTarget` in @pulumi/policy/proxy.js). */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The unproxied object behind `args.props` / `resource.props`; plain objects are returned as they are. */
export function rawProps(props: unknown): Record<string, unknown> {
  if (props === null || typeof props !== "object") return {};
  const target = (props as Record<string, unknown>)[PROXY_TARGET];
  const raw = target && typeof target === "object" ? target : props;
  return raw as Record<string, unknown>;
}

/** Wire-format signatures (secrets and assets as the engine and state files carry them). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
