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
