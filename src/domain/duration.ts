// Lengths of time as people type them, one grammar wherever amps reads one (`--timeout`,
// `--wait-timeout`, a push's `--at`/`--end`, a schedule slot's length): a number and a unit
// (`500ms`, `30s`, `2m`, `1.5h`, `1d`), or parts largest first (`1h30m`, `1d2h`, `2m30s`). Where
// a bare number is read (as seconds) and which units a place takes are its caller's to say.

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

const ONE_UNIT = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)?\s*$/i;

// Days, hours, minutes, seconds, each at most once and in that order, so `1h30m` is read as said;
// `1h1h` or `30m1h` is a slip, not a sum, and is refused. The API's relative times are spelt so.
const PARTS = /^(?=\d)(?:(\d+(?:\.\d+)?)\s*d\s*)?(?:(\d+(?:\.\d+)?)\s*h\s*)?(?:(\d+(?:\.\d+)?)\s*m\s*)?(?:(\d+(?:\.\d+)?)\s*s\s*)?$/;
const PART_MS = [86_400_000, 3_600_000, 60_000, 1000];
/** How many of each unit make the one before it: past that, a part belongs to the larger unit (`1h60m` is 2h). */
const PART_LIMIT = [Infinity, 24, 60, 60];

/** Past this, text is no length anyone typed: refused before any pattern runs. */
const MAX_LENGTH_TEXT = 64;

/** Text that starts as a length does (a number, then a unit's letter): one refused is a slip in the length, worth saying how. */
const LENGTH_START = /^\d+(\.\d+)?\s*[dhms]/;

/**
 * `1h30m`, `30m`, `1.5h`, `90s`, `1d2h` (days, hours, minutes and seconds, the API's relative form)
 * as milliseconds, or why it is no such length. `notParts` when the text does not even start as a
 * length, so a caller can try it as something else (a time of day, an ISO time) or say it plainly.
 */
export function readParts(text: string): { ms: number } | { problem: string; notParts?: true } {
  const trimmed = text.trim().toLowerCase();
  const match = trimmed.length > MAX_LENGTH_TEXT ? null : PARTS.exec(trimmed);
  if (!match) return { problem: 'is not a length of time: each of d, h, m and s at most once, largest first, as in 1h30m', ...(LENGTH_START.test(trimmed) ? {} : { notParts: true as const }) };
  const given = match.slice(1, 5).map((part, i) => ({ part, i })).filter((p): p is { part: string; i: number } => p.part !== undefined);
  const asSaid = given.every(({ part, i }, k) => (k === given.length - 1 || !part.includes('.')) && (k === 0 || Number(part) < PART_LIMIT[i]!));
  if (!asSaid) return { problem: 'is not a length as one says it: only the last part may have a fraction, and 24h, 60m or 60s is the larger unit (1d2h, not 1d26h; 1h30m, not 1.5h30m)' };
  const total = given.reduce((sum, { part, i }) => sum + Number(part) * PART_MS[i]!, 0);
  return Number.isFinite(total) ? { ms: Math.round(total) } : { problem: 'is too long a length of time' };
}

/** Milliseconds, or undefined when the text is not a length: one unit (a bare number is seconds), or parts as readParts reads them. */
export function parseDuration(text: string): number | undefined {
  const match = text.length > MAX_LENGTH_TEXT ? null : ONE_UNIT.exec(text);
  if (match) return Math.round(Number(match[1]) * UNITS[(match[2] ?? 's').toLowerCase()]!);
  const parts = readParts(text);
  return 'ms' in parts ? parts.ms : undefined;
}

export function formatDuration(ms: number): string {
  // A measured wait (228.849…) is said in whole milliseconds.
  ms = Math.round(ms);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  // Whole days past two are said in days, as typed (`--wait-timeout 24d`), not as 576 h.
  if (ms >= 2 * 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  return `${(ms / 3_600_000).toFixed(1).replace(/\.0$/, '')} h`;
}
