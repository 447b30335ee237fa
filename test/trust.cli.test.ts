import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeInstant, formatInZone } from '../src/domain/time.js';
import { BIN, cleanEnv, freshConfigDir, runCli, type CliResult } from './helpers/cli.js';
import { type TestSandbox, useSandbox } from './helpers/sandbox.js';

// What an operator relies on: pushes at the time they meant, on the clock they meant, to the
// target they meant, with exit codes a runbook can act on.

const KEY = 'amps_sk_test_trustTests01';
let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
const amps = (args: string[], extra: Record<string, string | undefined> = {}, input?: string) => runCli(args, { env: { ...env, ...extra }, input });
const posts = () => sandbox.requests.filter((r) => r.method === 'POST') as Array<{ body: any; path: string }>;
const json = (r: CliResult) => JSON.parse(r.stdout);
const HOUR = 3_600_000;

useSandbox({ ackDelayMs: 300 }, KEY, (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});

describe('queue_after never moves a start earlier, and a moved time is said', () => {
  it('a start later than the action in the way stays where it was asked (no move)', async () => {
    await sandbox.call('POST', '/battery/bat_voltaro_02', { action: { command: 'charge', start: '2h', end: '3h' } });
    const at = new Date(Date.now() + 5 * HOUR + 45 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const r = await amps(['push', 'battery', 'bat_voltaro_02', 'discharge', '--at', at, '--on-conflict', 'queue_after', '--json']);
    expect(r.code).toBe(0);
    expect(Date.parse(json(r).start)).toBe(Date.parse(at));
    expect(json(r).moved).toBeNull();
    expect(r.stderr).not.toContain('moved');
  });

  it('a start inside the action in the way is deferred to its end: a stderr line, and moved in --json', async () => {
    const pending = (await sandbox.call('POST', '/battery/bat_voltaro_02', { action: { command: 'charge', start: '2h', end: '3h' } })).body.data;
    const r = await amps(['push', 'battery', 'bat_voltaro_02', 'discharge', '--at', '+30m', '--on-conflict', 'queue_after', '--json', '--tz', 'Europe/London']);
    expect(r.code).toBe(0);
    expect(json(r).start).toBe(pending.end);
    expect(json(r).moved.start.got).toBe(pending.end);
    expect(Date.parse(json(r).moved.start.sent)).toBeLessThan(Date.parse(pending.end));
    // Said on stderr with --json too, as a notice line: stderr holds JSON alone.
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!)).toEqual({ notice: `The API moved the start: asked ${describeInstant(Date.parse(json(r).moved.start.sent), 'Europe/London')}, got ${describeInstant(Date.parse(pending.end), 'Europe/London')}.` });
    expect(r.stderr.trim().split('\n').every((l) => l.startsWith('{'))).toBe(true);
  });

  it('a --body start relative to the API\'s now ("30m") that queue_after deferred is said moved too (it was moved: null)', async () => {
    const pending = (await sandbox.call('POST', '/battery/bat_voltaro_02', { action: { command: 'charge', start: '10m', end: '3h' } })).body.data;
    const body = JSON.stringify({ action: { command: 'discharge', start: '30m' }, onConflict: 'queue_after' });
    const r = await amps(['push', 'battery', 'bat_voltaro_02', '--body', '-', '--json'], {}, body);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).moved.start.got).toBe(pending.end);
    // Placed after the action's createdAt, as the API read it.
    expect(Date.parse(json(r).moved.start.sent)).toBe(Date.parse(json(r).createdAt) + 30 * 60_000);
    expect(r.stderr).toContain('The API moved the start');
    // Kept where it was asked: nothing said.
    await sandbox.call('POST', '/_sandbox/reset', {});
    const kept = await amps(['push', 'battery', 'bat_voltaro_02', '--body', '-', '--json'], {}, body);
    expect([kept.code, json(kept).moved]).toEqual([0, null]);
  });
});

describe('whose clock', () => {
  it('reads a time without a zone in --tz, and sends that zone\'s offset', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '22:00', '--tz', 'America/New_York', '--dry-run']);
    expect(r.code).toBe(0);
    const start = json(r).action.start;
    expect(start).toMatch(/T22:00:00-0[45]:00$/);
    expect(r.stderr).toContain(`start ${describeInstant(Date.parse(start), 'America/New_York')}`);
    expect(r.stderr).toContain('read in America/New_York: --tz');
  });

  it('then AMPS_TZ, then the device\'s plant zone, then the local zone', async () => {
    const tokyo = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '22:00', '--dry-run'], { AMPS_TZ: 'Asia/Tokyo' });
    expect(json(tokyo).action.start).toMatch(/T22:00:00\+09:00$/);
    const plant = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '22:00', '--dry-run'], { TZ: 'America/Los_Angeles' });
    expect(json(plant).action.start).toMatch(/T22:00:00\+0[12]:00$/);
    expect(plant.stderr).toContain('Europe/Berlin: the device\'s plant zone');
    // With --json, whose clock a typed time was read on is in the result, not only in the text's preview line.
    const sent = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '22:00', '--json', '--on-conflict', 'cancel_and_replace'], { TZ: 'America/Los_Angeles' });
    expect([sent.code, json(sent).timesReadIn], sent.stderr).toEqual([0, { zone: 'Europe/Berlin', source: 'the device\'s plant zone' }]);
    const relative = await amps(['push', 'battery', 'bat_kestrel_01', 'charge', '--at', '+3h', '--json']);
    expect(relative.code, relative.stderr).toBe(0);
    expect(json(relative).timesReadIn).toBeNull();
    const scheduled = await amps(['schedule', 'set', 'battery', 'bat_kestrel_02', '--slot', '01:00/1h charge', '--json'], { TZ: 'America/Los_Angeles' });
    expect([scheduled.code, scheduled.stdout && json(scheduled).timesReadIn], scheduled.stderr).toEqual([0, { zone: 'Europe/Madrid', source: 'the device\'s plant zone' }]);
    // A fleet reads its times in one zone for every device: named, else the local one.
    const local = await amps(['push', 'battery', '--devices', '-', 'idle', '--at', '22:00'], { TZ: 'America/Los_Angeles' }, 'bat_nimbus_01\n');
    expect(posts().filter((p) => p.path === '/battery/bat_nimbus_01').at(-1)!.body.action.start).toMatch(/T22:00:00-0[78]:00$/);
    expect(local.stderr).toContain('America/Los_Angeles: the local zone');
  });

  it('a real push says whose clock a time typed without a zone was read on, and why, without --dry-run; --no-preflight says the device was not read', async () => {
    // A --json dry run, whose stdout is the body alone, says it as a notice line.
    const dry = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '22:00', '--dry-run', '--json'], { TZ: 'America/Los_Angeles' });
    expect([dry.code, dry.stderr]).toEqual([0, `${JSON.stringify({ notice: "times typed without a zone are read in Europe/Berlin: the device's plant zone" })}\n`]);
    const sent = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '22:00', '--on-conflict', 'cancel_and_replace'], { TZ: 'America/Los_Angeles' });
    expect([sent.code, sent.stderr]).toEqual([0, expect.stringContaining('(times typed without a zone are read in Europe/Berlin: the device\'s plant zone)')]);
    const unread = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '+30m', '--no-preflight', '--dry-run'], { TZ: 'America/Los_Angeles' });
    expect(unread.stderr).toContain('(shown in America/Los_Angeles: the local zone (the device was not read: --no-preflight))');
  });

  it('a --body time without a zone, the device not read: no clock is claimed for it (timesReadIn null), and that is said', async () => {
    const body = JSON.stringify({ action: { command: 'charge', start: '2026-12-01T10:00', end: '2026-12-01T11:00' } });
    const dry = await amps(['push', 'battery', 'bat_voltaro_01', '--body', '-', '--no-preflight', '--dry-run', '--json'], { TZ: 'Asia/Tokyo' }, body);
    expect([dry.code, JSON.parse(dry.stderr)]).toEqual([0, { notice: "--body's times without a zone are read by the API on the device's clock, which amps did not read (--no-preflight): sent as written, shown on no clock" }]);
    const sent = await amps(['push', 'battery', 'bat_voltaro_01', '--body', '-', '--no-preflight', '--json', '--on-conflict', 'cancel_and_replace'], { TZ: 'Asia/Tokyo' }, body);
    expect(json(sent).timesReadIn ?? null, sent.stderr).toBeNull();
  });

  it('a time daylight saving skips is said, and which was taken: single push, dry run, fleet; with --json as a notice line on stderr', async () => {
    const note = '--at: 2027-03-28 01:30 Europe/London does not exist (the clocks go forward then); using 2027-03-28 02:30 Europe/London (01:30Z)';
    const at = ['--at', '2027-03-28T01:30', '--tz', 'Europe/London', '--no-preflight'];
    const dry = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', ...at, '--dry-run', '--json']);
    expect([dry.code, json(dry).action.start, dry.stderr]).toEqual([0, '2027-03-28T02:30:00+01:00', `${JSON.stringify({ notice: 'times typed without a zone are read in Europe/London: --tz' })}\n${JSON.stringify({ notice: note })}\n`]);
    // Sent (the API refuses a start past its horizon: the note came first).
    const single = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', ...at, '--json']);
    expect(JSON.parse(single.stderr.split('\n')[0])).toEqual({ notice: note });
    const fleet = await amps(['push', 'battery', '--devices', '-', 'charge', ...at], {}, 'bat_nimbus_01\n');
    expect(fleet.stderr).toContain(note);
    const fleetJson = await amps(['push', 'battery', '--devices', '-', 'charge', ...at, '--json'], {}, 'bat_nimbus_01\n');
    expect(fleetJson.stderr.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ notice: note }, expect.objectContaining({ summary: expect.any(Object) })]);
  });

  it('refuses a zone that is not one, and times that are not times, in one line', async () => {
    for (const [args, message] of [
      [['--at', '22:00', '--tz', 'Mars/Olympus'], "--tz 'Mars/Olympus' is not a time zone"],
      [['--at', '+99999999999999999999h'], 'lies more than 400 days ahead'],
      [['--at', '0000-01-01T00:00Z'], 'has a year outside 1970-9999'],
      [['--at', '10000-01-01T00:00Z'], 'has a year outside 1970-9999'],
      [['--at', '10000-01-01'], 'has a year outside 1970-9999'],
      // What a terminal does not show is spelt in the quote, not taken out: '22:00' is a time.
      [['--at', '22\u200b:00'], "--at '22\\u200b:00' is not a time"],
      [['--at', '\u001b[31m22:00'], "--at '\\u001b[31m22:00' is not a time"],
    ] as const) {
      const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', ...args]);
      expect(r.code, message).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const badEnv = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '22:00'], { AMPS_TZ: 'Nowhere' });
    expect([badEnv.code, badEnv.stderr.split('\n')[0]]).toEqual([2, "amps: AMPS_TZ 'Nowhere' is not a time zone"]);
    expect(posts()).toHaveLength(0);
  });

  it('--at 30m is 30 minutes from now, and --at now is an immediate push', async () => {
    const before = Date.now();
    const later = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '30m', '--json']);
    expect(later.code).toBe(0);
    expect(Math.abs(Date.parse(json(later).start) - before - 30 * 60_000)).toBeLessThan(10_000);
    const now = await amps(['push', 'battery', 'bat_voltaro_02', 'charge', '--at', 'now', '--json']);
    expect(now.code).toBe(0);
    expect(json(now).state).toBe('acknowledged');
    expect(posts().at(-1)!.body.action.start).toBeUndefined();
    expect(now.stderr).toContain('--at now: sent as an immediate push');
  });

  it('a window length only the sandbox limits is sent: the preflight never refuses a rule the docs do not state', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--start', '+1h', '--end', '2m', '--json']);
    expect(r.code).toBe(4);
    expect(posts()).toHaveLength(1);
    const error = JSON.parse(r.stderr).error;
    expect(error.details).toMatchObject({ reason: 'window_too_short', policy: expect.stringContaining('sandbox') });
  });
});

