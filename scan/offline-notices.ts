/**
 * What an offline preview did differently from `pulumi preview`, said once per stack as advisory
 * findings (no case, never blocking), so nobody reads a PASS as covering what was not judged.
 */
import type { ResourceGraph } from "../engine";
import { readsSecret } from "../engine/secret-invokes";
import type { Finding } from "../policies/api";

export const OFFLINE_POLICY = "offline-preview";

export function offlineNotices(graph: ResourceGraph): Finding[] {
  const stackUrn = graph.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
  const notice = (message: string): Finding => ({
    policy: OFFLINE_POLICY,
    caseId: null,
    enforcementLevel: "advisory",
    severity: "low",
    urn: stackUrn,
    message,
  });
  const out: Finding[] = [];
  const components = graph.offline?.unexpandedComponents ?? [];
  if (components.length) {
    out.push(
      notice(
        `${components.length} multi-language component type(s) could not be expanded offline: ${components.join(", ")}. ` +
          "Their inputs were judged, the resources their provider plugin would create were not; " +
          "run `pulumi preview --policy-pack` to judge those.",
      ),
    );
  }
  const invokes = graph.offline?.invokes ?? [];
  if (invokes.length) {
    out.push(
      notice(
        `${invokes.length} provider function(s) were answered offline with their own arguments: ${invokes.join(", ")}. ` +
          (invokes.some(readsSecret)
            ? "Those that read a secret's value gave it as a hidden value named by the secret, judged by that name. "
            : "") +
          "Values the program derived from their results are placeholders.",
      ),
    );
  }
  const environments = graph.offline?.environments ?? [];
  if (environments.length) {
    out.push(
      notice(
        `The stack imports Pulumi ESC environment(s) ${environments.join(", ")}, which the offline preview cannot open: ` +
          "configuration they supply was missing here, so values the program read from them were not judged; " +
          "run `pulumi preview --policy-pack` to judge them.",
      ),
    );
  }
  const reads = graph.offline?.reads ?? [];
  if (reads.length) {
    out.push(
      notice(
        `The program reads existing resources of ${reads.length} type(s) (\`.get()\`): ${reads.join(", ")}. ` +
          "Offline no provider reads them, so their outputs are unknown and values the program built from them were not judged; " +
          "run `pulumi preview --policy-pack` to judge them.",
      ),
    );
  }
  const references = graph.offline?.undependedReferences ?? [];
  if (references.length) {
    out.push(
      notice(
        `The program reads stack(s) ${references.join(", ")} through a StackReference that nothing in the stack depends on: ` +
          "offline their outputs are unknown, and a value awaited from one (getOutputValue, getOutputDetails, requireOutputValue) is undefined, " +
          "so what the program did with it was not judged; run `pulumi preview --policy-pack` to judge it.",
      ),
    );
  }
  return out;
}
