/**
 * The example program in docs/components.md runs as written (under Pulumi mocks), so the guide a
 * platform engineer copies from cannot drift from the component's API.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { E2B_ENVIRONMENT_TYPE } from "../../policies/model";
import { PLANTED_KEY, occurrences, one, record } from "./support/harness";

const root = path.resolve(__dirname, "../..");

test("the docs example registers an E2BEnvironment and keeps the key in the store", async () => {
  const doc = readFileSync(path.join(root, "docs/components.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(code).toContain("new E2BEnvironment(");
  const dir = path.join(root, "test-output/docs-example");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "index.ts");
  // The example imports `../components` relative to a program in the repository's root folder.
  writeFileSync(
    file,
    code!.replace(`from "../components"`, `from ${JSON.stringify(path.join(root, "components"))}`),
  );
  let exported: Record<string, unknown> = {};
  const resources = await record(() => {
    exported = require(file);
  });
  const env = one(resources, E2B_ENVIRONMENT_TYPE);
  expect(env.inputs).toMatchObject({ name: "prod", tier: "production", key: { source: "managed" } });
  expect([...new Set(occurrences(resources, PLANTED_KEY).map((h) => h.type))]).toEqual([
    "aws:secretsmanager/secretVersion:SecretVersion",
  ]);
  expect(Object.keys(exported).sort()).toEqual([
    "e2bKeyFingerprint",
    "e2bMonthlyCostUsd",
    "e2bSandboxPolicy",
    "e2bSecretArn",
  ]);
});
