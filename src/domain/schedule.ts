// Schedules as an operator types them: `--slot '01:00/5h charge --target 100%'`, read into the
// API's slots (an ISO 8601 duration, the command and its typed quantities), and the fire times
// they lead to, in a zone, across daylight-saving changes.

import type { FlatSlot, NestedSlot } from '../contract/schedules.js';
import { UsageError } from '../errors/failures.js';
import { isRecord } from '../lib/values.js';
import { parseDuration, readParts } from './duration.js';
import { parseQuantityFlags, QUANTITY_FLAGS, type TypedQuantity } from './action.js';
import { quantityText } from './quantity.js';
import { resolveTimeText, wallClockAt } from './time.js';

/** A slot as typed: the wall time, the length, the command and its quantities (units not yet fitted). */
export interface TypedSlot {
  text: string;
  hour: number;
  minute: number;
  durationMs: number;
  command: string;
  quantities: Record<string, TypedQuantity>;
}

/** What may follow a slot's command. */
const SLOT_FLAGS = '--power, --target, --reserve, --param NAME=VALUE';
const SLOT_HINT = "e.g. --slot '01:00/5h charge --target 100%' (a time of day, /, a length, the command and its flags)";

/** `01:00/5h charge --target 100% --param heatSetpoint=19c`. */
export function parseSlot(text: string): TypedSlot {
  // `--power=5kw` as the command line takes it: the flag and its value, two words.
  const words = text.trim().split(/\s+/).filter(Boolean).flatMap((word) => (/^--[a-z]+=/.test(word) ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word]));
  const head = /^(\d{1,2}):(\d{2})\/(.+)$/.exec(words[0] ?? '');
  if (!head) throw new UsageError(`--slot '${text}' does not start with TIME/LENGTH`, SLOT_HINT);
  const [hour, minute] = [Number(head[1]), Number(head[2])];
  if (hour > 23 || minute > 59) throw new UsageError(`--slot '${text}': ${head[1]}:${head[2]} is not a time of day`, SLOT_HINT);
  // A bare number is a length in nothing an operator says of a slot (it would be read as seconds).
  if (/^[\d.]+$/.test(head[3])) throw new UsageError(`--slot '${text}': the length '${head[3]}' has no unit`, `write it with one: ${head[3]}m, or in hours, e.g. 2h`);
  const durationMs = parseDuration(head[3]);
  // Parts that break the one grammar (`1h90m`) say how, as --at's do.
  const parts = durationMs === undefined ? readParts(head[3]) : undefined;
  if (parts && 'problem' in parts && !parts.notParts) throw new UsageError(`--slot '${text}': '${head[3]}' ${parts.problem}`, SLOT_HINT);
  if (durationMs === undefined || durationMs < 60_000 || durationMs > 86_400_000) throw new UsageError(`--slot '${text}': '${head[3]}' is not a length from 1m to 24h`, SLOT_HINT);
  // The API's durations here are hours and minutes: 90s would be sent as PT2M.
  if (durationMs % 60_000 !== 0) throw new UsageError(`--slot '${text}': '${head[3]}' is not a whole number of minutes`, SLOT_HINT);
  const command = words[1];
  if (!command || command.startsWith('-')) throw new UsageError(`--slot '${text}' names no command`, SLOT_HINT);
  const named: Record<string, string | undefined> = {};
  const params: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const flag = words[i];
    const value = words[i + 1];
    if (!flag.startsWith('--')) {
      // A word where a flag goes: after a value, `--power 5 kw` split the value in two.
      if (i > 2) throw new UsageError(`--slot '${text}': '${flag}' is no slot flag, and follows a value: a value in a slot is one word`, 'write it without spaces: --power 5kw, --target 90%');
      throw new UsageError(`--slot '${text}': '${flag}' is not a slot flag (${SLOT_FLAGS})`, SLOT_HINT);
    }
    const quantity = (QUANTITY_FLAGS as readonly string[]).includes(flag.slice(2));
    // A flag of the command line inside the quotes (`--daily`) is no slot flag, whatever follows it.
    if (!quantity && flag !== '--param') throw new UsageError(`--slot '${text}': '${flag}' is not a slot flag (${SLOT_FLAGS})`, flag === '--daily' ? 'give --daily outside the slot\'s quotes: it is the schedule\'s' : SLOT_HINT);
    if (value === undefined) throw new UsageError(`--slot '${text}': ${flag} has no value`, SLOT_HINT);
    if (quantity) {
      const name = flag.slice(2);
      if (named[name] !== undefined) throw new UsageError(`--slot '${text}': ${flag} is given twice`);
      named[name] = value;
    } else params.push(value);
    i++;
  }
  return { text, hour, minute, durationMs, command, quantities: parseQuantityFlags(named, params) };
}

