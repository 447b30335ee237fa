import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cleanEnv, freshConfigDir, runCli } from './helpers/cli.js';
import { KEYS, runInTerminal } from './helpers/pty.js';
import { startTestSandbox, type TestSandbox } from './helpers/sandbox.js';

let sandbox: TestSandbox;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  env = cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: 'amps_sk_test_terminal1' });
});
afterAll(async () => sandbox.close());

describe('at a terminal', () => {
  it('draws boxed, coloured tables', async () => {
    const term = runInTerminal(['devices', 'ev-charger'], env);
    expect(await term.exit).toBe(0);
    expect(term.text()).toMatch(/┌─+┬/);
    expect(term.text()).toMatch(/│ ev_wallbox_01 +│ ev-charger/);
    expect(term.raw()).toMatch(/\u001b\[1mid/);
  });

  it('lists the error catalogue grouped under its categories, aligned, with the legend (piped, the rows alone)', async () => {
    const term = runInTerminal(['explain', '--list'], env);
    expect(await term.exit).toBe(0);
    expect(term.text()).toContain('Manufacturer: transport and capacity (transport)');
    expect(term.text()).toContain("amps' own codes: no Amps error came back");
    expect(term.text()).toMatch(/^SCHEDULER_ACTIVE +409 +resolve the conflict +docs page +A schedule/m);
    expect(term.text()).toContain('Whose: docs page = ');
  });

  it('marks a live key on every human run', async () => {
    const live = runInTerminal(['get', 'battery', 'bat_voltaro_01'], { ...env, AMPS_API_KEY: 'amps_sk_live_abcdef123456' });
    expect(await live.exit).toBe(3);
    // The key came from AMPS_API_KEY, not from a profile: none is named (it said "profile default", which gave nothing).
    expect(live.text()).toContain(`● LIVE  ${sandbox.url} · key amps_sk_live_…3456 (from AMPS_API_KEY)`);
  });

  it('reads the API key from a hidden prompt', async () => {
    const configEnv = cleanEnv();
    const term = runInTerminal(['config', 'set', 'api-key'], configEnv);
    await term.waitFor('API key');
    term.type('amps_sk_test_hidden98765');
    term.type(KEYS.enter);
    expect(await term.exit).toBe(0);
    expect(term.text()).not.toContain('hidden98765');
    const list = await runCli(['config', 'list'], { env: configEnv });
    expect(list.stdout).toMatch(/api-key\s+amps_sk_test_…8765 \(from profile default\)/);
  });

  it('a fleet\'s live line fits the terminal\'s width, and --verbose lines start where it was, not glued onto it', async () => {
    const dir = freshConfigDir();
    // Devices the sandbox does not have: each a quick refusal, and the run outlasts a few frames.
    const file = join(dir, 'ids.txt');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => `bat_missing_${i}\n`).join(''));
    const long = runInTerminal(['push', 'battery', '--devices', file, 'idle', '--out', join(dir, 'run.ndjson'), '--concurrency', '1'], env, { cols: 30 });
    await long.exit;
    // Each frame is drawn after a clear (CR, ESC [2K); what it shows runs to the next line start.
    const frames = long.raw().split('\r\u001b[2K').slice(1).map((frame) => frame.split(/[\r\n]/)[0]!.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(frames.filter((frame) => frame.includes('%')).length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame.length, frame).toBeLessThanOrEqual(29);
    // So narrow, the bar gives way to the counts (cut to the width, it would be all that showed).
    expect(frames.some((frame) => /% \d+\/300 · rejected/.test(frame))).toBe(true);
    expect(frames.some((frame) => frame.includes('░'))).toBe(false);
    writeFileSync(file, 'bat_voltaro_01\nbat_voltaro_02\n');
    const verbose = runInTerminal(['push', 'battery', '--devices', file, 'idle', '--out', join(dir, 'again.ndjson'), '--verbose'], env, { cols: 30 });
    await verbose.exit;
    // The request lines --verbose writes begin a line of their own.
    expect(verbose.text()).toMatch(/^> POST/m);
    expect(verbose.raw()).not.toMatch(/\/s[^\r\n]*> (GET|POST)/);
  });

  it('a fleet push --wait draws a live line while it follows the actions, not a frozen one', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'ids.txt');
    writeFileSync(file, 'bat_kestrel_02\nbat_helio_01\n');
    // Scheduled an hour ahead: still pending when the 2 s wait ends (exit 10).
    const term = runInTerminal(['push', 'battery', '--devices', file, 'idle', '--at', '+1h', '--wait', '--wait-timeout', '2s', '--out', join(dir, 'run.ndjson')], env);
    expect(await term.exit).toBe(10);
    expect(term.text()).toContain('Following 2 action(s) to what the devices did');
    expect(term.text()).toMatch(/pending 2 · .*\/s · next start /);
  });

  it('draws no live line while the device list is typed at the terminal (--devices - or /dev/stdin): its redraws would erase the typing', async () => {
    const dir = freshConfigDir();
    const term = runInTerminal(['push', 'battery', '--devices', '/dev/stdin', 'idle', '--out', join(dir, 'typed.ndjson')], env);
    term.type('bat_kestrel_01\r');
    await term.waitFor('bat_kestrel_01');
    term.type(KEYS.ctrlD);
    expect(await term.exit).toBe(0);
    expect(term.text()).not.toContain(' done ·');
    expect(term.text()).toMatch(/accepted +│ - +│ 1 /);
  });

  it('refuses --api-key-file - when stdin is the terminal, which would show the key as it is typed', async () => {
    const { AMPS_API_KEY: _, ...withoutKey } = env;
    for (const file of ['-', '/dev/stdin']) {
      const term = runInTerminal(['devices', 'battery', '--api-key-file', file], withoutKey);
      expect(await term.exit).toBe(2);
      expect(term.text()).toContain(`amps: --api-key-file ${file} reads the key from stdin, which is a terminal: the key would be shown as it is typed`);
    }
  });
});

