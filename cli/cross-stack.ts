/** Moved to scan/cross-stack.ts. */
export { withCrossStackFindings } from "../scan/cross-stack";
