/**
 * The e2b-guardrails CrossGuard pack: the nine E2B eval cases enforced at `pulumi preview`.
 * Loaded by `@pulumi/pulumi/cmd/run-policy-pack` as compiled JavaScript (dist/index.js); keep
 * start-up light (no provider packages — types are matched as strings).
 */
import "./sdk-memo"; // before the SDK serves its first request
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";
import { PACK_NAME } from "./runtime";

new PolicyPack(PACK_NAME, {
  description:
    "Guardrails for E2B API keys, sandbox cost, timeouts and workspaces (eval cases E2B-01..E2B-09).",
  policies,
});
