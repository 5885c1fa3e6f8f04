/**
 * Org-wide audit: what only shows across stacks (the same key or secret reference in two
 * environments, prod sharing an E2B team with non-prod), decided by the pack's own cross-stack code.
 */
import type { ResourceGraph } from "../engine";
import { crossStackFindings, stackFacts, type StackReport } from "../policies/api";
import { addFindings, OUR_PACK } from "../reports/build";
import { expiredWaiverMessage, matchWaiver, type WaiverConfig } from "../policies/waivers";
import type { Finding } from "../policies/report";
import type { ScanSession } from "./scan";

/** Stack names repeat across projects (every project has a `prod`); the pack keys facts by project/stack. */
const keyOf = (g: { project: string; stack: string }) => `${g.project}/${g.stack}`;

export function withCrossStackFindings(
  session: ScanSession,
  graphs: ResourceGraph[],
  reports: StackReport[],
): StackReport[] {
  if (session.host.info.name !== OUR_PACK || graphs.length < 2) return reports;
  const byStack = crossStackFindings(
    graphs.map((g) => stackFacts(g.resources, { stack: g.stack, project: g.project })),
  );
  return reports.map((r, i) => {
    // These findings are computed outside the pack process, so apply configured levels and waivers here.
    const extra = (byStack.get(keyOf(graphs[i])) ?? [])
      .filter((f) => session.enabled.has(f.policy))
      .map((f) =>
        withConfig(session, { ...f, enforcementLevel: session.levels.get(f.policy) ?? f.enforcementLevel }),
      );
    return addFindings(
      r,
      extra,
      extra.flatMap((f) => (f.caseId ? [f.caseId] : [])),
    );
  });
}

/** The same waiver rules the pack applies to its own findings (policies/waivers.ts). */
export function withConfig(session: ScanSession, f: Finding): Finding {
  const waivers = (session.config.get(f.policy)?.properties.waivers ?? []) as WaiverConfig[];
  const m = matchWaiver(waivers, f.policy, f.urn);
  if (!m) return f;
  if (m.expired) return { ...f, message: expiredWaiverMessage(f.message, m.waiver) };
  const { reason, owner, expires } = m.waiver;
  return { ...f, enforcementLevel: "advisory", waiver: { reason, owner, expires } };
}
