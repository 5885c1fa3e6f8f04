/**
 * Props as the SDK deserializes them are, for almost every resource, already the plain tree the
 * detectors read: `Struct.toJavaScript` and `deserializeProperties` build fresh plain objects,
 * arrays and primitives. `normalizeProps` (walk.ts) copies every tree anyway, to replace SDK asset
 * and archive objects and drop what JSON cannot hold; on a 10k-resource stack those copies (inputs
 * at Analyze, outputs at AnalyzeStack) were a large part of the pack's allocation. Here one pass
 * without allocation per node proves a tree needs no change, and then the tree itself is used.
 *
 * The tree is shared with the SDK (its deserialization is memoized per request, sdk-memo.ts): the
 * detectors never write to a tree they read (walk.ts), so sharing is safe.
 */
import { normalizeProps, type Tree } from "./walk";

/** Deeper than this the proof gives up and the tree is copied (copyTree is iterative, cycle-safe). */
const MAX_DEPTH = 200;

/**
 * The tree `normalizeProps(value)` would build, without the copy when `value` already is it: only
 * plain objects and arrays, finite numbers, strings, booleans and null, no node reached twice.
 */
export function plainTree(value: unknown): Promise<Tree> {
  return isPlainTree(value) ? Promise.resolve(value) : normalizeProps(value);
}

/**
 * plainTree without the promise when no copy is needed: the tree itself, or the copy to await. The
 * analyzer hooks record every resource's inputs with it, so a plain tree (almost all) is kept without
 * two promises per resource alive until AnalyzeStack.
 */
export function plainTreeNow(value: unknown): Tree | Promise<Tree> {
  return isPlainTree(value) ? value : normalizeProps(value);
}

/** True when `normalizeProps(value)` would build a tree equal to `value` itself. */
export function isPlainTree(value: unknown): value is Tree {
  if (value === null || typeof value !== "object") return isPlainLeaf(value);
  const seen = new Set<object>();
  return plainIn(value, 0, seen);
}

function isPlainLeaf(v: unknown): boolean {
  return (
    v === null ||
    typeof v === "string" ||
    typeof v === "boolean" ||
    (typeof v === "number" && Number.isFinite(v))
  );
}

function plainIn(v: object, depth: number, seen: Set<object>): boolean {
  if (depth > MAX_DEPTH || seen.has(v)) return false;
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === "object") {
        if (!plainIn(x, depth + 1, seen)) return false;
      } else if (!isPlainLeaf(x)) return false;
    }
    return true;
  }
  // Class instances (SDK assets and archives, Secret wrappers) are normalized by the copy.
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    if (x !== null && typeof x === "object") {
      if (!plainIn(x, depth + 1, seen)) return false;
    } else if (!isPlainLeaf(x)) return false;
  }
  return true;
}
