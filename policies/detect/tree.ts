/** Reading plain property trees (see walk.ts for how they are made): typed lookups by dotted path. */
import type { Tree } from "./walk";

export function isObjectTree(v: Tree | undefined): v is { [k: string]: Tree } {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** The value at a dotted path (`website.indexDocument`), or undefined when any step is missing. */
export function get(tree: Tree | undefined, path: string): Tree | undefined {
  let cur: Tree | undefined = tree;
  for (const p of path.split(".")) {
    if (!isObjectTree(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/**
 * True when some string value of the tree (not a property name; documents in strings are not parsed)
 * passes `test`: the cheap check before a rule's own walk, without allocating per node.
 */
export function someString(tree: Tree | undefined, test: (s: string) => boolean): boolean {
  const stack: Array<Tree | undefined> = [tree];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (test(v)) return true;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else if (v !== null && typeof v === "object") {
      for (const k in v) stack.push(v[k]);
    }
  }
  return false;
}
