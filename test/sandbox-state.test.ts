import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { SANDBOX_KEY, startSandbox } from '../src/sandbox/server.js';
import { fileStore } from '../src/sandbox/store.js';
import { BIN, cleanEnv, freshConfigDir, runCli } from './helpers/cli.js';

async function post(url: string, body: unknown) {
  const r = await request(url, { method: 'POST', headers: { 'x-api-key': SANDBOX_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.statusCode, body: (await r.body.json()) as any };
}

describe('persisted state', () => {
  it('a wait for a lock another amps holds ends at Ctrl-C, as an interruption, nothing changed: the sandbox state\'s and the config file\'s', async () => {
    const { resetStateFile } = await import('../src/sandbox/store.js');
    const { openConfigStore } = await import('../src/config/store.js');
    const { InterruptedError } = await import('../src/errors/failures.js');
    const { processStart } = await import('../src/lib/process.js');
    const dir = freshConfigDir();
    // Both locks held by a live process, named as amps names itself (pid and start time).
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const held = JSON.stringify({ pid: holder.pid, start: processStart(holder.pid!) });
      const state = join(dir, 'state.json');
      writeFileSync(`${state}.lock`, held);
      writeFileSync(join(dir, 'config.json.lock'), held);
      const ctrlC = new AbortController();
      const config = await openConfigStore({ AMPS_CONFIG_DIR: dir }, () => ctrlC.signal);
      // login's change is one: its key, URL and current profile are written together or not at all.
      const waits = [resetStateFile(state, () => ctrlC.signal), fileStore(state, () => ctrlC.signal).transact(() => undefined), config.setValue('default', 'apiUrl', 'http://127.0.0.1:1'), config.setProfile('prod', { apiKey: 'amps_sk_test_abcdefgh12', apiUrl: 'http://127.0.0.1:1' }, true)];
      // Each has found its lock held and waits: Ctrl-C. Until now each waited out its 5 or 10 s
      // (the config's on a blocked event loop, where no Ctrl-C is heard), then said the lock was held.
      ctrlC.abort();
      const ended = await Promise.allSettled(waits);
      expect(ended.map((e) => e.status === 'rejected' && e.reason instanceof InterruptedError)).toEqual([true, true, true, true]);
      expect(readdirSync(dir).sort()).toEqual(['config.json.lock', 'state.json.lock']);
    } finally {
      holder.kill();
    }
  });

  it('two sandboxes on one state file interleave writes without losing or corrupting any', async () => {
    const file = join(freshConfigDir(), 'state.json');
    const [a, b] = await Promise.all([startSandbox({ store: fileStore(file) }), startSandbox({ store: fileStore(file) })]);
    try {
      const devices = ['bat_voltaro_01', 'bat_voltaro_02', 'bat_helio_01', 'bat_kestrel_01', 'bat_kestrel_02', 'bat_ampere_02'];
      const results = await Promise.all(
        devices.flatMap((id, i) => [
          post(`${(i % 2 ? a : b).url}/battery/${id}`, { action: { command: 'charge', start: '2h' } }),
          post(`${(i % 2 ? b : a).url}/battery/${id}/settings`, { safety_reserve: { value: 20 + i, unit: 'percent' } }),
        ]),
      );
      expect(results.map((r) => r.status).sort()).toEqual([...Array(6).fill(200), ...Array(6).fill(202)]);
      const state = JSON.parse(readFileSync(file, 'utf8'));
      expect(state.actions).toHaveLength(6);
      expect(Object.values(state.devices).filter((d: any) => d.settings?.safety_reserve !== undefined)).toHaveLength(6);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a file made junk between two requests is kept aside, and the repair is told after them (notices), not only at the start', async () => {
    const file = join(freshConfigDir(), 'state.json');
    const store = fileStore(file);
    expect(await store.check()).toEqual([]);
    await store.transact((tx) => tx.changed());
    writeFileSync(file, 'junk');
    await store.transact(() => undefined);
    expect(store.notices()).toEqual([expect.stringMatching(/^the sandbox state file was unreadable \(it is not valid JSON\); it was kept as .*state\.json\.unreadable-/)]);
    expect(store.notices()).toEqual([]);
  });

  it('a webhook secret that cannot sign (edited by hand: not base64) is a state amps did not write, kept aside, never a crash where it signs', async () => {
    const file = join(freshConfigDir(), 'state.json');
    const store = fileStore(file);
    await store.transact((tx) => tx.changed());
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), webhookSecret: 'whsec_!!!notb64' }));
    await store.transact(() => undefined);
    expect(store.notices()).toEqual([expect.stringMatching(/^the sandbox state file was unreadable \(its webhook secret cannot sign \(it is not base64, as the whsec_ secret amps makes is\)\); it was kept as /)]);
  });

  it('an action whose time no one can read (a file edited by hand) holds back no other action', async () => {
    const file = join(freshConfigDir(), 'state.json');
    let sandbox = await startSandbox({ store: fileStore(file) });
    try {
      for (const [id, start] of [['bat_voltaro_01', '10m'], ['bat_voltaro_02', '20m']]) {
        expect((await post(`${sandbox.url}/battery/${id}`, { action: { command: 'charge', start } })).status).toBe(202);
      }
    } finally {
      await sandbox.close();
    }
    const state = JSON.parse(readFileSync(file, 'utf8'));
    state.actions[0].start = 'tomorrow';
    writeFileSync(file, JSON.stringify(state));
    sandbox = await startSandbox({ store: fileStore(file) });
    try {
      expect((await post(`${sandbox.url}/battery/bat_helio_01`, { action: { command: 'charge' } })).status).toBe(202);
      expect((await post(`${sandbox.url}/_sandbox/clock`, { advanceSeconds: 3600 })).status).toBe(200);
      const listed = await request(`${sandbox.url}/actions?limit=10`, { headers: { 'x-api-key': SANDBOX_KEY } });
      const states = Object.fromEntries(((await listed.body.json()) as any).data.items.map((a: any) => [a.deviceId, a.state]));
      expect(states).toEqual({ bat_voltaro_01: 'scheduled', bat_voltaro_02: 'completed', bat_helio_01: 'completed' });
    } finally {
      await sandbox.close();
    }
  });

  it('a state file larger than amps reads (a sparse 300 MiB of junk) is kept aside unread, and the command goes on', async () => {
    const env = cleanEnv();
    const file = join(env.AMPS_CONFIG_DIR!, 'sandbox-state.json');
    writeFileSync(file, '');
    truncateSync(file, 300 * 1_048_576);
    const r = await runCli(['devices', 'battery'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/amps: the sandbox state file was unreadable \(it is larger than amps reads \(300 MiB; at most 256\)\); it was kept as /);
    expect(readdirSync(env.AMPS_CONFIG_DIR!).some((name) => name.startsWith('sandbox-state.json.unreadable-'))).toBe(true);
  });
});

