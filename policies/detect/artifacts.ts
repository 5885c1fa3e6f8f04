/**
 * Deployed artifacts: the files a resource ships — a FileAsset's file, a FileArchive's folder or
 * .zip/.jar/.tar/.tgz file, the folder a component syncs or a container builds from — read as text so
 * the scanner can look for keys in them.
 *
 * Asset paths are written relative to the program's folder. The offline engine says which folder that
 * is (stack tag PROGRAM_DIR_TAG); under `pulumi preview` the pack runs in its own folder and the CLI
 * sends paths as the program wrote them, so the pack tries E2B_GUARDRAILS_PROGRAM_DIR and the CLI's
 * $PWD (docs/architecture.md "Deployed artifacts"). What cannot be found, is too large, binary or
 * remote is returned as a note, and the rules report notes as advisories: never a silent pass.
 *
 * Bounded: per-file and per-run byte limits and a per-artifact file count. One reader serves one run
 * (see run-state.ts) and reads each artifact once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import { inflateUpTo } from "./inflate";
import { findMaterial, type MaterialMatch } from "./material";
import { utf16WithBom } from "./text";
import { isUnknown } from "./unknowns";
import { leftOutBy, uploadedPaths, type UploadFilter } from "./upload-commands";
import { printable } from "./walk";

// Archive readers load on first use: most stacks deploy no archive, and every pack, CLI and test
// process would otherwise pay for them at start.
const zipReader = () => require("fflate") as typeof import("fflate");
const tarReader = () => require("tar") as typeof import("tar");
const globber = () => require("picomatch") as typeof import("picomatch");

/** Stack tag the offline engine sets to the program's folder (ConfigureStack). */
export const PROGRAM_DIR_TAG = "e2b-guardrails:program-dir";
/** Environment variable naming the program's folder for packs run by `pulumi preview`. */
export const PROGRAM_DIR_ENV = "E2B_GUARDRAILS_PROGRAM_DIR";

export interface ArtifactLimits {
  /** Larger files are skipped (and noted). */
  maxFileBytes: number;
  /** Bytes read in one run across all artifacts; past it, artifacts are noted as unread. */
  maxTotalBytes: number;
  /** Files read from one folder or archive. */
  maxFiles: number;
}

export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = {
  // A bundled front end or server passes 8 MiB often enough (a 9 MB bundle.js in the build context of
  // pulumi/examples' aws-ts-langserve): such a file was skipped, and a key in it went unseen.
  maxFileBytes: 32 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxFiles: 20_000,
};

export interface ArtifactFile {
  /** The file's path inside the artifact (or the asset's own path for a single file). */
  name: string;
  text: string;
}

export interface ArtifactContent {
  files: ArtifactFile[];
  /** What was not read, one sentence each ("3 binary files skipped (first: img/logo.png)"). */
  notes: string[];
}

export type ArtifactKind = "file" | "archive";

/** Zip files under other names: Java web and enterprise apps, Python wheels, NuGet and VS Code packages. */
const ZIP_EXTENSIONS = [".zip", ".jar", ".war", ".ear", ".aar", ".whl", ".nupkg", ".vsix"];

/** What kind of archive a file name says it is. */
function archiveKind(name: string): "zip" | "tgz" | "tar" | undefined {
  const lower = name.toLowerCase();
  if (ZIP_EXTENSIONS.some((x) => lower.endsWith(x))) return "zip";
  if (lower.endsWith(".tgz") || lower.endsWith(".tar.gz")) return "tgz";
  if (lower.endsWith(".tar")) return "tar";
  return undefined;
}

/**
 * Archives opened inside other artifacts: a .jar in a function's code folder, a .zip inside a layer's
 * archive. Entries are named `outer.jar!/inner/file` (the JAR URL notation).
 */
const MAX_NESTED_ARCHIVES = 2;

/** A zip file by its first bytes (a local file header, or the end record of an empty archive). */
function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && (buf[2] === 3 || buf[2] === 5);
}

/**
 * Names of a zip's encrypted entries (general purpose flag bit 0), from its central directory. A
 * directory this cannot read (none found, ZIP64) gives none; fflate then reports what it can.
 */
function encryptedZipEntries(raw: Uint8Array): Set<string> {
  const out = new Set<string>();
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  // The end of central directory record: 22 bytes, then a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--)
    if (b.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) return out;
  const count = b.readUInt16LE(eocd + 10);
  let at = b.readUInt32LE(eocd + 16);
  for (let n = 0; n < count && at + 46 <= b.length && b.readUInt32LE(at) === 0x02014b50; n++) {
    const flags = b.readUInt16LE(at + 8);
    const nameLength = b.readUInt16LE(at + 28);
    const next = at + 46 + nameLength + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
    if (flags & 1) out.add(b.toString(flags & 0x800 ? "utf8" : "latin1", at + 46, at + 46 + nameLength));
    at = next;
  }
  return out;
}

