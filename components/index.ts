/** Public API of the components package. */
export {
  E2BEnvironment,
  sandboxPolicy,
  defaultKeyName,
  validateEnvironment,
  DEFAULT_MONITOR_BUNDLE,
} from "./environment";
export type { E2BEnvironmentArgs, E2BEnvironmentOptions } from "./environment";
export { E2BApiKey } from "./api-key/resource";
export type { E2BApiKeyArgs } from "./api-key/resource";
export {
  makeApiKeyProvider,
  apiKeyProvider,
  managementConfig,
  resolveManagementSettings,
} from "./api-key/provider";
export { E2BSecret } from "./e2b-secret/resource";
export type { E2BSecretArgs } from "./e2b-secret/resource";
export { makeSecretProvider, secretProvider, SECRET_KIND } from "./e2b-secret/provider";
export type { SecretInputs, SecretOutputs } from "./e2b-secret/provider";
export type { ApiKeyInputs, ApiKeyOutputs } from "./api-key/provider";
export { adapterFor, storeKey, storeKinds } from "./stores";
export type { SecretStoreAdapter, StoreRequest, StoredKey } from "./stores";
export { alarmSpecs, METRIC_NAMESPACE, metrics } from "./monitor/alarms";
