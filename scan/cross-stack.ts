/**
 * Org-wide audit: what only shows across stacks (the same key or secret reference in two
 * environments, prod sharing an E2B team with an isolated tier), decided by the pack's own
 * cross-stack code.
 */
import type { ResourceGraph } from "../engine";
import { crossStackFindingsForGraphs, type StackReport } from "../policies/api";
import { addFindings, OUR_PACK } from "../reports/build";
import type { ScanSession } from "./session";

/** Stack names repeat across projects (every project has a `prod`); the pack keys facts by project/stack. */
const keyOf = (g: { project: string; stack: string }) => `${g.project}/${g.stack}`;

/**
 * Add the cross-stack findings to each stack's report. They are computed outside the pack process,
 * from the same reconciled config the pack was sent (levels, waivers, tag keys, isolated tiers).
 */
export function withCrossStackFindings(
  session: ScanSession,
  graphs: ResourceGraph[],
  reports: StackReport[],
): StackReport[] {
  if (session.host.info.name !== OUR_PACK || graphs.length < 2) return reports;
  const byStack = crossStackFindingsForGraphs(graphs, session.config);
  return reports.map((r, i) => {
    const extra = byStack.get(keyOf(graphs[i])) ?? [];
    return addFindings(
      r,
      extra,
      extra.flatMap((f) => (f.caseId ? [f.caseId] : [])),
    );
  });
}