describe('whose clock, without the preflight, in a fleet, and in a body', () => {
  it('--no-preflight refuses a time without a zone (it would not know the device\'s clock); --tz or an offset is fine', async () => {
    const bare = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '22:00', '--no-preflight', '--dry-run']);
    expect([bare.code, bare.stderr.split('\n')[0]]).toEqual([2, "amps: a time without a zone is read on the device's clock, which --no-preflight does not read"]);
    const named = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '22:00', '--no-preflight', '--dry-run', '--tz', 'Europe/Berlin']);
    expect(named.code).toBe(0);
    expect(json(named).action.start).toMatch(/T22:00:00\+0[12]:00$/);
    const relative = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--at', '+2h', '--no-preflight', '--dry-run']);
    expect(relative.code).toBe(0);
  });

  it('--end as a time of day is the first one after the start, not after now', async () => {
    const day = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'discharge', '--start', `${day}T17:00`, '--end', '19:00', '--target', '30%', '--dry-run', '--tz', 'UTC']);
    expect(r.code).toBe(0);
    expect(json(r).action).toMatchObject({ start: `${day}T17:00:00+00:00`, end: `${day}T19:00:00+00:00` });
  });

  it('a command beside --body that says otherwise is refused; a naive start in a body is not reported as moved', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'body.json');
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    writeFileSync(file, JSON.stringify({ action: { command: 'charge', start: `${day}T22:00` } }));
    const other = await amps(['push', 'battery', 'bat_helio_01', 'idle', '--body', file]);
    expect([other.code, other.stderr.split('\n')[0]]).toEqual([2, "amps: the command 'idle' and the --body command 'charge' differ; the body is sent as it is"]);
    expect(posts().filter((p) => p.path === '/battery/bat_helio_01')).toHaveLength(0);
    const same = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--body', file, '--json']);
    expect(same.code).toBe(0);
    expect(json(same).moved).toBeNull();
    expect(same.stderr).not.toContain('moved');
  });

  it('a fleet says whose clock its times are on, counts the times the API moved, and reruns at the same instants', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    // bat_voltaro_02 has a window in the way: queue_after moves its start; the others keep theirs.
    await sandbox.call('POST', '/battery/bat_voltaro_02', { action: { command: 'charge', start: '1h', end: '2h' } });
    const r = await amps(['push', 'battery', '--devices', '-', 'discharge', '--at', '+90m', '--out', out, '--on-conflict', 'queue_after'], { AMPS_TZ: 'Asia/Tokyo' }, 'bat_voltaro_02\nbat_helio_01\n');
    expect(r.code).toBe(0);
    const sent = posts().filter((p) => p.path === '/battery/bat_helio_01').at(-1)!.body.action.start;
    expect(sent).toMatch(/\+09:00$/);
    expect(r.stderr).toContain(`start ${describeInstant(Date.parse(sent), 'Asia/Tokyo')}`);
    expect(r.stderr).toContain('(shown in Asia/Tokyo: AMPS_TZ)');
    expect(r.stderr).toContain(`The API moved the start or end of 1 action(s) from what was sent (each line's moved field says from what to what): grep '"moved":{' ${out}`);
    // A conflict a strategy resolves: the rerun line names the instant the run used, not +90m again.
    const again = await amps(['push', 'battery', '--devices', '-', 'discharge', '--at', '+3h', '--tz', 'Europe/London', '--out', join(dir, 'again.ndjson')], {}, 'bat_ampere_03\n');
    expect(again.code).toBe(5);
    const rerun = again.stderr.split('\n').find((l) => l.includes('--on-conflict cancel_and_replace'))!;
    const at = /--at (\S+)/.exec(rerun)![1];
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[01]:00$/);
    expect(Date.parse(at)).toBe(Date.parse(posts().filter((p) => p.path === '/battery/bat_ampere_03').at(-1)!.body.action.start));
  });
});

