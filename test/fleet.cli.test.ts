import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { refusesEveryRead } from '../src/batch/follow.js';
import { fingerprintOf } from '../src/commands/push/resume.js';
import { OutcomeTally } from '../src/batch/report.js';
import { decodeError, invalidSuccess, transportError } from '../src/errors/decode.js';
import { BIN, freshConfigDir, runCli } from './helpers/cli.js';
import { relayTo, startTestSandbox, type TestSandbox, useSandbox } from './helpers/sandbox.js';

// Fleet runs to the end: following actions to what the devices did (list pages, not one GET per
// action), --verify, amps watch, --plan, waves with an abort rule, and resuming after a kill
// without sending any device twice. Against a sandbox whose generated devices fail at dispatch
// (10%) or complete without effect (10%).

// Following actions takes a few seconds of the sandbox's lifecycle a wave.
vi.setConfig({ testTimeout: 60_000 });

let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
const amps = (args: string[], input?: string) => runCli(args, { env, input, timeoutMs: 90_000 });
const loadIds = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `bat_load_${String(from + i).padStart(6, '0')}`);
const records = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const devices = (text: string) => records(text).filter((l) => typeof l.outcome === 'string');
const outcomes = (text: string) => records(text).filter((l) => typeof l.outcome === 'object').map((l) => l.outcome);
/** The ledger as its run would leave it crashing before its first device line: the run record alone. */
const cutToRunRecord = (ledger: string) => writeFileSync(ledger, `${JSON.stringify({ run: records(readFileSync(ledger, 'utf8'))[0].run })}\n`);
const posts = () => sandbox.requests.filter((r) => r.method === 'POST');

function fileOf(ids: string[]): { file: string; dir: string } {
  const dir = freshConfigDir();
  const file = join(dir, 'ids.txt');
  writeFileSync(file, `${ids.join('\n')}\n`);
  return { file, dir };
}

/** A run of `idle` to `ids` on a fresh sandbox, its ledger `earlier`, its actions done (so a later push to them is accepted, not a conflict). */
async function finishedIdleRun(ids: string[], apiClockBehindSeconds = 0): Promise<{ file: string; dir: string; earlier: string }> {
  // A reset sets the sandbox's clock right again: a clock put behind is put behind after it.
  await sandbox.call('POST', '/_sandbox/reset');
  if (apiClockBehindSeconds) await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: -apiClockBehindSeconds });
  const { file, dir } = fileOf(ids);
  const earlier = join(dir, 'earlier.ndjson');
  expect((await amps(['push', 'battery', '--devices', file, 'idle', '--out', earlier])).code).toBe(0);
  await actionsDone(ids);
  return { file, dir, earlier };
}

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The device a --verify read is for (`GET /battery/ID?expedite=true`), or undefined for any other request. */
const verifyReadOf = (req: IncomingMessage) => (req.method === 'GET' ? /^\/battery\/(bat_load_\d+)\?expedite=true$/.exec(req.url ?? '')?.[1] : undefined);

/**
 * A proxy in front of the sandbox: `intercept` may answer a request itself (true), leave it to the
 * sandbox (false), or leave it to the sandbox after that many milliseconds (a number). Its URL goes
 * in AMPS_API_URL; close() ends it and its connections.
 */
async function proxyToSandbox(intercept: (req: IncomingMessage, res: ServerResponse) => boolean | number): Promise<{ url: string; close(): Promise<void> }> {
  // Requests held back are dropped at close(), not relayed after the test has moved on.
  const held = new Set<NodeJS.Timeout>();
  const proxy = createServer((req, res) => {
    const taken = intercept(req, res);
    if (taken === true) return;
    const forward = () => relayTo(sandbox.url, req, res);
    if (taken === false) forward();
    else {
      const timer = setTimeout(() => {
        held.delete(timer);
        forward();
      }, taken);
      held.add(timer);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: async () => {
      for (const timer of held) clearTimeout(timer);
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** The ledger of a fleet push of `charge` to `ids`, sent and not followed: for watch to follow. */
async function pushedLedger(ids: string[]): Promise<string> {
  const { file, dir } = fileOf(ids);
  const out = join(dir, 'ledger.ndjson');
  expect((await amps(['push', 'battery', '--devices', file, 'charge', '--out', out, '--quiet'])).code).toBe(0);
  return out;
}

/** Once the sandbox has none of these devices' actions still acknowledged (each done, one way or another). */
async function actionsDone(ids: string[]): Promise<void> {
  for (;;) {
    const open = (await sandbox.call('GET', '/actions?state=acknowledged&limit=50')).body.data.items as Array<{ deviceId: string }>;
    if (!open.some((a) => ids.includes(a.deviceId))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A push to `ids`, its actions done, then `amps watch --verify` against `apiUrl` with a 1 s
 * --timeout and a 1.5 s wait: its second round (after 1 s) finds the actions completed and starts
 * their reads. How many were accepted, left pending and followed to an outcome.
 */
async function verifyingWatch(ids: string[], apiUrl: string, timeout = '1s'): Promise<{ accepted: number; pending: number; followed: number }> {
  const out = await pushedLedger(ids);
  await actionsDone(ids);
  const watched = await runCli(['watch', '--ledger', out, '--verify', '--timeout', timeout, '--wait-timeout', '1500ms', '--json'], { env: { ...env, AMPS_API_URL: apiUrl }, timeoutMs: 60_000 });
  const text = readFileSync(out, 'utf8');
  return {
    accepted: devices(text).filter((l) => l.outcome === 'accepted').length,
    pending: (JSON.parse(watched.stdout) as { pending: unknown[] }).pending.length,
    followed: outcomes(text).length,
  };
}

/** `amps ARGS` against `apiUrl`, sent `signal` (SIGINT) once `ready` settles: its exit code and output. */
async function interrupted(args: string[], apiUrl: string, ready: Promise<void>, signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, AMPS_API_URL: apiUrl } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    child[name].setEncoding('utf8');
    child[name].on('data', (d: string) => (output[name] += d));
  }
  await ready;
  child.kill(signal);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, ...output };
}

/** A proxy that holds every GET whose URL starts with `prefix` unanswered, and the promise of the first. */
async function holdingReads(prefix: string): Promise<{ proxy: Awaited<ReturnType<typeof proxyToSandbox>>; held: Promise<void> }> {
  let onHeld: () => void = () => {};
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const proxy = await proxyToSandbox((req) => {
    if (!(req.method === 'GET' && (req.url ?? '').startsWith(prefix))) return false;
    onHeld();
    return true;
  });
  return { proxy, held };
}

/**
 * On a reset sandbox, `idle` pushed to `ids`; then the ledger a crash right after the run's
 * horizon record would leave (no device line): a resume reads each device's actions before it sends.
 */
async function crashedAfterItsPushes(ids: string[]): Promise<{ dir: string; crashed: string }> {
  await sandbox.call('POST', '/_sandbox/reset');
  const { file, dir } = fileOf(ids);
  const earlier = join(dir, 'earlier.ndjson');
  expect((await amps(['push', 'battery', '--devices', file, 'idle', '--out', earlier])).code).toBe(0);
  const crashed = join(dir, 'crashed.ndjson');
  // A ledger of its own (its run record names it), cut as a crash cuts one.
  writeFileSync(crashed, `${JSON.stringify({ run: { ...records(readFileSync(earlier, 'utf8'))[0].run, ledger: crashed } })}\n${JSON.stringify({ horizon: 40 })}\n`);
  return { dir, crashed };
}

/** The ledger as if its run had gone through `url` (a fault proxy in front of the sandbox): a resume goes only where its run went. */
function ranThrough(ledger: string, url: string): void {
  const [first, ...rest] = readFileSync(ledger, 'utf8').split('\n');
  writeFileSync(ledger, [JSON.stringify({ run: { ...JSON.parse(first).run, api: url } }), ...rest].join('\n'));
}

/** A proxy answer: the key refused (401 INVALID_API_KEY), as when it is revoked mid-run. */
function refuseKey(res: ServerResponse): true {
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ success: false, error: { code: 'INVALID_API_KEY', message: 'Invalid API key' }, meta: { requestId: 'req_proxy' } }));
  return true;
}
/** A list of actions (`GET /actions?...`): what every follow round reads. */
const actionListOf = (req: IncomingMessage) => req.method === 'GET' && (req.url ?? '').startsWith('/actions?');

useSandbox({ fleetSize: 500, ackDelayMs: 200, failRate: 0.1, driftRate: 0.1, seed: 3 }, 'amps_sk_test_fleettests1', (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});

describe('--wait: a fleet followed to what the devices did', () => {
  it('writes each action\'s outcome into the ledger from list pages, with --verify finding drift', async () => {
    const ids = loadIds(120);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    const r = await amps(['push', 'battery', '--devices', file, 'charge', '--wait', '--verify', '--out', out, '--concurrency', '16']);
    const text = readFileSync(out, 'utf8');
    expect(records(text)[0].run).toMatchObject({ version: 1, command: 'push', inputs: { type: 'battery', command: 'charge' } });
    expect(devices(text).map((l) => l.id).sort()).toEqual(ids);
    const followed = outcomes(text);
    expect(followed).toHaveLength(120);
    // Each outcome is what the sandbox says the action did.
    const truth = new Map<string, { state: string; errorCode: string | null }>();
    for (let offset = 0; offset < 400; offset += 50) {
      for (const a of (await sandbox.call('GET', `/actions?limit=50&offset=${offset}`)).body.data.items) truth.set(a.id, a);
    }
    for (const o of followed) expect([o.state, o.errorCode]).toEqual([truth.get(o.actionId)!.state, truth.get(o.actionId)!.errorCode]);
    const failed = followed.filter((o) => o.state === 'failed');
    const drift = followed.filter((o) => o.effect === 'drift');
    expect(failed.length).toBeGreaterThan(3);
    expect(drift.length).toBeGreaterThan(3);
    expect(new Set(failed.map((o) => o.errorCode))).toEqual(new Set(['SCHEDULER_ACTIVE', 'DEVICE_OFFLINE', 'COMMAND_FAILED']));
    // The exit code is the most severe outcome (drift escalates: 8); the summary and rerun lines say what to do next.
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('What the devices did');
    expect(r.stderr).toContain(`grep '"errorCode":"SCHEDULER_ACTIVE"' ${out} | amps push battery charge --concurrency 16 --devices - --on-conflict cancel_and_replace`);
    // List pages, never one GET per action; one expedited read per completed device for --verify.
    const gets = sandbox.requests.filter((q) => q.method === 'GET');
    expect(gets.filter((q) => /^\/actions\/act_/.test(q.path))).toHaveLength(0);
    expect(gets.filter((q) => /^\/battery\/bat_load_\d+\?expedite=true$/.test(q.path))).toHaveLength(followed.filter((o) => o.state === 'completed').length);
    expect(gets.filter((q) => q.path.startsWith('/actions?')).length).toBeLessThan(60);
  });

  it('--verify: a device that cannot be read is that device\'s unknown effect, not the end of the follow', async () => {
    // A proxy in front of the sandbox refuses the first --verify read, and answers the second with
    // a success it cannot use (a live read of one odd device).
    let refused: string | undefined;
    let odd: string | undefined;
    const proxy = await proxyToSandbox((req, res) => {
      const device = verifyReadOf(req);
      if (device === undefined || odd !== undefined || device === refused) return false;
      if (refused === undefined) {
        refused = device;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: false, error: { code: 'DEVICE_NOT_FOUND', message: 'Device not found or access denied' }, meta: { requestId: 'req_proxy' } }));
      } else {
        odd = device;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: true, data: 'x', meta: { requestId: 'req_proxy' } }));
      }
      return true;
    });
    try {
      const ids = loadIds(30, 200);
      const { file, dir } = fileOf(ids);
      const out = join(dir, 'ledger.ndjson');
      const r = await runCli(['push', 'battery', '--devices', file, 'charge', '--wait', '--verify', '--out', out], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 90_000 });
      expect(refused).toBeDefined();
      const followed = outcomes(readFileSync(out, 'utf8'));
      // Every accepted action's outcome is in the ledger, the unreadable device's with its effect unknown.
      expect(followed.map((o) => o.id).sort()).toEqual(devices(readFileSync(out, 'utf8')).filter((l) => l.outcome === 'accepted').map((l) => l.id).sort());
      // Its check was asked for and not had: the read's failure class is its exit code (DEVICE_NOT_FOUND: 4).
      expect(followed.find((o) => o.id === refused)).toMatchObject({ state: 'completed', effect: null, exitCode: 4 });
      // An answer it cannot use (INVALID_RESPONSE: 8) is that device's too.
      expect(followed.find((o) => o.id === odd)).toMatchObject({ state: 'completed', effect: null, exitCode: 8 });
      expect(r.stderr).not.toContain('stopped following');
      expect(r.code).not.toBe(0);
      expect(records(readFileSync(out, 'utf8')).at(-1)).toHaveProperty('end');
      expect(r.stderr).toContain(`amps: could not read ${refused} to verify its effect (DEVICE_NOT_FOUND); its action completed, and its effect is recorded as unknown`);
      expect(r.stderr).toContain('What the devices did');
    } finally {
      await proxy.close();
    }
  });

  it('a follow the API stops (the key revoked after the sends) ends the run: an end record, what is pending, the failure\'s exit code', async () => {
    let refused = 0;
    const proxy = await proxyToSandbox((req, res) => actionListOf(req) && (refused++, refuseKey(res)));
    try {
      const { file, dir } = fileOf(loadIds(14, 260));
      const out = join(dir, 'ledger.ndjson');
      const r = await runCli(['push', 'battery', '--devices', file, 'charge', '--wait', '--out', out], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 60_000 });
      const text = readFileSync(out, 'utf8');
      const accepted = devices(text).filter((l) => l.outcome === 'accepted');
      expect(accepted.length).toBeGreaterThan(0);
      // One list page, refused and not retried (the key needs fixing): no round could be read.
      expect(refused).toBe(1);
      expect(outcomes(text)).toEqual([]);
      expect(r.code).toBe(3);
      expect(records(text).at(-1)).toMatchObject({ end: { exitCode: 3 } });
      expect(r.stderr).toContain('What the devices did');
      expect(r.stderr).toContain(`amps: stopped following on INVALID_API_KEY: ${accepted.length} action(s) left pending`);
      expect(r.stderr).toContain('not followed to the end (the follow stopped, below)');
      expect(r.stderr).toContain('✖ INVALID_API_KEY');
      expect(r.stderr).toContain(`Keep following: amps watch --ledger ${out}`);
    } finally {
      await proxy.close();
    }
  });

  it('--verify: a read refused for the key, not for its device, stops the follow once instead of a line per device', async () => {
    let refused = 0;
    const proxy = await proxyToSandbox((req, res) => verifyReadOf(req) !== undefined && (refused++, refuseKey(res)));
    try {
      const { file, dir } = fileOf(loadIds(14, 274));
      const out = join(dir, 'ledger.ndjson');
      const r = await runCli(['push', 'battery', '--devices', file, 'charge', '--wait', '--verify', '--concurrency', '4', '--out', out, '--json'], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 60_000 });
      const text = readFileSync(out, 'utf8');
      const accepted = devices(text).filter((l) => l.outcome === 'accepted');
      // At most one refused read per worker: none starts after the first refusal.
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThanOrEqual(4);
      expect(r.code).toBe(3);
      // Every accepted action is an outcome (those that failed, which need no read) or left pending.
      const followed = outcomes(text);
      expect(followed.every((o) => o.state !== 'completed')).toBe(true);
      const stopped = r.stderr.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.followStopped);
      expect(stopped).toMatchObject({ error: { code: 'INVALID_API_KEY', exitCode: 3 } });
      expect(followed.length + stopped.followStopped.pending).toBe(accepted.length);
      expect(records(text).at(-1)).toMatchObject({ end: { exitCode: 3 } });
    } finally {
      await proxy.close();
    }
  });

  it('Ctrl-C during the follow ends its list page in flight at once and asks no further one (the pushes\' client itself goes on)', async () => {
    let lists = 0;
    let onList: () => void = () => {};
    const listed = new Promise<void>((resolve) => (onList = resolve));
    // Every list page hangs: without Ctrl-C ending it, the run would wait out the 10-minute --timeout.
    const proxy = await proxyToSandbox((req) => {
      if (!actionListOf(req)) return false;
      lists++;
      onList();
      return true;
    });
    try {
      const { file, dir } = fileOf(loadIds(3, 346));
      const out = join(dir, 'ledger.ndjson');
      const push = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'charge', '--wait', '--timeout', '10m', '--out', out], { env: { ...env, AMPS_API_URL: proxy.url } as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      push.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      await listed;
      const asked = lists;
      push.kill('SIGINT');
      expect(await new Promise<number | null>((resolve) => push.on('close', resolve))).toBe(130);
      expect(lists).toBe(asked);
      // Every device was sent: the interruption is of the follow, not said to be of the sending.
      expect(records(readFileSync(out, 'utf8')).at(-1)).toMatchObject({ end: { exitCode: 130, stoppedBy: null } });
      expect(stderr).toContain(`amps: interrupted: following stops here; every device was sent, and the actions stand (amps watch --ledger ${out} follows them on)`);
      expect(stderr).not.toContain('sending nothing more');
    } finally {
      await proxy.close();
    }
  });

  it('a followed run\'s ledger or --json lines as --devices give each device once, though its outcome records name them again', async () => {
    const ids = loadIds(3, 386);
    const { file, dir } = fileOf(ids);
    const followed = join(dir, 'followed.ndjson');
    const run = await amps(['push', 'battery', '--devices', file, 'charge', '--wait', '--json', '--out', followed]);
    expect(outcomes(readFileSync(followed, 'utf8')).map((o) => o.id).sort()).toEqual(ids);
    sandbox.requests.length = 0;
    const again = join(dir, 'again.ndjson');
    await amps(['push', 'battery', '--devices', followed, 'idle', '--on-conflict', 'cancel_and_replace', '--out', again]);
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
    expect(devices(readFileSync(again, 'utf8')).map((l) => l.id).sort()).toEqual(ids);
    // Its --json lines too (device lines and outcome records, no run record): each device once, no repeat reported.
    const fromJson = await amps(['push', 'battery', '--devices', '-', 'idle', '--plan', '--json'], run.stdout);
    expect(JSON.parse(fromJson.stdout).plan.total).toBe(ids.length);
  });

  it('a run whose every device was refused follows nothing and shows no empty outcome table', async () => {
    const { file } = fileOf(['bat_gone_000001', 'bat_gone_000002']);
    const r = await amps(['push', 'battery', '--devices', file, 'charge', '--wait']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('DEVICE_NOT_FOUND');
    expect(r.stderr).not.toContain('What the devices did');
  });

  it('the rerun line fed from the ledger resolves the SCHEDULER_ACTIVE failures', async () => {
    const ids = loadIds(80);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'charge', '--wait', '--out', out]);
    const failed = outcomes(readFileSync(out, 'utf8')).filter((o) => o.errorCode === 'SCHEDULER_ACTIVE');
    expect(failed.length).toBeGreaterThan(0);
    const rerun = await amps(['push', 'battery', '--devices', '-', 'charge', '--on-conflict', 'cancel_and_replace', '--json'], readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('"errorCode":"SCHEDULER_ACTIVE"')).join('\n'));
    const again = devices(rerun.stdout);
    expect(again.every((l) => l.outcome === 'accepted')).toBe(true);
    expect(new Set(again.map((l) => l.id))).toEqual(new Set(failed.map((o) => o.id)));
  });
});

