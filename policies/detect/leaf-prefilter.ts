/**
 * The leaf scan's cheap first step (scanner.ts `scanLeaves`). The scan lists a tree's unknown and
 * env-var-named leaves and runs for every resource at Analyze; most trees (buckets, IAM roles, …)
 * have neither, yet the walk built a path node per property and a leaf object per value to find that
 * out. A leaf is named only under an env-var-like key or an entry whose name is one (walk.ts), is
 * unknown only as a sentinel string, and anything inside an embedded document needs that document
 * to be parsed first; this pass, without allocation per node, answers "nothing to find" only when
 * none of these can happen, so the scan's result is the same.
 */
import { isUnknown } from "./unknowns";
import { ENTRY_NAME_KEYS, ENV_NAME, isEnvName, type Tree, type WalkContext } from "./walk";

/** The context of a string no name encloses (what the walk would pass when the tree has no names). */
export const UNNAMED: WalkContext = Object.freeze({
  envName: null,
  publicName: null,
  nameChain: "",
  top: "",
  embedded: false,
});

/**
 * False only when a walk of `tree` finds no unknown leaf and no named leaf: no env-var-like key, no
 * `{ name: ENV_NAME, … }` entry, no sentinel, and no string the walk would parse (`wantsParse` as
 * the walk calls it for a string no name encloses, which is every string of such a tree).
 */
export function mayHoldLeafFacts(
  tree: Tree,
  wantsParse: (text: string, ctx: WalkContext) => boolean,
): boolean {
  const stack: Tree[] = [tree];
  while (stack.length) {
    const v = stack.pop() as Tree;
    if (v === null || typeof v !== "object") {
      if (typeof v === "string" && (isUnknown(v) || (v.length > 2 && wantsParse(v, UNNAMED)))) return true;
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
      continue;
    }
    for (const nk of ENTRY_NAME_KEYS) {
      const n = v[nk];
      if (typeof n === "string" && ENV_NAME.test(n)) return true;
    }
    for (const k in v) {
      if (isEnvName(k)) return true;
      stack.push(v[k]);
    }
  }
  return false;
}
