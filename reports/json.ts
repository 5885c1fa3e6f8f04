/** The `json` view: the report data model itself (schemaVersion 1), keys redacted as a last defence. */
import { redactKeys } from "../policies/detect/keys";
import type { Report } from "../policies/api";

export function renderJson(report: Report): string {
  return redactKeys(JSON.stringify(report, null, 2)) + "\n";
}