/** Text files have no NUL byte in their first 8 KB (the heuristic git and grep use). */
function isBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 8192);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

/** Counts of what a read skipped, turned into notes once the artifact is done. */
class Skips {
  private byReason = new Map<string, { count: number; first: string }>();
  add(reason: string, name: string): void {
    const s = this.byReason.get(reason);
    if (s) s.count++;
    else this.byReason.set(reason, { count: 1, first: name });
  }
  notes(): string[] {
    return [...this.byReason].map(([reason, s]) =>
      s.count === 1
        ? `${printable(s.first)} ${reason}`
        : `${s.count} files ${reason} (first: ${printable(s.first)})`,
    );
  }
}

export class ArtifactReader {
  private readonly cache = new Map<string, ArtifactContent>();
  /** Each file's key material, found once: many scans of a run read the same artifact (a shared bundle). */
  private readonly material = new WeakMap<ArtifactFile, MaterialMatch[]>();
  private spent = 0;

  constructor(
    /** Folders a relative asset path may be relative to, most trusted first. */
    readonly roots: readonly string[],
    readonly limits: ArtifactLimits = DEFAULT_ARTIFACT_LIMITS,
  ) {}

  /** The key material in one of the files this reader read (findMaterial, once per file). */
  materialIn(file: ArtifactFile): MaterialMatch[] {
    let m = this.material.get(file);
    if (!m) this.material.set(file, (m = findMaterial(file.text)));
    return m;
  }

  /**
   * Roots from the stack tags and environment (see the module comment), de-duplicated. The engine's
   * tag names the program's folder, the one place a relative path resolves from (as in the program):
   * with it, nothing else is tried, so a file missing there is not found in the shell's folder.
   */
  static rootsFrom(tags: ReadonlyMap<string, string> | undefined, env: NodeJS.ProcessEnv): string[] {
    const tagged = tags?.get(PROGRAM_DIR_TAG);
    if (tagged && path.isAbsolute(tagged)) return [tagged];
    const out: string[] = [];
    // An empty tag: a stack export, whose program folder the engine does not know. The folder `audit`
    // runs in is no guess for it (real47 #4: the same export read FAIL or N/A by where it was run).
    const fromShell = tagged === "" ? [] : [env.PWD];
    // A relative E2B_GUARDRAILS_PROGRAM_DIR is taken from the shell's folder, where it was set (rt60 #4).
    const set = env[PROGRAM_DIR_ENV];
    const given =
      set && !path.isAbsolute(set) && env.PWD && path.isAbsolute(env.PWD) ? path.resolve(env.PWD, set) : set;
    for (const r of [given, ...fromShell]) if (r && path.isAbsolute(r) && !out.includes(r)) out.push(r);
    return out;
  }

  /**
   * A FileAsset (`file`) or FileArchive (`archive`: folder or archive file) at `p`, or a URI. A
   * folder is read without what `ignore` leaves out (FolderIgnore).
   */
  read(kind: ArtifactKind, p: string, ignore?: FolderIgnore): ArtifactContent {
    const filters = ignore?.filters ? JSON.stringify(ignore.filters) : "";
    const key = `${kind}\u0000${p}\u0000${ignore?.file ?? ""}\u0000${ignore?.dotfiles ? 1 : 0}\u0000${filters}`;
    let c = this.cache.get(key);
    if (!c) {
      c = this.readUncached(kind, p, ignore);
      this.cache.set(key, c);
    }
    return c;
  }

  /**
   * Files by absolute path, shown by their path relative to the first root: the modules a previewed
   * program loaded (program-source.ts). Bounded as artifacts are.
   */
  readFiles(files: readonly string[]): ArtifactContent {
    const out: ArtifactFile[] = [];
    const skips = new Skips();
    const base = this.roots[0];
    files.forEach((file, i) => {
      const name = base ? path.relative(base, file) : file;
      if (i >= this.limits.maxFiles)
        return skips.add(`not read: more than ${this.limits.maxFiles} files`, name);
      try {
        const text = this.readText(file, name, skips);
        if (text !== null) out.push({ name, text });
      } catch {
        skips.add("could not be read", name);
      }
    });
    return { files: out, notes: skips.notes() };
  }

