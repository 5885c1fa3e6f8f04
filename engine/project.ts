/**
 * Reads a Pulumi project (`Pulumi.yaml`) and one stack's configuration (`Pulumi.<stack>.yaml`, in
 * `stackConfigDir` when set) into what the Node.js language host gives a program: `PULUMI_CONFIG`
 * (`ns:key` → string, objects as JSON) and the list of secret keys.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseCommittedYaml as parseYaml } from "./yaml";
import { InputError, jsonSyntaxProblem } from "./errors";
import {
  E2B_NAME,
  SECURE_LEAF,
  configKeyAsVariable,
  undecryptedPlaceholder,
} from "../policies/detect/hidden-config";
import { LIMITS, readBoundedText } from "./limits";
import type { NodeRuntimeOptions } from "./language-host";
import { decryptSecureValue, passphraseDecrypter, type Decrypter } from "./passphrase";

export interface ProjectInfo {
  name: string;
  dir: string;
  /** Absolute path of the program's entry module. */
  main: string;
  /** The program's working directory and entry point as the CLI passes them (engine/project.go getPwdMain). */
  pwd: string;
  entryPoint: string;
  /** `runtime.options` of a nodejs project, as pulumi-language-nodejs parses them. */
  runtimeOptions: NodeRuntimeOptions;
  stackConfigFile: string;
}

export interface StackConfig {
  config: Record<string, string>;
  secretKeys: string[];
  /**
   * Secret keys with a structured value: the value as the file writes it, `secure:` leaves replaced
   * by `[secret]` (JSON). The pack scans the plaintext leaves as plaintext config, and reads the
   * secure leaves' names when the value could not be decrypted (hidden-config.ts e2bSecureLeaves).
   */
  plaintextOfSecret: Record<string, string>;
  /** `secure:` values we could not decrypt: the program sees them as unknown secrets. */
  unknownSecretKeys: string[];
  /**
   * The ciphertexts of each undecrypted value's `secure:` leaves (one for a `secure:` value, each of a
   * structured value's), as the file writes them: the provider encrypts with a fresh nonce every time,
   * so two files holding one ciphertext hold a copy of one value.
   */
  ciphertexts: Record<string, Array<{ leaf: string; secure: string }>>;
  /**
   * Decrypted `secure:` values whose config key is about E2B (`e2bApiKey`, `e2bKey`): the program's
   * secret getters give them a marker dependency, as undecrypted ones (hidden-config.ts), so a value
   * they feed that preview cannot see (combined with an output not known yet) keeps its provenance.
   */
  tracedSecretKeys: string[];
  /** `pulumi:tags` from the stack file, if any. */
  tags: Record<string, string>;
  /**
   * Pulumi ESC environments the stack file imports (`environment: [org/env]`, or `imports:` of an
   * inline definition): the CLI merges their `pulumiConfig` into the configuration; offline there is
   * no Pulumi Cloud to open them (program-worker.ts says so).
   */
  environments: string[];
}

function readYaml(file: string): Record<string, unknown> {
  // Bounded before parsing: a 60 MB file took 15 s and 2.3 GB before the per-value limit refused it.
  const text = readBoundedText(file, LIMITS.projectFileBytes);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    // The parser recurses per level of nesting: valid YAML nested a thousand deep overflows it (it
    // reports the RangeError as a parse error at the place it ran out).
    if (e instanceof RangeError || /Maximum call stack size exceeded/.test((e as Error).message))
      throw new InputError(`${file}: nested too deeply to read (the YAML parser's stack ran out)`, file);
    throw new InputError(`${file}: not valid YAML (${(e as Error).message.split("\n")[0]})`, file);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new InputError(`${file}: expected a YAML mapping`, file);
  const cycle = selfContaining(doc);
  if (cycle !== null)
    throw new InputError(`${file}: field '${cycle}' is a YAML alias that contains itself`, file);
  return doc as Record<string, unknown>;
}

/**
 * The path of the first value that contains itself (`x: &a [*a]` parses to a circular value, which
 * config resolution would recurse into forever), or null. Iterative, so any depth is fine.
 */
