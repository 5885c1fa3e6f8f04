/**
 * Bounded nesting for what is sent to a policy pack. Protobuf's Struct encoding (and the pack's
 * decoding) recurse once per level, so a property nested a few thousand levels deep would fail the
 * whole Analyze call. Subtrees deeper than MAX_SENT_DEPTH are sent flattened instead: one object whose
 * keys name each leaf's place (its last few segments and a counter) and whose values are the leaves,
 * so every value still reaches the pack's detectors and nothing is dropped. Linear in the tree's size.
 */
import type { WireObject, WireValue } from "./graph";

export const MAX_SENT_DEPTH = 200;
/** The key of a flattened subtree (docs/architecture.md "Bounded nesting"). */
export const FLATTENED_KEY = "e2b-guardrails:flattened-beyond-depth";

type Node = { [key: string]: WireValue } | WireValue[];

function isNode(v: WireValue): v is Node {
  return v !== null && typeof v === "object";
}

function deeperThan(root: WireValue, max: number): boolean {
  const stack: Array<[WireValue, number]> = [[root, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!isNode(v)) continue;
    if (d >= max) return true;
    for (const c of Array.isArray(v) ? v : Object.values(v)) stack.push([c, d + 1]);
  }
  return false;
}

/** Every leaf of `root` (iteratively), keyed by the tail of its path and a counter. */
function flatten(root: Node): WireObject {
  const out: WireObject = {};
  let n = 0;
  const stack: Array<[WireValue, string[]]> = [[root, []]];
  while (stack.length) {
    const [v, tail] = stack.pop()!;
    if (!isNode(v)) {
      out[`${tail.join(".")}#${n++}`] = v;
      continue;
    }
    const entries: Array<[string, WireValue]> = Array.isArray(v)
      ? v.map((c, i) => [`[${i}]`, c])
      : Object.entries(v);
    for (const [k, c] of entries) {
      // Keys are also material to scan (a key pasted as a property name): keep them as leaves too.
      if (!Array.isArray(v)) out[`${tail.join(".")}.{name}#${n++}`] = k;
      stack.push([c, [...tail.slice(-4), k]]);
    }
  }
  return out;
}

/** `value` itself when no subtree is deeper than `max`, otherwise a copy with deep subtrees flattened. */
export function limitDepth<T extends WireValue>(value: T, max = MAX_SENT_DEPTH): T {
  if (!deeperThan(value, max)) return value;
  const root: { v: WireValue } = { v: null };
  const stack: Array<{ src: WireValue; depth: number; set: (x: WireValue) => void }> = [
    { src: value, depth: 0, set: (x) => (root.v = x) },
  ];
  while (stack.length) {
    const { src, depth, set } = stack.pop()!;
    if (!isNode(src)) set(src);
    else if (depth >= max) set({ [FLATTENED_KEY]: flatten(src) });
    else if (Array.isArray(src)) {
      const arr: WireValue[] = new Array(src.length).fill(null);
      set(arr);
      src.forEach((c, i) => stack.push({ src: c, depth: depth + 1, set: (x) => (arr[i] = x) }));
    } else {
      const obj: WireObject = {};
      set(obj);
      for (const [k, c] of Object.entries(src))
        stack.push({ src: c, depth: depth + 1, set: (x) => (obj[k] = x) });
    }
  }
  return root.v as T;
}
