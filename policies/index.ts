/**
 * The e2b-guardrails CrossGuard pack: the nine E2B eval cases enforced at `pulumi preview`.
 * Loaded by `@pulumi/pulumi/cmd/run-policy-pack` as compiled JavaScript (dist/index.js); keep
 * start-up light (no provider packages — types are matched as strings). The only module with side
 * effects: it hooks the analyzer protocol for the preview session, then serves the policies.
 */
import "./fast-struct"; // before the SDK serves its first request
import "./sdk-memo";
import { PolicyPack } from "@pulumi/policy";
import { installAnalyzerHooks } from "./analyzer-hooks";
import { PACK_NAME } from "./pack-info";
import { policies } from "./policies";
import { previewSession } from "./preview-session";

previewSession.declare(
  policies.map((p) => ({
    name: p.name,
    kind: "validateStack" in p ? "stack" : "resource",
    enforcementLevel: p.enforcementLevel ?? "advisory",
  })),
);
installAnalyzerHooks(previewSession, policies);

new PolicyPack(PACK_NAME, {
  description:
    "Guardrails for E2B API keys, sandbox cost, timeouts and workspaces (eval cases E2B-01..E2B-09).",
  policies,
});