describe('units the operator can type', () => {
  it.each([
    ['battery', 'bat_voltaro_01', 'charge', ['--power', '3500w'], 'power', { value: 3.5, unit: 'kw' }],
    ['hvac', 'hvac_thermia_01', 'heat', ['--target', '70f'], 'target', { value: 21.111, unit: 'celsius' }],
    ['battery', 'bat_voltaro_01', 'charge', ['--param', 'power=2500000mw'], 'power', undefined],
  ] as const)('%s %s %s %j', async (type, id, command, flags, name, sent) => {
    const r = await amps(['push', type, id, command, ...flags]);
    if (sent === undefined) {
      // mW is not a unit amps reads: a usage error, nothing sent.
      expect(r.code).toBe(2);
      expect(posts()).toHaveLength(0);
      return;
    }
    expect(r.code).toBe(0);
    expect(posts()[0].body.action.parameters[name]).toEqual(sent);
  });

  it('shows the original and the converted value in --dry-run, and a unit of another dimension is UNSUPPORTED_UNIT', async () => {
    const dry = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '3500w', '--dry-run']);
    expect(dry.stderr).toContain('--power 3500 W sent as 3.5 kw (the unit the device declares)');
    const wrong = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '90%']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('UNSUPPORTED_UNIT');
  });

  it('a value too small for the device\'s unit is refused, never sent as 0; a 0 typed as 0 is sent', async () => {
    const before = posts().length;
    const tiny = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '0.0004w']);
    expect([tiny.code, tiny.stderr.split('\n')[0]]).toEqual([2, 'amps: --power 0.0004 W is 0 kw to the thousandth amps sends (the unit the device declares), so it would go as 0']);
    expect(posts().length).toBe(before);
    const zero = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '0w', '--dry-run']);
    expect([zero.code, JSON.parse(zero.stdout).action.parameters.power]).toEqual([0, { value: 0, unit: 'kw' }]);
  });

  it('converts settings too: export_limit=3kw is sent as 3000 watts', async () => {
    const r = await amps(['settings', 'battery', 'bat_voltaro_01', 'export_limit=3kw']);
    expect(r.code).toBe(0);
    expect(posts()[0].body).toEqual({ export_limit: { value: 3000, unit: 'watts' } });
    expect(r.stderr).toContain('export_limit 3 kW sent as 3000 watts');
  });

  it('a bare number is read in the unit the device declares, and that is said: export_limit=0.5 meant as kW goes as 0.5 watts', async () => {
    const r = await amps(['settings', 'battery', 'bat_voltaro_01', 'export_limit=0.5']);
    expect(r.code).toBe(0);
    expect(posts()[0].body).toEqual({ export_limit: { value: 0.5, unit: 'watts' } });
    expect(r.stderr).toContain('export_limit 0.5 sent as 0.5 watts (no unit typed: the unit the device declares)');
    const push = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--target', '90', '--dry-run']);
    expect([push.code, push.stderr]).toEqual([0, expect.stringContaining('--target 90 sent as 90 percent (no unit typed: the unit the device declares)')]);
  });
});

describe('exit codes a runbook can act on', () => {
  it('a wait that runs out while the action is pending is exit 10, with the id and the command that follows it', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+2h', '--wait', '--wait-timeout', '1s']);
    expect(r.code).toBe(10);
    const id = /^(act_\w+) is still scheduled/m.exec(r.stderr)?.[1] ?? '';
    expect(r.stderr).toContain(`${id} is still scheduled`);
    expect(r.stderr).toContain(`Follow it: amps actions wait ${id}`);
    expect(r.stderr).toContain(`Cancel it: amps actions cancel ${id}`);
    const waited = await amps(['actions', 'wait', id, '--wait-timeout', '1s']);
    expect(waited.code).toBe(10);
    // With --json, stderr keeps to the one JSON error a failure writes, and exit 10 is none: the output says the wait ended.
    const quiet = await amps(['actions', 'wait', id, '--wait-timeout', '1s', '--json']);
    expect([quiet.code, quiet.stderr, json(quiet)]).toEqual([10, '', expect.objectContaining({ id, state: 'scheduled', waitEnded: true, unreadAtEnd: null })]);
  });

  it('Ctrl-C during a wait says the action still stands and how to follow or cancel it, exit 130', async () => {
    const child = spawn(process.execPath, [BIN, 'push', 'battery', 'bat_voltaro_02', 'charge', '--at', '+2h', '--wait'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    await new Promise<void>((resolve) => child.stderr.on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('following it')) resolve();
    }));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/Interrupted while following act_\w+\./);
    expect(stderr).toMatch(/act_\w+ is still scheduled .*it stands; do not push it again/);
    expect(stderr).toMatch(/Cancel it: amps actions cancel act_\w+/);
  });

  it('Ctrl-C during a wait with --json: stderr is the one JSON error', async () => {
    // The wait's first read reaching the sandbox is the event to interrupt on (--json prints nothing before the end).
    const log = sandbox.requests;
    const push = log.push.bind(log);
    const firstRead = new Promise<void>((resolve) => {
      log.push = (...entries) => {
        if (entries.some((e) => e.method === 'GET' && e.path.startsWith('/actions/'))) resolve();
        return push(...entries);
      };
    });
    const child = spawn(process.execPath, [BIN, 'push', 'battery', 'bat_voltaro_02', 'charge', '--at', '+2h', '--wait', '--json'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await firstRead;
    log.push = push;
    child.kill('SIGINT');
    expect(await new Promise<number | null>((resolve) => child.on('close', resolve))).toBe(130);
    // It names the action, which stands: a script must not push again.
    expect(JSON.parse(stderr)).toMatchObject({ error: { code: 'INTERRUPTED', exitCode: 130, action: { id: expect.stringMatching(/^act_/), state: 'scheduled' } } });
  });
});

