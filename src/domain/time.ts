// Times for pushes. The client reads what an operator types in local time and always sends an
// absolute time with an explicit offset (decision 6). The sandbox reads what the API accepts:
// ISO 8601 with Z or an offset, a naive wall-clock time in the device's plant time zone, or a
// relative duration.

const DURATION_PART = /(\d+(?:\.\d+)?)\s*(d|h|m|s)/gi;
const DURATION_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `30m`, `1.5h`, `2h`, `1h30m`, `90s` as milliseconds; undefined otherwise. */
export function parseRelativeDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?\s*[dhms]\s*)+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(DURATION_PART)) total += Number(match[1]) * DURATION_MS[match[2]];
  return Math.round(total);
}

const ABSOLUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/** ISO 8601 in local time with its explicit offset: 2026-06-10T22:00:00+01:00. */
export function formatWithOffset(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/**
 * What an operator types for --at/--start/--end, read in local time: ISO 8601 (with or without an
 * offset), `now`, `+30m` / `now+2h`, or `22:00` (today, or tomorrow once that time has passed).
 * With `base`, a bare duration (`3h`) counts from it, so `--end 3h` means three hours after start.
 */
export function parseTimeInput(text: string, now: Date, base?: Date): Date | undefined {
  const input = text.trim();
  if (input.toLowerCase() === 'now') return new Date(now);
  const relative = /^(?:now\s*)?\+\s*(.+)$/i.exec(input);
  if (relative) {
    const ms = parseRelativeDuration(relative[1]);
    return ms === undefined ? undefined : new Date(now.getTime() + ms);
  }
  if (base) {
    const ms = parseRelativeDuration(input);
    if (ms !== undefined) return new Date(base.getTime() + ms);
  }
  const clock = /^(\d{1,2}):(\d{2})$/.exec(input);
  if (clock) {
    const [hours, minutes] = [Number(clock[1]), Number(clock[2])];
    if (hours > 23 || minutes > 59) return undefined;
    const at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, minutes, 0, 0);
    if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
    return at;
  }
  if (ABSOLUTE.test(input)) {
    const ms = Date.parse(input);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  const naive = NAIVE.exec(input);
  if (naive) {
    const [, y, mo, d, h, mi, s] = naive.map(Number);
    const date = new Date(y, mo - 1, d, h, mi, s || 0, 0);
    return date.getMonth() === mo - 1 && date.getDate() === d ? date : undefined;
  }
  return undefined;
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds. */
/** The wall clock of `timeZone` at `instant`, read as if it were UTC (milliseconds). */
function wallClockAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

function zoneOffset(instant: number, timeZone: string): number {
  return wallClockAt(instant, timeZone) - Math.floor(instant / 1000) * 1000;
}

/** The instant a wall-clock time (given as if UTC) names in `timeZone`, daylight saving included. */
function wallClockToUtc(wall: number, timeZone: string): number {
  const first = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(first, timeZone);
}

/** The instant `minute` minutes after local midnight, on the local day of `dayOf` in `timeZone`. */
export function localMinuteToUtc(dayOf: number, minute: number, timeZone: string): number {
  const wall = wallClockAt(dayOf, timeZone);
  return wallClockToUtc(wall - (wall % 86_400_000) + minute * 60_000, timeZone);
}

/**
 * A time as the API reads it (decision 6): ISO with Z or an offset; a naive wall-clock time in the
 * device's plant time zone; or a relative duration from `now`. Undefined when unparseable.
 */
export function parseApiTime(text: string, now: Date, plantTimeZone: string): Date | undefined {
  const input = text.trim();
  const ms = parseRelativeDuration(input.replace(/^\+/, ''));
  if (ms !== undefined) return new Date(now.getTime() + ms);
  if (ABSOLUTE.test(input)) {
    const parsed = Date.parse(input);
    return Number.isNaN(parsed) ? undefined : new Date(parsed);
  }
  const naive = NAIVE.exec(input);
  if (!naive) return undefined;
  const [, y, mo, d, h, mi, s] = naive.map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || (s || 0) > 59) return undefined;
  return new Date(wallClockToUtc(Date.UTC(y, mo - 1, d, h, mi, s || 0), plantTimeZone));
}