describe('which failed --verify reads stop the follow, and which are one device\'s', () => {
  const answer = (status: number, code: string) =>
    decodeError(status, { 'content-type': 'application/json' }, JSON.stringify({ success: false, error: { code, message: code }, meta: { requestId: 'req_1' } }));
  it('the platform refusing the key or its rate stops it; the device gone, its manufacturer, a timeout, an odd answer or a server error do not', () => {
    const cases: Array<[ReturnType<typeof answer>, boolean]> = [
      [answer(401, 'INVALID_API_KEY'), true],
      [answer(403, 'INSUFFICIENT_PERMISSIONS'), true],
      [answer(429, 'RATE_LIMIT_EXCEEDED'), true],
      [answer(403, 'SOMETHING_NEW'), true],
      [answer(429, 'SOMETHING_NEW'), true],
      [answer(404, 'DEVICE_NOT_FOUND'), false],
      [answer(401, 'INVALID_CREDENTIALS'), false],
      [answer(429, 'RATE_LIMITED'), false],
      [answer(404, 'SOMETHING_NEW'), false],
      [answer(500, 'INTERNAL_ERROR'), false],
      [answer(503, 'SOMETHING_NEW'), false],
      [transportError('timeout'), false],
      [invalidSuccess(200, 'data is not an object', 'req_1'), false],
    ];
    expect(cases.map(([decoded]) => [decoded.code, decoded.status, refusesEveryRead(decoded)])).toEqual(cases.map(([decoded, expected]) => [decoded.code, decoded.status, expected]));
  });
});

describe('the outcome tally', () => {
  it('keeps apart actions that differ only in their exit code: a completed action whose --verify read failed is not hidden by one that was read', () => {
    const tally = new OutcomeTally();
    const outcome = (n: number, exitCode: 0 | 3 | 8) => ({ id: `bat_${n}`, actionId: `act_${n}`, state: 'completed', errorCode: null, start: null, effect: null, exitCode, at: '2026-11-26T00:00:00.000Z' });
    tally.add(outcome(1, 0));
    tally.add(outcome(2, 8));
    tally.add(outcome(3, 3));
    tally.add(outcome(4, 8));
    expect([...tally.rows.values()].map((r) => [r.exitCode, r.count])).toEqual([[0, 1], [8, 2], [3, 1]]);
    expect(tally.exitCodes().sort()).toEqual([0, 3, 8]);
  });
});

