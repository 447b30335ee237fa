import { describe, expect, it } from 'vitest';
import { nextFires, parseSlot } from '../src/domain/schedule.js';
import { runCli } from './helpers/cli.js';
import { startTestSandbox, type TestSandbox, useSandbox } from './helpers/sandbox.js';

// Schedules: slots typed as an operator thinks of them, checked against the device before sending,
// previewed in the zone and in UTC across daylight saving; the sandbox keeps them and fires their
// slots as actions on its clock, with the schedule.* events; a 501 list falls back to devices.

const KEY = 'amps_sk_test_scheduleTests1';
let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
useSandbox({ ackDelayMs: 200 }, KEY, (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});
const amps = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extraEnv } });
const puts = () => sandbox.requests.filter((r) => r.method === 'PUT') as Array<{ path: string; body: any }>;

describe('amps schedule set|get|clear', () => {
  it('sends the slots in the API\'s form, fitted to the device\'s units, and previews the fires in the zone and UTC', async () => {
    const r = await amps(['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', '01:00/5h charge --target 100%', '--slot', '16:00/90m discharge --power 2500w', '--daily', '--tz', 'Europe/London']);
    expect(r.code).toBe(0);
    expect(puts().at(-1)).toMatchObject({
      path: '/battery/bat_voltaro_01/schedule',
      body: { timezone: 'Europe/London', recurrence: { rule: 'daily' }, slots: [
        { time: '01:00', duration: 'PT5H', command: 'charge', parameters: { target: { value: 100, unit: 'percent' } } },
        { time: '16:00', duration: 'PT1H30M', command: 'discharge', parameters: { power: { value: 2.5, unit: 'kw' } } },
      ] },
    });
    expect(r.stderr).toMatch(/01:00\/5h charge --target 100%: \d{4}-\d\d-\d\d 01:00 Europe\/London \(0[01]:00Z\), /);
    expect(r.stderr).toContain('--slot 16:00 --power 2500 W sent as 2.5 kw');
    expect(r.stdout).toMatch(/^sched_\w+ {2}active {2}bat_voltaro_01 {2}daily {2}Europe\/London/);
    const got = await amps(['schedule', 'get', 'battery', 'bat_voltaro_01', '--json']);
    expect(JSON.parse(got.stdout)).toMatchObject({ deviceId: 'bat_voltaro_01', state: 'active', nextFireAt: expect.any(String) });
    expect((await amps(['schedule', 'clear', 'battery', 'bat_voltaro_01'])).code).toBe(0);
    expect((await amps(['schedule', 'get', 'battery', 'bat_voltaro_01'])).code).toBe(4);
    // Cleared again: what a clear asks for is so already.
    const again = await amps(['schedule', 'clear', 'battery', 'bat_voltaro_01']);
    expect([again.code, again.stderr]).toEqual([0, expect.stringContaining('battery bat_voltaro_01 has no schedule of its own now: nothing to clear.')]);
    expect(JSON.parse((await amps(['schedule', 'clear', 'battery', 'bat_voltaro_01', '--json'])).stdout)).toEqual({ deviceId: 'bat_voltaro_01', scheduleId: null, cleared: false, alsoLive: [], environment: expect.any(String), requestId: expect.stringMatching(/^req_/) });
    // An API without the route answers 404 NOT_FOUND too, in other words: that is no "nothing to clear".
    const { createServer } = await import('node:http');
    const noRoute = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, error: { code: 'NOT_FOUND', message: 'No route matches this path.' }, meta: {} })));
    await new Promise<void>((resolve) => noRoute.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(noRoute.address() as import('node:net').AddressInfo).port}`;
      const r = await runCli(['schedule', 'clear', 'battery', 'bat_voltaro_01'], { env: { ...env, AMPS_API_URL: url } });
      expect([r.code, r.stderr]).toEqual([4, expect.not.stringContaining('nothing to clear')]);
    } finally {
      await new Promise((resolve) => noRoute.close(resolve));
    }
  });

  it('a schedule made through /schedules is no "nothing to clear": clear says it runs on and exits 5; get, set and create name it', async () => {
    const made = await amps(['schedules', 'create', '--device', 'bat_voltaro_02', '--slot', '00:30/5h charge --target 100%', '--daily', '--tz', 'UTC', '-q']);
    const id = made.stdout.trim();
    expect([made.code, id]).toEqual([0, expect.stringMatching(/^sched_/)]);
    try {
      const cancel = `amps schedules cancel ${id} ends it`;
      const got = await amps(['schedule', 'get', 'battery', 'bat_voltaro_02']);
      expect([got.code, got.stderr]).toEqual([4, expect.stringContaining(`warning: bat_voltaro_02 has another schedule live (${id}), whose slots run too: ${cancel}`)]);
      const cleared = await amps(['schedule', 'clear', 'battery', 'bat_voltaro_02', '-q']);
      expect([cleared.code, cleared.stderr]).toEqual([5, expect.stringContaining(cancel)]);
      const json = await amps(['schedule', 'clear', 'battery', 'bat_voltaro_02', '--json']);
      expect([json.code, JSON.parse(json.stdout)]).toEqual([5, expect.objectContaining({ scheduleId: null, cleared: false, alsoLive: [id] })]);
      // A set replaces the device's own schedule, not this one: it says so, exit 0, and a clear after it clears its own and exits 5.
      const set = await amps(['schedule', 'set', 'battery', 'bat_voltaro_02', '--slot', '10:00/1h discharge --target 30%', '--tz', 'UTC', '--json']);
      expect([set.code, JSON.parse(set.stdout).alsoLive]).toEqual([0, [id]]);
      const own = await amps(['schedule', 'clear', 'battery', 'bat_voltaro_02', '--json']);
      expect([own.code, JSON.parse(own.stdout)]).toEqual([5, expect.objectContaining({ cleared: true, alsoLive: [id] })]);
      const another = await amps(['schedules', 'create', '--device', 'bat_voltaro_02', '--slot', '12:00/1h discharge --target 20%', '--tz', 'UTC']);
      expect([another.code, another.stderr]).toEqual([0, expect.stringContaining(`has another schedule live (${id})`)]);
      const second = /^(sched_\w+)/.exec(another.stdout)![1]!;
      expect((await amps(['schedules', 'cancel', second, '-q'])).code).toBe(0);
    } finally {
      expect((await amps(['schedules', 'cancel', id, '-q'])).code).toBe(0);
    }
    const none = await amps(['schedule', 'clear', 'battery', 'bat_voltaro_02', '--json']);
    expect([none.code, JSON.parse(none.stdout).alsoLive]).toEqual([0, []]);
  });

  it('a slot the device refuses is named, among several', async () => {
    const r = await amps(['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', '01:00/1h charge --target 90%', '--slot', '10:00/1h charge --target 150%', '--tz', 'UTC']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, "Preflight check of --slot '10:00/1h charge --target 150%' failed against the device's capabilities; nothing was sent."]);
    const json = await amps(['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', '10:00/1h charge --target 150%', '--tz', 'UTC', '--json']);
    expect(JSON.parse(json.stderr)).toMatchObject({ preflight: true, about: "--slot '10:00/1h charge --target 150%'", error: { code: 'PARAMETER_OUT_OF_RANGE' } });
    const escapes = await amps(['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', '01:00/1h ch\u001b[31mRED\u001b]0;title\u0007arge', '--tz', 'UTC']);
    expect(escapes.code).toBe(2);
    expect(escapes.stderr).not.toMatch(/[\u001b\u0007]/);
  });

  it('a device without a schedule: the 404 is said in the device\'s terms first, exit 4', async () => {
    const r = await amps(['schedule', 'get', 'battery', 'bat_helio_01']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([4, 'battery bat_helio_01 has no schedule of its own now (none was set, it was cleared, or a one-off one has run).']);
    // The error's advice fits a schedule read through its device, where no schedule id was given.
    expect(r.stderr).toContain('read through a device (/TYPE/ID/schedule), the device has no schedule now');
  });

  it('the seeded offline device is offline to schedules too: DEVICE_OFFLINE (410) on every call, exit 7', async () => {
    for (const args of [['schedule', 'get', 'battery', 'bat_helio_02'], ['schedule', 'clear', 'battery', 'bat_helio_02'], ['schedules', 'create', '--device', 'bat_helio_02', '--slot', '00:30/5h charge --target 100%', '--daily', '--no-preflight', '--tz', 'UTC']]) {
      const r = await amps([...args, '--json']);
      expect([r.code, JSON.parse(r.stderr).error.code], args.join(' ')).toEqual([7, 'DEVICE_OFFLINE']);
    }
  });

  it('sends a zone in its own spelling and a compound length as the API writes it', async () => {
    const r = await amps(['schedule', 'set', 'battery', 'bat_voltaro_02', '--slot', '01:00/1h30m charge', '--tz', 'europe/london', '--dry-run']);
    expect([r.code, JSON.parse(r.stdout)]).toEqual([0, expect.objectContaining({ timezone: 'Europe/London', slots: [expect.objectContaining({ duration: 'PT1H30M' })] })]);
    expect(r.stderr).toContain('Times are read in Europe/London (--tz)');
  });

  it('refuses before sending: a slot that does not parse, a command the device lacks, a family without schedules, no zone without the preflight', async () => {
    const before = puts().length;
    for (const [args, code, said] of [
      [['--slot', '25:00/5h charge'], 2, "--slot '25:00/5h charge': 25:00 is not a time of day"],
      [['--slot', '01:00/0s charge'], 2, "'0s' is not a length from 1m to 24h"],
      [['--slot', '01:00/5h charge --colour red'], 2, "'--colour' is not a slot flag"],
      [['--slot', '01:00/5h fly'], 2, 'UNSUPPORTED_MODE'],
      [['--slot', '01:00/5h charge --target 150%'], 2, 'PARAMETER_OUT_OF_RANGE'],
      [['--slot', '01:00/5h charge', '--no-preflight'], 2, "a schedule's times are on the device's clock, which --no-preflight does not read"],
      [['--slot', '01:00/5h charge', '--tz', 'Mars/Base'], 2, "--tz 'Mars/Base' is not a time zone"],
      [['--slot', '01:00/90s charge'], 2, "'90s' is not a whole number of minutes"],
      // Parts that break the grammar say how (it said 'not a length from 1m to 24h' of 2h30m).
      [['--slot', '01:00/1h90m charge'], 2, "'1h90m' is not a length as one says it"],
      [['--slot', '18:00/2h charge', '--slot', '18:30/1h discharge', '--daily'], 2, "--slot '18:30/1h discharge' opens at"],
      [['--slot', '23:00/2h charge', '--slot', '00:30/1h discharge', '--daily'], 2, "inside --slot '23:00/2h charge'"],
      [['--slot', '09:00/1h charge', '--slot', '09:00/1h charge', '--daily'], 2, "--slot '09:00/1h charge' is given twice"],
    ] as const) {
      const r = await amps(['schedule', 'set', 'battery', 'bat_voltaro_02', ...args]);
      expect([r.code, r.stderr], args.join(' ')).toEqual([code, expect.stringContaining(said)]);
    }
    const ev = await amps(['schedule', 'set', 'ev-charger', 'ev_wallbox_01', '--slot', '01:00/1h charge']);
    expect([ev.code, ev.stderr.split('\n')[0]]).toEqual([2, 'amps: the docs show no schedule endpoint for ev-charger']);
    expect(puts()).toHaveLength(before);
  });

  it('warns when a pending action is there: the docs say any pending action conflicts, whatever the windows', async () => {
    expect((await amps(['push', 'battery', 'bat_foxgrid_02', 'charge', '--start', '+5h', '--end', '1h'])).code).toBe(0);
    const r = await amps(['schedule', 'set', 'battery', 'bat_foxgrid_02', '--slot', '01:00/1h charge', '--dry-run']);
    expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/warning: bat_foxgrid_02 has a pending action \(act_\w+, scheduled\): any pending action conflicts/)]);
    // The cancel it names goes where this command goes: the URL typed is in it.
    const typed = await runCli(['schedule', 'set', 'battery', 'bat_foxgrid_02', '--slot', '01:00/1h charge', '--dry-run', '--api-url', env.AMPS_API_URL!], { env: { ...env, AMPS_API_URL: undefined } });
    expect(typed.stderr).toMatch(new RegExp(`amps actions cancel act_\\w+ --api-url ${env.AMPS_API_URL} clears it`));
    const warned = await amps(['push', 'battery', 'bat_foxgrid_02', 'discharge', '--start', '+9h', '--end', '1h']);
    expect(warned.code).toBe(5);
    expect(warned.stderr).toMatch(/warning: bat_foxgrid_02 has a pending action \(act_\w+, scheduled\): any pending action conflicts with a new one, whatever the windows \(the docs\), so this push may be refused; amps actions cancel act_\w+ clears it/);
    // A strategy given up front is consent: a note of what it does, not a warning to cancel by hand.
    const push = await amps(['push', 'battery', 'bat_foxgrid_02', 'discharge', '--start', '+9h', '--end', '1h', '--on-conflict', 'cancel_and_replace']);
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(/note: bat_foxgrid_02 has a pending action \(act_\w+, scheduled\): .*; --on-conflict cancel_and_replace cancels it if the API finds the conflict/);
    expect(push.stderr).not.toContain('warning:');
  });
});

describe('the sandbox fires the slots on its clock', () => {
  it('a slot becomes a windowed action at its time; one the device refuses is schedule.slot_failed', async () => {
    const clock = Date.parse((await sandbox.call('GET', '/_sandbox/clock')).body.data.now);
    const at = new Date(clock + 10 * 60_000);
    const hhmm = `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
    expect((await amps(['schedule', 'set', 'battery', 'bat_kestrel_01', '--slot', `${hhmm}/30m charge --target 90%`, '--tz', 'UTC'])).code).toBe(0);
    expect((await amps(['schedule', 'set', 'battery', 'bat_kestrel_02', '--slot', `${hhmm}/30m charge`, '--tz', 'UTC'])).code).toBe(0);
    // Something in kestrel_02's way when its slot comes (pending until after it): the fire is refused.
    expect((await amps(['push', 'battery', 'bat_kestrel_02', 'idle', '--at', '+20m'])).code).toBe(0);
    await sandbox.advance(11 * 60);
    const actions = (await sandbox.call('GET', '/actions?deviceId=bat_kestrel_01')).body.data.items;
    const fired = actions.find((a: { command: string }) => a.command === 'charge');
    expect(fired).toMatchObject({ parameters: { target: { value: 90, unit: 'percent' } } });
    expect(Date.parse(fired.end) - Date.parse(fired.start)).toBe(30 * 60_000);
    // Made at its fire's instant, not when the clock's jump ended: never created after it was acknowledged.
    expect(fired.createdAt).toBe(new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString());
    if (fired.acknowledgedAt) expect(Date.parse(fired.createdAt)).toBeLessThanOrEqual(Date.parse(fired.acknowledgedAt));
    const events = (await sandbox.call('GET', '/_sandbox/events?after=0')).body.data.items.map((e: { type: string; body: { deviceId: string } }) => `${e.type} ${e.body.deviceId}`);
    expect(events).toEqual(expect.arrayContaining(['schedule.created bat_kestrel_01', 'schedule.created bat_kestrel_02', 'schedule.slot_failed bat_kestrel_02']));
    // Without --daily it fired once: the schedule is done.
    expect(JSON.parse((await amps(['schedules', 'list', '--device', 'bat_kestrel_01', '--json'])).stdout).items).toEqual([expect.objectContaining({ state: 'completed', nextFireAt: null })]);
  });
});

