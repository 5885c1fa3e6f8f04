/**
 * What a platform team needs to turn the pack on across an organisation: baselines (`--baseline`,
 * `--write-baseline`), gating (`--fail-on`), the GitHub step summary of `--format github`, and the
 * cost change of a preview (`--compare-state`). The rules live in policies/ and reports/; this module
 * is the command line's glue.
 */
import { InputError, loadStateExport, type ResourceGraph } from "../engine";
import {
  COST_CHANGE_POLICY,
  cases,
  configuredPrices,
  costChanges,
  costIncreaseFindings,
  costIncreaseSchema,
  environmentSpend,
  judgeConfiguredFinding,
  withCase,
  type Finding,
  type Report,
  type StackReport,
} from "../policies/api";
import { applyBaseline, loadBaseline, type Baseline } from "../reports/baseline";
import { addFindings } from "../reports/build";
import { githubStepSummary } from "../reports/github";
import { renderJson } from "../reports/json";
import type { Format } from "../reports";
import { prepareOutput, writeOutputFile } from "./output";
import type { AdoptionFlags, FailOn } from "./adoption-options";
import type { ScanSession } from "../scan/session";

export {
  failOnLevels,
  parseFailOn,
  withAdoptionOptions,
  type AdoptionFlags,
  type FailOn,
} from "./adoption-options";

/** Everything these flags read is checked before any work: bad input is one line, exit 2. */
export interface AdoptionInputs {
  baseline?: Baseline;
  deployed?: ResourceGraph;
}

/** `keep`: outputs that are also inputs, not to be removed before they are read (checkOutputsAgainstInputs). */
export function loadAdoptionInputs(o: AdoptionFlags, keep: ReadonlySet<string> = new Set()): AdoptionInputs {
  if (o.writeBaseline) prepareOutput(o.writeBaseline, "--write-baseline", "file", keep.has(o.writeBaseline));
  return {
    ...(o.baseline ? { baseline: loadBaseline(o.baseline) } : {}),
    ...(o.compareState ? { deployed: loadCompareState(o.compareState) } : {}),
  };
}

function loadCompareState(file: string): ResourceGraph {
  try {
    return loadStateExport(file);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`--compare-state ${e.message}`, file);
    throw e;
  }
}

/** Baseline groups, then the baseline file to write. */
export function finishReport(report: Report, o: AdoptionFlags, inputs: AdoptionInputs): Report {
  const out = inputs.baseline ? applyBaseline(report, inputs.baseline) : report;
  // Every file the CLI writes goes through the output guard (encoded key material masked), as stdout does.
  if (o.writeBaseline) writeOutputFile(o.writeBaseline, renderJson(out), "--write-baseline");
  return out;
}

/**
 * Exit status under `--fail-on`: 1 when a finding at or above the level is neither waived nor in the
 * baseline; `none` never fails on findings (bad input still exits 2). An inconclusive case fails only
 * under `advisory`: what makes it inconclusive is an advisory finding (a value unknown at preview).
 */
export function exitStatusFor(report: Report, failOn: FailOn): 0 | 1 {
  if (failOn === "none") return 0;
  const counts = (f: Finding) =>
    !f.waiver &&
    f.baseline !== "existing" &&
    (f.enforcementLevel === "mandatory" ||
      f.enforcementLevel === "remediate" ||
      (failOn === "advisory" && (f.enforcementLevel === "advisory" || f.inconclusive === true)));
  return report.stacks.some((s) => s.findings.some(counts)) ? 1 : 0;
}

/** `--format github`: the Markdown step summary goes to the file GitHub Actions names. */
export function writeStepSummary(report: Report, format: Format): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (format !== "github" || !file) return;
  writeOutputFile(file, githubStepSummary(report), "GITHUB_STEP_SUMMARY", "a");
}

/**
 * The modelled spend of each environment, deployed vs previewed, and a finding of
 * e2b-03-sandbox-profile-and-cost for an increase above its `maxCostIncrease` threshold, at the
 * threshold's level (default: the policy's), with the policy's waivers.
 */
export function withCostChange(
  session: ScanSession,
  stack: StackReport,
  graph: ResourceGraph,
  deployed: ResourceGraph,
): StackReport {
  const props = session.config.get(COST_CHANGE_POLICY)?.properties ?? {};
  const prices = configuredPrices(session.config);
  const changes = costChanges(
    environmentSpend(deployed.resources, prices),
    environmentSpend(graph.resources, prices),
  );
  let out = stack;
  if (session.enabled.has(COST_CHANGE_POLICY)) {
    const parsed = costIncreaseSchema.safeParse(props.maxCostIncrease ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(
        `policy config: field '${COST_CHANGE_POLICY}.maxCostIncrease.${issue.path.join(".")}' ${issue.message}`,
      );
    }
    const severity = cases.find((c) => c.id === "E2B-03")!.severity;
    const level = session.levels.get(COST_CHANGE_POLICY) ?? "mandatory";
    const extra = costIncreaseFindings(changes, parsed.data).map((f) =>
      judgeConfiguredFinding(
        withCase({
          policy: COST_CHANGE_POLICY,
          enforcementLevel: f.enforcementLevel ?? (level === "remediate" ? "mandatory" : level),
          severity,
          urn: f.urn,
          message: f.message,
        }),
        session.config,
      ),
    );
    out = addFindings(stack, extra, extra.length ? ["E2B-03"] : []);
  }
  return { ...out, costChange: changes };
}
