import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

// With stdin closed and stdout piped, nothing may wait for a person: every command finishes, and
// the ones that would ask exit 9 (or 5 for a conflict) naming what answers them.

let sandbox: TestSandbox;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  env = cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: 'amps_sk_test_nottyrun1' });
  await sandbox.call('POST', '/battery/bat_voltaro_02', { action: { command: 'charge', start: '2h' } });
});
afterAll(async () => sandbox.close());

const ok = 0;
const cases: Array<[string[], number[]]> = [
  [['--help'], [ok]],
  [['--version'], [ok]],
  [['help', 'exit-codes'], [ok]],
  [['explain', 'VPP_LOCKED'], [ok]],
  [['decode', '-'], [2]],
  [['devices'], [ok]],
  [['get', 'battery', 'bat_voltaro_01'], [ok]],
  [['settings', 'battery', 'bat_voltaro_01'], [ok]],
  [['settings', 'battery', 'bat_voltaro_01', 'safety_reserve=30%'], [ok]],
  [['push', 'battery', 'bat_voltaro_01', 'idle'], [ok]],
  [['push', 'battery', 'bat_voltaro_02', 'discharge'], [5]],
  [['push', 'battery', 'bat_foxgrid_01', 'idle'], [5]],
  // stdin closed: a list with no device, refused (exit 2), never waited on.
  [['push', 'battery', '--devices', '-', 'idle'], [2]],
  [['actions', 'list'], [ok]],
  [['config', 'list'], [ok]],
  [['config', 'profiles'], [ok]],
  [['completion', 'bash'], [ok]],
];

describe('nothing prompts without a terminal', () => {
  it.each(cases)('amps %j finishes with exit %j', async (args, exits) => {
    const r = await runCli(args, { env, timeoutMs: 15_000 });
    expect(exits).toContain(r.code);
  });

  it('login exits 9 and names the way in', async () => {
    const r = await runCli(['login'], { env: cleanEnv() });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('amps config set api-key < keyfile');
  });

  it('config set api-key with nothing on stdin exits 9 and names the way in', async () => {
    const r = await runCli(['config', 'set', 'api-key'], { env: cleanEnv() });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('amps config set api-key < keyfile');
    // With --json the way in is the hint, where every other error's is (and `flag`, as before).
    const json = await runCli(['config', 'set', 'api-key', '--json'], { env: cleanEnv() });
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'INPUT_NEEDED', exitCode: 9, hint: 'pass the key on stdin: amps config set api-key < keyfile', flag: 'the key on stdin: amps config set api-key < keyfile' });
  });

  it('a conflict exits 5 and names the flag that resolves it', async () => {
    const r = await runCli(['push', 'battery', 'bat_voltaro_02', 'discharge'], { env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('--on-conflict cancel_and_replace');
  });

  it('a corrupt config file gets a one-line message and a way out, for every command that reads it', async () => {
    const broken = cleanEnv();
    writeFileSync(join(broken.AMPS_CONFIG_DIR!, 'config.json'), 'not json');
    for (const args of [['devices'], ['config', 'list'], ['config', 'set', 'api-url', 'https://api.amps.ai']]) {
      const r = await runCli(args, { env: broken });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('is corrupt');
      expect(r.stderr).toContain('mv ');
    }
  });
});
