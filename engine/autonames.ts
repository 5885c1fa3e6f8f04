/**
 * Names a provider's `Check` fills in before a preview, where the offline engine can do the same
 * without the provider. Under `pulumi preview` the Kubernetes provider names an object that has no
 * `metadata.name` (nor `generateName`) `<resource name>-<8 characters>` in Check
 * (pulumi-kubernetes `metadata.AssignNameIfAutonamable`), so the name is known at preview and a
 * program's `ns.metadata.name.apply(…)` runs: every resource created in it is previewed and judged.
 * Offline the name would stay unknown and those resources would never be registered.
 */
import { createHash } from "node:crypto";
import { SECRET_SIG, type WireObject, type WireValue } from "./graph";

/** Kubernetes resources the provider itself creates (not the SDK's components, which have no metadata). */
const KUBERNETES = /^kubernetes:[^:]+\/v[^:]*:[A-Za-z]+$/;

/**
 * `inputs` with the provider's autoname filled in, or `inputs` itself when there is none to fill. The
 * suffix is a hash of the URN, so one program previews the same way every time.
 */
export function withAutonames(type: string, name: string, urn: string, inputs: WireObject): WireObject {
  if (!KUBERNETES.test(type)) return inputs;
  const metadata: WireValue | undefined = inputs.metadata;
  if (metadata !== undefined && !isPlainObject(metadata)) return inputs;
  const m = (metadata ?? {}) as WireObject;
  if (m.name !== undefined || m.generateName !== undefined) return inputs;
  const suffix = createHash("sha256").update(urn).digest("hex").slice(0, 8);
  return { ...inputs, metadata: { ...m, name: `${name}-${suffix}` } };
}

/** An object that is not a wire value's wrapper (a secret, an asset, a resource reference). */
function isPlainObject(v: WireValue): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(SECRET_SIG in v);
}
