// Building a push body from what an operator typed: Quantity flags (converted to the unit the
// device declares), times (read in one named zone), a conflict strategy, the sandbox directive.
// Syntax problems are usage errors here, before anything is sent; the device's own limits are
// checked by the preflight (capabilities.ts).

import type { PushBody, SandboxDirective, Strategy } from '../contract/actions.js';
import type { ParameterSpec, Quantity } from '../contract/devices.js';
import { UsageError } from '../errors/failures.js';
import { own, setOwn } from '../lib/values.js';
import { apiUnitFor, convertQuantity, parseQuantity, quantityText, roundsToNone, type TypedUnit } from './quantity.js';
import { describeInstant, formatInZone, MAX_AHEAD_MS, parseRelativeDuration, parseTimeText, resolveTimeText, type TimeText, wallClockAt } from './time.js';
import { MAX_YEAR } from '../lib/calendar.js';

/** A quantity as typed: the unit may still be missing, to be taken from the device. */
export interface TypedQuantity {
  value: number;
  unit?: TypedUnit;
  text: string;
  /** How it was typed (`--power`, `--param heatSetpoint`), for the lines that name it. */
  flag?: string;
}

/** The longest parameter name amps sends; the API's names are a few words at most. */
const MAX_NAME_LENGTH = 64;

/** The quantity flags a push and a slot take by name (`--power 5kw`); any other parameter is `--param NAME=VALUE`. */
export const QUANTITY_FLAGS = ['power', 'target', 'reserve'] as const;

/**
 * `--power 5kw`, `--target 90%`, `--param heatSetpoint=21c`: name -> value, syntax checked. `namedAs`
 * says how a named one was given, in the lines about it (a fleet row's column, not a flag).
 */
export function parseQuantityFlags(named: Record<string, string | undefined>, params: string[], namedAs: (name: string) => string = (name) => `--${name}`): Record<string, TypedQuantity> {
  const result: Record<string, TypedQuantity> = {};
  const add = (name: string, text: string, flag: string) => {
    const parsed = parseQuantity(text);
    if (!parsed) throw new UsageError(`${flag} '${text}' is not a quantity`, 'write a number and a unit, e.g. 5kw, 3500w, 90%, 21c, 70f, 16a');
    if (Object.hasOwn(result, name)) throw new UsageError(`the parameter ${name} is given twice`);
    setOwn(result, name, { ...parsed, text, flag });
  };
  for (const [name, text] of Object.entries(named)) if (text !== undefined) add(name, text, namedAs(name));
  for (const pair of params) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    if (eq <= 0 || name === '') throw new UsageError(`--param '${pair}' is not NAME=VALUE`, 'e.g. --param heatSetpoint=21c');
    if (name.length > MAX_NAME_LENGTH || !/^[A-Za-z][A-Za-z0-9_.]*$/.test(name)) throw new UsageError(`--param: '${name}' is not a parameter name`, 'letters, digits, _ and .; e.g. heatSetpoint');
    add(name, pair.slice(eq + 1), `--param ${name}`);
  }
  return result;
}

/**
 * Whether an action the API holds is this push: the same command, a value for each typed quantity
 * and no other (in any unit of its dimension, to a thousandth; one typed without a unit, by its
 * number), and a start and an end where the push has them. A resume asks it of a device's recent
 * actions: the same command with other values, or another shape, is another run's action.
 */
export function actionMatches(
  action: { command: string; parameters: Record<string, { value: number; unit: string }> | null; start: string | null; end: string | null },
  command: string,
  typed: Record<string, TypedQuantity>,
  times: { start?: number; end?: number },
): boolean {
  if (action.command !== command) return false;
  // Only whether it has them: the API may have moved them (queue_after, a slot boundary).
  if ((times.start !== undefined && action.start === null) || (times.end !== undefined && action.end === null)) return false;
  const held = action.parameters ?? {};
  if (Object.keys(held).length !== Object.keys(typed).length) return false;
  return Object.entries(typed).every(([name, q]) => {
    const value = own(held, name);
    if (!value || typeof value.value !== 'number') return false;
    if (q.unit === undefined) return Math.abs(value.value - q.value) < 0.001;
    // The typed value in the held unit, rounded as the body rounded it (fitQuantities): 2345.5 W
    // went as 2.346 kW, 71 °F as 21.667 °C. Converting the held value back would miss those.
    const sent = convertQuantity({ value: q.value, unit: q.unit }, typeof value.unit === 'string' ? value.unit.toLowerCase() : '');
    return sent !== undefined && Math.abs(sent.value - value.value) < 0.0005 + 1e-9;
  });
}

