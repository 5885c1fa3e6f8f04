/** Defaults the command definitions and the commands share, in a module light enough for start-up. */

/** `--organization`'s default: a placeholder, which an organization named in `--stack` replaces. */
export const DEFAULT_ORGANIZATION = "organization";
