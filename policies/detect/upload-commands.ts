/**
 * Local files a shell command uploads: `@pulumi/command`'s `local.Command` running `aws s3 sync
 * ./build s3://…`, `aws s3 cp`, `gsutil rsync`, `gcloud storage cp`, `az storage blob upload-batch
 * --source` or `wrangler pages deploy dist` is how many programs publish a built front end whose
 * folder has too many files for a resource each. The paths are read from the command text as a
 * shell splits it (quotes, `&&`, `;`, `|`); a path that depends on an unknown value is not named.
 */
import path from "node:path";

/** A local path a command uploads, and whether it is a folder (a sync, a recursive copy) or one file. */
export interface UploadedPath {
  source: string;
  folder: boolean;
  /** The command changed folder to one not known from its text (`cd "$OUT"`): `source` is not read. */
  unresolved?: true;
  /** What of a folder the command leaves out or keeps, in its order: the last one that matches decides. */
  filters?: UploadFilter[];
}

/**
 * One `--exclude`/`--include` of an upload, matched against a file's path inside the folder:
 * - `glob`: `aws s3` and `az storage blob` patterns, `*` any characters (`/` too), `?` one, `[…]` a set;
 * - `regex`: `gsutil rsync -x` and `gcloud storage rsync --exclude`, a Python regular expression
 *   matched from the path's start.
 */
export interface UploadFilter {
  exclude: boolean;
  syntax: "glob" | "regex";
  pattern: string;
}

/** A subshell's parentheses, as words() gives them. */
const OPEN = "\u0000(";
const CLOSE = "\u0000)";

/**
 * Words a shell splits `text` into, quotes removed; `null` ends a command (`&&`, `||`, `;`, `|`, a
 * line break), and a subshell's `(` and `)` are OPEN and CLOSE.
 */
