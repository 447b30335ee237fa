import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, freshConfigDir, runCli } from '../helpers/cli.js';
import { startFaultServer, type FaultServer } from '../helpers/fault-server.js';

// Bad input of every small kind gets one clear line and exit 2, never a guess: a flag given twice,
// numbers in forms people do not mean, a config value of the wrong type, CSV that cannot say which
// value is meant. And what amps could not honour (a device's zone it does not know) is said.

const amps = (args: string[], env = cleanEnv(), input?: string) => runCli(args, { env, input });
const firstLine = (text: string) => text.split('\n')[0];

describe('one value, one meaning', () => {
  it('a refusal that quotes a pasted 100 KB value says its start and end, in a line of bounded length (text and --json)', async () => {
    const pasted = `${'9'.repeat(100_000)}END`;
    const text = await amps(['push', 'battery', 'b1', 'idle', '--at', pasted, '--dry-run']);
    expect(text.code).toBe(2);
    expect(text.stderr.length).toBeLessThan(3_000);
    expect(text.stderr).toMatch(/^amps: --at '9+… \(\d+ characters left out\) …9+END'/);
    const json = await amps(['push', 'battery', 'b1', 'idle', '--at', pasted, '--dry-run', '--json']);
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stderr) as { error: { message: string } }).error.message.length).toBeLessThan(3_000);
  });

  it('refuses a flag given twice rather than taking the last', async () => {
    for (const flag of ['--power', '--target', '--at', '--tz']) {
      const values = flag === '--tz' ? ['UTC', 'Europe/London'] : flag === '--at' ? ['22:00', '23:00'] : ['5kw', '6kw'];
      const r = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', flag, values[0], flag, values[1], '--dry-run']);
      expect([r.code, firstLine(r.stderr)]).toEqual([2, `amps: ${flag} is given twice ('${values[0]}' and '${values[1]}'): amps will not guess which you meant`]);
    }
  });

  it('a line the parser refuses is, with --json, a JSON error on stderr like every other', async () => {
    for (const args of [['push', 'battery', 'bat_voltaro_01', 'charge', '--bogus'], ['bogus'], ['get'], ['explain', '--category'], ['pushh']]) {
      const r = await amps([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr), args.join(' ')).toMatchObject({ error: { code: 'USAGE', message: expect.any(String), exitCode: 2 } });
    }
    const text = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--bogus']);
    expect([text.code, text.stderr.trim()]).toEqual([2, "amps: unknown option '--bogus'"]);
  });

  it('a --body number JSON cannot carry (1e400) is refused, not sent as null', async () => {
    const dir = freshConfigDir();
    const body = join(dir, 'big.json');
    writeFileSync(body, '{"action":{"command":"charge","parameters":{"power":{"value":1e400,"unit":"kw"}}}}');
    const r = await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--dry-run']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(firstLine(r.stderr)).toBe(`amps: --body ${body} has a number too large for JSON to carry at action.parameters.power.value, so it cannot be sent as it is`);
  });

  it('a --body time that is not text is refused in one line; a null one is none, sent as written', async () => {
    const dir = freshConfigDir();
    const body = join(dir, 'body.json');
    for (const [action, said] of [
      ['{"command":"charge","start":12345}', 'action.start is a number'],
      ['{"command":"charge","start":"2030-01-01T00:00:00Z","end":{"at":"22:00"}}', 'action.end is an object'],
      ['{"command":"charge","start":["22:00"]}', 'action.start is an array'],
    ] as const) {
      writeFileSync(body, `{"action":${action}}`);
      for (const extra of [[], ['--no-preflight'], ['--json']]) {
        const r = await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--dry-run', ...extra]);
        expect([r.code, r.stdout], action).toEqual([2, '']);
        const line = extra[0] === '--json' ? JSON.parse(r.stderr).error.message : firstLine(r.stderr).replace(/^amps: /, '');
        expect(line, action).toBe(`--body ${body}: ${said}, not a time such as "2026-06-10T22:00:00Z"`);
      }
    }
    writeFileSync(body, '{"action":{"command":"charge","start":null}}');
    const none = await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--dry-run']);
    expect([none.code, JSON.parse(none.stdout).action.start], none.stderr).toEqual([0, null]);
  });

  it('a --body the canonical schema refuses (a parameter that is no quantity, an unknown onConflict) fails the dry run too, in one line', async () => {
    const dir = freshConfigDir();
    const body = join(dir, 'body.json');
    for (const [text, said] of [
      ['{"action":{"command":"charge","parameters":{"power":"5kw"}}}', 'action.parameters.power is not a quantity: give { "value": 5, "unit": "kw" }'],
      ['{"action":{"command":"charge","parameters":[1]}}', 'action.parameters is not an object of parameters'],
      ['{"action":{"command":"charge"},"onConflict":"bogus"}', 'onConflict is not one of cancel_and_replace, queue_after'],
      ['{"action":{"command":"charge"},"onConflict":null}', 'onConflict is not one of cancel_and_replace, queue_after'],
      ['{"action":{"command":"charge"},"foo":1}', 'foo is no key of a push body, and the API refuses keys it does not know'],
      ['{"action":{"command":"charge","colour":"red"}}', 'action.colour is no key of a push body, and the API refuses keys it does not know'],
      ['{"action":{"command":"charge"},"sandbox":{"bogus":1}}', 'sandbox.bogus is no key of a push body, and the API refuses keys it does not know'],
      ['{"action":{"command":"charge","parameters":{"power":{"value":1,"unit":"kw","extra":2}}}}', 'action.parameters.power.extra is no key of a push body, and the API refuses keys it does not know'],
      ['{"action":{"command":"charge"},"sandbox":"x"}', 'sandbox is not an object of result, errorCode, phase'],
    ] as const) {
      writeFileSync(body, text);
      const r = await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--dry-run']);
      expect([r.code, r.stdout, firstLine(r.stderr)], text).toEqual([2, '', `amps: --body ${body}: ${said}`]);
    }
    // One the schema takes, behind a byte-order mark as a Windows editor writes it.
    writeFileSync(body, '\ufeff{"action":{"command":"charge","parameters":{"power":{"value":3,"unit":"kw"}}},"onConflict":"cancel_and_replace"}');
    expect((await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--dry-run'])).code).toBe(0);
    // An --on-conflict replaces the body's, which is then not sent: no reason to refuse it.
    writeFileSync(body, '{"action":{"command":"charge"},"onConflict":"bogus"}');
    const replaced = await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--on-conflict', 'queue_after', '--dry-run']);
    expect([replaced.code, JSON.parse(replaced.stdout).onConflict], replaced.stderr).toEqual([0, 'queue_after']);
  });

  it('a --body that gives a name twice, or nests past what a push body holds, is refused in one line, never sent as other JSON or a crash', async () => {
    const dir = freshConfigDir();
    const body = join(dir, 'body.json');
    for (const [text, said] of [
      ['{"action":{"command":"charge","parameters":{"target":{"value":90,"unit":"percent"}}},"action":{"command":"discharge"}}', 'gives action twice; JSON keeps only the last, so the body would not go as written'],
      ['{"action":{"command":"charge","parameters":{"power":{"value":5,"unit":"kw"},"pow\\u0065r":{"value":1,"unit":"kw"}}}}', 'gives action.parameters.power twice; JSON keeps only the last, so the body would not go as written'],
      [`{"action":{"command":"idle","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`, 'nests deeper than 64 levels; a push body is a few levels deep'],
      ['{"action":{"command":"idle"},"":1,"":2}', 'gives "" twice; JSON keeps only the last, so the body would not go as written'],
    ] as const) {
      writeFileSync(body, text);
      for (const extra of [[], ['--json']]) {
        const r = await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--dry-run', ...extra]);
        const line = extra.length ? JSON.parse(r.stderr).error.message : firstLine(r.stderr).replace(/^amps: /, '');
        expect([r.code, r.stdout, line], text.slice(0, 80)).toEqual([2, '', `--body ${body} ${said}`]);
      }
    }
    // The same name in two objects is no repeat.
    writeFileSync(body, '{"action":{"command":"charge","parameters":{"power":{"value":5,"unit":"kw"},"target":{"value":90,"unit":"percent"}}}}');
    expect((await amps(['push', 'battery', 'bat_voltaro_01', '--body', body, '--dry-run'])).code).toBe(0);
  });

  it('takes whole numbers up to the largest it names, and no further', async () => {
    expect((await amps(['actions', 'list', '--offset', '9007199254740991'], cleanEnv())).code).toBe(0);
    const over = await amps(['actions', 'list', '--offset', '9007199254740992'], cleanEnv());
    expect([over.code, firstLine(over.stderr)]).toEqual([2, "amps: --offset takes a whole number from 0 to 9007199254740991, not '9007199254740992'"]);
  });

  it('takes whole numbers in decimal only: 0x10, 1e3 and 7.0 are refused', async () => {
    for (const value of ['0x10', '1e3', '7.0', ' 8']) {
      const r = await amps(['push', 'battery', '--devices', '-', 'idle', '--concurrency', value], cleanEnv(), 'bat_voltaro_01');
      expect(r.code, value).toBe(2);
      expect(firstLine(r.stderr)).toContain('--concurrency takes a whole number from 1 to 256');
    }
    for (const value of ['1e3', '0x10']) {
      const r = await amps(['get', 'battery', 'bat_voltaro_01'], cleanEnv({ AMPS_MAX_RESPONSE_MB: value }));
      expect([r.code, firstLine(r.stderr)]).toEqual([2, `amps: AMPS_MAX_RESPONSE_MB takes a whole number of MiB from 1 to 500, not '${value}'`]);
    }
  });

  it('a config file whose current profile is not a name is corrupt, not "nothing configured"', async () => {
    const dir = freshConfigDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentProfile: 5, profiles: { prod: { apiKey: 'amps_sk_live_abcdefgh12345678' } } }));
    const r = await amps(['push', 'battery', 'bat_voltaro_01', 'idle'], cleanEnv({ AMPS_CONFIG_DIR: dir }));
    expect(r.code).toBe(2);
    expect(firstLine(r.stderr)).toContain('is corrupt');
    expect(r.stderr).not.toContain('sandbox: embedded');
  });
});

