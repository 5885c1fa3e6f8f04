/**
 * Whether a document embedded in a string can give a leaf scan anything: the scans of unknown and
 * env-var-named leaves (scanner.ts `scanLeaves`, e2b-06's walk) parse every document that mentions
 * E2B, and on real stacks most of those (IAM policies naming the key's secret, ConfigMap YAML) hold
 * neither a name nor an unknown value — parsing them, YAML above all, was a large part of the pack's
 * own CPU. A leaf in a parsed document is named only by a name written in the document's text (a
 * map key or an entry's `name`), or by the name the string itself sits under, and is unknown only if
 * the sentinel is written in it; escapes (`\u0041`, YAML `\x41`) can hide either, so a backslash
 * always counts. Conservative: true whenever the text might, so verdicts do not change.
 */
import { UNKNOWN_SENTINELS } from "./unknowns";
import type { WalkContext } from "./walk";

/** A standalone token an env-var name could be (walk.ts ENV_NAME: `^[A-Z][A-Z0-9_]*$`). */
const NAME_TOKEN = /(?:^|[^A-Za-z0-9_])[A-Z][A-Z0-9_]*(?![A-Za-z0-9_])/;
const SENTINELS = [...UNKNOWN_SENTINELS];

/** False only when no leaf of the document in `text` (under `ctx`) can be named or unknown. */
export function mayNameOrHideLeaves(text: string, ctx: WalkContext): boolean {
  if (ctx.envName !== null || text.includes("\\") || NAME_TOKEN.test(text)) return true;
  for (const s of SENTINELS) if (text.includes(s)) return true;
  return false;
}
