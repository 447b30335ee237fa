import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs, retryFits, retryWithheldText } from '../src/api/client.js';
import { manufacturerVariant, outcomeExitCode } from '../src/errors/catalogue.js';
import { decodeError, decodeFailedAction, decodeResponse, failedActionIn, parseRetryAfter, transportError, truncatedFailedActionIn } from '../src/errors/decode.js';
import { errorToJson, renderErrorText } from '../src/output/error-view.js';
import { PLAIN } from '../src/output/style.js';
import { API_DOCS } from './helpers/cli.js';

const examples = join(API_DOCS, 'examples');
const envelope = (code: string, message: string, details?: unknown, meta: Record<string, unknown> = { requestId: 'req_1', path: '/battery/b1', timestamp: '2026-06-01T10:30:00.000Z' }) =>
  JSON.stringify({ success: false, error: { code, message, ...(details === undefined ? {} : { details }) }, meta });

describe('decoding the documented error examples', () => {
  const expected: Record<string, { status: number; code: string; exit: number }> = {
    'error-conflict-no-strategy-cookbook.json': { status: 409, code: 'CONFLICT', exit: 5 },
    'error-unsupported-unit-envelope.json': { status: 422, code: 'UNSUPPORTED_UNIT', exit: 4 },
    'error-device-offline-manufacturer.json': { status: 410, code: 'DEVICE_OFFLINE', exit: 7 },
    'error-schedule-not-found-404.json': { status: 404, code: 'NOT_FOUND', exit: 4 },
  };

  it('covers every complete error example', () => {
    const files = readdirSync(examples).filter((f) => f.startsWith('error-') && f.endsWith('.json'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s', (file, want) => {
    const decoded = decodeError(want.status, {}, readFileSync(join(examples, file), 'utf8'));
    expect(decoded).toMatchObject({ code: want.code, known: true, shape: 'envelope', exitCode: want.exit });
  });

  it('decodes what can be read of the truncated examples (their code and message), and says they were cut off', () => {
    const files = readdirSync(examples).filter((f) => f.startsWith('error-') && f.endsWith('.truncated.txt'));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const text = readFileSync(join(examples, file), 'utf8');
      const decoded = decodeError(409, { 'x-request-id': 'req_header' }, text);
      const code = /"code": "([A-Z_]+)"/.exec(text)![1];
      expect(decoded).toMatchObject({ code, known: true, truncated: true, exitCode: 5, requestId: 'req_header' });
      expect(decoded.message).toBe(/"message": "([^"]+)"/.exec(text)![1]);
    }
    // Cut off before any code arrived: classified from the status alone.
    expect(decodeError(409, {}, '{"success": false, "err')).toMatchObject({ code: 'HTTP_409', shape: 'non_envelope', exitCode: 5, problem: 'truncated or invalid JSON' });
  });

  it('reads success envelopes and the older unwrapped successes', () => {
    const ok = decodeResponse(200, {}, readFileSync(join(examples, 'hvac-get-state-response.json'), 'utf8'));
    expect(ok.ok && (ok.value.data as { id: string }).id).toBe('device_hvac_001');
    const bare = decodeResponse(200, {}, readFileSync(join(examples, 'battery-settings-response-no-envelope.json'), 'utf8'));
    expect(bare.ok && bare.value.meta).toEqual({});
  });
});

