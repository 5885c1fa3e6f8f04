/**
 * Key material written in the program's own code (the modules it loaded from its folder, as the
 * offline `preview` records them), judged outside the pack process as e2b-01-key-from-secret-store
 * findings: the same finding model, level and waivers as the pack's own (docs/architecture.md, "The
 * program's code").
 *
 * A literal key the pack saw in a resource's inputs is reported there, so only keys that no resource
 * of the stack shows (by fingerprint) are reported here: a literal the program deploys behind a value
 * not known at preview (azure-native fills nested inputs' defaults in an `apply`, so one unknown
 * sibling hides the whole object; found with a key planted in pulumi/examples azure-ts-functions'
 * app settings), or one the program never deploys. Either way the key is in committed code.
 */
import type { ArtifactReader } from "./detect/artifacts";
import { lineAt } from "./detect/artifacts";
import { describe } from "./common";
import { describeEncoding, findMaterial, type MaterialMatch } from "./detect/material";
import { printable } from "./detect/walk";
import { keyFromSecretStore } from "./e2b-01-key-from-secret-store";
import { judgeAs, settingsOf } from "./policy-dsl";
import type { Finding } from "./report";
import { NO_CONFIG, type PackConfig } from "./settings";

export interface ProgramSourceInput {
  /** The modules the program loaded from its own folder (absolute paths; not installed packages). */
  files: readonly string[];
  /**
   * The other files of its folder it read (a `.env`, a cloud-init script): a key the program takes
   * from one into a value not known at preview is as hidden as a literal in code. Checked without
   * advisories for what cannot be read as text (a program reads archives and images too).
   */
  reads?: readonly string[];
  /**
   * Files it read that git ignores (a `.env` for local runs): not committed with the program, so a key
   * in one is the deployer's own; advisory, unless a resource showed it (real42 #1).
   */
  ignoredReads?: readonly string[];
  /**
   * The project file (`Pulumi.yaml`): its `config` defaults are judged as the stack's configuration;
   * anything else in it (a `template.config` default that `pulumi new` copies into every new stack) is
   * still committed with the program.
   */
  projectFiles?: readonly string[];
  /**
   * The stack's file (`Pulumi.<stack>.yaml`): its config values are judged as the stack's
   * configuration; a key anywhere else in it (a commented-out line, an anchor's name, a
   * `secretsprovider` URL, a value its other spelling overrides) is still committed with the program.
   * Secure values are ciphertext and hold no key.
   */
  stackFiles?: readonly string[];
  /**
   * Dynamic resources' serialized providers (`__provider`): the provider's functions with every
   * value they captured, which Pulumi keeps in plain text in the stack's state. The CLI hands an
   * analyzer no `__` input, so only the offline preview (and `audit` of an export) sees them.
   */
  providers?: readonly ProviderSource[];
  /** The stack resource's URN: findings about the program as a whole sit there. */
  stackUrn: string;
  /**
   * Whether a variable was unset (or empty) in the environment the program ran with: a key the
   * program reads from its environment (`process.env.E2B_API_KEY`, set by the deploy job) was then
   * `undefined`, and whatever it fed vanished from the stack.
   */
  unsetInEnvironment?: (name: string) => boolean;
  /**
   * The variables the program's own code read while they were unset or empty, as the engine recorded
   * while it ran: deploy-time reads, whatever a resource's code reads of those names at run time.
   */
  unsetReads?: readonly string[];
  /**
   * The E2B keys the program's own code read from variables that held them (the deployer's shell), as
   * the engine recorded: each variable's name, the key's fingerprint and mask, never the key.
   */
  keyReads?: ReadonlyArray<{ name: string; fingerprint: string; mask: string }>;
  /**
   * Where resource inputs a key may have gone into unseen are hidden, for a message; undefined when
   * none is: inputs that hold secret config this preview could not decrypt (with it decrypted, the
   * value shows: real43 #1), or variables and settings not known until deploy (real44 #1).
   */
  hiddenInputs?: () => string | undefined;
  /**
   * Whether a resource of the stack has a variable of that name: then the stack shows what the
   * program's read feeds (a serverless function's own code reads its variable at run time).
   */
  namedInStack?: (name: string) => boolean;
  /**
   * Fingerprints of the keys the stack's resources show (what the pack judged, whichever of its
   * policies are enabled): asked only when the code holds a key.
   */
  inStack: () => ReadonlySet<string>;
  /**
   * For a key the stack shows only where an approved store holds it (a Secrets Manager version, a
   * Kubernetes Secret), that holder, named for a message: the store is fine, the literal the program
   * put there is still committed code. Undefined for any other key.
   */
  storedIn?: (fingerprint: string) => string | undefined;
}

