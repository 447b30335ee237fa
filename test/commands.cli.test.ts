import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshConfigDir, runCli, type CliResult } from './helpers/cli.js';
import { type TestSandbox, useSandbox } from './helpers/sandbox.js';

const KEY = 'amps_sk_test_SECRETkey12345';
let sandbox: TestSandbox;
let env: Record<string, string | undefined>;

const amps = (args: string[], extra: { env?: Record<string, string | undefined>; input?: string } = {}) =>
  runCli(args, { env: { ...env, ...extra.env }, input: extra.input });
const posts = () => sandbox.requests.filter((r) => r.method === 'POST') as Array<{ body: any; status: number }>;
const jsonOut = (r: CliResult) => JSON.parse(r.stdout);

function expectNoKey(r: CliResult) {
  expect(r.stdout).not.toContain(KEY);
  expect(r.stderr).not.toContain(KEY);
}

useSandbox({ ackDelayMs: 300 }, KEY, (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});

describe('amps devices', () => {
  it('prints tab-separated rows when piped, every type, nothing but data on stdout', async () => {
    const r = await amps(['devices']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(23);
    expect(rows[0].slice(0, 3)).toEqual(['bat_voltaro_01', 'battery', 'voltaro']);
    expect(new Set(rows.map((row) => row[1]))).toEqual(new Set(['battery', 'ev-charger', 'hvac', 'solar-inverter', 'vehicle']));
    expect(r.stderr).toContain('23 devices');
    expectNoKey(r);
  });

  it('pages with --limit and says how many there are; --all follows pages', async () => {
    const some = await amps(['devices', 'battery', '--limit', '5']);
    expect(some.stdout.trim().split('\n')).toHaveLength(5);
    expect(some.stderr).toContain('5 devices of 13');
    const all = await amps(['devices', 'battery', '--all', '--json']);
    expect(jsonOut(all).items).toHaveLength(13);
    expect(jsonOut(all).items[0].deviceType).toBe('battery');
  });

  it('rejects a wrong type in one line, exit 2, nothing sent', async () => {
    const r = await amps(['devices', 'toaster']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toBe("amps: unknown device type 'toaster'");
    expect(sandbox.requests).toHaveLength(0);
  });
});

describe('amps get', () => {
  it('shows state, commands with units and execution, settings, strategies and activity', async () => {
    const r = await amps(['get', 'battery', 'bat_kestrel_01']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bat_kestrel_01  battery · kestrel Kestrel Mini');
    expect(r.stdout).toMatch(/charge\ttarget \(percent 20–90\), power \(kw 0–2.5\)\timmediate, scheduled, windowed/);
    expect(r.stdout).toMatch(/scheduler_enabled\ttrue\tboolean\t-\tread-only/);
    expect(r.stdout).toContain('strategies  cancel_and_replace, queue_after');
    expect(r.stdout).toContain('last action       none');
    // The clock a push's times typed without a zone are read on.
    expect(r.stdout).toMatch(/^plant zone +Europe\/Madrid$/m);
  });

  it('says the current schedule as a pending action or a schedule, its times in the zone and UTC, not as JSON', async () => {
    expect((await amps(['push', 'battery', 'bat_kestrel_01', 'charge', '--start', '+2h', '--end', '1h', '-q'])).code).toBe(0);
    const action = await amps(['get', 'battery', 'bat_kestrel_01'], { env: { TZ: 'UTC', AMPS_TZ: 'UTC' } });
    expect(action.stdout).toMatch(/^ {2}current schedule {2}action act_\w+ charge scheduled from \d{4}-\d\d-\d\d [\d:]+ UTC \([\d:]+Z\) to \d{4}-\d\d-\d\d [\d:]+ UTC \([\d:]+Z\)$/m);
    expect((await amps(['schedules', 'create', '--device', 'bat_kestrel_02', '--slot', '01:00/1h charge --target 80%', '--daily', '--tz', 'UTC', '-q'])).code).toBe(0);
    const schedule = await amps(['get', 'battery', 'bat_kestrel_02'], { env: { AMPS_TZ: 'UTC' } });
    expect(schedule.stdout).toMatch(/^ {2}current schedule {2}schedule sched_\w+ pending, daily, next fire \d{4}-\d\d-\d\d 01:00 UTC \(01:00Z\)$/m);
  });

  it('gives the device as JSON with --json, and inspect is an alias', async () => {
    const r = await amps(['inspect', 'ev-charger', 'ev_wallbox_01', '--json', '--expedite']);
    expect(jsonOut(r)).toMatchObject({ id: 'ev_wallbox_01', metadata: { cacheType: 'expedite' } });
    expect(sandbox.requests[0].path).toBe('/ev-charger/ev_wallbox_01?expedite=true');
  });

  it('exits 4 with the decoded DEVICE_NOT_FOUND', async () => {
    const r = await amps(['get', 'battery', 'nope']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('DEVICE_NOT_FOUND · HTTP 404');
    expect(r.stderr).toMatch(/Request ID\s+req_/);
    expect(r.stdout).toBe('');
  });

  it('exits 7 for the offline device, after retrying nothing (offline is not transient for reads)', async () => {
    const r = await amps(['get', 'battery', 'bat_helio_02']);
    expect(r.code).toBe(7);
    expect(sandbox.requests).toHaveLength(1);
  });

  it('puts errors as JSON on stderr with --json, stdout empty', async () => {
    const r = await amps(['get', 'battery', 'nope', '--json']);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'DEVICE_NOT_FOUND', exitCode: 4 });
  });
});

describe('amps push', () => {
  it('pushes an immediate command with quantities in any spelling and prints the action', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '2.5 kW', '--target', '90%', '--reserve', '20']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/state\s+acknowledged/);
    expect(r.stderr).toContain('Follow it: amps actions wait act_');
    expect(posts()[0].body).toEqual({
      action: { command: 'charge', parameters: { power: { value: 2.5, unit: 'kw' }, target: { value: 90, unit: 'percent' }, reserve: { value: 20, unit: 'percent' } } },
    });
    expectNoKey(r);
  });

  it('sends scheduled and windowed times as absolute ISO 8601 with an offset', async () => {
    const at = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+30m', '--json']);
    expect(at.code).toBe(0);
    expect(posts()[0].body.action.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(jsonOut(at).state).toBe('scheduled');
    const window = await amps(['push', 'battery', 'bat_voltaro_02', 'discharge', '--start', 'now+1h', '--end', '2h', '--target', '30%']);
    expect(window.code).toBe(0);
    const body = posts()[1].body.action;
    expect(Date.parse(body.end) - Date.parse(body.start)).toBe(2 * 3_600_000);
  });

  it('prints the body and sends nothing with --dry-run, after the preflight read', async () => {
    const r = await amps(['push', 'hvac', 'hvac_thermia_01', 'auto', '--param', 'heatSetpoint=19c', '--param', 'coolSetpoint=24 C', '--dry-run']);
    expect(r.code).toBe(0);
    expect(jsonOut(r)).toEqual({ action: { command: 'auto', parameters: { heatSetpoint: { value: 19, unit: 'celsius' }, coolSetpoint: { value: 24, unit: 'celsius' } } } });
    expect(sandbox.requests.map((q) => q.method)).toEqual(['GET']);
  });

  it('runs the preflight in --dry-run: a bound the device refuses fails the dry run too', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--target', '101%', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PARAMETER_OUT_OF_RANGE');
    expect(r.stdout).toBe('');
    // With --json, the exit code it reports is the one it exits with (nothing was sent: 2, not the code's 4).
    const json = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--target', '101%', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'PARAMETER_OUT_OF_RANGE', exitCode: 2 }, preflight: true });
    const unchecked = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--target', '101%', '--dry-run', '--no-preflight']);
    expect(unchecked.code).toBe(0);
    expect(sandbox.requests.filter((q) => q.method === 'POST')).toHaveLength(0);
  });

  it.each([
    [['--power', 'lots'], "--power 'lots' is not a quantity"],
    [['--at', 'whenever'], "--at 'whenever' is not a time"],
    [['--end', '3h'], '--end needs --start'],
    [['--start', '17:00'], '--start needs --end (a window has both ends)\n  hint: a push that starts then and holds until the next one is --at: --at 17:00'],
    [['--on-conflict', 'yolo'], "--on-conflict takes one of cancel_and_replace, queue_after, not 'yolo'"],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ])('rejects %j in one line, exit 2, nothing sent', async (flags, message) => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('preflight: refuses what the device does not support, naming the API code, without pushing', async () => {
    const r = await amps(['push', 'battery', 'bat_kestrel_01', 'charge', '--target', '95%']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing was sent');
    expect(r.stderr).toContain('PARAMETER_OUT_OF_RANGE');
    expect(r.stderr).toContain('Supported range: 20 to 90 percent');
    // Under "nothing was sent", the value is what would have gone, not what was sent.
    expect(r.stderr).toContain('Would send: 95 percent');
    expect(r.stderr).not.toContain('Sent: ');
    expect(posts()).toHaveLength(0);
    const windowed = await amps(['push', 'battery', 'bat_helio_01', 'charge', '--start', '+1h', '--end', '2h']);
    expect(windowed.stderr).toContain('EXECUTION_NOT_SUPPORTED');
    const solar = await amps(['push', 'solar-inverter', 'solar_sunpeak_01', 'charge']);
    expect([solar.code, solar.stderr.includes('DIRECT_ACTION_UNSUPPORTED')]).toEqual([2, true]);
  });

  it('takes a unitless quantity\'s unit from the device, and --no-preflight leaves the verdict to the API (exit 4)', async () => {
    expect((await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--target', '80'])).code).toBe(0);
    expect(posts()[0].body.action.parameters.target).toEqual({ value: 80, unit: 'percent' });
    const r = await amps(['push', 'battery', 'bat_kestrel_02', 'charge', '--target', '95%', '--no-preflight']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('PARAMETER_OUT_OF_RANGE · HTTP 422');
    expect(sandbox.requests.map((q) => q.method)).toEqual(['GET', 'POST', 'POST']);
  });

  it('on a 409 without a terminal: exits 5, prints the rerun line, sent exactly one push', async () => {
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '1h' } });
    sandbox.requests.length = 0;
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'discharge', '--target', '30%']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('CONFLICT · HTTP 409');
    expect(r.stderr).toContain('amps push battery bat_voltaro_01 discharge --target 30% --on-conflict cancel_and_replace');
    expect(posts()).toHaveLength(1);
  });

  it('takes --on-conflict as consent and resolves without asking', async () => {
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '1h' } });
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'discharge', '--on-conflict', 'cancel_and_replace', '--json']);
    expect(r.code).toBe(0);
    expect(jsonOut(r).state).toBe('acknowledged');
  });

  it('reports SCHEDULER_ACTIVE with its groups and the rerun line; JSON on stderr with --json', async () => {
    const r = await amps(['push', 'battery', 'bat_foxgrid_01', 'idle']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('grp_homeapp_evening');
    expect(r.stderr).toContain('--on-conflict cancel_and_replace');
    const j = await amps(['push', 'battery', 'bat_foxgrid_01', 'idle', '--json']);
    expect(j.stdout).toBe('');
    const conflict = JSON.parse(j.stderr);
    expect(conflict.error.code).toBe('SCHEDULER_ACTIVE');
    expect(conflict.resolution.rerun).toContain('--on-conflict cancel_and_replace');
  });

  it('a SCHEDULER_ACTIVE that offers no strategy amps can send: amps\' next step, never the docs\' "resubmit with onConflict" as its own', async () => {
    const details = { recoveryStrategies: [] as string[] };
    const server = createServer((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, error: { code: 'SCHEDULER_ACTIVE', message: 'A schedule is currently active on the device and must be cleared first.', details }, meta: { requestId: 'req_1' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const next = 'The answer offers no strategy amps can send for this device, so onConflict cannot clear the schedule: have it cleared on the device (by the end user in the manufacturer app; one set through Amps: amps schedule clear battery bat_voltaro_01), then push again.';
      for (const strategies of [[], ['bogus_strategy']]) {
        details.recoveryStrategies = strategies;
        const r = await amps(['push', 'battery', 'bat_voltaro_01', 'idle', '--no-preflight', '--api-url', url]);
        expect([r.code, r.stderr.trimEnd().split('\n').at(-1)], String(strategies)).toEqual([5, next]);
        const j = await amps(['push', 'battery', 'bat_voltaro_01', 'idle', '--no-preflight', '--api-url', url, '--json']);
        expect([j.code, JSON.parse(j.stderr).resolution]).toEqual([5, { strategies: [], rerun: null, nextStep: next }]);
      }
      // A type with no schedule of its own through Amps (an EV charger): no command amps would refuse.
      const charger = await amps(['push', 'ev-charger', 'ev_wallbox_01', 'charge', '--no-preflight', '--api-url', url]);
      expect([charger.code, charger.stderr.trimEnd().split('\n').at(-1)]).toEqual([5, 'The answer offers no strategy amps can send for this device, so onConflict cannot clear the schedule: have it cleared on the device (by the end user in the manufacturer app), then push again.']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('explains conflicts no strategy can fix, exit 5', async () => {
    const r = await amps(['push', 'battery', 'bat_nimbus_02', 'charge']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('VPP_LOCKED');
    expect(r.stderr).toContain('opt out of the programme');
  });

  it('adds the sandbox directive with --simulate-failure and exits with the class of the code', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'service-unavailable']);
    expect(r.code).toBe(6);
    expect(posts()[0].body.sandbox).toEqual({ result: 'failed', errorCode: 'SERVICE_UNAVAILABLE' });
    const unknown = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'SERVICE_UNAVAILABL']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean SERVICE_UNAVAILABLE');
  });

  it('refuses --simulate-failure with a live key before sending anything', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'TIMEOUT'], { env: { AMPS_API_KEY: 'amps_sk_live_abcdef123456' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refused with a live key');
    expect(r.stderr).toContain('LIVE');
    expect(sandbox.requests).toHaveLength(0);
    // One in a --body is named as that, not as a flag that was never typed.
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const body = join(freshConfigDir(), 'body.json');
    writeFileSync(body, JSON.stringify({ action: { command: 'charge' }, sandbox: { result: 'failed', errorCode: 'TIMEOUT' } }));
    const fromBody = await amps(['push', 'battery', 'bat_voltaro_01', '--body', body], { env: { AMPS_API_KEY: 'amps_sk_live_abcdef123456' } });
    expect([fromBody.code, fromBody.stderr]).toEqual([2, expect.stringContaining(`amps: --body's "sandbox" is a sandbox directive; it is refused with a live key`)]);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('never retries a push by itself; with --retry as the docs\' retry table says (TIMEOUT with backoff too), never a command code', async () => {
    const base = ['push', 'battery', 'bat_voltaro_01', 'charge', '--no-preflight'];
    expect((await amps([...base, '--simulate-failure', 'SERVICE_UNAVAILABLE'])).code).toBe(6);
    expect(posts()).toHaveLength(1);
    const retried = await amps([...base, '--simulate-failure', 'SERVICE_UNAVAILABLE', '--retry', '2']);
    expect(retried.code).toBe(6);
    expect(posts()).toHaveLength(4);
    expect(retried.stderr.match(/retrying POST \/battery\/bat_voltaro_01/g)).toHaveLength(2);
    expect((await amps([...base, '--simulate-failure', 'TIMEOUT', '--retry', '2'])).code).toBe(6);
    expect(posts()).toHaveLength(7);
    expect((await amps([...base, '--simulate-failure', 'INVALID_PARAMETERS', '--retry', '2'])).code).toBe(4);
    expect(posts()).toHaveLength(8);
  });

  it('follows the action to completion with --wait', async () => {
    const r = await amps(['push', 'ev-charger', 'ev_wallbox_01', 'charge', '--wait', '--json']);
    expect(r.code).toBe(0);
    expect(jsonOut(r).state).toBe('completed');
  });

  it('a write\'s --json carries the request id of the answer that accepted it; a settings write, the values as sent', async () => {
    const pushed = await amps(['push', 'battery', 'bat_voltaro_01', 'idle', '--json']);
    expect([pushed.code, jsonOut(pushed).requestId]).toEqual([0, expect.stringMatching(/^req_/)]);
    const settings = await amps(['settings', 'battery', 'bat_voltaro_01', 'export_limit=3kw', '--json']);
    expect([settings.code, jsonOut(settings)]).toEqual([0, { deviceId: 'bat_voltaro_01', updated: ['export_limit'], sent: { export_limit: { value: 3000, unit: 'watts' } }, environment: 'test', requestId: expect.stringMatching(/^req_/) }]);
  });

  it('exits with the class of the failure when a followed action fails at dispatch', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'COMMAND_FAILED', '--simulate-at', 'dispatch', '--wait', '--json']);
    expect(r.code).toBe(4);
    expect(jsonOut(r)).toMatchObject({ state: 'failed', errorCode: 'COMMAND_FAILED' });
    // A failure like any other: its one JSON error on stderr, where scripts read error.code, the action named.
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'COMMAND_FAILED', exitCode: 4, shape: 'action', actionId: jsonOut(r).id });
    // In text, the decoder's account on stderr (what amps decode of the record shows); actions wait alike.
    const waited = await amps(['actions', 'wait', jsonOut(r).id]);
    expect([waited.code, waited.stdout]).toEqual([4, expect.stringMatching(/^state +failed$/m)]);
    expect(waited.stderr).toContain(`✖ COMMAND_FAILED · failed action ${jsonOut(r).id}`);
    expect(waited.stderr).toContain('More: amps explain COMMAND_FAILED');
  });

  it('a --body time the API cannot read is said before it goes (as written): a dry run that passes does not pass it for a time', async () => {
    const body = { action: { command: 'charge', start: '2027-02-29T10:00:00', end: '3h' } };
    const r = await amps(['push', 'battery', 'bat_voltaro_01', '--body', '-', '--dry-run', '--no-preflight'], { input: JSON.stringify(body) });
    expect([r.code, JSON.parse(r.stdout)]).toEqual([0, body]);
    expect(r.stderr).toContain("--body's action.start '2027-02-29T10:00:00' is no time the API reads (a date of the calendar, ISO with or without an offset; or a length such as 30m): sent as written, the API may refuse it");
    expect(r.stderr).not.toContain('action.end');
    // The API's reading (decision 6, as its sandbox reads it): no year before 1970.
    const early = await amps(['push', 'battery', 'bat_voltaro_01', '--body', '-', '--dry-run', '--no-preflight'], { input: JSON.stringify({ action: { command: 'charge', start: '1969-12-31T23:00:00Z', end: '2h' } }) });
    expect(early.stderr).toContain("--body's action.start '1969-12-31T23:00:00Z' is no time the API reads");
  });

  it('sends a raw body with --body -', async () => {
    const body = { action: { command: 'auto.balanced' } };
    const r = await amps(['push', 'battery', 'bat_voltaro_01', '--body', '-', '--quiet'], { input: JSON.stringify(body) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^act_\w+$/);
    expect(posts()[0].body).toEqual(body);
  });

  it('--body times without an offset are read on the device\'s clock, as the API reads them: --tz is refused, AMPS_TZ does not apply', async () => {
    const start = `${new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)}T22:00`;
    const body = JSON.stringify({ action: { command: 'charge', start } });
    const refused = await amps(['push', 'battery', 'bat_voltaro_01', '--body', '-', '--tz', 'America/New_York'], { input: body });
    expect([refused.code, refused.stderr.split('\n')[0]]).toEqual([2, 'amps: --tz does not apply to --body: the body is sent as written, and the API reads a time in it without an offset on the device\'s clock']);
    expect(posts()).toHaveLength(0);
    const dry = await amps(['push', 'battery', 'bat_voltaro_01', '--body', '-', '--dry-run'], { input: body, env: { AMPS_TZ: 'America/New_York' } });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`start ${start.slice(0, 10)} 22:00 Europe/London`);
    expect(dry.stderr).toContain('(times typed without a zone are read in Europe/London: the device\'s plant zone)');
    expect(dry.stderr).not.toContain('America/New_York');
  });

  it('a time typed with its offset is only shown in the zone, not said to be read there; a conversion names the flag that typed it', async () => {
    const at = `${new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)}T10:00+05:00`;
    const dry = await amps(['push', 'hvac', 'hvac_thermia_01', 'auto', '--param', 'heatSetpoint=68f', '--at', at, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('(shown in Europe/London: the device\'s plant zone)');
    expect(dry.stderr).not.toContain('times typed without a zone');
    expect(dry.stderr).toContain('--param heatSetpoint 68 °F sent as 20 celsius');
  });
});

describe('amps settings', () => {
  it('lists, writes, and preflights settings', async () => {
    const list = await amps(['settings', 'ev-charger', 'ev_wallbox_01']);
    expect(list.stdout).toMatch(/max_charge_rate\t7.4\tkw\t0–7.4\twritable/);
    const set = await amps(['settings', 'battery', 'bat_voltaro_01', 'safety_reserve=25%', 'export_limit=3000w']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Updated safety_reserve, export_limit on battery bat_voltaro_01');
    const bad = await amps(['settings', 'battery', 'bat_voltaro_01', 'scheduler_enabled=1%']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('READ_ONLY_SETTING');
    expect((await amps(['settings', 'hvac', 'hvac_thermia_01'])).code).toBe(2);
  });
});

describe('amps actions', () => {
  it('lists, gets, cancels and waits', async () => {
    const pushed = jsonOut(await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+2h', '--json']));
    const list = await amps(['actions', 'list', '--device', 'bat_voltaro_01', '--state', 'scheduled', '--json']);
    expect(jsonOut(list).items.map((a: { id: string }) => a.id)).toEqual([pushed.id]);
    const got = await amps(['actions', 'get', pushed.id]);
    expect(got.stdout).toMatch(/execution\s+scheduled/);
    const cancelled = await amps(['actions', 'cancel', pushed.id, '--json']);
    expect(jsonOut(cancelled)).toMatchObject({ state: 'cancelled', requestId: expect.stringMatching(/^req_/) });
    const again = await amps(['actions', 'cancel', pushed.id]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('ACTION_NOT_CANCELLABLE');
    const waited = await amps(['actions', 'wait', pushed.id]);
    expect(waited.code).toBe(5);
  });

  it('a page that is not the last names the offset of the next', async () => {
    for (const device of ['bat_voltaro_01', 'bat_voltaro_02']) {
      const pushed = await amps(['push', 'battery', device, 'charge', '--at', '+2h', '-q']);
      expect(pushed.code, pushed.stderr).toBe(0);
    }
    const first = await amps(['actions', 'list', '--limit', '1']);
    expect([first.code, first.stderr]).toEqual([0, expect.stringMatching(/^1 of (\d+) actions, newest first; --offset 1 shows the next page$/m)]);
    const total = Number(/of (\d+) actions/.exec(first.stderr)![1]);
    const last = await amps(['actions', 'list', '--limit', '2', '--offset', String(total - 1)]);
    expect([last.code, last.stderr]).toEqual([0, expect.stringMatching(new RegExp(`^1 of ${total} actions, newest first$`, 'm'))]);
  });
});

describe('the client', () => {
  it('logs requests with --verbose, the key redacted, and sends the User-Agent', async () => {
    const r = await amps(['get', 'battery', 'bat_voltaro_01', '--verbose']);
    expect(r.stderr).toContain(`> GET ${sandbox.url}/battery/bat_voltaro_01`);
    expect(r.stderr).toContain('> x-api-key: [redacted]');
    expect(r.stderr).toMatch(/< 200 \(\d+ ms/);
    expectNoKey(r);
    expect(sandbox.requests[0].headers['user-agent']).toMatch(/^amps\/\d+\.\d+\.\d+ \(node v\d+/);
  });

  it('refuses plain http to a non-loopback host', async () => {
    const r = await amps(['devices'], { env: { AMPS_API_URL: 'http://api.example.com' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('plain http:// is allowed only for loopback');
  });

  it('refuses an API URL with a query or a fragment: amps adds its own, and would drop it without a word', async () => {
    for (const url of [`${sandbox.url}/?region=eu`, `${sandbox.url}#eu`, `${sandbox.url}?`]) {
      const r = await amps(['devices', '--api-url', url]);
      expect([r.code, r.stderr.split('\n')[0]], url).toEqual([2, `amps: the API URL '${url}' has a query or a fragment, which amps would drop`]);
    }
    expect(sandbox.requests).toHaveLength(0);
  });

  it('refuses an API URL whose path is led by // or a backslash (it would name another host once amps adds its paths): exit 2, not a bug, and config set saves none', async () => {
    const doubled = await amps(['devices', '--api-url', `${sandbox.url}//v1`]);
    expect([doubled.code, doubled.stderr.split('\n')[0]]).toEqual([2, `amps: the API URL '${sandbox.url}//v1' has a path led by //, which would name another host`]);
    const backslash = await amps(['devices', '--api-url', `${sandbox.url}/\\v1`]);
    expect([backslash.code, backslash.stderr.split('\n')[0]]).toEqual([2, `amps: the API URL '${sandbox.url}/\\v1' holds a backslash, which URL parsers read as /`]);
    const saved = await amps(['config', 'set', 'api-url', 'https://api.amps.ai//v1', '--profile', 'doubled']);
    expect([saved.code, saved.stderr.split('\n')[0]]).toEqual([2, "amps: the API URL 'https://api.amps.ai//v1' has a path led by //, which would name another host"]);
    expect(sandbox.requests).toHaveLength(0);
    // Slashes at the end alone are the base's (a script's "$URL/" where $URL ends in one).
    const trailing = await amps(['devices', '--api-url', `${sandbox.url}//`, '--json']);
    expect(trailing.code, trailing.stderr).toBe(0);
  });

  it('refuses an API URL with a key in it: the URL is printed (the LIVE line, config list, doctor), the key never is', async () => {
    const key = 'amps_sk_live_pastedIntoUrl99';
    for (const args of [['devices'], ['config', 'list'], ['doctor']]) {
      const r = await amps(args, { env: { AMPS_API_URL: `https://gw.example.com/${key}`, AMPS_API_KEY: key } });
      expect([r.code, r.stdout + r.stderr], args[0]).toEqual([2, expect.stringContaining('the API URL holds what looks like an API key, so it is not shown, nor used: it would be printed wherever the URL is')]);
      expect(r.stdout + r.stderr).not.toContain('pastedIntoUrl99');
    }
  });

  it('a key typed where a command, a parameter or an option value goes is never echoed: not by the preflight, nor by the parser, whose echo is also cleared of escapes', async () => {
    for (const args of [['push', 'battery', 'bat_voltaro_01', KEY], ['push', 'battery', 'bat_voltaro_01', 'charge', '--param', `${KEY}=5kw`], ['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-at', KEY]]) {
      const r = await amps(args);
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, expect.stringContaining('[redacted key]')]);
      expectNoKey(r);
    }
    // A schedule's --slot that fails the preflight is named in its headline: without the key.
    const slot = await amps(['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', `01:00/5h ${KEY}`, '--dry-run']);
    expect([slot.code, slot.stderr]).toEqual([2, expect.stringContaining("Preflight check of --slot '01:00/5h [redacted key]'")]);
    expectNoKey(slot);
    expect(posts()).toHaveLength(0);
    const escapes = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-at', '\u001b]0;pwned\u0007\u001b[31mRED']);
    expect([escapes.code, escapes.stderr]).toEqual([2, "amps: option '--simulate-at <phase>' argument 'RED' is invalid. Allowed choices are request, dispatch.\n"]);
  });

  it('a strategy the device\'s read does not list in conflictStrategies is refused by the preflight, nothing sent (--no-preflight lets the API decide)', async () => {
    const before = posts().length;
    const r = await amps(['push', 'battery', 'bat_ampere_02', 'idle', '--on-conflict', 'queue_after']);
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining('Field onConflict: the device accepts cancel_and_replace (its conflictStrategies), not queue_after')]);
    expect(posts().length).toBe(before);
    const sent = await amps(['push', 'battery', 'bat_ampere_02', 'idle', '--on-conflict', 'queue_after', '--no-preflight']);
    expect([sent.code, posts().length]).toEqual([4, before + 1]);
  });

  describe('proxies', () => {
    let proxy: Server;
    let seen: string[];
    beforeAll(async () => {
      seen = [];
      proxy = createServer();
      proxy.on('connect', (req, socket) => {
        seen.push(`CONNECT ${req.url}`);
        socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      });
      proxy.on('request', (req, res) => {
        seen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
        res.writeHead(502).end();
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it('sends remote traffic through HTTPS_PROXY, tunnelled, the key never visible to the proxy', async () => {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const r = await amps(['get', 'battery', 'b1', '--timeout', '5s'], { env: { AMPS_API_URL: 'https://api.amps.invalid', HTTPS_PROXY: proxyUrl } });
      expect(seen.some((line) => line.startsWith('CONNECT api.amps.invalid:443'))).toBe(true);
      expect(seen.join('\n')).not.toContain(KEY);
      expect(r.code).toBe(6);
    });

    it('a proxy that never answers the tunnel request: the request ends at --timeout, and SIGTERM at once', async () => {
      const silent = createServer();
      let connects = 0;
      let onConnect: () => void = () => {};
      // A tunnel's socket leaves the server's connections: ended here, or close() would wait on it.
      const sockets: Array<{ destroy(): void }> = [];
      silent.on('connect', (_req, socket) => {
        connects++;
        sockets.push(socket);
        onConnect();
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const proxyEnv = { ...env, AMPS_API_URL: 'https://api.amps.invalid', HTTPS_PROXY: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` };
      try {
        // undici's own limit for a CONNECT answer is 300 s: the test's (30 s) fails it if that one applies.
        const timedOut = await runCli(['get', 'battery', 'b1', '--timeout', '2s', '--json'], { env: proxyEnv, timeoutMs: 30_000 });
        expect(connects).toBeGreaterThan(0);
        expect([timedOut.code, JSON.parse(timedOut.stderr).error.code]).toEqual([6, 'CLIENT_TIMEOUT']);
        const connected = new Promise<void>((resolve) => (onConnect = resolve));
        const { spawn } = await import('node:child_process');
        const { BIN } = await import('./helpers/cli.js');
        const child = spawn(process.execPath, [BIN, 'get', 'battery', 'b1', '--timeout', '120s'], { env: proxyEnv as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        await connected;
        child.kill('SIGTERM');
        expect(await exited).toBe(130);
      } finally {
        for (const socket of sockets) socket.destroy();
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      }
    }, 40_000);

    it('a proxy that closes the tunnel request without answering: NETWORK_FAILURE, nothing sent, within --timeout, not a loop of CONNECTs', async () => {
      const closing = createNetServer((socket) => socket.once('data', () => socket.end()));
      let connects = 0;
      closing.on('connection', () => connects++);
      await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
      const proxyEnv = { ...env, AMPS_API_URL: 'https://api.amps.invalid', HTTPS_PROXY: `http://127.0.0.1:${(closing.address() as AddressInfo).port}` };
      try {
        // It connected again at once, ~1,700 times a second, past --timeout, until killed.
        const get = await runCli(['get', 'battery', 'b1', '--timeout', '3s', '--json'], { env: proxyEnv, timeoutMs: 20_000 });
        const error = JSON.parse(get.stderr.trim().split('\n').at(-1)!).error;
        expect([get.code, error.code, error.message]).toEqual([6, 'NETWORK_FAILURE', expect.stringContaining('the proxy closed the tunnel request (CONNECT) without answering')]);
        // One tunnel request for each attempt (a read has three).
        expect(connects).toBeLessThanOrEqual(3);
        // A push: nothing reached the API, so no "may have acted on it".
        const push = await runCli(['push', 'battery', 'b1', 'idle', '--no-preflight', '--timeout', '3s', '--json'], { env: proxyEnv, timeoutMs: 20_000 });
        const pushed = JSON.parse(push.stderr.trim().split('\n').at(-1)!).error;
        expect([push.code, pushed.code, 'unanswered' in pushed]).toEqual([6, 'NETWORK_FAILURE', false]);
      } finally {
        await new Promise((resolve) => closing.close(resolve));
      }
    });

    it('never proxies loopback', async () => {
      seen.length = 0;
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const r = await amps(['get', 'battery', 'bat_voltaro_01'], { env: { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl } });
      expect(r.code).toBe(0);
      expect(seen).toEqual([]);
    });
  });
});
