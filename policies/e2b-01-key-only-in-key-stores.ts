/**
 * E2B-01: key material lives only in approved key stores. A resource policy, so `pulumi up` stops
 * before a resource holding a plaintext key is created; the stack-level rules judge unknown values.
 */
import { z } from "zod";
import { describe } from "./common";
import { scanProps } from "./detect/stack";
import { resourcePolicy } from "./runtime";

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
  ({ type, name, props, report }) => {
    for (const k of scanProps(type, props).keys) {
      if (k.store) continue;
      const what = k.kind === "access-token" ? "an E2B access token" : "an E2B API key";
      const enc = k.encoding === "base64" ? " (base64-encoded)" : "";
      report(
        `${describe({ type, name })} holds ${what} (${k.mask})${enc} at ${k.path}, outside any approved key store. ` +
          `Store it in a secret manager and pass a reference instead.`,
        { at: { path: k.path, keyFingerprint: k.fingerprint } },
      );
    }
  },
);