function selfContaining(doc: object): string | null {
  const inside = new Set<object>();
  const todo: Array<{ v: object; at: string; leave?: true }> = [{ v: doc, at: "" }];
  while (todo.length) {
    const { v, at, leave } = todo.pop()!;
    if (leave) {
      inside.delete(v);
      continue;
    }
    inside.add(v);
    todo.push({ v, at, leave: true });
    for (const [k, x] of Object.entries(v)) {
      if (x === null || typeof x !== "object") continue;
      const child = at ? `${at}.${k}` : k;
      if (inside.has(x)) return child;
      todo.push({ v: x, at: child });
    }
  }
  return null;
}

export function readProject(dir: string, stack: string): ProjectInfo {
  const file = path.join(dir, "Pulumi.yaml");
  if (!existsSync(file))
    throw new InputError(`${file}: no Pulumi.yaml in ${dir} (is --cwd a Pulumi project?)`, file);
  const doc = readYaml(file);
  if (typeof doc.name !== "string" || !doc.name)
    throw new InputError(`${file}: field 'name' is required`, file);
  const runtime =
    typeof doc.runtime === "object" && doc.runtime ? (doc.runtime as { name?: unknown }).name : doc.runtime;
  const options =
    typeof doc.runtime === "object" && doc.runtime
      ? (doc.runtime as { options?: unknown }).options
      : undefined;
  if (runtime !== "nodejs") {
    throw new InputError(
      `${file}: field 'runtime' is '${String(runtime)}'; only nodejs programs can be previewed`,
      file,
    );
  }
  if (doc.main !== undefined && typeof doc.main !== "string")
    throw new InputError(`${file}: field 'main' must be a string`, file);
  const mainDir = path.resolve(dir, typeof doc.main === "string" ? doc.main : ".");
  const main = resolveMain(mainDir, file);
  const { pwd, entryPoint } = pwdMain(dir, doc.main, file);
  const runtimeOptions = nodeRuntimeOptions(options, file);
  const configDir = configDirOf(dir, doc);
  const stackConfigFile = path.join(configDir, `Pulumi.${stack}.yaml`);
  // Offline there is no backend to ask which stacks exist: the stack files are the list, and a
  // mistyped --stack must not run the program with no config at all.
  if (!existsSync(stackConfigFile)) {
    const stacks = listStacks(configDir);
    throw new InputError(
      `${stackConfigFile}: no such stack '${stack}'${stacks.length ? ` (stacks here: ${stacks.join(", ")})` : " (offline the stack files are the stacks: a stack with no config needs one holding `config: {}`)"}`,
      stackConfigFile,
    );
  }
  return { name: doc.name, dir, main, pwd, entryPoint, runtimeOptions, stackConfigFile };
}

/** The CLI's getPwdMain: a `main` folder becomes the working directory, a `main` file its folder. */
function pwdMain(root: string, main: unknown, file: string): { pwd: string; entryPoint: string } {
  if (typeof main !== "string" || main === "") return { pwd: root, entryPoint: "." };
  const target = path.resolve(root, main);
  if (!existsSync(target)) throw new InputError(`${file}: field 'main': ${target} does not exist`, file);
  return statSync(target).isDirectory()
    ? { pwd: target, entryPoint: "." }
    : { pwd: path.dirname(target), entryPoint: path.basename(target) };
}

/** `runtime.options` as pulumi-language-nodejs's parseOptions reads them (typescript defaults to true). */
function nodeRuntimeOptions(options: unknown, file: string): NodeRuntimeOptions {
  const out: NodeRuntimeOptions = { typescript: true, nodeargs: [] };
  if (options === undefined || options === null) return out;
  if (typeof options !== "object" || Array.isArray(options))
    throw new InputError(`${file}: field 'runtime.options' must be a mapping`, file);
  const o = options as Record<string, unknown>;
  if (o.typescript !== undefined) {
    if (typeof o.typescript !== "boolean")
      throw new InputError(`${file}: field 'runtime.options.typescript' must be a boolean`, file);
    out.typescript = o.typescript;
  }
  if (o.tsconfig !== undefined) {
    if (typeof o.tsconfig !== "string")
      throw new InputError(`${file}: field 'runtime.options.tsconfig' must be a string`, file);
    out.tsconfig = o.tsconfig;
  }
  if (o.nodeargs !== undefined) {
    if (typeof o.nodeargs !== "string")
      throw new InputError(`${file}: field 'runtime.options.nodeargs' must be a string`, file);
    out.nodeargs = splitArgs(o.nodeargs);
  }
  return out;
}

