import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CATALOGUE, fillMessage } from '../src/errors/catalogue.js';
import { seededDevices } from '../src/sandbox/fleet.js';
import { inMinutes, startTestSandbox, type TestSandbox } from './helpers/sandbox.js';

let sandbox: TestSandbox;
const push = (device: string, body: unknown, type = 'battery') => sandbox.call('POST', `/${type}/${device}`, body);
const charge = (extra: Record<string, unknown> = {}) => ({ action: { command: 'charge', parameters: { power: { value: 3, unit: 'kw' } }, ...extra } });

beforeEach(async () => {
  sandbox ??= await startTestSandbox();
  await sandbox.call('POST', '/_sandbox/reset');
});
afterAll(async () => sandbox?.close());

describe('auth and the envelope', () => {
  it.each([
    [null, 401, 'UNAUTHORIZED'],
    ['not-a-key', 401, 'INVALID_API_KEY'],
    ['amps_sk_live_abcdef123456', 403, 'LIVE_ACCESS_DISABLED'],
  ])('key %s -> %i %s', async (key, status, code) => {
    const r = await sandbox.call('GET', '/battery', undefined, { key });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.meta).toMatchObject({ path: '/battery' });
    expect(r.body.meta.requestId).toMatch(/^req_/);
  });

  it('answers with its own clock in the Date header, moved or not', async () => {
    const skewOf = (r: { headers: Record<string, string | string[] | undefined> }) => Math.round((Date.parse(String(r.headers.date)) - Date.now()) / 1000);
    expect(Math.abs(skewOf(await sandbox.call('GET', '/battery')))).toBeLessThanOrEqual(2);
    await sandbox.advance(3600);
    expect(skewOf(await sandbox.call('GET', '/battery'))).toBeGreaterThanOrEqual(3598);
  });

  it('accepts both key spellings and the Bearer form', async () => {
    expect((await sandbox.call('GET', '/vehicle', undefined, { key: 'sk_test_abcdef123456' })).status).toBe(200);
    expect((await sandbox.call('GET', '/vehicle', undefined, { key: null, headers: { authorization: 'Bearer amps_sk_test_other123' } })).status).toBe(200);
    // The scheme in any case, as HTTP reads it.
    expect((await sandbox.call('GET', '/vehicle', undefined, { key: null, headers: { authorization: 'bearer amps_sk_test_other123' } })).status).toBe(200);
  });

  it('wraps every success with meta: requestId, environment, timestamp, latencyMs', async () => {
    const r = await sandbox.call('GET', '/hvac/hvac_thermia_01');
    expect(r.body.success).toBe(true);
    expect(Object.keys(r.body.meta).sort()).toEqual(['environment', 'latencyMs', 'requestId', 'timestamp']);
    expect(r.body.meta.environment).toBe('sandbox');
  });
});

describe('devices', () => {
  it('seeds at least 20 devices across all five types', () => {
    const types = new Set(seededDevices().map((d) => d.type));
    expect(seededDevices().length).toBeGreaterThanOrEqual(20);
    expect(types.size).toBe(5);
  });

  it('lists with offset/limit pagination and the userId filter', async () => {
    const page = await sandbox.call('GET', '/battery?limit=5&offset=10');
    expect(page.body.data.items).toHaveLength(3);
    expect(page.body.data.pagination).toEqual({ limit: 5, offset: 10, total: 13, hasMore: false });
    const alba = await sandbox.call('GET', '/battery?userId=user_alba');
    expect(alba.body.data.items.map((d: { id: string }) => d.id)).toEqual(['bat_voltaro_01', 'bat_foxgrid_01']);
    expect((await sandbox.call('GET', '/battery?limit=51')).body.error.code).toBe('VALIDATION_ERROR');
  });

  it('reads a controllable device with every documented field', async () => {
    const r = await sandbox.call('GET', '/battery/bat_voltaro_01?expedite=true');
    const data = r.body.data;
    for (const key of ['id', 'vendor', 'sync', 'metadata', 'state', 'commands', 'settings', 'conflictStrategies', 'lastAction', 'currentSchedule']) expect(data).toHaveProperty(key);
    expect(data.metadata).toMatchObject({ source: 'projection', cacheType: 'expedite' });
    expect(data.state.level).toBeGreaterThanOrEqual(30);
    expect(data.commands.charge.execution).toEqual(['immediate', 'scheduled', 'windowed']);
  });

  it('reads solar inverters and vehicles as state only', async () => {
    const solar = (await sandbox.call('GET', '/solar-inverter/solar_sunpeak_01')).body.data;
    expect(Object.keys(solar).sort()).toEqual(['id', 'metadata', 'state', 'sync', 'vendor']);
    expect((await sandbox.call('GET', '/vehicle/veh_rivet_01')).body.data.state).toHaveProperty('batteryLevel');
  });

  it('answers DEVICE_NOT_FOUND for unknown ids and ids of another type', async () => {
    for (const path of ['/battery/nope', '/hvac/bat_voltaro_01']) {
      const r = await sandbox.call('GET', path);
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'DEVICE_NOT_FOUND', message: 'Device not found or access denied' });
    }
  });

  it('answers DEVICE_OFFLINE on every call to the offline device', async () => {
    expect((await sandbox.call('GET', '/battery/bat_helio_02')).status).toBe(410);
    const r = await push('bat_helio_02', charge());
    expect(r.body.error).toMatchObject({ code: 'DEVICE_OFFLINE', message: 'The device is currently offline at the manufacturer.' });
  });
});

