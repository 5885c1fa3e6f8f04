/**
 * E2B-08: the credential that creates keys (dashboard bearer token + team id) stays in IaC: it is
 * Pulumi secret config of the platform stack, never a runtime's env var or setting, never captured in
 * the serialized dynamic provider; no deprecated personal access token (`sk_e2b_…`) anywhere; no keys
 * minted by `GET /teams` ("CLI login/configure") used by automation.
 */
import { z } from "zod";
import { NO_MANAGEMENT_CREDENTIAL, describe, holdsManagementCredential } from "./common";
import { get } from "./detect/stack";
import type { StackIndex } from "./detect/stack-index";
import { printable } from "./detect/walk";
import { isUnknown } from "./detect/unknowns";
import { stackPolicy, type Reporter } from "./policy-dsl";

/** A JWT (the dashboard session token is one): three base64url parts, the first two JSON objects. */
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

export const managementCredentialScope = stackPolicy(
  {
    name: "e2b-08-management-credential-scope",
    description:
      "The E2B management credential (dashboard bearer token + team id) exists only as secret config of the platform stack; no access tokens (`sk_e2b_…`) and no CLI-login keys anywhere.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Keep the dashboard token as `pulumi config set --secret` of the platform stack and pass it to the key provider as a secret input.",
      "2. Remove management tokens and `E2B_ACCESS_TOKEN` from runtimes, CI variables and tags; runtimes need only their environment's API key.",
      "3. Replace access tokens (`sk_e2b_…`, removed from the SDK) and 'CLI login/configure' keys with per-environment keys created by IaC, then delete them.",
    ].join("\n"),
    config: z.object({
      managementNames: z
        .array(z.string().min(1))
        .default([
          "E2B_ACCESS_TOKEN",
          "E2B_DASHBOARD_TOKEN",
          "E2B_MANAGEMENT_TOKEN",
          "E2B_SESSION_TOKEN",
          "E2B_BEARER_TOKEN",
          "E2B_AUTH_TOKEN",
          "E2B_TEAM_TOKEN",
        ])
        .describe("Variable names that carry E2B management credentials; none may be deployed."),
      cliKeyNames: z
        .array(z.string().min(1))
        .default(["CLI login/configure"])
        .describe("Key names minted by CLI logins."),
    }),
    example:
      "aws:lambda/function:Function 'ops' deploys the management credential E2B_DASHBOARD_TOKEN to a runtime (environment.variables.E2B_DASHBOARD_TOKEN). Keep it as secret config of the platform stack only.",
  },
  ({ index, config, report, notApplicable }) => {
    if (!holdsManagementCredential(index)) notApplicable(NO_MANAGEMENT_CREDENTIAL);
    const mgmt = new Set(config.managementNames);
    for (const r of index.resources) {
      if (r.type.startsWith("pulumi:providers:")) continue;
      const scan = index.scan(r);
      // Anywhere the resource carries it: properties, and its URN, references and outputs; each token
      // once per resource (a preview's outputs repeat its inputs).
      const said = new Set<string>();
      for (const k of [...scan.keys, ...index.scanRecord(r)])
        if (k.kind === "access-token" && !said.has(k.fingerprint) && said.add(k.fingerprint))
          report(
            `${describe(r)} holds a deprecated E2B personal access token (${k.mask}) at ${k.path}. Access tokens are user-scoped and removed from the SDK; use a per-environment API key and revoke the token.`,
            r.urn,
            { at: { path: k.path, keyFingerprint: k.fingerprint } },
          );
      const named = new Set<string>();
      for (const l of scan.named) {
        if (!l.envName || !mgmt.has(l.envName) || named.has(l.envName)) continue;
        if (!l.unknown && (l.value === null || l.value === "")) continue;
        named.add(l.envName);
        report(
          `${describe(r)} deploys the management credential ${l.envName} to a runtime (${l.path}). Keep it as secret config of the platform stack only.`,
          r.urn,
          { at: { path: l.path, ...(l.unknown ? { unknown: true } : {}) } },
        );
      }
    }
    reportHiddenTokenLeaves(index, report);
    for (const k of index.keyResources) {
      const name = get(k.props, "name");
      if (typeof name === "string" && config.cliKeyNames.includes(name))
        report(
          `${describe(k)} manages a key named '${name}', the name E2B gives keys minted by CLI logins. Create a key named after its environment instead.`,
          k.urn,
        );
      const src = get(k.props, "__provider");
      if (typeof src === "string" && !isUnknown(src) && JWT.test(src))
        report(
          `${describe(k)} serializes a bearer token into its dynamic provider source, which is stored in plaintext in the stack state. Pass the management token as a secret input instead.`,
          k.urn,
        );
    }
  },
);

/**
 * A property fed by a structured secret config value whose secure leaf names an access token
 * (`agents.e2b.accessToken`), which the offline preview could not decrypt: decrypted, E2B-08 would
 * judge the token there; hidden, which part the property took is not known, so the case is
 * inconclusive rather than passed.
 */
function reportHiddenTokenLeaves(index: StackIndex, report: Reporter): void {
  const hidden = index.hiddenConfigs();
  for (const r of index.resources) {
    for (const [top, urns] of Object.entries(r.propertyDependencies)) {
      const c = urns.map((u) => hidden.get(u)).find((h) => h?.e2bTokenLeaf !== undefined);
      if (!c) continue;
      report(
        `${describe(r)} property ${printable(top)} takes the secret config value ${c.key}, which could not be decrypted; its secure leaf ${printable(c.e2bTokenLeaf!)} names an E2B access token, so E2B-08 is inconclusive until it is checked. Preview with the passphrase, or audit an export made with --show-secrets, to check it.`,
        r.urn,
        { advisory: true, at: { path: top, unknown: true, inconclusive: true } },
      );
    }
  }
}