  private readUncached(kind: ArtifactKind, p: string, ignore?: FolderIgnore): ArtifactContent {
    let local = p;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
      if (!p.startsWith("file://")) return { files: [], notes: [`${p} is remote and was not read`] };
      try {
        local = fileURLToPath(p);
      } catch {
        return { files: [], notes: [`${p} is not a readable file URI`] };
      }
    }
    const resolved = this.resolve(local);
    if (!resolved && kind === "file" && globber().scan(local).isGlob) return this.readGlob(local);
    if (!resolved) {
      const where = this.roots.length
        ? `relative to ${this.roots.join(" or ")}`
        : `no program folder known: set ${PROGRAM_DIR_ENV} to its absolute path`;
      return { files: [], notes: [`${p} was not found (${where}) and was not read`] };
    }
    try {
      const st = fs.statSync(resolved);
      if (st.isDirectory()) return this.readFolder(resolved, ignore);
      if (!st.isFile())
        return { files: [], notes: [`${printable(p)} is not a regular file and was not read`] };
      if (kind === "archive") return this.readArchiveFile(resolved, p);
      const skips = new Skips();
      const raw = this.readBytes(resolved, p, skips);
      // A zip deployed as one file (a `.war` as a bucket object) is read as the archive it is.
      if (raw && isZip(raw)) {
        const files: ArtifactFile[] = [];
        this.unpack("zip", raw, `${p}!/`, 1, files, skips, { n: 0 }, p);
        return { files, notes: skips.notes() };
      }
      const text = raw && this.decode(raw, p, skips);
      return { files: text ? [{ name: p, text }] : [], notes: skips.notes() };
    } catch (e) {
      return {
        files: [],
        notes: [`${p} could not be read (${(e as NodeJS.ErrnoException).code ?? "error"})`],
      };
    }
  }

  /**
   * Whether `p` names a local path: written as one (`./`, `../`, `/`, `file://`) or found under a
   * root. A Helm chart's name in a repository (`nginx`) or an image reference is not one.
   */
  isLocalPath(p: string): boolean {
    return /^(\.{1,2}[\\/]|\/|file:\/\/)/.test(p) || this.resolve(p) !== null;
  }

  /**
   * Files a glob names (a Kubernetes ConfigGroup's `files: ["./k8s/*.yaml"]`), found below the
   * glob's fixed base under the first root that has it, read as files, within the file limit.
   */
  private readGlob(pattern: string): ArtifactContent {
    const pm = globber();
    const norm = path.normalize(pattern).replace(/^\.\//, "");
    const { base } = pm.scan(norm);
    const absolute = path.isAbsolute(norm);
    const root = (absolute ? [path.parse(norm).root] : this.roots).find((r) => {
      try {
        return fs.statSync(path.join(r, base || ".")).isDirectory();
      } catch {
        return false;
      }
    });
    if (!root) return { files: [], notes: [`${printable(pattern)} matched no file and was not read`] };
    const matches = pm(absolute ? path.relative(root, norm) : norm, { dot: true });
    const names: string[] = [];
    const dirs = [path.relative(root, path.join(root, base || "."))];
    while (dirs.length && names.length <= this.limits.maxFiles) {
      const rel = dirs.pop()!;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        const name = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) dirs.push(name);
        else if (e.isFile() && matches(name)) names.push(name);
      }
    }
    if (names.length === 0)
      return { files: [], notes: [`${printable(pattern)} matched no file and was not read`] };
    const out: ArtifactContent = { files: [], notes: [] };
    for (const name of names.sort().slice(0, this.limits.maxFiles)) {
      const c = this.read("file", path.join(root, name));
      for (const f of c.files) out.files.push({ ...f, name });
      out.notes.push(...c.notes);
    }
    if (names.length > this.limits.maxFiles)
      out.notes.push(`${printable(pattern)}: not read: more than ${this.limits.maxFiles} files`);
    return out;
  }

  private resolve(p: string): string | null {
    const candidates = path.isAbsolute(p) ? [p] : this.roots.map((r) => path.join(r, p));
    for (const c of candidates) if (fs.existsSync(c)) return c;
    return null;
  }

  /** Take `bytes` from the run's budget; false (and a note) when it is spent. */
  private take(bytes: number, name: string, skips: Skips): boolean {
    if (this.spent + bytes > this.limits.maxTotalBytes) {
      skips.add(`not read: the run's limit of ${this.limits.maxTotalBytes} bytes was reached`, name);
      return false;
    }
    this.spent += bytes;
    return true;
  }

  /**
   * A file's text: UTF-8, or UTF-16 with a byte order mark (Windows PowerShell 5 writes it); a
   * gzip-compressed file (its magic bytes) or a brotli one (`.br`, which has none) is inflated first,
   * within the per-file and per-run limits. Anything else with a NUL byte is binary.
   */
  private decode(buf: Uint8Array, name: string, skips: Skips, inflatedOnce = false): string | null {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const marked = utf16WithBom(b);
    if (marked !== undefined) return marked;
    const gzip = b[0] === 0x1f && b[1] === 0x8b;
    if (!inflatedOnce && (gzip || name.toLowerCase().endsWith(".br"))) {
      const inner = this.inflate(b, gzip, name, skips);
      return inner && this.decode(inner, name, skips, true);
    }
    if (isBinary(b)) {
      skips.add("skipped as binary", name);
      return null;
    }
    return b.toString("utf8");
  }

  /**
   * A gzip or brotli file's contents within the per-file limit and what the run's budget has left,
   * charged to that budget however it ends (a bomb spends it, so a thousand bombs cost one budget).
   * A gzip file past the limit is read up to it, and noted.
   */
  private inflate(b: Buffer, gzip: boolean, name: string, skips: Skips): Buffer | null {
    const cap = Math.min(this.limits.maxFileBytes, this.limits.maxTotalBytes - this.spent);
    if (cap <= 0) {
      skips.add(`not read: the run's limit of ${this.limits.maxTotalBytes} bytes was reached`, name);
      return null;
    }
    if (gzip) {
      const out = inflateUpTo(b, cap);
      if (!out) {
        skips.add("could not be decompressed (gzip)", name);
        return null;
      }
      this.spent += out.bytes.length;
      if (out.truncated) skips.add(`read only its first ${cap} bytes once decompressed`, name);
      return Buffer.from(out.bytes.buffer, out.bytes.byteOffset, out.bytes.byteLength);
    }
    try {
      const out = brotliDecompressSync(b, { maxOutputLength: cap });
      this.spent += out.length;
      return out;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        this.spent += cap;
        skips.add(`skipped: larger than ${cap} bytes once decompressed`, name);
      } else skips.add("skipped as binary", name);
      return null;
    }
  }

  /**
   * A .tgz's tar, inflated up to what the run's budget has left: the entries that fit are read (a key
   * in the first file of a large tarball is found), and the cut is noted. Entries are charged as they
   * are kept (`unpack`), the tar itself not.
   */
  private gunzipTar(raw: Uint8Array, shown: string, skips: Skips): Uint8Array | null {
    const room = this.limits.maxTotalBytes - this.spent;
    if (room <= 0) {
      skips.add(`not read: the run's limit of ${this.limits.maxTotalBytes} bytes was reached`, shown);
      return null;
    }
    const out = inflateUpTo(raw, room);
    if (!out) {
      skips.add("could not be decompressed (gzip)", shown);
      return null;
    }
    if (out.truncated)
      skips.add(
        `read only up to its first ${room} bytes once decompressed: the run's limit of ${this.limits.maxTotalBytes} bytes was reached`,
        shown,
      );
    return out.bytes;
  }

  /**
   * A regular file's text. Opened without blocking and checked on the open descriptor, so a FIFO or a
   * device put in a file's place (even after it was listed) is skipped rather than read forever.
   */
  private readText(file: string, name: string, skips: Skips): string | null {
    const buf = this.readBytes(file, name, skips);
    return buf && this.decode(buf, name, skips);
  }

  /** A regular file's bytes within the limits (null, and a note, otherwise). */
  private readBytes(file: string, name: string, skips: Skips): Buffer | null {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        skips.add("skipped: not a regular file", name);
        return null;
      }
      if (st.size > this.limits.maxFileBytes) {
        skips.add(`skipped: larger than ${this.limits.maxFileBytes} bytes`, name);
        return null;
      }
      if (!this.take(st.size, name, skips)) return null;
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * A symbolic link in a folder is read when it points at a regular file (as Pulumi archives a
   * folder: a copy of the file); one to a folder is not followed, as Pulumi does not follow it
   * (sdk/go/common/resource/archive/archive.go), and is noted, as anything else is.
   */
  private linksToFile(full: string, name: string, skips: Skips): boolean {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(full).isSymbolicLink() ? fs.statSync(full) : undefined;
    } catch {
      st = undefined;
    }
    if (st?.isFile()) return true;
    skips.add(st?.isDirectory() ? "skipped: a link to a folder" : "skipped: not a regular file", name);
    return false;
  }

  private readFolder(root: string, ignore?: FolderIgnore): ArtifactContent {
    const files: ArtifactFile[] = [];
    const skips = new Skips();
    const dirs = [""];
    const count = { n: 0 };
    const ignored = ignore?.file ? ignoreListAt(path.join(root, ignore.file)) : undefined;
    const leftOut = ignore?.filters ? leftOutBy(ignore.filters) : undefined;
    while (dirs.length) {
      const rel = dirs.pop()!;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
      } catch {
        skips.add("could not be listed", rel || ".");
        continue;
      }
      for (const e of entries) {
        const name = rel ? `${rel}/${e.name}` : e.name;
        if (ignore?.dotfiles && e.name.startsWith(".")) continue;
        if (e.isDirectory()) {
          if (!ignored?.skipsFolder(name)) dirs.push(name);
        } else if (ignored?.excludes(name) && !ALWAYS_SENT[ignore!.file!]?.includes(name)) continue;
        else if (leftOut?.(name)) continue;
        else if (!e.isFile() && !this.linksToFile(path.join(root, name), name, skips)) continue;
        else if (++count.n > this.limits.maxFiles)
          skips.add(
            `not read: more than ${this.limits.maxFiles} files (the rest of the folder was not listed)`,
            name,
          );
        else {
          try {
            // Within the per-file limit like any file of the folder; an archive's entries within theirs.
            const raw = this.readBytes(path.join(root, name), name, skips);
            const kind = raw && (archiveKind(name) ?? (isZip(raw) ? "zip" : undefined));
            if (raw && kind) this.unpack(kind, raw, `${name}!/`, 1, files, skips, count);
            else if (raw) {
              const text = this.decode(raw, name, skips);
              if (text !== null) files.push({ name, text });
            }
          } catch {
            skips.add("could not be read", name);
          }
        }
      }
      // Past the limit nothing more is read: listing the folders left (a program's `/`) only costs time.
      if (count.n > this.limits.maxFiles) break;
    }
    return { files, notes: skips.notes() };
  }

  private readArchiveFile(file: string, shown: string): ArtifactContent {
    const skips = new Skips();
    const files: ArtifactFile[] = [];
    const size = fs.statSync(file).size;
    if (!this.take(size, shown, skips)) return { files: [], notes: skips.notes() };
    const raw = fs.readFileSync(file);
    const kind = archiveKind(file) ?? (isZip(raw) ? "zip" : undefined);
    if (!kind) return { files: [], notes: [`${shown} is not a zip, .tar or .tgz archive and was not read`] };
    this.unpack(kind, raw, "", 0, files, skips, { n: 0 }, shown);
    return { files, notes: skips.notes() };
  }

  /**
   * An archive's entries as text files named `prefix + entry`; archives among them are opened in turn
   * up to MAX_NESTED_ARCHIVES deep. Entry bytes count against the per-file and per-run limits.
   */
  private unpack(
    kind: "zip" | "tgz" | "tar",
    raw: Uint8Array,
    prefix: string,
    depth: number,
    files: ArtifactFile[],
    skips: Skips,
    count: { n: number },
    shown = prefix.slice(0, -2),
  ): void {
    // One file count per artifact, nested archives included; every entry's bytes are charged to the
    // run's budget before it is kept, by the larger of its stored and declared sizes (a header that
    // understates one cannot slip past the limits).
    const admit = (name: string, bytes: number): boolean => {
      if (++count.n > this.limits.maxFiles) {
        skips.add(`not read: more than ${this.limits.maxFiles} files`, name);
        return false;
      }
      if (bytes > this.limits.maxFileBytes) {
        skips.add(`skipped: larger than ${this.limits.maxFileBytes} bytes`, name);
        return false;
      }
      return this.take(bytes, name, skips);
    };
    const entry = (name: string, data: Uint8Array) => {
      const full = prefix + name;
      const inner = archiveKind(name) ?? (isZip(data) ? "zip" : undefined);
      if (inner && depth < MAX_NESTED_ARCHIVES)
        return this.unpack(inner, data, `${full}!/`, depth + 1, files, skips, count);
      const text = this.decode(data, full, skips);
      if (text !== null) files.push({ name: full, text });
    };
    try {
      if (kind === "zip") {
        const { unzipSync } = zipReader();
        const encrypted = encryptedZipEntries(raw);
        const out = unzipSync(raw, {
          filter: (f) => {
            if (f.name.endsWith("/")) return false;
            // fflate hands over an encrypted entry's bytes as they are stored: ciphertext, not text.
            if (encrypted.has(f.name)) {
              skips.add("skipped: encrypted", prefix + f.name);
              return false;
            }
            return admit(prefix + f.name, Math.max(f.size, f.originalSize));
          },
        });
        for (const [name, data] of Object.entries(out)) entry(name, data);
      } else {
        const tarBytes = kind === "tgz" ? this.gunzipTar(raw, shown, skips) : raw;
        if (!tarBytes) return;
        const parser = new (tarReader().Parser)({
          onReadEntry: (e) => {
            if (!TAR_FILE_TYPES.has(e.type)) {
              // Links, folders and devices hold no bytes; anything else that does is noted.
              if (e.size > 0) skips.add(`skipped: a tar entry of type ${e.type}`, prefix + e.path);
              return e.resume();
            }
            if (!admit(prefix + e.path, e.size)) return e.resume();
            const chunks: Buffer[] = [];
            e.on("data", (c: Buffer) => chunks.push(c));
            e.on("end", () => entry(e.path, Buffer.concat(chunks)));
          },
        });
        // The parser is synchronous on a buffer: every entry has been read when end() returns.
        parser.end(Buffer.from(tarBytes.buffer, tarBytes.byteOffset, tarBytes.byteLength));
      }
    } catch (e) {
      // Named like an archive but text (a `.jar` holding properties): read as the text it is.
      if (!isBinary(raw)) {
        files.push({
          name: shown,
          text: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"),
        });
        return;
      }
      skips.add(`could not be unpacked (${(e as Error).message.split("\n")[0]})`, shown);
    }
  }
}

