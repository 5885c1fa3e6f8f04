/**
 * Former home of the policy DSL, the preview state and the report writer, now split into
 * policy-dsl.ts, preview-session.ts, analyzer-hooks.ts and report-file.ts. Kept so policy files
 * written against it still compile; new code imports from policy-dsl.ts.
 */
export {
  configSchemaOf,
  resourcePolicy,
  stackPolicy,
  type ConfigOf,
  type PackPolicy,
  type PolicyMeta,
  type ReportOptions,
  type Reporter,
  type ResourceContext,
  type StackContext,
} from "./policy-dsl";
export { PACK_NAME, PACK_VERSION } from "./pack-info";
