/**
 * The eval runner: every fixture program runs through the offline engine and the policy pack, and its
 * verdict for its case is compared with its expectation. One pack process serves the whole run;
 * programs run in parallel up to the core count on warm program workers (the SDK and provider packages
 * load once per worker, not once per fixture), while analysis goes through the single host one stack at
 * a time (ConfigureStack sets per-stack state in the pack).
 */
import os from "node:os";
import type { UserPolicyConfig } from "../engine/policy-config";
import { cutBeforeRun, redactKeys } from "../policies/detect/keys";
import { redactMaterial } from "../policies/detect/redact";
import type { CaseId } from "../policies/api";
import type { Report, StackReport } from "../policies/api";
import {
  ownProcesses,
  scanGraph,
  type ProgramRunner,
  type ScanBackend,
  type ScanSession,
} from "../scan/session";
import type { PolicyInfo } from "../engine";
import { errorJudgement, judge, type Judgement } from "./compare";
import { loadCases, type EvalCase, type Fixture } from "./load";
import { mapPool } from "../engine/map-pool";

export interface FixtureOutcome extends Judgement {
  fixture: Fixture;
  /** The stack report, relabelled `E2B-0N/<fixture>` as its project so reports tell fixtures apart. */
  stack?: StackReport;
  durationMs: number;
}

export interface CaseOutcome {
  id: CaseId;
  title: string;
  ok: boolean;
  fixtures: FixtureOutcome[];
}

export interface EvalRun {
  cases: CaseOutcome[];
  report: Report;
  policies: readonly PolicyInfo[];
  ok: boolean;
  durationMs: number;
}

export interface EvalOptions {
  only?: string;
  evalsDir?: string;
  packDir?: string;
  policyConfig?: string | UserPolicyConfig;
  /** Programs run at once; default the number of cores. */
  concurrency?: number;
  /** Called as each fixture finishes (progress). */
  onFixture?: (o: FixtureOutcome) => void;
  /** Where the pack session and the program workers come from (default: processes of its own). */
  backend?: ScanBackend;
}

/** The first line of an error, plus the program's own error line when the runner captured its output. */
export function fixtureErrorLine(e: unknown): string {
  const lines = (e instanceof Error ? e.message : String(e)).split("\n");
  const cause = lines.slice(1).find((l) => /\b(?:[A-Z]\w*)?Error\b/.test(l));
  // Masked before it is shortened: a cut inside an encoded key would leave a piece no redactor knows.
  const text = cause ? `${lines[0]} (${cutBeforeRun(redactMaterial(cause.trim()), 240)})` : lines[0];
  return redactKeys(text);
}

async function runFixture(
  session: ScanSession,
  programs: ProgramRunner,
  fixture: Fixture,
  packPolicies: ReadonlySet<string>,
): Promise<FixtureOutcome> {
  const started = Date.now();
  try {
    const graph = await programs.run({
      cwd: fixture.dir,
      stack: fixture.expect.stack,
      organization: "evals",
    });
    const stack = { ...(await scanGraph(session, graph)), project: `${fixture.caseId}/${fixture.name}` };
    return {
      fixture,
      stack,
      ...judge(fixture.expect, stack, packPolicies),
      durationMs: Date.now() - started,
    };
  } catch (e) {
    return {
      fixture,
      ...errorJudgement(`could not run: ${fixtureErrorLine(e)}`),
      durationMs: Date.now() - started,
    };
  }
}

export async function runEvals(opts: EvalOptions = {}): Promise<EvalRun> {
  const started = Date.now();
  // Load and check every case file first: bad input fails before any program runs.
  const evalCases: EvalCase[] = loadCases({ dir: opts.evalsDir, only: opts.only });
  const limit = opts.concurrency ?? os.availableParallelism();
  const backend = opts.backend ?? ownProcesses;
  const programs = backend.fixturePrograms(limit);
  const session = await backend.openSession({ packDir: opts.packDir, policyConfig: opts.policyConfig });
  try {
    const packPolicies = new Set(session.host.info.policies.map((p) => p.name));
    const fixtures = evalCases.flatMap((c) => c.fixtures);
    const outcomes = await mapPool(fixtures, limit, async (f) => {
      const o = await runFixture(session, programs, f, packPolicies);
      opts.onFixture?.(o);
      return o;
    });
    const cases: CaseOutcome[] = evalCases.map((c) => {
      const fs = outcomes.filter((o) => o.fixture.caseId === c.spec.id);
      return { id: c.spec.id, title: c.spec.title, ok: fs.every((o) => o.ok), fixtures: fs };
    });
    const stacks = outcomes.flatMap((o) => (o.stack ? [o.stack] : []));
    return {
      cases,
      report: session.report(stacks),
      policies: session.host.info.policies,
      ok: cases.every((c) => c.ok),
      durationMs: Date.now() - started,
    };
  } finally {
    programs.close();
    await session.close();
  }
}