describe('the sandbox refuses a schedule body key it does not know, as a push\'s', () => {
  it('a misspelt timezone, or a stray key in a slot, is 400 VALIDATION_ERROR naming it, and nothing is kept', async () => {
    const slot = { time: '22:00', duration: 'PT1H', command: 'charge' };
    for (const [path, body, named] of [
      ['/battery/bat_kestrel_01/schedule', { timeZone: 'America/New_York', slots: [slot] }, 'timeZone'],
      ['/battery/bat_kestrel_01/schedule', { slots: [{ ...slot, zzz: 1 }] }, 'slots[0].zzz'],
      ['/battery/bat_kestrel_01/schedule', { recurrence: { rule: 'daily', interval: 2 }, slots: [slot] }, 'recurrence.interval'],
      ['/schedules', { deviceId: 'bat_kestrel_01', bogusKey: 1, slots: [{ time: '22:00', duration: 'PT1H', action: { command: 'charge' } }] }, 'bogusKey'],
      ['/schedules', { deviceId: 'bat_kestrel_01', slots: [{ time: '22:00', duration: 'PT1H', action: { command: 'charge', start: '1h' } }] }, 'slots[0].action.start'],
    ] as const) {
      const r = await sandbox.call(path === '/schedules' ? 'POST' : 'PUT', path, body);
      expect([r.status, r.body.error.code, r.body.error.details.fields], named).toEqual([400, 'VALIDATION_ERROR', [{ path: named, problem: 'unknown key' }]]);
    }
    expect((await sandbox.call('GET', '/schedules?deviceId=bat_kestrel_01')).body.data.items).toEqual([]);
  });

  it('a slot parameter that is no Quantity is 400, as a push\'s, never kept (it made the whole state unreadable to amps)', async () => {
    for (const [path, body, named] of [
      ['/battery/bat_kestrel_01/schedule', { slots: [{ time: '22:00', duration: 'PT1H', command: 'charge', parameters: { target: { value: [50], unit: 'percent' } } }] }, 'slots[0].parameters.target'],
      ['/schedules', { deviceId: 'bat_kestrel_01', slots: [{ time: '22:00', duration: 'PT1H', action: { command: 'charge', parameters: { target: { value: { x: 1 }, unit: 'percent' } } } }] }, 'slots[0].action.parameters.target'],
    ] as const) {
      const r = await sandbox.call(path === '/schedules' ? 'POST' : 'PUT', path, body);
      expect([r.status, r.body.error.code, r.body.error.details.fields[0].path], named).toEqual([400, 'VALIDATION_ERROR', named]);
    }
    expect((await sandbox.call('GET', '/schedules?deviceId=bat_kestrel_01')).body.data.items).toEqual([]);
  });
});