/** `PT5H`, `PT1H30M`: the API's durations. */
export function isoDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `PT${hours ? `${hours}H` : ''}${rest || !hours ? `${rest}M` : ''}`;
}

/**
 * Milliseconds of an ISO 8601 duration of fixed length: `PT5H`, `PT90M`, `PT1H30M`, `PT1.5H`, and
 * the days and weeks another server may answer with (`P1D` for `PT24H`: a day of a slot is 24
 * hours). Undefined for anything else, years and months included (their length depends on when).
 */
export function parseIsoDuration(text: string): number | undefined {
  const number = '(\\d+(?:[.,]\\d+)?)';
  const match = new RegExp(`^P(?:${number}W)?(?:${number}D)?(?:T(?:${number}H)?(?:${number}M)?(?:${number}S)?)?$`).exec(text);
  if (!match || match.slice(1).every((part) => part === undefined) || text.endsWith('T')) return undefined;
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number((part ?? '0').replace(',', '.')));
  return Math.round(((((weeks! * 7 + days!) * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000);
}

export function slotTime(slot: { hour: number; minute: number }): string {
  return `${String(slot.hour).padStart(2, '0')}:${String(slot.minute).padStart(2, '0')}`;
}

/**
 * The fire times of a slot's HH:MM after `after`, in `timeZone`: one a day, each day's HH:MM as the
 * wall clock says. A slot fires once a day on the days the clocks change too: at the first of a
 * time that happens twice (the clocks go back), at the moved time of one that does not happen (they
 * go forward).
 */
export function nextFires(time: string, timeZone: string, after: number, count: number): Array<{ instant: number; adjustment?: string }> {
  const [hour, minute] = time.split(':').map(Number);
  const fires: Array<{ instant: number; adjustment?: string }> = [];
  // Days as the zone's calendar has them, counted on a UTC date: the wall clock at `after`, then one more each time.
  const day = new Date(wallClockAt(after, timeZone));
  while (fires.length < count) {
    const date = { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate() };
    const resolved = resolveTimeText({ kind: 'wall', hour, minute, second: 0, date }, after, timeZone);
    if (resolved.instant > after) fires.push({ instant: resolved.instant, ...(resolved.adjustment ? { adjustment: resolved.adjustment } : {}) });
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return fires;
}

function isParameters(value: unknown): boolean {
  return value === undefined || (isRecord(value) && Object.values(value).every((q) => isRecord(q) && typeof q.unit === 'string' && (typeof q.value === 'number' || typeof q.value === 'string')));
}

/** A slot in either wire form, whole: what amps reads of one (an answer's, a state file's) before it shows or fires it. */
export function isSlot(value: unknown): value is FlatSlot | NestedSlot {
  if (!isRecord(value) || typeof value.time !== 'string' || typeof value.duration !== 'string') return false;
  if ('action' in value) return isRecord(value.action) && typeof value.action.command === 'string' && isParameters(value.action.parameters);
  return typeof value.command === 'string' && isParameters(value.parameters);
}

/** A slot in either wire form, as one shape. */
export function slotParts(slot: FlatSlot | NestedSlot): { time: string; duration: string; command: string; parameters?: FlatSlot['parameters'] } {
  return 'action' in slot ? { time: slot.time, duration: slot.duration, command: slot.action.command, parameters: slot.action.parameters } : slot;
}

/** A field of a schedule the API answered other than it was sent: `timezone`, `recurrence`, `slots`, `slots[1].time`, `slots[0].parameters.target`; null: none. */
export interface ScheduleChange {
  field: string;
  sent: string | number | null;
  got: string | number | null;
}

/**
 * A schedule's recurrence in a word: `once` (none), `daily`, or the rule as the API names it,
 * `{rule: 'daily'}` as the docs show it, or a bare `'daily'` as a server may send it.
 */
export function recurrenceText(recurrence: unknown): string {
  if (recurrence === null || recurrence === undefined) return 'once';
  if (typeof recurrence === 'string') return recurrence;
  return isRecord(recurrence) && typeof recurrence.rule === 'string' ? recurrence.rule : 'unknown';
}

/** Whether two quantities are one: the same number (50 and "50"), in the same unit (in any case). */
function sameQuantity(a: { value: number | string; unit: string }, b: { value: number | string; unit: string }): boolean {
  if (a.unit.toLowerCase() !== b.unit.toLowerCase()) return false;
  return a.value === b.value || (String(a.value).trim() !== '' && Number(a.value) === Number(b.value));
}

/** Whether two zone names are one zone (`US/Eastern` and `America/New_York`, `utc` and `UTC`), as ICU reads them. */
function sameZone(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const canonical = (zone: string) => new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
    return canonical(a) === canonical(b);
  } catch {
    return false;
  }
}

/**
 * What the API changed of the schedule it was sent: its zone (every slot's time is read there; a
 * missing one is none), its recurrence (a daily schedule answered as one that fires once, or
 * weekly), the number of slots, or a slot's time, length, command or a parameter (slots compared
 * in the order of their times, as the API may list them in another; `01:00` and `01:00:00`,
 * `PT1H` and `PT60M`, `US/Eastern` and `America/New_York`, 50 and "50" are the same). Empty when
 * it kept them.
 */
export function scheduleChanges(
  sent: { timezone: string; recurrence?: unknown; slots: Array<FlatSlot | NestedSlot> },
  got: { timezone?: string | null; recurrence?: unknown; slots: Array<FlatSlot | NestedSlot> },
): ScheduleChange[] {
  const changes: ScheduleChange[] = [];
  const zone = typeof got.timezone === 'string' ? got.timezone : null;
  if (zone === null || !sameZone(zone, sent.timezone)) changes.push({ field: 'timezone', sent: sent.timezone, got: zone });
  if (recurrenceText(got.recurrence) !== recurrenceText(sent.recurrence)) changes.push({ field: 'recurrence', sent: recurrenceText(sent.recurrence), got: recurrenceText(got.recurrence) });
  if (got.slots.length !== sent.slots.length) return [...changes, { field: 'slots', sent: sent.slots.length, got: got.slots.length }];
  const minuteOf = (time: string) => /^(\d{2}):(\d{2})(?::00)?$/.exec(time)?.slice(1, 3).join(':') ?? time;
  const byTime = <T extends { time: string }>(slots: T[]) => [...slots].sort((a, b) => minuteOf(a.time).localeCompare(minuteOf(b.time)));
  const answeredSlots = byTime(got.slots.map(slotParts));
  // Named by its place in what was sent: the slot as the operator gave it.
  byTime(sent.slots.map((slot, index) => ({ ...slotParts(slot), index }))).forEach((slot, rank) => {
    const answered = answeredSlots[rank];
    const field = (name: string) => `slots[${slot.index}].${name}`;
    if (minuteOf(answered.time) !== minuteOf(slot.time)) changes.push({ field: field('time'), sent: slot.time, got: answered.time });
    const length = parseIsoDuration(answered.duration);
    if (length === undefined || length !== parseIsoDuration(slot.duration)) changes.push({ field: field('duration'), sent: slot.duration, got: answered.duration });
    if (answered.command !== slot.command) changes.push({ field: field('command'), sent: slot.command, got: answered.command });
    const [sentParameters, gotParameters] = [slot.parameters ?? {}, answered.parameters ?? {}];
    for (const name of new Set([...Object.keys(sentParameters), ...Object.keys(gotParameters)])) {
      const [before, after] = [Object.hasOwn(sentParameters, name) ? sentParameters[name] : undefined, Object.hasOwn(gotParameters, name) ? gotParameters[name] : undefined];
      if (before !== undefined && after !== undefined && sameQuantity(before, after)) continue;
      changes.push({ field: field(`parameters.${name}`), sent: before === undefined ? null : quantityText(before), got: after === undefined ? null : quantityText(after) });
    }
  });
  return changes;
}
