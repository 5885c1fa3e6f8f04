/**
 * Waivers: exceptions listed in policy config, `{ policy, urn, reason, owner, expires }`.
 *
 * A finding a waiver covers is reported with enforcement level `advisory` and a trailer that
 * `parseWaiverMessage` reads back, so the CLI (which only sees diagnostics over gRPC) rebuilds
 * `Finding.waiver`. An expired waiver no longer applies: the finding keeps its level and says the
 * waiver expired. `urn` and `policy` are globs where `*` matches any run of characters (URNs contain
 * `/` inside type tokens, so path-style globbing would surprise).
 */
import { z } from "zod";
import { redactKeys } from "./detect/keys";
import { calendarDate } from "./model";
import type { Waiver } from "./report";

export const waiverSchema = z.object({
  policy: z
    .string()
    .min(1)
    .optional()
    .describe("Policy name or glob (default: the policy this entry is configured on)."),
  urn: z.string().min(1).describe("Resource URN or glob; `*` matches any characters."),
  reason: z.string().min(1),
  owner: z.string().min(1),
  expires: calendarDate(),
});
export type WaiverConfig = z.infer<typeof waiverSchema>;

export const waiversSchema = z
  .array(waiverSchema)
  .default([])
  .describe("Exceptions: findings of this policy on matching URNs are reported as waived until `expires`.");

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (const c of glob) re += c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // "s": a URN may hold any character (a stack or resource name with a newline), and `*` matches it too.
  return new RegExp(`^${re}$`, "s");
}

const compiled = new Map<string, RegExp>();
export function globMatch(glob: string, value: string): boolean {
  let re = compiled.get(glob);
  if (!re) compiled.set(glob, (re = globToRegExp(glob)));
  return re.test(value);
}

export type WaiverMatch = { waiver: WaiverConfig; expired: boolean };

/** Today as YYYY-MM-DD (UTC); a waiver is valid through its `expires` day. */
export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The first waiver covering this finding; unexpired waivers win over expired ones. */
export function matchWaiver(
  waivers: readonly WaiverConfig[],
  policy: string,
  urn: string,
  asOf: string = today(),
): WaiverMatch | undefined {
  let expired: WaiverConfig | undefined;
  for (const w of waivers) {
    if (w.policy && !globMatch(w.policy, policy)) continue;
    if (!globMatch(w.urn, urn)) continue;
    if (w.expires >= asOf) return { waiver: w, expired: false };
    expired ??= w;
  }
  return expired ? { waiver: expired, expired: true } : undefined;
}

const WAIVED_TRAILER =
  /\n\[waived\] owner=("(?:[^"\\]|\\.)*") expires=(\d{4}-\d{2}-\d{2}) reason=("(?:[^"\\]|\\.)*")$/;

/** The message of a waived finding: the original message plus a parseable trailer. */
export function waivedMessage(
  message: string,
  w: Pick<WaiverConfig, "owner" | "expires" | "reason">,
): string {
  return `${message}\n[waived] owner=${JSON.stringify(redactKeys(w.owner))} expires=${w.expires} reason=${JSON.stringify(redactKeys(w.reason))}`;
}

/** The message of a finding whose waiver expired: it applies again, and says so. */
export function expiredWaiverMessage(message: string, w: WaiverConfig): string {
  return `${message}\n[waiver expired] The waiver by ${redactKeys(w.owner)} ("${redactKeys(w.reason)}") expired on ${w.expires}; the finding applies again.`;
}

/** Read a waiver back from a diagnostic message; `message` is the message without the trailer. */
export function parseWaiverMessage(text: string): { message: string; waiver: Waiver } | null {
  const m = WAIVED_TRAILER.exec(text);
  if (!m) return null;
  try {
    return {
      message: text.slice(0, m.index),
      waiver: { owner: JSON.parse(m[1]) as string, expires: m[2], reason: JSON.parse(m[3]) as string },
    };
  } catch {
    return null;
  }
}