describe('never the fake API by accident', () => {
  const configured = () => {
    const e = cleanEnv();
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ profiles: { prod: { apiKey: 'amps_sk_live_productionKey1' }, staging: {} } }));
    return e;
  };

  it('config use refuses a profile that does not exist, with the closest names', async () => {
    const e = configured();
    const r = await runCli(['config', 'use', 'prdo'], { env: e });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no profile named 'prdo'");
    expect(r.stderr).toContain('did you mean prod');
    expect(JSON.parse(readFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), 'utf8')).currentProfile).toBeUndefined();
  });

  it('a selected profile without a key is exit 3, never the embedded sandbox', async () => {
    const e = configured();
    for (const extra of [['--profile', 'staging'], []]) {
      const r = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', ...extra], { env: e });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/profile (staging|default) has no API key/);
      expect(r.stderr).not.toContain('sandbox: embedded');
    }
    const viaEnv = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: { ...e, AMPS_PROFILE: 'staging' } });
    expect(viaEnv.code).toBe(3);
    // The profiles that are configured are named, since one of them is likely what was meant.
    expect(viaEnv.stderr.split('\n')[0]).toMatch(/^amps: profile staging has no API key \(configured: profile [a-z, ]*prod[a-z, ]*; --profile \w+ or amps config use \w+\)$/);
    expect(readdirSync(e.AMPS_CONFIG_DIR!)).not.toContain('sandbox-state.json');
  });

  it('--profile prod beside AMPS_API_KEY or AMPS_API_URL holding another key or URL (as sandbox serve prints them to export) is refused, nothing sent; the same values, or flags, are no contradiction', async () => {
    const e = cleanEnv();
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ profiles: { prod: { apiKey: KEY, apiUrl: `${sandbox.url}/` } } }));
    const before = sandbox.requests.length;
    for (const [vars, said, unset] of [
      [{ AMPS_API_KEY: 'amps_sk_test_exportedKey01' }, 'AMPS_API_KEY holds another key (the variable would', 'unset AMPS_API_KEY to use profile prod, or leave out --profile to use it'],
      [{ AMPS_API_URL: 'http://127.0.0.1:1' }, 'AMPS_API_URL holds another URL (the variable would', 'unset AMPS_API_URL to use profile prod, or leave out --profile to use it'],
      [{ AMPS_API_KEY: 'amps_sk_test_exportedKey01', AMPS_API_URL: 'http://127.0.0.1:1' }, 'AMPS_API_KEY holds another key and AMPS_API_URL holds another URL (the variables would', 'unset AMPS_API_KEY AMPS_API_URL to use profile prod, or leave out --profile to use them'],
    ] as const) {
      const message = `--profile prod is given, and ${said} win over the profile's), so amps cannot tell where you meant to send requests`;
      for (const args of [['push', 'battery', 'bat_voltaro_01', 'idle', '-q', '--profile', 'prod'], ['config', 'list', '--profile', 'prod']]) {
        const r = await runCli(args, { env: { ...e, ...vars } });
        expect([r.code, r.stderr.split('\n')[0]], `${args[0]} ${JSON.stringify(vars)}`).toEqual([2, `amps: ${message}`]);
        expect(r.stderr.split('\n')[1]).toBe(`  hint: ${unset}`);
      }
      // doctor fails its configuration check with it, and checks nothing further.
      const doctor = await runCli(['doctor', '--profile', 'prod'], { env: { ...e, ...vars } });
      expect([doctor.code, doctor.stdout.split('\n').slice(0, 2)]).toEqual([2, [`✖ config   ${message}`, `           fix: ${unset}`]]);
    }
    expect(sandbox.requests.length).toBe(before);
    // The variables saying what the profile says (a URL spelt with its slash), or the flags typed beside --profile: sent.
    const same = await runCli(['get', 'battery', 'bat_voltaro_01', '--profile', 'prod', '--json'], { env: { ...e, AMPS_API_KEY: KEY, AMPS_API_URL: sandbox.url } });
    expect(same.code, same.stderr).toBe(0);
    const flagged = await runCli(['get', 'battery', 'bat_voltaro_01', '--profile', 'prod', '--api-url', sandbox.url, '--json'], { env: { ...e, AMPS_API_URL: 'http://127.0.0.1:1' } });
    expect(flagged.code, flagged.stderr).toBe(0);
    // A profile holding a URL alone, the key in AMPS_API_KEY (as CI keeps it): no contradiction.
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ profiles: { prod: { apiKey: KEY, apiUrl: `${sandbox.url}/` }, ci: { apiUrl: sandbox.url } } }));
    const urlOnly = await runCli(['get', 'battery', 'bat_voltaro_01', '--profile', 'ci', '--json'], { env: { ...e, AMPS_API_KEY: KEY } });
    expect(urlOnly.code, urlOnly.stderr).toBe(0);
    // Without --profile the variables win, as they always have.
    const plain = await runCli(['get', 'battery', 'bat_voltaro_01', '--json'], { env: { ...e, AMPS_PROFILE: 'prod', AMPS_API_URL: sandbox.url } });
    expect(plain.code, plain.stderr).toBe(0);
  }, 30_000);

  it('the commands amps prints to run next (Follow it, Cancel it, a rerun line) name the profile the run used where it was not typed, and what was typed', async () => {
    const e = cleanEnv();
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ currentProfile: 'stage', profiles: { stage: { apiKey: KEY, apiUrl: sandbox.url } } }));
    const current = await runCli(['push', 'battery', 'bat_voltaro_02', 'charge', '--at', '+3h', '--on-conflict', 'cancel_and_replace'], { env: e });
    expect(current.code, current.stderr).toBe(0);
    const id = /Follow it: amps actions wait (act_\w+)/.exec(current.stderr)![1];
    // Run from a shell where another profile is current, "amps actions cancel ID" would go there.
    expect(current.stderr).toContain(`Follow it: amps actions wait ${id} --profile stage`);
    // The conflict's rerun line too (a write that cancels: from another shell it went to the current profile there).
    const conflicted = await runCli(['push', 'battery', 'bat_voltaro_02', 'charge', '--at', '+4h'], { env: e });
    expect([conflicted.code, conflicted.stderr]).toEqual([5, expect.stringMatching(/rerun:\n {2}amps push battery bat_voltaro_02 charge --at \S+ --profile stage --on-conflict cancel_and_replace\n/)]);
    const waited = await runCli(['actions', 'wait', id, '--wait-timeout', '1s', '--profile', 'stage'], { env: e });
    expect([waited.code, waited.stderr]).toEqual([10, expect.stringContaining(`  Cancel it: amps actions cancel ${id} --profile stage\n`)]);
    const fleet = await runCli(['push', 'battery', '--devices', '-', 'idle', '--simulate-failure', 'DEVICE_OFFLINE', '--on-conflict', 'cancel_and_replace', '--fail-fast', '--concurrency', '1'], { env: e, input: 'bat_voltaro_02\nbat_voltaro_03\n' });
    expect(fleet.stderr).toMatch(/grep '"code":"DEVICE_OFFLINE"' \S+ \| amps push battery idle --fail-fast --concurrency 1 --profile stage --devices -/);
    expect(fleet.stderr).toMatch(/Send the rest, no device twice: amps push --resume \S+ --profile stage --devices - \(the same list on stdin\)/);
    // The URL typed, the key still the current profile's: the profile is named too (with another
    // profile current, the resume sent the rest with its key).
    const typedUrl = await runCli(['push', 'battery', '--devices', '-', 'idle', '--simulate-failure', 'DEVICE_OFFLINE', '--on-conflict', 'cancel_and_replace', '--fail-fast', '--concurrency', '1', '--api-url', sandbox.url], { env: e, input: 'bat_voltaro_02\nbat_voltaro_03\n' });
    expect(typedUrl.stderr).toContain(` --api-url ${sandbox.url} --profile stage --devices - (the same list on stdin)`);
    // A key read from stdin (the devices from a file): the resume line reads it there again.
    const ids = join(e.AMPS_CONFIG_DIR!, 'ids.txt');
    writeFileSync(ids, 'bat_voltaro_02\nbat_voltaro_03\n');
    const piped = await runCli(['push', 'battery', '--devices', ids, 'idle', '--simulate-failure', 'DEVICE_OFFLINE', '--on-conflict', 'cancel_and_replace', '--fail-fast', '--concurrency', '1', '--api-url', sandbox.url, '--api-key-file', '-'], { env: e, input: `${KEY}\n` });
    expect(piped.stderr).toMatch(new RegExp(`Send the rest, no device twice: amps push --resume \\S+ --api-url ${sandbox.url} --api-key-file -\\n`));
    // The key from AMPS_API_KEY, the URL from the current profile: the URL is named (after
    // `config use` of a profile of another URL, the rerun line went there).
    const keyFromEnv = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+3h', '--on-conflict', 'cancel_and_replace'], { env: { ...e, AMPS_API_KEY: KEY } });
    expect(keyFromEnv.stderr).toMatch(new RegExp(`Follow it: amps actions wait act_\\w+ --api-url ${sandbox.url}\\n`));
    // The key from a file named on the command line (carried), the URL from AMPS_API_URL: the URL is
    // named beside it (from another shell the cancel went to the current profile's URL).
    const keyFile = join(e.AMPS_CONFIG_DIR!, 'key.txt');
    writeFileSync(keyFile, `${KEY}\n`);
    const fileKey = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+3h', '--on-conflict', 'cancel_and_replace', '--api-key-file', keyFile], { env: { ...e, AMPS_API_URL: sandbox.url } });
    expect(fileKey.stderr).toMatch(new RegExp(`Follow it: amps actions wait act_\\w+ --api-key-file ${keyFile} --api-url ${sandbox.url}\\n`));
    // A key and URL the environment gave are this shell's: nothing is added.
    const fromEnv = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+3h', '--on-conflict', 'cancel_and_replace'], { env: { ...e, AMPS_API_KEY: KEY, AMPS_API_URL: sandbox.url } });
    expect(fromEnv.stderr).toMatch(/Follow it: amps actions wait act_\w+\n/);
    await runCli(['actions', 'cancel', id, '--profile', 'stage'], { env: e });
  });

  it('a config file with a setting under a name amps does not read is refused, never read as "nothing configured"', async () => {
    for (const [content, named] of [
      [{ profiles: { default: { 'api-key': 'amps_sk_live_productionKey1', 'api-url': 'https://api.amps.ai' } } }, "'api-key' in profile default"],
      [{ profiles: { default: { api_key: 'amps_sk_live_productionKey1' } } }, "'api_key' in profile default"],
      [{ profile: { default: { apiKey: 'amps_sk_live_productionKey1' } } }, "'profile' at the top"],
      [{ profiles: { default: 'amps_sk_live_productionKey1' } }, "a profile 'default' that is not a set of settings"],
    ] as const) {
      const e = cleanEnv();
      writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify(content));
      for (const args of [['push', 'hvac', 'hvac_thermia_01', 'idle', '-q'], ['config', 'list'], ['get', 'battery', 'bat_voltaro_01']]) {
        const r = await runCli(args, { env: e });
        expect([r.code, r.stdout], `${named}: ${args.join(' ')}`).toEqual([2, '']);
        expect(r.stderr).toContain(named);
        expect(r.stderr).not.toContain('productionKey1');
      }
      expect(readdirSync(e.AMPS_CONFIG_DIR!)).not.toContain('sandbox-state.json');
    }
    const e = cleanEnv();
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify({ profiles: { default: { apiKy: 'amps_sk_live_productionKey1' } } }));
    expect((await runCli(['devices'], { env: e })).stderr).toContain('rename it to apiKey in the file');
  });

  it('a config file that is a link to a file not there (a secrets volume not mounted) is refused, never read as "nothing configured"', async () => {
    const e = cleanEnv();
    const target = join(e.AMPS_CONFIG_DIR!, 'volume', 'config.json');
    symlinkSync(target, join(e.AMPS_CONFIG_DIR!, 'config.json'));
    for (const args of [['push', 'hvac', 'hvac_thermia_01', 'idle', '-q'], ['config', 'set', 'app-id', 'app_1'], ['config', 'list']]) {
      const r = await runCli(args, { env: e });
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], args.join(' ')).toEqual([2, '', `amps: cannot read the config file ${join(e.AMPS_CONFIG_DIR!, 'config.json')}: it is a link to ${target}, which is not there`]);
    }
    expect(readdirSync(e.AMPS_CONFIG_DIR!).sort()).toEqual(['config.json']);
  });

  it('refuses --profile constructor and an empty AMPS_PROFILE, in config commands and requests alike', async () => {
    const e = configured();
    const proto = await runCli(['get', 'battery', 'bat_voltaro_01', '--profile', 'constructor'], { env: e });
    expect([proto.code, proto.stderr.split('\n')[0]]).toEqual([2, "amps: no profile named 'constructor' (from --profile)"]);
    const before = readFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), 'utf8');
    for (const args of [['config', 'set', 'api-url', 'http://127.0.0.1:1'], ['get', 'battery', 'bat_voltaro_01']]) {
      const r = await runCli(args, { env: { ...e, AMPS_PROFILE: '' } });
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, 'amps: AMPS_PROFILE is given but empty, so amps cannot tell where you meant to send requests']);
    }
    expect(readFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), 'utf8')).toBe(before);
    // A name led by - would read as an option wherever it is typed (amps config use -x): none is made.
    const dashed = await runCli(['config', 'set', 'api-url', 'https://api.amps.ai', '--profile=-dash'], { env: e });
    expect([dashed.code, dashed.stderr.split('\n')[0]]).toEqual([2, "amps: '-dash' is not a profile name (letters, digits, _ . -, not led by -, at most 64; not an API key)"]);
    expect(readFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), 'utf8')).toBe(before);
  });

  it('an empty key, URL, profile, key file or config folder given anywhere is refused, never read as "use the embedded sandbox"', async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [[], { AMPS_API_KEY: '' }, 'AMPS_API_KEY is given but empty'],
      [[], { AMPS_API_URL: '' }, 'AMPS_API_URL is given but empty'],
      [[], { AMPS_PROFILE: '' }, 'AMPS_PROFILE is given but empty'],
      [['--api-url', ''], {}, '--api-url is given but empty'],
      [['--profile', ''], {}, '--profile is given but empty'],
      [['--api-key-file', ''], {}, '--api-key-file is given but empty'],
    ];
    for (const [flags, vars, said] of cases) {
      const e = cleanEnv(vars);
      const r = await runCli(['push', 'battery', 'bat_voltaro_01', 'idle', ...flags], { env: e });
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `amps: ${said}, so amps cannot tell where you meant to send requests`]);
      expect(r.stderr).not.toContain('sandbox: embedded');
      expect(readdirSync(e.AMPS_CONFIG_DIR!)).not.toContain('sandbox-state.json');
      // The config commands read and write the same profiles: refused the same way, nothing written.
      for (const command of [['config', 'list'], ['config', 'profiles'], ['config', 'use', 'default'], ['config', 'set', 'api-url', 'http://127.0.0.1:1'], ['config', 'unset', 'api-url']]) {
        const c = await runCli([...command, ...flags], { env: e });
        expect([c.code, c.stderr.split('\n')[0]], `${command.join(' ')} ${JSON.stringify(vars)} ${flags.join(' ')}`).toEqual([2, `amps: ${said}, so amps cannot tell where you meant to send requests`]);
      }
      expect(readdirSync(e.AMPS_CONFIG_DIR!)).not.toContain('config.json');
    }
    // A ~ no shell expanded would name a folder '~' under the current one.
    const tilde = await runCli(['push', 'battery', 'bat_voltaro_01', 'idle'], { env: cleanEnv({ AMPS_CONFIG_DIR: '~/cfg' }), cwd: freshConfigDir() });
    expect([tilde.code, tilde.stderr.split('\n')[0]]).toEqual([2, "amps: AMPS_CONFIG_DIR is '~/cfg': its ~ was not expanded (a shell does that; a dotenv or service file does not), so it would name a folder '~' here"]);
    // A variable no shell expanded, or a relative path, names another configuration wherever amps runs.
    for (const dir of ['$HOME/.config/amps', '%APPDATA%\\amps']) {
      const unexpanded = await runCli(['push', 'battery', 'bat_voltaro_01', 'idle'], { env: cleanEnv({ AMPS_CONFIG_DIR: dir }), cwd: freshConfigDir() });
      expect([unexpanded.code, unexpanded.stderr.split('\n')[0]]).toEqual([2, `amps: AMPS_CONFIG_DIR is '${dir}': a variable in it was not expanded (a shell does that; a dotenv or service file may not), so it would name a folder of that name here`]);
    }
    const relative = await runCli(['push', 'battery', 'bat_voltaro_01', 'idle'], { env: cleanEnv({ AMPS_CONFIG_DIR: 'cfg' }), cwd: freshConfigDir() });
    expect([relative.code, relative.stderr.split('\n')[0]]).toEqual([2, "amps: AMPS_CONFIG_DIR is 'cfg', not an absolute path, so it would name another configuration in every folder amps runs in"]);
    // An empty AMPS_CONFIG_DIR would read the home folder's config and its current profile.
    for (const command of [['push', 'battery', 'bat_voltaro_01', 'idle'], ['config', 'list'], ['config', 'set', 'api-url', 'http://127.0.0.1:1']]) {
      for (const blank of ['', ' ']) {
        const r = await runCli(command, { env: cleanEnv({ AMPS_CONFIG_DIR: blank }) });
        expect([r.code, r.stderr.split('\n')[0]], command.join(' ')).toEqual([2, 'amps: AMPS_CONFIG_DIR is set but empty, so amps cannot tell which configuration you meant']);
      }
    }
  });

  it('a key typed where a path, a URL or an app id belongs is refused without being printed; an API key is no app id', async () => {
    const pasted = 'amps_sk_test_PastedKey12345';
    const cases: Array<[string[], Record<string, string>]> = [
      [['get', 'battery', 'bat_voltaro_01', '--api-url', 'http://127.0.0.1:1', '--api-key-file', pasted], {}],
      [['get', 'battery', 'bat_voltaro_01'], { AMPS_API_URL: pasted, AMPS_API_KEY: KEY }],
      [['config', 'set', 'api-url', pasted], {}],
      [['config', 'set', 'app-id', pasted], {}],
      [['link', 'url', 'battery'], { AMPS_APP_ID: pasted }],
      [['link', 'url', 'battery'], { AMPS_APP_ID: `${pasted}!` }],
    ];
    for (const [args, vars] of cases) {
      for (const json of [[], ['--json']]) {
        const e = cleanEnv(vars);
        const r = await runCli([...args, ...json], { env: e });
        expect(r.code, `${args.join(' ')} ${json.join('')}`).toBe(2);
        expect(r.stdout + r.stderr, `${args.join(' ')} ${json.join('')}`).not.toContain('PastedKey12345');
        expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
        if (json.length) expect(JSON.parse(r.stderr).error.code).toBe('USAGE');
      }
    }
    const r = await runCli(['config', 'set', 'app-id', pasted], { env: cleanEnv() });
    expect(r.stderr).toContain("is not an app id: it is an API key");
  });

  it('a key typed into a request body (a command, a parameter, a slot, a field, a --body file, a fleet column) is neither sent nor shown, --dry-run included: exit 2, a fleet\'s row invalid_input', async () => {
    const typed = 'amps_sk_test_BodyKey1234567';
    const dir = freshConfigDir();
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, JSON.stringify({ action: { command: 'charge', note: typed } }));
    const before = posts().length;
    for (const args of [
      ['push', 'battery', 'bat_voltaro_01', 'charge', '--param', `${typed}=5kw`, '--no-preflight', '--dry-run'],
      ['push', 'battery', 'bat_voltaro_01', typed, '--no-preflight'],
      ['api', 'POST', '/battery/bat_voltaro_01', '-f', `note=${typed}`, '--dry-run'],
      ['api', 'POST', '/battery/bat_voltaro_01', '--body', bodyFile],
      ['schedules', 'create', '--device', 'bat_voltaro_01', '--device-type', 'battery', '--slot', `01:00/1h ${typed}`, '--tz', 'UTC', '--no-preflight', '--dry-run'],
      ['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', `01:00/1h charge --param ${typed}=5kw`, '--tz', 'UTC', '--no-preflight'],
    ]) {
      // Until now --dry-run printed it, and without it, it was sent.
      const r = await amps(args);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], args.join(' ')).toEqual([2, '', 'amps: the request body holds what looks like an API key, so it is neither sent nor shown']);
      expect(r.stderr).not.toContain('BodyKey');
    }
    const rows = join(dir, 'rows.csv');
    writeFileSync(rows, `id,${typed}\nbat_voltaro_01,5kw\n`);
    const out = join(dir, 'ledger.ndjson');
    const fleet = await amps(['push', 'battery', '--devices', rows, 'charge', '--no-preflight', '--out', out]);
    expect(fleet.code).toBe(2);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('"outcome":"invalid_input"');
    expect(text).toContain('"end":');
    expect(text + fleet.stdout + fleet.stderr).not.toContain('BodyKey');
    expect(posts()).toHaveLength(before);
  }, 30_000);

  it('a key pasted twice, percent-escaped, or typed as an id, a path, a query, a name, a file or a URL is refused before anything is sent, and never printed', async () => {
    const pasted = 'sk_test_PastedKey12345';
    const twice = 'sk_test_PastedKey12345sk_live_SecondKey67890';
    const dir = freshConfigDir();
    const cases: Array<[string[], Record<string, string>]> = [
      [['config', 'set', 'app-id', twice], {}],
      [['config', 'use', pasted], {}],
      [['get', 'battery', 'bat_voltaro_01', '--profile', twice], {}],
      [['get', 'battery', 'bat_voltaro_01'], { AMPS_API_URL: `http://127.0.0.1:1/${pasted}`, AMPS_API_KEY: KEY }],
      [['get', 'battery', 'bat_voltaro_01'], { AMPS_API_URL: 'http://127.0.0.1:1/sk%5Ftest_PastedKey12345', AMPS_API_KEY: KEY }],
      [['get', 'battery', 'sk_live_PastedKey12345', '--verbose'], {}],
      [['get', 'battery', 'bat_voltaro_01', '--verbose'], { AMPS_PROFILE: pasted }],
      [['actions', 'get', twice, '--verbose'], {}],
      [['api', 'GET', '/battery/amps_sk_test_PastedKey12345', '--dry-run'], {}],
      [['api', 'GET', '/battery/sk%5Ftest%5FPastedKey12345', '--verbose'], {}],
      [['api', 'GET', '/devices', '-f', `q=${twice}`, '--dry-run'], {}],
      [['push', 'battery', 'charge', '--devices', '-', '--out', join(dir, `${pasted}.ndjson`)], {}],
      [['push', 'battery', 'charge', '--resume', join(dir, twice)], {}],
      [['watch', '--ledger', join(dir, pasted)], {}],
      [['sandbox', 'reset', '--state', join(dir, pasted)], {}],
      [['sandbox', 'serve', '--state', join(dir, pasted)], {}],
      [['sandbox', 'serve', '--webhook', `http://127.0.0.1:9/${pasted}`], {}],
      [['listen', '--forward-to', `http://127.0.0.1:9/${twice}`], {}],
      [['webhooks', 'trigger', 'push.failed', '--forward-to', `http://127.0.0.1:9/?k=${pasted}`], {}],
      [['webhooks', 'trigger', 'push.failed', '--forward-to', 'http://127.0.0.1:9/sk%5ftest_PastedKey12345'], {}],
      [['config', 'list'], { AMPS_CONFIG_DIR: join(dir, pasted) }],
      [['push', 'battery', 'idle', '--devices', '-'], { AMPS_CONFIG_DIR: join(dir, `a\u001b]0;x\u0007${pasted}`) }],
    ];
    const before = sandbox.requests.length;
    for (const [args, vars] of cases) {
      for (const json of [[], ['--json']]) {
        const r = await runCli([...args, ...json], { env: { ...env, AMPS_CONFIG_DIR: dir, ...vars }, input: 'bat_voltaro_01\n' });
        const said = `${args.join(' ')} ${JSON.stringify(vars)} ${json.join('')}`;
        expect([r.code, r.stdout + r.stderr], said).toEqual([2, expect.not.stringMatching(/PastedKey12345|SecondKey67890/)]);
        expect(r.stderr.trim().split('\n').length, said).toBeLessThanOrEqual(2);
        if (json.length) expect(JSON.parse(r.stderr).error.code, said).toBe('USAGE');
      }
    }
    expect(sandbox.requests.length).toBe(before);
    const named = await runCli(['--profile', `${pasted}!`, 'get', 'battery', 'bat_voltaro_01'], { env: { ...env, AMPS_CONFIG_DIR: dir } });
    expect(named.stderr.split('\n')[0]).toBe("amps: '[redacted key]!' (from --profile) is not a profile name (letters, digits, _ . -, not led by -, at most 64; not an API key)");
    // A preflight's details quote what was typed: a command or a parameter name that is a key,
    // split by a control character too.
    for (const args of [['push', 'battery', 'bat_voltaro_01', 'sk_test_Pasted\u0007Key12345'], ['push', 'battery', 'bat_voltaro_01', 'charge', '--param', `${pasted}=5kw`]]) {
      for (const json of [[], ['--json']]) {
        const r = await runCli([...args, ...json], { env: { ...env, AMPS_CONFIG_DIR: dir } });
        expect([r.code, r.stdout + r.stderr], args.join(' ')).toEqual([2, expect.stringContaining('[redacted key]')]);
        expect(r.stdout + r.stderr).not.toMatch(/PastedKey12345|Pasted\u0007Key|Pasted\\u0007Key/);
      }
    }
    // Profile names a hand-edited config file holds are shown redacted and scrubbed wherever they are named.
    const edited = freshConfigDir();
    writeFileSync(join(edited, 'config.json'), JSON.stringify({ profiles: { [pasted]: { apiUrl: 'http://a' }, 'ok\u001b]0;PWNED\u0007x': { apiUrl: 'http://b' } } }), { mode: 0o600 });
    for (const args of [['config', 'list'], ['config', 'list', '--json'], ['get', 'battery', 'bat_voltaro_01']]) {
      const r = await runCli(args, { env: { ...env, AMPS_CONFIG_DIR: edited, AMPS_API_KEY: undefined } });
      expect(r.stdout + r.stderr, args.join(' ')).toContain('configured: profile [redacted key], ok');
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(/PastedKey12345|\u001b|\\u001b|PWNED\u0007/);
    }
    // A word that only ends like a key is none: an id the API could have named is sent (the API
    // says whether it is there), a file so named is written.
    const kiosk = await runCli(['get', 'battery', 'kiosk_live_lobby1'], { env: { ...env, AMPS_CONFIG_DIR: dir } });
    expect([kiosk.code, kiosk.stderr]).toEqual([4, expect.stringContaining('DEVICE_NOT_FOUND')]);
    const disk = await runCli(['push', 'battery', 'idle', '--devices', '-', '--out', join(dir, 'disk_test_results1.ndjson')], { env: { ...env, AMPS_CONFIG_DIR: dir }, input: 'bat_voltaro_01\n' });
    expect([disk.code, existsSync(join(dir, 'disk_test_results1.ndjson'))], disk.stderr).toEqual([0, true]);
    const control = await runCli(['push', 'battery', 'charge', '--devices', '-', '--out', join(dir, 'a\u001b[2Jb')], { env: { ...env, AMPS_CONFIG_DIR: dir } });
    expect([control.code, control.stderr.split('\n')[0]]).toEqual([2, 'amps: --out holds a control character, so it is not used: amps prints the files and URLs it is given']);
  }, 30_000);

  it('a fleet ledger never records a key pasted into a row: a key-shaped id is refused by its line, a key-shaped cell is quoted redacted', async () => {
    const dir = freshConfigDir();
    const devices = join(dir, 'devices.csv');
    writeFileSync(devices, 'id,power\nbat_voltaro_01,"sk_test_Pasted\u0007Key12345"\nsk_live_PastedKey12345,5kw\nsk_live_Pasted\u200bKey12345,5kw\nbat\u200b_voltaro_02,5kw\n');
    const out = join(dir, 'ledger.ndjson');
    const r = await amps(['push', 'battery', 'charge', '--devices', devices, '--out', out, '--json']);
    expect(r.code).toBe(2);
    const ledger = readFileSync(out, 'utf8');
    expect(ledger + r.stdout + r.stderr).not.toMatch(/PastedKey12345|Pasted\\u0007Key|Pasted\\\\u200bKey/);
    const lines = ledger.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'outcome' in l);
    expect(lines.map((l) => [l.id, l.line, l.reason]).sort((a, b) => a[1] - b[1])).toEqual([
      ['bat_voltaro_01', 2, "line 2: the row's power '[redacted key]' is not a quantity"],
      [null, 3, 'line 3 its id looks like an API key, so it is neither sent nor shown'],
      // A bad id is quoted, what a terminal does not show spelt; one holding a key, redacted.
      [null, 4, "line 4 names the id '[redacted key]', which has characters no Amps id uses (letters, digits and _ - . : @ only)"],
      [null, 5, "line 5 names the id 'bat\\u200b_voltaro_02', which has characters no Amps id uses (letters, digits and _ - . : @ only)"],
    ]);
  });

  it('HOME unset for a user the system has no home for (a container\'s uid): refused in one line, exit 2, never a crash', async () => {
    // A copy of the built amps that user can read (the checkout and the suite's temporary folder may be private to root).
    const copy = mkdtempSync('/tmp/amps-nohome-');
    try {
      for (const part of ['bin', 'dist', 'package.json']) cpSync(join(BIN, '..', '..', part), join(copy, part), { recursive: true });
      execFileSync('chmod', ['-R', 'a+rX', copy]);
      const r = spawnSync('setpriv', ['--reuid=54321', '--regid=54321', '--clear-groups', process.execPath, join(copy, 'bin', 'amps'), 'devices'], { env: { PATH: process.env.PATH }, cwd: '/', encoding: 'utf8', timeout: 20_000 });
      expect([r.status, r.stderr.split('\n')[0]]).toEqual([2, 'amps: HOME is unset and the system has no home folder for this user, so amps cannot tell which configuration you meant']);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('an empty or relative HOME is refused rather than make a config (and a sandbox) under the current folder', async () => {
    for (const home of ['', 'relative/home']) {
      const e = cleanEnv({ HOME: home, AMPS_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined });
      const cwd = freshConfigDir();
      for (const command of [['push', 'battery', 'bat_voltaro_01', 'idle'], ['config', 'list']]) {
        const r = await runCli(command, { env: e, cwd });
        const said = home === '' ? 'HOME is set but empty' : "HOME is 'relative/home', not an absolute path";
        expect([r.code, r.stderr.split('\n')[0]], `${home} ${command[0]}`).toEqual([2, `amps: ${said}, so amps cannot tell which configuration you meant`]);
      }
      expect(readdirSync(cwd)).toEqual([]);
    }
  });

  it('a config or sandbox state file that is a FIFO, a device or a folder is refused at once in one line, never waited on', async () => {
    for (const name of ['config.json', 'sandbox-state.json']) {
      for (const make of ['fifo', 'device', 'folder'] as const) {
        const e = cleanEnv();
        const path = join(e.AMPS_CONFIG_DIR!, name);
        if (make === 'fifo') execFileSync('mkfifo', [path]);
        else if (make === 'device') symlinkSync('/dev/zero', path);
        else mkdirSync(path);
        // A FIFO with no writer held every command, and Ctrl-C could not end it.
        const r = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: e, timeoutMs: 20_000 });
        expect([r.code, r.stderr.split('\n')[0]], `${name} ${make}`).toEqual([2, `amps: cannot read the ${name === 'config.json' ? 'config' : 'sandbox state'} file ${path}: it is not a regular file`]);
        if (name === 'sandbox-state.json') {
          // A reset refuses it too, rather than put a file in its place.
          const reset = await runCli(['sandbox', 'reset'], { env: e, timeoutMs: 20_000 });
          expect([reset.code, reset.stderr.split('\n')[0]], `reset ${make}`).toEqual([2, `amps: cannot reset the sandbox state file ${path}: it is not a regular file`]);
          expect(statSync(path).isFile(), make).toBe(false);
        }
      }
    }
  });

  it('a config file with an empty value is refused, never read as "not set" (the embedded sandbox, or the live URL for a key)', async () => {
    for (const [config, said] of [
      [{ currentProfile: '', profiles: { prod: { apiKey: 'amps_sk_live_abcdefgh12345' } } }, 'an empty currentProfile at the top'],
      [{ currentProfile: 'prod', profiles: { prod: { apiKey: 'amps_sk_test_abcdefgh12345', apiUrl: '' } } }, 'an empty apiUrl in profile prod'],
      [{ profiles: { default: { apiKey: '' } } }, 'an empty apiKey in profile default'],
    ] as const) {
      const e = cleanEnv();
      writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), JSON.stringify(config));
      for (const args of [['push', 'battery', 'bat_voltaro_01', 'idle'], ['config', 'list']]) {
        const r = await runCli(args, { env: e });
        expect([r.code, r.stderr.split('\n')[0]], `${said} ${args.join(' ')}`).toEqual([2, `amps: the config file ${join(e.AMPS_CONFIG_DIR!, 'config.json')} has ${said}, so amps cannot tell where you meant to send requests`]);
      }
      expect(readdirSync(e.AMPS_CONFIG_DIR!)).not.toContain('sandbox-state.json');
    }
  });

  it('config changes made at once all land: each reads and writes the file under a lock', async () => {
    const e = cleanEnv();
    // A stale lock there too, which they all find at once: one takes it over, and every change still lands.
    writeFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json.lock'), JSON.stringify({ pid: spawnSync(process.execPath, ['-e', '0']).pid }));
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => runCli(['config', 'set', 'api-url', `http://127.0.0.1:${4000 + i}`, '--profile', `p${i}`], { env: e })));
    expect(runs.map((r) => r.code)).toEqual(Array(10).fill(0));
    const stored = JSON.parse(readFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), 'utf8'));
    expect(Object.keys(stored.profiles).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`));
    expect(readdirSync(e.AMPS_CONFIG_DIR!)).not.toContain('config.json.lock');
    // A lock left by an amps killed mid-change is taken over; so is one whose pid now names another
    // process (a start time that is not its own), and one left empty (a full disk) a while ago.
    const lock = join(e.AMPS_CONFIG_DIR!, 'config.json.lock');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    for (const [n, left] of [[3, JSON.stringify({ pid: gone })], [4, JSON.stringify({ pid: 1, start: 'another' })], [5, '']] as const) {
      writeFileSync(lock, left);
      if (left === '') utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      const used = await runCli(['config', 'use', `p${n}`], { env: e });
      expect(used.code, `${left} ${used.stderr}`).toBe(0);
      expect(JSON.parse(readFileSync(join(e.AMPS_CONFIG_DIR!, 'config.json'), 'utf8')).currentProfile).toBe(`p${n}`);
      expect(existsSync(lock)).toBe(false);
    }
    // Something at the lock's name that is no file: refused at once, never read (a FIFO would hold the process).
    execFileSync('mkfifo', [lock]);
    const fifo = await runCli(['config', 'use', 'p6'], { env: e, timeoutMs: 20_000 });
    expect([fifo.code, fifo.stderr.split('\n')[0]]).toEqual([2, `amps: ${lock} is in the way of the config file's lock: it is not a file amps wrote`]);
  });

  it('config list and config set api-key read --api-key-file as a request does', async () => {
    const e = cleanEnv();
    const file = join(e.AMPS_CONFIG_DIR!, 'key');
    writeFileSync(file, 'amps_sk_live_fromTheFile12345\n', { mode: 0o600 });
    const listed = await runCli(['config', 'list', '--api-key-file', file, '--json'], { env: e });
    expect(JSON.parse(listed.stdout)).toMatchObject({ apiKey: { value: 'amps_sk_live_…2345', source: 'flag' }, environment: 'live' });
    // The file's key is stored, not what stdin holds.
    const set = await runCli(['config', 'set', 'api-key', '--api-key-file', file, '--profile', 'prod'], { env: e, input: 'amps_sk_test_fromStdin12345\n' });
    expect([set.code, set.stderr.trim()]).toEqual([0, 'Set api-key for profile prod (amps_sk_live_…2345, live).']);
    // config use says when AMPS_PROFILE will go on choosing another profile.
    expect((await runCli(['config', 'set', 'api-url', 'http://127.0.0.1:1', '--profile', 'stage'], { env: e })).code).toBe(0);
    const used = await runCli(['config', 'use', 'stage'], { env: { ...e, AMPS_PROFILE: 'prod' } });
    expect([used.code, used.stderr.trim().split('\n')]).toEqual([0, ['Using profile stage.', 'warning: AMPS_PROFILE prod still selects prod ahead of the current profile, where it is given']]);
  });

  it('every write names where it went: a stderr line in scripts, environment in --json and the ledger', async () => {
    const embedded = cleanEnv();
    const plain = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge'], { env: embedded });
    expect(plain.code).toBe(0);
    expect(plain.stderr.split('\n')[0]).toBe('sandbox: embedded');
    const asJson = await runCli(['push', 'battery', 'bat_voltaro_02', 'charge', '--json'], { env: embedded });
    expect(json(asJson).environment).toBe('embedded');
    const test = await amps(['push', 'battery', 'bat_voltaro_01', 'charge']);
    expect(test.stderr).toContain(`sandbox: test key, ${sandbox.url}`);
    const ledger = await amps(['push', 'battery', '--devices', '-', 'idle', '--json'], {}, 'bat_voltaro_02');
    expect(JSON.parse(ledger.stdout.split('\n')[0]).environment).toBe('test');
    // --quiet keeps stdout to the id, not stderr from saying where the write went: with nothing
    // configured, `id=$(amps push … -q)` would otherwise write to the embedded sandbox without a word.
    const quiet = await runCli(['push', 'battery', 'bat_voltaro_01', 'idle', '-q'], { env: cleanEnv() });
    expect([quiet.code, quiet.stdout.trim(), quiet.stderr.trim()]).toEqual([0, expect.stringMatching(/^act_\w+$/), 'sandbox: embedded']);
    // A live key's banner, which --quiet holds back on reads, is shown for a write.
    const live = await runCli(['api', 'POST', '/battery/bat_voltaro_01', '-f', 'action.command=idle', '-q'], { env: cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: 'amps_sk_live_quietWrite123' }) });
    expect(live.stderr).toContain(`● LIVE  ${sandbox.url} · key amps_sk_live_…e123 (from AMPS_API_KEY)`);
    const read = await runCli(['get', 'battery', 'bat_voltaro_01', '-q'], { env: cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: 'amps_sk_live_quietWrite123' }) });
    expect(read.stderr).not.toContain('● LIVE');
  });
});

