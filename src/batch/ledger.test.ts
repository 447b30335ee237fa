import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshConfigDir } from '../../test/helpers/cli.js';
import { testIO } from '../../test/helpers/io.js';
import { apiInstant } from '../contract/api-time.js';
import { clockOffset, isClockRecord } from '../contract/ledger.js';
import { checkLedgerTarget, followSince, LedgerWriter, runStartOnApiClock } from './ledger.js';

describe('a resume reads a run\'s actions on the API\'s clock', () => {
  const run = { startedAt: '2026-06-10T21:00:00.000Z' } as Parameters<typeof runStartOnApiClock>[0]['run'];
  const start = Date.parse(run.startedAt);

  it('from the run\'s start moved by the recorded offset, less 30 s; without a record, less five minutes', () => {
    expect(runStartOnApiClock({ run, clock: { server: '2026-06-10T21:10:00.000Z', local: '2026-06-10T21:00:00.000Z' } })).toBe(start + 600_000 - 30_000);
    expect(runStartOnApiClock({ run, clock: { server: '2026-06-10T20:50:00+00:00', local: '2026-06-10T21:00:00.000Z' } })).toBe(start - 600_000 - 30_000);
    expect(runStartOnApiClock({ run, clock: null })).toBe(start - 300_000);
    // Without the record, an API clock measured behind at the resume moves it earlier; one ahead does not move it.
    expect([runStartOnApiClock({ run, clock: null }, -600_000), runStartOnApiClock({ run, clock: null }, 600_000)]).toEqual([start - 900_000, start - 300_000]);
  });

  it('a follow reads back to the earlier of the two: never less far than five minutes on this machine\'s clock', () => {
    expect(followSince({ run, clock: null })).toBe(start - 300_000);
    expect(followSince({ run, clock: { server: '2026-06-10T21:10:00.000Z', local: '2026-06-10T21:00:00.000Z' } })).toBe(start - 300_000);
    expect(followSince({ run, clock: { server: '2026-06-10T20:50:00.000Z', local: '2026-06-10T21:00:00.000Z' } })).toBe(start - 600_000 - 30_000);
  });

  it('any offset counts, two days behind too (the sandbox\'s clock moves a year either way); a record that holds no time falls back to five minutes, never a crash', () => {
    expect(runStartOnApiClock({ run, clock: { server: '2026-06-08T21:00:00.000Z', local: '2026-06-10T21:00:00.000Z' } })).toBe(start - 2 * 86_400_000 - 30_000);
    for (const clock of [
      { server: '12', local: '1' },
      { server: '+275760-09-13T00:00:00.000Z', local: '1970-01-01T00:00:00.000Z' },
      { server: 'soon', local: '2026-06-10T21:00:00.000Z' },
    ]) {
      expect(clockOffset(clock), JSON.stringify(clock)).toBeUndefined();
      expect(runStartOnApiClock({ run, clock })).toBe(start - 300_000);
    }
  });

  it('reads the API\'s times as instants: with Z or an offset, and without a zone as UTC (as the docs\' responses are), never on this machine\'s zone', () => {
    expect(apiInstant('2026-06-10T21:00:00.000Z')).toBe(start);
    expect(apiInstant('2026-06-10T22:00:00+01:00')).toBe(start);
    expect(apiInstant('2026-06-10T21:00:00')).toBe(start);
    expect(apiInstant('2026-06-10T21:00')).toBe(start);
    expect(['2026-06-10', 'Wed, 10 Jun 2026 21:00:00 GMT', 21, null, 'soon'].map(apiInstant)).toEqual(Array(5).fill(undefined));
    // Only dates of the calendar, times of the day, offsets within a day, years 1-9999: Date.parse moves 2026-02-30 to March 2.
    expect(['2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '+275760-09-13T00:00:00.000Z', '0000-01-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T10:00:60Z', '2026-01-01T10:00:00+24:00', '2026-13-01T00:00:00Z'].map(apiInstant)).toEqual(Array(9).fill(undefined));
    expect(apiInstant('2028-02-29T23:59:59.999+14:00')).toBe(Date.parse('2028-02-29T09:59:59.999Z'));
    expect(apiInstant('2000-02-29T00:00:00Z')).toBe(Date.parse('2000-02-29T00:00:00Z'));
    // Go's zero time, a server's "no time", and the years 1-99 (which Date.UTC would read as 1900-1999).
    expect(apiInstant('0001-01-01T00:00:00Z')).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(apiInstant('0099-06-10T00:00:00Z')).toBe(Date.parse('0099-06-10T00:00:00Z'));
    expect(apiInstant('9999-12-31T23:59:59Z')).toBe(Date.parse('9999-12-31T23:59:59Z'));
    // A fraction's digits past the millisecond are dropped, never rounded into the next second.
    expect(apiInstant('2026-06-10T20:59:59.99999999999999999Z')).toBe(start - 1);
    // RFC 3339's lower-case t and z, and offsets without their colon or minutes, are the same instants.
    for (const spelt of ['2026-06-10t21:00:00z', '2026-06-10 21:00:00Z', '2026-06-10T22:00:00+0100', '2026-06-10T22:00:00+01', '2026-06-10T21:00:00.0009Z', '2026-06-10T16:30:00-04:30']) expect(apiInstant(spelt), spelt).toBe(start);
  });

  it('a clock record is only the shape amps writes: a device row with a clock field stays a device', () => {
    expect(isClockRecord({ clock: { server: 'a', local: 'b' } })).toBe(true);
    expect(isClockRecord({ deviceId: 'bat_voltaro_01', clock: { timeZone: 'Europe/London' } })).toBe(false);
    expect(isClockRecord({ clock: { timeZone: 'Europe/London' } })).toBe(false);
    expect(isClockRecord({ clock: 'x' })).toBe(false);
  });
});

describe('two runs with one --out', () => {
  const dir = freshConfigDir();
  const io = testIO({ env: {} }).io;

  it('a file made after this run found none there is another process\'s: refused, never written over', () => {
    const out = join(dir, 'made-since.ndjson');
    expect(checkLedgerTarget(out, [])).toEqual({ exists: false });
    // The other run's ledger, as far as it got.
    writeFileSync(out, '{"run":{"command":"push"}}\n{"id":"bat_1","outcome":"accepted"}\n');
    expect(() => new LedgerWriter(io, false, out, 8, false)).toThrow(/was made by another process after this run checked it/);
    expect(readFileSync(out, 'utf8')).toContain('bat_1');
  });

  it('a file that was no ledger when checked and is one now: refused too', () => {
    const out = join(dir, 'became.ndjson');
    writeFileSync(out, 'notes\n');
    expect(checkLedgerTarget(out, [])).toEqual({ exists: true });
    writeFileSync(out, '{"run":{"command":"push"}}\n');
    expect(() => new LedgerWriter(io, false, out, 8, true)).toThrow(/became another run's ledger after this run checked it/);
    expect(readFileSync(out, 'utf8')).toContain('"run"');
  });
});
