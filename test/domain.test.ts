import { describe, expect, it } from 'vitest';
import { parseQuantityFlags, resolveTimes } from '../src/domain/action.js';
import { checkWindow } from '../src/domain/capabilities.js';
import { parseQuantity } from '../src/domain/quantity.js';
import { formatWithOffset, localMinuteToUtc, parseApiTime, parseTimeInput } from '../src/domain/time.js';

describe('quantities as operators type them', () => {
  it.each([
    ['5kw', 5, 'kw'], ['5 kW', 5, 'kw'], ['7.4kW', 7.4, 'kw'], ['3500w', 3500, 'watts'], ['90%', 90, 'percent'],
    ['21c', 21, 'celsius'], ['21°C', 21, 'celsius'], ['70f', 70, 'fahrenheit'], ['16a', 16, 'amps'], ['230 V', 230, 'volts'],
    ['10kwh', 10, 'kwh'], ['2h', 2, 'hours'], ['30min', 30, 'minutes'],
  ])('%s', (text, value, unit) => {
    expect(parseQuantity(text)).toEqual({ value, unit });
  });

  it('keeps a bare number unitless, and refuses what is not a quantity', () => {
    expect(parseQuantity('90')).toEqual({ value: 90 });
    for (const bad of ['lots', '5 parsecs', '', 'kw', '5kw5']) expect(parseQuantity(bad)).toBeUndefined();
  });

  it('reads --param NAME=VALUE and refuses a parameter given twice', () => {
    expect(parseQuantityFlags({ power: '5kw', target: undefined }, ['heatSetpoint=19c'])).toMatchObject({ power: { value: 5, unit: 'kw' }, heatSetpoint: { value: 19, unit: 'celsius' } });
    expect(() => parseQuantityFlags({ power: '5kw' }, ['power=3kw'])).toThrow('given twice');
    expect(() => parseQuantityFlags({}, ['=3kw'])).toThrow('is not NAME=VALUE');
  });
});

describe('times as operators type them (local time, a fixed clock)', () => {
  const now = new Date(2026, 5, 10, 21, 30, 0);

  it('reads relative times, clock times today or tomorrow, and ISO 8601', () => {
    expect(parseTimeInput('+30m', now)?.getTime()).toBe(now.getTime() + 30 * 60_000);
    expect(parseTimeInput('now+1h30m', now)?.getTime()).toBe(now.getTime() + 90 * 60_000);
    expect(parseTimeInput('22:00', now)).toEqual(new Date(2026, 5, 10, 22, 0));
    expect(parseTimeInput('21:00', now)).toEqual(new Date(2026, 5, 11, 21, 0));
    expect(parseTimeInput('2026-06-12T07:15', now)).toEqual(new Date(2026, 5, 12, 7, 15));
    expect(parseTimeInput('2026-06-12T07:15:00Z', now)?.toISOString()).toBe('2026-06-12T07:15:00.000Z');
    for (const bad of ['teatime', '25:00', '2026-02-30T10:00', '+soon']) expect(parseTimeInput(bad, now), bad).toBeUndefined();
  });

  it('reads --end as a length after --start', () => {
    const times = resolveTimes({ start: '22:00', end: '3h' }, now);
    expect(times.end!.getTime() - times.start!.getTime()).toBe(3 * 3_600_000);
    expect(() => resolveTimes({ at: '22:00', start: '23:00' }, now)).toThrow('not both');
    expect(() => resolveTimes({ end: '23:00' }, now)).toThrow('--end needs --start');
  });

  it('always sends an explicit offset', () => {
    expect(formatWithOffset(now)).toMatch(/^2026-06-10T21:30:00[+-]\d{2}:\d{2}$/);
    expect(Date.parse(formatWithOffset(now))).toBe(now.getTime());
  });
});

describe('times as the API reads them (decision 6)', () => {
  const now = new Date('2026-06-10T12:00:00Z');

  it('reads a naive time in the plant time zone, with daylight saving', () => {
    expect(parseApiTime('2026-06-10T22:00:00', now, 'Europe/London')?.toISOString()).toBe('2026-06-10T21:00:00.000Z');
    expect(parseApiTime('2026-01-10T22:00:00', now, 'Europe/London')?.toISOString()).toBe('2026-01-10T22:00:00.000Z');
    expect(parseApiTime('2026-06-10T22:00:00', now, 'America/New_York')?.toISOString()).toBe('2026-06-11T02:00:00.000Z');
  });

  it('finds a local minute of the plant\'s day, whatever the UTC day', () => {
    // 00:30 UTC on 11 June is still 10 June in New York: 16:00 there is 20:00 UTC on 10 June.
    expect(new Date(localMinuteToUtc(Date.parse('2026-06-11T00:30:00Z'), 16 * 60, 'America/New_York')).toISOString()).toBe('2026-06-10T20:00:00.000Z');
    expect(new Date(localMinuteToUtc(Date.parse('2026-01-10T12:00:00Z'), 30, 'Europe/London')).toISOString()).toBe('2026-01-10T00:30:00.000Z');
  });

  it('reads relative durations and explicit offsets', () => {
    expect(parseApiTime('1.5h', now, 'UTC')?.toISOString()).toBe('2026-06-10T13:30:00.000Z');
    expect(parseApiTime('2026-06-10T22:00:00+01:00', now, 'UTC')?.toISOString()).toBe('2026-06-10T21:00:00.000Z');
    expect(parseApiTime('soon', now, 'UTC')).toBeUndefined();
  });

  it('applies the window rules in order', () => {
    const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
    expect(checkWindow(undefined, at(60), now)?.details.reason).toBe('end_without_start');
    expect(checkWindow(at(60), at(60), now)?.details.reason).toBe('end_not_after_start');
    expect(checkWindow(at(60), at(64), now)?.details.reason).toBe('window_too_short');
    expect(checkWindow(at(60), at(60 + 24 * 60 + 1), now)?.details.reason).toBe('window_too_long');
    expect(checkWindow(at(-1), undefined, now)?.code).toBe('START_IN_PAST');
    expect(checkWindow(at(31 * 24 * 60), undefined, now)?.code).toBe('START_OUT_OF_RANGE');
    expect(checkWindow(at(60), at(120), now)).toBeUndefined();
    // A time the client could not read is left to the API.
    expect(checkWindow(new Date(Number.NaN), at(120), now)).toBeUndefined();
  });
});