/** Shell-like word splitting with quotes, as the language host's shlex.Split does for nodeargs. */
function splitArgs(s: string): string[] {
  const words: string[] = [];
  for (const m of s.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** The stacks a project folder has config for: `Pulumi.<stack>.yaml` in its stack config folder. */
export function listStacks(configDir: string): string[] {
  if (!existsSync(configDir)) return [];
  return readdirSync(configDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/** Where a project keeps its `Pulumi.<stack>.yaml` files (`stackConfigDir`, else the project folder). */
export function stackConfigDir(dir: string): string {
  const file = path.join(dir, "Pulumi.yaml");
  if (!existsSync(file))
    throw new InputError(`${file}: no Pulumi.yaml in ${dir} (is --cwd a Pulumi project?)`, file);
  return configDirOf(dir, readYaml(file));
}

/** `stackConfigDir`, or the CLI's old spelling of it, `config: <dir>`; else the project folder. */
function configDirOf(dir: string, doc: Record<string, unknown>): string {
  const named = typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : doc.config;
  return typeof named === "string" ? path.resolve(dir, named) : dir;
}

function resolveMain(mainDir: string, projectFile: string): string {
  const pkgFile = path.join(mainDir, "package.json");
  if (existsSync(pkgFile)) {
    let pkg: { main?: string };
    try {
      pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { main?: string };
    } catch (e) {
      throw new InputError(`${pkgFile}: not valid JSON (${jsonSyntaxProblem(e)})`, pkgFile);
    }
    if (pkg.main) {
      const candidate = path.resolve(mainDir, pkg.main);
      for (const c of [candidate, `${candidate}.ts`, `${candidate}.js`, path.join(candidate, "index.ts")]) {
        if (existsSync(c)) return c;
      }
    }
  }
  for (const c of ["index.ts", "index.js"])
    if (existsSync(path.join(mainDir, c))) return path.join(mainDir, c);
  if (existsSync(mainDir) && !existsSync(path.join(mainDir, "index.ts"))) {
    // A file, as the language host takes it: Node loads .mjs/.cjs (and ts-node .mts/.cts) as well.
    if (/\.[cm]?[tj]s$/.test(mainDir)) return mainDir;
  }
  throw new InputError(`${projectFile}: field 'main': no index.ts or index.js in ${mainDir}`, projectFile);
}

/** Read `Pulumi.<stack>.yaml` plus project-level config defaults from `Pulumi.yaml`. */
export function readStackConfig(project: ProjectInfo, passphrase?: string): StackConfig {
  const out: StackConfig = {
    config: {},
    secretKeys: [],
    unknownSecretKeys: [],
    ciphertexts: {},
    tracedSecretKeys: [],
    plaintextOfSecret: {},
    tags: {},
    environments: [],
  };
  const projectDoc = readYaml(path.join(project.dir, "Pulumi.yaml"));
  const qualify = (k: string) => (k.includes(":") ? k : `${project.name}:${k}`);

  // Project-level declarations: `config: { key: value | { value } | { type?, default } }`
  // (sdk/go/common/workspace/project.go ProjectConfigType: `value` or `default`, never both).
  const projectFile = path.join(project.dir, "Pulumi.yaml");
  // `config: <dir>` is the CLI's old spelling of `stackConfigDir`: no declarations.
  const rawDeclared = typeof projectDoc.config === "string" ? {} : (projectDoc.config ?? {});
  if (typeof rawDeclared !== "object" || Array.isArray(rawDeclared))
    throw new InputError(`${projectFile}: field 'config' must be a mapping`, projectFile);
  const declared = rawDeclared as Record<string, unknown>;
  for (const [k, v] of Object.entries(declared)) {
    const attrs = v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    checkDeclaredType(attrs, `config.${k}`, projectFile);
    // A default left empty (`default:`) is none.
    const value = "default" in attrs ? (attrs.default ?? undefined) : "value" in attrs ? attrs.value : v;
    if (
      value !== undefined &&
      (typeof value !== "object" || value === null || !("type" in (value as object)))
    ) {
      out.config[qualify(k)] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }

  const doc = readYaml(project.stackConfigFile);
  // As with the CLI, a passphrase is needed only when there is something to decrypt; a stack without
  // `encryptionsalt` (another secrets provider, or no secrets) never fails because one is set.
  let decrypter: Decrypter | undefined | null = null;
  const decrypterFor = (): Decrypter | undefined => {
    if (decrypter !== null) return decrypter;
    decrypter =
      passphrase !== undefined && doc.encryptionsalt !== undefined
        ? passphraseDecrypter(doc.encryptionsalt, passphrase, project.stackConfigFile)
        : undefined;
    return decrypter;
  };
  for (const [field, ok, what] of [
    ["secretsprovider", typeof doc.secretsprovider === "string", "a string (a secrets provider URL)"],
    ["encryptedkey", typeof doc.encryptedkey === "string", "a string"],
    [
      "environment",
      Array.isArray(doc.environment) || (typeof doc.environment === "object" && doc.environment !== null),
      "a list of environments to import, or a mapping with `imports`",
    ],
  ] as const)
    if (doc[field] !== undefined && doc[field] !== null && !ok)
      throw new InputError(
        `${project.stackConfigFile}: field '${field}' must be ${what}`,
        project.stackConfigFile,
      );
  const stackConfig = (doc.config ?? {}) as Record<string, unknown>;
  if (typeof stackConfig !== "object" || Array.isArray(stackConfig)) {
    throw new InputError(
      `${project.stackConfigFile}: field 'config' must be a mapping`,
      project.stackConfigFile,
    );
  }
  const spelledAs = new Map<string, string>();
  for (const [rawKey, value] of Object.entries(stackConfig)) {
    const key = stackConfigKey(rawKey, project.name, project.stackConfigFile);
    const field = `config.${rawKey}`;
    const other = spelledAs.get(key);
    if (other !== undefined)
      throw new InputError(
        `${project.stackConfigFile}: field '${field}' is the same key as '${other}' (${key}); the Pulumi CLI keeps one of the two at random`,
        project.stackConfigFile,
      );
    spelledAs.set(key, rawKey);
    let secret = false;
    let unknown = false;
    // `secure:` values may appear at the top level or nested inside structured config.
    const resolve = (v: unknown, at: string): unknown => {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if (isSecureLeaf(o)) {
          secret = true;
          const decrypt = decrypterFor();
          if (!decrypt) {
            unknown = true;
            return undecryptedPlaceholder(key);
          }
          return decryptSecureValue(
            decrypt,
            o.secure as string,
            `${project.stackConfigFile}: field '${field}'`,
          );
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x, `${at}.${k}`)]));
      }
      if (Array.isArray(v)) return v.map((x, i) => resolve(x, `${at}[${i}]`));
      return v;
    };
    const resolved = resolve(value, field);
    out.config[key] = typeof resolved === "string" ? resolved : JSON.stringify(resolved);
    if (secret) out.secretKeys.push(key);
    if (unknown) out.unknownSecretKeys.push(key);
    // A copied structured value (`sandbox: { apiKey: secure }`) shows its copy too (rt44 #6).
    if (unknown) out.ciphertexts[key] = secureCiphertexts(value);
    const wholeSecure =
      value !== null && typeof value === "object" && isSecureLeaf(value as Record<string, unknown>);
    if (!(unknown && wholeSecure) && secret && E2B_NAME.test(configKeyAsVariable(key)))
      out.tracedSecretKeys.push(key);
    // A structured value with a `secure:` leaf is secret as a whole (as the CLI says), yet its
    // plaintext leaves are committed as written, and its secure leaves' names say what an undecrypted
    // value holds (`e2b.apiKey`): keep its shape for the pack, secure leaves masked.
    const structured = value !== null && typeof value === "object" && !wholeSecure;
    if (secret && structured) out.plaintextOfSecret[key] = JSON.stringify(maskSecureLeaves(value));
  }
  out.environments = importedEnvironments((doc as { environment?: unknown }).environment);
  const tags = (doc as { tags?: unknown }).tags;
  if (tags && typeof tags === "object") {
    for (const [k, v] of Object.entries(tags as Record<string, unknown>)) out.tags[k] = String(v);
  }
  return out;
}

/**
 * A stack file's config key as the CLI reads it (sdk/go/common/workspace/loaders.go
 * stackConfigNamespacedWithProject, then config.ParseKey): `name` is the project's, `ns:name` as
 * written, and `ns:config:name` (an old form) is `ns:name`. Anything else the CLI refuses.
 */
function stackConfigKey(rawKey: string, projectName: string, file: string): string {
  const parts = rawKey.split(":");
  if (parts.length === 1) return `${projectName}:${rawKey}`;
  if (parts.length === 2) return rawKey;
  if (parts.length === 3 && parts[1] === "config") return `${parts[0]}:${parts[2]}`;
  throw new InputError(
    `${file}: field 'config.${rawKey}' is not a configuration key (keys are <namespace>:<name>)`,
    file,
  );
}

function isSecureLeaf(o: Record<string, unknown>): boolean {
  return Object.keys(o).length === 1 && typeof o.secure === "string";
}

/** A config value as the stack file writes it, each `secure:` leaf replaced by `[secret]`. */
/**
 * The ciphertexts of a config value's `secure:` leaves, in the value's order, each with its path in
 * the value (`""` for a `secure:` value, `e2b.apiKey`, `keys[0]`).
 */
function secureCiphertexts(v: unknown, leaf = ""): Array<{ leaf: string; secure: string }> {
  if (Array.isArray(v)) return v.flatMap((x, i) => secureCiphertexts(x, `${leaf}[${i}]`));
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (isSecureLeaf(o)) return [{ leaf, secure: o.secure as string }];
    return Object.entries(o).flatMap(([k, x]) => secureCiphertexts(x, leaf ? `${leaf}.${k}` : k));
  }
  return [];
}

