import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './helpers/cli.js';

describe('the embedded sandbox (nothing configured)', () => {
  it('serves the main job on a fresh machine, and state persists between commands', async () => {
    const env = cleanEnv();
    const list = await runCli(['devices', 'battery'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('bat_voltaro_01');
    const first = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--at', '+1h', '--json'], { env });
    expect(first.code).toBe(0);
    const second = await runCli(['push', 'battery', 'bat_voltaro_01', 'discharge'], { env });
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(JSON.parse(first.stdout).id);
    // The notice is for people at a terminal only.
    expect(second.stderr).not.toContain('Using the embedded sandbox');
    expect(statSync(join(env.AMPS_CONFIG_DIR!, 'sandbox-state.json')).mode & 0o777).toBe(0o600);
    expect((await runCli(['sandbox', 'reset'], { env })).code).toBe(0);
    const kept = join(env.AMPS_CONFIG_DIR!, 'sandbox-state.json.before-reset');
    expect(readFileSync(kept, 'utf8')).toContain(JSON.parse(first.stdout).id);
    // A second reset with nothing done since keeps the first one's copy: nothing would be gained by it.
    const again = await runCli(['sandbox', 'reset', '--json'], { env });
    expect(JSON.parse(again.stdout).keptAs).toBeNull();
    expect(readFileSync(kept, 'utf8')).toContain(JSON.parse(first.stdout).id);
    expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'discharge'], { env })).code).toBe(0);
  });

  it('a full disk under the state, met in the middle of a request: amps\'s own file, exit 2, never the API\'s 500 (exit 8); no part-written file left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      const env = cleanEnv({ AMPS_CONFIG_DIR: join(dir, 'cfg') });
      expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'idle'], { env })).code).toBe(0);
      // Full but for one page: the lock (a line) fits, the state does not.
      writeFileSync(join(dir, 'spare'), Buffer.alloc(4096));
      spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=1k']);
      rmSync(join(dir, 'spare'));
      const r = await runCli(['push', 'battery', 'bat_voltaro_02', 'charge', '--power', '3kw'], { env });
      // One line and its hint: no retries of the sandbox's 500 before it.
      expect([r.code, r.stderr.trim().split('\n')]).toEqual([2, ['sandbox: embedded', `amps: cannot write the sandbox state ${join(dir, 'cfg', 'sandbox-state.json')}: no space left on the device (ENOSPC)`, expect.stringMatching(/^ {2}hint: /)]]);
      // A fleet with --json keeps its code; the cause is said as JSON too, as every stderr line there is.
      const fleet = await runCli(['push', 'battery', '--devices', '-', 'idle', '--json', '--out', join(tmpdir(), `amps-full-ledger-${process.pid}.ndjson`)], { env, input: 'bat_voltaro_01\nbat_voltaro_02\n' });
      const lines = fleet.stderr.trim().split('\n').map((line) => JSON.parse(line));
      expect(lines.at(-1)).toEqual({ notice: `cannot write the sandbox state ${join(dir, 'cfg', 'sandbox-state.json')}: no space left on the device (ENOSPC)` });
      expect(readdirSync(join(dir, 'cfg')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    } finally {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a state a newer amps wrote is refused, and a reset keeps it, however empty it looks to this one', async () => {
    const env = cleanEnv();
    const file = join(env.AMPS_CONFIG_DIR!, 'sandbox-state.json');
    const newer = JSON.stringify({ version: 2, clockOffsetMs: 0, actionCounter: 41, actions: [], devices: {}, actionsV2: [{ id: 'act_1' }] });
    writeFileSync(file, newer);
    const refused = await runCli(['devices'], { env });
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('written by a newer amps (version 2)')]);
    const reset = await runCli(['sandbox', 'reset', '--json'], { env });
    expect(JSON.parse(reset.stdout).keptAs).toBe(`${file}.before-reset`);
    expect(readFileSync(`${file}.before-reset`, 'utf8')).toBe(newer);
  });
});