describe('the decoder on every shape', () => {
  it('keeps an unknown code and applies UNKNOWN_ERROR guidance (exit 8)', () => {
    const decoded = decodeError(418, {}, envelope('BRAND_NEW_CODE', 'Something new.'));
    expect(decoded).toMatchObject({ code: 'BRAND_NEW_CODE', known: false, retryClass: 'once_then_escalate', exitCode: 8, requestId: 'req_1' });
  });

  it('reads a code as the API spells it: device_offline or " DEVICE_OFFLINE " is no code the catalogue knows', () => {
    for (const code of ['device_offline', ' DEVICE_OFFLINE ', 'Device-Offline']) {
      expect(decodeError(410, {}, envelope(code, 'x')), code).toMatchObject({ code, known: false, exitCode: 8 });
    }
    expect(decodeError(410, {}, envelope('DEVICE_OFFLINE', 'x'))).toMatchObject({ known: true, exitCode: 7 });
  });

  it('a failed action is the manufacturer\'s answer, with its meaning of a code with two, whatever its message: as its exit code is taken', () => {
    for (const errorMessage of [null, 'Device not found', 'Device not found or access denied']) {
      const decoded = decodeFailedAction({ id: 'act_1', state: 'failed', errorCode: 'DEVICE_NOT_FOUND', errorMessage });
      expect([decoded.entry?.variant, decoded.entry?.party, decoded.exitCode], String(errorMessage)).toEqual([manufacturerVariant('DEVICE_NOT_FOUND')?.variant, 'manufacturer', outcomeExitCode('failed', 'DEVICE_NOT_FOUND')]);
    }
    expect(outcomeExitCode('failed', 'DEVICE_NOT_FOUND')).toBe(3);
  });

  it('a request id a server sent as a number is quoted, not said to be missing', () => {
    const body = (requestId: unknown) => JSON.stringify({ success: false, error: { code: 'DEVICE_OFFLINE', message: 'x' }, meta: { requestId } });
    expect(decodeError(410, {}, body(81234)).requestId).toBe('81234');
    expect(decodeError(410, { 'x-request-id': 'req_h' }, body(1.5)).requestId).toBe('req_h');
  });

  it('a push.failed webhook body is a failed action: its actionId named, whole or cut off', () => {
    const body = { actionId: 'act_9', deviceId: 'bat_1', deviceType: 'battery', command: 'charge', parameters: null, result: { success: false }, errorCode: 'DEVICE_OFFLINE', errorMessage: 'Device is offline', failedAt: '2026-06-10T21:00:00Z' };
    expect(failedActionIn(body)).toBeDefined();
    expect(decodeFailedAction(failedActionIn(body)!)).toMatchObject({ code: 'DEVICE_OFFLINE', actionId: 'act_9', shape: 'action' });
    expect(decodeFailedAction(truncatedFailedActionIn(JSON.stringify(body).slice(0, 200))!)).toMatchObject({ code: 'DEVICE_OFFLINE', actionId: 'act_9' });
    // The docs' older body: `error: {code, message}` and failedAt, read as the failed action it is, not a 409 response.
    const older = JSON.parse(readFileSync(join(API_DOCS, 'examples', 'webhook-push-failed-scheduler-active-cookbook-older.json'), 'utf8'));
    expect(decodeFailedAction(failedActionIn(older)!)).toMatchObject({ code: 'SCHEDULER_ACTIVE', status: null, actionId: 'act_inflight_002', message: 'Native scheduler is active; clear it before issuing a direct command.' });
  });

  it('a status the docs also give a code is not said to differ from theirs (RATE_LIMIT_EXCEEDED on 401)', async () => {
    const ctx = { style: PLAIN, tty: false };
    const on401 = decodeError(401, {}, envelope('RATE_LIMIT_EXCEEDED', 'x'));
    expect(errorToJson(on401).error).toMatchObject({ documentedStatus: null });
    expect(await renderErrorText(on401, ctx)).not.toContain('the docs give');
    expect(errorToJson(decodeError(500, {}, envelope('RATE_LIMIT_EXCEEDED', 'x'))).error).toMatchObject({ documentedStatus: 429 });
  });

  it('a code with several meanings and a message that names none takes the meaning of its path', () => {
    const notFound = (meta: Record<string, unknown>, options = {}) => decodeError(404, {}, JSON.stringify({ success: false, error: { code: 'NOT_FOUND', message: 'Route not found' }, meta }), options).entry?.variant;
    expect(notFound({ path: '/schedules/sch_1' })).toBe('schedule');
    expect(notFound({ path: '/actions/act_1' })).toBe('action');
    // A list of batteries answered NOT_FOUND: a path that is not the API's (a wrong base URL), not a schedule.
    expect(notFound({ path: '/battery' })).toBe('route');
    expect(notFound({}, { path: '/battery' })).toBe('route');
    expect(notFound({}, { path: '/schedules' })).toBe('schedule');
    // A device's own schedule (`/battery/ID/schedule`) is a schedule too.
    expect(notFound({ path: '/battery/bat_voltaro_01/schedule' })).toBe('schedule');
    expect(notFound({}, { path: '/hvac/h1/schedule?x=1' })).toBe('schedule');
    expect(notFound({ path: '/battery/bat_voltaro_01' })).toBe('route');
    // The message decides first.
    expect(decodeError(404, {}, JSON.stringify({ success: false, error: { code: 'NOT_FOUND', message: 'Schedule not found or access denied.' }, meta: { path: '/battery' } })).entry?.variant).toBe('schedule');
  });

  it('reads the older unwrapped bodies', () => {
    expect(decodeError(410, {}, JSON.stringify({ error: { code: 'DEVICE_OFFLINE', message: 'x' } }))).toMatchObject({ code: 'DEVICE_OFFLINE', shape: 'unwrapped' });
    expect(decodeError(409, {}, JSON.stringify({ code: 'SCHEDULER_ACTIVE', message: 'x' }))).toMatchObject({ code: 'SCHEDULER_ACTIVE', shape: 'unwrapped' });
    expect(decodeError(404, {}, JSON.stringify({ error: 'DEVICE_NOT_FOUND', message: 'Device not found or access denied' }))).toMatchObject({ entry: { variant: 'platform' } });
  });

  it.each([
    [502, '<html><title>502 Bad Gateway</title></html>', 'HTTP_502', 6],
    [503, '', 'HTTP_503', 6],
    [500, '{"success": false, "error": {"code": "INTERN', 'HTTP_500', 8],
    [401, '{"success": false, "error": {"code": 42}}', 'HTTP_401', 3],
    [404, '[1,2,3]', 'HTTP_404', 4],
    // A success status took the request: INVALID_RESPONSE, whose advice after a write is to look before sending again.
    [200, 'not json at all', 'INVALID_RESPONSE', 8],
    [202, '{"success":true,"data":{"id":"act_1","st', 'INVALID_RESPONSE', 8],
  ])('classifies HTTP %i with an unreadable body from its status', (status, body, code, exit) => {
    const result = decodeResponse(status, {}, body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code, exitCode: exit, shape: 'non_envelope' });
  });

  it('says which party a code with two meanings is about', async () => {
    const oem = await renderErrorText(decodeError(401, {}, envelope('INVALID_API_KEY', 'The device manufacturer rejected the supplied API key.')), { style: PLAIN, tty: false });
    expect(oem).toContain('From: the device manufacturer (manufacturer meaning of INVALID_API_KEY)');
    const platform = await renderErrorText(decodeError(401, {}, envelope('INVALID_API_KEY', 'The API key is not valid.')), { style: PLAIN, tty: false });
    expect(platform).toContain('From: the Amps platform (platform meaning of INVALID_API_KEY)');
    expect(errorToJson(decodeError(401, {}, envelope('INVALID_API_KEY', 'The API key is not valid.'))).error).toMatchObject({ variant: 'platform', party: 'platform' });
  });

  it('tells the two CONFLICT meanings apart', () => {
    const pending = decodeError(409, {}, envelope('CONFLICT', 'A conflicting action is already pending for this device. Provide onConflict to resolve automatically, or cancel the existing action.'));
    const inFlight = decodeError(409, {}, envelope('CONFLICT', 'The conflicting action is already in progress and cannot be cancelled. Wait for it to complete or fail.'));
    expect([pending.entry?.variant, inFlight.entry?.variant]).toEqual(['pending', 'in_flight']);
    // Its class says to wait, as its "what to do" does: no onConflict strategy replaces a dispatched action.
    expect([pending.retryClass, inFlight.retryClass, inFlight.exitCode]).toEqual(['resolve_conflict', 'wait_for_action', 5]);
  });

  it('a code carrying what a terminal does not show is the code it reads as (as decode, which scrubs first, takes it); its case stays the API\'s', () => {
    for (const code of ['DEVICE_\u200bOFFLINE', '\u001b[1mDEVICE_OFFLINE\u001b[0m', 'DEVICE_OFF\u00adLINE', '\u202eDEVICE_OFFLINE']) {
      const decoded = decodeError(410, {}, envelope(code, 'The device is currently offline at the manufacturer.'));
      // The code itself as it reads, for every reader of it (the ledger, a rerun's grep, the rate limit's pause).
      expect([decoded.code, decoded.known, decoded.exitCode], JSON.stringify(code)).toEqual(['DEVICE_OFFLINE', true, 7]);
      expect(outcomeExitCode('failed', code), JSON.stringify(code)).toBe(7);
    }
    expect(decodeError(410, {}, envelope('device_offline', 'x')).known).toBe(false);
  });

  it('an error\'s timestamp sent without a zone says how it is read, as every other time from the API shown does', async () => {
    const body = (timestamp: string) => JSON.stringify({ success: false, error: { code: 'DEVICE_OFFLINE', message: 'The device is currently offline at the manufacturer.' }, meta: { requestId: 'req_t', timestamp } });
    const naive = await renderErrorText(decodeError(410, {}, body('2026-11-28T03:42:07')), { style: PLAIN, tty: false });
    expect(naive).toMatch(/Timestamp +2026-11-28T03:42:07 \(sent without a zone: read as UTC\)/);
    const zoned = await renderErrorText(decodeError(410, {}, body('2026-11-28T03:42:07Z')), { style: PLAIN, tty: false });
    expect(zoned).toMatch(/Timestamp +2026-11-28T03:42:07Z\n/);
  });

  it('an error body without a code keeps the request id its meta names', () => {
    const decoded = decodeError(400, { 'x-request-id': 'req_header' }, JSON.stringify({ success: false, error: { message: 'something bad' }, meta: { requestId: 'req_nocode' } }));
    expect([decoded.code, decoded.requestId]).toEqual(['HTTP_400', 'req_nocode']);
    expect(decodeError(400, { 'x-request-id': 'req_header' }, '{"error": {"message": "x"}}').requestId).toBe('req_header');
  });

  it('reads a body led by a byte-order mark as the JSON after it, error or success', () => {
    const error = decodeError(410, {}, `\uFEFF${envelope('DEVICE_OFFLINE', 'The device is currently offline at the manufacturer.')}`);
    expect([error.code, error.truncated ?? false, error.shape]).toEqual(['DEVICE_OFFLINE', false, 'envelope']);
    const success = decodeResponse(200, {}, '\uFEFF{"success": true, "data": {"id": "bat_1"}, "meta": {}}');
    expect(success).toMatchObject({ ok: true, value: { data: { id: 'bat_1' } } });
  });

  it('takes Retry-After from the header (seconds or date) before details', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    // RFC 850's and asctime's dates too (asctime's is UTC, though it says no zone).
    expect(parseRetryAfter('Thursday, 01-Jan-26 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Thu Jan  1 00:01:00 2026', now)).toBe(60);
    // A retry is made only when its wait and an attempt of 250 ms fit in what is left; why not, said.
    expect([retryFits(1000, 1250), retryFits(1000, 1249), retryFits(1000, 900)]).toEqual([true, false, false]);
    expect(retryWithheldText(1000, 1100, 1090)).toBe('not retried: after the wait before it (1 s), under 250 ms of --timeout (1.1 s, retries included) would be left for the attempt; a longer --timeout waits it out');
    expect(retryWithheldText(1000, 1100, 900)).toBe('not retried: the wait before it (1 s) would end past --timeout (1.1 s, retries included); a longer --timeout waits it out');
    // A date is read on the server's clock (its Date header), not this machine's an hour off either way.
    const serverSays = { 'Retry-After': 'Thu, 01 Jan 2026 00:00:05 GMT', Date: 'Thu, 01 Jan 2026 00:00:00 GMT' };
    for (const off of [-3_600_000, 3_600_000]) expect(decodeError(429, serverSays, envelope('RATE_LIMITED', 'x'), { now: now + off }).retryAfterSeconds).toBe(5);
    expect(decodeError(429, { ...serverSays, Date: 'yesterday' }, envelope('RATE_LIMITED', 'x'), { now }).retryAfterSeconds).toBe(5);
    // What Date.parse alone reads as a date of 2001 is no Retry-After, never a wait of 0.
    for (const junk of ['-5', '+5', '2,5', 'x 2', 'Retry 3', '1e3', '2026-01-01T00:00:30Z']) expect(parseRetryAfter(junk, now), junk).toBeUndefined();
    // A negative or endless wait in details is none.
    for (const wait of [-5, 1e400]) expect(decodeError(429, {}, envelope('RATE_LIMITED', 'x', { retryAfterSeconds: wait })).retryAfterSeconds, String(wait)).toBeUndefined();
    const decoded = decodeError(429, { 'Retry-After': '3' }, envelope('RATE_LIMIT_EXCEEDED', 'x', { retryAfterSeconds: 9 }));
    expect(decoded.retryAfterSeconds).toBe(3);
    // The wait: never shorter than asked, spread by up to a second (half of a shorter one) so that pushes refused together come back apart.
    expect([retryDelayMs(decoded, 1, () => 0), retryDelayMs(decoded, 1, () => 1)]).toEqual([3000, 4000]);
    expect(retryDelayMs(decodeError(429, { 'Retry-After': '1' }, envelope('RATE_LIMITED', 'x')), 1, () => 1)).toBe(1500);
    // Retry-After: 0 asks for no wait in particular: the backoff's spread, so pushes refused together do not all come back at once.
    const none = decodeError(429, { 'Retry-After': '0' }, envelope('RATE_LIMITED', 'x'));
    expect([retryDelayMs(none, 1, () => 0), retryDelayMs(none, 1, () => 1)]).toEqual([0, 500]);
    // A wait that fits before --timeout as asked is never pushed past it by the spread (it was then
    // withheld), and the spread takes at most half of what is left: the resend keeps time to be answered in.
    const two = decodeError(429, { 'Retry-After': '2' }, envelope('RATE_LIMITED', 'x'));
    expect([retryDelayMs(two, 1, () => 1, 2500), retryDelayMs(two, 1, () => 1, 1500)]).toEqual([2250, 2000]);
    expect(decodeError(429, {}, envelope('RATE_LIMITED', 'x', { retryAfterSeconds: 9 })).retryAfterSeconds).toBe(9);
  });

  it('gives transport failures their own codes and the transient class', () => {
    expect(transportError('timeout')).toMatchObject({ code: 'CLIENT_TIMEOUT', status: null, exitCode: 6 });
  });
});

