/**
 * Which files of a program's repository git ignores: a `.env` the program loads for local runs is then
 * not committed with it, and a key in it is the deployer's own, not one the repository hands out
 * (real42 #1). Git itself is asked when the program's code root (program-modules.js codeRoot) is in a
 * work tree: a tracked file is never ignored, whatever `.gitignore` says (a `.env` committed before
 * the rule, or with `git add -f`), and git matches names with the repository's own case rules (rt51
 * #1). Outside a repository (a program copied out of it), the `.gitignore`
 * files between the code root and each file are read as git reads them: case-sensitive, the deepest
 * rule that speaks of a path deciding (a deeper `!` un-ignores). In a repository git does not answer
 * for, nothing is ignored (rt52 #3). `.git/info/exclude` and a user's
 * global excludes are not read that way (they say nothing of what a clone holds).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import ignore, { type Ignore } from "ignore";

const { codeRoot } = require("./program-modules.js") as { codeRoot: (dir: string) => string };

/** `git check-ignore` on a few paths is quick; a wedged git must not hold up the preview. */
const GIT_TIMEOUT_MS = 10_000;

/** The files of `files` that git ignores, for the program in `dir`. */
export function gitIgnoredFiles(dir: string, files: readonly string[]): Set<string> {
  const root = codeRoot(dir);
  const under = files.filter((f) => {
    const rel = path.relative(root, f);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  });
  if (under.length === 0) return new Set();
  const realRoot = realOr(root);
  // A link git ignores to a file it does not (`infra/.env` → `config/prod.env`, committed) reads the
  // committed file (rt51 #1): the target must be ignored too, or be outside the repository.
  const targets = new Map(under.map((f) => [f, realTarget(root, realRoot, f)]));
  // A file behind a linked folder (`shared/owner.txt`, `shared` a committed link) is the file it leads
  // to: git will not say anything of a path beyond a link, and stops answering for the rest too (rt52 #3).
  const behindLink = new Set(under.filter((f) => linkedFolder(root, realRoot, f)));
  const asked = [
    ...new Set([
      ...under.filter((f) => !behindLink.has(f)),
      ...[...targets.values()].filter((t): t is string => !!t),
    ]),
  ];
  const answer = askGit(root, asked);
  // In a repository git did not answer for (not installed, or refusing it: "dubious ownership" in a
  // CI container), no file counts as ignored: `.gitignore`'s text cannot tell a tracked file (rt52 #3).
  const ignored = answer ?? (insideRepository(root) ? new Set<string>() : readGitignores(root, asked));
  return new Set(
    under.filter((f) => {
      const target = targets.get(f);
      // Behind a link out of the repository: not committed with it (rt53 #7).
      if (behindLink.has(f)) return target === undefined || ignored.has(target);
      return ignored.has(f) && (target === undefined || ignored.has(target));
    }),
  );
}

/** The real path of `p`, or `p` when it has none (gone, unreadable). */
function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Whether a folder between `root` and `file` is a link (the file's folder is elsewhere really). */
function linkedFolder(root: string, realRoot: string, file: string): boolean {
  const folder = path.dirname(file);
  return realOr(folder) !== path.join(realRoot, path.relative(root, folder));
}

/** Whether `dir` or a folder above it holds `.git` (a folder, or a file naming one: a worktree). */
function insideRepository(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, ".git"))) return true;
    if (path.dirname(d) === d) return false;
  }
}

/**
 * Where a link leads when that is another file under `root`; undefined for a file that is no link,
 * or one whose target is outside the repository (never committed with it).
 */
function realTarget(root: string, realRoot: string, file: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined;
  }
  if (real === file) return undefined;
  const rel = path.relative(realRoot, real);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  const inRoot = path.join(root, rel);
  return inRoot === file ? undefined : inRoot;
}

/** What `git check-ignore` says of the files, or undefined when git cannot say (no git, no work tree). */
function askGit(root: string, files: string[]): Set<string> | undefined {
  const r = spawnSync("git", ["-C", root, "check-ignore", "--stdin", "-z"], {
    input: files.map((f) => path.relative(root, f)).join("\0"),
    encoding: "utf8",
    timeout: GIT_TIMEOUT_MS,
    stdio: ["pipe", "pipe", "ignore"],
    // A hook or a pager has no part in this; the user's config may still set core.ignorecase.
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat" },
  });
  // 0: some are ignored (listed), 1: none is; anything else (128: not a work tree) is no answer.
  if (r.error || (r.status !== 0 && r.status !== 1)) return undefined;
  const ignored = new Set(r.stdout.split("\0").filter(Boolean));
  return new Set(files.filter((f) => ignored.has(path.relative(root, f))));
}

/** The files the `.gitignore` files from `root` down ignore, read as git reads them. */
function readGitignores(root: string, files: string[]): Set<string> {
  const rules = new Map<string, Ignore | undefined>();
  const rulesOf = (folder: string): Ignore | undefined => {
    if (!rules.has(folder)) {
      const file = path.join(folder, ".gitignore");
      let ig: Ignore | undefined;
      try {
        if (existsSync(file)) ig = ignore({ ignorecase: false }).add(readFileSync(file, "utf8"));
      } catch {
        ig = undefined; // unreadable: nothing is taken as ignored
      }
      rules.set(folder, ig);
    }
    return rules.get(folder);
  };
  const ignores = (file: string): boolean => {
    const rel = path.relative(root, file);
    let ignored = false;
    let folder = root;
    // From the root down: a folder's rules speak of paths below it, and a deeper rule overrides.
    for (const part of [
      "",
      ...path
        .dirname(rel)
        .split(path.sep)
        .filter((p) => p !== "."),
    ]) {
      folder = part ? path.join(folder, part) : folder;
      const verdict = rulesOf(folder)?.test(path.relative(folder, file).split(path.sep).join("/"));
      if (verdict?.ignored) ignored = true;
      else if (verdict?.unignored) ignored = false;
    }
    return ignored;
  };
  return new Set(files.filter(ignores));
}