/** Tar entries that are files: `0`, the old `\0` and `7` (contiguous, which tar extracts as a file). */
const TAR_FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

/**
 * Files and folders given as plain strings (not assets) that a resource deploys or builds from:
 * synced folders, Worker assets and modules, Vercel deployment files, container build contexts and
 * Dockerfiles, Kubernetes manifests and Helm charts deployed from the program's folder.
 * `path` is a property path; `[*]` steps into every element of a list, `{*}` into every value of a
 * map, and `{keys}` at the end takes the keys of a map (Vercel's `files`: path → size~sha).
 * `kind: "file"` reads each as one file; otherwise it is a folder (or a .zip/.tar archive).
 * `localOnly`: the property names a local path or something else (a Helm chart in a repository, an
 * image as a named build context); a value that is no path here (`./`, `../`, `/` or an existing
 * file) is not read, and not noted. Data, easy to extend.
 */
export interface DeployedPathInput {
  type: string;
  path: string;
  what: string;
  kind?: ArtifactKind;
  localOnly?: boolean;
  /** A file at the folder's root that lists what is not sent (a build context's `.dockerignore`). */
  ignoreFile?: string;
  /**
   * The provider's default when the object holding the property is given without it (a docker
   * Image's `build` with no `context` builds from the program's folder, `.`).
   */
  whenAbsent?: string;
  /**
   * A boolean property that, unless true, leaves out files and folders whose name starts with a dot
   * (`@pulumi/synced-folder`'s `includeHiddenFiles`, false by default). Unknown counts as true.
   */
  dotfilesUnless?: string;
}