describe('pushes and the lifecycle', () => {
  it('acknowledges an immediate push with 202, completes it, and the device reflects it', async () => {
    const r = await push('bat_voltaro_01', charge());
    expect(r.status).toBe(202);
    expect(r.body.data).toMatchObject({ deviceId: 'bat_voltaro_01', deviceType: 'battery', command: 'charge', state: 'acknowledged', start: null });
    expect(r.body.data.links.self).toBe(`/actions/${r.body.data.id}`);
    await sandbox.advance(5);
    const action = (await sandbox.call('GET', `/actions/${r.body.data.id}`)).body.data;
    expect(action).toMatchObject({ state: 'completed', result: { success: true } });
    expect((await sandbox.call('GET', '/battery/bat_voltaro_01')).body.data.state.currentMode).toBe('charge');
  });

  it('moves a scheduled push through scheduled -> acknowledged -> completed', async () => {
    const r = await push('bat_voltaro_01', charge({ start: inMinutes(60) }));
    expect(r.body.data.state).toBe('scheduled');
    const id = r.body.data.id;
    expect((await sandbox.call('GET', '/battery/bat_voltaro_01')).body.data.currentSchedule).toMatchObject({ actionId: id });
    await sandbox.advance(3600);
    expect((await sandbox.call('GET', `/actions/${id}`)).body.data.state).toBe('acknowledged');
    await sandbox.advance(10);
    expect((await sandbox.call('GET', `/actions/${id}`)).body.data.state).toBe('completed');
  });

  it('reverts the device at the end of a windowed action', async () => {
    const r = await push('bat_voltaro_01', { action: { command: 'discharge', start: inMinutes(10), end: inMinutes(70) } });
    expect(r.body.data.end).toBeDefined();
    await sandbox.advance(15 * 60);
    expect((await sandbox.call('GET', '/battery/bat_voltaro_01')).body.data.state.currentMode).toBe('discharge');
    await sandbox.advance(60 * 60);
    expect((await sandbox.call('GET', '/battery/bat_voltaro_01')).body.data.state.currentMode).toBe('auto.balanced');
  });

  it('reads a naive start in the plant time zone and accepts relative durations', async () => {
    const rel = await push('bat_voltaro_01', charge({ start: '1.5h' }));
    expect(Date.parse(rel.body.data.start) - Date.now()).toBeGreaterThan(89 * 60_000);
    await sandbox.call('POST', `/actions/${rel.body.data.id}/cancel`);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const naive = await push('bat_helio_01', charge({ start: `${tomorrow}T22:00:00` }));
    // Berlin is UTC+1 in winter, UTC+2 in summer.
    expect(['20', '21']).toContain(naive.body.data.start.slice(11, 13));
  });

  it('refuses pushes to read-only families', async () => {
    for (const [type, id] of [['solar-inverter', 'solar_sunpeak_01'], ['vehicle', 'veh_rivet_01']]) {
      const r = await push(id, charge(), type);
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('DIRECT_ACTION_UNSUPPORTED');
    }
  });
});

