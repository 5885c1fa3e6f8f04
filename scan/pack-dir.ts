import path from "node:path";

/** Our policy pack's folder: the pack every command uses unless `--policy-pack` names another. */
export const defaultPackDir = path.resolve(__dirname, "../policies");
