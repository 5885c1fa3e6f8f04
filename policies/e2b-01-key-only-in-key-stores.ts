/**
 * E2B-01: key material lives only in approved key stores. A resource policy, so `pulumi up` stops
 * before a resource holding a plaintext key is created: its inputs, their property names, and the
 * files its assets and archives deploy (a Lambda's code, a container's build context). The
 * stack-level rules judge unknown values (a variable named to carry the key among them: only they
 * see what it depends on), outputs and everything else a stack record carries.
 */
import { z } from "zod";
import { describe, keyLocation, partlyReadMessage } from "./common";
import { DEFAULT_PUBLIC_PREFIXES } from "./detect/client-surfaces";
import type { KeyHit } from "./detect/scanner";
import { resourcePolicy, type ReportOptions } from "./policy-dsl";

export const keyOnlyInKeyStores = resourcePolicy(
  {
    name: "e2b-01-key-only-in-key-stores",
    description:
      "E2B key material (API keys `e2b_…`, access tokens `sk_e2b_…`) may live only in an approved secret store.",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Store the key in an approved store: AWS Secrets Manager / SSM SecureString, GCP Secret Manager, Azure Key Vault, Vault KV, Pulumi ESC (`fn::secret`), a Kubernetes Secret, or a provider secret field (Vercel `sensitive`, Cloudflare `secret_text`, GitHub Actions secret).",
      "2. Give the runtime a reference (secret ARN/name) and read permission, not the value.",
      "3. Rotate the key if it was ever deployed in plaintext (one `pulumi up` with a new rotation trigger).",
    ].join("\n"),
    config: z.object({}),
    example:
      "aws:lambda/function:Function 'api' holds an E2B API key (e2b_…9f3a) at environment.variables.E2B_API_KEY, outside any approved key store. Store it in a secret manager and pass a reference instead.",
  },
  ({ type, name, report, scan: scanOf }) => {
    const scan = scanOf(DEFAULT_PUBLIC_PREFIXES);
    for (const k of scan.keys) {
      const what = k.kind === "access-token" ? "an E2B access token" : "an E2B API key";
      if (k.store) {
        if (k.artifact?.document) reportCommittedDocument(report, describe({ type, name }), what, k);
        continue;
      }
      report(
        `${describe({ type, name })} holds ${what} (${k.mask}) ${keyLocation(k)}, outside any approved key store. ` +
          (k.artifact && !k.artifact.document
            ? "Remove it from the deployed files and read it at run time from a secret manager."
            : "Store it in a secret manager and pass a reference instead."),
        { at: { path: k.path, keyFingerprint: k.fingerprint } },
      );
    }
    // What could not be read was not checked: say so rather than pass in silence.
    for (const n of scan.artifactNotes)
      report(
        `${describe({ type, name })} deploys files (${n.path}) that were not checked for E2B keys: ${n.note}.`,
        { advisory: true },
      );
    if (scan.partlyRead.length)
      report(partlyReadMessage(describe({ type, name }), scan.partlyRead), { advisory: true });
  },
);

/**
 * A key in the right store written in a file committed with the program (an ESC environment's
 * `yaml` given as a FileAsset): the store keeps it at run time, the repository keeps it for good.
 */
function reportCommittedDocument(
  report: (message: string, opts?: ReportOptions) => void,
  resource: string,
  what: string,
  k: KeyHit,
): void {
  report(
    `${resource} holds ${what} (${k.mask}) ${keyLocation(k)}, a file committed with the program. ${k.store!.store} (${k.store!.condition ?? "its secret field"}) is the right place at run time, but the literal is in the repository: set the secret with the store's own tooling (for Pulumi ESC, \`esc env set … --secret\`) instead of writing it in the file, and rotate the key.`,
    { at: { path: k.path, keyFingerprint: k.fingerprint } },
  );
}