describe('CSV that cannot say which value is meant', () => {
  it('a lone id header is a header; a column named twice is refused; a row with more fields than the header is that row\'s invalid_input', async () => {
    const lone = await amps(['push', 'battery', '--devices', '-', 'idle', '--json'], cleanEnv(), 'id\n');
    // A header and no row: read as a header (not as a device named "id"), so the list is empty, refused.
    expect([lone.code, lone.stdout]).toEqual([2, '']);
    expect(lone.stderr).toContain('lists no devices');
    const twice = await amps(['push', 'battery', '--devices', '-', 'idle'], cleanEnv(), 'id,target,target\nbat_voltaro_01,80%,90%\n');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("names the column 'target' twice");
    const extra = await amps(['push', 'battery', '--devices', '-', 'charge', '--json'], cleanEnv(), 'id,target\nbat_voltaro_01,80%,oops\nbat_voltaro_02,70%\n');
    const lines = extra.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.line, l.outcome])).toEqual(expect.arrayContaining([[2, 'invalid_input'], [3, 'accepted']]));
    // A column's value that is no quantity is said as the row's, not as a flag nobody typed.
    const column = await amps(['push', 'battery', '--devices', '-', 'charge', '--json'], cleanEnv(), 'id,note\nbat_voltaro_01,hello\n');
    expect(JSON.parse(column.stdout.trim()).reason).toBe("line 2: the row's note 'hello' is not a quantity");
  });
});

