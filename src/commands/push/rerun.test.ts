import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { rerunArgs, rerunNote, sendingFlags, timeArgs } from './rerun.js';

describe('rerun lines', () => {
  const inputs = { type: 'battery', command: 'charge', quantities: { target: '90%' } };
  const zone = { zone: 'UTC' };

  it('carry --fail-fast alone, or with the classes that were its value, and the flags after it whole', () => {
    expect(rerunArgs(inputs, zone, ['push', 'battery', '--devices', 'f', 'charge', '--fail-fast', '--concurrency', '4'])).toEqual(['push', 'battery', 'charge', '--target', '90%', '--fail-fast', '--concurrency', '4']);
    expect(rerunArgs(inputs, zone, ['push', 'battery', '--devices', 'f', 'charge', '--concurrency', '4', '--fail-fast'])).toEqual(['push', 'battery', 'charge', '--target', '90%', '--concurrency', '4', '--fail-fast']);
    expect(rerunArgs(inputs, zone, ['push', 'battery', '--devices', 'f', 'charge', '--fail-fast', 'conflict,transient', '--retry', '2'])).toEqual(['push', 'battery', 'charge', '--target', '90%', '--fail-fast', 'conflict,transient', '--retry', '2']);
    expect(rerunArgs(inputs, zone, ['push', 'battery', '--devices', 'f', 'charge', '--fail-fast=rejected'])).toEqual(['push', 'battery', 'charge', '--target', '90%', '--fail-fast=rejected']);
  });

  it('keep a flag once, as given last: a run\'s recorded way of sending, then what the command typed (a value flag twice is refused)', () => {
    const recorded = sendingFlags({ concurrency: 2, retry: 1, timeoutMs: 5000, failFast: true, preflight: false });
    expect(rerunArgs(inputs, zone, [...recorded, 'watch', '--ledger', 'l', '--timeout', '30s', '--fail-fast=conflict'])).toEqual(['push', 'battery', 'charge', '--target', '90%', '--concurrency', '2', '--retry', '1', '--no-preflight', '--timeout', '30s', '--fail-fast=conflict']);
  });

  it('never read the key from stdin, which carries the devices: KEY_FILE stands in, said in the note; a relative key file is made absolute', () => {
    const fromStdin = rerunArgs(inputs, zone, ['push', 'battery', '--devices', 'f', 'charge', '--api-key-file', '-']);
    expect(fromStdin).toEqual(['push', 'battery', 'charge', '--target', '90%', '--api-key-file', 'KEY_FILE']);
    expect(rerunArgs(inputs, zone, ['push', 'battery', '--devices', 'f', 'charge', '--api-key-file=-'])).toEqual(fromStdin);
    expect(rerunNote(zone, [`amps ${fromStdin.join(' ')} --devices -`])).toBe('the key came on stdin, which a rerun line feeds its devices on: put the path of a file holding it in place of KEY_FILE');
    expect(rerunArgs(inputs, zone, ['push', 'battery', '--devices', 'f', 'charge', '--api-key-file', 'keys/test.key']).at(-1)).toBe(resolve('keys/test.key'));
    expect(rerunNote(zone, ['amps push battery charge --devices -'])).toBeUndefined();
  });

  it('stand NEW_TIME in for a start that has passed (by this clock, or because the action ran): sent again it would be START_IN_PAST', () => {
    const start = Date.parse('2026-06-10T21:00:00Z');
    expect(timeArgs(true, { start, zone: 'UTC', now: start - 1000 })).toEqual(['--at', '2026-06-10T21:00:00+00:00']);
    expect(timeArgs(true, { start, zone: 'UTC', now: start + 1000 })).toEqual(['--at', 'NEW_TIME']);
    expect(timeArgs(false, { start, end: start + 3_600_000, zone: 'UTC', now: start - 1000, ran: true })).toEqual(['--start', 'NEW_TIME', '--end', 'NEW_TIME']);
    expect(timeArgs(true, { zone: 'UTC', ran: true })).toEqual(['--at', 'now']);
    // A start without an end (a --body push's) is scheduled: --at, which --start alone is not.
    expect(timeArgs(false, { start, zone: 'UTC', now: start - 1000 })).toEqual(['--at', '2026-06-10T21:00:00+00:00']);
    expect(timeArgs(false, { start, zone: 'UTC', now: start + 1000 })).toEqual(['--at', 'NEW_TIME']);
  });
});