describe('capability checks', () => {
  const cases: Array<[string, string, unknown, string, Record<string, unknown>]> = [
    ['unknown command', 'bat_kestrel_01', { action: { command: 'auto.export' } }, 'UNSUPPORTED_MODE', { deviceCapabilities: { supportedModes: ['charge', 'discharge', 'idle', 'auto.balanced'] } }],
    ['undeclared parameter', 'bat_kestrel_01', { action: { command: 'charge', parameters: { reserve: { value: 20, unit: 'percent' } } } }, 'UNSUPPORTED_PARAMETER', { unsupportedParameters: ['reserve'] }],
    ['wrong unit', 'bat_voltaro_01', { action: { command: 'charge', parameters: { power: { value: 50, unit: 'percent' } } } }, 'UNSUPPORTED_UNIT', { parameter: 'power', providedUnit: 'percent', supportedUnits: ['kw'] }],
    // A unit of no parameter's is a wrong unit too (422, as the preflight says), not a schema error (400).
    ['a unit no parameter has', 'bat_voltaro_01', { action: { command: 'charge', parameters: { power: { value: 5, unit: 'KW' } } } }, 'UNSUPPORTED_UNIT', { parameter: 'power', providedUnit: 'KW', supportedUnits: ['kw'] }],
    ['out of range', 'bat_kestrel_01', { action: { command: 'charge', parameters: { target: { value: 95, unit: 'percent' } } } }, 'PARAMETER_OUT_OF_RANGE', { parameter: 'target', value: 95, min: 20, max: 90, unit: 'percent' }],
    ['windowed on a device without it', 'bat_helio_01', { action: { command: 'charge', start: '1h', end: '2h' } }, 'EXECUTION_NOT_SUPPORTED', { requestedExecution: 'windowed', supportedExecution: ['immediate', 'scheduled'] }],
    ['immediate where only windowed', 'bat_foxgrid_02', { action: { command: 'charge' } }, 'EXECUTION_NOT_SUPPORTED', { requestedExecution: 'immediate', supportedExecution: ['windowed'] }],
    ['start in the past', 'bat_voltaro_01', { action: { command: 'charge', start: '2020-01-01T00:00:00Z' } }, 'START_IN_PAST', {}],
    ['start beyond 30 days', 'bat_voltaro_01', { action: { command: 'charge', start: '40d' } }, 'START_OUT_OF_RANGE', {}],
    ['end without start', 'bat_voltaro_01', { action: { command: 'charge', end: '2h' } }, 'INVALID_TIME_WINDOW', { reason: 'end_without_start' }],
    ['end before start', 'bat_voltaro_01', { action: { command: 'charge', start: '2h', end: '1h' } }, 'INVALID_TIME_WINDOW', { reason: 'end_not_after_start' }],
    ['window too short', 'bat_voltaro_01', { action: { command: 'charge', start: '1h', end: '62m' } }, 'INVALID_TIME_WINDOW', { reason: 'window_too_short' }],
    ['window too long', 'bat_voltaro_01', { action: { command: 'charge', start: '1h', end: '26h' } }, 'INVALID_TIME_WINDOW', { reason: 'window_too_long' }],
    ['unparseable time', 'bat_voltaro_01', { action: { command: 'charge', start: 'teatime' } }, 'INVALID_TIME_WINDOW', { reason: 'unparseable_time' }],
  ];
  it.each(cases)('%s -> %s', async (_name, device, body, code, details) => {
    const r = await push(device, body);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.details).toMatchObject(details);
  });

  it('names the units in the UNSUPPORTED_UNIT message as documented', async () => {
    const r = await push('bat_voltaro_01', { action: { command: 'charge', parameters: { power: { value: 5, unit: 'percent' } } } });
    expect(r.body.error.message).toBe('Parameter `power` unit `percent` is not supported. Expected `kw`.');
  });
});

