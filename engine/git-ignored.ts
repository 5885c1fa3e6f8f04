/**
 * Whether git ignores a file of a program's repository: a `.env` the program loads for local runs is
 * then not committed with it, and a key in it is the deployer's own, not one the repository hands out
 * (real42 #1). Read from the `.gitignore` files between the program's code root (program-modules.js
 * codeRoot: the repository, or the workspace) and the file, as git reads them; `.git/info/exclude` and
 * a user's global excludes are not read (they say nothing of what a clone holds).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import ignore, { type Ignore } from "ignore";

const { codeRoot } = require("./program-modules.js") as { codeRoot: (dir: string) => string };

/** A test of files under the code root of the program in `dir`; each `.gitignore` is read once. */
export function gitIgnores(dir: string): (file: string) => boolean {
  const root = codeRoot(dir);
  const rules = new Map<string, Ignore | undefined>();
  const rulesOf = (folder: string): Ignore | undefined => {
    if (!rules.has(folder)) {
      const file = path.join(folder, ".gitignore");
      let ig: Ignore | undefined;
      try {
        if (existsSync(file)) ig = ignore().add(readFileSync(file, "utf8"));
      } catch {
        ig = undefined; // unreadable: nothing is taken as ignored
      }
      rules.set(folder, ig);
    }
    return rules.get(folder);
  };
  return (file) => {
    const rel = path.relative(root, file);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return false;
    // From the root down: a folder's rules speak of paths below it (a deeper file can un-ignore, which
    // is rare and read here as ignored still).
    let folder = root;
    for (const part of [
      "",
      ...path
        .dirname(rel)
        .split(path.sep)
        .filter((p) => p !== "."),
    ]) {
      folder = part ? path.join(folder, part) : folder;
      const ig = rulesOf(folder);
      const below = path.relative(folder, file).split(path.sep).join("/");
      if (ig?.ignores(below)) return true;
    }
    return false;
  };
}
