// Times for pushes. What an operator types is read in one named zone (a time typed without a zone
// is a wall-clock time there) and always sent as an absolute time with that zone's offset
// (decision 6). The sandbox reads what the API accepts: ISO 8601 with Z or an offset, a naive
// wall-clock time in the device's plant time zone, or a relative duration.

import type { DeviceRead } from '../contract/devices.js';
import { readApiTime } from '../contract/api-time.js';
import { UsageError } from '../errors/failures.js';
import { databaseSpelling, localZoneName, tzNamed, zoneOfPath, zoneOffsetReader } from '../lib/zoneinfo.js';
import { calendarProblem, MAX_YEAR, MIN_YEAR } from '../lib/calendar.js';
import { readParts } from './duration.js';

/** Nothing an operator types for a push lies further ahead than this (the API's horizon is 30 days). */
export const MAX_AHEAD_MS = 400 * 86_400_000;

/**
 * How far the API's clock and this machine's may be apart, for decisions that compare the two: a
 * run's own actions are looked for from this much before its start, and an action is not taken
 * as done by absence until its start is this much past.
 */
export const CLOCK_MARGIN_MS = 5 * 60_000;

/** `30m`, `1.5h`, `2h`, `1h30m`, `90s` (duration.ts readParts) as milliseconds; undefined otherwise, or past MAX_AHEAD_MS. */
export function parseRelativeDuration(text: string): number | undefined {
  const length = readParts(text);
  return 'ms' in length && length.ms <= MAX_AHEAD_MS ? length.ms : undefined;
}

// RFC 3339's spellings, with or without a zone alike: `T`, `t` or a space between date and time; an
// offset of hours alone (`+01`) or with minutes (`+0100`, `+01:00`). The instant of one with a zone
// is read as the API's own times are (contract/api-time.ts readApiTime): Date.parse reads a space,
// a `t` or a `+01` as it pleases.
const ABSOLUTE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/i;

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

// ── Zones ─────────────────────────────────────────────────────────────────────────────────

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** No zone name is empty or longer than this: anything else is refused before any lookup. */
const plausibleZoneName = (name: string) => name.trim() !== '' && name.length <= 64;