function words(text: string): Array<string | null> {
  const out: Array<string | null> = [];
  // A comment (`#` starting a word) runs to the end of its line; a `\` before a line break joins lines,
  // as PowerShell's `` ` `` and cmd's `^` do (rt45 #6).
  const re = /(?<![^\s;&|()])#[^\n]*|"((?:[^"\\]|\\.)*)"|'([^']*)'|(&&|\|\||[;|\n()])|([^\s"';|&()]+|&)/g;
  let word: string | undefined;
  let last = -1;
  for (const m of withoutHeredocBodies(text.replace(/[\\`^]\r?\n/g, " ")).matchAll(re)) {
    if (m[1] === undefined && m[2] === undefined && m[3] === undefined && m[4] === undefined) continue;
    const glued = m.index === last && word !== undefined;
    last = m.index + m[0].length;
    if (m[3] !== undefined) {
      if (word !== undefined) out.push(word);
      word = undefined;
      out.push(null);
      if (m[3] === "(") out.push(OPEN);
      else if (m[3] === ")") out.push(CLOSE);
      continue;
    }
    const piece = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[4]);
    if (glued) word += piece;
    else {
      if (word !== undefined) out.push(word);
      word = piece;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/**
 * The text without the bodies of its here-documents (`cat > remote.sh <<'EOF'` … `EOF`): lines a
 * command reads as data, not commands a shell runs (rt45 #6: a `cd` in one moved the upload's folder).
 */
function withoutHeredocBodies(text: string): string {
  if (!text.includes("<<")) return text;
  const out: string[] = [];
  const lines = text.split("\n");
  const ends = (line: string, word: string, tabs: boolean) =>
    (tabs ? line.replace(/^\t+/, "") : line).replace(/\r$/, "") === word;
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    // An operator outside quotes and comments (its own quoted word kept), whose command is no shell:
    // a shell's here-document (`bash -e <<'EOF'`) is commands that run (rt46 #7).
    const code = lines[i]
      .replace(/(?<!<<-?\s*)(?:"(?:[^"\\]|\\.)*"|'[^']*')/g, "")
      .replace(/(?<![^\s;&|()])#.*$/, "");
    const ops = [...code.matchAll(/(?<!<)<<(?!<)(-)?\s*(["']?)([A-Za-z_][\w.-]*)\2/g)];
    if (!ops.length || /(?:^|[\s;&|(])(?:(?:ba|z|da|k)?sh|pwsh)\b[^<]*<</.test(code)) continue;
    // The bodies end at their words, one after another; one that never ends is no here-document.
    let j = i + 1;
    let ended = true;
    for (const m of ops) {
      while (j < lines.length && !ends(lines[j], m[3], m[1] === "-")) j++;
      if (j >= lines.length) {
        ended = false;
        break;
      }
      j++;
    }
    if (ended) i = j - 1;
  }
  return out.join("\n");
}

/**
 * Options that take a value, of the upload tools read here (the value is no path). Short options
 * only where no tool uses the letter as a flag (gsutil rsync `-d` deletes; az takes its source by name).
 */
const VALUED = new Set([
  "--exclude",
  "--include",
  "--acl",
  "--cache-control",
  "--content-type",
  "--content-encoding",
  "--content-disposition",
  "--metadata",
  "--metadata-directive",
  "--storage-class",
  "--profile",
  "--region",
  "--endpoint-url",
  "--expires",
  "--sse",
  "--sse-kms-key-id",
  "--project-name",
  "--branch",
  "--commit-message",
  "--commit-hash",
  "--account-name",
  "--account-key",
  "--auth-mode",
  "--pattern",
  "--destination",
  "--container-name",
  "--name",
  // Global options written before the service word (`aws --profile prod s3 sync …`).
  "--project",
  "--configuration",
  "--account",
  "--billing-project",
  "--impersonate-service-account",
  "--verbosity",
  "--subscription",
  "--output",
  "--query",
  "--env",
  "--config",
  "-o",
  "-h",
  "-x",
]);

const REMOTE = /^(?:s3|gs|gcs|az|https?):\/\//i;

/** Where a command's positional words are, from `from` on: options and their values left out. */
function positionalIndexes(cmd: readonly string[], from: number): number[] {
  const out: number[] = [];
  for (let i = from; i < cmd.length; i++) {
    const w = cmd[i];
    if (w.startsWith("-")) {
      if (VALUED.has(w)) i++;
      continue;
    }
    out.push(i);
  }
  return out;
}

/** The positional words of a command after its verb, options and their values left out. */
function positionals(cmd: readonly string[], from: number): string[] {
  return positionalIndexes(cmd, from).map((i) => cmd[i]);
}

const optionValue = (cmd: readonly string[], names: readonly string[]): string | undefined => {
  for (let i = 0; i < cmd.length - 1; i++) if (names.includes(cmd[i])) return cmd[i + 1];
  const eq = cmd.find((w) => names.some((n) => w.startsWith(`${n}=`)));
  return eq?.slice(eq.indexOf("=") + 1);
};

/**
 * An upload's `--exclude` and `--include` options (`--exclude x`, `--exclude=x`) as filters, in the
 * command's order (UploadFilter).
 */
function filtersOf(
  cmd: readonly string[],
  syntax: UploadFilter["syntax"],
  exclude: readonly string[],
  include: readonly string[] = [],
): UploadFilter[] {
  const out: UploadFilter[] = [];
  for (let i = 0; i < cmd.length; i++) {
    const w = cmd[i];
    for (const [names, isExclude] of [
      [exclude, true],
      [include, false],
    ] as const) {
      const eq = names.find((n) => w.startsWith(`${n}=`));
      const pattern = names.includes(w) ? cmd[++i] : eq && w.slice(eq.length + 1);
      if (pattern) out.push({ exclude: isExclude, syntax, pattern });
      if (pattern !== undefined) break;
    }
  }
  return out;
}

/** The upload with its filters, when it has any. */
const filtered = (u: UploadedPath | undefined, filters: UploadFilter[]): UploadedPath | undefined =>
  u && filters.length ? { ...u, filters } : u;

/** One command's upload, by its tool: the local source, when the destination is remote. */
function uploadOf(cmd: readonly string[]): UploadedPath | undefined {
  // `npx wrangler …`, `sudo aws …`: the tool is the first word the table knows.
  const start = cmd.findIndex((w) => ["aws", "gsutil", "gcloud", "az", "wrangler"].includes(w));
  if (start < 0) return undefined;
  const c = cmd.slice(start);
  const recursive = c.includes("--recursive") || c.includes("-r") || c.includes("-R");
  const copy = (verbAt: number): UploadedPath | undefined => {
    const pos = positionals(c, verbAt + 1);
    const to = pos.findIndex((w) => REMOTE.test(w));
    const source = to > 0 ? pos[to - 1] : undefined;
    if (!source || REMOTE.test(source)) return undefined;
    // `build/*` copied recursively is the folder's contents: the folder (rt42 #3).
    const contents = /^(.+?)\/\*{1,2}$/.exec(source);
    if (contents) return { source: contents[1], folder: true };
    return { source, folder: recursive || /sync$/.test(c[verbAt]) || source.endsWith("/") };
  };
  // The service and verb words, whatever global options come before them (`aws --profile prod s3 …`).
  const at = positionalIndexes(c, 1);
  const word = (i: number) => c[at[i]];
  if (c[0] === "aws" && word(0) === "s3" && ["cp", "sync", "mv"].includes(word(1)))
    return filtered(copy(at[1]), filtersOf(c, "glob", ["--exclude"], ["--include"]));
  if (c[0] === "gsutil") {
    const verb = c.findIndex((w) => ["cp", "rsync", "mv"].includes(w));
    const rsync = c[verb] === "rsync";
    return verb > 0 ? filtered(copy(verb), rsync ? filtersOf(c, "regex", ["-x"]) : []) : undefined;
  }
  if (c[0] === "gcloud" && word(0) === "storage" && ["cp", "rsync", "mv"].includes(word(1)))
    return filtered(copy(at[1]), word(1) === "rsync" ? filtersOf(c, "regex", ["--exclude", "-x"]) : []);
  if (c[0] === "az" && word(0) === "storage" && word(1) === "blob") {
    if (word(2) === "upload-batch" || word(2) === "sync") {
      const source = optionValue(c, ["--source", "-s"]);
      // upload-batch `--pattern`: only the files it matches are uploaded.
      const only = word(2) === "upload-batch" ? optionValue(c, ["--pattern"]) : undefined;
      const filters: UploadFilter[] = only
        ? [
            { exclude: true, syntax: "glob", pattern: "*" },
            { exclude: false, syntax: "glob", pattern: only },
          ]
        : [];
      return filtered(source ? { source, folder: true } : undefined, filters);
    }
    if (word(2) === "upload") {
      const source = optionValue(c, ["--file", "-f"]);
      return source ? { source, folder: false } : undefined;
    }
  }
  if (c[0] === "wrangler" && word(0) === "pages" && word(1) === "deploy") {
    const [source] = positionals(c, at[1] + 1);
    return source ? { source, folder: true } : undefined;
  }
  return undefined;
}

/** Words that start a compound command's body (`then cd build`), not a command of their own. */
const LEADING_KEYWORDS = new Set(["then", "do", "else", "{", "!", "time", "exec"]);

/**
 * A command's words without what the shell takes out before running it: leading keywords,
 * redirections (`2>/dev/null`, `> log`) and `--` after `cd`/`pushd`.
 */
function plainCommand(cmd: readonly string[]): string[] {
  let start = 0;
  while (start < cmd.length && LEADING_KEYWORDS.has(cmd[start])) start++;
  const out: string[] = [];
  for (let i = start; i < cmd.length; i++) {
    const w = cmd[i];
    if (/^\d*(?:[<>]|&>)/.test(w)) {
      // `>` alone, `2>` or `&>` names its target in the next word.
      if (/^\d*(?:[<>]+|&>+)&?$/.test(w)) i++;
      continue;
    }
    if (w === "&" || (w === "--" && (out[0] === "cd" || out[0] === "pushd") && out.length === 1)) continue;
    out.push(w);
  }
  return out;
}

/** A folder a `cd` names that the text settles (not `$OUT`, `~`, `-` or nothing). */
const settled = (dir: string | undefined): dir is string => !!dir && !/[$~`*?]/.test(dir) && dir !== "-";

/**
 * Every local path the commands in `text` upload, in order, relative to the folder the text starts
 * in: `cd`, `pushd`/`popd` and a subshell's `( … )` are followed as the shell runs them (`cd build &&
 * aws s3 sync . s3://…` uploads `build`). After a change to a folder the text does not settle, an
 * upload's source is `unresolved`. Linear in the text.
 */
export function uploadedPaths(text: string): UploadedPath[] {
  const out: UploadedPath[] = [];
  let cmd: string[] = [];
  // The folder so far ("" where the text starts, null when not known) and the ones to go back to.
  let cwd: string | null = "";
  const back: Array<string | null> = [];
  const moveTo = (dir: string | undefined) => {
    if (!settled(dir)) return null;
    if (path.posix.isAbsolute(dir)) return dir;
    return cwd === null ? null : path.posix.join(cwd, dir);
  };
  const end = () => {
    cmd = plainCommand(cmd);
    const [verb] = cmd;
    // `cd -P build`: options say how links are followed, not where to. A `cd` of any other shape goes
    // where the text does not settle (rt44 #4): never stay in the folder before it.
    const args = cmd.slice(1).filter((w) => !/^-[LPe@]+$/.test(w));
    const target = () => (args.length <= 1 ? moveTo(args[0]) : null);
    if (verb === "cd") cwd = target();
    else if (verb === "pushd") {
      back.push(cwd);
      cwd = target();
    } else if (verb === "popd" && back.length) cwd = back.pop()!;
    const u = cmd.length ? uploadOf(cmd) : undefined;
    if (u && cwd === null && !path.posix.isAbsolute(u.source)) out.push({ ...u, unresolved: true });
    else if (u)
      out.push(
        cwd && !path.posix.isAbsolute(u.source) ? { ...u, source: path.posix.join(cwd, u.source) } : u,
      );
    cmd = [];
  };
  for (const w of words(text)) {
    if (w === null) end();
    else if (w === OPEN) back.push(cwd);
    else if (w === CLOSE) {
      end();
      if (back.length) cwd = back.pop()!;
    } else cmd.push(w);
  }
  end();
  return out;
}

/** One element of a glob: any run of characters, one character, a set of them, or a character. */
type GlobPart = { star: true } | { star?: false; one: (c: string) => boolean };

/**
 * A glob as Python's `fnmatch` reads it (what `aws s3` and `az` use): `*` any characters, `/` too,
 * `?` one, `[…]` and `[!…]` a set. Matched by the usual two-pointer walk, in time linear in the name
 * for each `*` at most: a program's pattern cannot make a match backtrack without end.
 */
function globMatcher(glob: string): (name: string) => boolean {
  const parts: GlobPart[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    const close = c === "[" ? glob.indexOf("]", i + 2) : -1;
    if (c === "*") {
      if (!parts.at(-1)?.star) parts.push({ star: true });
    } else if (c === "?") parts.push({ one: () => true });
    else if (close > 0) {
      const body = glob.slice(i + 1, close);
      const negate = body.startsWith("!");
      const set = new RegExp(`[${(negate ? body.slice(1) : body).replace(/[\\\]^]/g, "\\$&")}]`);
      parts.push({ one: (ch) => set.test(ch) !== negate });
      i = close;
    } else parts.push({ one: (ch) => ch === c });
  }
  return (name) => {
    let i = 0;
    let j = 0;
    let star = -1;
    let mark = 0;
    while (i < name.length) {
      const p = parts[j];
      if (p && !p.star && p.one(name[i])) {
        i++;
        j++;
      } else if (p?.star) {
        star = j++;
        mark = i;
      } else if (star >= 0) {
        j = star + 1;
        i = ++mark;
      } else return false;
    }
    while (parts[j]?.star) j++;
    return j === parts.length;
  };
}

/**
 * A quantified group holding a quantifier (`(a+)+`, `(\w*)*`): the shape that makes a regular
 * expression backtrack exponentially. Such a pattern is not run (as if unreadable).
 */
const NESTED_QUANTIFIER = /\([^)]*[+*}][^)]*\)\s*[+*{]/;

/** A Python regular expression matched from a path's start (`re.match`), its leading `(?i)` read. */
function regexPattern(source: string): RegExp | undefined {
  const caseless = /^\(\?i\)/.exec(source);
  if (NESTED_QUANTIFIER.test(source)) return undefined;
  try {
    return new RegExp(`^(?:${caseless ? source.slice(4) : source})`, caseless ? "i" : "");
  } catch {
    return undefined;
  }
}

/**
 * Whether an upload leaves out the file at `name` (its path inside the uploaded folder): the last
 * filter that matches decides, and a file no filter matches is uploaded. A regular expression
 * JavaScript cannot read, or one that could backtrack without end, leaves nothing out: its files are
 * still read.
 */
export function leftOutBy(filters: readonly UploadFilter[]): (name: string) => boolean {
  const compiled = filters.flatMap((f) => {
    if (f.syntax === "glob") return [{ exclude: f.exclude, matches: globMatcher(f.pattern) }];
    const re = regexPattern(f.pattern);
    return re ? [{ exclude: f.exclude, matches: (name: string) => re.test(name) }] : [];
  });
  return (name) => {
    for (let i = compiled.length - 1; i >= 0; i--) if (compiled[i].matches(name)) return compiled[i].exclude;
    return false;
  };
}