describe('a clock step past an action\'s end and a slot\'s start', () => {
  it('moves the action on to the slot\'s instant first: the slot fires, no CONFLICT is invented', async () => {
    const clock = Date.parse((await sandbox.call('GET', '/_sandbox/clock')).body.data.now);
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const pushed = await sandbox.call('POST', '/battery/bat_kestrel_02', { action: { command: 'charge', start: new Date(clock + 55 * 60_000).toISOString() } });
    expect(pushed.status).toBe(202);
    const slotAt = Math.ceil((clock + 85 * 60_000) / 60_000) * 60_000;
    expect((await sandbox.call('PUT', '/battery/bat_kestrel_02/schedule', { timezone: 'UTC', slots: [{ time: hhmm(slotAt), duration: 'PT2H', command: 'charge' }] })).status).toBe(200);
    await sandbox.advance(95 * 60);
    const events = (await sandbox.call('GET', '/_sandbox/events?after=0')).body.data.items.map((e: { type: string }) => e.type);
    expect(events).not.toContain('schedule.slot_failed');
    const actions = (await sandbox.call('GET', '/actions?deviceId=bat_kestrel_02')).body.data.items;
    expect(actions.map((a: { id: string; state: string }) => a.id === pushed.body.data.id ? a.state : 'slot')).toEqual(expect.arrayContaining(['completed', 'slot']));
  });
});

