import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshConfigDir, runCli } from '../helpers/cli.js';
import { type TestSandbox, useSandbox } from '../helpers/sandbox.js';

// Names every JavaScript object inherits (constructor, __proto__, toString...) are bad input like
// any other word: typed as a device type, a command, a parameter, a setting, a profile or an
// error code, they get one line and exit 2 (or the API's own refusal), never exit 1.

const KEY = 'amps_sk_test_protoNames01';
let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
useSandbox({}, KEY, (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});
const amps = (args: string[]) => runCli(args, { env });
const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

function expectOneLine(r: { code: number | null; stderr: string }, code: number) {
  expect(r.stderr).not.toContain('This is a bug');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(code);
}

describe.each(NAMES)('%s', (name) => {
  it('as a device type, a command, a parameter, a setting, a code, a profile: exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['push', 'battery', 'bat_voltaro_01', name, '--dry-run'], /UNSUPPORTED_MODE/],
      [['push', name, 'bat_voltaro_01', 'idle'], /unknown device type/],
      [['get', name, 'bat_voltaro_01'], /unknown device type/],
      [['devices', name], /unknown device type/],
      [['push', 'battery', 'bat_voltaro_01', 'idle', '--param', `${name}=1kw`, '--dry-run'], /UNSUPPORTED_PARAMETER|is not a parameter name/],
      [['push', 'battery', 'bat_voltaro_01', 'idle', '--param', `${name}=5`, '--dry-run'], /UNSUPPORTED_PARAMETER|is not a parameter name/],
      [['settings', 'battery', 'bat_voltaro_01', `${name}=5kw`], /UNSUPPORTED_SETTING|is not a setting name/],
      [['explain', name], /not a code|unknown|no such code/i],
      [['config', 'use', name], /no profile/i],
      [['get', 'battery', 'bat_voltaro_01', '--profile', name], /no profile|profile/i],
      [['push', 'battery', '--devices', '-', 'idle', '--fail-fast', name], /is not a class|fail-fast/],
      [['push', 'battery', '--devices', '-', 'idle', '--waves', '50%', '--abort-if', `${name}>1%`], /is not a class|--abort-if takes/],
    ];
    for (const [args, said] of cases) {
      const r = await amps(args);
      expectOneLine(r, 2);
      expect(r.stderr, args.join(' ')).toMatch(said);
    }
  });

  it('sent without the preflight: the sandbox refuses it (exit 4), it never fails inside (500)', async () => {
    const r = await amps(['push', 'battery', 'bat_voltaro_01', name, '--no-preflight']);
    expectOneLine(r, 4);
    expect(r.stderr).toContain('UNSUPPORTED_MODE');
    for (const body of [
      { action: { command: name } },
      { action: { command: 'idle', parameters: { [name]: { value: 1, unit: 'kw' } } } },
      JSON.parse(`{"action":{"command":"idle","parameters":{"${name}":{"value":1,"unit":"kw"}}}}`),
    ]) {
      const call = await sandbox.call('POST', '/battery/bat_voltaro_01', body);
      expect(call.status, JSON.stringify(body)).toBe(422);
    }
    const setting = await sandbox.call('POST', '/battery/bat_voltaro_01/settings', JSON.parse(`{"${name}":{"value":5,"unit":"kw"}}`));
    expect(setting.status).toBe(422);
    expect(setting.body.error.code).toBe('UNSUPPORTED_SETTING');
  });

  it('as a fleet\'s command: refused before anything is sent, exit 2', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'ids.txt');
    writeFileSync(file, 'bat_voltaro_01\nbat_voltaro_02\n');
    sandbox.requests.length = 0;
    const r = await amps(['push', 'battery', '--devices', file, name, '--out', join(dir, 'ledger.ndjson')]);
    expectOneLine(r, 2);
    expect(sandbox.requests.filter((q) => q.method === 'POST')).toHaveLength(0);
  });
});