/**
 * What a folder is read without: what an ignore file at its root lists, dotfiles, and what the
 * command that uploads it leaves out (`aws s3 sync --exclude`).
 */
export interface FolderIgnore {
  file?: string;
  dotfiles?: boolean;
  filters?: UploadFilter[];
}

/** What a Docker build leaves out of its context (docs.docker.com "Dockerignore files"). */
const DOCKERIGNORE = ".dockerignore";
/**
 * Files an ignore file cannot leave out: Docker sends the Dockerfile and `.dockerignore` to the
 * builder even when `.dockerignore` lists them (a whitelist `*` then `!src/`), and a Dockerfile's
 * `ARG`/`ENV` defaults end up in the image.
 */
const ALWAYS_SENT: Readonly<Record<string, readonly string[]>> = {
  [DOCKERIGNORE]: ["Dockerfile", DOCKERIGNORE],
};

/**
 * A `.dockerignore` as Docker reads it (moby's patternmatcher): one pattern a line, `#` comments,
 * a leading `/` dropped, `*` and `?` within a path segment, `**` across segments, `!` re-including
 * what an earlier line excluded; the last line that matches a path or one of its folders decides.
 * Undefined when there is no such file (everything is sent). Files that are not sent hold no leak.
 */
function ignoreListAt(
  file: string,
): { excludes(name: string): boolean; skipsFolder(name: string): boolean } | undefined {
  let text: string;
  try {
    if (!fs.statSync(file).isFile()) return undefined;
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const keep = l.startsWith("!");
      const pattern = path.posix.normalize((keep ? l.slice(1) : l).trim()).replace(/^\/+/, "");
      return { keep, matches: globber()(pattern, { dot: true }) };
    })
    .filter((r) => r.matches !== undefined);
  if (rules.length === 0) return undefined;
  const excludes = (name: string): boolean => {
    const segs = name.split("/");
    let out = false;
    for (const r of rules)
      for (let i = 1; i <= segs.length; i++)
        if (r.matches(segs.slice(0, i).join("/"))) {
          out = !r.keep;
          break;
        }
    return out;
  };
  // A folder is not walked when it is excluded and no `!` line could bring something back below it.
  const reincludes = rules.some((r) => r.keep);
  return { excludes, skipsFolder: (name) => !reincludes && excludes(name) };
}