describe('fires of several schedules in one clock step', () => {
  it('are played in time order across schedules: events come out in the order they happen', async () => {
    const clock = Date.parse((await sandbox.call('GET', '/_sandbox/clock')).body.data.now);
    const minute = (offset: number) => Math.ceil((clock + offset * 60_000) / 60_000) * 60_000;
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    // The later fire's schedule is made first.
    // The later fire's schedule is made first; a third's short window has passed when the clock gets there.
    for (const [device, at, length] of [['bat_kestrel_01', minute(101), 'PT1H'], ['bat_kestrel_02', minute(96), 'PT1H'], ['bat_voltaro_01', minute(20), 'PT5M']] as const) {
      expect((await sandbox.call('PUT', `/battery/${device}/schedule`, { timezone: 'UTC', slots: [{ time: hhmm(at), duration: length, command: 'charge' }] })).status).toBe(200);
    }
    await sandbox.advance(110 * 60);
    const events = (await sandbox.call('GET', '/_sandbox/events?after=0')).body.data.items as Array<{ type: string; createdAt: string; body: { completedAt?: string } }>;
    const completed = events.filter((e) => e.type === 'push.completed').map((e) => e.body.completedAt!);
    expect(completed).toHaveLength(2);
    expect([...completed].sort()).toEqual(completed);
    expect(events.map((e) => e.type)).toContain('schedule.slot_skipped');
    // Every event, in the order they were numbered, in the order they happened.
    const at = events.map((e) => e.createdAt);
    expect([...at].sort()).toEqual(at);
  });
});

