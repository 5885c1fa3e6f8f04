/** The local E2B API server for tests: `startE2BServer()` plus its state and fault switches. */
export { startE2BServer, parseMetadataFilter } from "./server";
export type {
  E2BServer,
  E2BServerOptions,
  RequestLogEntry,
  RequestListener,
  ResponseRewriter,
} from "./server";
export { E2BState, hashKey, encodeCursor, decodeCursor, CLIENT_ID } from "./state";
export type {
  SandboxRecord,
  TeamRecord,
  ApiKeyRecord,
  SeedOptions,
  AddTeamOptions,
  SandboxState,
  TeamPlan,
} from "./state";
export { Faults } from "./faults";
export type { FaultSpec } from "./faults";
export { secretsOf, sandboxNetwork, sha256, addAccessToken } from "./network-secrets";
export type { SecretRecord, StoredNetwork } from "./network-secrets";
