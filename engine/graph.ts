/**
 * The resource graph: what a Pulumi program registers (offline preview) or what a stack export holds
 * (audit), in one shape. Property values stay in the engine's wire format, exactly what the analyzer
 * protocol carries: secrets as `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }`, preview unknowns as the
 * sentinel UUID strings.
 */
import type { StackFileKeys } from "./sibling-stacks";

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** The signature value of an asset (`{ [SECRET_SIG]: ASSET_VALUE, text | path | uri }`). */
export const ASSET_VALUE = "c44067f5952c0a294b673a41bacd8c17";
/** The signature value of an archive (`{ [SECRET_SIG]: ARCHIVE_VALUE, assets | path | uri }`). */
export const ARCHIVE_VALUE = "0def7320c3a5731c473e5ecbe6d01bc7";
/** The string-unknown sentinel; the SDK has one per value kind, all listed in UNKNOWN_SENTINELS. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type WireValue = null | boolean | number | string | WireValue[] | { [key: string]: WireValue };
export type WireObject = { [key: string]: WireValue };

export interface ResourceOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number };
}

export interface GraphResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** Read with `.get()` / StackReference rather than registered for creation. */
  external?: boolean;
  /** A multi-language component (awsx, eks, …) whose children only its provider plugin would create. */
  remote?: boolean;
  id?: string;
  parent?: string;
  /** Provider reference, `<provider urn>::<id>`, when an explicit provider was given. */
  provider?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Inputs as the program registered them (wire format). */
  inputs: WireObject;
  /** Outputs: mock state in a preview, recorded outputs in a stack export (wire format). */
  outputs: WireObject;
  options?: ResourceOptions;
  /**
   * A stack export's other fields of the resource (`initErrors`, `importID`, `aliases`,
   * `sourcePosition`, `ignoreChanges`, fields this version does not know, and a flag that is not a
   * boolean), in the wire format: `audit` scans them (policies/export-fields.ts).
   */
  otherFields?: WireObject;
  /**
   * What a stack export nests deeper than the depth limit (LIMITS.depth), by the field it is in: its
   * strings and property names, read as text (audit scans them; the tree keeps a marker there).
   */
  tooDeep?: Array<{ field: string; text: string[] }>;
}

/** An E2B key a program read from an environment variable: never the key, its fingerprint and mask. */
export interface KeyRead {
  name: string;
  fingerprint: string;
  mask: string;
}

/** An output a program asked of a StackReference, by the reference's resource name: never a value. */
export interface StackOutputRead {
  reference: string;
  output: string;
}

export interface ResourceGraph {
  project: string;
  stack: string;
  organization: string;
  /** Where this graph came from, for messages: a program directory or a state file. */
  source: { kind: "program" | "state"; path: string };
  /**
   * A program's working directory, where its relative paths (a FileAsset's, a FileArchive's) start:
   * the project's folder or its `main` folder, as under the CLI.
   */
  programDir?: string;
  /** Stack tags sent to the pack with ConfigureStack. */
  tags: Record<string, string>;
  /** Stack configuration as `PULUMI_CONFIG` carries it (`ns:key` → string). */
  config: Record<string, string>;
  /** The keys of `config` that are `secure:` in the stack file (ConfigureStack's `config_secret_keys`). */
  configSecretKeys?: string[];
  /**
   * Secrets this run could not read: `secure:` config not decrypted (no passphrase, another secrets
   * provider), or an export's encrypted secrets. A baseline tells runs with and without them apart.
   */
  secretsHidden?: boolean;
  /** Structured secret values as written, secure leaves masked (project.ts StackConfig.plaintextOfSecret). */
  configPlaintext?: Record<string, string>;
  /**
   * A previewed program's own modules, as it loaded them from its folder (absolute paths; not
   * installed packages): the report checks them for keys written in code (policies/program-source.ts).
   */
  programModules?: string[];
  /** The other files of its folder the program read (a `.env`, a cloud-init script), checked the same way. */
  programReads?: string[];
  /**
   * The environment variables the program read while it ran and they were unset or empty (a deploy
   * job's `E2B_API_KEY` this preview does not set); not what a function's code reads at run time.
   */
  programUnsetEnv?: string[];
  /**
   * The E2B keys the program read from environment variables that held them (the deployer's shell),
   * by fingerprint and mask: a key no resource then shows went where preview could not see, or the
   * program used it itself.
   */
  programKeyEnv?: KeyRead[];
  /**
   * The outputs the program asked of its StackReferences (`requireOutput("e2bApiKey")`): offline the
   * outputs are unknown, and the names say what the program takes from another stack (real43 #2).
   */
  stackOutputReads?: StackOutputRead[];
  /** A previewed program's stack file (`Pulumi.<stack>.yaml`), committed with it and checked as text too. */
  stackConfigFile?: string;
  resources: GraphResource[];
  /**
   * What an offline preview did differently from `pulumi preview`, for the report: components that
   * could not be expanded (no provider plugin runs offline) and invokes answered without a provider.
   */
  offline?: {
    unexpandedComponents: string[];
    invokes: string[];
    environments?: string[];
    /** Stacks read by StackReferences that no resource depends on (program-worker.ts). */
    undependedReferences?: string[];
    /** Types of resources the program read (`Vpc.get(…)`): offline their outputs are unknown. */
    reads?: string[];
  };
  /**
   * A previewed program's stack files: the E2B keys in its own config and in the project's other
   * stack files (fingerprints and masks only; engine/sibling-stacks.ts), for E2B-02 across them.
   */
  stackFiles?: { own: StackFileKeys; siblings: StackFileKeys[] };
  /**
   * A state export's deployment fields other than `resources` (`manifest`, `secrets_providers`,
   * `pending_operations`, …), wire format. The analyzer protocol has no place for them: the report
   * judges them outside the pack (policies/export-fields.ts).
   */
  deploymentFields?: WireObject;
  /** What the deployment fields nest deeper than the depth limit, as text (like GraphResource.tooDeep). */
  deploymentTooDeep?: Array<{ field: string; text: string[] }>;
}

export function secretValue(value: WireValue): WireObject {
  return { [SECRET_SIG]: SECRET_VALUE, value };
}

export function isSecretValue(value: WireValue): value is WireObject {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && value[SECRET_SIG] === SECRET_VALUE
  );
}
