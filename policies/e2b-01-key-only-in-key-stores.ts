import type { ResourceValidationPolicy } from "@pulumi/policy";
import { findKeysInString } from "./detect/keys";
import { walkStrings } from "./detect/walk";

/** Types whose inputs are an approved home for key material. */
const approvedKeyStores = new Set(["aws:secretsmanager/secretVersion:SecretVersion"]);

export const keyOnlyInKeyStores: ResourceValidationPolicy = {
  name: "e2b-01-key-only-in-key-stores",
  description: "E2B key material must live only in an approved secret store.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Store the key in a secret manager and let the runtime read it from there.",
  validateResource: (args, reportViolation) => {
    if (approvedKeyStores.has(args.type)) return;
    walkStrings(args.props, (value, path) => {
      for (const k of findKeysInString(value)) {
        reportViolation(`${args.type} '${args.name}' holds E2B key material (${k.mask}) at ${path}.`);
      }
    });
  },
};
