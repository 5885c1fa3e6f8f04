export {
  AnalyzerHost,
  type AnalysisResult,
  type AnalyzerInfo,
  type Diagnostic,
  type PolicyInfo,
} from "./analyzer-host";
export { InputError } from "./errors";
export * from "./graph";
export { runProgram, ProgramPool, ProgramError, type RunProgramOptions } from "./program-runner";
export { loadStateExport, parseStateExport, OPAQUE_SECRET } from "./state-loader";
export { readPolicyConfigFile, reconcilePolicyConfig } from "./policy-config";