describe('the renderers', () => {
  const ctx = { style: PLAIN, tty: false };

  it('shows SCHEDULER_ACTIVE groups as a table with count, strategies and detection time', async () => {
    const details = {
      reason: 'foreign_schedule_overlap',
      overlappingGroups: [{ groupId: 'grp_1', start: '2026-01-01T16:00:00Z', end: '2026-01-01T19:00:00Z', mode: 'discharge', source: 'homeowner_app' }],
      existingGroupCount: 3,
      recoveryStrategies: ['cancel_and_replace'],
      detectedAt: '2026-01-01T12:00:00Z',
    };
    const text = await renderErrorText(decodeError(409, {}, envelope('SCHEDULER_ACTIVE', 'A schedule is currently active on the device and must be cleared first.', details)), ctx);
    expect(text).toMatch(/│ grp_1 .*│ homeowner_app │/);
    expect(text).toContain('the device holds 3 in all');
    expect(text).toContain('Strategies on offer: cancel_and_replace');
    expect(text).toContain('Detected at: 2026-01-01T12:00:00Z');
    expect(text).toContain('Escalating? Quote: requestId=req_1 path=/battery/b1');
    expect(text.trimEnd().split('\n').at(-1)).toBe('  More: amps explain SCHEDULER_ACTIVE');
  });

  it('names the offending parameter and the supported subset', async () => {
    const unit = await renderErrorText(decodeError(422, {}, envelope('UNSUPPORTED_UNIT', 'x', { parameter: 'power', providedUnit: 'percent', supportedUnits: ['kw'] })), ctx);
    expect(unit).toContain('Parameter: power');
    expect(unit).toContain('Supported units: kw');
    const range = await renderErrorText(decodeError(422, {}, envelope('PARAMETER_OUT_OF_RANGE', 'x', { parameter: 'power', value: 9, min: 0, max: 5, unit: 'kw' })), ctx);
    expect(range).toContain('Supported range: 0 to 5 kw');
    // The API's answer: the value it was sent.
    expect(range).toContain('Sent: 9 kw');
    const exec = await renderErrorText(decodeError(422, {}, envelope('EXECUTION_NOT_SUPPORTED', 'x', { requestedExecution: 'windowed', supportedExecution: ['immediate'] })), ctx);
    expect(exec).toContain('Requested execution: windowed');
    const window = await renderErrorText(decodeError(422, {}, envelope('INVALID_TIME_WINDOW', 'x', { reason: 'window_too_short' })), ctx);
    expect(window).toContain('Reason: window_too_short');
  });

  it('says how much of a long list or string it cut: what the response held, not what was kept', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `act_${i}`);
    const text = await renderErrorText(decodeError(409, {}, envelope('CONFLICT', 'x', { conflictingActionIds: ids, list: Array.from({ length: 30 }, (_, i) => i), note: 'a'.repeat(5000) })), ctx);
    expect(text).toContain('act_19, … 180 more');
    expect(text).toContain('list: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, … 10 more');
    expect(text).toContain(`${'a'.repeat(200)}… (4800 more characters; --json shows all)`);
  });

  it('shows fields a per-code formatter does not render, generically', async () => {
    const text = await renderErrorText(decodeError(409, {}, envelope('CONFLICT', 'x', { conflictingActionIds: ['a1'], value: 7, start: 'soon' })), ctx);
    expect(text).toContain('Conflicting actions: a1');
    expect(text).toContain('value: 7');
    expect(text).toContain('start: soon');
  });

  it('formats unknown details generically, nested and cut', async () => {
    const text = await renderErrorText(
      decodeError(500, {}, envelope('UNKNOWN_ERROR', 'x', { vendor: { code: 'E42', hints: ['a', 'b'], rows: [{ id: 1 }] }, blob: 'z'.repeat(500) })),
      ctx,
    );
    expect(text).toContain('vendor:');
    expect(text).toContain('hints: a, b');
    expect(text).toContain('- id: 1');
    expect(text).toContain('more characters; --json shows all');
  });

  it('VALIDATION_ERROR details without a list of fields are shown once each', async () => {
    const lines = (details: unknown) => renderErrorText(decodeError(400, {}, envelope('VALIDATION_ERROR', 'm', details)), ctx).then((text) => text.split('\n').filter((line) => /^ +(a|b|fields): /.test(line)).map((line) => line.trim()));
    expect(await lines({ a: '1', b: '2' })).toEqual(['a: 1', 'b: 2']);
    expect(await lines({ fields: 'power', a: '1' })).toEqual(['fields: power', 'a: 1']);
  });

  it('scrubs terminal control sequences from everything the server sent', async () => {
    const evil = '\u001b]0;pwned\u0007\u001b[2J\rfake\u0007';
    const text = await renderErrorText(decodeError(409, {}, envelope('CONFLICT', evil, { conflictingActionIds: [evil] }, { requestId: evil })), ctx);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('fake');
  });
});