export const FOLDER_INPUTS: readonly DeployedPathInput[] = [
  {
    type: "synced-folder:index:S3BucketFolder",
    path: "path",
    what: "synced folder",
    dotfilesUnless: "includeHiddenFiles",
  },
  {
    type: "synced-folder:index:AzureBlobFolder",
    path: "path",
    what: "synced folder",
    dotfilesUnless: "includeHiddenFiles",
  },
  {
    type: "synced-folder:index:GoogleCloudFolder",
    path: "path",
    what: "synced folder",
    dotfilesUnless: "includeHiddenFiles",
  },
  // A multi-language component (@pulumi/aws-static-website): offline it is not expanded into the
  // bucket objects the CLI would show, so the site folder it uploads is read here.
  { type: "aws-static-website:index:Website", path: "sitePath", what: "static website folder" },
  // @pulumi/command: a file copied to a server (CopyFile is deprecated, CopyToRemote takes an asset).
  { type: "command:remote:CopyFile", path: "localPath", what: "file copied to a server", kind: "file" },
  { type: "cloudflare:index/workersScript:WorkersScript", path: "assets.directory", what: "Worker assets" },
  {
    type: "cloudflare:index/workersScript:WorkersScript",
    path: "contentFile",
    what: "Worker code",
    kind: "file",
  },
  { type: "cloudflare:index/workerVersion:WorkerVersion", path: "assets.directory", what: "Worker assets" },
  {
    type: "cloudflare:index/workerVersion:WorkerVersion",
    path: "modules[*].contentFile",
    what: "Worker modules",
    kind: "file",
  },
  {
    type: "vercel:index/deployment:Deployment",
    path: "files{keys}",
    what: "Vercel deployment files",
    kind: "file",
  },
  { type: "vercel:index/blobObject:BlobObject", path: "source", what: "Vercel Blob object", kind: "file" },
  // Object uploads that take the file's path as a plain string (not an asset).
  {
    type: "digitalocean:index/spacesBucketObject:SpacesBucketObject",
    path: "source",
    what: "Spaces object",
    kind: "file",
  },
  ...["scaleway:object/item:Item", "scaleway:index/objectItem:ObjectItem"].map((type): DeployedPathInput => ({
    type,
    path: "file",
    what: "Scaleway object",
    kind: "file",
  })),
  // A multi-language component: under the CLI it expands into a bucket and objects the rules read;
  // offline it is not expanded, so the folder its static routes serve is read here.
  { type: "aws-apigateway:index:RestAPI", path: "routes[*].localPath", what: "static route files" },
  {
    type: "docker-build:index:Image",
    path: "context.location",
    what: "container build context",
    ignoreFile: DOCKERIGNORE,
  },
  {
    type: "docker-build:index:Image",
    path: "context.named{*}.location",
    what: "named build context",
    localOnly: true,
    ignoreFile: DOCKERIGNORE,
  },
  { type: "docker-build:index:Image", path: "dockerfile.location", what: "Dockerfile", kind: "file" },
  {
    type: "docker:index/image:Image",
    path: "build.context",
    what: "container build context",
    ignoreFile: DOCKERIGNORE,
    whenAbsent: ".",
  },
  // @pulumi/docker before v4: `build` may be the context's path itself.
  {
    type: "docker:index/image:Image",
    path: "build",
    what: "container build context",
    ignoreFile: DOCKERIGNORE,
  },
  { type: "docker:index/image:Image", path: "build.dockerfile", what: "Dockerfile", kind: "file" },
  { type: "awsx:ecr:Image", path: "context", what: "container build context", ignoreFile: DOCKERIGNORE },
  { type: "awsx:ecr:Image", path: "dockerfile", what: "Dockerfile", kind: "file" },
  // Multi-language components: under the CLI they expand into the objects the files hold.
  { type: "kubernetes:yaml/v2:ConfigFile", path: "file", what: "Kubernetes manifest", kind: "file" },
  { type: "kubernetes:yaml/v2:ConfigGroup", path: "files[*]", what: "Kubernetes manifests", kind: "file" },
  { type: "kubernetes:kustomize/v2:Directory", path: "directory", what: "kustomization" },
  { type: "kubernetes:helm.sh/v3:Release", path: "chart", what: "Helm chart", localOnly: true },
  { type: "kubernetes:helm.sh/v4:Chart", path: "chart", what: "Helm chart", localOnly: true },
  // The SDK's own components (@pulumi/kubernetes v3 and older APIs): under the CLI they render through
  // provider functions (helm template, kustomize, yaml decode) that offline answer nothing, often
  // inside an apply that never runs at preview; what they would deploy is read from the files.
  { type: "kubernetes:helm.sh/v3:Chart", path: "path", what: "Helm chart" },
  { type: "kubernetes:helm.sh/v3:Chart", path: "chart", what: "Helm chart", localOnly: true },
  { type: "kubernetes:kustomize:Directory", path: "directory", what: "kustomization", localOnly: true },
  {
    type: "kubernetes:yaml:ConfigFile",
    path: "file",
    what: "Kubernetes manifest",
    kind: "file",
    localOnly: true,
  },
  {
    type: "kubernetes:yaml:ConfigGroup",
    path: "files",
    what: "Kubernetes manifests",
    kind: "file",
    localOnly: true,
  },
  {
    type: "kubernetes:yaml:ConfigGroup",
    path: "files[*]",
    what: "Kubernetes manifests",
    kind: "file",
    localOnly: true,
  },
];

