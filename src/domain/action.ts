// Building a push body from what an operator typed: Quantity flags, times, a conflict strategy,
// the sandbox directive. Syntax problems are usage errors here, before anything is sent; the
// device's own limits are checked by the preflight (capabilities.ts).

import { UsageError } from '../errors/failures.js';
import { parseQuantity } from './quantity.js';
import { formatWithOffset, parseTimeInput } from './time.js';
import type { PushBody, Strategy } from '../contract/actions.js';
import type { CommandSpec, Quantity, Unit } from '../contract/devices.js';

/** A quantity as typed: the unit may still be missing, to be taken from the device. */
export interface TypedQuantity {
  value: number;
  unit?: Unit;
  text: string;
}

/** `--power 5kw`, `--target 90%`, `--param heatSetpoint=21c`: name -> value, syntax checked. */
export function parseQuantityFlags(named: Record<string, string | undefined>, params: string[]): Record<string, TypedQuantity> {
  const result: Record<string, TypedQuantity> = {};
  const add = (name: string, text: string, flag: string) => {
    const parsed = parseQuantity(text);
    if (!parsed) throw new UsageError(`${flag} '${text}' is not a quantity`, 'write a number and a unit, e.g. 5kw, 90%, 21c, 500w, 16a');
    if (result[name]) throw new UsageError(`the parameter ${name} is given twice`);
    result[name] = { ...parsed, text };
  };
  for (const [name, text] of Object.entries(named)) if (text !== undefined) add(name, text, `--${name}`);
  for (const pair of params) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param '${pair}' is not NAME=VALUE`, 'e.g. --param heatSetpoint=21c');
    add(pair.slice(0, eq).trim(), pair.slice(eq + 1), `--param ${pair.slice(0, eq).trim()}`);
  }
  return result;
}

/** Units from the device's commands map fill in quantities typed without one. */
export function completeUnits(quantities: Record<string, TypedQuantity>, spec: CommandSpec | undefined): Record<string, Quantity> {
  return Object.fromEntries(
    Object.entries(quantities).map(([name, q]) => {
      const unit = q.unit ?? spec?.parameters?.[name]?.unit;
      if (!unit) throw new UsageError(`--${name} ${q.text} needs a unit`, 'e.g. 5kw, 90%, 21c (or let the preflight read the unit from the device)');
      return [name, { value: q.value, unit }];
    }),
  );
}

export interface TimeFlags {
  at?: string;
  start?: string;
  end?: string;
}

export interface ResolvedTimes {
  start?: Date;
  end?: Date;
}

/** --at (scheduled) or --start/--end (windowed), read in local time. */
export function resolveTimes(flags: TimeFlags, now: Date): ResolvedTimes {
  if (flags.at && (flags.start || flags.end)) throw new UsageError('--at schedules one start; use --start and --end for a window, not both');
  if (flags.end && !flags.start) throw new UsageError('--end needs --start (a window has both ends)');
  const read = (text: string, flag: string, base?: Date) => {
    const time = parseTimeInput(text, now, base);
    if (!time) throw new UsageError(`${flag} '${text}' is not a time`, 'use ISO 8601 (2026-06-10T22:00), 22:00, +30m, now+2h; --end also takes a length such as 3h');
    return time;
  };
  if (flags.at) return { start: read(flags.at, '--at') };
  if (!flags.start) return {};
  const start = read(flags.start, '--start');
  return { start, end: flags.end ? read(flags.end, '--end', start) : undefined };
}

export function buildPushBody(input: {
  command: string;
  parameters: Record<string, Quantity>;
  times: ResolvedTimes;
  onConflict?: Strategy;
  simulateFailure?: string;
  /** When the simulated failure happens: on the request (default) or when the action is dispatched. */
  simulatePhase?: 'request' | 'dispatch';
}): PushBody {
  const action: PushBody['action'] = { command: input.command };
  if (Object.keys(input.parameters).length > 0) action.parameters = input.parameters;
  // Always absolute, always with an explicit offset (decision 6).
  if (input.times.start) action.start = formatWithOffset(input.times.start);
  if (input.times.end) action.end = formatWithOffset(input.times.end);
  const body: PushBody = { action };
  if (input.onConflict) body.onConflict = input.onConflict;
  if (input.simulateFailure) {
    body.sandbox = { result: 'failed', errorCode: input.simulateFailure, ...(input.simulatePhase === 'dispatch' ? { phase: 'dispatch' as const } : {}) };
  }
  return body;
}