/** True for an IANA zone name this runtime knows (`Europe/London`, `UTC`). */
export function isTimeZone(name: string): boolean {
  if (!plausibleZoneName(name)) return false;
  if (zoneOffsetReader(name)) return true;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The device's plant zone when its read names one amps knows; undefined otherwise. Asked only when
 * a time needs it: checking a name may cost Intl's first use.
 */
export function plantZone(device: Pick<DeviceRead, 'metadata'> | undefined): string | undefined {
  const zone = device?.metadata?.timeZone;
  return typeof zone === 'string' && isTimeZone(zone) ? zone : undefined;
}

/** Whose clock a device's times are read on, with no zone named: its plant zone, else this machine's, saying which and why. */
export type DeviceClockSource = 'the device\'s plant zone' | 'the local zone (the device names no plant zone)' | `the local zone (the device's plant zone '${string}' is not a zone amps knows)` | 'the local zone (the device was not read: --no-preflight)';

/** `device`: the device as read; undefined when it was not (--no-preflight), which is said as that. */
export function deviceOrLocalZone(device: Pick<DeviceRead, 'metadata'> | undefined, env: Record<string, string | undefined>): { name: string; source: DeviceClockSource } {
  if (device === undefined) return { name: localZone(env), source: 'the local zone (the device was not read: --no-preflight)' };
  const known = plantZone(device);
  if (known) return { name: known, source: 'the device\'s plant zone' };
  const plant = device?.metadata?.timeZone;
  // Said, not hidden: the time is then on this machine's clock, not the device's.
  if (typeof plant === 'string' && plant !== '') return { name: localZone(env), source: `the local zone (the device's plant zone '${plant.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}' is not a zone amps knows)` };
  return { name: localZone(env), source: 'the local zone (the device names no plant zone)' };
}

/**
 * The zone this process runs in (TZ, else the system's), as Intl reports it. A TZ that names no
 * zone (empty, `:`) is reported as `Etc/Unknown`, which Intl then refuses to format in: the
 * process's clock is UTC then (POSIX reads an empty TZ so, and so does Node's Date). A POSIX
 * fixed offset (`UTC+3`, `EST5`) Intl does not name at all, while Node's Date runs on it:
 * a whole-hour one is its Etc/GMT zone, so amps reads and shows times on the clock the operator
 * set. Any other (a part-hour offset, a rule with summer time) has no name amps can give: UTC,
 * said as such wherever a time says its clock.
 */
function localTimeZone(tz: string | undefined): string {
  const reported = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (reported && isTimeZone(reported)) return reported;
  return (tz !== undefined ? fixedOffsetZone(tz) : undefined) ?? 'UTC';
}

/** A POSIX TZ of a standard-time name and a whole-hour offset alone, as its Etc/GMT zone (POSIX's sign, west positive, is Etc's). */
function fixedOffsetZone(tz: string): string | undefined {
  const match = /^:?(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)([+-]?)(\d{1,2})$/.exec(tz);
  if (!match) return undefined;
  const hours = Number(match[2]);
  if (hours === 0) return 'UTC';
  const name = `Etc/GMT${match[1] === '-' ? '-' : '+'}${hours}`;
  return isTimeZone(name) ? name : undefined;
}

/** A zone the operator named: --tz, else AMPS_TZ; checked to be one. Undefined when neither is set. */
export function namedZone(tz: string | undefined, env: Record<string, string | undefined>): { name: string; source: '--tz' | 'AMPS_TZ' } | undefined {
  const hint = 'an IANA name such as Europe/London, America/New_York or UTC';
  // The zone's own spelling (utc is UTC, europe/london Europe/London): it is printed, and sent.
  if (tz !== undefined) {
    const name = canonicalZone(tz);
    if (!name) throw new UsageError(`--tz '${tz}' is not a time zone`, hint);
    return { name, source: '--tz' };
  }
  const fromEnv = env.AMPS_TZ;
  if (fromEnv === undefined) return undefined;
  // Given but empty (a CI secret that did not arrive): not "unset", which would read times on another clock.
  if (fromEnv.trim() === '') throw new UsageError('AMPS_TZ is set but empty', 'give it a zone (AMPS_TZ=Europe/London), or unset it to read times on the device\'s clock');
  const name = canonicalZone(fromEnv);
  if (!name) throw new UsageError(`AMPS_TZ '${fromEnv}' is not a time zone`, hint);
  return { name, source: 'AMPS_TZ' };
}

/**
 * A zone the operator typed, spelt as Intl spells it; undefined when Intl does not know it. Intl
 * decides here even for a zone the system's database has: the name is printed and sent, so it must
 * be one the runtime (and the API) agree on.
 */
function canonicalZone(typed: string): string | undefined {
  if (!plausibleZoneName(typed)) return undefined;
  let resolved: string;
  try {
    resolved = formatterFor(typed).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  // The same name in another case (utc, europe/london): ICU's spelling.
  if (resolved.toLowerCase() === typed.toLowerCase()) return resolved;
  // A name ICU knows by an older alias (Asia/Kolkata is its Asia/Calcutta, Europe/Kyiv its
  // Europe/Kiev): the name the operator typed, the same zone, spelt as the database spells it
  // (asia/kolkata, ASIA/KOLKATA: Asia/Kolkata; us/eastern: US/Eastern).
  const spelt = databaseSpelling(typed);
  if (spelt) return spelt;
  // No database here to ask: as typed when it reads as the database's spelling does (each part
  // capitalised, US and GB in capitals; a name of one part, EST5EDT or NZ-CHAT, in capitals), else
  // ICU's own name for the zone.
  if (!typed.includes('/')) return /[A-Z]/.test(typed) ? typed : resolved;
  return typed.split('/').every((part) => /^[A-Z]/.test(part) && (part.length <= 3 || part !== part.toUpperCase())) ? typed : resolved;
}

/** The zone times are shown in when no device says otherwise: AMPS_TZ, else the local zone. */
export function displayZone(env: Record<string, string | undefined>): string {
  return namedZone(undefined, env)?.name ?? localZone(env);
}

/**
 * This process's zone, as Intl names it: from TZ (a name, or the path of a zone file) or
 * /etc/localtime where that is certain (lib/zoneinfo.ts), else from Intl.
 */
export function localZone(env: Record<string, string | undefined>): string {
  const fromPath = zoneOfPath(env.TZ);
  if (fromPath !== undefined) return localZoneName(fromPath) ?? canonicalZone(fromPath) ?? localTimeZone(env.TZ);
  // A name ICU knows by an older alias (TZ=Asia/Kolkata, which Intl calls Asia/Calcutta): spelt as
  // the operator and the database spell it, as a --tz is. Only an Area/Location name spelt exactly
  // as the database's file (the C library finds none for asia/tokyo, and runs the clock on UTC),
  // and never a POSIX offset (GMT+3, three hours behind), which ICU reads the other way round.
  const named = tzNamed(env.TZ);
  const asFiled = named?.includes('/') && databaseSpelling(named) === named ? canonicalZone(named) : undefined;
  return localZoneName(env.TZ) ?? asFiled ?? localTimeZone(env.TZ);
}

/**
 * The wall clock of `timeZone` at `instant` (whole seconds), read as if it were UTC (milliseconds):
 * from the system's zone database where it has the zone (lib/zoneinfo.ts: Intl's first use costs
 * ~12 ms), else from Intl.
 */
export function wallClockAt(instant: number, timeZone: string): number {
  const offsetAt = zoneOffsetReader(timeZone);
  if (offsetAt) return Math.floor(instant / 1000) * 1000 + offsetAt(instant);
  const parts = formatterFor(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

function zoneOffset(instant: number, timeZone: string): number {
  return wallClockAt(instant, timeZone) - Math.floor(instant / 1000) * 1000;
}

const DAY_MS = 86_400_000;

/** How a wall-clock time became an instant: exactly, or across a daylight-saving change. */
interface WallResolution {
  instant: number;
  /** `gap`: the time does not exist that day (clocks went forward); `ambiguous`: it happens twice. */
  adjusted?: 'gap' | 'ambiguous';
  /** When it happens twice: the second time (`instant` is the first). */
  second?: number;
}

/**
 * The instant a wall-clock time (given as if UTC) names in `timeZone`. In a daylight-saving gap
 * the time moves forward by the gap (01:30 becomes 02:30); a time that happens twice is the first.
 */
function wallClockToInstant(wall: number, timeZone: string): WallResolution {
  // The offsets a day either side: the instant meant lies within 14 h of the wall time read as UTC
  // (offsets run from -12 to +14), so a change near it falls between the two. Half a day either
  // side missed it in zones more than 12 h ahead (Pacific/Auckland in summer, Pacific/Chatham),
  // and moved their gap times back, took the second of a time that happens twice, and called
  // times that happen once a gap.
  const before = zoneOffset(wall - DAY_MS, timeZone);
  const after = zoneOffset(wall + DAY_MS, timeZone);
  const candidates = [...new Set([wall - before, wall - after])].filter((t) => wallClockAt(t, timeZone) === wall).sort((a, b) => a - b);
  if (candidates.length === 1) return { instant: candidates[0] };
  if (candidates.length > 1) return { instant: candidates[0], adjusted: 'ambiguous', second: candidates[1] };
  return { instant: wall - before, adjusted: 'gap' };
}

/** The instant `minute` minutes after local midnight, on the local day of `dayOf` in `timeZone`. */
export function localMinuteToUtc(dayOf: number, minute: number, timeZone: string): number {
  const wall = wallClockAt(dayOf, timeZone);
  return wallClockToInstant(wall - (wall % 86_400_000) + minute * 60_000, timeZone).instant;
}

/** ISO 8601 in `timeZone` with its explicit offset: 2026-06-10T22:00:00+01:00. */
export function formatInZone(instant: number, timeZone: string): string {
  const wall = new Date(wallClockAt(instant, timeZone));
  const offset = Math.round(zoneOffset(instant, timeZone) / 60_000);
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/** `2026-06-10 22:00 Europe/London (21:00Z)`: whose clock, and the UTC instant (its date when it differs). */
export function describeInstant(instant: number, timeZone: string): string {
  const wall = new Date(wallClockAt(instant, timeZone));
  const utc = new Date(instant);
  const day = (d: Date) => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const clock = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${d.getUTCSeconds() ? `:${pad(d.getUTCSeconds())}` : ''}`;
  const utcText = day(utc) === day(wall) ? `${clock(utc)}Z` : `${day(utc)}T${clock(utc)}Z`;
  return `${day(wall)} ${clock(wall)} ${timeZone} (${utcText})`;
}

// ── What an operator types ────────────────────────────────────────────────────────────────

/** A time as typed, before any zone or clock is applied: syntax only. */
export type TimeText =
  | { kind: 'now' }
  | { kind: 'relative'; ms: number }
  | { kind: 'absolute'; instant: number }
  | { kind: 'wall'; date?: { year: number; month: number; day: number }; hour: number; minute: number; second: number };

/**
 * `now`; `+30m`, `now+2h`, `30m`, `1.5h` (from now, the docs' relative form); ISO 8601 with Z or an
 * offset; or a wall-clock time without a zone: `2026-06-10T22:00`, `22:00`. A reason when it is
 * none of these.
 */
export function parseTimeText(text: string): TimeText | { problem: string } {
  const input = text.trim();
  if (input.length > 64) return { problem: 'is too long to be a time' };
  if (input.toLowerCase() === 'now') return { kind: 'now' };
  const relative = /^(?:now\s*)?\+\s*(.+)$/i.exec(input);
  // A length (`30m`, `+1h30m`), read once: one too far ahead, or one that starts as a length and
  // slips, is said so; anything else may be a time of day or an ISO time.
  const length = readParts(relative ? relative[1] : input);
  if ('ms' in length && length.ms <= MAX_AHEAD_MS) return { kind: 'relative', ms: length.ms };
  if (relative || !('problem' in length && length.notParts)) {
    return 'problem' in length ? { problem: length.problem } : { problem: `lies more than ${MAX_AHEAD_MS / 86_400_000} days ahead` };
  }
  const clock = /^(\d{1,2}):(\d{2})$/.exec(input);
  if (clock) {
    const [hour, minute] = [Number(clock[1]), Number(clock[2])];
    if (hour > 23 || minute > 59) return { problem: 'is not a time of day' };
    return { kind: 'wall', hour, minute, second: 0 };
  }
  const absolute = ABSOLUTE.exec(input);
  if (absolute) {
    const problem = calendarProblem(absolute.slice(1, 7).map((field) => Number(field ?? 0)));
    if (problem) return { problem };
    const read = readApiTime(input);
    if (read === undefined) return { problem: 'has an offset that is none (hours 00-23, minutes 00-59)' };
    return { kind: 'absolute', instant: read.instant };
  }
  const naive = NAIVE.exec(input);
  if (naive) {
    const [, y, mo, d, h, mi, s] = naive.map(Number);
    const problem = calendarProblem([y, mo, d, h, mi, s || 0]);
    if (problem) return { problem };
    return { kind: 'wall', date: { year: y, month: mo, day: d }, hour: h, minute: mi, second: s || 0 };
  }
  // A year of five digits or more (10000-01-01) is a date past the range, said as the range, not as
  // no date at all.
  if (/^\d{5,}-\d{1,2}-\d{1,2}(?:[T ]|$)/i.test(input)) return { problem: `has a year outside ${MIN_YEAR}-${MAX_YEAR}` };
  return { problem: 'is not a time' };
}

interface ResolvedTime {
  instant: number;
  /** Set when the wall-clock time fell in a daylight-saving change: what was chosen, in words. */
  adjustment?: string;
  /** The time did not exist that day (the clocks went forward): `instant` is later than what was typed. */
  movedByGap?: boolean;
}

/**
 * The instant a typed time names: relative to `now`, or a wall-clock time in `timeZone` (a bare
 * clock time is today there, or tomorrow once it has passed). `now` resolves to `now`.
 */
export function resolveTimeText(time: TimeText, now: number, timeZone: string): ResolvedTime {
  switch (time.kind) {
    case 'now':
      return { instant: now };
    case 'relative':
      return { instant: now + time.ms };
    case 'absolute':
      return { instant: time.instant };
    case 'wall': {
      const today = new Date(wallClockAt(now, timeZone));
      const date = time.date ?? { year: today.getUTCFullYear(), month: today.getUTCMonth() + 1, day: today.getUTCDate() };
      let wall = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute, time.second);
      let resolved = wallClockToInstant(wall, timeZone);
      // The first time after `now`: on the night the clocks go back, the second 01:15 comes before tomorrow's.
      let which = 'the first';
      if (!time.date && resolved.instant <= now) {
        if (resolved.second !== undefined && resolved.second > now) {
          resolved = { instant: resolved.second, adjusted: 'ambiguous' };
          which = 'the second';
        } else {
          wall += 86_400_000;
          resolved = wallClockToInstant(wall, timeZone);
        }
      }
      if (!resolved.adjusted) return { instant: resolved.instant };
      const typed = `${new Date(wall).toISOString().slice(0, 16).replace('T', ' ')} ${timeZone}`;
      const adjustment = resolved.adjusted === 'gap'
        ? `${typed} does not exist (the clocks go forward then); using ${describeInstant(resolved.instant, timeZone)}`
        : `${typed} happens twice (the clocks go back then); using ${which}, ${describeInstant(resolved.instant, timeZone)}`;
      return { instant: resolved.instant, adjustment, ...(resolved.adjusted === 'gap' ? { movedByGap: true } : {}) };
    }
  }
}

/** A time the API reads as a length from its now (`30m`, `+1.5h`), in ms; undefined for any other. */
export function apiRelativeMs(text: string): number | undefined {
  return parseRelativeDuration(text.trim().replace(/^\+/, ''));
}

/**
 * A time as the API reads it (decision 6): ISO with Z or an offset; a naive wall-clock time in the
 * device's plant time zone; or a relative duration from `now`. Undefined when unparseable.
 */
export function parseApiTime(text: string, now: Date, plantTimeZone: string): Date | undefined {
  const input = text.trim();
  const ms = apiRelativeMs(input);
  if (ms !== undefined) return new Date(now.getTime() + ms);
  const absolute = ABSOLUTE.exec(input);
  if (absolute) {
    const parsed = readApiTime(input)?.instant;
    return parsed === undefined || calendarProblem(absolute.slice(1, 7).map((field) => Number(field ?? 0))) ? undefined : new Date(parsed);
  }
  const naive = NAIVE.exec(input);
  if (!naive) return undefined;
  const [, y, mo, d, h, mi, s] = naive.map(Number);
  if (calendarProblem([y, mo, d, h, mi, s || 0])) return undefined;
  return new Date(wallClockToInstant(Date.UTC(y, mo - 1, d, h, mi, s || 0), plantTimeZone).instant);
}