describe('amps schedules', () => {
  it('create, get, list with filters, cancel', async () => {
    const created = await amps(['schedules', 'create', '--device', 'hvac_thermia_02', '--slot', '06:30/2h heat --target 21c', '--daily', '--json']);
    // What amps chose is in the JSON too: the fires, and the notes (a unit converted, a daylight-saving move).
    expect(JSON.parse(created.stdout)).toMatchObject({ preview: [{ slot: '06:30/2h heat --target 21c', fires: expect.any(Array) }], notes: expect.any(Array) });
    expect(created.code).toBe(0);
    const schedule = JSON.parse(created.stdout);
    // Each fire as an instant too, the one its shown text names: a script need not parse the text.
    const [first] = schedule.preview;
    expect(first.firesAt).toHaveLength(first.fires.length);
    expect(first.fires[0]).toContain(`(${first.firesAt[0].slice(11, 16)}Z)`);
    expect(sandbox.requests.filter((r) => r.method === 'POST').at(-1)).toMatchObject({ method: 'POST', path: '/schedules', body: { deviceId: 'hvac_thermia_02', timezone: 'America/Chicago', slots: [{ time: '06:30', duration: 'PT2H', action: { command: 'heat', parameters: { target: { value: 21, unit: 'celsius' } } } }] } });
    expect(JSON.parse((await amps(['schedules', 'get', schedule.id, '--json'])).stdout)).toMatchObject({ id: schedule.id, state: 'pending' });
    const listed = await amps(['schedules', 'list', '--device', 'hvac_thermia_02', '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject({ source: 'schedules', items: [{ id: schedule.id }] });
    // The table shows the next fire in the schedule's own zone, as get does, whatever AMPS_TZ says.
    const table = await amps(['schedules', 'list', '--device', 'hvac_thermia_02'], { AMPS_TZ: 'Asia/Tokyo' });
    expect(table.stdout).toMatch(/America\/Chicago\s+\d{4}-\d\d-\d\d 06:30 America\/Chicago \(/);
    expect(JSON.parse((await amps(['schedules', 'cancel', schedule.id, '--json'])).stdout)).toMatchObject({ id: schedule.id, state: 'cancelled' });
    expect((await amps(['schedules', 'get', 'sched_nope'])).code).toBe(4);
    // --quiet gives the id alone, as push's does: id=$(amps schedules create … -q).
    const quiet = await amps(['schedules', 'create', '--device', 'hvac_thermia_02', '--slot', '07:30/1h heat --target 21c', '-q']);
    expect([quiet.code, quiet.stdout]).toEqual([0, expect.stringMatching(/^sched_\w+\n$/)]);
    expect(JSON.parse((await amps(['schedules', 'cancel', quiet.stdout.trim(), '--json'])).stdout)).toMatchObject({ state: 'cancelled' });
    const set = await amps(['schedule', 'set', 'battery', 'bat_voltaro_01', '--slot', '23:00/1h charge --target 90%', '-q']);
    expect([set.code, set.stdout]).toEqual([0, expect.stringMatching(/^sched_\w+\n$/)]);
  });

  it('a page that is not the last says so: how many of how many, and --all; --json has the pagination', async () => {
    for (const [device, command] of [['hvac_thermia_01', 'heat --target 20c'], ['bat_nimbus_01', 'charge --target 80%']]) {
      expect((await amps(['schedules', 'create', '--device', device!, '--slot', `05:00/1h ${command}`, '--json'])).code, device).toBe(0);
    }
    const text = await amps(['schedules', 'list', '--limit', '1']);
    expect([text.code, text.stderr]).toEqual([0, expect.stringMatching(/^1 shown of \d+; --offset 1 shows the next page, --all reads every page$/m)]);
    const second = JSON.parse((await amps(['schedules', 'list', '--limit', '1', '--offset', '1', '--json'])).stdout);
    expect(second.pagination).toMatchObject({ offset: 1, limit: 1 });
    expect(second.items[0].id).not.toBe(JSON.parse((await amps(['schedules', 'list', '--limit', '1', '--json'])).stdout).items[0].id);
    expect((await amps(['schedules', 'list', '--all', '--offset', '1'])).code).toBe(2);
    const json = JSON.parse((await amps(['schedules', 'list', '--limit', '1', '--json'])).stdout);
    expect(json).toMatchObject({ complete: false, pagination: { limit: 1, hasMore: true } });
    const all = JSON.parse((await amps(['schedules', 'list', '--limit', '1', '--all', '--json'])).stdout);
    expect([all.complete, all.items.length]).toEqual([true, json.pagination.total]);
  });

  it('an empty or malformed --device or --user filter is refused: sent, it would list every device\'s schedules', async () => {
    const before = sandbox.requests.length;
    for (const [flag, value] of [['--device', ''], ['--user', ''], ['--device', 'bat voltaro/../x']]) {
      const r = await amps(['schedules', 'list', flag!, value!]);
      expect([r.code, r.stderr.split('\n')[0]], `${flag} '${value}'`).toEqual([2, expect.stringMatching(/^amps: the (device|user) id '.*' /)]);
    }
    expect(sandbox.requests.length).toBe(before);
  });

  it('a flag given twice is refused: --device a --device b would send to b', async () => {
    const r = await amps(['schedules', 'create', '--device', 'bat_voltaro_01', '--device', 'bat_voltaro_02', '--slot', '03:00/1h discharge', '--dry-run']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, "amps: --device is given twice ('bat_voltaro_01' and 'bat_voltaro_02'): amps will not guess which you meant"]);
  });

  it('an API whose next fire is not the previewed one (its clock two days on) says so, in text and in --json\'s changed', async () => {
    const other = await startTestSandbox();
    try {
      await other.call('POST', '/_sandbox/clock', { advanceSeconds: 2 * 86_400 });
      const otherEnv = { ...env, AMPS_API_URL: other.url, AMPS_API_KEY: KEY };
      const text = await runCli(['schedule', 'set', 'battery', 'bat_voltaro_02', '--slot', '02:00/1h charge', '--daily', '--tz', 'UTC'], { env: otherEnv });
      expect([text.code, text.stderr]).toEqual([0, expect.stringMatching(/The API's next fire is \d{4}-\d\d-\d\d 02:00 UTC \(02:00Z\), not \d{4}-\d\d-\d\d 02:00 UTC \(02:00Z\) as previewed: its clock, or its reading of the slots, is not amps'\./)]);
      const json = await runCli(['schedules', 'create', '--device', 'bat_voltaro_01', '--slot', '03:00/1h charge', '--daily', '--tz', 'UTC', '--json'], { env: otherEnv });
      const changed = JSON.parse(json.stdout).changed as Array<{ field: string; sent: string; got: string }>;
      expect(changed.map((c) => c.field)).toEqual(['nextFireAt']);
      expect(Date.parse(changed[0].got) - Date.parse(changed[0].sent)).toBe(2 * 86_400_000);
      // With --json, stderr holds JSON alone: the change is a notice line there.
      expect(json.stderr.trim().split('\n').map((l) => Object.keys(JSON.parse(l)))).toEqual([['notice']]);
      // Where the clocks agree, nothing is said.
      const agreed = await amps(['schedule', 'set', 'battery', 'bat_voltaro_02', '--slot', '02:00/1h charge', '--daily', '--tz', 'UTC', '--json']);
      expect([agreed.code, JSON.parse(agreed.stdout).changed]).toEqual([0, null]);
      // The write's request id, as push's and settings' --json carry theirs.
      expect(JSON.parse(agreed.stdout).requestId).toMatch(/^req_/);
    } finally {
      await other.close();
    }
  });

  it('a 501 from GET /schedules is said in one line, and the list comes from the devices instead', async () => {
    const other = await startTestSandbox({ scheduleListing: 'not_implemented' });
    try {
      const otherEnv = { ...env, AMPS_API_URL: other.url, AMPS_API_KEY: KEY };
      expect((await runCli(['schedule', 'set', 'battery', 'bat_voltaro_02', '--slot', '02:00/1h charge', '--daily'], { env: otherEnv })).code).toBe(0);
      const r = await runCli(['schedules', 'list', '--json'], { env: otherEnv });
      expect(r.code).toBe(0);
      // With --json, one JSON notice line, as every notice there is.
      expect(r.stderr.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ notice: expect.stringMatching(/^the API does not list schedules here \(501 NOT_IMPLEMENTED, as one version of the docs says\); listed from the devices' currentSchedule instead, which may be incomplete: a device shows one schedule at most/) }]);
      const text = await runCli(['schedules', 'list'], { env: otherEnv });
      expect(text.stderr.split('\n')[0]).toMatch(/^amps: the API does not list schedules here \(501 NOT_IMPLEMENTED/);
      expect(JSON.parse(r.stdout)).toMatchObject({ source: 'devices', complete: false, items: [{ deviceId: 'bat_voltaro_02', state: 'active', recurrence: { rule: 'daily' } }] });
      // Other schedules live on a device are read from its currentSchedule here: one made through
      // /schedules is found; while a pending action stands in its place, amps says it cannot tell.
      const made = (await runCli(['schedules', 'create', '--device', 'bat_voltaro_01', '--slot', '03:00/1h charge --target 90%', '--daily', '--tz', 'UTC', '-q'], { env: otherEnv })).stdout.trim();
      const found = await runCli(['schedule', 'clear', 'battery', 'bat_voltaro_01', '--json'], { env: otherEnv });
      expect([found.code, JSON.parse(found.stdout).alsoLive]).toEqual([5, [made]]);
      expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+2h', '--tz', 'UTC', '-q'], { env: otherEnv })).code).toBe(0);
      const hidden = await runCli(['schedule', 'clear', 'battery', 'bat_voltaro_01', '--json'], { env: otherEnv });
      expect([hidden.code, JSON.parse(hidden.stdout).alsoLive]).toEqual([0, null]);
      const said = await runCli(['schedule', 'clear', 'battery', 'bat_voltaro_01'], { env: otherEnv });
      expect(said.stderr).toContain('note: amps could not tell whether another schedule is live on bat_voltaro_01 (amps schedules list --device bat_voltaro_01');
    } finally {
      await other.close();
    }
  });

  it('another live schedule past the first page of the list is found: every page of each live state is read', async () => {
    const other = await startTestSandbox();
    try {
      const otherEnv = { ...env, AMPS_API_URL: other.url, AMPS_API_KEY: KEY };
      // 55 cancelled ones listed before it (a device's history), then the live one.
      const body = { deviceId: 'bat_ampere_03', timezone: 'UTC', slots: [{ time: '01:00', duration: 'PT1H', action: { command: 'charge', parameters: { target: { value: 90, unit: 'percent' } } } }] };
      for (let i = 0; i < 55; i++) {
        const made = await other.call('POST', '/schedules', body);
        expect(made.status, made.text).toBe(201);
        expect((await other.call('DELETE', `/schedules/${(made.body as { data: { id: string } }).data.id}`)).status).toBe(200);
      }
      const live = (await runCli(['schedules', 'create', '--device', 'bat_ampere_03', '--slot', '05:00/1h charge --target 90%', '--daily', '--tz', 'UTC', '-q'], { env: otherEnv })).stdout.trim();
      const cleared = await runCli(['schedule', 'clear', 'battery', 'bat_ampere_03', '--json'], { env: otherEnv });
      expect([cleared.code, JSON.parse(cleared.stdout).alsoLive]).toEqual([5, [live]]);
    } finally {
      await other.close();
    }
  });
});

describe('fire times across daylight saving', () => {
  it('a daily 01:30 in London moves past the spring gap, and says so', () => {
    const fires = nextFires('01:30', 'Europe/London', Date.parse('2027-03-26T12:00:00Z'), 3);
    expect(fires.map((f) => new Date(f.instant).toISOString())).toEqual(['2027-03-27T01:30:00.000Z', '2027-03-28T01:30:00.000Z', '2027-03-29T00:30:00.000Z']);
    expect(fires[1].adjustment).toContain('does not exist');
    expect(parseSlot('16:00/3h discharge --target 30%')).toMatchObject({ hour: 16, minute: 0, durationMs: 3 * 3_600_000, command: 'discharge' });
    // A length with no unit is refused, not read as seconds.
    expect(() => parseSlot('01:00/120 charge')).toThrow("--slot '01:00/120 charge': the length '120' has no unit");
    // A value split by a space is said as that, not as a flag without a value; `--flag=value` is taken.
    expect(() => parseSlot('01:00/5h charge --power 5 kw')).toThrow("--slot '01:00/5h charge --power 5 kw': 'kw' is no slot flag, and follows a value: a value in a slot is one word");
    expect(() => parseSlot('01:00/5h charge now')).toThrow("--slot '01:00/5h charge now': 'now' is not a slot flag (--power, --target, --reserve, --param NAME=VALUE)");
    // A flag of the command line inside the quotes, last: not a slot flag (until now: "--daily has no value").
    expect(() => parseSlot('01:00/5h charge --daily')).toThrow("--slot '01:00/5h charge --daily': '--daily' is not a slot flag (--power, --target, --reserve, --param NAME=VALUE)");
    expect(() => parseSlot('01:00/5h charge --power')).toThrow("--slot '01:00/5h charge --power': --power has no value");
    expect(parseSlot('01:00/5h charge --power=5kw --param=soc=80%')).toMatchObject({ command: 'charge', quantities: parseSlot('01:00/5h charge --power 5kw --param soc=80%').quantities });
  });

  it('daily slots apart on most days but meeting on the day the clocks change are refused, naming that day', async () => {
    const { prepareSlots } = await import('../src/commands/schedule/slots.js');
    const slots = [parseSlot('01:00/1h charge --target 100%'), parseSlot('02:00/1h discharge --target 30%')];
    // A week before the spring change: no previewed day has it, the check still finds it.
    const now = Date.parse('2027-03-20T12:00:00Z');
    expect(() => prepareSlots(slots, undefined, 'Europe/London', now, true)).toThrow("--slot '02:00/1h discharge --target 30%' opens at 2027-03-28 02:00 Europe/London (01:00Z), inside --slot '01:00/1h charge --target 100%'");
    // Once, they never meet; nor daily in a zone without the change.
    expect(() => prepareSlots(slots, undefined, 'Europe/London', now, false)).not.toThrow();
    expect(() => prepareSlots(slots, undefined, 'Asia/Kolkata', now, true)).not.toThrow();
  });

  it('a daily slot longer than the day the clocks go forward is refused: it is still open when it fires again', async () => {
    const { prepareSlots } = await import('../src/commands/schedule/slots.js');
    const now = Date.parse('2027-03-20T12:00:00Z');
    expect(() => prepareSlots([parseSlot('07:05/23h30m charge')], undefined, 'Europe/London', now, true)).toThrow("--slot '07:05/23h30m charge' is still open when it fires again at 2027-03-28 07:05 Europe/London (06:05Z): that day is 23 h long (the clocks change)");
    const hint = (() => {
      try {
        prepareSlots([parseSlot('07:05/24h charge')], undefined, 'Europe/London', now, true);
        return undefined;
      } catch (error) {
        return (error as { hint?: string }).hint;
      }
    })();
    expect(hint).toContain('make the slot 23h at most');
    // 23 hours fits every day; once, or in a zone without the change, any length up to a day does.
    expect(() => prepareSlots([parseSlot('07:05/23h charge')], undefined, 'Europe/London', now, true)).not.toThrow();
    expect(() => prepareSlots([parseSlot('07:05/24h charge')], undefined, 'Europe/London', now, false)).not.toThrow();
    expect(() => prepareSlots([parseSlot('07:05/24h charge')], undefined, 'Asia/Kolkata', now, true)).not.toThrow();
  });

  it('fires once on the day the clocks go back: at the first of the two 01:30s, never at both', () => {
    const fires = nextFires('01:30', 'Europe/London', Date.parse('2027-10-30T12:00:00Z'), 3);
    expect(fires.map((f) => new Date(f.instant).toISOString())).toEqual(['2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z', '2027-11-02T01:30:00.000Z']);
    expect(fires[0].adjustment).toContain('happens twice (the clocks go back then); using the first');
    // From between the two: the next is the next day's, the day's own having passed.
    expect(new Date(nextFires('01:30', 'Europe/London', Date.parse('2027-10-31T00:31:00Z'), 1)[0]!.instant).toISOString()).toBe('2027-11-01T01:30:00.000Z');
    // Zones east and west of UTC, across a year's end.
    expect(nextFires('23:59', 'Pacific/Auckland', Date.parse('2026-12-31T10:58:00Z'), 2).map((f) => new Date(f.instant).toISOString())).toEqual(['2026-12-31T10:59:00.000Z', '2027-01-01T10:59:00.000Z']);
    expect(nextFires('00:00', 'America/Los_Angeles', Date.parse('2026-12-31T08:00:00Z'), 2).map((f) => new Date(f.instant).toISOString())).toEqual(['2027-01-01T08:00:00.000Z', '2027-01-02T08:00:00.000Z']);
  });
});
