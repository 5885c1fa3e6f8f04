/**
 * Offline preview: run a Pulumi TypeScript/JavaScript program for one stack in a child process and
 * return every registration as a ResourceGraph. No Pulumi CLI, no cloud credentials.
 */
export { runProgram, ProgramPool, ProgramError, type RunProgramOptions } from "./program-worker";