/** A quantity amps changed to the unit the device declares, to show beside what was typed. */
export interface Conversion {
  name: string;
  typed: string;
  sent: Quantity;
  /** How it was typed, when a flag typed it. */
  flag?: string;
  /** Whether the unit is the device's (read) or the docs' own for the typed one (the device not read, or silent on it). */
  byDevice: boolean;
  /** Typed as a bare number, read in the device's unit: said, since `export_limit=0.5` meant as kW goes as 0.5 watts. */
  unitless?: boolean;
}

/**
 * Fits typed quantities to the units the device declares (its commands or settings map): a
 * missing unit is taken from the device, a unit of the same dimension is converted, any other
 * unit is sent as typed for the preflight or the API to refuse with UNSUPPORTED_UNIT. Without a
 * declared unit, Wh and mA are sent as kWh and amps.
 */
export function fitQuantities(
  typed: Record<string, TypedQuantity>,
  declared: Record<string, ParameterSpec> | undefined,
  flagFor: (name: string) => string = (name) => own(typed, name)?.flag ?? `--${name}`,
): { values: Record<string, Quantity>; conversions: Conversion[] } {
  const values: Record<string, Quantity> = {};
  const conversions: Conversion[] = [];
  for (const [name, q] of Object.entries(typed)) {
    const unit = declared ? own(declared, name)?.unit : undefined;
    if (q.unit === undefined) {
      if (!unit) throw new UsageError(`${flagFor(name)} ${q.text} needs a unit`, 'e.g. 5kw, 90%, 21c (or let the preflight read the unit from the device)');
      setOwn(values, name, { value: q.value, unit });
      conversions.push({ name, typed: q.text, sent: { value: q.value, unit }, flag: q.flag, byDevice: true, unitless: true });
      continue;
    }
    const target = unit ?? apiUnitFor(q.unit);
    const converted = convertQuantity({ value: q.value, unit: q.unit }, target);
    // Rounded to thousandths, a value too small for the device's unit would go as 0: another command.
    if (roundsToNone({ value: q.value, unit: q.unit }, target)) {
      throw new UsageError(`${flagFor(name)} ${quantityText({ value: q.value, unit: q.unit })} is 0 ${target} to the thousandth amps sends (${unit !== undefined ? 'the unit the device declares' : 'the API\'s unit for it'}), so it would go as 0`, 'a 0 is sent only when typed as 0');
    }
    setOwn(values, name, converted ?? { value: q.value, unit: q.unit });
    if (converted && converted.unit !== q.unit) conversions.push({ name, typed: quantityText({ value: q.value, unit: q.unit }), sent: converted, flag: q.flag, byDevice: unit !== undefined });
  }
  return { values, conversions };
}

/** `--power 3500 W sent as 3.5 kw (the unit the device declares)`. */
export function conversionLine(conversion: Conversion, flag = conversion.flag ?? `--${conversion.name}`): string {
  const why = conversion.unitless ? 'no unit typed: the unit the device declares' : conversion.byDevice ? 'the unit the device declares' : 'the API\'s unit for it; no device unit was read';
  return `${flag} ${conversion.typed} sent as ${conversion.sent.value} ${conversion.sent.unit} (${why})`;
}

// ── Times ─────────────────────────────────────────────────────────────────────────────────

interface TimeFlags {
  at?: string;
  start?: string;
  end?: string;
}

/** The time flags, syntax checked; `end` may be a length after the start (`--end 3h`). */
export interface ParsedTimes {
  at?: TimeText;
  start?: TimeText;
  end?: TimeText | { kind: 'length'; ms: number };
}

const TIME_HINT = 'use 22:00, 2026-06-10T22:00, 2026-06-10T22:00+01:00, now, +30m or 1.5h; --end also takes a length after --start, such as 3h';

