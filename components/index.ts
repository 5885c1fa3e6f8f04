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
export { makeApiKeyProvider, apiKeyProvider, managementConfig } from "./api-key/provider";
export type { ApiKeyInputs, ApiKeyOutputs } from "./api-key/provider";
export { adapterFor, storeKey, storeKinds } from "./stores";
export type { SecretStoreAdapter, StoreRequest, StoredKey } from "./stores";
export { alarmSpecs, METRIC_NAMESPACE, metrics } from "./monitor/alarms";
