// The files a program took from its own folder: the modules it loaded and the files it read (a `.env`,
// a cloud-init script, a config template). The report checks them for keys a resource input did not
// show at preview (policies/program-source.ts). Not installed packages, not this tool's own engine
// files (its preloads run in the program's process). Plain JavaScript: the record-modules preload
// uses it inside the program's process, the warm program workers in theirs.
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { fileURLToPath, pathToFileURL, URL } = require("node:url");
const { Buffer } = require("node:buffer");

const OWN = path.resolve(__dirname) + path.sep;

/** @param {string} file */
function exists(file) {
  try {
    fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** @param {string} file a package.json: whether it declares workspaces (npm, yarn) */
function declaresWorkspaces(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")).workspaces !== undefined;
  } catch {
    return false;
  }
}

/**
 * The folder a program's own code may come from: the repository it is in (the nearest folder up with
 * `.git`) or the workspace it belongs to (a package.json with `workspaces`, a pnpm-workspace.yaml),
 * else its own folder. In a monorepo a sibling package (a `file:` or workspace link, which Node loads
 * by its real path) or `require("../lib")` is the program's code too, committed with it.
 * @param {string} dir the program's folder
 */
function codeRoot(dir) {
  let d = path.resolve(dir);
  for (let i = 0; i < 16; i++) {
    if (
      exists(path.join(d, ".git")) ||
      exists(path.join(d, "pnpm-workspace.yaml")) ||
      declaresWorkspaces(path.join(d, "package.json"))
    )
      return d;
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  return path.resolve(dir);
}

/** @param {Iterable<string>} files absolute paths @param {string} dir the program's folder */
function inProgramFolder(files, dir) {
  const root = codeRoot(dir);
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const packages = `${path.sep}node_modules${path.sep}`;
  return [...new Set(files)]
    .filter((f) => f.startsWith(prefix) && !f.includes(packages) && !f.startsWith(OWN))
    .sort();
}

/** @param {Iterable<string>} loaded absolute module paths @param {string} dir the program's folder */
function programModules(loaded, dir) {
  return inProgramFolder(loaded, dir);
}

/**
 * What the SDK's run script and the TypeScript loaders read for every program, each its own way (so
 * one transport lists them and the other not): the project's manifests, not files the program reads.
 */
const RUN_MACHINERY = new Set(["package.json", "package.yaml", "tsconfig.json"]);

/**
 * The files of the program's folder it read that are not among its modules.
 * @param {Iterable<string>} read absolute paths @param {string[]} modules @param {string} dir
 */
function programReads(read, modules, dir) {
  const isModule = new Set(modules);
  return inProgramFolder(read, dir).filter((f) => !isModule.has(f) && !RUN_MACHINERY.has(path.basename(f)));
}

/** Files the program wrote (created, truncated, appended to) during the run: its output, not its source. */
const written = new Set();

/**
 * Every path read through fs.readFileSync, fs.readFile and fs.promises.readFile, or opened for reading
 * (fs.openSync, fs.open, fs.promises.open, fs.createReadStream: readline loaders, `readSync` on a
 * descriptor) since `recordReads`, less what the program wrote; clearing it (between a warm worker's
 * runs) clears both.
 */
class Reads extends Set {
  add(file) {
    return written.has(file) ? this : super.add(file);
  }
  clear() {
    written.clear();
    super.clear();
  }
}
const reads = new Reads();
let recording = false;

/**
 * Starts noting the files this process reads by path (a descriptor names no file). Wraps the three
 * read functions once; the wrappers only note the path and call the original.
 * @returns {Set<string>} the live set of absolute paths (clear it between runs)
 */
function recordReads() {
  if (recording) return reads;
  recording = true;
  const pathOf = (file) => {
    try {
      if (typeof file === "string") return path.resolve(file);
      if (file instanceof URL && file.protocol === "file:") return fileURLToPath(file);
      if (Buffer.isBuffer(file)) return path.resolve(file.toString());
    } catch {
      // Not a path this check can name: the call itself goes on as the program asked.
    }
    return undefined;
  };
  const noteRead = (file) => {
    const p = pathOf(file);
    if (p) reads.add(p);
  };
  const noteWrite = (file) => {
    const p = pathOf(file);
    if (p) {
      written.add(p);
      reads.delete(p);
    }
  };
  // A file opened to be written, truncated or appended to is the program's output from then on.
  const writes = (flags) =>
    (typeof flags === "string" && /[wa]/.test(flags)) ||
    (typeof flags === "number" &&
      (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_APPEND)) !== 0 &&
      (flags &
        (fs.constants.O_TRUNC | fs.constants.O_CREAT | fs.constants.O_APPEND | fs.constants.O_WRONLY)) !==
        0);
  const flagsOf = (rest) => (typeof rest[0] === "function" ? undefined : rest[0]);
  const byKind = {
    read: () => noteRead,
    write: () => noteWrite,
    open: (rest) => (writes(flagsOf(rest)) ? noteWrite : noteRead),
    stream: (rest) => (writes(rest[0]?.flags) ? noteWrite : noteRead),
  };
  for (const [target, name, kind] of [
    [fs, "readFileSync", "read"],
    [fs, "readFile", "read"],
    [fs.promises, "readFile", "read"],
    [fs, "openSync", "open"],
    [fs, "open", "open"],
    [fs.promises, "open", "open"],
    [fs, "createReadStream", "stream"],
    [fs, "writeFileSync", "write"],
    [fs, "writeFile", "write"],
    [fs.promises, "writeFile", "write"],
    [fs, "appendFileSync", "write"],
    [fs, "appendFile", "write"],
    [fs.promises, "appendFile", "write"],
    [fs, "createWriteStream", "write"],
  ]) {
    const original = target[name];
    const noteOf = byKind[kind];
    target[name] = {
      [name](file, ...rest) {
        noteOf(rest)(file);
        return original.call(this, file, ...rest);
      },
    }[name];
  }
  return reads;
}

const unsetEnv = new Set();
/**
 * The E2B keys the program's code read from variables that held them (a key in the deployer's shell),
 * by fingerprint: `{ name, fingerprint, mask }`, never the key.
 */
const keyEnv = new Map();
/** An E2B key in a variable's value (policies/detect/keys.ts KEY_PATTERN, the plain form). */
const HOLDS_KEY = /e2b_[0-9a-f]{40}(?![0-9a-f])/i;
const KEYS = /(sk_e2b_|e2b_)([0-9a-f]{40})(?![0-9a-f])/gi;

/** Whether a variable's value holds an E2B key. */
const holdsKey = (value) => typeof value === "string" && value.length >= 44 && HOLDS_KEY.test(value);

/** Each key in `value` as keys.ts fingerprints and masks it (lower case, sha256, the last four digits). */
function noteKeys(name, value) {
  for (const m of value.matchAll(KEYS)) {
    const key = m[0].toLowerCase();
    const fingerprint = "sha256:" + createHash("sha256").update(key).digest("hex").slice(0, 12);
    if (!keyEnv.has(fingerprint))
      keyEnv.set(fingerprint, { name, fingerprint, mask: `${m[1].toLowerCase()}…${key.slice(-4)}` });
  }
}
/** The Proxy put in place of `process.env`, once watching. */
let envProxy;
/** The folders the program's code is in (codeRoot's, as the module list counts them), set per run. */
let programRoot = [];

/**
 * The stack frame, in the program's code, of the operation on the environment now under way: a
 * location with its line and column; undefined when the code reading the environment does not run
 * for the program. It does when the first caller outside this file is the program's code
 * (codeRoot's folder, outside installed packages and this engine), or a caller other than Node's own
 * and the Pulumi SDK's that the program's code called: a config schema's `parse(process.env)`,
 * `Reflect.get` (rt48 #4, rt49 #2). Node and the SDK read dozens of settings on their own (loading a
 * module, on the engine's calls), differently in a fresh process and a warm one.
 */
function programSite() {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_FRAMES;
  const frames = (new Error().stack ?? "")
    .split("\n")
    .slice(1)
    .filter((line) => !line.includes(`${path.sep}program-modules.js:`));
  Error.stackTraceLimit = limit;
  if (frames.length === 0) return undefined;
  // The SDK serializing a closure calls the program's getters (`get key() { return process.env… }`):
  // the function keeps the getter and reads at run time (rt50 #1).
  if (frames.some((line) => CLOSURE_SERIALIZER.test(line))) return undefined;
  if (inProgramCode(frames[0])) return frames[0];
  if (/\(node:|^\s*at node:|[\\/]node_modules[\\/]@pulumi[\\/]/.test(frames[0])) return undefined;
  return frames.find(inProgramCode);
}

/** Whether a stack frame's location is a file of the program's code. */
function inProgramCode(line) {
  // Found by its folder, whatever that folder's name holds (`agents (copy)`, rt48 #4).
  for (const dir of programRoot) {
    const at = line.indexOf(dir);
    if (at < 0) continue;
    const file = line.slice(at);
    return !file.includes(`${path.sep}node_modules${path.sep}`) && !file.startsWith(OWN);
  }
  return false;
}

/** A frame of the SDK's closure serializer (`runtime/closure/createClosure.js`, every 3.x; its `.ts` where source maps apply). */
const CLOSURE_SERIALIZER = /[\\/]@pulumi[\\/](?:pulumi[\\/])?runtime[\\/]closure[\\/]/;

/** Frames looked through for the program's own: a validation library's parse is a dozen deep. */
const STACK_FRAMES = 64;

/**
 * Starts noting the environment variables the program's own code reads while they are unset or
 * empty: a read of the deploy job's `E2B_API_KEY` that this preview's environment does not set is
 * one, and a function's code reading its variable at run time (a closure the program only
 * serializes) is none. Puts a Proxy in place of `process.env` once; it forwards every operation.
 * `in` and a property descriptor are reads too. A copy of the environment (spread, `Object.assign`)
 * holds only the variables that are set: reads from it are not seen, and what listing the
 * environment reads of an empty variable is no read of it.
 * @param {string} dir the program's folder (a later `process.chdir` does not move it)
 * @returns {Set<string>} the live set of names (clear it between runs)
 */
function recordUnsetEnvReads(dir) {
  const root = codeRoot(dir);
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  // An ES module's frames are file URLs (`#` as `%23`, rt50 #2).
  programRoot = [...new Set([prefix, encodeURI(prefix), pathToFileURL(prefix).href])];
  watchEnvironment();
  return unsetEnv;
}

/**
 * Puts the recording Proxy in place of `process.env`: made once, and put back when a program has put
 * another object in its place (`process.env = { ...process.env }`, rt50 #4).
 */
function watchEnvironment() {
  if (envProxy !== undefined) {
    if (process.env !== envProxy) process.env = envProxy;
    return;
  }
  const env = process.env;
  // Where the program is listing the environment (`Object.keys`, `Object.entries`, a spread), until
  // the current job of the event loop ends: what that listing reads of each variable is no read of
  // one by name. An empty variable is listed (an unavailable CI secret, `E2B_API_KEY=`), an unset one
  // is not, and the verdict must not change with that (rt51 #3).
  let listing;
  // Variables only asked after (`in`, `hasOwnProperty`) while unset: a loader's check before it sets
  // one (dotenv's `populate`) is no read of it, once it sets it (real44 #2).
  const probed = new Set();
  const note = (name, value, probe = false) => {
    if (typeof name !== "string") return;
    if (holdsKey(value)) {
      if (programSite() !== undefined) noteKeys(name, value);
      return;
    }
    if (value !== undefined && value !== "") return;
    const site = programSite();
    if (site === undefined || (value === "" && site === listing)) return;
    if (probe && !unsetEnv.has(name)) probed.add(name);
    else if (!probe) probed.delete(name);
    unsetEnv.add(name);
  };
  const proxy = new Proxy(env, {
    get(target, name) {
      const value = Reflect.get(target, name);
      note(name, value);
      return value;
    },
    has(target, name) {
      const held = Reflect.has(target, name);
      note(name, held ? Reflect.get(target, name) : undefined, true);
      return held;
    },
    getOwnPropertyDescriptor(target, name) {
      const d = Reflect.getOwnPropertyDescriptor(target, name);
      note(name, d?.value, true);
      return d;
    },
    ownKeys(target) {
      const site = programSite();
      if (site !== undefined && listing === undefined) Promise.resolve().then(() => (listing = undefined));
      listing = site ?? listing;
      return Reflect.ownKeys(target);
    },
    // On the environment itself: through the Proxy as receiver, Node refuses the define it becomes.
    set: (target, name, value) => {
      setting(name, value);
      return Reflect.set(target, name, value);
    },
    // `Object.defineProperty(process.env, k, { value })`: a set by another name (rt54 #3).
    defineProperty: (target, name, descriptor) => {
      if ("value" in descriptor) setting(name, descriptor.value);
      return Reflect.defineProperty(target, name, descriptor);
    },
  });
  function setting(name, value) {
    if (probed.delete(name) && value !== undefined && String(value) !== "") unsetEnv.delete(name);
    // A key the program puts in its environment (dotenv loading its `.env`) is one it holds, read or
    // not before the preview ends (an `apply` over an unknown reads it only at deploy: real44 #2);
    // whatever read it before (a loader's `process.env[k] === undefined`, `??=`: rt53 #8) read no
    // unset variable.
    if (typeof name === "string" && holdsKey(value) && programSite() !== undefined) {
      noteKeys(name, value);
      unsetEnv.delete(name);
    }
  }
  process.env = proxy;
  envProxy = proxy;
  // A Proxy cannot be cloned: `structuredClone(process.env)` works under `pulumi preview`, so it is
  // handed the environment itself (rt48 #4).
  const clone = globalThis.structuredClone;
  if (typeof clone === "function")
    globalThis.structuredClone = function structuredClone(value, ...rest) {
      return clone(value === proxy ? env : value, ...rest);
    };
}

module.exports = {
  codeRoot,
  programModules,
  programReads,
  recordReads,
  recordUnsetEnvReads,
  keyEnvReads: () => keyEnv,
  watchEnvironment,
};
