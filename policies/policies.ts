/** Every policy of the pack, in run order. Importing this file does not start the pack (index.ts does). */
import { keyOnlyInKeyStores } from "./e2b-01-key-only-in-key-stores";
import { keyFromSecretStore } from "./e2b-01-key-from-secret-store";
import { noClientSideKey } from "./e2b-01-no-client-side-key";
import { distinctKeyPerEnvironment } from "./e2b-02-distinct-key-per-environment";
import { noCrossEnvironmentKeyReference } from "./e2b-02-no-cross-environment-key-reference";
import { sandboxProfileAndCost } from "./e2b-03-sandbox-profile-and-cost";
import { requiredSandboxMetadata } from "./e2b-03-required-sandbox-metadata";
import { leakAlarm } from "./e2b-03-leak-alarm";
import { timeoutCeiling } from "./e2b-04-timeout-ceiling";
import { budgetAlarm } from "./e2b-05-budget-alarm";
import { noKeyInSandbox } from "./e2b-06-no-key-in-sandbox";
import { workspaceIsolation } from "./e2b-07-workspace-isolation";
import { managementCredentialScope } from "./e2b-08-management-credential-scope";
import { keyRotation } from "./e2b-09-key-rotation";
import type { PackPolicy } from "./policy-dsl";

export const policies: PackPolicy[] = [
  keyOnlyInKeyStores,
  noClientSideKey,
  keyFromSecretStore,
  distinctKeyPerEnvironment,
  noCrossEnvironmentKeyReference,
  sandboxProfileAndCost,
  requiredSandboxMetadata,
  leakAlarm,
  timeoutCeiling,
  budgetAlarm,
  noKeyInSandbox,
  workspaceIsolation,
  managementCredentialScope,
  keyRotation,
] as PackPolicy[];