describe('the response decides which strategy is on offer', () => {
  it('a rerun line gives the instants the push used, not the relative times typed: a rerun lands where the push would have', async () => {
    const r = await amps(['push', 'battery', 'bat_ampere_03', 'charge', '--at', '+2h', '--tz', 'Europe/Paris']);
    expect(r.code).toBe(5);
    const rerun = /rerun:\n {2}(amps .*)/.exec(r.stderr)![1]!;
    const at = /--at (\S+)/.exec(rerun)![1]!;
    expect(rerun).toBe(`amps push battery bat_ampere_03 charge --tz Europe/Paris --at ${at} --on-conflict cancel_and_replace`);
    // Written on the push's clock, with its offset, two hours from when it was sent.
    expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/);
    expect(Math.abs(Date.parse(at) - (Date.now() + 2 * 3_600_000))).toBeLessThan(5 * 60_000);
    const windowed = await amps(['push', 'battery', 'bat_ampere_03', 'charge', '--start', '+1h', '--end', '3h', '--tz', 'UTC']);
    expect(/rerun:\n {2}(amps .*)/.exec(windowed.stderr)![1]).toMatch(/ --tz UTC --start \S+\+00:00 --end \S+\+00:00 --on-conflict cancel_and_replace$/);
  });

  it('a MODE_OVERRIDDEN that lists cancel_and_replace gets a rerun line, and the rerun clears it', async () => {
    const r = await amps(['push', 'battery', 'bat_ampere_03', 'charge']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('MODE_OVERRIDDEN');
    const rerun = /rerun:\n {2}(amps .*)/.exec(r.stderr)![1];
    expect(rerun).toBe('amps push battery bat_ampere_03 charge --on-conflict cancel_and_replace');
    const resolved = await amps(rerun.split(' ').slice(1));
    expect(resolved.code).toBe(0);
    const locked = await amps(['push', 'battery', 'bat_nimbus_02', 'charge']);
    expect(locked.stderr).not.toContain('rerun:');
    expect(locked.stderr).toContain('opt out of the programme');
  });

  it('the batch ledger names the strategy for each resolvable conflict, and the rerun line never repeats --simulate-failure', async () => {
    const r = await amps(['push', 'battery', '--devices', '-', 'charge', '--json'], {}, 'bat_ampere_03\nbat_nimbus_02\n');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.id === 'bat_ampere_03').resolveWith).toBe('cancel_and_replace');
    expect(lines.find((l) => l.id === 'bat_nimbus_02').resolveWith).toBeNull();
    const simulated = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'SCHEDULER_ACTIVE']);
    expect(simulated.code).toBe(5);
    expect(simulated.stderr).toContain('amps push battery bat_voltaro_01 charge --on-conflict cancel_and_replace');
    expect(simulated.stderr).not.toMatch(/rerun:\n.*--simulate-failure/);
  });
});