export interface ProviderSource {
  urn: string;
  type: string;
  name: string;
  source: string;
}

/** ` (base64-encoded)` for an encoded match, nothing for a plain one. */
function encodingNote(m: MaterialMatch): string {
  const enc = describeEncoding(m.encoding);
  return enc ? ` (${enc})` : "";
}

/** `process.env.NAME` and `process.env["NAME"]` in a program's code. */
const ENV_READ = /\bprocess\.env(?:\.([A-Za-z_$][\w$]*)|\[\s*["'`]([A-Za-z_$][\w$]*)["'`]\s*\])(?!\s*=[^=])/g;

/**
 * The key read from the program's environment where this preview's environment did not set it: the
 * deploy job holds it (a CI secret), the guardrail job does not, so what it fed was `undefined` here
 * and not judged. Inconclusive, once per variable, at its first read; not for an assignment. Where
 * the engine recorded the program's reads, only a variable it read while unset counts; else not one a
 * resource of the stack holds (a function's own code reading it at run time).
 */
function keysReadFromEnvironment(
  files: ReadonlyArray<{ name: string; text: string }>,
  input: ProgramSourceInput,
  judge: NonNullable<ReturnType<typeof judgeAs>>,
  config: PackConfig,
): Finding[] {
  // The names the policy's own rules judge as the key (its `keyNamePattern`, as configured).
  const keyName = new RegExp(settingsOf(keyFromSecretStore, config).keyNamePattern, "i");
  const recorded = input.unsetReads && new Set(input.unsetReads);
  const out: Finding[] = [];
  const said = new Set<string>();
  const report = (name: string, where: string) => {
    said.add(name);
    out.push({
      ...judge.finding(
        input.stackUrn,
        `The program's code reads ${name} from its environment (${where}), which is not set for this preview: what it feeds was undefined here, or a fallback, and was not judged. Where the deploy job sets it, that is the E2B key in whatever it feeds; pass the runtime a secret reference (E2B_SECRET_ARN) instead, or preview with ${name} set (any placeholder of the key's shape) to have it judged.`,
        { advisory: true },
      ),
      unknown: true,
      inconclusive: true,
    });
  };
  for (const f of files)
    for (const m of f.text.matchAll(ENV_READ)) {
      const name = m[1] ?? m[2];
      if (said.has(name) || !keyName.test(name)) continue;
      if (recorded ? !recorded.has(name) : !input.unsetInEnvironment!(name)) continue;
      // Unrecorded, a read of a variable a resource holds may be that resource's code at run time; a
      // recorded one fed the stack (`E2B_API_KEY: process.env.E2B_API_KEY ?? ""`, real40 bug 3).
      if (!recorded && input.namedInStack?.(name)) continue;
      report(name, `${printable(f.name)} line ${lineAt(f.text, m.index!)}`);
    }
  // Recorded reads the text does not spell (`const { E2B_API_KEY = "" } = process.env`, a helper's
  // `process.env[name]`: rt48 #4).
  for (const name of recorded ?? []) if (!said.has(name) && keyName.test(name)) report(name, "while it ran");
  return out;
}

/**
 * A key the program read from its environment (set for this preview: the deployer's shell) that no
 * resource shows, while inputs it may have gone into are hidden: by secret config not decrypted here
 * (a command's script that also holds one, real43 #1), or variables not known until deploy (a Function
 * App's settings built from a storage account's keys, real44 #1). Inconclusive, once per key; nothing
 * when no such input is hidden (the program used the key itself, as a dynamic provider calling E2B's
 * API does).
 */
function keysReadUnseen(
  input: ProgramSourceInput,
  judge: NonNullable<ReturnType<typeof judgeAs>>,
): Finding[] {
  if (!input.keyReads?.length) return [];
  const hidden = input.hiddenInputs?.();
  if (hidden === undefined) return [];
  const out: Finding[] = [];
  for (const { name, fingerprint, mask } of input.keyReads) {
    if (input.inStack().has(fingerprint)) continue;
    out.push({
      ...judge.finding(
        input.stackUrn,
        `The program's code reads an E2B key (${mask}) from its environment (${printable(name)}), which no resource input showed at preview, while ${hidden} are hidden: it may be in them, and was not judged. If a resource gets it at deploy time, that is the key outside a key store; pass the runtime a secret reference (E2B_SECRET_ARN) instead.`,
        { advisory: true },
      ),
      unknown: true,
      inconclusive: true,
    });
  }
  return out;
}

/** The policy whose findings the program's code gives. */
export const PROGRAM_SOURCE_POLICY = keyFromSecretStore.name;

/** Key material in the program's code that no other finding names, once per key; masks only. */
export function programSourceFindings(
  reader: ArtifactReader,
  input: ProgramSourceInput,
  config: PackConfig = NO_CONFIG,
): Finding[] {
  const judge = judgeAs(keyFromSecretStore, config);
  if (!judge) return [];
  const { files, notes } = reader.readFiles(input.files);
  const out: Finding[] = [];
  const said = new Set<string>();
  /** `what` holds the key; `unseen` says why that matters when no resource showed the key. */
  const report = (f: { name: string; text: string }, what: string, unseen: string, advisory = false) => {
    for (const m of findMaterial(f.text)) {
      if (said.has(m.fingerprint)) continue;
      const store = input.storedIn?.(m.fingerprint);
      if (!store && input.inStack().has(m.fingerprint)) continue;
      said.add(m.fingerprint);
      const where = `(${m.mask}) in ${printable(f.name)} line ${lineAt(f.text, m.index)}${encodingNote(m)}`;
      const why = store
        ? `which the program puts into ${store}. The store is the right place at run time, but the literal is committed with the program: mint the key in IaC (the E2BEnvironment component writes it to the store) or take it from secret config, and rotate it.`
        : unseen;
      out.push({
        ...judge.finding(input.stackUrn, `${what} holds E2B key material ${where}, ${why}`, {
          advisory: advisory && !store,
        }),
        keyFingerprint: m.fingerprint,
      });
    }
  };
  for (const f of files)
    report(
      f,
      "The program's code",
      "which no resource input showed at preview (a value not known yet can hide a literal). Committed code is no key store: read the key from a secret store at run time, and rotate it.",
    );
  if (input.unsetInEnvironment || input.unsetReads)
    out.push(...keysReadFromEnvironment(files, input, judge, config));
  out.push(...keysReadUnseen(input, judge));
  for (const f of reader.readFiles(input.reads ?? []).files)
    report(
      f,
      "A file the program read",
      "which no resource input showed at preview (a value not known yet can hide what the program made of it). A file in the program's folder is no key store: read the key from a secret store at run time, and rotate it if the file was committed or deployed.",
    );
  for (const f of reader.readFiles(input.ignoredReads ?? []).files)
    report(
      f,
      "A file the program read, which git ignores,",
      "which no resource input showed at preview, so it is taken as the deployer's own local setting (a `.env` for local runs). Where the deploy job has such a file, whatever the program made of the key is judged only as far as preview could see it: keep the key in a secret store and pass the runtime its reference.",
      true,
    );
  for (const f of reader.readFiles(input.projectFiles ?? []).files)
    report(
      f,
      "The project file",
      "which is committed with the program (a template's config default is copied into every stack `pulumi new` creates from it). A project file is no key store: remove the key, and rotate it.",
    );
  for (const f of reader.readFiles(input.stackFiles ?? []).files)
    report(
      f,
      "The stack's config file",
      "outside any value the stack's configuration holds (a comment, an anchor, a `secretsprovider` URL, a value another spelling of its key overrides), and committed with the program. A stack file is no key store: remove the key, keep it with `pulumi config set --secret`, and rotate it.",
    );
  for (const p of input.providers ?? []) {
    const seen = new Set<string>();
    for (const m of findMaterial(p.source)) {
      if (seen.has(m.fingerprint)) continue;
      seen.add(m.fingerprint);
      out.push({
        ...judge.finding(
          p.urn,
          `The dynamic provider of ${describe(p)} holds E2B key material (${m.mask})${encodingNote(m)} in its serialized code (__provider), which Pulumi stores in plain text in the stack's state: the provider's functions captured the key (a variable read from the environment or config). Pass the key to the resource as a secret input and read it from the inputs in create/update, or read it from a secret store inside the provider; rotate it if it was ever deployed.`,
        ),
        keyFingerprint: m.fingerprint,
      });
    }
  }
  for (const note of notes)
    out.push(
      judge.finding(input.stackUrn, `The program's code was not all checked for E2B key material: ${note}.`, {
        advisory: true,
      }),
    );
  return out;
}