function maskSecureLeaves(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskSecureLeaves);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (isSecureLeaf(o)) return SECURE_LEAF;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, maskSecureLeaves(x)]));
  }
  return v;
}

/**
 * Whether `v` is of a declared config type, as the CLI checks a typed key's `default`
 * (sdk/go/common/workspace/project.go `ValidateConfigValue`): an integer may be written as text, a
 * boolean as `"true"`/`"false"`, an array's items are of its `items` type.
 */
function ofDeclaredType(type: unknown, items: unknown, v: unknown): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "integer":
      // yaml.v3 reads `1_000`, `0b101`, `0o17`, `0x1f` as integers; our YAML reader leaves them text.
      return Number.isInteger(v) || (typeof v === "string" && YAML_INTEGER.test(v));
    case "boolean":
      return typeof v === "boolean" || v === "true" || v === "false";
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v);
    case "array": {
      const of = items as { type?: unknown; items?: unknown } | undefined;
      return Array.isArray(v) && !!of && v.every((x) => ofDeclaredType(of.type, of.items, x));
    }
    default:
      return false;
  }
}

const YAML_INTEGER = /^[+-]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-f_]+|[0-9][0-9_]*)$/i;
const DECLARED_TYPES = ["string", "integer", "boolean", "array", "object"];