describe('the sandbox directive rehearses the manufacturer', () => {
  it.each([
    ['INVALID_API_KEY', 401, 'The device manufacturer rejected the supplied API key.', 3, 'relink'],
    ['COMMAND_NOT_SUPPORTED', 400, 'The device manufacturer does not support this command.', 4, 'fix_request'],
    ['DEVICE_NOT_FOUND', 404, 'No matching device was found for the supplied details.', 3, 'relink'],
  ] as const)('%s: the page\'s status and message', async (code, status, message, exit, retryClass) => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', code, '--json']);
    expect(r.code).toBe(exit);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code, status, message, party: 'manufacturer', retryClass });
  });
});

describe('lists and decode', () => {
  it('keeps the API\'s whole pagination object in --json', async () => {
    const r = await amps(['devices', 'battery', '--limit', '5', '--json']);
    expect(json(r).pagination).toEqual({ battery: { limit: 5, offset: 0, total: 13, hasMore: true } });
    expect(json(r).total).toBe(13);
  });

  it('decodes a failed action record, curl -v output, and a body cut off mid-way', async () => {
    const pushed = json(await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'DEVICE_OFFLINE', '--simulate-at', 'dispatch', '--wait', '--json']));
    const action = await amps(['actions', 'get', pushed.id, '--json']);
    const decoded = await runCli(['decode', '-'], { env: cleanEnv(), input: action.stdout });
    expect(decoded.code).toBe(7);
    expect(decoded.stdout).toContain(`DEVICE_OFFLINE · failed action ${pushed.id}`);
    const verbose = ['* Connected to api.amps.ai', '> POST /battery/b1 HTTP/1.1', '> x-api-key: [redacted]', '>', '< HTTP/1.1 409 Conflict', '< x-request-id: req_curl', '<',
      '{"success":false,"error":{"code":"CONFLICT","message":"A conflicting action is already pending for this device. Provide onConflict to resolve automatically, or cancel the existing action.","details":{"reason":"no_str'].join('\n');
    const curl = await runCli(['decode', '-', '--json'], { env: cleanEnv(), input: verbose });
    expect(curl.code).toBe(5);
    expect(JSON.parse(curl.stdout)).toMatchObject({ error: { code: 'CONFLICT', status: 409, truncated: true, known: true }, meta: { requestId: 'req_curl' } });
    const unknown = await runCli(['decode', '-'], { env: cleanEnv(), input: '{"error":{"code":"NEVER_HEARD_OF_IT"}}' });
    expect(unknown.stderr).toContain('its code NEVER_HEARD_OF_IT is not catalogued');
    const none = await runCli(['decode', '-'], { env: cleanEnv(), input: '{"hello": 1}' });
    expect(none.stderr).toContain('names no error code');
    expect(none.stderr).not.toContain('not catalogued');
  });
});

describe('the repository stands alone', () => {
  it('nothing in the project reads outside it', () => {
    const root = new URL('..', import.meta.url);
    const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
    const project = ['src', 'test', 'bench', 'bin', '.ci'].flatMap((d) => files(new URL(d, root).pathname)).concat(new URL('package.json', root).pathname);
    const outside = project.filter((f) => /\.\.\/shared|shared\/amps-api/.test(readFileSync(f, 'utf8').replace(/nothing in the project reads outside it[\s\S]*$/, '')));
    expect(outside).toEqual([]);
  });

  it('sends times with the zone\'s own offset (formatInZone is what the body carries)', () => {
    expect(formatInZone(Date.parse('2026-06-10T21:00:00Z'), 'Europe/London')).toBe('2026-06-10T22:00:00+01:00');
  });
});
