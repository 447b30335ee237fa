import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, freshConfigDir, runCli } from './helpers/cli.js';
import { relayTo, startTestSandbox, type TestSandbox, useSandbox } from './helpers/sandbox.js';

let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
const amps = (args: string[], input?: string, extraEnv: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extraEnv }, input, timeoutMs: 60_000 });
/** The device lines of a ledger (or of --json output): the run, horizon, outcome and end records are not devices. */
const ledger = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => typeof l.outcome === 'string');
const loadIds = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `bat_load_${String(from + i).padStart(6, '0')}`);
const posts = () => sandbox.requests.filter((r) => r.method === 'POST') as Array<{ body: any; path: string; status: number }>;

/** Waits for a condition the test can observe (the sandbox's request log), never a fixed time. */
async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

useSandbox({ fleetSize: 300 }, 'amps_sk_test_batchtests1', (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});

describe('amps push --devices', () => {
  it('pushes to every listed device and writes one ledger line per device', async () => {
    const ids = loadIds(40);
    const r = await amps(['push', 'battery', '--devices', '-', 'charge', '--power', '3kw', '--json', '--concurrency', '16'], ids.join('\n'));
    expect(r.code).toBe(0);
    const lines = ledger(r.stdout);
    expect(lines.map((l) => l.id).sort()).toEqual(ids);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['id', 'outcome', 'actionId', 'state', 'code', 'status', 'requestId', 'attempts', 'exitCode', 'line', 'environment', 'start', 'end', 'moved', 'resolveWith', 'reason', 'relinkUrl']);
      expect(line.environment).toBe('test');
      expect(line).toMatchObject({ outcome: 'accepted', status: 202, attempts: 1 });
      expect(line.actionId).toMatch(/^act_/);
    }
    // One capability read for the whole model-less list, then only pushes.
    expect(sandbox.requests.filter((q) => q.method === 'GET')).toHaveLength(1);
    expect(posts()).toHaveLength(40);
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!).summary).toMatchObject({ total: 40, exitCode: 0 });
  });

  it('never writes the ledger over its own input or an earlier run\'s ledger', async () => {
    const dir = freshConfigDir();
    const ids = join(dir, 'same.txt');
    writeFileSync(ids, `${loadIds(5, 250).join('\n')}\n`);
    sandbox.requests.length = 0;
    const same = await amps(['push', 'battery', '--devices', ids, 'idle', '--out', ids]);
    expect([same.code, same.stderr.trim()]).toEqual([2, expect.stringContaining(`--out ${ids} is the --devices file: the ledger would write over it`)]);
    expect(readFileSync(ids, 'utf8')).toBe(`${loadIds(5, 250).join('\n')}\n`);
    // The same file as stdin (`--devices - --out ids.txt < ids.txt`): until now all were pushed, and the list became the ledger.
    const list = openSync(ids, 'r');
    const fromStdin = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', '-', 'idle', '--out', ids], { env: env as NodeJS.ProcessEnv, stdio: [list, 'ignore', 'pipe'] });
    closeSync(list);
    let stdinErr = '';
    fromStdin.stderr!.setEncoding('utf8').on('data', (d: string) => (stdinErr += d));
    const stdinCode = await new Promise<number | null>((resolve) => fromStdin.on('close', resolve));
    expect([stdinCode, stdinErr.trim()]).toEqual([2, expect.stringContaining(`--out ${ids} is the --devices file: the ledger would write over it`)]);
    expect(readFileSync(ids, 'utf8')).toBe(`${loadIds(5, 250).join('\n')}\n`);
    expect(posts()).toHaveLength(0);
    const out = join(dir, 'ledger.ndjson');
    expect((await amps(['push', 'battery', '--devices', ids, 'idle', '--out', out])).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    const again = await amps(['push', 'battery', '--devices', ids, 'idle', '--out', out]);
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining('is the ledger of an earlier run')]);
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(posts()).toHaveLength(5);
    // A file that is not a ledger is written over.
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'scratch\n');
    const others = join(dir, 'others.txt');
    writeFileSync(others, `${loadIds(5, 260).join('\n')}\n`);
    expect((await amps(['push', 'battery', '--devices', others, 'idle', '--out', notes])).code).toBe(0);
    expect(ledger(readFileSync(notes, 'utf8'))).toHaveLength(5);
  });

  it('a capability read that fails is its own device\'s failure, never the devices that shared it', async () => {
    for (const [first, from] of [['bat_typo_xx', 100], ['bat_helio_02', 200]] as const) {
      sandbox.requests.length = 0;
      const ids = loadIds(30, from);
      const r = await amps(['push', 'battery', '--devices', '-', 'idle', '--json', '--concurrency', '8'], [first, ...ids].join('\n'));
      const lines = ledger(r.stdout);
      expect(lines.map((l) => l.id).sort()).toEqual([first, ...ids].sort());
      const failed = lines.filter((l) => l.outcome !== 'accepted');
      expect(failed.map((l) => l.id)).toEqual([first]);
      expect(failed[0].code).toBe(first === 'bat_typo_xx' ? 'DEVICE_NOT_FOUND' : 'DEVICE_OFFLINE');
      expect(posts()).toHaveLength(30);
    }
  });

  it('reads CSV with per-device overrides and NDJSON with models (one read per model)', async () => {
    const csv = 'id,target,power\nbat_load_000001,80%,\nbat_load_000002,,2kw\nbat_voltaro_01,70,\n';
    const r = await amps(['push', 'battery', '--devices', '-', 'charge', '--target', '90%', '--power', '1kw'], csv);
    expect(r.code).toBe(0);
    const bodies = Object.fromEntries(posts().map((p) => [p.path.split('/')[2], p.body.action.parameters]));
    expect(bodies.bat_load_000001).toEqual({ target: { value: 80, unit: 'percent' }, power: { value: 1, unit: 'kw' } });
    expect(bodies.bat_load_000002).toEqual({ target: { value: 90, unit: 'percent' }, power: { value: 2, unit: 'kw' } });
    expect(bodies.bat_voltaro_01.target).toEqual({ value: 70, unit: 'percent' });

    await sandbox.call('POST', '/_sandbox/reset');
    sandbox.requests.length = 0;
    const listed = JSON.parse((await amps(['devices', 'battery', '--all', '--json'])).stdout).items.filter((d: { id: string }) => !['bat_helio_02', 'bat_nimbus_02', 'bat_ampere_01', 'bat_ampere_03', 'bat_foxgrid_01', 'bat_foxgrid_02'].includes(d.id));
    sandbox.requests.length = 0;
    const models = new Set(listed.map((d: { metadata: { model: string } }) => d.metadata.model));
    const nd = await amps(['push', 'battery', '--devices', '-', 'auto.balanced', '--json'], listed.map((d: unknown) => JSON.stringify(d)).join('\n'));
    expect(nd.code).toBe(0);
    expect(sandbox.requests.filter((q) => q.method === 'GET')).toHaveLength(models.size);
  });

  it('lists conflicted devices with a rerun line fed from the ledger, and the rerun resolves them', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    const ids = loadIds(6);
    for (const id of ids.slice(0, 3)) await sandbox.call('POST', `/battery/${id}`, { action: { command: 'charge', start: '2h' } });
    const r = await amps(['push', 'battery', '--devices', '-', 'discharge', '--out', out], ids.join('\n'));
    expect(r.code).toBe(5);
    const written = ledger(readFileSync(out, 'utf8'));
    expect(written.filter((l) => l.outcome === 'conflict').map((l) => l.id).sort()).toEqual(ids.slice(0, 3));
    expect(r.stderr).toContain('Rerun just the devices that can still succeed with:');
    const rerun = r.stderr.split('\n').find((l) => l.trim().startsWith('grep'))!.trim();
    expect(rerun).toBe(`grep '"resolveWith":"cancel_and_replace"' ${out} | amps push battery discharge --devices - --on-conflict cancel_and_replace`);
    const again = await amps(['push', 'battery', '--devices', '-', 'discharge', '--on-conflict', 'cancel_and_replace', '--json'], readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('"code":"CONFLICT"')).join('\n'));
    expect(again.code).toBe(0);
    expect(ledger(again.stdout).map((l) => l.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
  });

  it('exits with the most severe class met', async () => {
    const r = await amps(['push', 'battery', '--devices', '-', 'charge'], ['bat_load_000001', 'bat_helio_02', 'nope', 'bat_nimbus_02'].join('\n'));
    // rejected (4) outranks conflict (5), offline (7) and success.
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/rejected\s+│ DEVICE_NOT_FOUND/);
  });

  it('stops issuing at the first failure with --fail-fast; the rest are in the ledger as not_sent', async () => {
    const ids = ['nope', ...loadIds(30)];
    const r = await amps(['push', 'battery', '--devices', '-', 'charge', '--fail-fast', '--concurrency', '1', '--json'], ids.join('\n'));
    expect(r.code).toBe(4);
    const lines = ledger(r.stdout);
    expect(lines.map((l) => l.id)).toEqual(ids);
    expect(lines[0].outcome).toBe('rejected');
    expect(lines.slice(1).every((l) => l.outcome === 'not_sent')).toBe(true);
    const onlyConflicts = await amps(['push', 'battery', '--devices', '-', 'charge', '--fail-fast', 'conflict', '--concurrency', '1', '--json'], ['nope', 'bat_nimbus_02', 'bat_load_000001'].join('\n'));
    expect(ledger(onlyConflicts.stdout).map((l) => l.outcome)).toEqual(['rejected', 'conflict', 'not_sent']);
  });

  it('a ledger\'s device lines fed back (as a rerun line does) are sent only to the environment their run sent to; elsewhere each is that row\'s invalid_input', async () => {
    // A run on the embedded sandbox, its ledger fed to this test key's sandbox (and so to prod, were the key live).
    const dir = freshConfigDir();
    const embeddedLedger = join(dir, 'embedded.ndjson');
    const ids = loadIds(3, 150);
    const local = await runCli(['push', 'battery', '--devices', '-', 'idle', '--out', embeddedLedger, '--wait'], { env: { ...env, AMPS_API_URL: undefined, AMPS_API_KEY: undefined, AMPS_CONFIG_DIR: dir }, input: ['bat_voltaro_01'].join('\n') });
    expect(local.code, local.stderr).toBe(0);
    // Its device line, and its outcome record (what the rerun lines of a followed run grep: "errorCode").
    const lines = readFileSync(embeddedLedger, 'utf8').split('\n').filter((l) => l.includes('"outcome":"accepted"') || l.startsWith('{"outcome":{'));
    expect(lines).toHaveLength(2);
    const before = posts().length;
    for (const line of lines) {
      const rerun = await amps(['push', 'battery', '--devices', '-', 'idle', '--json'], line);
      expect(rerun.code, rerun.stderr).toBe(2);
      expect(ledger(rerun.stdout).map((l) => [l.id, l.outcome, l.reason])).toEqual([['bat_voltaro_01', 'invalid_input', 'line 1 is a ledger line of a run against the embedded environment, and this run sends to test: give the key, profile or API URL that run had (to send it here, give the id alone: jq -r .id)']]);
    }
    expect(posts().length).toBe(before);
    // A test run's own lines, fed back to it, are sent (and meet the actions that run left pending).
    const own = await amps(['push', 'battery', '--devices', '-', 'idle', '--json'], ids.join('\n'));
    const sentBefore = posts().length;
    const again = await amps(['push', 'battery', '--devices', '-', 'idle', '--json'], ledger(own.stdout).map((l) => JSON.stringify(l)).join('\n'));
    expect([posts().length - sentBefore, ledger(again.stdout).map((l) => l.outcome)], again.stderr).toEqual([3, ['conflict', 'conflict', 'conflict']]);
  });

  it('a list with no device at all is refused, exit 2, with no ledger and nothing sent, whatever reads it', async () => {
    const dir = freshConfigDir();
    const before = sandbox.requests.length;
    const header = join(dir, 'header.csv');
    writeFileSync(header, 'id,target\r\n');
    for (const [args, input, source] of [
      [['--devices', '-'], '', '- (stdin)'],
      [['--devices', '-'], '# nothing today\n\n', '- (stdin)'],
      [['--devices', header], undefined, header],
      [['--devices', header, '--plan'], undefined, header],
      [['--devices', header, '--waves', '50%,100%'], undefined, header],
    ] as const) {
      const r = await amps(['push', 'battery', ...args, 'charge', '--out', join(dir, 'run.ndjson')], input, { AMPS_CONFIG_DIR: dir });
      expect([r.code, r.stderr.split('\n')[0]], args.join(' ')).toEqual([2, `amps: --devices ${source} lists no devices; nothing was sent`]);
      expect(existsSync(join(dir, 'run.ndjson'))).toBe(false);
    }
    expect(sandbox.requests.slice(before).filter((q) => q.method !== 'GET')).toEqual([]);
  });

  it('CSV parameter columns keep their case, as the API\'s names do (heatSetpoint); id and model in any case', async () => {
    const csv = '\ufeffID,heatSetpoint,coolSetpoint\r\nhvac_thermia_01,20c,25c\r\n"hvac_thermia_02","68f",\r\n';
    const r = await amps(['push', 'hvac', '--devices', '-', 'auto', '--param', 'heatSetpoint=19c', '--param', 'coolSetpoint=24c', '--json'], csv);
    expect(r.code, r.stderr).toBe(0);
    const sent = posts().filter((p) => p.path.startsWith('/hvac/')).map((p) => [p.path, p.body.action.parameters.heatSetpoint.value, p.body.action.parameters.coolSetpoint.value]);
    expect(sent).toEqual([['/hvac/hvac_thermia_01', 20, 25], ['/hvac/hvac_thermia_02', 20, 24]]);
    // The quantity flags' columns in any case: Target is --target's override, as it always was.
    const before = posts().length;
    expect((await amps(['push', 'battery', '--devices', '-', 'discharge', '--target', '30%'], 'id,Target\nbat_voltaro_01,40%\n')).code).toBe(0);
    expect(posts().slice(before).map((p) => p.body.action.parameters)).toEqual([{ target: { value: 40, unit: 'percent' } }]);
    // Two columns that differ only in case are one parameter given twice.
    const twice = await amps(['push', 'hvac', '--devices', '-', 'auto'], 'id,heatSetpoint,heatsetpoint\nhvac_thermia_01,20c,21c\n');
    expect([twice.code, twice.stderr.split('\n')[0]]).toEqual([2, "amps: the CSV header of --devices names the column 'heatsetpoint' twice: amps will not guess which value you meant"]);
    const both = await amps(['push', 'hvac', '--devices', '-', 'auto'], 'id,deviceId\nhvac_thermia_01,hvac_thermia_02\n');
    expect([both.code, both.stderr.split('\n')[0]]).toEqual([2, 'amps: the CSV header of --devices names the device twice (id and deviceId): amps will not guess which value you meant']);
    // A JSON line that does the same (an action from amps actions list --json) is refused on its line, never pushed to its action id.
    const sentBefore = posts().length;
    const action = await amps(['push', 'hvac', '--devices', '-', 'auto', '--json'], '{"id":"act_1a2b3c","deviceId":"hvac_thermia_01"}\n{"id":"hvac_thermia_02","deviceId":"hvac_thermia_02"}\n');
    const lines = action.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => typeof l.outcome === 'string').map((l) => [l.line, l.outcome, l.reason])).toEqual([[1, 'invalid_input', expect.stringContaining('names the device twice (id and deviceId differ')], [2, expect.stringMatching(/^(accepted|conflict)$/), null]]);
    expect(posts().slice(sentBefore).map((p) => p.path)).toEqual(['/hvac/hvac_thermia_02']);
    // One of the two null names one id: said as that, not as two ids that differ.
    const nulled = await amps(['push', 'hvac', '--devices', '-', 'auto', '--json'], '{"id":null,"deviceId":"hvac_thermia_01"}\n');
    expect(JSON.parse(nulled.stdout.trim().split('\n')[0]!).reason).toBe('line 1 gives "id": null beside "deviceId": amps will not guess which is the device; keep one');
  });

  it('an NDJSON override that is no quantity is that row\'s invalid_input, never dropped for the command line\'s value', async () => {
    const rows = [
      '{"id":"bat_load_000291","target":true}', '{"id":"bat_load_000292","target":[90]}', '{"id":"bat_load_000293","params":{"target":{"value":"x"}}}',
      '{"id":"bat_load_000294","target":{"v":5}}', '{"id":"bat_load_000295","params":5}',
      // Absent or null is no override; { value, unit } is one.
      '{"id":"bat_load_000296","target":null}', '{"id":"bat_load_000297","params":{"target":{"value":80,"unit":"percent"}}}',
    ];
    const before = posts().length;
    const r = await amps(['push', 'battery', '--devices', '-', 'charge', '--target', '55%', '--json'], `${rows.join('\n')}\n`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => typeof l.outcome === 'string');
    expect(lines.filter((l) => l.outcome === 'invalid_input').map((l) => l.line)).toEqual([1, 2, 3, 4, 5]);
    expect(lines[0].reason).toBe('line 1 has a target override that is no quantity (a boolean): give "90%" or { "value": 90, "unit": "percent" }');
    // Each names its device, so the ledger lists every one the input named.
    expect(lines.slice(0, 5).map((l) => l.id)).toEqual(['bat_load_000291', 'bat_load_000292', 'bat_load_000293', 'bat_load_000294', 'bat_load_000295']);
    expect(posts().slice(before).map((p) => [p.path.split('/')[2], p.body.action.parameters.target.value])).toEqual([['bat_load_000296', 55], ['bat_load_000297', 80]]);
  });

  it('devices that failed when sent with a code the docs say to retry (DEVICE_OFFLINE) get a rerun line that sends just them', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'devices.txt');
    const out = join(dir, 'run.ndjson');
    writeFileSync(file, 'bat_helio_02\nbat_load_000298\n');
    const r = await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    expect(r.code).toBe(7);
    const line = r.stderr.split('\n').find((l) => l.includes('"code":"DEVICE_OFFLINE"'))?.trim();
    expect(line).toBe(`grep '"code":"DEVICE_OFFLINE"' ${out} | amps push battery idle --devices -`);
    // Run as printed, it goes to the offline device alone (its preflight read meets it offline again).
    const before = sandbox.requests.length;
    const rerun = await amps(['push', 'battery', 'idle', '--devices', '-'], execFileSync('grep', ['"code":"DEVICE_OFFLINE"', out], { encoding: 'utf8' }));
    expect(rerun.code).toBe(7);
    expect(new Set(sandbox.requests.slice(before).map((q) => q.path.split('?')[0]))).toEqual(new Set(['/battery/bat_helio_02']));
    // A TIMEOUT answer gets none: the manufacturer may have taken the push.
    const timedOut = await amps(['push', 'battery', '--devices', '-', 'idle', '--simulate-failure', 'TIMEOUT', '--out', join(dir, 't.ndjson')], 'bat_load_000299\n');
    expect([timedOut.code, timedOut.stderr]).toEqual([6, expect.not.stringContaining('"code":"TIMEOUT"')]);
  });

  it('a resume counts the lines it carries over in its summary and exit code, and a carried failure stops nothing', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'devices.txt');
    const out = join(dir, 'run.ndjson');
    writeFileSync(file, ['nope', ...loadIds(3, 201)].join('\n'));
    expect((await amps(['push', 'battery', '--devices', file, 'charge', '--fail-fast', '--concurrency', '1', '--out', out])).code).toBe(4);
    const before = posts().length;
    const resumed = await amps(['push', '--resume', out, '--json']);
    // The carried rejection is the run's: exit 4, though every device this resume sent was accepted.
    expect(resumed.code).toBe(4);
    expect(posts().length - before).toBe(3);
    // With --json stderr is JSON lines alone (the resume's line for people is not among them).
    const lines = resumed.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.at(-1).summary;
    // nope was refused by its preflight read: never sent.
    expect([summary.total, summary.sent, summary.exitCode]).toEqual([4, 3, 4]);
    expect(summary.outcomes).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'rejected', code: 'DEVICE_NOT_FOUND', count: 1 }), expect.objectContaining({ outcome: 'accepted', count: 3 })]));
    // --json wins over --quiet: the summary, the one place an unnamed ledger's path is said, stays.
    const quiet = await amps(['push', 'battery', '--devices', file, 'idle', '--no-preflight', '--json', '-q']);
    expect([quiet.code, Object.keys(JSON.parse(quiet.stderr.trim().split('\n').at(-1)!))]).toEqual([4, ['summary']]);
    expect(JSON.parse(quiet.stderr.trim().split('\n').at(-1)!).summary.ledger).toEqual(expect.any(String));
  });

  it('slows the whole run on 429 and, with --retry, sends those devices again', async () => {
    const limited = await startTestSandbox({ fleetSize: 60, rateLimit: 20 });
    try {
      const ids = loadIds(60);
      const r = await amps(['push', 'battery', '--devices', '-', 'auto.balanced', '--no-preflight', '--retry', '8', '--concurrency', '16', '--json'], ids.join('\n'), { AMPS_API_URL: limited.url });
      expect(r.code).toBe(0);
      const lines = ledger(r.stdout);
      expect(lines.every((l) => l.outcome === 'accepted')).toBe(true);
      expect(limited.requests.filter((q) => q.status === 429).length).toBeGreaterThan(0);
      expect(lines.some((l) => l.attempts > 1)).toBe(true);
    } finally {
      await limited.close();
    }
  });

  it('on Ctrl-C stops issuing and reading a stream, finishes what is in flight, writes the ledger and exits 130', async () => {
    const out = join(freshConfigDir(), 'ledger.ndjson');
    const child = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', '-', 'charge', '--out', out, '--concurrency', '2'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const ids = loadIds(10);
    // stdin stays open, as an endless producer's would.
    child.stdin.write(`${ids.join('\n')}\n`);
    await waitUntil(() => posts().length >= 10);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.destroy();
    expect(code).toBe(130);
    const lines = ledger(readFileSync(out, 'utf8'));
    expect(lines.map((l) => l.id).sort()).toEqual(ids);
    expect(lines.every((l) => l.outcome === 'accepted')).toBe(true);
    expect(stderr).toContain('The rest of the input was not read');
    expect(stderr).toContain(`Send the rest, no device twice: amps push --resume ${out} --devices - (the same list on stdin)`);
  });

  it('a second Ctrl-C exits at once, saying the devices in flight may have no line and how to go on', async () => {
    // Pushes that are never answered: after the first Ctrl-C the run waits for them.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const received = new Promise<void>((resolve) => silent.once('request', () => resolve()));
    try {
      const dir = freshConfigDir();
      const out = join(dir, 'ledger.ndjson');
      writeFileSync(join(dir, 'ids.txt'), `${loadIds(3).join('\n')}\n`);
      const child = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', join(dir, 'ids.txt'), 'charge', '--out', out, '--no-preflight', '--timeout', '60s'], {
        env: { ...env, AMPS_API_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      await received;
      child.kill('SIGINT');
      // The first is taken (it stops issuing, and waits for what is in flight) before the second comes.
      // A file: its rest is read to be recorded, which a long one takes a while to do (said).
      await waitUntil(() => stderr.includes('amps: interrupted: sending nothing more, waiting for the pushes in flight to be answered and recording the rest of the file as not sent (Ctrl-C again stops at once)'));
      child.kill('SIGINT');
      expect(await closed).toBe(130);
      expect(stderr).toContain(`amps: stopped at once: the devices in flight, and any not recorded yet, may have no line in ${out}, which has no end record; amps push --resume ${out} sends the rest, and reads the actions of those in flight before it sends them again`);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('on SIGTERM with a file, every input device is in the ledger exactly once, sent or not_sent', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'ids.txt');
    const out = join(dir, 'ledger.ndjson');
    const ids = loadIds(300);
    writeFileSync(file, `${ids.join('\n')}\n`);
    const child = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'charge', '--out', out, '--concurrency', '2'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    await waitUntil(() => posts().length >= 20);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    const lines = ledger(readFileSync(out, 'utf8'));
    expect(lines.map((l) => l.id).sort()).toEqual(ids);
    const sent = new Set(posts().map((p) => p.path.split('/')[2]));
    expect(lines.filter((l) => l.outcome === 'accepted').map((l) => l.id).sort()).toEqual([...sent].sort());
    expect(lines.filter((l) => l.outcome === 'not_sent').length).toBe(300 - sent.size);
  });

  it('an API that gives no answer stops the run after 20 devices in a row; the rest are not_sent, and the resume sends them once it answers', async () => {
    // A port nothing listens on: every connection is refused (until the API comes back there, below).
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const dir = freshConfigDir();
    const file = join(dir, 'ids.txt');
    const out = join(dir, 'ledger.ndjson');
    const ids = loadIds(120, 151);
    writeFileSync(file, `${ids.join('\n')}\n`);
    const r = await amps(['push', 'battery', '--devices', file, 'charge', '--out', out, '--concurrency', '4'], undefined, { AMPS_API_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('120 devices (stopped: the API could not be reached: 20 devices in a row got no answer from the API (the last: CONNECTION_REFUSED); amps doctor checks the way to it)');
    expect(r.stderr).toContain(`Send the rest, no device twice: amps push --resume ${out}`);
    const lines = ledger(readFileSync(out, 'utf8'));
    expect(lines.map((l) => l.id)).toHaveLength(120);
    expect(new Set(lines.map((l) => l.id)).size).toBe(120);
    const failed = lines.filter((l) => l.outcome === 'failed');
    // The 20th stops it; the devices already in flight (at most the other 3) end as they end.
    expect(failed.length).toBeGreaterThanOrEqual(20);
    expect(failed.length).toBeLessThanOrEqual(23);
    expect(failed.every((l) => l.code === 'CONNECTION_REFUSED')).toBe(true);
    const notSent = lines.filter((l) => l.outcome === 'not_sent');
    expect(notSent.length).toBe(120 - failed.length);
    expect(notSent[0].reason).toBe('not sent: 20 devices in a row got no answer from the API (the last: CONNECTION_REFUSED); amps doctor checks the way to it');
    // Once the API answers at that address again (the sandbox, behind a relay on the same port), the resume sends every device, each once.
    const back = createServer((req, res) => {
      relayTo(sandbox.url, req, res);
    });
    await new Promise<void>((resolve) => back.listen(port, '127.0.0.1', resolve));
    try {
      const before = posts().length;
      const resumed = await amps(['push', '--resume', out, '--out', join(dir, 'resumed.ndjson')], undefined, { AMPS_API_URL: `http://127.0.0.1:${port}` });
      expect(resumed.code, resumed.stderr).toBe(0);
      const sent = posts().slice(before).map((p) => p.path.split('/')[2]);
      expect(sent.sort()).toEqual([...ids].sort());
    } finally {
      back.closeAllConnections();
      await new Promise((resolve) => back.close(resolve));
    }
    // Each preflight read is tried three times, one device after another: about 15 s to the stop.
  }, 60_000);

  it('names the resume only where one would be taken, and only when devices were left unsent', async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const down = { AMPS_API_URL: `http://127.0.0.1:${(gone.address() as AddressInfo).port}` };
    await new Promise((resolve) => gone.close(resolve));
    const dir = freshConfigDir();
    const file = join(dir, 'ids.txt');
    writeFileSync(file, `${loadIds(30, 281).join('\n')}\n`);
    const hint = (r: { stderr: string }) => r.stderr.split('\n').find((l) => l.startsWith('Send the rest'));
    // A file: the resume as it is.
    const out = join(dir, 'l.ndjson');
    const plain = await amps(['push', 'battery', '--devices', file, 'charge', '--no-preflight', '--concurrency', '1', '--out', out], undefined, down);
    expect(hint(plain)).toBe(`Send the rest, no device twice: amps push --resume ${out}`);
    // Devices from a FIFO: the resume needs them again.
    const fifo = join(dir, 'ids.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('close', resolve));
    const streamed = await amps(['push', 'battery', '--devices', fifo, 'charge', '--no-preflight', '--concurrency', '1', '--out', join(dir, 's.ndjson')], undefined, down);
    await written;
    expect(hint(streamed)).toBe(`Send the rest, no device twice: amps push --resume ${join(dir, 's.ndjson')} --devices FILE (the list the run read, again)`);
    // A ledger that is no file (/dev/null here) cannot be resumed: no hint.
    const nowhere = await amps(['push', 'battery', '--devices', file, 'charge', '--no-preflight', '--concurrency', '1', '--out', '/dev/null'], undefined, down);
    expect(nowhere.stderr).toContain('stopped: the API could not be reached');
    expect(hint(nowhere)).toBeUndefined();
  }, 30_000);

  it('an API that answers in between is not taken for down; a gateway\'s 502 pages are no answer', async () => {
    let requests = 0;
    let onlyPages = false;
    // Every other push gets a gateway's page (or every push, onlyPages); the rest reach the sandbox.
    const gateway = createServer((req, res) => {
      if (onlyPages || requests++ % 2 === 0) {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
        return;
      }
      relayTo(sandbox.url, req, res);
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const ids = loadIds(60, 21);
      const flaky = await amps(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--concurrency', '1', '--json'], ids.join('\n'), { AMPS_API_URL: apiUrl });
      expect(flaky.code).toBe(6);
      const lines = ledger(flaky.stdout);
      expect(lines.filter((l) => l.outcome === 'accepted')).toHaveLength(30);
      expect(lines.filter((l) => l.code === 'HTTP_502')).toHaveLength(30);
      expect(JSON.parse(flaky.stderr.trim().split('\n').at(-1)!).summary.stoppedBy).toBeNull();
      // Only pages: the 20th in a row stops the run.
      onlyPages = true;
      const down = await amps(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--concurrency', '1', '--json'], ids.join('\n'), { AMPS_API_URL: apiUrl });
      expect(down.code).toBe(6);
      expect(ledger(down.stdout).map((l) => l.outcome)).toEqual([...Array(20).fill('failed'), ...Array(40).fill('not_sent')]);
      expect(JSON.parse(down.stderr.trim().split('\n').at(-1)!).summary).toMatchObject({ stoppedBy: 'api_unreachable', stopDetail: '20 devices in a row got no answer from the API (the last: HTTP_502); amps doctor checks the way to it' });
    } finally {
      gateway.closeAllConnections();
      await new Promise((resolve) => gateway.close(resolve));
    }
  });

  it('a run of one device says so in the singular', async () => {
    const r = await amps(['push', 'battery', '--devices', '-', 'auto.balanced'], 'bat_load_000007\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\n1 device\b/);
    expect(r.stderr).not.toContain('1 devices');
  });

  it('rejects bad batch input in one line, exit 2, nothing sent', async () => {
    const dir = freshConfigDir();
    writeFileSync(join(dir, 'bad.csv'), 'name,target\nx,5%\n');
    const r = await amps(['push', 'battery', '--devices', join(dir, 'bad.csv'), 'charge']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs an id column');
    // A binary file given by mistake is said as that, not read as a CSV or ids.
    writeFileSync(join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x0a]));
    const binary = await amps(['push', 'battery', '--devices', join(dir, 'image.png'), 'charge']);
    expect([binary.code, binary.stderr.split('\n')[0]]).toEqual([2, 'amps: --devices holds binary data or text that is not UTF-8 (line 1), not a list of ids, a CSV or NDJSON']);
    // `amps devices` piped (tab-separated), or a CSV of ';': every line would be refused as an id.
    const table = await amps(['push', 'battery', '--devices', '-', 'charge'], 'bat_load_000001\tbattery\tvoltaro\nbat_load_000002\tbattery\tvoltaro\n');
    expect([table.code, table.stderr.trim().split('\n')]).toEqual([2, ['amps: --devices line 1 holds a tab: a table (as `amps devices` prints one piped), not a list of ids, a CSV or NDJSON', '  hint: take its first column: cut -f1 FILE | amps push … --devices -']]);
    const semicolons = await amps(['push', 'battery', '--devices', '-', 'charge'], 'id;target\nbat_load_000001;90%\n');
    expect([semicolons.code, semicolons.stderr.split('\n')[0]]).toEqual([2, "amps: --devices line 1 holds a ';', which no id does: a CSV separated by ';'? amps reads one separated by ','"]);
    expect((await amps(['push', 'battery', '--devices', '-', 'charge'], 'bat_load_000001;90%\n')).code).toBe(2);
    const commaInTable = await amps(['push', 'battery', '--devices', '-', 'charge'], 'bat_load_000001\tbattery\tHome 10, rev B\n');
    expect(commaInTable.stderr.split('\n')[0]).toContain('holds a tab');
    writeFileSync(join(dir, 'program'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0, 0, 0, 0x0a]));
    expect((await amps(['push', 'battery', '--devices', join(dir, 'program'), 'charge'])).code).toBe(2);
    expect((await amps(['push', 'battery', '--devices', '/no/such', 'charge'])).stderr).toContain('cannot read --devices');
    // An empty name (a script's unset variable) is said as that, not as a file called '' that is not there.
    for (const args of [['push', 'battery', '--devices', '', 'charge'], ['push', 'battery', '--devices', '-', 'charge', '--out', ''], ['decode', '']]) {
      const empty = await amps(args, 'bat_load_000001\n');
      expect([empty.code, empty.stderr.split('\n')[0]], args.join(' ')).toEqual([2, expect.stringMatching(/^amps: (--devices|--out|the response file) is given as an empty word, which names nothing$/)]);
    }
    expect((await amps(['push', 'solar-inverter', '--devices', '-', 'charge'], 'solar_sunpeak_01')).code).toBe(2);
    const noLedger = await amps(['push', 'battery', '--devices', '-', 'charge', '--out', '/no/such/dir/ledger.ndjson'], 'bat_load_000001');
    expect([noLedger.code, noLedger.stderr.trim()]).toEqual([2, 'amps: cannot write --out /no/such/dir/ledger.ndjson: no such file or directory (ENOENT)']);
    expect(posts()).toHaveLength(0);
  });

  it('the summary guides by the meaning the answer had: a manufacturer\'s INVALID_API_KEY is a re-link, not the API key', async () => {
    const dir = freshConfigDir();
    writeFileSync(join(dir, 'two.txt'), 'bat_load_000013\nbat_load_000014\n');
    const r = await amps(['push', 'battery', '--devices', join(dir, 'two.txt'), 'idle', '--simulate-failure', 'INVALID_API_KEY', '--json']);
    const summary = JSON.parse(r.stderr.trim().split('\n').at(-1)!).summary;
    expect(summary.outcomes).toEqual([expect.objectContaining({ code: 'INVALID_API_KEY', count: 2, exitCode: 3, guidance: 're-link the device' })]);
  });

  it('a device listed twice is sent once; the repeat is its own invalid_input line, naming the first', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    writeFileSync(join(dir, 'twice.txt'), 'bat_load_000011\nbat_load_000012\nbat_load_000011\n');
    const r = await amps(['push', 'battery', '--devices', join(dir, 'twice.txt'), 'idle', '--out', out]);
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(['bat_load_000011', 'bat_load_000012']);
    const lines = ledger(readFileSync(out, 'utf8'));
    expect(lines.map((l) => [l.line, l.id, l.outcome]).sort()).toEqual([[1, 'bat_load_000011', 'accepted'], [2, 'bat_load_000012', 'accepted'], [3, null, 'invalid_input']]);
    expect(lines.find((l) => l.line === 3)!.reason).toBe('line 3 lists bat_load_000011 again (first on line 1); it is sent once');
    expect(r.code).toBe(4);
  });

  it('input or flags refused before anything is sent leave no ledger in the way of the corrected run', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    writeFileSync(join(dir, 'good.txt'), 'bat_load_000001\n');
    for (const [name, content, flags] of [
      ['no-id.csv', 'name,target\nx,5%\n', []],
      ['twice.csv', 'id,id\nbat_load_000001,bat_load_000002\n', []],
      ['good.txt', null, ['--fail-fast', 'bogus']],
    ] as const) {
      if (content !== null) writeFileSync(join(dir, name), content);
      for (const source of ['file', 'stdin'] as const) {
        const input = source === 'file' ? join(dir, name) : '-';
        const r = await amps(['push', 'battery', '--devices', input, 'charge', ...flags, '--out', out], source === 'stdin' ? readFileSync(join(dir, name), 'utf8') : undefined);
        // One line, and its hint.
        expect([r.code, r.stderr.trim().split('\n').filter((line) => !line.startsWith('  hint: ')).length], `${name} from ${source}`).toEqual([2, 1]);
        expect(existsSync(out), `${name} from ${source}`).toBe(false);
      }
    }
    expect(posts()).toHaveLength(0);
    // A bare --fail-fast takes the word after it: the command there is named as what it was taken for.
    const swallowed = await amps(['push', 'battery', '--devices', join(dir, 'good.txt'), '--fail-fast', 'charge', '--out', out]);
    expect([swallowed.code, swallowed.stderr]).toEqual([2, expect.stringContaining("not 'charge'\n  hint: if 'charge' is the command: to stop at any failure, put --fail-fast where no word follows it (amps push TYPE --devices FILE charge --fail-fast)")]);
    // A misspelt class is only that.
    const misspelt = await amps(['push', 'battery', '--devices', join(dir, 'good.txt'), 'charge', '--fail-fast', 'Conflict', '--out', out]);
    expect([misspelt.code, misspelt.stderr]).toEqual([2, "amps: --fail-fast takes classes from usage, credentials, rejected, conflict, transient, offline, unclassified, not 'Conflict'\n"]);
    expect((await amps(['push', 'battery', '--devices', join(dir, 'good.txt'), 'charge', '--out', out])).code).toBe(0);
    expect(posts()).toHaveLength(1);
  });
});

describe('a batch at a terminal', () => {
  it('draws a progress bar with live counts, then the summary', async () => {
    const { runInTerminal } = await import('./helpers/pty.js');
    const file = join(freshConfigDir(), 'ids.txt');
    writeFileSync(file, `${loadIds(300).join('\n')}\n`);
    // Each push held 5 ms on its way: the run lasts 1.5 s or more, however fast the sandbox, so the
    // bar (redrawn every 200 ms) is drawn with its counts before the summary.
    const proxy = createServer((req, res) => {
      const forward = () => relayTo(sandbox.url, req, res);
      if (req.method === 'POST') setTimeout(forward, 5);
      else forward();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const term = runInTerminal(['push', 'battery', '--devices', file, 'auto.balanced', '--concurrency', '1'], { ...env, AMPS_API_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      expect(await term.exit).toBe(0);
      expect(term.text()).toMatch(/█*░*\s\d+% [\d,]+\/300 · accepted [\d,]+/);
      expect(term.text()).toMatch(/│ accepted +│ - +│ 300 /);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
