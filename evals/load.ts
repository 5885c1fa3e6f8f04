/**
 * Loads the eval cases and their fixtures, checking everything a run relies on before any program
 * runs. Bad input throws an `InputError` whose message is one line naming the file and the field.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseCommittedYaml as parseYaml } from "../engine/yaml";
import type { z } from "zod";
import { InputError } from "../engine/errors";
import { LIMITS, readBoundedText } from "../engine/limits";
import { caseIds, caseOfPolicy, cases, type CaseId } from "../policies/api";
import { caseFileSchema, expectationSchema, type CaseFile, type Expectation } from "./schema";

export const evalsDir = path.resolve(__dirname);

export interface Fixture {
  caseId: CaseId;
  name: string;
  mechanism: string;
  dir: string;
  expect: Expectation;
}

export interface EvalCase {
  file: string;
  spec: CaseFile;
  fixtures: Fixture[];
}

function rel(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

function fail(file: string, field: string, message: string): never {
  throw new InputError(`${rel(file)}: ${field}: ${message}`, file);
}

function readYaml(file: string): unknown {
  // Bounded, and never blocked for ever: a case file may be a FIFO no process writes to (rt54 #9).
  const text = readBoundedText(rel(file), LIMITS.projectFileBytes);
  try {
    return parseYaml(text);
  } catch (e) {
    throw new InputError(`${rel(file)}: not valid YAML (${(e as Error).message.split("\n")[0]})`, file);
  }
}

function parseWith<T>(schema: z.ZodType<T>, file: string): T {
  const r = schema.safeParse(readYaml(file));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  fail(file, issue.path.map(String).join(".") || "(root)", issue.message);
}

export function loadCase(file: string): EvalCase {
  const spec = parseWith(caseFileSchema, file);
  const fromName = path.basename(file, path.extname(file));
  if (spec.id !== fromName) fail(file, "id", `is ${spec.id} but the file is named ${fromName}`);
  const info = cases.find((c) => c.id === spec.id)!;
  if (spec.title !== info.title) fail(file, "title", `must be "${info.title}" (policies/cases.ts)`);
  if (spec.severity !== info.severity) fail(file, "severity", `must be ${info.severity} (policies/cases.ts)`);
  if (spec.source !== info.source) fail(file, "source", `must be "${info.source}" (CASES.md)`);
  spec.rubric.forEach((c, i) => {
    if (!c.id.startsWith(`${spec.id}.`)) fail(file, `rubric.${i}.id`, `must start with ${spec.id}.`);
  });

  const fixtureRoot = path.join(path.dirname(file), "..", "fixtures", spec.id);
  const fixtures = spec.fixtures.map((ref, i) =>
    loadFixture(file, `fixtures.${i}`, spec.id, fixtureRoot, ref),
  );
  const failing = fixtures.filter((f) => f.expect.verdict === "fail").length;
  if (failing < 2) fail(file, "fixtures", `needs at least two failing variants (has ${failing})`);
  if (failing === fixtures.length) fail(file, "fixtures", "needs a remediated variant that passes");

  // Every fixture folder is listed, so none is silently skipped.
  if (existsSync(fixtureRoot)) {
    const listed = new Set(spec.fixtures.map((f) => f.name));
    for (const d of readdirSync(fixtureRoot)) {
      if (statSync(path.join(fixtureRoot, d)).isDirectory() && !listed.has(d)) {
        fail(file, "fixtures", `folder ${rel(path.join(fixtureRoot, d))} is not listed`);
      }
    }
  }
  return { file, spec, fixtures };
}

function loadFixture(
  caseFile: string,
  field: string,
  caseId: CaseId,
  root: string,
  ref: { name: string; mechanism: string },
): Fixture {
  const dir = path.join(root, ref.name);
  if (!existsSync(dir)) fail(caseFile, `${field}.name`, `no folder ${rel(dir)}`);
  for (const f of ["Pulumi.yaml", "expect.yaml"]) {
    if (!existsSync(path.join(dir, f))) fail(caseFile, `${field}.name`, `${rel(dir)} has no ${f}`);
  }
  const expectFile = path.join(dir, "expect.yaml");
  const expect = parseWith(expectationSchema, expectFile);
  if (expect.case !== caseId)
    fail(expectFile, "case", `is ${expect.case} but the fixture is under ${caseId}`);
  expect.policies.forEach((p, i) => {
    if (caseOfPolicy(p) !== caseId) fail(expectFile, `policies.${i}`, `${p} does not belong to ${caseId}`);
  });
  if (!existsSync(path.join(dir, `Pulumi.${expect.stack}.yaml`))) {
    fail(expectFile, "stack", `no Pulumi.${expect.stack}.yaml beside it`);
  }
  return { caseId, name: ref.name, mechanism: ref.mechanism, dir, expect };
}

/** All nine cases (or one), in case order. */
export function loadCases(opts: { dir?: string; only?: string } = {}): EvalCase[] {
  const casesDir = path.join(opts.dir ?? evalsDir, "cases");
  if (opts.only !== undefined && !(caseIds as readonly string[]).includes(opts.only)) {
    throw new InputError(`--case: ${opts.only} is not one of ${caseIds.join(", ")}`);
  }
  const ids = opts.only ? [opts.only] : caseIds;
  return ids.map((id) => {
    const file = path.join(casesDir, `${id}.yaml`);
    if (!existsSync(file))
      throw new InputError(`${rel(file)}: missing (every case needs its YAML file)`, file);
    return loadCase(file);
  });
}
