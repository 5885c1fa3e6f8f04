/** Durations as the CLI writes them: `90s`, `15m`, `2h`, `7d` (also combined: `1h30m`). */

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const DURATION = /^(?:\d+[smhd])+$/;

export type DurationResult = { ok: true; seconds: number } | { ok: false; error: string };

export function parseDuration(text: string): DurationResult {
  const t = text.trim().toLowerCase();
  if (!DURATION.test(t))
    return {
      ok: false,
      error: `"${text}" is not a duration: write a number and a unit s, m, h or d (e.g. 90s, 15m, 2h, 7d)`,
    };
  let seconds = 0;
  for (const m of t.matchAll(/(\d+)([smhd])/g)) seconds += Number(m[1]) * UNIT_SECONDS[m[2]];
  if (seconds <= 0) return { ok: false, error: `"${text}" must be longer than zero` };
  if (!Number.isSafeInteger(seconds))
    return { ok: false, error: `"${text}" is too long to count in seconds` };
  return { ok: true, seconds };
}

/** `2h 5m`, `7d 3h`, `15m`, `45s`: the two largest units, for messages and text reports. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m ${sec}s` : `${m}m`;
  return `${sec}s`;
}
