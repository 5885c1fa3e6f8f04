/**
 * Reads a Pulumi project (`Pulumi.yaml`) and one stack's configuration (`Pulumi.<stack>.yaml`, in
 * `stackConfigDir` when set) into what the Node.js language host gives a program: `PULUMI_CONFIG`
 * (`ns:key` → string, objects as JSON) and the list of secret keys.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError, jsonSyntaxProblem } from "./errors";
import { decryptSecureValue, passphraseDecrypter } from "./passphrase";

export interface ProjectInfo {
  name: string;
  dir: string;
  /** Absolute path of the program's entry module. */
  main: string;
  stackConfigFile: string;
}

export interface StackConfig {
  config: Record<string, string>;
  secretKeys: string[];
  /** `secure:` values we could not decrypt: the program sees them as unknown secrets. */
  unknownSecretKeys: string[];
  /** `pulumi:tags` from the stack file, if any. */
  tags: Record<string, string>;
}

/** Placeholder a program reads through the non-secret getters for a value it cannot decrypt. */
export const UNDECRYPTED = "[secret]";

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new InputError(`${file}: not valid YAML (${(e as Error).message.split("\n")[0]})`, file);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new InputError(`${file}: expected a YAML mapping`, file);
  return doc as Record<string, unknown>;
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
  if (runtime !== "nodejs") {
    throw new InputError(
      `${file}: field 'runtime' is '${String(runtime)}'; only nodejs programs can be previewed`,
      file,
    );
  }
  const mainDir = path.resolve(dir, typeof doc.main === "string" ? doc.main : ".");
  const main = resolveMain(mainDir, file);
  const configDir = typeof doc.stackConfigDir === "string" ? path.resolve(dir, doc.stackConfigDir) : dir;
  const stackConfigFile = path.join(configDir, `Pulumi.${stack}.yaml`);
  // Offline there is no backend to ask which stacks exist: the stack files are the list, and a
  // mistyped --stack must not run the program with no config at all.
  if (!existsSync(stackConfigFile)) {
    const stacks = listStacks(configDir);
    throw new InputError(
      `${stackConfigFile}: no such stack '${stack}'${stacks.length ? ` (stacks here: ${stacks.join(", ")})` : ""}`,
      stackConfigFile,
    );
  }
  return { name: doc.name, dir, main, stackConfigFile };
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
  const doc = readYaml(file);
  return typeof doc.stackConfigDir === "string" ? path.resolve(dir, doc.stackConfigDir) : dir;
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
    if (/\.(ts|js)$/.test(mainDir)) return mainDir;
  }
  throw new InputError(`${projectFile}: field 'main': no index.ts or index.js in ${mainDir}`, projectFile);
}

/** Read `Pulumi.<stack>.yaml` plus project-level config defaults from `Pulumi.yaml`. */
export function readStackConfig(project: ProjectInfo, passphrase?: string): StackConfig {
  const out: StackConfig = { config: {}, secretKeys: [], unknownSecretKeys: [], tags: {} };
  const projectDoc = readYaml(path.join(project.dir, "Pulumi.yaml"));
  const qualify = (k: string) => (k.includes(":") ? k : `${project.name}:${k}`);

  // Project-level declarations: `config: { key: { default } | value }`.
  const declared = (projectDoc.config ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(declared)) {
    const value =
      v && typeof v === "object" && !Array.isArray(v) && "default" in v
        ? (v as { default: unknown }).default
        : v;
    if (
      value !== undefined &&
      (typeof value !== "object" || value === null || !("type" in (value as object)))
    ) {
      out.config[qualify(k)] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }

  const doc = readYaml(project.stackConfigFile);
  const decrypter =
    passphrase !== undefined
      ? passphraseDecrypter(doc.encryptionsalt, passphrase, project.stackConfigFile)
      : undefined;
  const stackConfig = (doc.config ?? {}) as Record<string, unknown>;
  if (typeof stackConfig !== "object" || Array.isArray(stackConfig)) {
    throw new InputError(
      `${project.stackConfigFile}: field 'config' must be a mapping`,
      project.stackConfigFile,
    );
  }
  for (const [rawKey, value] of Object.entries(stackConfig)) {
    const key = qualify(rawKey);
    const field = `config.${rawKey}`;
    let secret = false;
    let unknown = false;
    // `secure:` values may appear at the top level or nested inside structured config.
    const resolve = (v: unknown): unknown => {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if (Object.keys(o).length === 1 && typeof o.secure === "string") {
          secret = true;
          if (!decrypter) {
            unknown = true;
            return UNDECRYPTED;
          }
          return decryptSecureValue(decrypter, o.secure, `${project.stackConfigFile}: field '${field}'`);
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
      }
      if (Array.isArray(v)) return v.map(resolve);
      return v;
    };
    const resolved = resolve(value);
    out.config[key] = typeof resolved === "string" ? resolved : JSON.stringify(resolved);
    if (secret) out.secretKeys.push(key);
    if (unknown) out.unknownSecretKeys.push(key);
  }
  const tags = (doc as { tags?: unknown }).tags;
  if (tags && typeof tags === "object") {
    for (const [k, v] of Object.entries(tags as Record<string, unknown>)) out.tags[k] = String(v);
  }
  return out;
}
