// Times as the API writes them (ISO 8601 / RFC 3339), read into instants: one reader for every
// place amps reads one (the resume, the follower, the checks of an answer, what is shown).

import { calendarProblem } from '../lib/calendar.js';

/**
 * An ISO 8601 time: year, month, day, hour, minute, second and its fraction; its zone (`Z`, or an
 * offset `+01:00`, `+0100`, `+01`) is optional. `t` and `z` in lower case, and a space for the `T`, are read too (RFC 3339).
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * A time the API gives (an action's `start` or `createdAt`, a schedule's next fire) or a clock
 * record holds, read: its instant, and whether it named its zone; undefined when it is no time: a
 * moment of the calendar (lib/calendar.ts: not 2026-02-30, which Date.parse moves to March 2
 * without a word; years 1-9999), an offset within a day. One without its zone is UTC, as the docs'
 * responses are: read on this machine's zone, it would move by hours.
 */
export function readApiTime(text: unknown): { instant: number; zoned: boolean } | undefined {
  const parts = typeof text === 'string' ? ISO_TIME.exec(text) : null;
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map((part) => Number(part ?? 0));
  // From the year 1: a server's "no time" (Go's zero time, 0001-01-01) is a time that shows as such, not a broken answer.
  if (calendarProblem([year, month, day, hour, minute, second], 1)) return undefined;
  // Date.UTC reads the years 0-99 as 1900-1999: the year is set apart.
  const wall = new Date(Date.UTC(2000, month - 1, day, hour, minute, second)).setUTCFullYear(year);
  const [offsetHours, offsetMinutes] = [Number(parts[10] ?? 0), Number(parts[11] ?? 0)];
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offsetMs = (parts[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  // Whole milliseconds, as Date.parse takes them: a fraction's further digits are dropped (read as
  // a number, .9999999999999999999 would round up into the next second).
  const fractionMs = parts[7] === undefined ? 0 : Number(`${parts[7].slice(1)}00`.slice(0, 3));
  return { instant: wall + fractionMs - offsetMs, zoned: parts[8] !== undefined || parts[9] !== undefined };
}

/** What a time from the API that named no zone is shown with: how amps reads it (readApiTime), which the answer did not say. */
export const ZONELESS_READ = '(sent without a zone: read as UTC)';

/** The instant of a time the API gives (readApiTime), else undefined. */
export function apiInstant(text: unknown): number | undefined {
  return readApiTime(text)?.instant;
}