/**
 * The time flags read. `typed`: as the operator typed them, where a --start alone is refused: a
 * start alone is a scheduled push, which holds the device in that mode until the next push; --at
 * says so, and --start alone is a window whose end was forgotten. A resume reads a ledger's flags
 * with `typed` false: a run an earlier amps made with a start alone is continued as it was sent.
 */
export function parseTimeFlags(flags: TimeFlags, { typed = true }: { typed?: boolean } = {}): ParsedTimes {
  if (flags.at !== undefined && (flags.start !== undefined || flags.end !== undefined)) {
    throw new UsageError('--at schedules one start; use --start and --end for a window, not both');
  }
  if (flags.end !== undefined && flags.start === undefined) throw new UsageError('--end needs --start (a window has both ends)');
  const read = (text: string, flag: string): TimeText => {
    const parsed = parseTimeText(text);
    if ('problem' in parsed) throw new UsageError(`${flag} '${text}' ${parsed.problem}`, TIME_HINT);
    return parsed;
  };
  const parsed: ParsedTimes = {};
  if (flags.at !== undefined) parsed.at = read(flags.at, '--at');
  if (flags.start !== undefined) parsed.start = read(flags.start, '--start');
  if (typed && flags.start !== undefined && flags.end === undefined) throw new UsageError('--start needs --end (a window has both ends)', `a push that starts then and holds until the next one is --at: --at ${flags.start}`);
  if (flags.end !== undefined) {
    const length = /^\s*\+/.test(flags.end) ? undefined : parseRelativeDuration(flags.end);
    parsed.end = length !== undefined ? { kind: 'length', ms: length } : read(flags.end, '--end');
  }
  return parsed;
}

/** Starts amps gives a `now` so that the API, whose clock has moved on by then, still reads a future start. */
const NOW_MARGIN_MS = 60_000;

export interface ResolvedTimes {
  start?: number;
  end?: number;
  /** What an operator should know about how a time was read: daylight saving, `now`. */
  notes: string[];
}

/**
 * The instants the flags name, wall-clock times read in `zone`. `--at now` is an immediate
 * push, unless the command can only be scheduled (then a start a minute ahead); `--start now`
 * opens the window a minute ahead. Both say so in `notes`.
 */
/** True when a typed time is a wall-clock time with no zone: whose clock it is on must be decided. */
export function hasWallClockTime(parsed: ParsedTimes): boolean {
  return [parsed.at, parsed.start, parsed.end].some((time) => time?.kind === 'wall');
}

export function resolveTimes(parsed: ParsedTimes, now: number, zone: { readonly name: string }, execution?: readonly string[]): ResolvedTimes {
  const notes: string[] = [];
  // The body carries whole seconds (formatInZone): the instants amps reports, records and reruns are those.
  const whole = (instant: number) => Math.floor(instant / 1000) * 1000;
  let startMovedByGap = false;
  const resolve = (time: TimeText, flag: string, from = now) => {
    // The zone is read here, when a time needs it: deciding it may cost ICU's start (push/body.ts zoneFor).
    const resolved = resolveTimeText(time, from, zone.name);
    if (resolved.adjustment) notes.push(`${flag}: ${resolved.adjustment}`);
    if (flag === '--start' && resolved.movedByGap) startMovedByGap = true;
    // A dated time too: the API takes none this far ahead (START_OUT_OF_RANGE after the send).
    if (resolved.instant - now > MAX_AHEAD_MS) throw new UsageError(`${flag} lies more than ${MAX_AHEAD_MS / 86_400_000} days ahead (${describeInstant(resolved.instant, zone.name)})`);
    refusePastLastYear(resolved.instant, flag);
    return whole(resolved.instant);
  };
  // A time typed in the years amps reads may still land past them (a clock near the end of 9999, `+30d`):
  // the body would carry a year of five digits.
  const refusePastLastYear = (instant: number, flag: string) => {
    if (new Date(wallClockAt(instant, zone.name)).getUTCFullYear() > MAX_YEAR) throw new UsageError(`${flag} lands past the year ${MAX_YEAR} in ${zone.name}`);
  };
  if (parsed.at) {
    if (parsed.at.kind !== 'now') return { start: resolve(parsed.at, '--at'), notes };
    if (execution && !execution.includes('immediate') && execution.includes('scheduled')) {
      notes.push('--at now: the device takes this command only scheduled, so it starts a minute from now');
      return { start: whole(now + NOW_MARGIN_MS), notes };
    }
    notes.push('--at now: sent as an immediate push');
    return { notes };
  }
  if (!parsed.start) return { notes };
  let start: number;
  if (parsed.start.kind === 'now') {
    start = whole(now + NOW_MARGIN_MS);
    notes.push('--start now: the window opens a minute from now, so the API reads a start in the future');
  } else start = resolve(parsed.start, '--start');
  if (!parsed.end) return { start, notes };
  // An end typed as a time of day (`--end 19:00`) is the first one after the start, not after now.
  const end = parsed.end.kind === 'length' ? start + parsed.end.ms : resolve(parsed.end, '--end', parsed.end.kind === 'wall' && !parsed.end.date ? start : now);
  if (startMovedByGap) refuseWindowGrownByGap(parsed.start, parsed.end, start, end, zone.name);
  // A length is held to the same horizon as a time: the start plus it may lie past it.
  if (end - now > MAX_AHEAD_MS) throw new UsageError(`--end lies more than ${MAX_AHEAD_MS / 86_400_000} days ahead (${describeInstant(end, zone.name)})`);
  refusePastLastYear(end, '--end');
  return { start, end, notes };
}