/**
 * A Pulumi.yaml config declaration the CLI refuses (`Project.Validate` and the project schema): a type
 * it does not know, an array without `items`, a `default` not of its type.
 */
function checkDeclaredType(attrs: Record<string, unknown>, field: string, file: string): void {
  const type = attrs.type;
  if (type === undefined) return;
  if (typeof type !== "string" || !DECLARED_TYPES.includes(type))
    throw new InputError(`${file}: field '${field}.type' must be one of ${DECLARED_TYPES.join(", ")}`, file);
  if (type === "array" && (attrs.items === null || typeof attrs.items !== "object"))
    throw new InputError(`${file}: field '${field}.items' must give the array's item type`, file);
  // A default left empty (`default:`) is none: the CLI checks only one that is set.
  if (
    attrs.default !== undefined &&
    attrs.default !== null &&
    !ofDeclaredType(type, attrs.items, attrs.default)
  )
    throw new InputError(`${file}: field '${field}.default' must be of type ${type}`, file);
}

/** The environment names a stack file's `environment` imports: a list, or an inline definition's `imports`. */
function importedEnvironments(env: unknown): string[] {
  const list = Array.isArray(env)
    ? env
    : env && typeof env === "object" && Array.isArray((env as { imports?: unknown }).imports)
      ? (env as { imports: unknown[] }).imports
      : [];
  // An import is a name, or a name with options (`{ "org/env": { merge: false } }`).
  return list.flatMap((x) =>
    typeof x === "string" ? [x] : x && typeof x === "object" ? Object.keys(x as object) : [],
  );
}
