/**
 * Property values as the Pulumi CLI marshals them for an analyzer (pkg/resource/plugin/analyzer_plugin.go:
 * `MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}`, no `KeepResources`).
 * Secrets and unknowns stay as they are; a resource reference becomes its id — the unknown sentinel when
 * the id is not known yet, as in a preview — or, for a component (no id), its URN
 * (sdk/go/common/resource/plugin/rpc.go, MarshalPropertyValue); top-level `__` keys are dropped.
 */
import { UNKNOWN, type WireObject, type WireValue } from "./graph";

export const RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

function isObject(v: WireValue): v is WireObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function downgradeReference(ref: WireObject): WireValue {
  if ("id" in ref) return typeof ref.id === "string" && ref.id !== "" ? ref.id : UNKNOWN;
  return typeof ref.urn === "string" ? ref.urn : UNKNOWN;
}

/** The value with every resource reference downgraded; untouched subtrees are returned as they are. */
export function withoutResourceReferences(value: WireValue): WireValue {
  // Iterative, so arbitrarily deep trees cannot overflow the stack; copies only along changed paths.
  if (!isObject(value) && !Array.isArray(value)) return value;
  if (isObject(value) && value[SIG_KEY] === RESOURCE_REFERENCE_SIG) return downgradeReference(value);
  type Frame = {
    node: WireObject | WireValue[];
    keys: (string | number)[];
    i: number;
    copy?: WireObject | WireValue[];
  };
  const childrenOf = (n: WireObject | WireValue[]): (string | number)[] =>
    Array.isArray(n) ? n.map((_, i) => i) : Object.keys(n);
  const root: Frame = {
    node: value as WireObject | WireValue[],
    keys: childrenOf(value as WireObject),
    i: 0,
  };
  const stack: Frame[] = [root];
  let done: WireValue = value;
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.i >= f.keys.length) {
      stack.pop();
      const result = f.copy ?? f.node;
      const parent = stack[stack.length - 1];
      if (!parent) {
        done = result;
        break;
      }
      const key = parent.keys[parent.i - 1];
      if (result !== (parent.node as Record<string | number, WireValue>)[key]) setChild(parent, key, result);
      continue;
    }
    const key = f.keys[f.i++];
    const child = (f.node as Record<string | number, WireValue>)[key];
    if (isObject(child) && child[SIG_KEY] === RESOURCE_REFERENCE_SIG) {
      setChild(f, key, downgradeReference(child));
    } else if (isObject(child) || Array.isArray(child)) {
      stack.push({ node: child, keys: childrenOf(child), i: 0 });
    }
  }
  return done;
}

function setChild(
  f: { node: WireObject | WireValue[]; copy?: WireObject | WireValue[] },
  key: string | number,
  v: WireValue,
): void {
  f.copy ??= Array.isArray(f.node) ? [...f.node] : { ...f.node };
  (f.copy as Record<string | number, WireValue>)[key] = v;
}

/** A resource's properties as the CLI sends them in Analyze and AnalyzeStack. */
export function analyzerProperties(props: WireObject): WireObject {
  let out: WireObject | undefined;
  for (const k of Object.keys(props)) {
    if (k.startsWith("__")) {
      out ??= { ...props };
      delete out[k];
    }
  }
  return withoutResourceReferences(out ?? props) as WireObject;
}