describe('settings', () => {
  it('writes a sparse map and the read shows it', async () => {
    const r = await sandbox.call('POST', '/battery/bat_voltaro_01/settings', { safety_reserve: { value: 25, unit: 'percent' } });
    expect(r.body.data).toEqual({ deviceId: 'bat_voltaro_01', updated: ['safety_reserve'] });
    expect((await sandbox.call('GET', '/battery/bat_voltaro_01')).body.data.settings.safety_reserve.value).toBe(25);
  });

  it.each([
    [{ boost: { value: 1, unit: 'kw' } }, 'UNSUPPORTED_SETTING'],
    [{ scheduler_enabled: { value: 0, unit: 'percent' } }, 'READ_ONLY_SETTING'],
    [{ export_limit: { value: 99999, unit: 'watts' } }, 'SETTING_OUT_OF_RANGE'],
    [{ export_limit: { value: 3, unit: 'kw' } }, 'UNSUPPORTED_UNIT'],
    [{ export_limit: { value: 3, unit: 'WATTS' } }, 'UNSUPPORTED_UNIT'],
  ])('%j -> %s (422)', async (body, code) => {
    const r = await sandbox.call('POST', '/battery/bat_voltaro_01/settings', body);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe(code);
  });

  it('has no settings endpoint for hvac', async () => {
    expect((await sandbox.call('POST', '/hvac/hvac_thermia_01/settings', { x: { value: 1, unit: 'celsius' } })).body.error.code).toBe('NOT_FOUND');
  });
});

describe('conflicts', () => {
  it('answers CONFLICT with ids and strategies, and cancel_and_replace replaces', async () => {
    const first = (await push('bat_voltaro_01', charge({ start: inMinutes(60) }))).body.data;
    const conflict = await push('bat_voltaro_01', charge());
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.details).toEqual({ reason: 'no_strategy_supplied', conflictingActionIds: [first.id], strategies: ['cancel_and_replace', 'queue_after'] });
    const replaced = await push('bat_voltaro_01', { ...charge(), onConflict: 'cancel_and_replace' });
    expect(replaced.status).toBe(202);
    expect((await sandbox.call('GET', `/actions/${first.id}`)).body.data.state).toBe('cancelled');
  });

  it('queues after a windowed action (deferred, never earlier, a window keeps its length), and refuses to queue after an open-ended one', async () => {
    const window = (await push('bat_voltaro_01', { action: { command: 'discharge', start: '1h', end: '2h' } })).body.data;
    const queued = (await push('bat_voltaro_01', { action: { command: 'charge', start: '30m', end: '90m' }, onConflict: 'queue_after' })).body.data;
    expect(queued.start).toBe(window.end);
    expect(Date.parse(queued.end) - Date.parse(queued.start)).toBe(3_600_000);
    // A start already after the end of what is in the way stays where it was asked for.
    const later = (await push('bat_voltaro_01', { action: { command: 'discharge', start: '5h45m' }, onConflict: 'queue_after' })).body.data;
    expect(Math.abs(Date.parse(later.start) - Date.parse(window.end) - (3 * 3_600_000 + 45 * 60_000))).toBeLessThan(1000);
    await sandbox.call('POST', '/_sandbox/reset');
    await push('bat_voltaro_01', charge({ start: '1h' }));
    const open = await push('bat_voltaro_01', { ...charge(), onConflict: 'queue_after' });
    expect(open.body.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'open_ended', strategies: ['cancel_and_replace'] } });
  });

  it('answers the in-flight CONFLICT without strategies, and cancel_and_replace cannot fix it', async () => {
    const first = (await push('bat_voltaro_01', charge())).body.data;
    for (const body of [charge(), { ...charge(), onConflict: 'cancel_and_replace' }]) {
      const r = await push('bat_voltaro_01', body);
      expect(r.body.error.message).toBe('The conflicting action is already in progress and cannot be cancelled. Wait for it to complete or fail.');
      expect(r.body.error.details).toEqual({ conflictingActionIds: [first.id] });
    }
  });

  it('answers the in-flight CONFLICT to queue_after as well when what runs has no end: there is nothing to queue after, and it cannot be cancelled', async () => {
    const first = (await push('bat_voltaro_02', charge())).body.data;
    const r = await push('bat_voltaro_02', { ...charge(), onConflict: 'queue_after' });
    expect([r.status, r.body.error.message, r.body.error.details]).toEqual([409, 'The conflicting action is already in progress and cannot be cancelled. Wait for it to complete or fail.', { conflictingActionIds: [first.id] }]);
  });

  it('a push refused on its way changes nothing: the schedule rows a refused cancel_and_replace would have cleared are still there', async () => {
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    // An action in flight, in a window no manufacturer row meets.
    const running = (await push('bat_foxgrid_01', { action: { command: 'charge', start: `${day(1)}T10:00:00Z`, end: `${day(1)}T10:30:00Z` } })).body.data;
    await sandbox.advance(Math.ceil((Date.parse(running.start) - Date.now()) / 1000) + 1);
    expect((await sandbox.call('GET', `/actions/${running.id}`)).body.data.state).toBe('acknowledged');
    // Over the morning row: cancel_and_replace would clear it, but the action in flight refuses the push.
    const window = { command: 'charge', start: `${day(2)}T06:30:00Z`, end: `${day(2)}T08:30:00Z` };
    const refused = await push('bat_foxgrid_01', { action: window, onConflict: 'cancel_and_replace' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'CONFLICT']);
    await sandbox.advance(3600);
    const again = await push('bat_foxgrid_01', { action: window });
    expect([again.status, again.body.error?.code]).toEqual([409, 'SCHEDULER_ACTIVE']);
  });

  it('refuses a strategy the device does not offer', async () => {
    await push('bat_ampere_02', charge({ start: '1h' }));
    const r = await push('bat_ampere_02', { ...charge(), onConflict: 'queue_after' });
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('answers SCHEDULER_ACTIVE with the full details shape until cancel_and_replace clears the rows', async () => {
    const r = await push('bat_foxgrid_01', { action: { command: 'idle' } });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toBe('A schedule is currently active on the device and must be cleared first.');
    const details = r.body.error.details;
    expect(Object.keys(details).sort()).toEqual(['description', 'detectedAt', 'existingGroupCount', 'overlappingGroups', 'reason', 'recoveryStrategies']);
    expect(details).toMatchObject({ reason: 'foreign_schedule_overlap', existingGroupCount: 3, recoveryStrategies: ['cancel_and_replace'] });
    expect(details.overlappingGroups[0]).toEqual({ groupId: expect.any(String), start: expect.any(String), end: expect.any(String), mode: expect.any(String), source: expect.any(String) });
    const cleared = await push('bat_foxgrid_01', { action: { command: 'idle' }, onConflict: 'cancel_and_replace' });
    expect(cleared.status).toBe(202);
    await sandbox.advance(10);
    expect((await push('bat_foxgrid_01', { action: { command: 'idle' } })).status).toBe(202);
  });

  it.each([
    ['bat_nimbus_01', { action: { command: 'charge', start: '1h' } }, 'SCHEDULER_FULL'],
    ['bat_nimbus_02', charge(), 'VPP_LOCKED'],
    ['bat_ampere_01', { ...charge(), onConflict: 'cancel_and_replace' }, 'MODE_OVERRIDDEN'],
  ])('%s answers %s (onConflict does not fix it)', async (device, body, code) => {
    const r = await push(device, body);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe(code);
  });
});