const folderByType = new Map<string, DeployedPathInput[]>();
for (const f of FOLDER_INPUTS) folderByType.set(f.type, [...(folderByType.get(f.type) ?? []), f]);

/** One path a resource deploys: what to read, and the property path that names it. */
export interface DeployedPath {
  kind: ArtifactKind;
  source: string;
  /** Read only when it is a local path (DeployedPathInput.localOnly). */
  localOnly?: boolean;
  ignore?: FolderIgnore;
  /** Where the path was given (`modules[1].contentFile`, `files`), for findings. */
  at: string;
  top: string;
  /** Set when what it deploys cannot be known at preview: why, for an advisory (nothing is read). */
  unread?: string;
}

/** Every file or folder path `props` names through the FOLDER_INPUTS entries of its type. */
export function deployedPathsOf(type: string, props: unknown): DeployedPath[] {
  const out: DeployedPath[] = type === LOCAL_COMMAND ? commandUploads(props) : [];
  for (const input of folderByType.get(type) ?? []) {
    const keysOf = input.path.endsWith("{keys}");
    const segs = (keysOf ? input.path.slice(0, -"{keys}".length) : input.path).split(".");
    let at: Array<{ value: unknown; where: string }> = [{ value: props, where: "" }];
    for (const [i, seg] of segs.entries()) {
      const each = seg.endsWith("[*]");
      const values = seg.endsWith("{*}");
      const name = each || values ? seg.slice(0, -3) : seg;
      const next: typeof at = [];
      const last = i === segs.length - 1;
      for (const { value, where } of at) {
        const absent = last && input.whenAbsent !== undefined && isRecord(value) && value[name] === undefined;
        const v = absent ? input.whenAbsent : isRecord(value) ? value[name] : undefined;
        const w = where ? `${where}.${name}` : name;
        if (each) {
          if (Array.isArray(v)) v.forEach((x, i) => next.push({ value: x, where: `${w}[${i}]` }));
        } else if (values) {
          if (isRecord(v))
            for (const [k, x] of Object.entries(v)) next.push({ value: x, where: `${w}.${k}` });
        } else next.push({ value: v, where: w });
      }
      at = next;
    }
    const kind = input.kind ?? "archive";
    const top = segs[0].replace(/\[\*\]|\{\*\}/, "");
    const { localOnly, ignoreFile, dotfilesUnless } = input;
    const dotfiles =
      dotfilesUnless !== undefined &&
      isRecord(props) &&
      [undefined, false].includes(props[dotfilesUnless] as never);
    const ignore =
      ignoreFile || dotfiles
        ? { ...(ignoreFile ? { file: ignoreFile } : {}), ...(dotfiles ? { dotfiles } : {}) }
        : undefined;
    for (const { value, where } of at) {
      if (keysOf) {
        if (isRecord(value))
          for (const k of Object.keys(value)) if (k) out.push({ kind, source: k, at: where, top, localOnly });
      } else if (typeof value === "string" && value)
        out.push({ kind, source: value, at: where, top, localOnly, ignore });
    }
  }
  return out;
}

