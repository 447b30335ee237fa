import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { startFaultServer, type Fault, type FaultServer } from '../helpers/fault-server.js';
import { runInTerminal } from '../helpers/pty.js';

// A hostile or broken server never crashes amps and never eats the machine: every scenario ends
// with a decoded error and a documented exit code, never exit 1 or a stack trace.

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
beforeEach(() => server.reset());
afterAll(async () => server.close());

const env = (fault: Fault, extra: Record<string, string> = {}) => cleanEnv({ AMPS_API_URL: server.url(fault), AMPS_API_KEY: 'amps_sk_test_hostile1', ...extra });
const amps = (fault: Fault, args: string[], extra: Record<string, string> = {}, input?: string) => runCli([...args, '--timeout', '5s'], { env: env(fault, extra), input, timeoutMs: 30_000 });

function expectNoCrash(r: { code: number | null; stderr: string }) {
  expect(r.code).not.toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('This is a bug');
}

describe('empty, null and junk success bodies are the server\'s fault (exit 8), never a bug', () => {
  it.each([
    ['null200', ['get', 'battery', 'b1']],
    ['empty200', ['get', 'battery', 'b1']],
    ['string202', ['get', 'battery', 'b1']],
    ['null200', ['devices', 'battery']],
    ['empty200', ['devices', 'battery']],
    ['null200', ['actions', 'list']],
    ['null200', ['actions', 'get', 'act_1']],
    ['null200', ['settings', 'battery', 'b1']],
    ['null200', ['settings', 'battery', 'b1', 'safety_reserve=20%', '--no-preflight']],
  ] as const)('%s: %j', async (fault, args) => {
    const r = await amps(fault, [...args]);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('INVALID_RESPONSE');
    // An empty body is said as such, as an error status's is, not as data that is null.
    if (fault === 'empty200') expect(r.stderr).toContain('HTTP 200 with an empty body');
  });

  it.each(['null200', 'empty200', 'string202'] as const)('%s on a push: exit 8, and it says the push was sent', async (fault) => {
    const r = await amps(fault, ['push', 'battery', 'b1', 'charge', '--no-preflight']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('The push was sent and accepted; check amps actions list --device b1 before sending it again');
    expect(server.count('POST')).toBe(1);
    if (fault === 'empty200') expect(r.stderr).toContain('HTTP 204 with an empty body');
  });
});

describe('what is read is bounded', () => {
  it.each(['huge', 'endless'] as const)('%s body: refused at the limit, exit 8, in bounded memory', async (fault) => {
    const r = await amps(fault, ['get', 'battery', 'b1'], { AMPS_MAX_RESPONSE_MB: '2' });
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('RESPONSE_TOO_LARGE');
    expect(r.stderr).toContain('larger than 2 MiB');
  });

  it('refuses a bad AMPS_MAX_RESPONSE_MB in one line', async () => {
    for (const value of ['lots', '501', '1024']) {
      const r = await amps('ok', ['get', 'battery', 'b1'], { AMPS_MAX_RESPONSE_MB: value });
      expect([r.code, r.stderr.trim()], value).toEqual([2, `amps: AMPS_MAX_RESPONSE_MB takes a whole number of MiB from 1 to 500, not '${value}'`]);
    }
  });

  it('bounds decode input from a pipe and from a file', async () => {
    const big = 'x'.repeat(17 * 1024 * 1024);
    const piped = await runCli(['decode', '-'], { env: cleanEnv(), input: big });
    expect([piped.code, piped.stderr]).toEqual([2, 'amps: the input to decode is larger than 16384 KiB; amps reads at most that\n']);
  });
});

describe('details no renderer can be made to choke on', () => {
  it('a VALIDATION_ERROR with 200,000 fields prints a screenful, in text and in JSON', async () => {
    // The body is ~12 MB: allowed through here, so the renderer is what is tested.
    const text = await amps('wide422', ['push', 'battery', 'b1', 'charge', '--no-preflight'], { AMPS_MAX_RESPONSE_MB: '64' });
    expectNoCrash(text);
    expect(text.code).toBe(4);
    expect(text.stderr.split('\n').length).toBeLessThan(80);
    expect(text.stderr).toContain('199980 more');
    const json = await amps('wide422', ['push', 'battery', 'b1', 'charge', '--no-preflight', '--json'], { AMPS_MAX_RESPONSE_MB: '64' });
    expect(json.code).toBe(4);
    const fields = JSON.parse(json.stderr).error.details.fields;
    expect(fields).toHaveLength(10_001);
    expect(fields.at(-1)).toBe('(190000 more items omitted)');
  });

  it('details nested 100,000 deep: no stack overflow, in text or JSON', async () => {
    for (const extra of [[], ['--json']]) {
      const r = await amps('deep422', ['push', 'battery', 'b1', 'charge', '--no-preflight', ...extra]);
      expectNoCrash(r);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('nested deeper than');
    }
  });
});

describe('a 409 is a conflict by its code, not its status alone', () => {
  it('a 409 whose code is not a conflict\'s exits with that code\'s class, as its --json says, and no strategy is offered or rerun', async () => {
    for (const [fault, code, exit] of [['unknown409', 'WEIRD_409', 8], ['offline409', 'DEVICE_OFFLINE', 7]] as const) {
      const text = await amps(fault, ['push', 'battery', 'b1', 'charge', '--power', '3kw', '--no-preflight']);
      expectNoCrash(text);
      expect([text.code, text.stderr], fault).toEqual([exit, expect.not.stringContaining('--on-conflict')]);
      const json = await amps(fault, ['push', 'battery', 'b1', 'charge', '--power', '3kw', '--no-preflight', '--json']);
      // The exit code and the JSON's exitCode agree (the process exited 5 whatever the code's class).
      expect([json.code, JSON.parse(json.stderr).error.exitCode, JSON.parse(json.stderr).error.code], fault).toEqual([exit, exit, code]);
      const fleet = await amps(fault, ['push', 'battery', '--devices', '-', 'charge', '--power', '3kw', '--no-preflight', '--json'], {}, 'b1\n');
      const line = JSON.parse(fleet.stdout.trim().split('\n').find((l) => l.includes('"outcome"'))!);
      expect([fleet.code, line.outcome, line.resolveWith], fault).toEqual([exit, 'failed', null]);
    }
  });
});

describe('an id the server hands back is an id, never a path step', () => {
  it('a conflict naming actions ".." and "." reads and names only the one that is an id', async () => {
    const r = await amps('conflict-dotdot', ['push', 'battery', 'b1', 'charge', '--power', '3kw', '--no-preflight']);
    expectNoCrash(r);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('act_fine');
    expect(r.stderr).not.toMatch(/actions (wait|get|cancel) \.\.?(\s|$)/m);
    // The actions in the way are read to show them: only act_fine, never /actions/.. (which is /).
    expect(server.count('GET')).toBeLessThanOrEqual(1);
  });

  it('a push accepted as action ".." is INVALID_RESPONSE, said as sent; --wait sends no request to another route', async () => {
    const r = await amps('dotdot-action', ['push', 'battery', 'b1', 'charge', '--power', '3kw', '--no-preflight', '--wait']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain("an action whose id is not an id");
    expect(server.count('GET')).toBe(0);
    expect(server.count('POST')).toBe(1);
  });
});

describe('a cancel answered 200 with an action that is not cancelled', () => {
  it('is INVALID_RESPONSE, exit 8, saying the cancel was sent; never "cancelled"', async () => {
    const r = await amps('ok', ['actions', 'cancel', 'act_ok']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('an action still "acknowledged", not cancelled. The cancel was sent; check amps actions get before sending it again');
  });
});

describe('an action whose fields are not text', () => {
  it.each([
    [['actions', 'wait', 'act_1', '--wait-timeout', '3s'], 'an action whose errorCode is not text (42)'],
    [['actions', 'wait', 'act_1', '--wait-timeout', '3s', '--json'], 'an action whose errorCode is not text (42)'],
    [['actions', 'get', 'act_1'], 'an action whose errorCode is not text (42)'],
    [['actions', 'get', 'act_state'], 'an action whose state is not text (42)'],
  ] as const)('%j is INVALID_RESPONSE, exit 8, not a crash', async (args, problem) => {
    const r = await amps('odd-action-fields', [...args]);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(problem);
  });
});

describe('a result about another id than the one asked for', () => {
  it.each([
    [['get', 'battery', 'b1'], 'a result whose id is "bat_other", not b1, the one asked for', ''],
    [['actions', 'get', 'act_1'], 'a result whose id is "act_other", not act_1, the one asked for', ''],
    [['actions', 'cancel', 'act_1'], 'a result whose id is "act_other", not act_1, the one asked for', 'The cancel was sent'],
    [['push', 'battery', 'b1', 'charge', '--no-preflight'], 'a result whose deviceId is "bat_other", not b1, the one asked for', 'The push was sent and accepted'],
    [['settings', 'battery', 'b1', 'safety_reserve=20%', '--no-preflight'], 'a result whose deviceId is "bat_other", not b1, the one asked for', 'The settings were sent'],
  ] as const)('%j is INVALID_RESPONSE, exit 8, never shown as the one asked for', async (args, problem, sent) => {
    const r = await amps('other-id', [...args]);
    expectNoCrash(r);
    expect([r.code, r.stdout]).toEqual([8, '']);
    expect(r.stderr).toContain(problem);
    expect(r.stderr).toContain(sent);
  });

  it.each([
    ['settings-list', 'HTTP 200 with a device whose settings are an array, not a map of settings'],
    ['settings-junk', "HTTP 200 with a device whose setting 'safety_reserve' has a min that is a string, not a number"],
  ] as const)('%s: a settings map that is none is INVALID_RESPONSE, never shown as settings nor used to refuse a write', async (fault, problem) => {
    for (const args of [['settings', 'battery', 'b1'], ['settings', 'battery', 'b1', '--json'], ['settings', 'battery', 'b1', 'safety_reserve=20%']]) {
      const r = await amps(fault, args);
      expectNoCrash(r);
      expect([r.code, r.stdout], args.join(' ')).toEqual([8, '']);
      expect(r.stderr, args.join(' ')).toContain(problem);
    }
    expect(server.count('POST')).toBe(0);
    // get shows the device, and says the map is none instead of showing it as settings.
    const get = await amps(fault, ['get', 'battery', 'b1']);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(`  not shown: the answer's ${problem.replace('HTTP 200 with a device whose ', '')} (--json shows it as it came)`);
  });

  it.each([
    ['commands-list', 'HTTP 200 with a device whose commands are an array, not a map of commands'],
    ['commands-junk', "HTTP 200 with a device whose parameter 'target' of command 'charge' has a unit that is a number, not text"],
  ] as const)('%s: a commands map that is none is INVALID_RESPONSE (the server\'s fault), never a preflight refusal of the push (exit 2, the operator\'s)', async (fault, problem) => {
    for (const args of [['push', 'battery', 'b1', 'charge', '--target', '50%'], ['push', 'battery', 'b1', 'charge', '--target', '50%', '--json'], ['schedule', 'set', 'battery', 'b1', '--slot', '01:00/1h charge', '--tz', 'UTC']]) {
      const r = await amps(fault, args);
      expectNoCrash(r);
      expect([r.code, r.stdout], args.join(' ')).toEqual([8, '']);
      expect(r.stderr, args.join(' ')).toContain(problem);
    }
    expect(server.count('POST') + server.count('PUT')).toBe(0);
    const get = await amps(fault, ['get', 'battery', 'b1']);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(`  not shown: the answer's ${problem.replace('HTTP 200 with a device whose ', '')} (--json shows it as it came)`);
  });

  it('a settings write whose answer confirms none of what was written is INVALID_RESPONSE, said as sent', async () => {
    const r = await amps('settings-unconfirmed', ['settings', 'battery', 'b1', 'safety_reserve=20%', 'charge_ceiling=90%', '--no-preflight']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('a settings result that does not confirm safety_reserve, charge_ceiling. The settings were sent; read them back with amps settings before sending again');
  });
});

describe('what a server says about waiting and moving', () => {
  it.each(['junk-retry-after', 'negative-retry-details'] as const)('%s: no wait at all is no Retry-After, so the retries back off as usual', async (fault) => {
    const r = await amps(fault, ['get', 'battery', 'b1', '--json']);
    expectNoCrash(r);
    expect(r.code).toBe(6);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const retries = lines.filter((l) => l.retry).map((l) => l.retry.delayMs);
    expect(retries).toHaveLength(2);
    // Full jitter draws from 0 up to the cap; never a negative wait, and never the server's 0 forced on both.
    for (const delay of retries) expect(delay).toBeGreaterThanOrEqual(0);
    expect(lines.at(-1).error.retryAfterSeconds ?? null).toBeNull();
  });

  it('a redirect is not followed nor retried: it says where it points, exit 4', async () => {
    const r = await amps('redirect', ['get', 'battery', 'b1']);
    expectNoCrash(r);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('a redirect to https://elsewhere.example/v2/battery/b1, which amps does not follow (the key would go with it)');
    expect(server.count('GET')).toBe(1);
  });

  it.each([
    [['api', 'POST', '/battery/b1', '-f', 'action.command=charge'], 'The POST was sent; read back what it changed before sending it again'],
    [['schedule', 'clear', 'battery', 'b1'], 'The clear was sent; read it back with amps schedule get before sending it again'],
  ])('%j answered 2xx past the size limit says it was sent', async (args, sent) => {
    const r = await amps('huge', args, { AMPS_MAX_RESPONSE_MB: '2' });
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(sent);
  });

  it('a push answered 2xx with a body past the size limit says it was sent', async () => {
    const r = await amps('huge', ['push', 'battery', 'b1', 'charge', '--no-preflight'], { AMPS_MAX_RESPONSE_MB: '2' });
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('RESPONSE_TOO_LARGE');
    expect(r.stderr).toContain('The push was sent and accepted; check amps actions list --device b1 before sending it again');
    expect(server.count('POST')).toBe(1);
  });
});

describe('a sandbox whose event list holds what is no event', () => {
  it('listen says INVALID_RESPONSE, exit 8, and forwards nothing', async () => {
    const r = await amps('bad-events', ['listen', '--since', '1h']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('an event that is not one (an id, a seq, a type, a time and a body)');
    expect(r.stdout).toBe('');
  });
});

describe('a sandbox whose events could not be written out again, or come again', () => {
  it('an event body nested 100,000 deep is INVALID_RESPONSE, exit 8, never a stack overflow', async () => {
    const r = await amps('deep-events', ['listen', '--since', '1h', '--json']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(JSON.parse(r.stderr).error.code).toBe('INVALID_RESPONSE');
  });

  it('an event listed again, on a page or on every read (`after` ignored), is shown once', async () => {
    const child = spawn(process.execPath, [BIN, 'listen', '--since', '1h', '--timeout', '5s'], { env: env('repeated-events') as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // The secret, the first page, then two more reads of the same page.
    const before = server.count('GET');
    while (server.count('GET') < before + 4) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    expect(await closed).toBe(130);
    // Until now: 50 lines a read, and 50 more at every read after it.
    expect(stdout.trim().split('\n').filter((line) => line.includes('msg_1'))).toHaveLength(1);
  });
});

describe('a list page holding items that are no object', () => {
  it('leaves them out, says so, and names the next page after all the page held', async () => {
    const actions = await amps('junk-items', ['actions', 'list', '--limit', '4']);
    expectNoCrash(actions);
    expect(actions.code).toBe(0);
    expect(actions.stderr).toContain('1 of 9 actions (3 item(s) of the page that were no action left out), newest first; --offset 4 shows the next page');
    const devices = await amps('junk-items', ['devices', 'battery', '--limit', '4']);
    expect(devices.code).toBe(0);
    expect(devices.stderr).toContain('1 device of 9 (--all shows every page); 3 item(s) of the pages that were no device left out');
    const schedules = await amps('junk-items', ['schedules', 'list', '--limit', '4']);
    expect(schedules.code).toBe(0);
    expect(schedules.stderr).toContain('amps: 3 item(s) of the pages that were no schedule left out');
    expect(schedules.stderr).toContain('1 shown of 9; --offset 4 shows the next page');
    const all = await amps('junk-items', ['devices', 'battery', '--all']);
    expect([all.code, all.stderr.trim()]).toEqual([0, '3 devices; 9 item(s) of the pages that were no device left out']);
    // With --json, a JSON notice on stderr (the API's page on stdout, without amps' own count).
    for (const args of [['actions', 'list', '--limit', '4', '--json'], ['devices', 'battery', '--limit', '4', '--json']]) {
      const json = await amps('junk-items', args);
      expect(json.code, args.join(' ')).toBe(0);
      expect(json.stdout).not.toContain('received');
      expect(JSON.parse(json.stderr.trim())).toEqual({ notice: expect.stringMatching(/^3 item\(s\) of the pages? that were no (action|device) left out$/) });
    }
  });
});

describe('a list page holding objects that are no usable action or device', () => {
  it('leaves them out as it does items that are no object: their ids would go into the next command, their times could not be shown', async () => {
    const actions = await amps('unusable-items', ['actions', 'list']);
    expectNoCrash(actions);
    expect(actions.code).toBe(0);
    // February 30 and the year 275760 too: until now one was shown as March 2, the other as NaN-NaN-NaN.
    expect(actions.stderr).toContain('(5 item(s) of the page that were no action left out)');
    expect(actions.stdout.trim().split('\n').filter((line) => line.startsWith('act_'))).toHaveLength(1);
    const devices = await amps('unusable-items', ['devices', 'battery']);
    expect(devices.code).toBe(0);
    expect(devices.stderr).toContain('1 item(s) of the pages that were no device left out');
    // Until now shown as `sch_2 [object Object] [object Object]`, a row for the id 7, a zone 42.
    const schedules = await amps('unusable-items', ['schedules', 'list']);
    expect(schedules.code).toBe(0);
    expect(schedules.stdout.trim().split('\n').filter((line) => line.startsWith('sch_') || line.startsWith('7'))).toEqual([expect.stringMatching(/^sch_1\s/)]);
    expect(schedules.stderr).toContain('4 item(s) of the pages that were no schedule left out');
  });
});

describe('a list that says "more" for ever', () => {
  it('devices --all stops once it has read the total the pages give', async () => {
    const r = await amps('more-for-ever', ['devices', 'battery', '--all', '--json']);
    expectNoCrash(r);
    expect(r.code).toBe(0);
    expect(server.count('GET')).toBe(3);
    expect(JSON.parse(r.stdout).items).toHaveLength(150);
  });

  it('a page that says it starts elsewhere than asked (every offset answered with the first page) is not listed again: the read stops and says so', async () => {
    const r = await amps('offset-loop', ['devices', 'battery', '--all', '--json']);
    expectNoCrash(r);
    expect(server.count('GET')).toBe(2);
    const list = JSON.parse(r.stdout) as { items: Array<{ id: string }>; incomplete: boolean };
    // Until now: 10,000 pages of the same 50 devices, counted as 500,000.
    expect([r.code, list.items.length, new Set(list.items.map((d) => d.id)).size, list.incomplete]).toEqual([8, 50, 50, true]);
    expect(r.stderr).toContain('--all stopped reading battery devices at a page the API said starts at offset 0, not the 50 asked for (reading on would repeat or skip items)');
    server.reset();
    const api = await amps('offset-loop', ['api', 'GET', '/battery', '--paginate']);
    expect([api.code, (JSON.parse(api.stdout) as unknown[]).length, server.count('GET')]).toEqual([8, 50, 2]);
    expect(api.stderr).toContain('amps: --paginate stopped at a page the API said starts at offset 0, not the 50 asked for (reading on would repeat or skip items); go on with -f offset=50');
    // With --json, stderr holds JSON lines alone, this one a notice.
    server.reset();
    const apiJson = await amps('offset-loop', ['api', 'GET', '/battery', '--paginate', '--json']);
    expect(JSON.parse(apiJson.stderr)).toEqual({ notice: '--paginate stopped at a page the API said starts at offset 0, not the 50 asked for (reading on would repeat or skip items); go on with -f offset=50' });
    // From an offset of the operator's: the first page is the wrong one; nothing listed, said, as devices says it.
    const first = await amps('offset-loop', ['api', 'GET', '/battery', '-f', 'offset=5', '--paginate']);
    expect([first.code, JSON.parse(first.stdout)]).toEqual([8, []]);
    expect(first.stderr).toContain('not the 5 asked for');
    const single = await amps('offset-loop', ['devices', 'battery', '--offset', '5']);
    expect(single.code).toBe(8);
    expect(single.stderr).toContain('amps: the battery devices page was not read: it came back as a page the API said starts at offset 0, not the 5 asked for');
    // --plan: a device on no page read is not_reached, not DEVICE_NOT_FOUND, and the stop is said.
    const plan = await amps('offset-loop', ['push', 'battery', '--devices', '-', 'charge', '--plan', '--json'], {}, 'b3\nb100\n');
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as { plan: { predictions: Record<string, number> } }).plan.predictions).toMatchObject({ not_reached: 1 });
    expect(JSON.parse(plan.stderr.trim().split('\n')[0]).notice).toContain('the battery device list stopped at a page the API said starts at offset 0, not the 50 asked for');
  });
});

describe('a list page that holds nothing but says more would come', () => {
  it('devices --all, schedules list --all and api --paginate stop there and say so (until now: 0 devices, not a word; with --json, a list called complete)', async () => {
    const r = await amps('empty-more', ['devices', 'battery', '--all']);
    expectNoCrash(r);
    // Less than was asked for: exit 8, so a pipeline that pushes to the list stops (set -o pipefail).
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('amps: --all stopped reading battery devices at a page that held nothing though it said more would come; more remain (the next offset is 0)');
    // With --json, the list says it is not whole, and the notice is a JSON line (as the page cap's now are too).
    const json = await amps('empty-more', ['devices', 'battery', '--all', '--json']);
    expect([json.code, JSON.parse(json.stdout).incomplete]).toEqual([8, true]);
    expect(JSON.parse(json.stderr.trim().split('\n')[0]).notice).toContain('--all stopped reading battery devices at a page that held nothing');
    const schedules = await amps('empty-more', ['schedules', 'list', '--all', '--json']);
    expect([schedules.code, JSON.parse(schedules.stdout).complete]).toEqual([8, false]);
    expect(JSON.parse(schedules.stderr.trim().split('\n')[0]).notice).toContain('--all stopped at a page that held nothing');
    const paginated = await amps('empty-more', ['api', 'GET', '/battery', '--paginate']);
    expect([paginated.code, paginated.stdout.trim(), paginated.stderr.trim()]).toEqual([8, '[]', 'amps: --paginate stopped at a page that held nothing though it said more would come; go on with -f offset=0']);
  });
});

describe('devices --all --json whose later page fails', () => {
  it('ends its document, incomplete: true, with what was read; the error on stderr and its exit code', async () => {
    const r = await amps('page-then-unavailable', ['devices', 'battery', '--all', '--json']);
    expectNoCrash(r);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 120, incomplete: true });
    expect(JSON.parse(r.stdout).items).toHaveLength(50);
    // The read's retries are said first, a JSON line each; the error is the last line.
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!)).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
  });
});

describe('an answer\'s short fields are bounded wherever they are shown', () => {
  it.each([[[]], [['--json']]])('a code, request id, path and timestamp of megabytes print as 100-200 characters with %j', async (extra) => {
    const r = await amps('long-fields', ['get', 'battery', 'b1', ...extra]);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    // Each printed at most a few times, cut: kilobytes, not the 4.6 MB the server sent.
    expect(r.stdout.length + r.stderr.length).toBeLessThan(20_000);
    expect(r.stderr).toContain(`${'C'.repeat(100)}…`);
    expect(r.stderr).toContain(`${'r'.repeat(200)}…`);
  });
});

describe('every string from the network is scrubbed before a terminal', () => {
  it('amps get prints no escape sequence, bell or direction override from the response', async () => {
    const r = await amps('escapes', ['get', 'battery', 'b1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cancel_and_replace');
    // eslint-free check: no ESC, BEL or RLO anywhere in what was printed.
    expect(r.stdout + r.stderr).not.toMatch(/[\u001b\u0007\u202e]/);
  });

  it('--json and --verbose write no C1 control (U+009B is a CSI), DEL or bidi override raw: JSON escapes them, the same once parsed', async () => {
    const json = await amps('c1-strings', ['get', 'battery', 'b1', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(json.stdout)).toMatchObject({ vendor: 'v\u009b2J\u009b31m', metadata: { model: 'm\u202e\u007f' } });
    const verbose = await amps('c1-strings', ['get', 'battery', 'b1', '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toContain('request-id req_2J');
    expect(verbose.stdout + verbose.stderr).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u001b]/);
  });

  it('amps api at a terminal: a 200 that is not JSON is printed as it came, less its escape sequences', async () => {
    const term = runInTerminal(['api', 'GET', '/x'], env('text200-escapes'));
    const code = await term.exit;
    expect(term.raw()).toContain('plain text');
    expect(term.raw()).not.toMatch(/PWNED|\u001b\[2J/);
    expect(code).toBe(0);
    // Elsewhere, where a result is expected, the same answer is INVALID_RESPONSE.
    const devices = runInTerminal(['get', 'battery', 'bat_x1'], env('text200-escapes'));
    expect([await devices.exit, devices.text()]).toEqual([8, expect.stringContaining('INVALID_RESPONSE')]);
    expect(devices.raw()).not.toMatch(/PWNED|\u001b\[2J/);
  });

  it('a body that is not UTF-8 text (compressed though amps asked for none, or Latin-1) is never passed off as the answer, not even by amps api', async () => {
    for (const [fault, problem] of [['gzip200', 'HTTP 200 with a body compressed with gzip, though amps asks for bodies uncompressed'], ['latin1-200', 'HTTP 200 with a body that is not UTF-8 text']] as const) {
      for (const args of [['api', 'GET', '/battery/b1'], ['get', 'battery', 'b1']]) {
        const r = await amps(fault, args);
        expect([r.code, r.stdout], `${fault} ${args[0]}`).toEqual([8, '']);
        expect(r.stderr, `${fault} ${args[0]}`).toContain(problem);
      }
    }
    // An error status keeps its own class; the body is said to be compressed rather than not JSON.
    const gateway = await amps('gzip502', ['get', 'battery', 'b1', '--json']);
    expect(gateway.code).toBe(6);
    const { error } = JSON.parse(gateway.stderr.trim().split('\n').at(-1)!) as { error: { problem: string; bodyExcerpt: string | null } };
    // Its bytes would show as junk: no excerpt of them.
    expect([error.problem, error.bodyExcerpt]).toEqual(['a body compressed with gzip, though amps asks for bodies uncompressed', null]);
  });

  it('a repeated x-request-id: the first is the id to quote, live and saved alike (Node joined them into one that was none)', async () => {
    const live = await amps('two-request-ids', ['get', 'battery', 'b1', '--json']);
    expect(live.code).toBe(7);
    expect((JSON.parse(live.stderr.trim().split('\n').at(-1)!) as { meta: { requestId: string } }).meta.requestId).toBe('req_first');
    const saved = await runCli(['decode', '-', '--json'], { input: 'HTTP/1.1 410 Gone\r\ncontent-type: application/json\r\nx-request-id: req_first\r\nx-request-id: req_second\r\n\r\n{"success":false,"error":{"code":"DEVICE_OFFLINE","message":"The device is currently offline at the manufacturer."}}' });
    expect((JSON.parse(saved.stdout) as { meta: { requestId: string } }).meta.requestId).toBe('req_first');
  });

  it('a list page whose total is no count is read as having none: never printed as it came, never added up as text', async () => {
    const actions = await amps('bad-total', ['actions', 'list']);
    expect(actions.code, actions.stderr).toBe(0);
    expect(actions.stderr).not.toMatch(/[\u001b\u0007]|PWNED/);
    const devices = await amps('bad-total', ['devices', '--json']);
    expect(devices.code, devices.stderr).toBe(0);
    expect(JSON.parse(devices.stdout).total).toBe(0);
  });

  it('the retry notice of an unknown code prints it scrubbed', async () => {
    const r = await amps('escape-code', ['get', 'battery', 'b1']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('retrying GET');
    expect(r.stderr).not.toMatch(/[\u001b\u0007]/);
  });
});

describe('Retry-After has a ceiling', () => {
  it('a single read reports a long Retry-After instead of waiting an hour', async () => {
    const started = Date.now();
    const r = await amps('retryafter-hour', ['get', 'battery', 'b1']);
    expect(r.code).toBe(6);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stderr).toContain('Retry after: 1 h');
    // The read's own retries were not made, and that is said.
    expect(r.stderr).toContain('amps note: not retried: the wait asked for is longer than amps waits (1 min)');
    const overflow = await amps('retryafter-overflow', ['get', 'battery', 'b1']);
    expect(overflow.code).toBe(6);
    expect(overflow.stderr).toContain('Retry after: more than a day (as sent; amps never waits that long)');
    expect(overflow.stderr).not.toMatch(/\d{12,}/);
  });

  it.each(['retryafter-hour', 'retryafter-overflow'] as const)('%s in a batch: stops issuing at once, the rest not_sent with the reason, no timer warnings', async (fault) => {
    const ids = Array.from({ length: 40 }, (_, i) => `b${i}`);
    const started = Date.now();
    const r = await amps(fault, ['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--json', '--concurrency', '4'], {}, ids.join('\n'));
    expectNoCrash(r);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stderr).not.toContain('TimeoutOverflowWarning');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id).sort()).toEqual([...ids].sort());
    const notSent = lines.filter((l) => l.outcome === 'not_sent');
    expect(notSent.length).toBeGreaterThan(30);
    expect(notSent[0].reason).toContain('longer than the 60 s amps waits');
    expect(server.count('POST')).toBeLessThanOrEqual(4);
  });
});

describe('protocol faults', () => {
  it('an unsolicited 100 Continue is a protocol error (exit 8), not a crash', async () => {
    const r = await amps('continue100', ['get', 'battery', 'b1']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('PROTOCOL_ERROR');
    expect(r.stderr).toContain('unsolicited 100 Continue');
  });
});

describe('one malformed 2xx does not poison a batch', () => {
  it('the device with the junk answer fails with its own line; the others are accepted', async () => {
    const ids = ['b1', 'b2', 'null_1', 'b3', 'str_1', 'b4', 'b5', 'b6'];
    const r = await amps('mixed', ['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--json', '--concurrency', '3'], {}, ids.join('\n'));
    expectNoCrash(r);
    expect(r.code).toBe(8);
    const lines = new Map(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((l) => [l.id, l]));
    expect([...lines.keys()].sort()).toEqual([...ids].sort());
    for (const id of ['null_1', 'str_1']) expect(lines.get(id)).toMatchObject({ outcome: 'failed', code: 'INVALID_RESPONSE', status: 202, attempts: 1 });
    for (const id of ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']) expect(lines.get(id)).toMatchObject({ outcome: 'accepted' });
    expect(new Set([...lines.values()].map((l) => l.actionId).filter(Boolean)).size).toBe(6);
  });
});

describe('a wait whose reads fail ends as a wait (exit 10), never as "retry" (exit 6): the action stands', () => {
  it('push --wait, every read of the accepted action a 503: exit 10 at --wait-timeout, the action named', async () => {
    const r = await amps('accept-then-unavailable', ['push', 'battery', 'b1', 'charge', '--power', '3kw', '--no-preflight', '--wait', '--wait-timeout', '3s']);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toContain('The wait ended before act_ok did.');
    expect(r.stderr).toContain('Its state could not be read at the end (SERVICE_UNAVAILABLE): it was last seen acknowledged.');
    expect(r.stderr).toContain('act_ok is still acknowledged: it stands; do not push it again.');
    expect(server.count('POST')).toBe(1);
  });

  it('push --wait, every read a generic 500 (INTERNAL_ERROR): waited through as well, exit 10', async () => {
    const r = await amps('accept-then-internal', ['push', 'battery', 'b1', 'charge', '--power', '3kw', '--no-preflight', '--wait', '--wait-timeout', '2s']);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toContain('Its state could not be read at the end (INTERNAL_ERROR): it was last seen acknowledged.');
  });

  it('actions wait, never answered: ends at --wait-timeout saying the state is not known, exit 10, --json too', async () => {
    for (const json of [[], ['--json']]) {
      const r = await runCli(['actions', 'wait', 'act_ok', '--wait-timeout', '2s', '--timeout', '30s', ...json], { env: env('hang'), timeoutMs: 30_000 });
      expectNoCrash(r);
      expect(r.code, r.stderr).toBe(10);
      if (json.length) expect([r.stderr, JSON.parse(r.stdout)]).toEqual(['', expect.objectContaining({ id: 'act_ok', state: null, waitEnded: true, unreadAtEnd: 'CLIENT_TIMEOUT' })]);
      else expect(r.stderr).toContain('The wait ended before act_ok could be read (CLIENT_TIMEOUT): its state is not known.');
    }
  });

  it('actions wait, read once then never answered: ends at --wait-timeout, not at --timeout, exit 10', async () => {
    const started = Date.now();
    const r = await runCli(['actions', 'wait', 'act_ok', '--wait-timeout', '2s', '--timeout', '30s'], { env: env('seen-then-silent'), timeoutMs: 30_000 });
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toContain('act_ok is still acknowledged: it stands; do not push it again.');
    // Bounded by the wait, not by one read's 30 s.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('a key the server echoes back is never printed', () => {
  it.each([[[]], [['--json']], [['--verbose']]])('get with %j: redacted from the message, details, request id and path', async (extra) => {
    const key = 'amps_sk_test_EchoedBackSecret1';
    // runCli's own check fails the test if the key appears anywhere in stdout or stderr.
    const r = await runCli(['get', 'battery', 'b1', '--timeout', '5s', ...extra], { env: cleanEnv({ AMPS_API_URL: server.url('echo-key'), AMPS_API_KEY: key }) });
    expectNoCrash(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('INVALID_API_KEY');
    expect(r.stderr).toContain('[redacted key]');
  });

  it.each([
    ['echo-key-spellings', [], 5], ['echo-key-spellings', ['--json'], 4],
    ['echo-key-hidden', [], 18], ['echo-key-hidden', ['--json'], 18], ['echo-key-hidden', ['--verbose'], 18],
  ] as const)('%s, get with %j: a key spelt another way (nested escapes, without amps_, %%5F, HTML entities) or split by what a terminal does not show (a bell, escapes, invisible marks) is redacted too', async (fault, extra, redactions) => {
    const key = 'amps_sk_test_EchoedBackSecret4';
    const r = await runCli(['get', 'battery', 'b1', '--timeout', '5s', ...extra], { env: cleanEnv({ AMPS_API_URL: server.url(fault), AMPS_API_KEY: key }) });
    expectNoCrash(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('upstream said');
    expect(r.stderr).not.toMatch(/EchoedBack|Secret4/);
    expect(r.stderr.split('[redacted key]').length - 1).toBeGreaterThanOrEqual(redactions);
  });

  it.each([[[], 9], [['--json'], 9], [['--verbose'], 9]] as const)('get with %j: a key quoted loosely (its secret part alone, upper-cased, split by a line break, a tab or a space) is redacted too', async (extra, redactions) => {
    const key = 'amps_sk_test_EchoedBackSecret7';
    const r = await runCli(['get', 'battery', 'b1', '--timeout', '5s', ...extra], { env: cleanEnv({ AMPS_API_URL: server.url('echo-key-loose'), AMPS_API_KEY: key }) });
    expectNoCrash(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('upstream said');
    // Its secret part in no case and with no blank inside.
    expect(r.stderr.replace(/\\[nrt]|\s/g, '')).not.toMatch(/echoedbacksecret7|Secret7|ECRET7/i);
    expect(r.stderr.split('[redacted key]').length - 1).toBeGreaterThanOrEqual(redactions);
  });

  it.each([[[]], [['--json']]])('get with %j: a key only ever split by a line break or a tab inside a JSON string is redacted', async (extra) => {
    const key = 'amps_sk_test_EchoedBackSecret8';
    const r = await runCli(['get', 'battery', 'b1', '--timeout', '5s', ...extra], { env: cleanEnv({ AMPS_API_URL: server.url('echo-key-split-only'), AMPS_API_KEY: key }) });
    expect(r.code).toBe(3);
    expect(r.stderr.replace(/\\[nrt]|\s/g, '')).not.toMatch(/Secret8/);
    expect(r.stderr.split('[redacted key]').length - 1).toBeGreaterThanOrEqual(2);
  });

  it('words that spell a key\'s secret part when it reads as words (the sandbox\'s own key) are the API\'s words, shown as sent', async () => {
    const r = await runCli(['get', 'battery', 'b1', '--timeout', '5s'], { env: cleanEnv({ AMPS_API_URL: server.url('words-like-key'), AMPS_API_KEY: 'amps_sk_test_localsandbox' }) });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Request validation failed: see the Local Sandbox guide');
    expect(r.stderr).toContain('local sandbox only');
    expect(r.stderr).not.toContain('[redacted key]');
  });

  it.each([[[]], [['--json']], [['--verbose']]])('get with %j: a device read whose strings hold the key split by an escape written in JSON escapes, whole only once read, is redacted', async (extra) => {
    const key = 'amps_sk_test_EchoedBackSecret6';
    const r = await runCli(['get', 'battery', 'b1', '--timeout', '5s', ...extra], { env: cleanEnv({ AMPS_API_URL: server.url('echo-key-hidden-read'), AMPS_API_KEY: key }) });
    expectNoCrash(r);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/EchoedBack|Secret6/);
    expect(r.stdout).toContain('[redacted key]');
  });

  it.each([[[]], [['--json']], [['--verbose']]])('get with %j: a key spelt in JSON escapes (\\u005f) is redacted too', async (extra) => {
    const key = 'amps_sk_test_EchoedBackSecret2';
    const r = await runCli(['get', 'battery', 'b1', '--timeout', '5s', ...extra], { env: cleanEnv({ AMPS_API_URL: server.url('echo-key-escaped'), AMPS_API_KEY: key }) });
    expectNoCrash(r);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('EchoedBackSecret');
    expect(r.stderr).toContain('[redacted key]');
  });
});

describe('a time the API returns that amps cannot read is said, never shown as it came', () => {
  it('a push accepted with start "not a time": INVALID_RESPONSE, exit 8, and that it was sent', async () => {
    const r = await amps('badstart', ['push', 'battery', 'b1', 'charge', '--at', new Date(Date.now() + 2 * 86_400_000).toISOString(), '--no-preflight']);
    expectNoCrash(r);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('INVALID_RESPONSE');
    expect(r.stderr).toContain('an action whose start is not a time');
    expect(r.stderr).toContain('The push was sent and accepted');
  });
});