describe('actions', () => {
  it('lists newest first with filters, gets and cancels', async () => {
    const a = (await push('bat_voltaro_01', charge({ start: '1h' }))).body.data;
    const b = (await push('ev_wallbox_01', { action: { command: 'charge' } }, 'ev-charger')).body.data;
    const all = (await sandbox.call('GET', '/actions')).body.data;
    expect(all.items.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
    expect(all.pagination).toMatchObject({ total: 2, hasMore: false });
    expect((await sandbox.call('GET', '/actions?deviceType=ev_charger')).body.data.items).toHaveLength(1);
    expect((await sandbox.call('GET', '/actions?state=scheduled&deviceId=bat_voltaro_01')).body.data.items[0].id).toBe(a.id);
    expect((await sandbox.call('GET', '/actions?userId=user_brook')).body.data.items).toHaveLength(0);
    const cancelled = await sandbox.call('POST', `/actions/${a.id}/cancel`);
    expect(cancelled.body.data.state).toBe('cancelled');
    const again = await sandbox.call('POST', `/actions/${a.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'ACTION_NOT_CANCELLABLE', message: "Action in state 'cancelled' cannot be cancelled" });
    expect((await sandbox.call('GET', '/actions/act_nope')).body.error).toMatchObject({ code: 'NOT_FOUND', message: 'Action not found or access denied.' });
  });
});

describe('the sandbox directive (decision 9)', () => {
  const codes = [...new Set(CATALOGUE.map((e) => e.code))];
  it.each(codes)('fails a push with %s, its status, exact message and details', async (code) => {
    const r = await push('bat_voltaro_01', { ...charge(), sandbox: { result: 'failed', errorCode: code } });
    // A code on the manufacturer page comes back as the manufacturer's variant (decision 9).
    const entry = CATALOGUE.find((e) => e.code === code && e.docsPage) ?? CATALOGUE.find((e) => e.code === code)!;
    expect(r.status).toBe(entry.http);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message).toBe(fillMessage(entry, entry.exampleDetails ?? {}));
    if (entry.exampleDetails) expect(r.body.error.details).toEqual(entry.exampleDetails);
  });

  it('with phase dispatch, accepts the push and fails the action when it is dispatched', async () => {
    const r = await push('bat_voltaro_01', { ...charge(), sandbox: { result: 'failed', errorCode: 'COMMAND_FAILED', phase: 'dispatch' } });
    expect(r.status).toBe(202);
    await sandbox.advance(5);
    const action = (await sandbox.call('GET', `/actions/${r.body.data.id}`)).body.data;
    expect(action).toMatchObject({ state: 'failed', errorCode: 'COMMAND_FAILED', errorMessage: 'The device manufacturer could not complete the command.', result: { success: false } });
    expect((await sandbox.call('GET', '/battery/bat_voltaro_01')).body.data.state.currentMode).toBe('auto.balanced');
  });

  it('defaults to SIMULATED_FAILURE (503), and result succeeded is a normal push', async () => {
    const failed = await push('bat_voltaro_01', { ...charge(), sandbox: { result: 'failed' } });
    expect([failed.status, failed.body.error.code, failed.body.error.message]).toEqual([503, 'SIMULATED_FAILURE', 'Simulated failure (sandbox).']);
    expect((await push('bat_voltaro_01', { ...charge(), sandbox: { result: 'succeeded' } })).status).toBe(202);
  });
});

describe('bad input never crashes it', () => {
  it.each([
    ['invalid JSON', { raw: '{"action": ' }, 400, 'INVALID_JSON'],
    ['unknown top-level key', { body: { ...charge(), priority: 'high' } }, 400, 'VALIDATION_ERROR'],
    ['missing action', { body: { onConflict: 'cancel_and_replace' } }, 400, 'VALIDATION_ERROR'],
    ['bare number parameter', { body: { action: { command: 'charge', parameters: { power: 5 } } } }, 400, 'VALIDATION_ERROR'],
    ['wrong type for command', { body: { action: { command: 42 } } }, 400, 'VALIDATION_ERROR'],
    ['array body', { body: [1, 2] }, 400, 'VALIDATION_ERROR'],
    ['unknown directive code', { body: { ...charge(), sandbox: { result: 'failed', errorCode: 'NOPE' } } }, 400, 'VALIDATION_ERROR'],
  ])('%s -> %i %s', async (_name, input, status, code) => {
    const r = await sandbox.call('POST', '/battery/bat_voltaro_01', (input as { body?: unknown }).body, { raw: (input as { raw?: string }).raw });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
  });

  it('lists every schema problem in details.fields', async () => {
    const r = await push('bat_voltaro_01', { action: { command: 'charge', colour: 'red', parameters: { power: { value: '5', unit: 'kw' } } }, extra: 1 });
    expect(r.body.error.details.fields.map((f: { path: string }) => f.path).sort()).toEqual(['action.colour', 'action.parameters.power', 'extra']);
  });

  it('answers unknown routes 404, wrong methods 405 with Allow, big bodies 413', async () => {
    expect((await sandbox.call('GET', '/batteries')).body.error).toMatchObject({ code: 'NOT_FOUND', details: { path: '/batteries' } });
    const wrong = await sandbox.call('DELETE', '/battery/bat_voltaro_01');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, POST');
    const big = await sandbox.call('POST', '/battery/bat_voltaro_01', undefined, { raw: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await sandbox.call('GET', '/battery/bat_voltaro_01')).status).toBe(200);
  });
});

describe('rate limiting (decision 11)', () => {
  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After once the bucket is empty', async () => {
    const limited = await startTestSandbox({ rateLimit: 3 });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push(await limited.call('GET', '/vehicle'));
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
      const last = statuses[4];
      expect(last.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
      expect(Number(last.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(last.body.error.details.retryAfterSeconds).toBe(Number(last.headers['retry-after']));
    } finally {
      await limited.close();
    }
  });

  it('a RATE_LIMIT_EXCEEDED the push directive rehearses carries its Retry-After header too, as a real 429 does', async () => {
    const r = await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'idle' }, sandbox: { result: 'failed', errorCode: 'RATE_LIMIT_EXCEEDED' } });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe(String(r.body.error.details.retryAfterSeconds));
  });
});