describe('what amps could not honour is said', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  afterAll(async () => server.close());

  it('a device plant zone amps does not know: the time is read in the local zone, and the line says why', async () => {
    const r = await amps(['push', 'battery', 'b1', 'charge', '--at', '22:00', '--dry-run'], cleanEnv({ AMPS_API_URL: server.url('badzone'), AMPS_API_KEY: 'amps_sk_test_badZone001', TZ: 'Asia/Tokyo' }));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).action.start).toMatch(/T22:00:00\+09:00$/);
    expect(r.stderr).toContain("Asia/Tokyo: the local zone (the device's plant zone 'Mars/Olympus_Mons' is not a zone amps knows)");
  });

  it('a schedule whose slots are not slots is INVALID_RESPONSE, exit 8, never a crash', async () => {
    for (const args of [['schedule', 'get', 'battery', 'b1'], ['schedules', 'get', 'sch_1']]) {
      const r = await amps(args, cleanEnv({ AMPS_API_URL: server.url('bad-slots'), AMPS_API_KEY: 'amps_sk_test_badSlots01' }));
      expect([r.code, r.stderr], args.join(' ')).toEqual([8, expect.stringContaining('INVALID_RESPONSE')]);
      expect(r.stderr).toContain('a slot that is not one');
    }
  });

  it('a schedule in a zone amps does not know, next firing at no time: shown as sent, in the local zone, never a crash (a cancel was sent)', async () => {
    const env = cleanEnv({ AMPS_API_URL: server.url('schedule-odd-times'), AMPS_API_KEY: 'amps_sk_test_oddTimes01', TZ: 'Asia/Tokyo' });
    for (const args of [['schedules', 'get', 'sch_1'], ['schedule', 'get', 'battery', 'b1'], ['schedules', 'cancel', 'sch_1']]) {
      const r = await amps(args, env);
      expect([r.code, r.stdout], args.join(' ')).toEqual([0, expect.stringContaining("Mars/Olympus_Mons (not a zone amps knows; times in Asia/Tokyo)")]);
      expect(r.stdout).toContain('next fire: soon');
    }
    const listed = await amps(['schedules', 'list'], env);
    expect([listed.code, listed.stdout]).toEqual([0, expect.stringMatching(/sch_1.*Mars\/Olympus_Mons.*soon/)]);
  });

  it('a schedule the API answers on another clock or at another time than sent is said, never passed as the one asked for', async () => {
    const env = cleanEnv({ AMPS_API_URL: server.url('schedule-moved'), AMPS_API_KEY: 'amps_sk_test_moved0001' });
    for (const args of [['schedule', 'set', 'battery', 'b1'], ['schedules', 'create', '--device', 'b1', '--device-type', 'battery']]) {
      const typed = [...args, '--slot', '01:00/1h charge', '--slot', '05:00/1h charge', '--tz', 'Europe/London'];
      const text = await amps(typed, env);
      expect([text.code, text.stderr.split('\n').filter((l) => l.startsWith('The API changed'))], args.join(' ')).toEqual([0, [
        "The API changed the schedule's timezone: sent Europe/London, got America/New_York (the clock its slots' times are read on).",
        "The API changed the schedule's slots[0].time: sent 01:00, got 03:00:00.",
      ]]);
      const json = await amps([...typed, '--json'], env);
      expect(JSON.parse(json.stdout).changed, args.join(' ')).toEqual([
        { field: 'timezone', sent: 'Europe/London', got: 'America/New_York' },
        { field: 'slots[0].time', sent: '01:00', got: '03:00:00' },
        // This answer gives no next fire at all: said too, where the preview showed one.
        { field: 'nextFireAt', sent: expect.stringMatching(/Z$/), got: null },
      ]);
    }
  });

  it('a schedule on a device whose plant zone amps does not know says its times are on this machine\'s clock, and why', async () => {
    const r = await amps(['schedule', 'set', 'battery', 'b1', '--slot', '22:00/1h charge', '--dry-run'], cleanEnv({ AMPS_API_URL: server.url('badzone'), AMPS_API_KEY: 'amps_sk_test_badZone001', TZ: 'Asia/Tokyo' }));
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("Times are read in Asia/Tokyo (the local zone (the device's plant zone 'Mars/Olympus_Mons' is not a zone amps knows))")]);
  });

  it('a TZ that names no zone (empty, or a lone colon) is UTC, as POSIX and Node\'s clock read it: never a crash', async () => {
    const env = cleanEnv();
    const pushed = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+2h', '-q'], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    for (const tz of ['', ':']) {
      // A time on a whole minute is shown without its seconds (22:00, not 22:00:00).
      const zoneless = { ...env, TZ: tz };
      const relative = await amps(['push', 'battery', 'bat_voltaro_02', 'charge', '--at', '+30m', '--no-preflight', '--dry-run'], zoneless);
      expect([relative.code, relative.stderr], `TZ='${tz}'`).toEqual([0, expect.stringMatching(/start +\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC/)]);
      const got = await amps(['actions', 'get', pushed.stdout.trim()], zoneless);
      expect([got.code, got.stdout], `TZ='${tz}'`).toEqual([0, expect.stringMatching(/start +\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC/)]);
    }
  });

  it('a TZ that is a POSIX whole-hour offset (UTC+3, EST5, GMT-2) is its Etc/GMT zone, the clock Node runs on; a rule with summer time is UTC, said so', async () => {
    const env = cleanEnv();
    const pushed = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '2026-12-01T12:00:00Z', '-q'], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    for (const [tz, shown] of [['UTC+3', '2026-12-01 09:00 Etc/GMT+3'], ['EST5', '2026-12-01 07:00 Etc/GMT+5'], ['GMT-2', '2026-12-01 14:00 Etc/GMT-2'], ['UTC0', '2026-12-01 12:00 UTC'], ['EST5EDT,M3.2.0,M11.1.0', '2026-12-01 12:00 UTC']]) {
      const got = await amps(['actions', 'get', pushed.stdout.trim()], { ...env, TZ: tz });
      expect([got.code, got.stdout], `TZ=${tz}`).toEqual([0, expect.stringMatching(new RegExp(`start +${shown.replace(/[+]/g, '\\+')} `))]);
    }
  });

  it('a TZ that is a zone file\'s path (/usr/share/zoneinfo/Asia/Tokyo, as POSIX allows) is that zone, the clock Node runs on; an alias is spelt as typed', async () => {
    const env = cleanEnv();
    const pushed = await amps(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '2026-12-01T12:00:00Z', '-q'], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    const zoneinfo = ['/usr/share/zoneinfo', '/usr/lib/zoneinfo', '/usr/share/lib/zoneinfo'].find((dir) => existsSync(join(dir, 'Asia/Tokyo')));
    expect(zoneinfo, 'a zone database (tzdata), which .ci/run installs').toBeDefined();
    for (const tz of [`${zoneinfo}/Asia/Tokyo`, `:${zoneinfo}/Asia/Tokyo`, `${zoneinfo}/posix/Asia/Tokyo`, `${zoneinfo}/right/Asia/Tokyo`].filter((path) => existsSync(path.replace(/^:/, '')))) {
      const got = await amps(['actions', 'get', pushed.stdout.trim()], { ...env, TZ: tz });
      expect([got.code, got.stdout], `TZ=${tz}`).toEqual([0, expect.stringMatching(/start +2026-12-01 21:00 Asia\/Tokyo /)]);
    }
    // A name ICU knows by an older alias is spelt as TZ spells it, as a --tz is (not Asia/Calcutta).
    const alias = await amps(['actions', 'get', pushed.stdout.trim()], { ...env, TZ: 'Asia/Kolkata' });
    expect(alias.stdout).toMatch(/start +2026-12-01 17:30 Asia\/Kolkata /);
    // A name in another case than the database's file: the C library finds no zone and Node's clock runs on UTC, as amps then says.
    const lower = await amps(['actions', 'get', pushed.stdout.trim()], { ...env, TZ: 'asia/tokyo' });
    expect(lower.stdout).toMatch(/start +2026-12-01 12:00 UTC /);
  });

  it('sandbox reset --json answers in JSON', async () => {
    const r = await amps(['sandbox', 'reset', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reset: true, keptAs: null });
  });
});

describe('a stdin that cannot be read', () => {
  it('stdin opened for writing only (`0>file`): one line and exit 2, for every reader of stdin', async () => {
    const run = async (args: string[]) => {
      const { code, stderr } = await runCli(args, { redirect: { stdin: [join(freshConfigDir(), 'in.txt'), 'w'] } });
      return { code, stderr };
    };
    expect(await run(['decode', '-'])).toEqual({ code: 2, stderr: 'amps: cannot read the input to decode: bad file descriptor (EBADF)\n' });
    const secret = join(freshConfigDir(), 'secret.txt');
    writeFileSync(secret, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n');
    expect(await run(['webhooks', 'verify', '--secret-file', secret, '-'])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read the delivery on stdin: bad file descriptor (EBADF)') });
  });
});
