// Parsers for option values: a bad value is a usage error (exit 2) naming the option and the fix.

import { formatDuration, parseDuration, readParts } from '../domain/duration.js';
import { UsageError } from '../errors/failures.js';
import { checkFileOrUrl } from './file-or-url.js';

export function wholeNumber(name: string, min: number, max: number) {
  return (value: string): number => {
    // Decimal digits only: Number() would take 0x10, 1e3 and ' 7 ' too.
    const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} takes a whole number from ${min} to ${max}, not '${value}'`);
    return n;
  };
}

/** The longest a timer can run (setTimeout's ceiling, 2^31 - 1 ms, about 24.8 days). */
const MAX_DURATION_MS = 2_147_483_647;

/** A duration from 1 ms up to `maxMs`: `--timeout 25d` is refused, not turned into 1 ms by a timer overflow. */
export function duration(name: string, maxMs = MAX_DURATION_MS) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === 0) throw new UsageError(`${name} takes a duration above 0, not '${value}'`);
    if (ms === undefined) {
      // Parts that break the grammar (`30s2m`, `1h60m`) say how, as --at's do.
      const parts = readParts(value);
      throw new UsageError('problem' in parts && !parts.notParts ? `${name} '${value}' ${parts.problem}` : `${name} takes a duration such as 30s, 2m or 1h30m, not '${value}'`);
    }
    if (ms > maxMs) throw new UsageError(`${name} takes at most ${formatDuration(maxMs)}, not '${value}'`);
    return ms;
  };
}

/** A share from 0 to 1 (`0.05`), or a percentage (`5%`). */
export function ratio(name: string) {
  return (value: string): number => {
    const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
    const n = percent ? Number(percent[1]) / 100 : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= 0 && n <= 1)) throw new UsageError(`${name} takes a share from 0 to 1 (or 0% to 100%), not '${value}'`);
    return n;
  };
}

export function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (value: string): T => {
    if (!values.includes(value as T)) throw new UsageError(`${name} takes one of ${values.join(', ')}, not '${value}'`);
    return value as T;
  };
}

/** A flag that may be given again and again: its values in order. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A file or URL option, as checkFileOrUrl checks one. */
export function fileOrUrl(name: string) {
  return (value: string): string => checkFileOrUrl(name, value);
}
