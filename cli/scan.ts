/** The scan session moved to scan/session.ts (the room between the engine and the reports). */
export * from "../scan/session";
