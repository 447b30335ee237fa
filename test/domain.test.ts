import { describe, expect, it } from 'vitest';
import { actionMatches, conversionLine, fitQuantities, parseQuantityFlags, parseTimeFlags, resolveTimes } from '../src/domain/action.js';
import { checkWindow } from '../src/domain/capabilities.js';
import { convertQuantity, parseQuantity } from '../src/domain/quantity.js';
import { describeInstant, formatInZone, localMinuteToUtc, parseApiTime, parseTimeText, resolveTimeText, wallClockAt } from '../src/domain/time.js';

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

describe('times as operators type them (a fixed clock, a named zone)', () => {
  // 21:30 in London on 10 June 2026 (BST, UTC+1).
  const now = Date.parse('2026-06-10T20:30:00Z');
  const at = (text: string, zone = 'Europe/London') => {
    const parsed = parseTimeText(text);
    if ('problem' in parsed) throw new Error(parsed.problem);
    return new Date(resolveTimeText(parsed, now, zone).instant).toISOString();
  };

  it('reads relative times (with or without +), clock times today or tomorrow in the zone, and ISO 8601', () => {
    expect(at('+30m')).toBe('2026-06-10T21:00:00.000Z');
    expect(at('30m')).toBe('2026-06-10T21:00:00.000Z');
    expect(at('1.5h')).toBe('2026-06-10T22:00:00.000Z');
    expect(at('now+1h30m')).toBe('2026-06-10T22:00:00.000Z');
    expect(at('22:00')).toBe('2026-06-10T21:00:00.000Z');
    expect(at('21:00')).toBe('2026-06-11T20:00:00.000Z');
    expect(at('22:00', 'America/New_York')).toBe('2026-06-11T02:00:00.000Z');
    expect(at('2026-06-12T07:15')).toBe('2026-06-12T06:15:00.000Z');
    expect(at('2026-06-12T07:15:00Z')).toBe('2026-06-12T07:15:00.000Z');
    expect(parseTimeText('now')).toEqual({ kind: 'now' });
  });

  it('resolves to whole seconds, as the body carries them: what amps records and reruns is what it sent', () => {
    const ragged = Date.parse('2026-06-10T12:00:00.764Z');
    for (const flags of [{ at: '+2h' }, { start: 'now', end: '30m' }, { start: '+1h', end: '+2h' }]) {
      const { start, end } = resolveTimes(parseTimeFlags(flags), ragged, { name: 'Europe/London' });
      expect([start! % 1000, (end ?? 0) % 1000], JSON.stringify(flags)).toEqual([0, 0]);
      expect(Date.parse(formatInZone(start!, 'Europe/London'))).toBe(start);
    }
  });

  it('refuses what is not a time, and times no push can mean, with the reason', () => {
    // Dates no calendar has, with a zone or without (Date.parse would roll them into the next month).
    for (const bad of ['teatime', '25:00', '2026-02-30T10:00', '+soon', '+99999999999999999999h', '0000-01-01T00:00Z', '2026-13-01T00:00', '2026-11-31T22:00Z', '2026-02-29T10:00+01:00', '2026-04-31T10:00:00.5-05:00', '2026-06-10T24:00Z']) {
      expect(parseTimeText(bad), bad).toMatchObject({ problem: expect.any(String) });
    }
    // A length names each unit once, largest first: `1h1h` and `30m1h` are slips, not sums.
    for (const slip of ['1h1h', '30m1h', '+1h1h', 'now+2m1h', '1s1m']) {
      expect(parseTimeText(slip), slip).toEqual({ problem: 'is not a length of time: each of d, h, m and s at most once, largest first, as in 1h30m' });
    }
    expect(parseTimeText('1d 2h 3m 4s')).toEqual({ kind: 'relative', ms: 93_784_000 });
    // Parts past what makes the larger unit, or a fraction before a smaller unit, are slips too.
    for (const slip of ['1.5h30m', '1d24h', '1m60s', '1h60m', '2d0.5h10m']) {
      expect(parseTimeText(slip), slip).toEqual({ problem: 'is not a length as one says it: only the last part may have a fraction, and 24h, 60m or 60s is the larger unit (1d2h, not 1d26h; 1h30m, not 1.5h30m)' });
    }
    expect(parseTimeText('90m')).toEqual({ kind: 'relative', ms: 5_400_000 });
    expect(parseTimeText('1h59m59.5s')).toEqual({ kind: 'relative', ms: 7_199_500 });
    expect(parseTimeText('401d')).toEqual({ problem: 'lies more than 400 days ahead' });
    expect(parseTimeText('2028-02-29T10:00Z')).toEqual({ kind: 'absolute', instant: Date.parse('2028-02-29T10:00Z') });
    // A fraction of a second is taken with a zone or without (and dropped: times go in whole seconds).
    expect(parseTimeText('2026-06-10T22:00:30.5')).toEqual({ kind: 'wall', date: { year: 2026, month: 6, day: 10 }, hour: 22, minute: 0, second: 30 });
    expect(parseTimeText('2026-06-10T22:00:30.5Z')).toEqual({ kind: 'absolute', instant: Date.parse('2026-06-10T22:00:30.5Z') });
    expect(parseApiTime('2026-11-31T22:00Z', new Date(now), 'UTC')).toBeUndefined();
    // RFC 3339's spellings with a zone as without one: a lower-case t, a space, an offset of hours alone.
    const ten = Date.parse('2026-06-10T21:00:00Z');
    for (const spelling of ['2026-06-10t22:00+01:00', '2026-06-10 22:00+01:00', '2026-06-10T22:00+01', '2026-06-10T22:00+0100', '2026-06-10 21:00z']) {
      expect(parseTimeText(spelling), spelling).toEqual({ kind: 'absolute', instant: ten });
    }
    expect(parseTimeText('2026-06-10t22:00')).toMatchObject({ kind: 'wall', hour: 22 });
    // A server's "no time" (Go's zero time) shows with a year of four digits, as every time does.
    expect(describeInstant(Date.parse('0001-01-01T00:00:00Z'), 'UTC')).toBe('0001-01-01 00:00 UTC (00:00Z)');
    expect(parseTimeText('2026-06-10T22:00+24:00')).toEqual({ problem: 'has an offset that is none (hours 00-23, minutes 00-59)' });
    // A dated time more than 400 days ahead, as a relative one is.
    expect(() => resolveTimes(parseTimeFlags({ at: '2029-01-01T00:00Z' }), now, { name: 'UTC' })).toThrow('--at lies more than 400 days ahead');
    // A time in the years amps reads that lands past them (a clock at the end of 9999): no year of five digits is sent.
    const lastDays = Date.parse('9999-12-20T00:00:00Z');
    expect(() => resolveTimes(parseTimeFlags({ at: '+30d' }), lastDays, { name: 'UTC' })).toThrow('--at lands past the year 9999 in UTC');
    expect(() => resolveTimes(parseTimeFlags({ at: '9999-12-31T23:59-12:00' }), lastDays, { name: 'UTC' })).toThrow('--at lands past the year 9999 in UTC');
    expect(() => resolveTimes(parseTimeFlags({ start: '+1h', end: '30d' }), lastDays, { name: 'UTC' })).toThrow('--end lands past the year 9999 in UTC');
    expect(() => resolveTimes(parseTimeFlags({ start: '2026-06-11T00:00Z', end: '9999-12-31T23:59Z' }), now, { name: 'UTC' })).toThrow('--end lies more than 400 days ahead');
    expect(parseTimeText('+99999999999999999999h')).toMatchObject({ problem: expect.stringContaining('400 days') });
    // A start in the hour the clocks skip moves past an end typed as a time of day: refused, never a
    // window of a day where half an hour was typed. One the move only shortens is kept; so is a length.
    const beforeSpring = Date.parse('2027-03-20T12:00:00Z');
    const madrid = { name: 'Europe/Madrid' };
    for (const [start, end] of [['2027-03-28T02:30', '03:00'], ['2027-03-28T02:00', '03:00']]) {
      expect(() => resolveTimes(parseTimeFlags({ start, end }), beforeSpring, madrid), `${start} ${end}`).toThrow(/does not exist that day in Europe\/Madrid \(the clocks go forward\) and moves to .*, at or past --end/);
    }
    const shortened = resolveTimes(parseTimeFlags({ start: '2027-03-28T02:30', end: '05:00' }), beforeSpring, madrid);
    expect([new Date(shortened.start!).toISOString(), new Date(shortened.end!).toISOString()]).toEqual(['2027-03-28T01:30:00.000Z', '2027-03-28T03:00:00.000Z']);
    // Both ends in the skipped hour move by it: the window keeps its length.
    const bothMoved = resolveTimes(parseTimeFlags({ start: '2027-03-28T02:30', end: '02:45' }), beforeSpring, madrid);
    expect(bothMoved.end! - bothMoved.start!).toBe(15 * 60_000);
    const length = resolveTimes(parseTimeFlags({ start: '2027-03-28T02:30', end: '30m' }), beforeSpring, madrid);
    expect(length.end! - length.start!).toBe(30 * 60_000);
    // Across the change, outside the skipped hour: the instants' length differs by the hour, as it should.
    const across = resolveTimes(parseTimeFlags({ start: '2027-03-28T01:00', end: '04:00' }), beforeSpring, madrid);
    expect(across.end! - across.start!).toBe(2 * 3_600_000);
    // A length within the horizon after a start that takes it past the horizon.
    expect(() => resolveTimes(parseTimeFlags({ start: '+2d', end: '400d' }), now, { name: 'UTC' })).toThrow('--end lies more than 400 days ahead');
    expect(resolveTimes(parseTimeFlags({ start: '+2d', end: '398d' }), now, { name: 'UTC' }).end).toBe(now + 400 * 86_400_000);
    expect(parseTimeText('0000-01-01T00:00Z')).toMatchObject({ problem: expect.stringContaining('year') });
  });

  it('says which time it chose in a daylight-saving gap, and in an hour that happens twice', () => {
    const gap = resolveTimeText({ kind: 'wall', date: { year: 2026, month: 3, day: 29 }, hour: 1, minute: 30, second: 0 }, now, 'Europe/London');
    expect(new Date(gap.instant).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(gap.adjustment).toContain('does not exist');
    expect(gap.adjustment).toContain('02:30 Europe/London (01:30Z)');
    const twice = resolveTimeText({ kind: 'wall', date: { year: 2026, month: 10, day: 25 }, hour: 1, minute: 30, second: 0 }, now, 'Europe/London');
    expect(new Date(twice.instant).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(twice.adjustment).toContain('happens twice');
    // A time of day after a start in the hour that happens twice: its second time, not tomorrow's.
    const night = resolveTimes(parseTimeFlags({ start: '2026-10-25T01:45', end: '01:15' }), now, { name: 'Europe/London' });
    expect([new Date(night.start!).toISOString(), new Date(night.end!).toISOString()]).toEqual(['2026-10-25T00:45:00.000Z', '2026-10-25T01:15:00.000Z']);
    expect(night.notes.at(-1)).toContain('using the second');
  });

  it('finds the instant of every wall time on the days the clocks change, in zones up to 14 h from UTC: as a search of the instants around it does', () => {
    // Half a day either side of the wall time missed the change in zones more than 12 h ahead:
    // Auckland's gap times went back an hour, its repeated times were the second, and Chatham's
    // times that happen once were called a gap.
    const days: [string, string[]][] = [
      ['Pacific/Auckland', ['2026-09-27', '2027-04-04']], ['Pacific/Chatham', ['2026-09-27', '2027-04-04']],
      ['Pacific/Kiritimati', ['2026-09-27']], ['Europe/London', ['2027-03-28', '2026-10-25']],
      ['America/New_York', ['2027-03-14', '2026-11-01']], ['Australia/Lord_Howe', ['2026-10-04', '2027-04-04']],
    ];
    const quarter = 15 * 60_000;
    for (const [zone, dates] of days) {
      for (const date of dates) {
        for (let minute = 0; minute < 24 * 60; minute += 15) {
          const [year, month, day] = date.split('-').map(Number) as [number, number, number];
          const wall = Date.UTC(year, month - 1, day, Math.floor(minute / 60), minute % 60);
          // Every instant (offsets are whole quarter hours) whose clock there reads the wall time.
          const found: number[] = [];
          for (let t = wall - 15 * 3_600_000; t <= wall + 15 * 3_600_000; t += quarter) if (wallClockAt(t, zone) === wall) found.push(t);
          const resolved = resolveTimeText({ kind: 'wall', date: { year, month, day }, hour: Math.floor(minute / 60), minute: minute % 60, second: 0 }, now, zone);
          const label = `${date} ${minute / 60} h ${zone}`;
          if (found.length === 1) expect([label, resolved.instant, resolved.adjustment]).toEqual([label, found[0], undefined]);
          else if (found.length === 2) expect([label, resolved.instant, resolved.adjustment]).toEqual([label, found[0], expect.stringContaining('happens twice')]);
          else {
            // A gap: moved forward by the gap (the offset after the change less the one before).
            const offset = (t: number) => wallClockAt(t, zone) - t;
            const gap = offset(wall + 86_400_000) - offset(wall - 86_400_000);
            expect([label, found.length, resolved.adjustment]).toEqual([label, 0, expect.stringContaining('does not exist')]);
            expect([label, wallClockAt(resolved.instant, zone) - wall]).toEqual([label, gap]);
          }
        }
      }
    }
    const auckland = resolveTimeText({ kind: 'wall', date: { year: 2026, month: 9, day: 27 }, hour: 2, minute: 30, second: 0 }, now, 'Pacific/Auckland');
    expect(auckland.adjustment).toContain('using 2026-09-27 03:30 Pacific/Auckland (2026-09-26T14:30Z)');
  });

  it('reads --end as a length after --start, and --at now as an immediate push', () => {
    const times = resolveTimes(parseTimeFlags({ start: '22:00', end: '3h' }), now, { name: 'Europe/London' });
    expect(times.end! - times.start!).toBe(3 * 3_600_000);
    expect(() => parseTimeFlags({ at: '22:00', start: '23:00' })).toThrow('not both');
    expect(() => parseTimeFlags({ end: '23:00' })).toThrow('--end needs --start');
    // A start alone would be a scheduled push, held until the next one: that is --at's to say.
    expect(() => parseTimeFlags({ start: '17:00' })).toThrow('--start needs --end');
    expect(resolveTimes(parseTimeFlags({ at: 'now' }), now, { name: 'UTC' })).toEqual({ notes: ['--at now: sent as an immediate push'] });
    expect(resolveTimes(parseTimeFlags({ at: 'now' }), now, { name: 'UTC' }, ['scheduled']).start).toBe(now + 60_000);
    expect(resolveTimes(parseTimeFlags({ start: 'now', end: '1h' }), now, { name: 'UTC' })).toMatchObject({ start: now + 60_000, end: now + 60_000 + 3_600_000 });
  });

  it('sends the zone\'s own offset, and shows whose clock with the UTC instant', () => {
    expect(formatInZone(now, 'Europe/London')).toBe('2026-06-10T21:30:00+01:00');
    expect(formatInZone(now, 'America/New_York')).toBe('2026-06-10T16:30:00-04:00');
    expect(formatInZone(now, 'Asia/Kolkata')).toBe('2026-06-11T02:00:00+05:30');
    expect(describeInstant(Date.parse('2026-06-10T21:00:00Z'), 'Europe/London')).toBe('2026-06-10 22:00 Europe/London (21:00Z)');
    expect(describeInstant(Date.parse('2026-06-11T02:00:00Z'), 'America/New_York')).toBe('2026-06-10 22:00 America/New_York (2026-06-11T02:00Z)');
  });
});

describe('units converted to what the device declares', () => {
  const declared = { power: { unit: 'kw' }, target: { unit: 'celsius' }, reserve: { unit: 'percent' }, rate: { unit: 'amps' }, energy: { unit: 'kwh' }, length: { unit: 'hours' } };
  const fit = (name: string, text: string) => fitQuantities(parseQuantityFlags({ [name]: text }, []), declared).values[name];

  it.each([
    ['power', '3500w', { value: 3.5, unit: 'kw' }],
    ['power', '5kw', { value: 5, unit: 'kw' }],
    ['target', '70f', { value: 21.111, unit: 'celsius' }],
    ['target', '21c', { value: 21, unit: 'celsius' }],
    ['rate', '16000ma', { value: 16, unit: 'amps' }],
    ['energy', '2500wh', { value: 2.5, unit: 'kwh' }],
    ['length', '90min', { value: 1.5, unit: 'hours' }],
    ['power', '3', { value: 3, unit: 'kw' }],
  ])('%s %s', (name, text, sent) => {
    expect(fit(name, text)).toEqual(sent);
  });

  it('keeps a unit of another dimension for UNSUPPORTED_UNIT, and says what it converted', () => {
    expect(fit('power', '90%')).toEqual({ value: 90, unit: 'percent' });
    const { conversions } = fitQuantities(parseQuantityFlags({ power: '3500w' }, []), declared);
    expect(conversionLine(conversions[0])).toBe('--power 3500 W sent as 3.5 kw (the unit the device declares)');
    // Without a device read (--no-preflight) the unit is the API's own, and the line does not claim the device's.
    const unread = fitQuantities(parseQuantityFlags({}, ['energy=2500wh']), undefined).conversions;
    expect(conversionLine(unread[0])).toBe("--param energy 2500 Wh sent as 2.5 kwh (the API's unit for it; no device unit was read)");
    expect(convertQuantity({ value: 212, unit: 'fahrenheit' }, 'celsius')).toEqual({ value: 100, unit: 'celsius' });
    expect(convertQuantity({ value: 5, unit: 'kw' }, 'percent')).toBeUndefined();
  });
});

describe('whether an action the API holds is this push (a resume reconciling)', () => {
  const action = (parameters: Record<string, { value: number; unit: string }> | null, start: string | null = null) => ({ command: 'charge', parameters, start, end: null });
  const typed = (flags: Record<string, string>) => parseQuantityFlags(flags, []);
  it('matches the command and each value in any unit of its dimension, no more and no fewer', () => {
    expect(actionMatches(action({ power: { value: 3.5, unit: 'kw' } }), 'charge', typed({ power: '3500 W' }), {})).toBe(true);
    expect(actionMatches(action({ power: { value: 3.5, unit: 'kW' } }), 'charge', typed({ power: '3.5kw' }), {})).toBe(true);
    expect(actionMatches(action({ target: { value: 50, unit: 'percent' } }), 'charge', typed({ target: '90%' }), {})).toBe(false);
    expect(actionMatches(action({ target: { value: 50, unit: 'percent' } }), 'discharge', typed({ target: '50%' }), {})).toBe(false);
    expect(actionMatches(action({ target: { value: 50, unit: 'percent' }, power: { value: 3, unit: 'kw' } }), 'charge', typed({ target: '50%' }), {})).toBe(false);
    expect(actionMatches(action(null), 'charge', typed({ target: '50%' }), {})).toBe(false);
    expect(actionMatches(action(null), 'charge', {}, {})).toBe(true);
    // Typed without a unit (taken from the device when sent): by its number.
    expect(actionMatches(action({ target: { value: 50, unit: 'percent' } }), 'charge', typed({ target: '50' }), {})).toBe(true);
    // Another dimension is another value.
    expect(actionMatches(action({ target: { value: 50, unit: 'kwh' } }), 'charge', typed({ target: '50%' }), {})).toBe(false);
    // Values the body rounded when it converted them (to thousandths of the device's unit).
    expect(actionMatches(action({ power: { value: 2.346, unit: 'kw' } }), 'charge', typed({ power: '2345.5w' }), {})).toBe(true);
    expect(actionMatches(action({ target: { value: 21.667, unit: 'celsius' } }), 'charge', typed({ target: '71f' }), {})).toBe(true);
    for (let f = 32; f <= 100; f += 0.1) {
      const sent = fitQuantities({ target: { value: Math.round(f * 10) / 10, unit: 'fahrenheit', text: '' } }, { target: { unit: 'celsius' } as never }).values.target;
      expect(actionMatches(action({ target: sent }), 'charge', { target: { value: Math.round(f * 10) / 10, unit: 'fahrenheit', text: '' } }, {}), `${f}`).toBe(true);
    }
    expect(actionMatches(action({ power: { value: 2.346, unit: 'kw' } }), 'charge', typed({ power: '2347w' }), {})).toBe(false);
  });

  it('refuses a value that would go as 0 where 0 means none, not a temperature whose 0 is one like any other', async () => {
    const { fitQuantities } = await import('../src/domain/action.js');
    expect(() => fitQuantities({ power: { value: 0.4, unit: 'watts', text: '0.4w' } }, { power: { unit: 'kw' } as never })).toThrow('is 0 kw to the thousandth amps sends');
    expect(fitQuantities({ power: { value: 0.5, unit: 'watts', text: '0.5w' } }, { power: { unit: 'kw' } as never }).values.power).toEqual({ value: 0.001, unit: 'kw' });
    expect(fitQuantities({ target: { value: 32, unit: 'fahrenheit', text: '32f' } }, { target: { unit: 'celsius' } as never }).values.target).toEqual({ value: 0, unit: 'celsius' });
    expect(fitQuantities({ target: { value: 32.0001, unit: 'fahrenheit', text: '32.0001f' } }, { target: { unit: 'celsius' } as never }).values.target).toEqual({ value: 0, unit: 'celsius' });
  });

  it('a scheduled push matches only an action with a start (wherever the API moved it)', () => {
    expect(actionMatches(action(null), 'charge', {}, { start: Date.UTC(2026, 5, 1) })).toBe(false);
    expect(actionMatches(action(null, '2026-06-01T00:15:00Z'), 'charge', {}, { start: Date.UTC(2026, 5, 1) })).toBe(true);
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
    // Limits the docs do not state (window length) are the sandbox's policy, never the client's check.
    expect(checkWindow(at(60), at(61), now)).toBeUndefined();
    expect(checkWindow(at(60), at(60 + 48 * 60), now)).toBeUndefined();
    expect(checkWindow(at(-1), undefined, now)?.code).toBe('START_IN_PAST');
    // Now is not in the future (`"start": "0m"`): the client and the sandbox both say so.
    expect(checkWindow(at(0), undefined, now)?.code).toBe('START_IN_PAST');
    expect(checkWindow(at(31 * 24 * 60), undefined, now)?.code).toBe('START_OUT_OF_RANGE');
    expect(checkWindow(at(60), at(120), now)).toBeUndefined();
    // A time the client could not read is left to the API.
    expect(checkWindow(new Date(Number.NaN), at(120), now)).toBeUndefined();
  });
});

describe('a URL fit to print', () => {
  it('loses its credentials however it is written, a URL parser would take it, and nothing else', async () => {
    const { redactUrl } = await import('../src/lib/values.js');
    const cases: Array<[string, string]> = [
      ['http://user:secret@h:1/p', 'http://redacted@h:1/p'],
      ['http:/user:secret@127.0.0.1:4559', 'http:/redacted@127.0.0.1:4559'],
      ['http://user:p@ss@127.0.0.1:4559/x@y', 'http://redacted@127.0.0.1:4559/x@y'],
      [' http://user:secret@h', ' http://redacted@h'],
      ['https://user:sec ret@h', 'https://redacted@h'],
      ['user:hunter2@proxy:8080', 'redacted@proxy:8080'],
      ['http://h/users/a@b.com', 'http://h/users/a@b.com'],
      ['http://h?x=a@b', 'http://h?x=a@b'],
      ['https://api.amps.ai', 'https://api.amps.ai'],
      // A password with a character that ends an authority: no URL, and all before the last @ goes.
      ['https://user:pa/ss@api.example.com', 'https://redacted@api.example.com'],
      ['http://user:p?ss@proxy.example:8080', 'http://redacted@proxy.example:8080'],
      ['http://user:p#s/s@proxy.example:8080/x', 'http://redacted@proxy.example:8080/x'],
      // A query parameter named as a secret loses its value; others stay.
      ['https://hooks.example/in?token=abc123&team=ops', 'https://hooks.example/in?token=redacted&team=ops'],
      ['https://h/x?page=2&API_KEY=k1#frag', 'https://h/x?page=2&API_KEY=redacted#frag'],
      ['https://h/x?sig=abc&access_token=t', 'https://h/x?sig=redacted&access_token=redacted'],
    ];
    for (const [typed, shown] of cases) expect(redactUrl(typed), typed).toBe(shown);
  });
});

describe('a key fit to print', () => {
  it('what was typed is quoted with what a terminal does not show spelt out, and a key its marks split still redacted', async () => {
    const { safeToPrintTyped } = await import('../src/output/text.js');
    expect(safeToPrintTyped("--at '22\u200b:00\u202e' is not a time")).toBe("--at '22\\u200b:00\\u202e' is not a time");
    expect(safeToPrintTyped('a\ttab\nand a line')).toBe('a tab and a line');
    expect(safeToPrintTyped("--device 'amps_sk_live_Abc123\u200bDef456Ghi789'")).toBe("--device '[redacted key]'");
  });

  it('every key shape standing as a word is redacted, one pasted twice whole; a word that only ends like one is not a key', async () => {
    const { holdsKeyShape, maskKeyBeingTyped, redactKeyShapes } = await import('../src/contract/keys.js');
    const { safeJsonText, safeToPrint } = await import('../src/output/text.js');
    const cases: Array<[string, string]> = [
      ['sk_test_abc123sk_live_def456', '[redacted key]'],
      ['amps_sk_test_abc123amps_sk_test_def456', '[redacted key]'],
      ['amps_sk_test_abc123_amps_sk_test_def456!', '[redacted key]_[redacted key]!'],
      ['id=sk_test_abc123&sk_live_def4567', 'id=[redacted key]&[redacted key]'],
      ['amps\\u005fsk_test_abc123', '[redacted key]'],
      ['"bad key\\nsk_live_abc123"', '"bad key\\n[redacted key]"'],
      ['task_test_results9 and disk_test_results1', 'task_test_results9 and disk_test_results1'],
      ['sk_test_abc12', 'sk_test_abc12'],
    ];
    for (const [text, shown] of cases) expect(redactKeyShapes(text), text).toBe(shown);
    // Whatever holdsKeyShape refuses, the refusal can quote redacted; percent-escaped, it is refused too.
    for (const text of ['/x/sk_test_abcdefsk_test_ghijkl', 'sk_test_abc sk_test_abcdef', 'a-sk_live_000000_test_111111sk_test_222222', 'sk_test_sk_test_abcdef']) {
      expect([holdsKeyShape(text), holdsKeyShape(redactKeyShapes(text))], text).toEqual([true, false]);
    }
    expect([holdsKeyShape('/b/sk%5Ftest%5Fabcdef1'), holdsKeyShape('disk_test_results1'), holdsKeyShape('kiosk_live_lobby1')]).toEqual([true, false, false]);
    // After a percent-escape (a query quoted escaped), spelt with escaped underscores, split by a line
    // break or a tab (raw or as JSON escapes), or glued to a word with a secret part that looks like one.
    const key = 'sk_live_LIVEsecretKEY123456';
    const spelt: Array<[string, string]> = [
      [`bad redirect %2Fcb%3Fapi_key%3D${key}`, 'bad redirect %2Fcb%3Fapi_key%3D[redacted key]'],
      [`req${key}`, 'req[redacted key]'],
      ['sk%5Flive%5FLIVEsecretKEY123456 and sk&#95;live&#95;LIVEsecretKEY123456', '[redacted key] and [redacted key]'],
      ['a sk_live_LIVE\nsecretKEY123456 b', 'a [redacted key] b'],
      ['a sk_live_LIVE\tsecret\nKEY123456', 'a [redacted key]'],
      ['"a sk_live_LIVE\\nsecretKEY123456"', '"a [redacted key]"'],
      ['disk_test_resultsFinal and task_test_results2', 'disk_test_resultsFinal and task_test_results2'],
    ];
    for (const [text, shown] of spelt) expect(redactKeyShapes(text), text).toBe(shown);
    expect([holdsKeyShape('bat0sk_live_PASTEDsecret9999999'), holdsKeyShape('xsk_live_short1')]).toEqual([true, false]);
    // Names that only hold a key's start glued to a word: neither refused nor blanked.
    for (const name of ['kiosk_live_lobby1floor2', 'disk_test_results20240101.csv', '/var/log/disk_test_results20240101.log']) {
      expect([holdsKeyShape(name), redactKeyShapes(name)], name).toEqual([false, name]);
    }
    // Control characters and escape sequences go first: one inside a key would hide it.
    expect(safeToPrint('m sk_test_SECR\u0007ETabc123 \u001b[1mx')).toBe('m [redacted key] x');
    expect(safeJsonText('{"m":"sk_test_SECR\\u0007ET\\u001b[1mabc123","keep":"\\\\u0007\\n"}')).toBe('{"m":"[redacted key]","keep":"\\\\u0007\\n"}');
    // What is not an escape of something invisible stays: a Windows path, the joiners scripts and emoji need.
    expect(safeJsonText('upstream failed reading C:\\build\\release\\feed.json')).toBe('upstream failed reading C:\\build\\release\\feed.json');
    expect(safeJsonText('{"a":"\\u001b]8;;u\\u001b\\\\link\\u001b]8;;\\u001b\\\\","b":1}')).toBe('{"a":"link","b":1}');
    expect(safeToPrint('👨\u200d👩 می\u200cخواهم')).toBe('👨\u200d👩 می\u200cخواهم');
    expect(maskKeyBeingTyped('sk_live_p')).toBe('[redacted key]');
    expect(maskKeyBeingTyped('my-profile')).toBe('my-profile');
  });
});

describe('what the API changed of a schedule', () => {
  it('a zone of another spelling, slots in another order, 01:00:00 and PT60M are no change; a missing zone is', async () => {
    const { scheduleChanges } = await import('../src/domain/schedule.js');
    const sent = { timezone: 'America/New_York', slots: [{ time: '16:00', duration: 'PT1H', command: 'idle' }, { time: '01:00', duration: 'PT1H30M', command: 'charge' }] };
    const slots = [{ time: '01:00:00', duration: 'PT90M', command: 'charge' }, { time: '16:00', duration: 'PT60M', command: 'idle' }];
    expect(scheduleChanges(sent, { timezone: 'US/Eastern', slots })).toEqual([]);
    expect(scheduleChanges(sent, { slots })).toEqual([{ field: 'timezone', sent: 'America/New_York', got: null }]);
    expect(scheduleChanges(sent, { timezone: 'America/New_York', slots: [slots[0], { ...slots[1], time: '17:00' }] })).toEqual([{ field: 'slots[0].time', sent: '16:00', got: '17:00' }]);
  });

  it('a recurrence, a command or a parameter answered other than sent is a change; 50 and "50", percent and PERCENT, the nested form are not', async () => {
    const { scheduleChanges } = await import('../src/domain/schedule.js');
    const target = { target: { value: 50, unit: 'percent' } };
    const sent = { timezone: 'UTC', recurrence: { rule: 'daily' }, slots: [{ time: '01:00', duration: 'PT1H', command: 'charge', parameters: target }] };
    // As a server may answer it: a number as a string, a unit in capitals (not the contract's types).
    const slot = { time: '01:00', duration: 'PT1H', action: { command: 'charge', parameters: { target: { value: '50', unit: 'PERCENT' } } } } as never;
    expect(scheduleChanges(sent, { timezone: 'UTC', recurrence: { rule: 'daily' }, slots: [slot] })).toEqual([]);
    expect(scheduleChanges(sent, { timezone: 'UTC', recurrence: { rule: 'weekly' }, slots: [slot] })).toEqual([{ field: 'recurrence', sent: 'daily', got: 'weekly' }]);
    expect(scheduleChanges({ ...sent, recurrence: undefined }, { timezone: 'UTC', recurrence: { rule: 'daily' }, slots: [slot] })).toEqual([{ field: 'recurrence', sent: 'once', got: 'daily' }]);
    expect(scheduleChanges(sent, { timezone: 'UTC', recurrence: null, slots: [slot] })).toEqual([{ field: 'recurrence', sent: 'daily', got: 'once' }]);
    const turned = { time: '01:00', duration: 'PT1H', command: 'discharge', parameters: { target: { value: 5, unit: 'percent' }, power: { value: 3, unit: 'kw' } } };
    expect(scheduleChanges(sent, { timezone: 'UTC', recurrence: { rule: 'daily' }, slots: [turned] })).toEqual([
      { field: 'slots[0].command', sent: 'charge', got: 'discharge' },
      { field: 'slots[0].parameters.target', sent: '50%', got: '5%' },
      { field: 'slots[0].parameters.power', sent: null, got: '3 kW' },
    ]);
    expect(scheduleChanges(sent, { timezone: 'UTC', recurrence: { rule: 'daily' }, slots: [{ time: '01:00', duration: 'PT1H', command: 'charge' }] })).toEqual([{ field: 'slots[0].parameters.target', sent: '50%', got: null }]);
  });

  it('a recurrence is shown by its rule: once, daily, or one amps does not know (weekly), never passed as daily', async () => {
    const { recurrenceText } = await import('../src/domain/schedule.js');
    const { scheduleLines } = await import('../src/commands/schedule/slots.js');
    expect([null, undefined, { rule: 'daily' }, { rule: 'weekly' }, { every: 2 }, 'daily', 42].map(recurrenceText)).toEqual(['once', 'once', 'daily', 'weekly', 'unknown', 'daily', 'unknown']);
    const weekly = { id: 'sch_1', deviceId: 'b1', state: 'active' as const, timezone: 'UTC', recurrence: { rule: 'weekly' } as never, nextFireAt: null, slots: [{ time: '01:00', duration: 'PT1H', command: 'charge' }] };
    expect(scheduleLines(weekly, 'UTC')[0]).toMatch(/^sch_1 {2}active {2}b1 {2}weekly {2}/);
  });

  it('a duration answered in days, weeks or fractions is the same length (P1D is PT24H); years, months and junk are not durations', async () => {
    const { parseIsoDuration, scheduleChanges } = await import('../src/domain/schedule.js');
    const hour = 3_600_000;
    expect(['PT5H', 'PT90M', 'PT1H30M', 'PT1.5H', 'PT1,5H', 'P1D', 'P1DT1H', 'P1W', 'PT45S', 'P0D'].map(parseIsoDuration)).toEqual([5 * hour, 1.5 * hour, 1.5 * hour, 1.5 * hour, 1.5 * hour, 24 * hour, 25 * hour, 168 * hour, 45_000, 0]);
    expect(['', 'P', 'PT', 'P1DT', 'P1Y', 'P1M', '5h', 'PT-1H', 'PT1H ', 'pt1h', 'P1.5'].map(parseIsoDuration)).toEqual(Array(11).fill(undefined));
    const sent = { timezone: 'UTC', slots: [{ time: '00:00', duration: 'PT24H', command: 'idle' }] };
    expect(scheduleChanges(sent, { timezone: 'UTC', slots: [{ time: '00:00', duration: 'P1D', command: 'idle' }] })).toEqual([]);
    expect(scheduleChanges(sent, { timezone: 'UTC', slots: [{ time: '00:00', duration: 'P1M', command: 'idle' }] })).toEqual([{ field: 'slots[0].duration', sent: 'PT24H', got: 'P1M' }]);
  });
});

describe('a time from the API, for people', () => {
  it('is shown in the zone with its UTC instant; one that names no zone is read as UTC and says so; one that is no moment of the calendar is shown as sent', async () => {
    const { timeText } = await import('../src/output/views.js');
    const { describeInstant } = await import('../src/domain/time.js');
    expect(timeText('2026-06-10T21:00:00+0000', 'Europe/London')).toBe(describeInstant(Date.parse('2026-06-10T21:00:00Z'), 'Europe/London'));
    expect(timeText('2026-06-10T21:00:00', 'Europe/London')).toBe(`${describeInstant(Date.parse('2026-06-10T21:00:00Z'), 'Europe/London')} (sent without a zone: read as UTC)`);
    // A server's "no time" (Go's zero time) is a time, shown as one.
    expect(timeText('0001-01-01T00:00:00Z', 'UTC')).toBe(describeInstant(Date.parse('0001-01-01T00:00:00Z'), 'UTC'));
    expect(['2026-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', 'soon'].map((t) => timeText(t, 'UTC'))).toEqual(['2026-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', 'soon']);
  });

  it('a table keeps the API\'s time as sent; one that names no zone says it is read as UTC', async () => {
    const { tableTimeText } = await import('../src/output/views.js');
    expect(['2026-06-10T21:00:00Z', '2026-06-10T21:00:00', 'soon', null].map(tableTimeText)).toEqual(['2026-06-10T21:00:00Z', '2026-06-10T21:00:00 (no zone: read as UTC)', 'soon', '-']);
  });
});

describe('a schedule for people', () => {
  it('a schedule that names no zone says so, and which clock its times are shown on (never a guessed UTC)', async () => {
    const { scheduleLines } = await import('../src/commands/schedule/slots.js');
    const record = { id: 'sch_1', deviceId: 'b1', state: 'active' as const, timezone: null, recurrence: null, nextFireAt: '2026-12-01T01:00:00Z', slots: [{ time: '01:00', duration: 'PT1H', command: 'charge' }] };
    const lines = scheduleLines(record, 'Asia/Tokyo');
    expect(lines[0]).toBe('sch_1  active  b1  once  no zone named (its next fire shown in Asia/Tokyo)');
    expect(lines[2]).toContain('10:00');
  });
});

describe('webhook bodies', () => {
  it('push.* mirrors the action read: parameters null where the action has none, as its record and the push answer say', async () => {
    const { pushEventBody } = await import('../src/domain/webhooks.js');
    const action = { id: 'act_1', deviceId: 'b1', deviceType: 'battery', command: 'idle', parameters: null, result: null, errorCode: null, errorMessage: null, completedAt: '2026-11-26T00:00:00.000Z', state: 'completed' } as const;
    expect(pushEventBody(action as never)).toEqual({ actionId: 'act_1', deviceId: 'b1', deviceType: 'battery', command: 'idle', parameters: null, result: null, completedAt: '2026-11-26T00:00:00.000Z' });
  });
});

describe('lengths of time as operators type them: one grammar for options, push times and slots', () => {
  it('a number and a unit, or parts largest first; a bare number is seconds', async () => {
    const { parseDuration } = await import('../src/domain/duration.js');
    expect(['500ms', '30s', '30 sec', '2m', '2min', '1.5h', '1d', '45', '1h30m', '2m30s', '1d 2h', '1H30M'].map(parseDuration)).toEqual([500, 30_000, 30_000, 120_000, 120_000, 5_400_000, 86_400_000, 45_000, 5_400_000, 150_000, 93_600_000, 5_400_000]);
    // The slips a push time refuses are no length here either.
    for (const slip of ['1h1h', '30m1h', '1h60m', '1.5h30m', 'soon', '', '1h30', 'x'.repeat(65)]) expect(parseDuration(slip), slip).toBeUndefined();
  });

  it('an option takes the combined forms a push time takes: --timeout 2m30s, and 1h30m refused as past its 1 h', async () => {
    const { duration } = await import('../src/config/option-parsers.js');
    expect(duration('--timeout', 3_600_000)('2m30s')).toBe(150_000);
    expect(() => duration('--timeout', 3_600_000)('1h30m')).toThrow("--timeout takes at most 1 h, not '1h30m'");
    expect(() => duration('--timeout')('1h1h')).toThrow("--timeout '1h1h' is not a length of time: each of d, h, m and s at most once, largest first, as in 1h30m");
    expect(() => duration('--timeout')('0h60m')).toThrow("--timeout '0h60m' is not a length as one says it");
    expect(() => duration('--timeout')('0s')).toThrow("--timeout takes a duration above 0, not '0s'");
    expect(() => duration('--timeout')('soon')).toThrow("--timeout takes a duration such as 30s, 2m or 1h30m, not 'soon'");
  });
});

describe('durations as amps says them', () => {
  it('whole milliseconds under a second, then seconds, minutes and hours', async () => {
    const { formatDuration } = await import('../src/domain/duration.js');
    expect([228.8498122033824, 999.6, 1500, 90_000, 5_400_000, 86_400_000, 24 * 86_400_000, 90 * 3_600_000].map(formatDuration)).toEqual(['229 ms', '1 s', '1.5 s', '2 min', '1.5 h', '24 h', '24 days', '90 h']);
  });
});

describe('device types as operators name them', () => {
  it('the five families, with hyphens or underscores, and the plurals and short names the README lists', async () => {
    const { normaliseDeviceType } = await import('../src/domain/device-types.js');
    const named = ['batteries', 'ev-chargers', 'ev', 'charger', 'hvacs', 'solar-inverters', 'solar', 'inverter', 'vehicles', 'car', 'EV_Charger', 'solar_inverter'];
    expect(named.map(normaliseDeviceType)).toEqual(['battery', 'ev_charger', 'ev_charger', 'ev_charger', 'hvac', 'solar_inverter', 'solar_inverter', 'solar_inverter', 'vehicle', 'vehicle', 'ev_charger', 'solar_inverter']);
    expect(normaliseDeviceType('toaster')).toBeUndefined();
  });
});
