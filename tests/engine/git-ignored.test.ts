/**
 * Which files the program read git ignores (a local `.env` holding the deployer's own key is an
 * advisory, a committed one fails E2B-01): git's own answer in a work tree, the `.gitignore` files as
 * git reads them elsewhere.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gitIgnoredFiles } from "../../engine/git-ignored";
import { tmpDir } from "../support/tmp";

/** A folder with `files` written in it (relative path → text). */
function folder(files: Record<string, string>): string {
  const dir = tmpDir("git-ignored-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const git = (dir: string, ...args: string[]) =>
  execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    stdio: "ignore",
  });

/** The names (relative to `dir`) of the files among `names` that count as ignored. */
const ignoredOf = (dir: string, programDir: string, names: string[]) =>
  [
    ...gitIgnoredFiles(
      programDir,
      names.map((n) => path.join(dir, n)),
    ),
  ]
    .map((f) => path.relative(dir, f))
    .sort();

describe("in a git work tree, git says what it ignores (rt51 #1)", () => {
  it("ignores an untracked .env that .gitignore names", () => {
    const dir = folder({ ".gitignore": ".env\n", "infra/index.ts": "", "infra/.env": "K=1\n" });
    git(dir, "init", "-q");
    expect(ignoredOf(dir, path.join(dir, "infra"), ["infra/.env", "infra/index.ts"])).toEqual(["infra/.env"]);
  });

  it("never ignores a tracked file, whatever .gitignore says (committed before the rule, or added with -f)", () => {
    const dir = folder({ ".gitignore": ".env\n", "infra/index.ts": "", "infra/.env": "K=1\n" });
    git(dir, "init", "-q");
    git(dir, "add", "-f", "infra/.env");
    git(dir, "commit", "-q", "-m", "x");
    expect(ignoredOf(dir, path.join(dir, "infra"), ["infra/.env"])).toEqual([]);
  });

  it("does not ignore an ignored link to a committed file: the program reads the committed file", () => {
    const dir = folder({
      ".gitignore": ".env\n",
      "config/prod.env": "K=1\n",
      "config/local.env": "K=1\n",
      "infra/index.ts": "",
    });
    symlinkSync("../config/prod.env", path.join(dir, "infra/.env"));
    git(dir, "init", "-q");
    git(dir, "add", "config/prod.env");
    git(dir, "commit", "-q", "-m", "x");
    expect(ignoredOf(dir, path.join(dir, "infra"), ["infra/.env"])).toEqual([]);
    writeFileSync(path.join(dir, ".gitignore"), ".env\nlocal.env\n");
    rmSync(path.join(dir, "infra/.env"));
    symlinkSync("../config/local.env", path.join(dir, "infra/.env"));
    expect(ignoredOf(dir, path.join(dir, "infra"), ["infra/.env"])).toEqual(["infra/.env"]);
  });

  it("reads a file behind a committed link to a folder as the file it leads to, and still asks git of the rest (rt52 #3)", () => {
    const dir = folder({
      ".gitignore": ".env\nlocal.env\n",
      "infra/index.ts": "",
      "infra/.env": "K=1\n",
      "config/owner.txt": "team\n",
      "config/local.env": "K=1\n",
    });
    symlinkSync("../config", path.join(dir, "infra/shared"));
    git(dir, "init", "-q");
    git(dir, "add", "-f", "infra/.env");
    git(dir, "add", ".gitignore", "infra/shared", "config/owner.txt");
    git(dir, "commit", "-q", "-m", "x");
    expect(
      ignoredOf(dir, path.join(dir, "infra"), [
        "infra/.env",
        "infra/shared/owner.txt",
        "infra/shared/local.env",
      ]),
    ).toEqual(["infra/shared/local.env"]);
  });

  it("takes a file behind a link out of the repository as not committed with it (rt53 #7)", () => {
    const outside = folder({ "e2b.env": "K=1\n" });
    const dir = folder({ ".gitignore": "secrets\n", "infra/index.ts": "" });
    symlinkSync(outside, path.join(dir, "infra/secrets"));
    git(dir, "init", "-q");
    expect(ignoredOf(dir, path.join(dir, "infra"), ["infra/secrets/e2b.env"])).toEqual([
      "infra/secrets/e2b.env",
    ]);
  });

  it("ignores nothing in a repository git will not answer for (dubious ownership, a broken .git) (rt52 #3)", () => {
    const dir = folder({ ".gitignore": ".env\n", "infra/index.ts": "", "infra/.env": "K=1\n" });
    git(dir, "init", "-q");
    expect(ignoredOf(dir, path.join(dir, "infra"), ["infra/.env"])).toEqual(["infra/.env"]);
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = path.join(dir, "no-such-git-dir");
    try {
      expect(ignoredOf(dir, path.join(dir, "infra"), ["infra/.env"])).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });

  it("matches names with the repository's case rules, and a deeper ! un-ignores", () => {
    const dir = folder({
      ".gitignore": ".env\n*.conf\n",
      "infra/.gitignore": "!prod.conf\n",
      "infra/.Env": "K=1\n",
      "infra/prod.conf": "K=1\n",
      "infra/dev.conf": "K=1\n",
    });
    git(dir, "init", "-q");
    git(dir, "config", "core.ignorecase", "false");
    expect(
      ignoredOf(dir, path.join(dir, "infra"), ["infra/.Env", "infra/prod.conf", "infra/dev.conf"]),
    ).toEqual(["infra/dev.conf"]);
  });
});

describe("outside a repository (a monorepo copied out of it), .gitignore files are read as git reads them", () => {
  it("case-sensitively, the deepest rule deciding", () => {
    const dir = folder({
      "package.json": '{ "workspaces": ["infra"] }\n',
      ".gitignore": ".env\n*.conf\n",
      "infra/.gitignore": "!prod.conf\n",
      "infra/.Env": "",
      "infra/.env": "",
      "infra/prod.conf": "",
      "infra/dev.conf": "",
    });
    expect(
      ignoredOf(dir, path.join(dir, "infra"), [
        "infra/.Env",
        "infra/.env",
        "infra/prod.conf",
        "infra/dev.conf",
      ]),
    ).toEqual(["infra/.env", "infra/dev.conf"]);
  });

  it("says nothing of files outside the program's code root", () => {
    const dir = folder({ "package.json": '{ "workspaces": ["infra"] }\n', ".gitignore": "*\n", "a.txt": "" });
    expect(gitIgnoredFiles(dir, ["/etc/hostname", path.join(dir, "a.txt")])).toEqual(
      new Set([path.join(dir, "a.txt")]),
    );
  });
});