/** `@pulumi/command`'s local command: the files its `create` and `update` upload (upload-commands.ts). */
const LOCAL_COMMAND = "command:local:Command";

const UNKNOWN_COMMAND =
  "the command is not known at preview (it takes a value not known yet), so files it may upload (`aws s3 sync`, `gsutil`, `az storage blob upload`, `wrangler pages deploy`) were not read";

const UNSETTLED_FOLDER = (source: string) =>
  `it uploads ${printable(source)} from a folder its text does not settle (a cd to a variable or home), so those files were not read`;

function commandUploads(props: unknown): DeployedPath[] {
  if (!isRecord(props)) return [];
  // Relative paths are the command's, run in `dir` (the program's folder when absent).
  const dir = typeof props.dir === "string" && !isUnknown(props.dir) ? props.dir : "";
  const out: DeployedPath[] = [];
  const unknown: string[] = [];
  for (const at of ["create", "update"]) {
    const text = props[at];
    if (isUnknown(text)) unknown.push(at);
    if (typeof text !== "string" || isUnknown(text)) continue;
    for (const u of uploadedPaths(text))
      if (u.unresolved)
        out.push({ kind: "file", source: "", at, top: at, unread: UNSETTLED_FOLDER(u.source) });
      else
        out.push({
          kind: u.folder ? "archive" : "file",
          source: dir && !path.isAbsolute(u.source) ? path.join(dir, u.source) : u.source,
          at,
          top: at,
          ...(u.filters ? { ignore: { filters: u.filters } } : {}),
        });
  }
  // `aws s3 sync ./dist s3://${bucket.id}`: the bucket is not known yet, so neither is the text.
  if (unknown.length)
    out.push({ kind: "file", source: "", at: unknown.join(", "), top: unknown[0], unread: UNKNOWN_COMMAND });
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** 1-based line of `index` in `text`. */
export function lineAt(text: string, index: number): number {
  // Line breaks as JavaScript and editors count them: CRLF, a lone CR or LF, and U+2028/U+2029.
  return (text.slice(0, index).match(/\r\n|[\r\n\u2028\u2029]/g)?.length ?? 0) + 1;
}