describe('amps watch --ledger', () => {
  it('follows a finished run\'s actions, appends their outcomes, and --exit-status gives the most severe', async () => {
    const { file, dir } = fileOf(loadIds(60, 200));
    const out = join(dir, 'ledger.ndjson');
    const pushed = await amps(['push', 'battery', '--devices', file, 'charge', '--out', out, '--quiet']);
    expect(pushed.code).toBe(0);
    const watched = await amps(['watch', '--ledger', out, '--exit-status']);
    expect(watched.stderr).toContain('What the devices did');
    const followed = outcomes(readFileSync(out, 'utf8'));
    expect(followed).toHaveLength(60);
    const codes = new Set(followed.map((o) => o.errorCode));
    expect(watched.code).toBe(codes.has('COMMAND_FAILED') ? 4 : codes.has('SCHEDULER_ACTIVE') ? 5 : codes.has('DEVICE_OFFLINE') ? 7 : 0);
    // Nothing left to follow: a second watch sends no list request.
    sandbox.requests.length = 0;
    const again = await amps(['watch', '--ledger', out, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ pending: [], ended: true, requests: { list: 0, deviceReads: 0, rounds: 0 } });
  });

  it('--exit-status is the push\'s own exit code: a row refused locally (a bad value, a repeat) counts as 4 once anything was sent, as in the push', async () => {
    // A sandbox of its own, whose devices do what they are told: the only failures are the rows'.
    const own = await startTestSandbox();
    try {
      const ownEnv = { ...env, AMPS_API_URL: own.url };
      const dir = freshConfigDir();
      for (const [name, text] of [['values.csv', 'id,power\nbat_voltaro_01,2kw\nbat_voltaro_02,abc\n'], ['repeats.txt', 'bat_nimbus_02\nbat_helio_02\nbat_helio_02\n']]) {
        const out = join(dir, `${name}.ndjson`);
        writeFileSync(join(dir, name), text);
        const pushed = await runCli(['push', 'battery', '--devices', join(dir, name), 'charge', '--out', out, '--quiet'], { env: ownEnv });
        const watched = await runCli(['watch', '--ledger', out, '--exit-status'], { env: ownEnv, timeoutMs: 60_000 });
        expect([pushed.code, watched.code], name).toEqual([4, 4]);
      }
      // A run that stopped (Ctrl-C: devices never sent) is no success to its watch either: the push's own code counts.
      const out = join(dir, 'repeats.txt.ndjson');
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      writeFileSync(out, `${lines.map((l) => JSON.stringify(l.end ? { end: { ...l.end, exitCode: 130, stoppedBy: 'interrupt' } } : l)).join('\n')}\n`);
      expect((await runCli(['watch', '--ledger', out, '--exit-status'], { env: ownEnv, timeoutMs: 60_000 })).code).toBe(130);
    } finally {
      await own.close();
    }
  });

  it('its rerun lines send as the run did: the concurrency, retries and preflight its record holds', async () => {
    const { file, dir } = fileOf(loadIds(3, 494));
    const out = join(dir, 'ledger.ndjson');
    const pushed = await amps(['push', 'battery', '--devices', file, 'discharge', '--simulate-failure', 'DEVICE_OFFLINE', '--simulate-at', 'dispatch', '--concurrency', '2', '--retry', '1', '--out', out, '--quiet']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const watched = await amps(['watch', '--ledger', out]);
    expect(watched.stderr).toMatch(/\| amps push battery discharge --concurrency 2 --retry 1 --devices -$/m);
  });

  it('a scheduled run\'s actions that failed when they ran: the rerun line stands NEW_TIME in for the start that has passed, and says so', async () => {
    const own = await startTestSandbox();
    try {
      const ownEnv = { ...env, AMPS_API_URL: own.url };
      const { file, dir } = fileOf(['bat_voltaro_01', 'bat_voltaro_02']);
      const out = join(dir, 'ledger.ndjson');
      const pushed = await runCli(['push', 'battery', '--devices', file, 'discharge', '--at', '+10m', '--simulate-failure', 'DEVICE_OFFLINE', '--simulate-at', 'dispatch', '--out', out, '--quiet'], { env: ownEnv });
      expect(pushed.code, pushed.stderr).toBe(0);
      await own.advance(700);
      const watched = await runCli(['watch', '--ledger', out], { env: ownEnv, timeoutMs: 60_000 });
      expect(watched.stderr).toMatch(/Rerun just the devices that can still succeed with \(the run's start, \S+, has passed: put a new time in place of NEW_TIME\):\n {2}grep .*\| amps push battery discharge --at NEW_TIME --concurrency 8 --devices -$/m);
    } finally {
      await own.close();
    }
  });

  it('a resume shows the run\'s times in the run\'s zone, said to be the run\'s (no --tz was typed)', async () => {
    const { file, dir } = fileOf(loadIds(1, 426));
    const out = join(dir, 'ledger.ndjson');
    const pushed = await amps(['push', 'battery', '--devices', file, 'charge', '--at', '+3h', '--out', out]);
    expect(pushed.stderr).toMatch(/\(shown in \S+: the local zone\)/);
    cutToRunRecord(out);
    const resumed = await amps(['push', '--resume', out]);
    expect(resumed.stderr).toMatch(/\(shown in \S+: the run's \(its ledger\)\)/);
    expect(resumed.stderr).not.toContain(': --tz)');
  });

  it('a scheduled action missing from the lists before its start is kept pending, never taken as completed; another environment is refused', async () => {
    const { file, dir } = fileOf(loadIds(2, 416));
    const out = join(dir, 'ledger.ndjson');
    const pushed = await amps(['push', 'battery', '--devices', file, 'charge', '--at', '+3h', '--out', out, '--quiet']);
    expect(pushed.code, pushed.stderr).toBe(0);
    // A sandbox of the same environment that holds none of the run's actions.
    const other = await startTestSandbox();
    try {
      const watched = await runCli(['watch', '--ledger', out, '--wait-timeout', '2s', '--json'], { env: { ...env, AMPS_API_URL: other.url }, timeoutMs: 60_000 });
      expect(watched.code, watched.stderr).toBe(0);
      expect(JSON.parse(watched.stdout).pending).toHaveLength(2);
      expect(outcomes(readFileSync(out, 'utf8'))).toEqual([]);
    } finally {
      await other.close();
    }
    // The embedded sandbox is another environment than the run's (a test key's).
    const embedded = await runCli(['watch', '--ledger', out, '--wait-timeout', '2s'], { env: { ...env, AMPS_API_URL: undefined, AMPS_API_KEY: undefined }, timeoutMs: 60_000 });
    expect([embedded.code, embedded.stderr.split('\n')[0]]).toEqual([2, `amps: the ledger ${out} is of a run against the test environment, not embedded: its actions are not there to follow`]);
  });

  it('a follow the API stops ends with its report, what is pending, and the failure\'s exit code, --exit-status or not', async () => {
    const out = await pushedLedger(loadIds(12, 288));
    const proxy = await proxyToSandbox((req, res) => actionListOf(req) && refuseKey(res));
    try {
      const watched = await runCli(['watch', '--ledger', out], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 60_000 });
      expect(watched.code).toBe(3);
      expect(watched.stderr).toContain('What the devices did');
      expect(watched.stderr).toContain('amps: stopped following on INVALID_API_KEY: 12 action(s) left pending');
      expect(outcomes(readFileSync(out, 'utf8'))).toEqual([]);
      expect((await runCli(['watch', '--ledger', out, '--exit-status'], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 60_000 })).code).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  it('actions the API no longer holds (its data reset, another server) stay pending, said once, never recorded completed', async () => {
    const ids = loadIds(5, 300);
    const out = await pushedLedger(ids);
    await actionsDone(ids);
    await sandbox.call('POST', '/_sandbox/reset');
    // They were absent from the pending lists two rounds running: completed, exit 0.
    const watched = await amps(['watch', '--ledger', out, '--wait-timeout', '3s', '--exit-status', '--json']);
    expect(watched.code, watched.stderr).toBe(10);
    expect(JSON.parse(watched.stdout).pending).toHaveLength(5);
    expect(outcomes(readFileSync(out, 'utf8'))).toEqual([]);
    // Said once, as a JSON notice with --json (and as a line without).
    const said = watched.stderr.split('\n').filter((l) => l.includes('in none of the API\'s lists'));
    expect(said.map((l) => JSON.parse(l))).toEqual([{ notice: expect.stringContaining('5 action(s) are in none of the API\'s lists (pending, completed, failed, cancelled; read back to the run\'s start)') }]);
    const text = await amps(['watch', '--ledger', out, '--wait-timeout', '3s']);
    expect(text.stderr).toContain('amps: 5 action(s) are in none of the API\'s lists');
    // Actions the API does hold are found completed in its completed list, as before.
    const held = loadIds(4, 310);
    const heldLedger = await pushedLedger(held);
    await actionsDone(held);
    const found = await amps(['watch', '--ledger', heldLedger, '--wait-timeout', '10s', '--json']);
    expect(JSON.parse(found.stdout).pending).toEqual([]);
    expect(found.stderr).not.toContain('none of the API');
  });

  it('the round at the end of the wait records what it finds', async () => {
    const ids = loadIds(6, 340);
    const out = await pushedLedger(ids);
    await actionsDone(ids);
    // Rounds at 0 s and at the 1 s deadline: the second finds the actions done (absent twice).
    const watched = await amps(['watch', '--ledger', out, '--wait-timeout', '1s', '--json']);
    const accepted = devices(readFileSync(out, 'utf8')).filter((l) => l.outcome === 'accepted').length;
    expect(accepted).toBeGreaterThan(0);
    expect(JSON.parse(watched.stdout).pending).toEqual([]);
    expect(outcomes(readFileSync(out, 'utf8'))).toHaveLength(accepted);
  });

  it('--verify reads that hang start no more once the wait has ended: the rest stay pending', async () => {
    const read = new Set<string>();
    const proxy = await proxyToSandbox((req) => {
      const device = verifyReadOf(req);
      if (device === undefined) return false;
      read.add(device);
      return true;
    });
    try {
      // Each read hangs past the 1.5 s wait (a 2 s timeout): the first round finds every action
      // completed and starts eight reads; none starts after they hang past the wait's end.
      const { accepted, pending, followed } = await verifyingWatch(loadIds(10, 320), proxy.url, '2s');
      // Watch reads eight at once: those started before the wait ended, none after it; the others
      // are pending, not read in turn.
      expect(read.size).toBeGreaterThan(0);
      expect(read.size).toBeLessThanOrEqual(8);
      expect(accepted).toBeGreaterThan(read.size);
      expect(pending + followed).toBe(accepted);
      expect(pending).toBeGreaterThanOrEqual(accepted - read.size);
    } finally {
      await proxy.close();
    }
  });

  it('past the wait, --verify reads that answer slowly start only within one --timeout: the rest stay pending', async () => {
    const read = new Set<string>();
    // Every live read answers after 700 ms, that the device is offline (an answer, not a hang).
    const proxy = await proxyToSandbox((req, res) => {
      const device = verifyReadOf(req);
      if (device === undefined) return false;
      read.add(device);
      setTimeout(() => {
        res.writeHead(410, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: false, error: { code: 'DEVICE_OFFLINE', message: 'Device is offline' }, meta: { requestId: 'req_proxy' } }));
      }, 700);
      return true;
    });
    try {
      // Eight at a time from the second round, until 1.5 s + 1 s: about three batches.
      const { accepted, pending, followed } = await verifyingWatch(loadIds(40, 140), proxy.url);
      expect(accepted).toBeGreaterThan(32);
      expect(read.size).toBeGreaterThan(0);
      expect(read.size).toBeLessThanOrEqual(32);
      expect(pending + followed).toBe(accepted);
    } finally {
      await proxy.close();
    }
  });

  it('a round past the wait asks no list page after one more --timeout; what the failed list gave is recorded', async () => {
    let lists = 0;
    // Every list page is answered after 1 s: a round of four pages takes 4 s.
    const proxy = await proxyToSandbox((req) => {
      if (!actionListOf(req)) return false;
      lists++;
      return 1000;
    });
    try {
      const ids = loadIds(30, 180);
      const out = await pushedLedger(ids);
      await actionsDone(ids);
      // The wait ends at 1 s, its grace (--timeout) at 3 s: the round's third page (failed) starts
      // before, its fourth (cancelled) after 3 s, and is not asked.
      const watched = await runCli(['watch', '--ledger', out, '--timeout', '2s', '--wait-timeout', '1s', '--json'], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 60_000 });
      expect(lists).toBe(3);
      const text = readFileSync(out, 'utf8');
      const failed = (await sandbox.call('GET', '/actions?state=failed&limit=50')).body.data.items.filter((a: { deviceId: string }) => ids.includes(a.deviceId)).length;
      expect(failed).toBeGreaterThan(0);
      // The failed list was read whole: those outcomes are known and recorded, the rest pending.
      expect(outcomes(text).map((o) => o.state)).toEqual(Array(failed).fill('failed'));
      expect(JSON.parse(watched.stdout).pending.length + failed).toBe(devices(text).filter((l) => l.outcome === 'accepted').length);
    } finally {
      await proxy.close();
    }
  });

  it('Ctrl-C while a list page hangs is an interruption, not a stopped follow', async () => {
    let onList: () => void = () => {};
    const listed = new Promise<void>((resolve) => (onList = resolve));
    const proxy = await proxyToSandbox((req) => {
      if (!actionListOf(req)) return false;
      onList();
      return true;
    });
    try {
      const out = await pushedLedger(loadIds(4, 330));
      const { code, stderr } = await interrupted(['watch', '--ledger', out, '--timeout', '1s'], proxy.url, listed);
      expect(code).toBe(130);
      expect(stderr).not.toContain('stopped following');
      expect(stderr).toContain(`not followed to the end (interrupted): follow with amps watch --ledger ${out}`);
    } finally {
      await proxy.close();
    }
  });

  it('Ctrl-C during a --verify read leaves that action pending, not lost', async () => {
    // A proxy in front of the sandbox holds every --verify read unanswered.
    let held: string | undefined;
    let onHeld: () => void = () => {};
    const heldRead = new Promise<void>((resolve) => (onHeld = resolve));
    const proxy = await proxyToSandbox((req) => {
      const device = verifyReadOf(req);
      if (device === undefined) return false;
      held ??= device;
      onHeld();
      return true;
    });
    try {
      const ids = loadIds(20, 240);
      const out = await pushedLedger(ids);
      const { code, stdout } = await interrupted(['watch', '--ledger', out, '--verify', '--json'], proxy.url, heldRead);
      expect(code).toBe(130);
      const report = JSON.parse(stdout) as { pending: Array<{ id: string }>; actions: Array<{ count: number }> };
      // The held device is still pending; every device is either an outcome or pending.
      expect(report.pending.map((p) => p.id)).toContain(held);
      const outcomesWritten = outcomes(readFileSync(out, 'utf8')).length;
      expect(outcomesWritten + report.pending.length).toBe(devices(readFileSync(out, 'utf8')).filter((l) => l.outcome === 'accepted').length);
    } finally {
      await proxy.close();
    }
  });

  it('follows a run still being written, until its end record', async () => {
    const { file, dir } = fileOf(loadIds(100, 300));
    const out = join(dir, 'ledger.ndjson');
    const push = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'auto.balanced', '--out', out, '--concurrency', '2'], { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
    const pushed = new Promise((resolve) => push.on('close', resolve));
    await waitUntil(() => posts().length >= 5);
    const watched = await amps(['watch', '--ledger', out, '--json']);
    expect(await pushed).toBe(0);
    expect(JSON.parse(watched.stdout)).toMatchObject({ ended: true, pending: [] });
    const counted = JSON.parse(watched.stdout).actions.reduce((n: number, a: { count: number }) => n + a.count, 0);
    expect(counted).toBe(100);
    // Once the end record came, the ledger took every outcome, those followed before it included: the rerun lines' grep finds them.
    const recorded = outcomes(readFileSync(out, 'utf8')).map((o) => o.actionId);
    expect(new Set(recorded).size).toBe(100);
    expect(recorded).toHaveLength(100);
  });

  it('watching a run that follows with --wait itself appends no outcome it wrote', async () => {
    const { file, dir } = fileOf(loadIds(20, 430));
    const out = join(dir, 'ledger.ndjson');
    const push = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'auto.balanced', '--out', out, '--concurrency', '1', '--wait'], { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
    const pushed = new Promise((resolve) => push.on('close', resolve));
    await waitUntil(() => existsSync(out) && devices(readFileSync(out, 'utf8')).length >= 2);
    const watched = await amps(['watch', '--ledger', out, '--json']);
    // (Some of the sandbox's generated devices fail at dispatch: the push's code is theirs.)
    await pushed;
    expect(JSON.parse(watched.stdout)).toMatchObject({ ended: true, writerGone: false, pending: [] });
    const recorded = outcomes(readFileSync(out, 'utf8')).map((o) => o.actionId);
    expect(recorded).toHaveLength(20);
    expect(new Set(recorded).size).toBe(20);
  });

  it('four watches of one ledger at once write each outcome once between them', async () => {
    const ids = loadIds(40, 460);
    const out = await pushedLedger(ids);
    const accepted = devices(readFileSync(out, 'utf8')).filter((l) => l.outcome === 'accepted').length;
    const watches = await Promise.all(Array.from({ length: 4 }, () => runCli(['watch', '--ledger', out, '--json'], { env, timeoutMs: 60_000 })));
    for (const w of watches) expect(JSON.parse(w.stdout)).toMatchObject({ pending: [], outcomesNotAppended: null });
    const recorded = outcomes(readFileSync(out, 'utf8')).map((o) => o.actionId);
    expect(recorded).toHaveLength(accepted);
    expect(new Set(recorded).size).toBe(accepted);
    expect(existsSync(`${out}.outcomes-lock`)).toBe(false);
  });

  it('a run killed before its end record: watch follows what it sent and ends, rather than wait the whole wait for the end', async () => {
    const { file, dir } = fileOf(loadIds(100, 450));
    const out = join(dir, 'ledger.ndjson');
    const push = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'auto.balanced', '--out', out, '--concurrency', '1'], { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
    const killed = new Promise((resolve) => push.on('close', resolve));
    await waitUntil(() => existsSync(out) && devices(readFileSync(out, 'utf8')).length >= 3);
    push.kill('SIGKILL');
    await killed;
    const sent = devices(readFileSync(out, 'utf8')).filter((l) => l.outcome === 'accepted').length;
    // A wait of ten minutes: the test's own limit (60 s) fails it if watch waits for the end record.
    const watched = await runCli(['watch', '--ledger', out, '--json', '--wait-timeout', '10m'], { env, timeoutMs: 50_000 });
    expect(watched.code).toBe(0);
    const report = JSON.parse(watched.stdout);
    expect(report).toMatchObject({ ended: false, writerGone: true, pending: [] });
    expect(report.actions.reduce((n: number, a: { count: number }) => n + a.count, 0)).toBe(sent);
    // A ledger with no end record is its resume's to continue: nothing is appended to it.
    expect(outcomes(readFileSync(out, 'utf8'))).toHaveLength(0);
    // --exit-status: the run stopped as an interrupted one, most of its devices never sent; it exited 0.
    const status = await runCli(['watch', '--ledger', out, '--json', '--exit-status', '--wait-timeout', '10m'], { env, timeoutMs: 50_000 });
    expect([status.code, JSON.parse(status.stdout).writerGone]).toEqual([130, true]);
    const text = await runCli(['watch', '--ledger', out, '--wait-timeout', '10m'], { env, timeoutMs: 50_000 });
    expect(text.stderr).toContain(`The run that wrote ${out} stopped without ending it (its process is gone): amps push --resume ${out} sends the rest, no device twice.`);
    // Once resumed, that resume's ledger is the one to follow (a second resume of this one is refused).
    expect((await amps(['push', '--resume', out, '--quiet'])).code).not.toBe(1);
    const after = await runCli(['watch', '--ledger', out, '--wait-timeout', '10m'], { env, timeoutMs: 50_000 });
    const resumed = join(dir, 'ledger.resumed.ndjson');
    expect(after.stderr).toContain(`The run that wrote ${out} stopped without ending it (its process is gone): it was resumed into ${resumed}, which amps watch --ledger ${resumed} follows.`);
    expect(JSON.parse((await runCli(['watch', '--ledger', out, '--json', '--wait-timeout', '10m'], { env, timeoutMs: 50_000 })).stdout).resumedInto).toBe(resumed);
  });

  it('a run killed with its actions still pending when the wait ends: watch says the run is gone, not that it had not ended', async () => {
    const { file, dir } = fileOf(loadIds(3, 427));
    const out = join(dir, 'ledger.ndjson');
    // The third push held on its way: the run is killed with two scheduled actions sent.
    let posted = 0;
    const proxy = await proxyToSandbox((req) => (req.method === 'POST' && ++posted === 3 ? 60_000 : false));
    try {
      const push = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'charge', '--at', '+3h', '--out', out, '--concurrency', '1'], { env: { ...env, AMPS_API_URL: proxy.url } as NodeJS.ProcessEnv, stdio: 'ignore' });
      const killed = new Promise((resolve) => push.on('close', resolve));
      await waitUntil(() => existsSync(out) && devices(readFileSync(out, 'utf8')).length >= 2);
      push.kill('SIGKILL');
      await killed;
    } finally {
      await proxy.close();
    }
    const watched = await runCli(['watch', '--ledger', out, '--json', '--wait-timeout', '1s'], { env, timeoutMs: 50_000 });
    const report = JSON.parse(watched.stdout);
    expect(report).toMatchObject({ ended: false, writerGone: true, resumedInto: null });
    expect(report.pending.length).toBeGreaterThan(0);
    const text = await runCli(['watch', '--ledger', out, '--wait-timeout', '1s'], { env, timeoutMs: 50_000 });
    expect(text.stderr).toContain(`The run that wrote ${out} stopped without ending it (its process is gone): amps push --resume ${out} sends the rest, no device twice.`);
  });

  it('a run that ended and was resumed: watch names the resume\'s ledger, and appends nothing to the one it continues', async () => {
    const { file, dir } = fileOf([...loadIds(2, 441), 'nope', ...loadIds(2, 443)]);
    const out = join(dir, 'ledger.ndjson');
    expect((await amps(['push', 'battery', '--devices', file, 'idle', '--fail-fast', '--concurrency', '1', '--out', out])).code).toBe(4);
    const resumed = await amps(['push', '--resume', out]);
    expect(resumed.code).toBe(4);
    const before = readFileSync(out, 'utf8');
    const watched = await runCli(['watch', '--ledger', out, '--json', '--wait-timeout', '10s'], { env, timeoutMs: 50_000 });
    expect([watched.code, JSON.parse(watched.stdout)]).toEqual([0, expect.objectContaining({ ended: true, resumedInto: `${out.replace(/\.ndjson$/, '')}.resumed.ndjson` })]);
    expect(readFileSync(out, 'utf8')).toBe(before);
    const text = await runCli(['watch', '--ledger', out, '--wait-timeout', '10s'], { env, timeoutMs: 50_000 });
    expect(text.stderr).toContain(`The run of ${out} was resumed into ${out.replace(/\.ndjson$/, '')}.resumed.ndjson, which amps watch --ledger`);
  });

  it('refuses what is not a ledger in one line, exit 2, nothing sent', async () => {
    const dir = freshConfigDir();
    const run = {
      version: 1, command: 'push', inputs: { type: 'battery', command: 'charge', quantities: {} }, fingerprint: 'x',
      times: { start: null, end: null, zone: 'UTC' }, devices: join(dir, 'devices.txt'), startedAt: new Date().toISOString(), concurrency: 8, environment: 'test', resumedFrom: null,
    };
    // The shape a run records (the flags that shaped how it sent and followed), whole and valid.
    const SHAPE = { wait: false, verify: false, waitTimeout: null, waves: null, abortIf: null, canaryPerModel: false, failFast: null, retry: null, preflight: true, timeoutMs: null };
    const cases: Array<[string, string]> = [
      ['garbage', 'garbage\nmore garbage\n'],
      ['stdout', `${JSON.stringify({ id: 'bat_1', outcome: 'accepted' })}\n`],
      ['other', `${JSON.stringify({ run: { version: 1, command: 'settings', inputs: {}, fingerprint: 'x' } })}\n`],
      ['newer', `${JSON.stringify({ run: { version: 99, command: 'push', inputs: {}, fingerprint: 'x' } })}\n`],
      ['damaged', `${JSON.stringify({ run })}\n{"id": "bat_lo\n{"id":"b","outcome":"accepted"}\n`],
      // Each field of the run record that resume and watch read, damaged in turn.
      ...([['times', null], ['times', { start: 'soon', end: null, zone: 'UTC' }], ['startedAt', 'yesterday'], ['devices', 7], ['concurrency', 0], ['concurrency', 100_000], ['inputs', { type: 'battery', command: 'charge', quantities: { target: 90 } }],
        // How the run sent, which a resume restores: each out of its flag's range or type.
        ...[{ failFast: 7 }, { failFast: {} }, { retry: -5 }, { retry: 1.5 }, { timeoutMs: 'abc' }, { timeoutMs: 1e15 }, { preflight: 'no' }].map((bad) => ['shape', { ...SHAPE, ...bad }] as const)] as const)
        .map(([field, value]): [string, string] => [`run.${field}=${JSON.stringify(value)}`.replace(/\W+/g, '_'), `${JSON.stringify({ run: { ...run, [field]: value } })}\n`]),
    ];
    for (const [name, content] of cases) writeFileSync(join(dir, name), content);
    // Not files at all: a directory, and a FIFO (which must not hold amps waiting for a writer).
    mkdirSync(join(dir, 'directory'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    for (const name of [...cases.map(([n]) => n), 'directory', 'fifo']) {
      for (const args of [['watch', '--ledger', join(dir, name)], ['push', '--resume', join(dir, name), '--out', join(dir, `${name}.out`)]]) {
        const r = await amps(args);
        expect(r.code, `${name}: ${args[0]}`).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr, name).toMatch(/amps: the ledger .* (is not an amps ledger|has no run record|newer amps|is damaged|not the ledger of an amps push)/);
      }
    }
    expect(posts()).toHaveLength(0);
  });
});

describe('--out that is a FIFO', () => {
  it('with no reader is refused at once (it held the run, and Ctrl-C and SIGTERM with it); with one it is written', async () => {
    const { file, dir } = fileOf(loadIds(2, 406));
    const fifo = join(dir, 'ledger.fifo');
    execFileSync('mkfifo', [fifo]);
    sandbox.requests.length = 0;
    const alone = await runCli(['push', 'battery', '--devices', file, 'idle', '--out', fifo], { env, timeoutMs: 20_000 });
    expect([alone.code, alone.stderr.split('\n')[0]]).toEqual([2, `amps: --out ${fifo} is a FIFO no process reads: the run would wait for one before sending anything`]);
    expect(posts()).toHaveLength(0);
    // A reader that says when it has the FIFO open (read-write, so it never waits for a writer nor
    // reads an end before one came), then copies it out up to the run's end record.
    const script = `const fs=require('fs'),net=require('net');const fd=fs.openSync(process.argv[1],'r+');process.stderr.write('open\\n');let t='';new net.Socket({fd,readable:true,writable:false}).on('data',(d)=>{t+=d;if(t.includes('{"end":')){process.stdout.write(t,()=>process.exit(0));}})`;
    const reader = spawn(process.execPath, ['-e', script, fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
    let read = '';
    reader.stdout!.on('data', (d) => (read += d));
    const closed = new Promise((resolve) => reader.once('close', resolve));
    await new Promise((resolve) => reader.stderr!.once('data', resolve));
    const withReader = await runCli(['push', 'battery', '--devices', file, 'idle', '--out', fifo], { env, timeoutMs: 20_000 });
    await closed;
    expect(withReader.code, withReader.stderr).toBe(0);
    expect(devices(read).map((l) => l.id).sort()).toEqual(loadIds(2, 406));
  });
});

describe('--plan', () => {
  it('predicts from list pages and sends nothing', async () => {
    await sandbox.call('POST', '/battery/bat_load_000002', { action: { command: 'charge', start: '2h' } });
    sandbox.requests.length = 0;
    const input = ['bat_load_000001', 'bat_load_000002', 'bat_kestrel_01', 'bat_helio_02', 'nope_1', '..'].join('\n');
    const r = await amps(['push', 'battery', '--devices', '-', 'charge', '--target', '95%', '--plan', '--json'], input);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).plan).toMatchObject({
      total: 6,
      predictions: { accepted: 1, conflict_resolvable: 1, preflight_failed: 1, stale: 1, not_found: 1, invalid_input: 1 },
      preflightCodes: { PARAMETER_OUT_OF_RANGE: 1 },
    });
    expect(posts()).toHaveLength(0);
    expect(sandbox.requests.every((q) => q.path.startsWith('/battery?'))).toBe(true);
    // In text, what it cannot predict is said.
    const text = await amps(['push', 'battery', '--devices', '-', 'charge', '--target', '95%', '--plan'], input);
    expect(text.stderr).toContain('What list pages do not show is not predicted: a manufacturer\'s own schedule (SCHEDULER_ACTIVE), an override on the device (MODE_OVERRIDDEN), a program\'s lock (VPP_LOCKED).');
  });

  it('--on-conflict queue_after: an action in the way with no end is predicted as the run meets it, not resolved', async () => {
    await sandbox.call('POST', '/_sandbox/reset');
    // Open-ended (a start, no end) on one, a window on the other; both devices take both strategies.
    await sandbox.call('POST', '/battery/bat_voltaro_02', { action: { command: 'charge', start: '2h' } });
    await sandbox.call('POST', '/battery/bat_kestrel_02', { action: { command: 'charge', start: '2h', end: '3h' } });
    // A window, and an open-ended action queued after it: the read shows the window alone.
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '2h', end: '3h' } });
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'idle' }, onConflict: 'queue_after' });
    // A window, and another window queued after it: the action behind is read, and has an end.
    await sandbox.call('POST', '/battery/bat_kestrel_01', { action: { command: 'charge', start: '2h', end: '3h' } });
    await sandbox.call('POST', '/battery/bat_kestrel_01', { action: { command: 'charge', start: '2h', end: '3h' }, onConflict: 'queue_after' });
    sandbox.requests.length = 0;
    const { file, dir } = fileOf(['bat_voltaro_02', 'bat_kestrel_02', 'bat_voltaro_01', 'bat_kestrel_01']);
    const plan = await amps(['push', 'battery', '--devices', file, 'idle', '--on-conflict', 'queue_after', '--plan', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).plan.predictions).toEqual({ conflict_resolvable: 2, conflict_resolved: 2 });
    expect(posts()).toHaveLength(0);
    // One read of an action for each device with one queued behind the shown one, no more.
    expect(sandbox.requests.filter((q) => q.path.startsWith('/actions/')).length).toBe(2);
    // The summary counts the two kinds of read apart.
    const pages = sandbox.requests.filter((q) => q.path.startsWith('/battery?')).length;
    expect(JSON.parse(plan.stdout).plan).toMatchObject({ listPages: pages, actionReads: 2, requests: pages + 2 });
    const text = await amps(['push', 'battery', '--devices', file, 'idle', '--on-conflict', 'queue_after', '--plan']);
    expect(text.stderr).toContain(`4 device(s) of battery, from ${pages} list page(s) and 2 action read(s); nothing was sent.`);
    // A body that fails the preflight fails it whatever the action behind says: nothing to read.
    const refused = await amps(['push', 'battery', '--devices', file, 'charge', '--target', '101%', '--on-conflict', 'queue_after', '--plan', '--json']);
    expect(JSON.parse(refused.stdout).plan).toMatchObject({ predictions: { preflight_failed: 4 }, actionReads: 0 });
    // The run meets what the plan said: the open-ended one is a conflict, the window is queued after.
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--on-conflict', 'queue_after', '--out', out]);
    const byId = Object.fromEntries(devices(readFileSync(out, 'utf8')).map((l) => [l.id, l.outcome]));
    expect(byId).toEqual({ bat_voltaro_02: 'conflict', bat_kestrel_02: 'accepted', bat_voltaro_01: 'conflict', bat_kestrel_01: 'accepted' });
    await sandbox.call('POST', '/_sandbox/reset');
  });

  it('says which instant a time typed without a zone means, and a daylight-saving gap, as the run would before it sends', async () => {
    const text = await amps(['push', 'battery', '--devices', '-', 'charge', '--at', '22:00', '--tz', 'Europe/London', '--plan'], 'bat_voltaro_01\n');
    expect([text.code, text.stderr]).toEqual([0, expect.stringMatching(/^start \d{4}-\d{2}-\d{2} 22:00 Europe\/London \(\S+Z\)\n\(times typed without a zone are read in Europe\/London: --tz\)\n/)]);
    const gap = await amps(['push', 'battery', '--devices', '-', 'charge', '--at', '2027-03-28T01:30', '--tz', 'Europe/London', '--plan', '--json'], 'bat_voltaro_01\n');
    expect(gap.stderr.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ notice: '--at: 2027-03-28 01:30 Europe/London does not exist (the clocks go forward then); using 2027-03-28 02:30 Europe/London (01:30Z)' }]);
  });

  it('Ctrl-C ends the list page in flight at once: 130, nothing sent', async () => {
    const { proxy, held } = await holdingReads('/battery?');
    try {
      const { file } = fileOf(loadIds(3, 120));
      const r = await interrupted(['push', 'battery', '--devices', file, 'charge', '--plan', '--timeout', '10m'], proxy.url, held);
      expect([r.code, r.stderr.trim()]).toEqual([130, 'interrupted']);
      expect(posts()).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('--waves', () => {
  it('sends wave by wave, each after the one before has finished, and --abort-if stops the rollout', async () => {
    const ids = loadIds(100, 100);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    const r = await amps(['push', 'battery', '--devices', file, 'auto.balanced', '--waves', '10%,100%', '--abort-if', 'rejected+offline>1%', '--out', out]);
    const lines = devices(readFileSync(out, 'utf8'));
    expect(lines.map((l) => l.id).sort()).toEqual(ids);
    const sent = lines.filter((l) => l.outcome !== 'not_sent');
    const failedFirst = outcomes(readFileSync(out, 'utf8')).filter((o) => ['COMMAND_FAILED', 'DEVICE_OFFLINE'].includes(o.errorCode));
    if (failedFirst.length > 0) {
      // The first wave broke the rule: the rest were never sent.
      expect(sent).toHaveLength(10);
      expect(r.stderr).toContain('wave 1 broke --abort-if rejected+offline>1%');
      expect(lines.filter((l) => l.outcome === 'not_sent')).toHaveLength(90);
    } else {
      expect(sent).toHaveLength(100);
    }
    expect(posts().length).toBe(sent.length);
    // The second wave's pushes came only after every action of the first was terminal.
    if (sent.length > 10) {
      const firstWave = new Set(posts().slice(0, 10).map((p) => p.path.split('/')[2]));
      const secondStarted = sandbox.requests.findIndex((q) => q.method === 'POST' && !firstWave.has(q.path.split('/')[2]));
      const lastListBefore = sandbox.requests.slice(0, secondStarted).filter((q) => q.path.startsWith('/actions?state=acknowledged'));
      expect(lastListBefore.length).toBeGreaterThan(0);
    }
  });

  it('a follow the API stops in the first of three waves stops the rollout: every device once, an end record, the failure\'s exit code', async () => {
    const proxy = await proxyToSandbox((req, res) => actionListOf(req) && refuseKey(res));
    try {
      const ids = loadIds(20, 360);
      const { file, dir } = fileOf(ids);
      const out = join(dir, 'ledger.ndjson');
      // Two at a time: the second wave's boundary lies well past the rows the workers took before the stop.
      const r = await runCli(['push', 'battery', '--devices', file, 'auto.balanced', '--waves', '10%,50%,100%', '--concurrency', '2', '--out', out], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 60_000 });
      const text = readFileSync(out, 'utf8');
      expect(devices(text).map((l) => l.id).sort()).toEqual(ids);
      // The first wave was sent and its follow stopped: the rest never went out.
      expect(devices(text).filter((l) => l.outcome === 'not_sent')).toHaveLength(18);
      expect(records(text).at(-1)).toMatchObject({ end: { exitCode: 3, stoppedBy: 'rollout_stopped' } });
      expect(r.code).toBe(3);
      expect(r.stderr).not.toContain('going on');
      expect(r.stderr).toContain('amps: stopped following on INVALID_API_KEY');
    } finally {
      await proxy.close();
    }
  });

  it('a rollout stopped by a wave still pending at --wait-timeout does not wait a second time', async () => {
    const ids = loadIds(4, 1);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    // Actions acknowledged and then held for ten minutes.
    const slow = await startTestSandbox({ fleetSize: 4, ackDelayMs: 600_000 });
    try {
      const r = await runCli(['push', 'battery', '--devices', file, 'charge', '--waves', '50%,100%', '--wait-timeout', '1s', '--out', out], { env: { ...env, AMPS_API_URL: slow.url }, timeoutMs: 60_000 });
      const text = readFileSync(out, 'utf8');
      expect(devices(text).map((l) => l.id).sort()).toEqual(ids);
      expect(records(text).at(-1)).toMatchObject({ end: { exitCode: 10, stoppedBy: 'rollout_stopped' } });
      // The first wave was followed to its deadline already: no second follow of it.
      expect(r.stderr).not.toContain('Following');
      expect(r.stderr).toContain('still pending when the wait ended');
    } finally {
      await slow.close();
    }
  });

  it('waves with a start (--at, --start) are refused before anything is sent: every later wave would start in the past', async () => {
    const { file, dir } = fileOf(loadIds(4, 334));
    sandbox.requests.length = 0;
    for (const times of [['--at', '+2h'], ['--start', '+1h', '--end', '+3h']]) {
      const r = await amps(['push', 'battery', '--devices', file, 'charge', ...times, '--waves', '50%,100%', '--out', join(dir, `${times[0]}.ndjson`)]);
      expect([r.code, r.stderr.split('\n')[0]], times.join(' ')).toEqual([2, 'amps: --waves judges each wave by what its devices did before sending the next, so with a start (--at, --start) every wave after the first would be sent past it (START_IN_PAST)']);
    }
    expect(posts()).toHaveLength(0);
  });

  it('--canary-per-model puts a device of every model in the first wave', async () => {
    const rows = ['bat_load_000001', 'bat_load_000002', 'bat_load_000003', 'bat_voltaro_01', 'bat_helio_01', 'bat_kestrel_01', 'bat_ampere_02'];
    const { file, dir } = fileOf(rows);
    const out = join(dir, 'ledger.ndjson');
    const r = await amps(['push', 'battery', '--devices', file, 'idle', '--waves', '10%,100%', '--canary-per-model', '--abort-if', 'usage>0', '--out', out]);
    expect(r.code).not.toBe(1);
    const firstWave = posts().slice(0, 4).map((p) => p.path.split('/')[2]);
    expect(new Set(firstWave)).toEqual(new Set(['bat_load_000001', 'bat_helio_01', 'bat_kestrel_01', 'bat_ampere_02']));
  });

  it('--canary-per-model with more models than the first wave holds: the waves after it are still sent and judged one by one', async () => {
    // 10 devices of 4 models, waves 10%,30%,60%,100%: the canaries fill waves 1 and 2 (4 devices),
    // then 2 more (to 60%), then the last 4. The waves after the canaries' must not merge into one.
    const rows = ['bat_load_000001', 'bat_load_000002', 'bat_load_000003', 'bat_voltaro_01', 'bat_helio_01', 'bat_kestrel_01', 'bat_ampere_02', 'bat_load_000004', 'bat_load_000005', 'bat_load_000006'];
    const { file, dir } = fileOf(rows);
    const out = join(dir, 'ledger.ndjson');
    const r = await amps(['push', 'battery', '--devices', file, 'idle', '--waves', '10%,30%,60%,100%', '--canary-per-model', '--out', out]);
    expect(r.code).not.toBe(1);
    const waveLines = r.stderr.split('\n').filter((line) => line.startsWith('Wave '));
    expect(waveLines).toEqual(['Wave 1 of 3: 4 device(s) done; going on.', 'Wave 2 of 3: 2 device(s) done; going on.']);
    expect(devices(readFileSync(out, 'utf8')).map((l) => l.id).sort()).toEqual([...rows].sort());
  });

  it('Ctrl-C while the canaries are looked up ends the read at once: 130, nothing sent, no ledger that lists no device', async () => {
    const { proxy, held } = await holdingReads('/battery?');
    try {
      const { file, dir } = fileOf(loadIds(3, 120));
      const out = join(dir, 'ledger.ndjson');
      const r = await interrupted(['push', 'battery', '--devices', file, 'charge', '--waves', '50%,100%', '--canary-per-model', '--timeout', '10m', '--out', out], proxy.url, held);
      expect(r.code).toBe(130);
      expect(posts()).toHaveLength(0);
      expect(existsSync(out)).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('refuses waves from a stream and rules that do not parse, in one line', async () => {
    expect((await amps(['push', 'battery', '--devices', '-', 'idle', '--waves', '10%,100%'], 'bat_load_000001')).stderr.trim()).toBe('amps: --waves needs the devices in a file: each wave is a share of the whole list');
    const { file } = fileOf(['bat_load_000001']);
    for (const [flags, message] of [
      [['--waves', '10%,5%'], '--waves must grow'],
      [['--waves', 'ten'], '--waves takes cumulative percentages'],
      [['--waves', '10%', '--abort-if', 'angry>2%'], "--abort-if: 'angry' is not a class"],
      [['--abort-if', 'rejected>2%'], '--abort-if judges a wave: give --waves too'],
    ] as const) {
      const r = await amps(['push', 'battery', '--devices', file, 'idle', ...flags]);
      expect([r.code, r.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
    expect(posts()).toHaveLength(0);
  });
});

describe('--resume', () => {
  it('after SIGKILL at random points, sends no device twice and lists every device once', async () => {
    for (let round = 0; round < 4; round++) {
      await sandbox.call('POST', '/_sandbox/reset');
      sandbox.requests.length = 0;
      const ids = loadIds(150, 1 + round * 50);
      const { file, dir } = fileOf(ids);
      const out = join(dir, 'ledger.ndjson');
      const child = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'idle', '--out', out, '--concurrency', '8'], { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
      const killAt = 10 + Math.floor(Math.random() * 120);
      await waitUntil(() => posts().length >= killAt);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
      const resumed = await amps(['push', '--resume', out]);
      expect(resumed.code, resumed.stderr).not.toBe(1);
      const lines = devices(readFileSync(join(dir, 'ledger.resumed.ndjson'), 'utf8'));
      expect(lines.map((l) => l.id).sort()).toEqual(ids);
      const perDevice = new Map<string, number>();
      for (const p of posts()) perDevice.set(p.path.split('/')[2], (perDevice.get(p.path.split('/')[2]) ?? 0) + 1);
      expect([...perDevice.values()].filter((n) => n > 1), `killed after ${killAt} pushes`).toEqual([]);
      expect(perDevice.size).toBe(150);
    }
  }, 120_000);

  it('a stream run\'s list given again in another order, or cut short, is refused before anything is sent (as a file) or as it is read (on stdin): no device twice, none left out', async () => {
    await sandbox.call('POST', '/_sandbox/reset');
    const ids = loadIds(6, 420);
    const { dir } = fileOf(ids);
    const whole = join(dir, 'stream.ndjson');
    expect((await amps(['push', 'battery', '--devices', '-', 'idle', '--out', whole], ids.join('\n'))).code).toBe(0);
    await actionsDone(ids);
    // As if killed with two device lines written and the rest in flight: the run read stdin, so it kept no digest.
    const lines = records(readFileSync(whole, 'utf8'));
    expect(lines[0].run.devicesDigest).toBeNull();
    const crashed = () => {
      const path = join(dir, `crashed-${Math.random().toString(36).slice(2)}.ndjson`);
      writeFileSync(path, [{ run: { ...lines[0].run, ledger: path } }, { horizon: 70 }, ...devices(readFileSync(whole, 'utf8')).slice(0, 2)].map((l) => JSON.stringify(l)).join('\n') + '\n');
      return path;
    };
    const write = (name: string, list: string[]) => {
      writeFileSync(join(dir, name), `${list.join('\n')}\n`);
      return join(dir, name);
    };
    sandbox.requests.length = 0;
    const reversed = write('reversed.txt', [...ids].reverse());
    const first = crashed();
    const r = await amps(['push', '--resume', first, '--devices', reversed]);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `amps: ${reversed} is not the list the run of ${first} read: line 1 holds ${ids[5]}, where the run read ${ids[0]}`]);
    const shorter = write('shorter.txt', ids.slice(0, 1));
    const cut = await amps(['push', '--resume', first, '--devices', shorter]);
    expect([cut.code, cut.stderr.split('\n')[0]]).toEqual([2, `amps: ${shorter} is not the list the run of ${first} read: it ends at line 1, before line 2, where the run read ${ids[1]}`]);
    // Refused before the resume claimed the ledger: the right list resumes it still.
    expect(posts()).toHaveLength(0);
    // On stdin, checked as it is read: the run stops at the first row (input_broken), nothing sent;
    // exit 4, as for any row refused once the run has lines (the two carried over are the run's).
    const piped = await amps(['push', '--resume', crashed(), '--devices', '-', '--json'], [...ids].reverse().join('\n'));
    expect(piped.code, piped.stderr).toBe(4);
    expect(JSON.parse(piped.stderr.trim().split('\n').at(-1)!).summary).toMatchObject({ stoppedBy: 'input_broken', stopDetail: expect.stringContaining(`line 1 holds ${ids[5]}, where the run read ${ids[0]}`) });
    expect(posts()).toHaveLength(0);
    // In text, the way on: the ledger it continued is marked, so its own ledger, with the run's list (no hint was given).
    const wrong = crashed();
    const told = await amps(['push', '--resume', wrong, '--devices', '-'], [...ids].reverse().join('\n'));
    expect(told.stderr).toContain(`Send the rest, no device twice: amps push --resume ${wrong.replace(/\.ndjson$/, '.resumed.ndjson')} --devices - (the same list on stdin)`);
    expect(posts()).toHaveLength(0);
    // The run's own list, in its order: the two recorded are carried, the four in flight are read for, found sent, none sent again.
    const same = await amps(['push', '--resume', first, '--devices', write('same.txt', ids)]);
    expect(same.code, same.stderr).toBe(0);
    expect(posts()).toHaveLength(0);
  });

  it('reconciles a device only to an action of this run\'s values, not to an earlier run\'s of the same command', async () => {
    await sandbox.call('POST', '/_sandbox/reset');
    const ids = loadIds(4, 380);
    const { file, dir } = fileOf(ids);
    const earlier = join(dir, 'earlier.ndjson');
    expect((await amps(['push', 'battery', '--devices', file, 'charge', '--target', '50%', '--out', earlier])).code).toBe(0);
    // Done, so that a push of other values is accepted rather than a conflict.
    await actionsDone(ids);
    // A run that crashed after its horizon record and before any device line: every row is within
    // the horizon, so each is reconciled against the device's actions before it is sent.
    const crashedRun = (target: string) => {
      const run = records(readFileSync(earlier, 'utf8'))[0].run;
      const inputs = { ...run.inputs, quantities: { target } };
      const path = join(dir, `crashed-${target.replace(/\W/g, '')}.ndjson`);
      writeFileSync(path, `${JSON.stringify({ run: { ...run, ledger: path, inputs, fingerprint: fingerprintOf(inputs) } })}\n${JSON.stringify({ horizon: 40 })}\n`);
      return path;
    };
    sandbox.requests.length = 0;
    const other = await amps(['push', '--resume', crashedRun('90%')]);
    expect(other.code, other.stderr).toBe(0);
    // The earlier run's 50% actions are not this run's 90% ones: every device is sent.
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
    expect(posts().every((p) => (p.body as { action: { parameters: { target: { value: number } } } }).action.parameters.target.value === 90)).toBe(true);
    sandbox.requests.length = 0;
    // The same values (50% as 0.5 of nothing else: the API holds { value: 50, unit: percent }) are this run's: none is sent again.
    const same = await amps(['push', '--resume', crashedRun('50 %')]);
    expect(same.code, same.stderr).toBe(0);
    expect(posts()).toHaveLength(0);
    expect(devices(readFileSync(join(dir, 'crashed-50.resumed.ndjson'), 'utf8')).map((l) => l.reason)).toEqual(ids.map(() => expect.stringContaining('reconciled')));
  });

  it('the same push made before the run began, within the allowance for clocks, is neither taken as sent nor sent blind: NOT_RECONCILED, exit 8', async () => {
    const ids = loadIds(3, 432);
    const { dir, earlier } = await finishedIdleRun(ids);
    // The same push, begun after the earlier one and crashed before any device line or clock record
    // (no push accepted): every row is within its horizon, and its start is read back five minutes.
    const run = records(readFileSync(earlier, 'utf8'))[0].run;
    const crashed = join(dir, 'crashed.ndjson');
    writeFileSync(crashed, `${JSON.stringify({ run: { ...run, ledger: crashed, startedAt: new Date(Date.now() + 1000).toISOString() } })}\n${JSON.stringify({ horizon: 40 })}\n`);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', crashed]);
    // Until now each was "reconciled: the earlier run's push went through", exit 0, and none was sent.
    expect(resumed.code, resumed.stderr).toBe(8);
    expect(posts()).toHaveLength(0);
    const lines = devices(readFileSync(join(dir, 'crashed.resumed.ndjson'), 'utf8'));
    expect(lines.map((l) => [l.id, l.outcome, l.code])).toEqual(ids.map((id) => [id, 'not_sent', 'NOT_RECONCILED']));
    expect(lines.map((l) => l.reason)).toEqual(ids.map((id) => expect.stringMatching(new RegExp(`^not sent: the same push, act_\\w+, was made \\d+(\\.\\d)? s before the run began \\(on the API's clock\\), within what amps allows for clocks: it may be an earlier run's \\(look with amps actions list --device ${id}\\); a resume finds the same, so look, and send it yourself if it needs sending$`))));
    // An answer whose time is junk (Go's zero time, before the actions it lists) is no reading of
    // the API's clock: taken for one, it put the run's start two thousand years back, and each
    // earlier push was taken as this run's.
    const junk = await proxyToSandbox((req, res) => {
      if (req.method !== 'GET' || !(req.url ?? '').startsWith('/actions?')) return false;
      void sandbox.call('GET', req.url!).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...answer.body, meta: { ...answer.body.meta, timestamp: '0001-01-01T00:00:00Z' } }));
      });
      return true;
    });
    try {
      const again = join(dir, 'crashed-again.ndjson');
      // The same crashed run, as one that sent through the proxy (a resume goes where its run went).
      writeFileSync(again, `${JSON.stringify({ run: { ...run, ledger: again, api: junk.url, startedAt: records(readFileSync(crashed, 'utf8'))[0].run.startedAt } })}\n${JSON.stringify({ horizon: 40 })}\n`);
      const viaJunk = await runCli(['push', '--resume', again], { env: { ...env, AMPS_API_URL: junk.url }, timeoutMs: 60_000 });
      expect(viaJunk.code, viaJunk.stderr).toBe(8);
      expect(devices(readFileSync(join(dir, 'crashed-again.resumed.ndjson'), 'utf8')).map((l) => l.code)).toEqual(ids.map(() => 'NOT_RECONCILED'));
    } finally {
      await junk.close();
    }
  });

  it.each([[60, 436], [600, 497]])('a run\'s own pushes, on an API whose clock is %i s behind this machine\'s, are found its own though its ledger has no clock record: the skew is read off the answers', async (behind, first) => {
    // Ten minutes behind, past the five read back without the record: the run's actions were not
    // reached, and every device was sent again.
    try {
      const ids = loadIds(3, first);
      const { dir, earlier } = await finishedIdleRun(ids, behind);
      const clock = await sandbox.call('GET', '/_sandbox/clock');
      expect((clock.body as { data: { offsetMs: number } }).data.offsetMs).toBe(-behind * 1000);
      // The run itself, as if killed before its clock record or any device line.
      const run = records(readFileSync(earlier, 'utf8'))[0].run;
      const crashed = join(dir, 'crashed.ndjson');
      writeFileSync(crashed, `${JSON.stringify({ run: { ...run, ledger: crashed } })}\n${JSON.stringify({ horizon: 40 })}\n`);
      sandbox.requests.length = 0;
      const resumed = await amps(['push', '--resume', crashed]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(posts()).toHaveLength(0);
      expect(devices(readFileSync(join(dir, 'crashed.resumed.ndjson'), 'utf8')).map((l) => [l.outcome, l.reason])).toEqual(ids.map(() => ['accepted', expect.stringContaining('reconciled')]));
    } finally {
      await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: behind });
    }
  });

  it('reconciles on the API\'s clock: the same command and values pushed by an earlier run a minute before are not taken for a crashed run\'s', async () => {
    await sandbox.call('POST', '/_sandbox/reset');
    const ids = loadIds(4, 386);
    const { file, dir } = fileOf(ids);
    expect((await amps(['push', 'battery', '--devices', file, 'idle', '--out', join(dir, 'earlier.ndjson')])).code).toBe(0);
    // A run keeps the API's clock beside its own, once: the sandbox's and this machine's agree.
    const kept = records(readFileSync(join(dir, 'earlier.ndjson'), 'utf8')).filter((r) => r.clock !== undefined).map((r) => Date.parse(r.clock.server) - Date.parse(r.clock.local));
    expect(kept).toHaveLength(1);
    expect(Math.abs(kept[0]!)).toBeLessThan(5_000);
    await actionsDone(ids);
    // A minute later on the API's clock (this machine's has not moved): the earlier run's actions
    // were made a minute before the next run begins.
    await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: 60 });
    let holding = true;
    let posted = 0;
    const proxy = await proxyToSandbox((req) => {
      if (!holding || req.method !== 'POST') return false;
      // The first push goes through (its action's createdAt is the run's clock record); the rest are held.
      return ++posted > 1;
    });
    try {
      // The same command again, the pushes after the first held on their way, killed then: its
      // ledger has the run, its clock, its horizon and the first device's line.
      const out = join(dir, 'crashed.ndjson');
      const push = spawn(process.execPath, [BIN, 'push', 'battery', '--devices', file, 'idle', '--out', out, '--concurrency', '1'], { env: { ...env, AMPS_API_URL: proxy.url } as NodeJS.ProcessEnv, stdio: 'ignore' });
      const killed = new Promise((resolve) => push.on('close', resolve));
      await waitUntil(() => posted === 2);
      push.kill('SIGKILL');
      await killed;
      const crashed = records(readFileSync(out, 'utf8'));
      expect(devices(readFileSync(out, 'utf8')).map((l) => l.id)).toEqual([ids[0]]);
      const { clock } = crashed.find((r) => r.clock !== undefined);
      expect(Date.parse(clock.server) - Date.parse(clock.local)).toBeGreaterThan(50_000);
      holding = false;
      sandbox.requests.length = 0;
      const resumed = await runCli(['push', '--resume', out], { env: { ...env, AMPS_API_URL: proxy.url }, timeoutMs: 90_000 });
      expect(resumed.code, resumed.stderr).toBe(0);
      // Each other device's actions were read, and none was this run's: each is sent. Read from the
      // run's start less five minutes, the earlier run's were taken for this one's, and none was sent.
      expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids.slice(1));
      const resumedText = readFileSync(join(dir, 'crashed.resumed.ndjson'), 'utf8');
      expect(devices(resumedText).filter((l) => l.id !== ids[0]).map((l) => [l.outcome, String(l.reason)])).toEqual(ids.slice(1).map(() => ['accepted', expect.not.stringContaining('reconciled')]));
      // The resume's ledger keeps the run's clock, for a resume of it.
      expect(records(resumedText).filter((r) => r.clock !== undefined).map((r) => r.clock)).toEqual([clock]);
    } finally {
      await proxy.close();
      await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: -60 });
    }
  });

  it('follows on the API\'s clock: on one ten minutes behind this machine\'s, a failed action is found failed, not counted completed for its absence', async () => {
    await sandbox.call('POST', '/_sandbox/reset');
    await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: -600 });
    try {
      const ids = loadIds(2, 396);
      const { file, dir } = fileOf(ids);
      const out = join(dir, 'ledger.ndjson');
      const r = await amps(['push', 'battery', '--devices', file, 'idle', '--simulate-failure', 'DEVICE_OFFLINE', '--simulate-at', 'dispatch', '--wait', '--wait-timeout', '30s', '--out', out]);
      // Read back only to five minutes before the run on this machine's clock, the failed list
      // stopped before these actions: two rounds without them counted them completed, exit 0.
      expect(r.code, r.stderr).toBe(7);
      expect(outcomes(readFileSync(out, 'utf8')).map((o) => [o.id, o.state, o.errorCode])).toEqual(expect.arrayContaining(ids.map((id) => [id, 'failed', 'DEVICE_OFFLINE'])));
      // watch reads the run's clock from its ledger, and finds them so too.
      const watched = await runCli(['watch', '--ledger', out, '--json', '--wait-timeout', '10s'], { env, timeoutMs: 50_000 });
      expect(JSON.parse(watched.stdout).actions.map((a: { state: string }) => a.state)).toEqual(['failed']);
    } finally {
      await sandbox.call('POST', '/_sandbox/clock', { advanceSeconds: 600 });
    }
  });

  it('a run an earlier amps sent with --start and no --end (a scheduled push) is resumed as it was sent, though that start alone is now refused as typed', async () => {
    const ids = loadIds(3, 392);
    const { file, dir, earlier } = await finishedIdleRun(ids);
    const start = new Date(Date.now() + 2 * 3_600_000);
    start.setUTCMilliseconds(0);
    const run = records(readFileSync(earlier, 'utf8'))[0].run;
    const inputs = { ...run.inputs, command: 'charge', start: start.toISOString() };
    const path = join(dir, 'start-alone.ndjson');
    writeFileSync(path, `${JSON.stringify({ run: { ...run, ledger: path, inputs, fingerprint: fingerprintOf(inputs), times: { ...run.times, start: start.getTime(), end: null } } })}\n`);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', path]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(posts().map((p) => (p.body as { action: { start?: string; end?: string } }).action)).toEqual(ids.map(() => ({ command: 'charge', start: expect.stringMatching(/^20/) })));
    // Typed, the same start alone is refused: --at says a scheduled push.
    const typed = await amps(['push', 'battery', '--devices', file, 'charge', '--start', '+2h']);
    expect([typed.code, typed.stderr.split('\n')[0]]).toEqual([2, 'amps: --start needs --end (a window has both ends)']);
  });

  it('a resume stopped while it reads a device\'s actions (Ctrl-C ends the read at once; a kill) never lets the next one send without reading', async () => {
    for (const [signal, first] of [['SIGINT', 370], ['SIGKILL', 374]] as const) {
      const ids = loadIds(3, first);
      const { dir, crashed } = await crashedAfterItsPushes(ids);
      const { proxy, held } = await holdingReads('/actions?deviceId=');
      ranThrough(crashed, proxy.url);
      sandbox.requests.length = 0;
      try {
        const r = await interrupted(['push', '--resume', crashed, '--timeout', '10m'], proxy.url, held, signal);
        expect(r.code, signal).toBe(signal === 'SIGINT' ? 130 : null);
      } finally {
        await proxy.close();
      }
      const stopped = readFileSync(join(dir, 'crashed.resumed.ndjson'), 'utf8');
      if (signal === 'SIGINT') {
        // Each device a line of its own: not sent, and its actions not read yet.
        expect(devices(stopped).map((l) => [l.id, l.outcome, l.code]).sort()).toEqual(ids.map((id) => [id, 'not_sent', 'NOT_RECONCILED']));
      } else {
        // Killed before any line: the run's horizon, carried over, says the devices may have been sent.
        expect(records(stopped).filter((r) => typeof r.horizon === 'number').map((r) => r.horizon)).toEqual([40]);
      }
      expect(posts()).toHaveLength(0);
      // The next resume reads each device's actions, finds the earlier push, and sends nothing.
      ranThrough(join(dir, 'crashed.resumed.ndjson'), sandbox.url);
      const again = await amps(['push', '--resume', join(dir, 'crashed.resumed.ndjson')]);
      expect(again.code, again.stderr).toBe(0);
      expect(posts()).toHaveLength(0);
      expect(devices(readFileSync(join(dir, 'crashed.resumed.resumed.ndjson'), 'utf8')).map((l) => l.reason)).toEqual(ids.map(() => expect.stringContaining('reconciled')));
    }
  });

  it('reads the list the run read, from any directory, and refuses one that changed since', async () => {
    const ids = loadIds(4, 394);
    const { dir } = fileOf([]);
    writeFileSync(join(dir, 'fleet.txt'), `${ids.join('\n')}\n`);
    const out = join(dir, 'run.ndjson');
    // A relative --devices. Its ledger is then cut to the run record, as if it crashed before any
    // send (its actions done, so the sends again are accepted, not conflicts).
    const started = await runCli(['push', 'battery', '--devices', 'fleet.txt', 'idle', '--out', out], { env, cwd: dir });
    expect(started.code).toBe(0);
    await actionsDone(ids);
    const run = records(readFileSync(out, 'utf8'))[0].run;
    expect(run.devices).toBe(join(dir, 'fleet.txt'));
    expect(run.devicesDigest).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(out, `${JSON.stringify({ run })}\n`);
    // Elsewhere, where a file of the same name lists other devices: the run's own list is read.
    const elsewhere = fileOf(loadIds(2, 398)).dir;
    writeFileSync(join(elsewhere, 'fleet.txt'), 'bat_load_000398\n');
    sandbox.requests.length = 0;
    const resumed = await runCli(['push', '--resume', out, '--out', join(elsewhere, 'resumed.ndjson')], { env, cwd: elsewhere });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
    // The list changed since the run (a device dropped): refused, nothing sent.
    writeFileSync(join(dir, 'fleet.txt'), `${ids.slice(1).join('\n')}\n`);
    sandbox.requests.length = 0;
    const changed = await runCli(['push', '--resume', out, '--out', join(elsewhere, 'again.ndjson')], { env });
    expect([changed.code, changed.stderr.split('\n')[0]]).toEqual([2, `amps: ${join(dir, 'fleet.txt')} is not the list the run of ${out} read: it changed since`]);
    const given = await runCli(['push', '--resume', out, '--devices', join(elsewhere, 'fleet.txt'), '--out', join(elsewhere, 'given.ndjson')], { env });
    expect(given.code).toBe(2);
    // Gone: said as the run's file, not as a flag never typed.
    rmSync(join(dir, 'fleet.txt'));
    const gone = await runCli(['push', '--resume', out, '--out', join(elsewhere, 'gone.ndjson')], { env });
    expect([gone.code, gone.stderr.split('\n')[0]]).toEqual([2, `amps: the devices file the run of ${out} read, ${join(dir, 'fleet.txt')}, cannot be read: no such file or directory (ENOENT)`]);
    // The same list on stdin from a file (`--devices - < list.txt`) is read for its digest as the file
    // is: taken for the run's list (this ledger was resumed above, which is what is refused now).
    writeFileSync(join(elsewhere, 'same.txt'), `${ids.join('\n')}\n`);
    writeFileSync(join(dir, 'fleet.txt'), `${ids.join('\n')}\n`);
    const fromFile = await runCli(['push', '--resume', out, '--devices', '-', '--out', join(elsewhere, 'stdin-file.ndjson')], { env, redirect: { stdin: [join(elsewhere, 'same.txt'), 'r'] } });
    expect([fromFile.code, fromFile.stderr.split('\n')[0]]).toEqual([2, expect.stringContaining(`amps: ${out} was resumed already`)]);
    const otherFile = await runCli(['push', '--resume', out, '--devices', '-', '--out', join(elsewhere, 'stdin-other.ndjson')], { env, redirect: { stdin: [join(elsewhere, 'fleet.txt'), 'r'] } });
    expect([otherFile.code, otherFile.stderr.split('\n')[0]]).toEqual([2, `amps: the file on stdin is not the list the run of ${out} read`]);
    rmSync(join(dir, 'fleet.txt'));
    sandbox.requests.length = 0;
    // A FIFO in the file's place, or the list on stdin: a stream cannot be told the run's list (its digest is a file's).
    execFileSync('mkfifo', [join(dir, 'fleet.txt')]);
    const fifo = await runCli(['push', '--resume', out, '--out', join(elsewhere, 'fifo.ndjson')], { env });
    expect([fifo.code, fifo.stderr.split('\n')[0]]).toEqual([2, `amps: the run of ${out} read a file of devices, and ${join(dir, 'fleet.txt')} is none now: the resume cannot tell it is the run's list`]);
    const piped = await runCli(['push', '--resume', out, '--devices', '-', '--out', join(elsewhere, 'piped.ndjson')], { env, input: `${ids.join('\n')}\nbat_never_listed_99\n` });
    expect([piped.code, piped.stderr.split('\n')[0]]).toEqual([2, `amps: the run of ${out} read a file of devices, and stdin is none now: the resume cannot tell it is the run's list`]);
    expect(posts()).toHaveLength(0);
  });

  it('follows as its run did (--wait), and a rollout\'s rest in its waves', async () => {
    const ids = loadIds(2, 286);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'followed.ndjson');
    expect((await amps(['push', 'battery', '--devices', file, 'idle', '--wait', '--out', out])).code).not.toBe(1);
    await actionsDone(ids);
    const run = records(readFileSync(out, 'utf8'))[0].run;
    expect(run.shape).toMatchObject({ wait: true, verify: false, waves: null });
    // Cut to the run record: as if it crashed before any send.
    writeFileSync(out, `${JSON.stringify({ run })}\n`);
    const resumed = await amps(['push', '--resume', out]);
    expect(resumed.stderr).toContain('Following 2 action(s)');
    expect(outcomes(readFileSync(join(dir, 'followed.resumed.ndjson'), 'utf8')).map((o) => o.id).sort()).toEqual(ids);
    // A rollout in waves goes on in its waves (not the rest at once, past its --abort-if).
    const rollout = join(dir, 'rollout.ndjson');
    writeFileSync(rollout, `${JSON.stringify({ run: { ...run, ledger: rollout, shape: { ...run.shape, waves: '10%,100%', abortIf: 'rejected>1%' } } })}\n`);
    const rolled = await amps(['push', '--resume', rollout]);
    expect(rolled.stderr).toContain('Wave 1 of 2: 1 device(s) done; going on.');
    expect(records(readFileSync(join(dir, 'rollout.resumed.ndjson'), 'utf8'))[0].run.shape).toMatchObject({ waves: '10%,100%', abortIf: 'rejected>1%' });
    // The waves are the run's: another --waves with --resume is refused.
    sandbox.requests.length = 0;
    expect((await amps(['push', '--resume', out, '--waves', '50%,100%', '--out', join(dir, 'x.ndjson')])).code).toBe(2);
    // Canaries would reorder the run's waves: refused where the run had none.
    const canaries = await amps(['push', '--resume', rollout, '--canary-per-model', '--out', join(dir, 'z.ndjson')]);
    expect([canaries.code, canaries.stderr.split('\n')[0]]).toEqual([2, `amps: --canary-per-model: the run of ${rollout} rolled out in waves without it, and a resume keeps the run's waves`]);
    // Its devices on stdin: a run that read a file (its digest kept) cannot be told the same list from a stream.
    const streamed = await amps(['push', '--resume', rollout, '--devices', '-', '--out', join(dir, 's.ndjson')], ids.join('\n'));
    expect([streamed.code, streamed.stderr.split('\n')[0]]).toEqual([2, `amps: the run of ${rollout} read a file of devices, and stdin is none now: the resume cannot tell it is the run's list`]);
    // One that kept no digest (an earlier amps'): waves need a file, each wave a share of the whole list.
    const undigested = join(dir, 'undigested.ndjson');
    writeFileSync(undigested, `${JSON.stringify({ run: { ...run, devicesDigest: undefined, ledger: undigested, shape: { ...run.shape, waves: '10%,100%', abortIf: 'rejected>1%' } } })}\n`);
    const unfiled = await amps(['push', '--resume', undigested, '--devices', '-', '--out', join(dir, 'u.ndjson')], ids.join('\n'));
    expect([unfiled.code, unfiled.stderr.split('\n')[0]]).toEqual([2, `amps: the run of ${undigested} rolled out in waves (--waves 10%,100%), which need the devices in a file: each wave is a share of the whole list`]);
    const noWaves = await amps(['push', '--resume', out, '--abort-if', 'rejected>1%', '--out', join(dir, 'y.ndjson')]);
    expect([noWaves.code, noWaves.stderr]).toEqual([2, `amps: --abort-if judges a wave: the run of ${out} did not roll out in waves\n`]);
    expect(posts()).toHaveLength(0);
  });

  it('a rollout killed between its waves is resumed in its waves: every device once, none sent twice, each later wave judged', async () => {
    await sandbox.call('POST', '/_sandbox/reset');
    const ids = loadIds(10, 480);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'rollout.ndjson');
    // Waves end at 2, 6 and 10 devices. The follow of the first is held, and the run killed there.
    const { proxy, held } = await holdingReads('/actions?');
    try {
      const r = await interrupted(['push', 'battery', '--devices', file, 'idle', '--waves', '20%,60%,100%', '--abort-if', 'rejected>50%', '--out', out], proxy.url, held, 'SIGKILL');
      expect(r.code).toBeNull();
    } finally {
      await proxy.close();
    }
    const firstWave = devices(readFileSync(out, 'utf8')).map((l) => l.id).sort();
    expect(firstWave).toEqual(ids.slice(0, 2));
    ranThrough(out, sandbox.url);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', out]);
    expect(resumed.code, resumed.stderr).not.toBe(1);
    expect(resumed.stderr.split('\n').filter((line) => line.startsWith('Wave '))).toEqual(['Wave 1 of 3: 2 device(s) done; going on.', 'Wave 2 of 3: 4 device(s) done; going on.']);
    const lines = devices(readFileSync(join(dir, 'rollout.resumed.ndjson'), 'utf8'));
    expect(lines.map((l) => l.id).sort()).toEqual(ids);
    // Only the devices the run had not sent were sent.
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids.slice(2));
  });

  it('after a resume got under way, resuming the first ledger again is refused: only the resume\'s ledger knows what it sent', async () => {
    const { file, dir } = fileOf(loadIds(3, 390));
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    // A resume killed before its run record reached the disk sent nothing: its empty file is no obstacle.
    writeFileSync(join(dir, 'ledger.resumed.ndjson'), '');
    expect((await amps(['push', '--resume', out])).code).toBe(0);
    const again = await amps(['push', '--resume', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`continue from it: amps push --resume ${join(dir, 'ledger.resumed.ndjson')}`);
    // Under another --out too: the resume marked the ledger it continued.
    sandbox.requests.length = 0;
    const elsewhere = await amps(['push', '--resume', out, '--out', join(dir, 'other.ndjson')]);
    expect([elsewhere.code, elsewhere.stderr.split('\n')[0]]).toEqual([2, `amps: ${out} was resumed already, into ${join(dir, 'ledger.resumed.ndjson')}: that ledger knows what its resume sent`]);
    expect(existsSync(join(dir, 'other.ndjson'))).toBe(false);
    expect(posts()).toHaveLength(0);
    // Resumed in turn: the hints name the newest ledger of the chain, not the next, whose resume is refused too.
    expect((await amps(['push', '--resume', join(dir, 'ledger.resumed.ndjson')])).code).toBe(0);
    const newest = join(dir, 'ledger.resumed.resumed.ndjson');
    for (const args of [['push', '--resume', out], ['push', '--resume', out, '--out', join(dir, 'other.ndjson')]]) {
      expect((await amps(args)).stderr).toContain(`continue from its newest resume: amps push --resume ${newest}`);
    }
    expect(posts()).toHaveLength(0);
  });

  it('a mark whose resume left no ledger (killed before its first line) is taken over; one of two resumes at once goes ahead', async () => {
    const ids = loadIds(4, 420);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--fail-fast', 'rejected', '--out', out]);
    await actionsDone(ids);
    // As if cut before any device line: every device is to be sent by the resume.
    cutToRunRecord(out);
    // A resume still running that has not written its ledger yet: refused. (A process whose command
    // line names amps stands for it; a live process that is not amps, a reused pid, would not.)
    const stand = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'amps'], { stdio: 'ignore' });
    try {
      writeFileSync(`${out}.resumed-into`, `${JSON.stringify({ resumedInto: join(dir, 'being-written.ndjson'), pid: stand.pid, host: hostname() })}\n`);
      sandbox.requests.length = 0;
      const running = await amps(['push', '--resume', out, '--out', join(dir, 'c.ndjson')]);
      expect([running.code, running.stderr.split('\n')[0]]).toEqual([2, `amps: ${out} is being resumed right now, into ${join(dir, 'being-written.ndjson')} (process ${stand.pid})`]);
      // A ledger its run is still writing (no end record, its writer running): not resumed either.
      const written = join(dir, 'written.ndjson');
      writeFileSync(written, `${JSON.stringify({ run: { ...records(readFileSync(out, 'utf8'))[0].run, ledger: written, writer: { pid: stand.pid, host: hostname() } } })}\n`);
      const live = await amps(['push', '--resume', written]);
      expect([live.code, live.stderr.split('\n')[0]]).toEqual([2, `amps: the run writing ${written} is still going (process ${stand.pid}): a resume now would send what it is sending`]);
      expect(posts()).toHaveLength(0);
    } finally {
      stand.kill();
    }
    // One gone without a ledger: taken over.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(`${out}.resumed-into`, `${JSON.stringify({ resumedInto: join(dir, 'never-written.ndjson'), pid: gone, host: hostname() })}\n`);
    const [a, b] = await Promise.all([amps(['push', '--resume', out, '--out', join(dir, 'a.ndjson')]), amps(['push', '--resume', out, '--out', join(dir, 'b.ndjson')])]);
    expect([a.code, b.code].sort(), a.stderr + b.stderr).toEqual([0, 2]);
    // Refused as running or as done, by how far the other had got.
    expect((a.code === 2 ? a : b).stderr).toMatch(/ (was resumed already, into|is being resumed right now)/);
    // Each device sent once, by the one that went ahead.
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
  });

  it('a garbage mark found by four resumes at once is taken over by one; what stands in a mark\'s way, or a ledger that is no file, is refused', async () => {
    const ids = loadIds(4, 460);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    await actionsDone(ids);
    cutToRunRecord(out);
    const mark = `${out}.resumed-into`;
    // Not files a resume's ledger can be, nor the mark itself: refused before anything is made.
    symlinkSync(join(dir, 'elsewhere.ndjson'), join(dir, 'link.ndjson'));
    for (const [target, said] of [
      ['/dev/null', '--out /dev/null is not a regular file: a resume\'s ledger is the only record of what it sends'],
      [join(dir, 'link.ndjson'), `--out ${join(dir, 'link.ndjson')} is not a regular file: a resume's ledger is the only record of what it sends`],
      [mark, `--out ${mark} is the mark of the ledger being resumed`],
    ] as const) {
      const r = await amps(['push', '--resume', out, '--out', target]);
      expect([r.code, r.stderr.split('\n')[0]], target).toEqual([2, `amps: ${said}`]);
    }
    expect(existsSync('/dev/null')).toBe(true);
    expect(existsSync(mark)).toBe(false);
    // A directory where the mark goes: one line, exit 2.
    mkdirSync(mark);
    const inTheWay = await amps(['push', '--resume', out, '--out', join(dir, 'x.ndjson')]);
    expect([inTheWay.code, inTheWay.stderr.split('\n')[0]]).toEqual([2, `amps: ${mark} is in the way of this resume's mark: it is not a file amps wrote`]);
    rmSync(mark, { recursive: true });
    // --out under a mark's name, through a linked folder or of another ledger: refused as a mark.
    symlinkSync('.', join(dir, 'here'));
    for (const target of [join(dir, 'here', 'ledger.ndjson.resumed-into'), join(dir, 'other.ndjson.resumed-into')]) {
      const r = await amps(['push', '--resume', out, '--out', target]);
      expect([r.code, r.stderr.split('\n')[0]], target).toEqual([2, `amps: --out ${target} is named as a resume's mark (.resumed-into), which amps keeps beside a ledger it resumes`]);
    }
    writeFileSync(mark, 'garbage\n');
    // A take-over killed while it held its lock: said as such, with the lock to remove.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(`${mark}.lock`, `${gone}\n`);
    const locked = await amps(['push', '--resume', out, '--out', join(dir, 'l.ndjson')]);
    expect([locked.code, locked.stderr.split('\n')[0]]).toEqual([2, `amps: a resume taking over ${mark} stopped part-way (its process ${gone} is gone) and left ${mark}.lock`]);
    rmSync(`${mark}.lock`);
    sandbox.requests.length = 0;
    const runs = await Promise.all([1, 2, 3, 4].map((n) => amps(['push', '--resume', out, '--out', join(dir, `r${n}.ndjson`)])));
    expect(runs.map((r) => r.code).sort(), runs.map((r) => r.stderr).join('\n')).toEqual([0, 2, 2, 2]);
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
    // The same ledger by another name (a symlink, a linked folder) finds the same mark.
    symlinkSync(out, join(dir, 'alias.ndjson'));
    for (const other of [join(dir, 'alias.ndjson'), join(dir, 'here', 'ledger.ndjson')]) {
      const r = await amps(['push', '--resume', other, '--out', join(dir, 'again.ndjson')]);
      expect([r.code, r.stderr.split('\n')[0]], other).toEqual([2, expect.stringMatching(/ was resumed already, into .*r\d\.ndjson: that ledger knows what its resume sent$/)]);
    }
    expect(posts()).toHaveLength(4);
  });

  it('a copy of a ledger is resumed only when it is the whole of it, and the original was not resumed', async () => {
    const { file, dir } = fileOf(loadIds(2, 480));
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(JSON.parse(lines[0]!).run.ledger).toBe(out);
    mkdirSync(join(dir, 'copies'));
    // Taken while the run was still writing: its later lines missing.
    const partial = join(dir, 'copies', 'partial.ndjson');
    writeFileSync(partial, `${lines.slice(0, 2).join('\n')}\n`);
    sandbox.requests.length = 0;
    const stale = await amps(['push', '--resume', partial]);
    expect([stale.code, stale.stderr.split('\n')[0]]).toEqual([2, `amps: ${partial} is a copy of ${out}, the ledger its run wrote, and not the whole of it: the devices sent after the copy was taken are missing from it`]);
    // A whole copy, once the original was resumed: refused too.
    const whole = join(dir, 'copies', 'whole.ndjson');
    writeFileSync(whole, readFileSync(out));
    expect((await amps(['push', '--resume', out])).code).toBe(0);
    const again = await amps(['push', '--resume', whole]);
    expect([again.code, again.stderr.split('\n')[0]]).toEqual([2, `amps: ${whole} is a copy of ${out}, and ${out} was resumed already, into ${join(dir, 'ledger.resumed.ndjson')}: that ledger knows what its resume sent`]);
    expect(posts()).toHaveLength(0);
  });

  it('a whole copy or a hard link, resumed, marks the ledger its run wrote: they are resumed once between them', async () => {
    const ids = loadIds(2, 404);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    await actionsDone(ids);
    // As if the run had crashed before its first device line.
    cutToRunRecord(out);
    mkdirSync(join(dir, 'copies'));
    const copy = join(dir, 'copies', 'copy.ndjson');
    writeFileSync(copy, readFileSync(out));
    const hard = join(dir, 'hard.ndjson');
    linkSync(out, hard);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', copy]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
    const original = await amps(['push', '--resume', out, '--out', join(dir, 'again.ndjson')]);
    expect([original.code, original.stderr.split('\n')[0]]).toEqual([2, `amps: ${out} was resumed already, into ${join(dir, 'copies', 'copy.resumed.ndjson')}: that ledger knows what its resume sent`]);
    const linked = await amps(['push', '--resume', hard, '--out', join(dir, 'again.ndjson')]);
    expect([linked.code, linked.stderr.split('\n')[0]]).toEqual([2, `amps: ${hard} is a copy of ${out}, and ${out} was resumed already, into ${join(dir, 'copies', 'copy.resumed.ndjson')}: that ledger knows what its resume sent`]);
    expect(posts()).toHaveLength(2);

    // A hard link resumed first: the ledger under its first name is refused after.
    const second = fileOf(loadIds(2, 408));
    const first = join(second.dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', second.file, 'idle', '--out', first]);
    await actionsDone(loadIds(2, 408));
    cutToRunRecord(first);
    linkSync(first, join(second.dir, 'hard.ndjson'));
    sandbox.requests.length = 0;
    expect((await amps(['push', '--resume', join(second.dir, 'hard.ndjson')])).code).toBe(0);
    const after = await amps(['push', '--resume', first, '--out', join(second.dir, 'again.ndjson')]);
    expect([after.code, after.stderr.split('\n')[0]]).toEqual([2, `amps: ${first} was resumed already, into ${join(second.dir, 'hard.resumed.ndjson')}: that ledger knows what its resume sent`]);
    expect(posts()).toHaveLength(2);
  });

  it('sends as its run did: --fail-fast, --retry, --concurrency and --timeout come from the ledger', async () => {
    const ids = [...loadIds(2, 400), 'bat_helio_02', ...loadIds(2, 402)];
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    // bat_helio_02 is offline: the run stops there, and what comes after is not sent.
    await amps(['push', 'battery', '--devices', file, 'idle', '--fail-fast', '--retry', '1', '--concurrency', '1', '--timeout', '7s', '--out', out]);
    await actionsDone(ids.filter((id) => id !== 'bat_helio_02'));
    expect(records(readFileSync(out, 'utf8'))[0].run).toMatchObject({ concurrency: 1, shape: { failFast: true, retry: 1, preflight: true, timeoutMs: 7000 } });
    // As if cut before any device line: the resume sends them all, and must stop where the run did.
    cutToRunRecord(out);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', out]);
    expect(resumed.code, resumed.stderr).toBe(7);
    const lines = devices(readFileSync(join(dir, 'ledger.resumed.ndjson'), 'utf8'));
    expect(lines.filter((l) => l.outcome === 'not_sent').map((l) => l.id).sort()).toEqual(loadIds(2, 402));
    expect(posts().map((p) => p.path.split('/')[2])).not.toContain('bat_load_000402');
    // The offline device was sent twice: --retry 1 came along (DEVICE_OFFLINE is resent after a delay).
    expect(posts().filter((p) => p.path.includes('bat_helio_02'))).toHaveLength(2);
    // Its rerun line sends as the run did, and runs: the recorded bare --fail-fast took the typed
    // `push` after it for its classes (`--fail-fast push`), and the line was refused, exit 2.
    const rerun = /^ {2}(grep .*)$/m.exec(resumed.stderr)![1];
    expect(rerun).toMatch(/amps push battery idle --concurrency 1 --retry 1 --timeout 7000ms --fail-fast --devices -$/);
    // Run by a shell, asynchronously: the sandbox answering it runs in this process.
    const ran = await new Promise<{ status: number | null; stderr: string }>((done) => {
      const child = spawn('bash', ['-c', rerun.replace(/\bamps /, `'${process.execPath}' '${BIN}' `)], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (status) => done({ status, stderr }));
    });
    expect(ran.stderr).not.toContain('--fail-fast takes classes');
    // Sent (the offline device again), not refused as usage.
    expect([ran.status, ran.stderr], ran.stderr).toEqual([7, expect.stringContaining('DEVICE_OFFLINE')]);
  }, 60_000);

  it('a --fail-fast run whose device fails again on resume: the resume stops there too, and --no-fail-fast sends the rest', async () => {
    const ids = [...loadIds(1, 420), 'bat_helio_02', ...loadIds(2, 421)];
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    // bat_helio_02 is offline: the run stops there, and says how a resume goes past it.
    const first = await amps(['push', 'battery', '--devices', file, 'idle', '--fail-fast', '--concurrency', '1', '--out', out]);
    expect(first.code).toBe(7);
    expect(first.stderr).toContain(`Send the rest, no device twice: amps push --resume ${out}\n  (it stops at a failure as this run did; add --no-fail-fast to send past them)`);
    // Resumed as it ran, it meets the offline device again and stops again: the rest still unsent.
    const again = await amps(['push', '--resume', out]);
    expect(again.code).toBe(7);
    const resumed = join(dir, 'ledger.resumed.ndjson');
    expect(devices(readFileSync(resumed, 'utf8')).filter((l) => l.outcome === 'not_sent').map((l) => l.id).sort()).toEqual(loadIds(2, 421));
    // --no-fail-fast goes past it: every device once, the rest sent.
    sandbox.requests.length = 0;
    const past = await amps(['push', '--resume', resumed, '--no-fail-fast']);
    expect(past.code, past.stderr).toBe(7);
    const lines = devices(readFileSync(join(dir, 'ledger.resumed.resumed.ndjson'), 'utf8'));
    expect(lines.map((l) => l.id).sort()).toEqual([...ids].sort());
    expect(lines.filter((l) => l.outcome === 'not_sent')).toEqual([]);
    expect(posts().map((p) => p.path.split('/')[2]).filter((id) => id.startsWith('bat_load')).sort()).toEqual(loadIds(2, 421));
    expect(past.stderr).not.toContain('Send the rest');
    // A single push has no fleet to stop: --no-fail-fast goes with --devices.
    expect((await amps(['push', 'battery', 'bat_load_000420', 'idle', '--no-fail-fast'])).stderr).toBe('amps: --no-fail-fast goes with --devices\n');
  });

  it('a resume\'s rerun lines send as its run did (the flags come from the ledger, the resume typed none)', async () => {
    const ids = ['bat_ampere_03', ...loadIds(1, 404)];
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    // bat_ampere_03's override is a conflict the rerun line resolves (cancel_and_replace).
    const first = await amps(['push', 'battery', '--devices', file, 'idle', '--retry', '1', '--concurrency', '1', '--no-preflight', '--out', out]);
    expect(first.stderr).toMatch(/amps push battery idle --retry 1 --concurrency 1 --no-preflight --devices - --on-conflict \w+/);
    await actionsDone(loadIds(1, 404));
    cutToRunRecord(out);
    const resumed = await amps(['push', '--resume', out]);
    expect(resumed.stderr).toMatch(/amps push battery idle --concurrency 1 --retry 1 --no-preflight --devices - --on-conflict \w+/);
  });

  it('a mark a killed resume of a copy left on the original is taken over by the next resume of that copy', async () => {
    const ids = loadIds(2, 414);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    await actionsDone(ids);
    cutToRunRecord(out);
    const copy = join(dir, 'copy.ndjson');
    writeFileSync(copy, readFileSync(out));
    // As a resume of the copy killed after marking both, before its ledger's first line: it sent nothing.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    for (const ledger of [out, copy]) writeFileSync(`${ledger}.resumed-into`, `${JSON.stringify({ resumedInto: join(dir, 'copy.resumed.ndjson'), pid: gone, host: hostname() })}\n`);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', copy]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
  });

  it('a copy is resumed when the ledger it copies cannot be marked; that ledger itself is not', async () => {
    const ids = loadIds(2, 412);
    const { file, dir } = fileOf(ids);
    // A name so long that its mark's (13 characters more) is past the file system's 255: no mark can be made beside it.
    const out = join(dir, `${'l'.repeat(240)}.ndjson`);
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    await actionsDone(ids);
    cutToRunRecord(out);
    const copy = join(dir, 'copy.ndjson');
    writeFileSync(copy, readFileSync(out));
    sandbox.requests.length = 0;
    const itself = await amps(['push', '--resume', out, '--out', join(dir, 'r.ndjson')]);
    expect([itself.code, itself.stderr.split('\n')[0]]).toEqual([2, expect.stringMatching(/^amps: cannot mark .* as resumed \(.*\): .*; nothing was sent$/)]);
    expect(posts()).toHaveLength(0);
    const resumed = await amps(['push', '--resume', copy]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(posts().map((p) => p.path.split('/')[2]).sort()).toEqual(ids);
    expect(existsSync(`${copy}.resumed-into`)).toBe(true);
  });

  it('a ledger on a full disk cannot be marked: the hint says to free space, not to resume a copy (which marks it too)', async () => {
    const ids = loadIds(2, 416);
    const { file, dir } = fileOf(ids);
    // A real full disk: a small tmpfs, filled once the run has written its ledger.
    const small = join(dir, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small]);
    try {
      const out = join(small, 'ledger.ndjson');
      expect((await amps(['push', 'battery', '--devices', file, 'idle', '--out', out])).code).toBe(0);
      spawnSync('dd', ['if=/dev/zero', `of=${join(small, 'fill')}`, 'bs=1k']);
      const copy = join(dir, 'copy.ndjson');
      writeFileSync(copy, readFileSync(out));
      sandbox.requests.length = 0;
      for (const ledger of [out, copy]) {
        const r = await amps(['push', '--resume', ledger, '--out', join(dir, `${ledger === out ? 'r1' : 'r2'}.ndjson`)]);
        const [first, hint, ...rest] = r.stderr.trim().split('\n');
        expect([r.code, rest], ledger).toEqual([2, []]);
        expect(first).toMatch(/^amps: (.*copy\.ndjson is a copy of .*, and )?cannot mark .*small\/ledger\.ndjson as resumed \(.*\): no space left on the device \(ENOSPC\); nothing was sent$/);
        expect(hint).toBe(`  hint: the mark is one short line beside ${out}: free a little space on its disk, then resume again`);
      }
      expect(posts()).toHaveLength(0);
      // The mark's file, made and then not filled, is not left beside the ledger.
      expect(readdirSync(small).sort()).toEqual(['fill', 'ledger.ndjson']);
    } finally {
      execFileSync('umount', [small]);
    }
  });

  it('the default ledger of a resume is never written through a symlink', async () => {
    const { file, dir } = fileOf(loadIds(2, 470));
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    writeFileSync(join(dir, 'victim.txt'), 'important\n');
    symlinkSync(join(dir, 'victim.txt'), join(dir, 'ledger.resumed.ndjson'));
    const r = await amps(['push', '--resume', out]);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `amps: ${join(dir, 'ledger.resumed.ndjson')} is not a regular file: a resume's ledger is the only record of what it sends`]);
    expect(readFileSync(join(dir, 'victim.txt'), 'utf8')).toBe('important\n');
  });

  it('follows the actions it carries over as its run did (--wait), and counts the outcomes it carries', async () => {
    const ids = loadIds(2, 430);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'followed.ndjson');
    const first = await amps(['push', 'battery', '--devices', file, 'idle', '--simulate-failure', 'COMMAND_FAILED', '--simulate-at', 'dispatch', '--wait', '--out', out]);
    expect(first.code, first.stderr + first.stdout).toBe(4);
    // As if killed while following: both devices' lines, the first's outcome only, no end.
    const all = records(readFileSync(out, 'utf8'));
    const kept = all.filter((r) => r.run || (typeof r.outcome === 'string') || (typeof r.outcome === 'object' && r.outcome.id === ids[0]));
    writeFileSync(out, `${kept.map((r) => JSON.stringify(r)).join('\n')}\n`);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', out]);
    // The carried failure counts: not 0.
    expect(resumed.code, resumed.stderr).toBe(4);
    expect(resumed.stderr).toContain('Following 1 action(s)');
    expect(posts()).toHaveLength(0);
    const ledger = readFileSync(join(dir, 'followed.resumed.ndjson'), 'utf8');
    expect(outcomes(ledger).map((o) => [o.id, o.state, o.errorCode]).sort()).toEqual(ids.map((id) => [id, 'failed', 'COMMAND_FAILED']));
    expect(devices(ledger).map((l) => l.id).sort()).toEqual(ids);
  });

  it('pages back through a device\'s actions to find the run\'s own, past the newest 50', async () => {
    await sandbox.call('POST', '/_sandbox/reset');
    const [id] = loadIds(1, 440);
    const { file, dir } = fileOf([id!]);
    const earlier = join(dir, 'earlier.ndjson');
    expect((await amps(['push', 'battery', '--devices', file, 'charge', '--target', '70%', '--out', earlier])).code).toBe(0);
    await actionsDone([id!]);
    // 55 actions since, each replacing the one before: the run's own is on the second page.
    for (let i = 0; i < 55; i++) {
      const start = new Date(Date.now() + 3_600_000 + i * 60_000).toISOString();
      const r = await sandbox.call('POST', `/battery/${id}`, { action: { command: 'idle', start }, onConflict: 'cancel_and_replace' });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
    }
    // As if it crashed before its device line: the row lies within the horizon, so it is reconciled.
    const crashed = join(dir, 'crashed.ndjson');
    writeFileSync(crashed, `${JSON.stringify({ run: { ...records(readFileSync(earlier, 'utf8'))[0].run, ledger: crashed } })}\n${JSON.stringify({ horizon: 40 })}\n`);
    sandbox.requests.length = 0;
    const resumed = await amps(['push', '--resume', crashed]);
    expect(resumed.code, resumed.stderr + readFileSync(join(dir, 'crashed.resumed.ndjson'), 'utf8')).toBe(0);
    expect(posts()).toHaveLength(0);
    expect(sandbox.requests.filter((r) => r.path.startsWith('/actions?')).length).toBeGreaterThanOrEqual(2);
    expect(devices(readFileSync(join(dir, 'crashed.resumed.ndjson'), 'utf8')).map((l) => [l.outcome, l.reason])).toEqual([['accepted', expect.stringContaining('reconciled')]]);
  });

  it('a run that read a stream by its name (a FIFO, /dev/stdin, <(…)) is resumed only with the list given again', async () => {
    const ids = loadIds(3, 455);
    const { file, dir } = fileOf(ids);
    const out = join(dir, 'ledger.ndjson');
    const fifo = join(dir, 'devices.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('close', resolve));
    const first = await amps(['push', 'battery', '--devices', fifo, 'idle', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(await written).toBe(0);
    cutToRunRecord(out);
    sandbox.requests.length = 0;
    // Opened again, the FIFO waits for a writer for ever (or gives another list): never the run's.
    const refused = await amps(['push', '--resume', out]);
    expect([refused.code, refused.stderr.split('\n')[0]]).toEqual([2, `amps: the run of ${out} read its devices from ${fifo}, a stream (not a regular file), which cannot be read again`]);
    expect(posts()).toHaveLength(0);
    expect(existsSync(`${out}.resumed-into`)).toBe(false);
    await actionsDone(ids);
    const given = await amps(['push', '--resume', out, '--devices', '-'], `${ids.join('\n')}\n`);
    expect(given.code, given.stderr).toBe(0);
    expect(devices(readFileSync(join(dir, 'ledger.resumed.ndjson'), 'utf8')).map((l) => l.id).sort()).toEqual(ids);
  });

  it('goes where its run went: a ledger is not resumed against another API URL of the same environment', async () => {
    const { file, dir } = fileOf(loadIds(2, 452));
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    expect(records(readFileSync(out, 'utf8'))[0].run.api).toBe(sandbox.url);
    cutToRunRecord(out);
    // Another server with a test key (here a proxy in front of the same sandbox, at another port).
    const other = await proxyToSandbox(() => false);
    try {
      sandbox.requests.length = 0;
      const resumed = await runCli(['push', '--resume', out], { env: { ...env, AMPS_API_URL: other.url } });
      expect([resumed.code, ...resumed.stderr.trim().split('\n')]).toEqual([2,
        `amps: the ledger ${out} is of a run against ${sandbox.url}; this resume would go to ${other.url}, so nothing was sent`,
        `  hint: resume with the profile or API URL the run had (--api-url ${sandbox.url})`]);
      expect(posts()).toHaveLength(0);
      expect(existsSync(`${out}.resumed-into`)).toBe(false);
      // The same API, spelt with a trailing slash, is the same.
      await actionsDone(loadIds(2, 452));
      const same = await runCli(['push', '--resume', out], { env: { ...env, AMPS_API_URL: `${sandbox.url}/` } });
      expect(same.code, same.stderr).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('goes where its run went: a ledger of a test run is not resumed against another environment', async () => {
    const { file, dir } = fileOf(loadIds(2, 450));
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'idle', '--out', out]);
    const run = records(readFileSync(out, 'utf8'))[0].run;
    writeFileSync(out, `${JSON.stringify({ run: { ...run, environment: 'live' } })}\n`);
    sandbox.requests.length = 0;
    const r = await amps(['push', '--resume', out]);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `amps: the ledger ${out} is of a run against the live environment; this resume would go to test, so nothing was sent`]);
    expect(posts()).toHaveLength(0);
    expect(existsSync(join(dir, 'ledger.resumed.ndjson'))).toBe(false);
  });

  it('refuses a resume with another command or body, and never writes over the ledger it reads', async () => {
    const { file, dir } = fileOf(loadIds(5));
    const out = join(dir, 'ledger.ndjson');
    await amps(['push', 'battery', '--devices', file, 'charge', '--target', '80%', '--out', out]);
    sandbox.requests.length = 0;
    const other = await amps(['push', 'battery', 'discharge', '--resume', out]);
    expect([other.code, other.stderr]).toEqual([2, expect.stringContaining('is of another run')]);
    const body = await amps(['push', 'battery', 'charge', '--target', '90%', '--resume', out]);
    expect(body.code).toBe(2);
    const same = await amps(['push', 'battery', 'charge', '--target', '80%', '--resume', out, '--out', out]);
    expect([same.code, same.stderr]).toEqual([2, expect.stringContaining('is the ledger being resumed: the ledger would write over it')]);
    expect(posts()).toHaveLength(0);
    // A resume of a finished run sends nothing: every device was answered.
    const nothing = await amps(['push', '--resume', out, '--json']);
    expect(nothing.code).toBe(0);
    expect(posts()).toHaveLength(0);
    expect(devices(readFileSync(join(dir, 'ledger.resumed.ndjson'), 'utf8'))).toHaveLength(5);
  });
});
