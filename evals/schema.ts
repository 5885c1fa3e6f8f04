/**
 * The shape of an eval case (`evals/cases/E2B-0N.yaml`) and of a fixture's expectation
 * (`evals/fixtures/E2B-0N/<variant>/expect.yaml`), written once in zod.
 */
import { z } from "zod";
import { caseIds } from "../policies/api";

/** Policy names carry their case: `e2b-01-no-client-side-key`. */
export const policyName = z
  .string()
  .regex(/^e2b-0[1-9]-[a-z0-9]+(-[a-z0-9]+)*$/, "a policy name like e2b-01-no-client-side-key");

/** What makes a rubric criterion hold: pack policies, or a component/runtime behaviour and its test. */
export const enforcementSchema = z
  .object({
    policies: z.array(policyName).default([]),
    behaviour: z
      .object({
        /** Where the behaviour lives: `components/environment.ts`, `runtime/guard.ts`… */
        module: z.string().min(1),
        description: z.string().min(10),
        /** The test that proves it. */
        test: z.string().regex(/^tests\/.+\.test\.ts$/, "a path under tests/ ending in .test.ts"),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (e) => e.policies.length > 0 || e.behaviour !== undefined,
    "name at least one policy or a behaviour",
  );

export const criterionSchema = z
  .object({
    id: z.string().regex(/^E2B-0[1-9]\.[a-z]$/, "an id like E2B-01.a"),
    text: z.string().min(10),
    enforcedBy: enforcementSchema,
  })
  .strict();

export const fixtureRefSchema = z
  .object({
    /** Folder under evals/fixtures/<case id>/. */
    name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "a kebab-case folder name"),
    /** The resource type or mechanism the variant shows, so variants differ visibly. */
    mechanism: z.string().min(5),
  })
  .strict();

export const caseFileSchema = z
  .object({
    id: z.enum(caseIds),
    title: z.string().min(5),
    severity: z.enum(["low", "medium", "high", "critical"]),
    source: z.enum(["seed case 01", "seed case 02", "seed case 03", "inferred"]),
    scenario: z.string().min(40),
    idealBehaviour: z.string().min(40),
    rubric: z.array(criterionSchema).min(1),
    fixtures: z.array(fixtureRefSchema).min(3),
  })
  .strict();

export type CaseFile = z.infer<typeof caseFileSchema>;

export const expectationSchema = z
  .object({
    /** The stack the program runs as (its Pulumi.<stack>.yaml must exist). */
    stack: z.string().regex(/^[A-Za-z0-9._-]+$/, "a stack name"),
    case: z.enum(caseIds),
    verdict: z.enum(["pass", "fail"]),
    /** Policies that must fire (a blocking finding each) when the verdict is fail. */
    policies: z.array(policyName).default([]),
  })
  .strict()
  .refine((e) => (e.verdict === "fail" ? e.policies.length > 0 : e.policies.length === 0), {
    message: "a failing fixture names the policies that must fire; a passing one names none",
    path: ["policies"],
  });

export type Expectation = z.infer<typeof expectationSchema>;