describe('property: the decoder and renderers take anything', () => {
  const jsonValue = fc.jsonValue({ maxDepth: 4 });
  const controlString = fc.string({ unit: fc.constantFrom('a', 'Z', '\u001b', '\r', '\u0007', '[', ']', ';', '\n', '\u009b', '"', '{', '}', 'é', '\u202e') });
  const body = fc.oneof(
    fc.string(),
    controlString,
    jsonValue.map((v) => JSON.stringify(v)),
    fc.record({
      success: fc.oneof(fc.constant(false), fc.constant(true), jsonValue),
      error: fc.oneof(
        fc.record({ code: fc.oneof(fc.constantFrom('SCHEDULER_ACTIVE', 'CONFLICT', 'UNSUPPORTED_UNIT', 'VALIDATION_ERROR', 'RATE_LIMITED'), controlString, jsonValue), message: fc.oneof(controlString, jsonValue), details: fc.oneof(jsonValue, fc.dictionary(fc.constantFrom('overlappingGroups', 'fields', 'deviceCapabilities', 'strategies', 'min', 'reason'), jsonValue)) }, { requiredKeys: [] }),
        jsonValue,
      ),
      meta: fc.oneof(fc.record({ requestId: controlString, path: controlString, timestamp: jsonValue }), jsonValue),
    }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    jsonValue.map((v) => JSON.stringify(v).slice(0, 20)),
  );
  const status = fc.integer({ min: 100, max: 599 });

  it('never throws, never prints a control character, always emits valid JSON (10,000 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(status, body, fc.dictionary(fc.constantFrom('retry-after', 'content-type'), fc.string()), async (code, text, headers) => {
        const result = decodeResponse(code, headers, text);
        if (result.ok) return;
        const human = await renderErrorText(result.error, { style: PLAIN, tty: true });
        expect(human).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        expect(() => JSON.parse(JSON.stringify(errorToJson(result.error)))).not.toThrow();
        expect([3, 4, 5, 6, 7, 8]).toContain(result.error.exitCode);
      }),
      { numRuns: 10_000 },
    );
  });
});