describe('every command at a terminal', () => {
  it.each([
    [['devices', 'battery'], /│ bat_voltaro_01 +│ battery/],
    [['get', 'ev-charger', 'ev_wallbox_01'], /│ charge +│ - +│ immediate, scheduled, windowed/],
    [['push', 'hvac', 'hvac_thermia_01', 'heat', '--target', '21c'], /parameters\s+target 21 celsius/],
    [['settings', 'battery', 'bat_voltaro_01'], /│ safety_reserve +│/],
    // The push above left an action to list.
    // Fitted to the terminal's 120 columns: the device's type and id may wrap between them.
    [['actions', 'list'], /│ act_\w+ +│ hvac( hvac_thermia_01)? +│ heat/],
    [['explain', 'SCHEDULER_FULL'], /SCHEDULER_FULL · HTTP 409/],
    [['config', 'list'], /api-key\s+amps_sk_test_…nal1 \(from AMPS_API_KEY\)/],
    [['completion', 'fish'], /complete -c amps/],
  ])('amps %j', async (args, expected) => {
    const term = runInTerminal(args, env);
    expect(await term.exit).toBe(0);
    expect(term.text()).toMatch(expected);
  });
});

describe('amps login', () => {
  it('asks for the profile, a hidden key and the URL, then saves them and makes the profile current', async () => {
    const configEnv = cleanEnv();
    const term = runInTerminal(['login'], configEnv);
    await term.waitFor('Profile');
    term.type('prod');
    term.type(KEYS.enter);
    await term.waitFor('API key');
    term.type('amps_sk_live_loginkey4321');
    term.type(KEYS.enter);
    await term.waitFor('API URL');
    term.type(KEYS.enter);
    expect(await term.exit).toBe(0);
    expect(term.text()).not.toContain('loginkey4321');
    const list = JSON.parse((await runCli(['config', 'list', '--json'], { env: configEnv })).stdout);
    expect(list).toMatchObject({ profile: { value: 'prod' }, apiUrl: { value: 'https://api.amps.ai' }, apiKey: { value: 'amps_sk_live_…4321' }, environment: 'live' });
  });

  it('a key pasted at the Profile prompt is refused and never echoed, as typed nor as the answer', async () => {
    const term = runInTerminal(['login'], cleanEnv());
    await term.waitFor('Profile');
    term.type('amps_sk_live_pastedkey9876');
    term.type(KEYS.enter);
    expect(await term.exit).toBe(2);
    // Not even its start, drawn as it arrives, before the whole key's shape is there.
    expect(term.text()).not.toMatch(/sk_live_[A-Za-z0-9]/);
    expect(term.text()).toContain('[redacted key]');
  });

  it('with --json asks nothing, even at a terminal: exit 9, as login and config set api-key say', async () => {
    for (const args of [['login', '--json'], ['config', 'set', 'api-key', '--json']]) {
      const term = runInTerminal(args, cleanEnv());
      expect(await term.exit, args.join(' ')).toBe(9);
      expect(term.text(), args.join(' ')).not.toMatch(/\? (Profile|API key)/);
    }
  });
});

describe('Ctrl-C', () => {
  let hang: Server;
  beforeAll(async () => {
    hang = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => {
    hang.closeAllConnections();
    return new Promise<void>((resolve) => hang.close(() => resolve()));
  });

  it('aborts the request in flight and exits 130', async () => {
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    const child = spawn(process.execPath, [BIN, 'get', 'battery', 'b1'], { env: { ...env, AMPS_API_URL: url } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // The request has arrived: the interrupt lands while it is in flight.
    await new Promise((resolve) => hang.once('request', resolve));
    const started = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stderr).toContain('interrupted');
  });
});

describe('--json', () => {
  it('is the same at a terminal as in a pipe', async () => {
    const piped = await runCli(['explain', 'VPP_LOCKED', '--json'], { env });
    const term = runInTerminal(['explain', 'VPP_LOCKED', '--json'], env);
    expect(await term.exit).toBe(0);
    expect(term.raw().replace(/\r\n/g, '\n')).toBe(piped.stdout);
  });
});
