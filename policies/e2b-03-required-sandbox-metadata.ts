/**
 * E2B-03: sandboxes carry attribution metadata (e.g. `user_id`, `request_id`) so cost and leaks can be
 * traced to a user and a request. Judged on the environment declaration and on the sandbox policy the
 * component hands to applications (JSON in config or env vars, read by the runtime guard).
 */
import { z } from "zod";
import { NO_E2B_ENVIRONMENT, describe, managesE2B, orphanKeys, modelledEnvironments } from "./common";
import { readStrings } from "./detect/env-model";
import { someString } from "./detect/tree";
import { walkLeaves } from "./detect/walk";
import { sandboxPolicySchema } from "./model";
import { stackPolicy } from "./policy-dsl";

export const requiredSandboxMetadata = stackPolicy(
  {
    name: "e2b-03-required-sandbox-metadata",
    description:
      "Every E2B environment requires attribution metadata on its sandboxes (by default `user_id` and `request_id`), and the sandbox policy handed to applications carries it.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Set `requiredMetadata` on the E2BEnvironment to include the configured keys.",
      "2. Create sandboxes through the guarded `Sandbox.create`, which rejects sandboxes without these keys.",
    ].join("\n"),
    config: z.object({
      requiredKeys: z
        .array(z.string().min(1))
        .default(["user_id", "request_id"])
        .describe("Metadata keys every sandbox must carry."),
    }),
    example:
      "E2BEnvironment 'dev' requires sandbox metadata [user_id] but not request_id. Add the missing keys to requiredMetadata so every sandbox is attributable.",
  },
  ({ index, config, report, notApplicable }) => {
    if (!managesE2B(index)) notApplicable(NO_E2B_ENVIRONMENT);
    const need = config.requiredKeys;
    for (const env of modelledEnvironments(index, report)) {
      const label = `E2BEnvironment '${env.name}'`;
      const md = readStrings(env.model, "requiredMetadata");
      if (md.state === "unknown") {
        report(`${label} required sandbox metadata is unknown at preview.`, env.resource.urn, {
          advisory: true,
          at: { inconclusive: true },
        });
        continue;
      }
      const have = md.state === "known" ? md.value : [];
      const missing = need.filter((k) => !have.includes(k));
      if (missing.length)
        report(
          `${label} requires sandbox metadata [${have.join(", ")}] but not ${missing.join(", ")}. Add the missing keys to requiredMetadata so every sandbox is attributable.`,
          env.resource.urn,
        );
    }
    // The sandbox policy JSON applications read (component output written to config/env vars).
    for (const r of index.resources) {
      // Most resources hold no such string: a walk with context is only for those that do.
      if (!someString(r.props, (s) => s.includes("requiredMetadata"))) continue;
      walkLeaves(
        r.props,
        (leaf) => {
          if (typeof leaf.value !== "string" || !leaf.value.includes("requiredMetadata")) return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(leaf.value);
          } catch {
            return;
          }
          const p = sandboxPolicySchema.safeParse(parsed);
          if (!p.success) return;
          const missing = need.filter((k) => !p.data.requiredMetadata.includes(k));
          if (missing.length)
            report(
              `${describe(r)} hands applications a sandbox policy for '${p.data.environment}' without required metadata ${missing.join(", ")}.`,
              r.urn,
            );
        },
        { parseEmbedded: () => false },
      );
    }
    for (const k of orphanKeys(index))
      report(
        `${describe(k)} is not part of an E2BEnvironment, so no required sandbox metadata is declared for it.`,
        k.urn,
      );
  },
);
