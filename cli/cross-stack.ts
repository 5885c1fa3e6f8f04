/** Placeholder until the pack's cross-stack detectors land (policies/cross-stack.ts). */
import type { ResourceGraph } from "../engine";
import type { StackReport } from "../policies/report";
import type { ScanSession } from "./scan";

export function crossStackFindings(
  _session: ScanSession,
  _graphs: ResourceGraph[],
  _reports: StackReport[],
): void {}