describe('configuration', () => {
  it('sets a key from stdin (never argv), lists it masked with its source, and the file is 0600', async () => {
    const env = cleanEnv();
    const onArgv = await runCli(['config', 'set', 'api-key', 'amps_sk_test_abcdef123456'], { env });
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toContain('never taken from the command line');
    // An empty file as stdin is bad input (exit 2), as an empty key file is; an empty pipe is input not given (9, no-tty tests).
    const emptyFile = join(env.AMPS_CONFIG_DIR!, 'empty.key');
    writeFileSync(emptyFile, '');
    const empty = await runCli(['config', 'set', 'api-key', '--profile', 'staging'], { env, redirect: { stdin: [emptyFile, 'r'] } });
    expect([empty.code, empty.stderr.split('\n')[0]]).toEqual([2, 'amps: the key file on stdin is empty']);
    const set = await runCli(['config', 'set', 'api-key', '--profile', 'staging'], { env, input: 'amps_sk_test_abcdef123456\n' });
    expect(set.code).toBe(0);
    expect((await runCli(['config', 'set', 'api-url', 'http://127.0.0.1:4010', '--profile', 'staging'], { env })).code).toBe(0);
    // The URL as stored is said: a look-alike host (a Cyrillic а) reads as its punycode; a backslash (read as /) is refused.
    const lookalike = await runCli(['config', 'set', 'api-url', 'https://api.\u0430mps.ai', '--profile', 'lookalike'], { env });
    expect([lookalike.code, lookalike.stderr]).toEqual([0, 'Set api-url for profile lookalike: https://api.xn--mps-5cd.ai.\n']);
    const backslash = await runCli(['config', 'set', 'api-url', 'https://api.amps.ai\\v1', '--profile', 'lookalike'], { env });
    expect([backslash.code, backslash.stderr.split('\n')[0]]).toEqual([2, "amps: the API URL 'https://api.amps.ai\\v1' holds a backslash, which URL parsers read as /"]);
    expect((await runCli(['config', 'use', 'staging'], { env })).code).toBe(0);
    const list = await runCli(['config', 'list', '--json'], { env });
    const shown = JSON.parse(list.stdout);
    expect(shown).toMatchObject({ profile: { value: 'staging', source: 'profile' }, apiKey: { value: 'amps_sk_test_…3456', source: 'profile' }, environment: 'sandbox', embedded: false });
    expect(list.stdout).not.toContain('abcdef123456');
    const fromEnv = JSON.parse((await runCli(['config', 'list', '--json'], { env: { ...env, AMPS_API_URL: 'https://api.amps.ai' } })).stdout);
    expect(fromEnv.apiUrl).toEqual({ value: 'https://api.amps.ai', source: 'env' });
    expect(statSync(join(env.AMPS_CONFIG_DIR!, 'config.json')).mode & 0o777).toBe(0o600);
    expect((await runCli(['config', 'unset', 'api-url'], { env })).code).toBe(0);
  });

  it('config set, unset and use answer --json with what they did on stdout, and nothing on stderr', async () => {
    const env = cleanEnv();
    const results = [
      await runCli(['config', 'set', 'api-key', '--profile', 'prod', '--json'], { env, input: 'amps_sk_live_abcdef123456\n' }),
      await runCli(['config', 'set', 'api-url', 'https://u:pw@api.amps.ai', '--profile', 'prod', '--json'], { env }),
      await runCli(['config', 'use', 'prod', '--json'], { env }),
      await runCli(['config', 'use', 'prod', '--json'], { env: { ...env, AMPS_PROFILE: 'other' } }),
      await runCli(['config', 'unset', 'api-url', '--json'], { env }),
      await runCli(['config', 'unset', 'api-url', '--json'], { env }),
    ];
    expect(results.map((r) => [r.code, r.stderr])).toEqual(results.map(() => [0, '']));
    expect(results.map((r) => JSON.parse(r.stdout))).toEqual([
      { profile: 'prod', set: 'api-key', key: 'amps_sk_live_…3456', environment: 'live' },
      { profile: 'prod', set: 'api-url', value: 'https://redacted@api.amps.ai' },
      { currentProfile: 'prod', overriddenBy: null, alsoOverriddenBy: [] },
      { currentProfile: 'prod', overriddenBy: { AMPS_PROFILE: 'other' }, alsoOverriddenBy: [] },
      { profile: 'prod', unset: 'api-url', removed: true },
      { profile: 'prod', unset: 'api-url', removed: false },
    ]);
  });

  it('says how to get out of a corrupt config file instead of crashing', async () => {
    const env = cleanEnv();
    writeFileSync(join(env.AMPS_CONFIG_DIR!, 'config.json'), '{"profiles": ');
    const r = await runCli(['devices'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is corrupt');
    expect(r.stderr).toContain('hint: move it aside');
  });

  it('a config file that names a setting twice is refused, not read as its last (which served the embedded sandbox, or another profile)', async () => {
    const env = cleanEnv();
    const file = join(env.AMPS_CONFIG_DIR!, 'config.json');
    for (const [text, path] of [
      ['{"profiles":{"prod":{"apiKey":"amps_sk_live_prodKEY987654","apiUrl":"http://127.0.0.1:9"}},"profiles":{}}', 'profiles'],
      ['{"currentProfile":"prod","profiles":{"prod":{"apiUrl":"http://127.0.0.1:9"},"stage":{"apiUrl":"http://127.0.0.1:8"}},"currentProfile":"stage"}', 'currentProfile'],
      ['{"profiles":{"prod":{"apiUrl":"http://127.0.0.1:9","apiUrl":"http://127.0.0.1:8"}}}', 'profiles.prod.apiUrl'],
    ] as const) {
      writeFileSync(file, text);
      const r = await runCli(['push', 'battery', 'bat_voltaro_01', 'idle'], { env });
      expect([r.code, r.stderr.split('\n')[0]], text).toEqual([2, `amps: the config file ${file} names '${path}' twice, so amps cannot tell where you meant to send requests`]);
    }
  });

  it('a config file that begins with a byte-order mark (a Windows editor\'s) is said as that, with the command that removes it, which works', async () => {
    const env = cleanEnv();
    const file = join(env.AMPS_CONFIG_DIR!, 'config.json');
    writeFileSync(file, '\uFEFF{"profiles":{}}');
    const r = await runCli(['config', 'list'], { env });
    // Until now: "is corrupt (not a valid amps config)", and its hint moved a good file aside.
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `amps: the config file ${file} begins with a byte-order mark (a Windows editor's), which JSON does not allow`]);
    const command = /remove it: (.*)$/m.exec(r.stderr)![1]!;
    execFileSync('sh', ['-c', command]);
    expect((await runCli(['config', 'list'], { env })).code).toBe(0);
  });

  it('never prompts without a terminal: login exits 9 naming the way in', async () => {
    const r = await runCli(['login'], { env: cleanEnv() });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('amps config set api-key < keyfile');
  });
});