/**
 * A window whose start fell in the hour the clocks skip, and was moved forward past the end typed
 * as a time of day: that end's first time after the moved start is the next day's, a window of
 * nearly a day where half an hour was typed (`--start 02:30 --end 03:00` on the night the clocks go
 * forward). Refused: no reading of it is the operator's. A window the move only shortens is kept
 * (the start's note says it moved).
 */
function refuseWindowGrownByGap(typedStart: TimeText, typedEnd: TimeText | { kind: 'length' }, start: number, end: number, zone: string): void {
  if (typedStart.kind !== 'wall' || typedEnd.kind !== 'wall' || typedEnd.date) return;
  const minuteOfDay = (t: { hour: number; minute: number }) => t.hour * 60 + t.minute;
  const typedMinutes = (minuteOfDay(typedEnd) - minuteOfDay(typedStart) + 1440) % 1440 || 1440;
  // The gap is an hour at most (half an hour on Lord Howe); two hours' slack is any window's move.
  if (end - start <= (typedMinutes + 120) * 60_000) return;
  throw new UsageError(
    `--start ${typedStart.date ? `${typedStart.date.year}-${String(typedStart.date.month).padStart(2, '0')}-${String(typedStart.date.day).padStart(2, '0')} ` : ''}${String(typedStart.hour).padStart(2, '0')}:${String(typedStart.minute).padStart(2, '0')} does not exist that day in ${zone} (the clocks go forward) and moves to ${describeInstant(start, zone)}, at or past --end; the first --end after it is ${describeInstant(end, zone)}, a window of ${Math.round((end - start) / 60_000)} minutes where ${typedMinutes} ${typedMinutes === 1 ? 'was' : 'were'} typed`,
    'give a start outside the time the clocks skip, or the end as a length (--end 30m)',
  );
}

export function buildPushBody(input: {
  command: string;
  parameters: Record<string, Quantity>;
  times: { start?: number; end?: number };
  /** Read only when there is a time to write. */
  zone: { readonly name: string };
  onConflict?: Strategy;
  directive?: SandboxDirective;
}): PushBody {
  const action: PushBody['action'] = { command: input.command };
  if (Object.keys(input.parameters).length > 0) action.parameters = input.parameters;
  // Always absolute, always with an explicit offset: the zone's own (decision 6).
  if (input.times.start !== undefined) action.start = formatInZone(input.times.start, input.zone.name);
  if (input.times.end !== undefined) action.end = formatInZone(input.times.end, input.zone.name);
  const body: PushBody = { action };
  if (input.onConflict) body.onConflict = input.onConflict;
  if (input.directive) body.sandbox = input.directive;
  return body;
}
