/**
 * Compatibility re-exports: the stack detectors now live in tree.ts (tree lookups), scanner.ts (the
 * scan of one resource), stack-index.ts (StackIndex) and run-state.ts (per-preview state). New code
 * imports from those modules.
 */
export { get, isObjectTree } from "./tree";
export {
  DYNAMIC_RESOURCE_TYPE,
  STACK_REFERENCE_TYPE,
  STACK_TYPE,
  isKeyResource,
  scanProps,
  scanRecord,
  type KeyHit,
  type LeafInfo,
  type RecordHit,
  type ResourceScan,
} from "./scanner";
export {
  StackIndex,
  type E2BEvidence,
  type EnvironmentResource,
  type GraphResourceLike,
  type IndexedResource,
  type ResourceLike,
} from "./stack-index";
export { DetectRun } from "./run-state";