describe('amps sandbox serve', () => {
  it('prints its URL and key, serves, and saves state on SIGTERM', async () => {
    const dir = freshConfigDir();
    const stateFile = join(dir, 'served.json');
    const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--json', '--state', stateFile, '--rate-limit', '0'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
    const { url, key } = JSON.parse(first);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(key).toBe(SANDBOX_KEY);
    expect((await post(`${url}/battery/bat_voltaro_01`, { action: { command: 'charge', start: '1h' } })).status).toBe(202);
    // The file is this serve's until it stops: a second serve of it is refused at once (it would
    // write over the first's state, or the first over its).
    const second = await runCli(['sandbox', 'serve', '--port', '0', '--state', stateFile], { env: cleanEnv() });
    expect([second.code, second.stderr.split('\n')[0]]).toEqual([2, `amps: the sandbox state is locked by amps process ${child.pid} (${stateFile}.lock)`]);
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).actions).toHaveLength(1);
    expect(readdirSync(dir).filter((name) => name.startsWith('served'))).toEqual(['served.json']);
  });

  it('sandbox reset resets the sandbox in use: the served one AMPS_API_URL names, never the embedded one in its place', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--json', '--rate-limit', '0'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const { url, key } = JSON.parse(await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d)))));
    try {
      expect((await post(`${url}/battery/bat_voltaro_01`, { action: { command: 'charge', start: '1h' } })).status).toBe(202);
      const env = cleanEnv({ AMPS_API_URL: url, AMPS_API_KEY: key });
      const reset = await runCli(['sandbox', 'reset'], { env });
      expect([reset.code, reset.stderr.trim()]).toEqual([0, `Sandbox at ${url} reset to the seeded fleet.`]);
      const actions = await request(`${url}/actions`, { headers: { 'x-api-key': key } });
      expect(((await actions.body.json()) as any).data.items).toEqual([]);
      // The embedded sandbox was not touched: no state of its own was made.
      expect(existsSync(join(env.AMPS_CONFIG_DIR!, 'sandbox-state.json'))).toBe(false);
      // A live key is no sandbox's: refused, nothing sent.
      const live = await runCli(['sandbox', 'reset'], { env: cleanEnv({ AMPS_API_URL: url, AMPS_API_KEY: 'amps_sk_live_abcdef123456' }) });
      expect([live.code, live.stderr]).toEqual([2, expect.stringContaining("amps: only a sandbox has resets; this is a live key, for the hosted API")]);
    } finally {
      const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGTERM');
      await exit;
    }
  });

  it('a --state in a folder that does not exist is refused before it serves, and no folder is made', async () => {
    const missing = join(freshConfigDir(), 'no-such-folder', 'state.json');
    const r = await runCli(['sandbox', 'serve', '--port', '0', '--state', missing], { env: cleanEnv() });
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `amps: --state ${missing}: its folder ${join(missing, '..')} does not exist`]);
    expect(existsSync(join(missing, '..'))).toBe(false);
  });

  it('a state it cannot save on SIGTERM: it stops all the same, says so and exits 11, leaving no part-written file', async () => {
    const dir = freshConfigDir();
    const stateFile = join(dir, 'served.json');
    const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--json', '--state', stateFile, '--rate-limit', '0'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const { url } = JSON.parse(await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d)))));
    expect((await post(`${url}/battery/bat_voltaro_01`, { action: { command: 'charge', start: '1h' } })).status).toBe(202);
    // A folder where the state goes: the save is refused.
    mkdirSync(stateFile);
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    // One SIGTERM: it kept serving, and only a second ended it (killed, exit 143).
    expect(await exit).toBe(11);
    // With --json, the one JSON error every failure is there.
    expect(JSON.parse(stderr.trim().split('\n').at(-1)!).error).toMatchObject({ code: 'OUTPUT_LOST', exitCode: 11, message: expect.stringMatching(/^sandbox stopped, but its state was not saved: cannot write the sandbox state .*served\.json: /) });
    expect(readdirSync(dir)).toEqual(['served.json']);
  });

  it('with --json, a state file it kept aside is said as a JSON notice', async () => {
    const stateFile = join(freshConfigDir(), 'junk.json');
    writeFileSync(stateFile, 'junk');
    const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--json', '--state', stateFile], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stderr.trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ notice: expect.stringMatching(/^the sandbox state file was unreadable \(it is not valid JSON\); it was kept as /) }]);
  });

  it('stops cleanly on SIGINT too', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
    expect(first).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('an empty --host is refused (it listened on every interface); on 0.0.0.0 the URL to use is loopback\'s', async () => {
    const empty = await runCli(['sandbox', 'serve', '--host', '', '--port', '0']);
    expect([empty.code, empty.stderr.split('\n')[0]]).toEqual([2, 'amps: --host is empty']);
    // Every spelling of "every interface".
    for (const host of ['0.0.0.0', '0']) {
      const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--host', host, '--json'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const first = await new Promise<string>((resolve) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('}')) resolve(out);
        });
      });
      expect(JSON.parse(first).url, host).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      expect(await exit).toBe(0);
    }
  });

  it('reports a port in use in one line, exit 2', async () => {
    const busy = await startSandbox({ store: fileStore(join(freshConfigDir(), 's.json')) });
    try {
      const port = new URL(busy.url).port;
      const r = await runCli(['sandbox', 'serve', '--port', port]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('EADDRINUSE');
    } finally {
      await busy.close();
    }
  });
});
