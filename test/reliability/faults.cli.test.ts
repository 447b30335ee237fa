import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, freshConfigDir, runCli } from '../helpers/cli.js';
import { startFaultServer, type Fault, type FaultServer } from '../helpers/fault-server.js';

// Every scenario runs `amps get` and `amps push` against a real misbehaving server on loopback,
// with --timeout 2s: each must end inside the timeout (plus process start-up), with the
// documented exit code and a clear message, and a push is sent twice only with --retry, after an answer the docs' retry table says to retry.

const TIMEOUT_MS = 2000;
const SLACK_MS = 2500;
let server: FaultServer;

beforeAll(async () => {
  server = await startFaultServer();
});
beforeEach(() => server.reset());
afterAll(async () => server.close());

async function amps(fault: Fault, args: string[], timeoutMs = TIMEOUT_MS) {
  const env = cleanEnv({ AMPS_API_URL: server.url(fault), AMPS_API_KEY: 'amps_sk_test_reliability1' });
  const started = Date.now();
  const r = await runCli([...args, '--timeout', `${timeoutMs}ms`], { env, timeoutMs: 30_000 });
  return { ...r, elapsed: Date.now() - started };
}

const get = (fault: Fault) => amps(fault, ['get', 'battery', 'b1']);

/**
 * amps against a server that answers every request 429 with Retry-After: 20 s, given Ctrl-C as
 * soon as it says it waits to retry: its exit code, and how long it took to end after Ctrl-C.
 */
async function interruptedWhileWaiting(args: string[], input?: string): Promise<{ code: number | null; afterInterrupt: number }> {
  const env = cleanEnv({ AMPS_API_URL: server.url('ratelimit-20s'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
  const child = spawn(process.execPath, [BIN, ...args, '--timeout', '60s'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  await new Promise<void>((resolve) => child.stderr.on('data', (d: string) => {
    stderr += d;
    if (stderr.includes('retrying GET')) resolve();
  }));
  const interrupted = Date.now();
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, afterInterrupt: Date.now() - interrupted };
}

const push = (fault: Fault, extra: string[] = [], timeoutMs = TIMEOUT_MS) => amps(fault, ['push', 'battery', 'b1', 'charge', '--no-preflight', ...extra], timeoutMs);

/** amps given Ctrl-C once its POST has reached the server, which never answers: its exit code and stderr. */
async function interruptedOnItsWay(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  while (server.count('POST') === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  child.kill('SIGINT');
  return { code: await closed, stderr };
}

describe('Ctrl-C while a push is on its way', () => {
  it('says the API may have acted on it, in text and in JSON, exit 130', async () => {
    for (const json of [false, true]) {
      server.reset();
      const env = cleanEnv({ AMPS_API_URL: server.url('hang'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
      const { code, stderr } = await interruptedOnItsWay(['push', 'battery', 'b1', 'idle', '--no-preflight', '--timeout', '60s', ...(json ? ['--json'] : [])], env);
      expect(code).toBe(130);
      const said = json ? JSON.parse(stderr.trim().split('\n').at(-1)!).error : { code: 'INTERRUPTED', hint: stderr };
      // The path under the API URL (its own /hang left out), and what shows whether it took effect.
      expect(said).toMatchObject({ code: 'INTERRUPTED', hint: expect.stringContaining('POST /battery/b1 was on its way') });
      expect(said.hint).toContain("may have acted on it. Read the device's actions (amps actions list --device b1)");
    }
  });
});

describe('the read-back a write that may have run is given', () => {
  it('goes where the write went: the flags typed are on it, after a timeout and after Ctrl-C', async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'amps-where-')), 'key');
    writeFileSync(keyFile, 'amps_sk_test_reliability1\n', { mode: 0o600 });
    const url = server.url('hang');
    const where = `--api-url ${url} --api-key-file ${keyFile}`;
    // Until now `amps actions list --device b1` alone: run as printed, it read the embedded sandbox,
    // found nothing, and the operator pushed again.
    const timedOut = await runCli(['push', 'battery', 'b1', 'idle', '--no-preflight', '--api-url', url, '--api-key-file', keyFile, '--timeout', '1s'], { env: cleanEnv() });
    expect([timedOut.code, timedOut.stderr]).toEqual([6, expect.stringContaining(`Read the device's actions (amps actions list --device b1 ${where}) before sending it again`)]);
    server.reset();
    const { code, stderr } = await interruptedOnItsWay(['api', 'POST', '/battery/b1', '-f', 'action.command=idle', '--api-url', url, '--api-key-file', keyFile, '--timeout', '60s'], cleanEnv());
    expect(code).toBe(130);
    expect(stderr).toContain(`Read the device's actions (amps actions list --device b1 ${where}) before sending it again`);
  });
});

describe('reads against a misbehaving server', () => {
  it.each([
    // fault, exit code, message, GET requests (reads retry transient failures: 1 + 2)
    ['reset', 6, 'CONNECTION_RESET', 3],
    ['truncated', 6, 'CONNECTION_RESET', 3],
    ['html502', 6, 'an HTML page, not JSON', 3],
    ['badjson200', 8, 'truncated or invalid JSON', 2],
    ['ratelimit-once', 0, 'retrying GET', 2],
    ['unavailable-twice', 0, 'retrying GET', 3],
    ['timeout504', 6, 'TIMEOUT · HTTP 504', 3],
    // A status line with no HTTP status (a raw TCP server's): no answer to decode, never HTTP_0.
    ['status-000', 8, 'PROTOCOL_ERROR', 2],
  ] as const)('%s: exit %i, says "%s", %i request(s)', async (fault, exit, message, requests) => {
    const r = await get(fault);
    expect(r.code).toBe(exit);
    expect(r.stdout + r.stderr).toContain(message);
    expect(server.count('GET')).toBe(requests);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('says on stderr when and why it retries, honouring Retry-After', async () => {
    const r = await get('ratelimit-once');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/retrying GET \/battery\/b1 in 1(\.\d)? s \(attempt 2 of 3\): RATE_LIMIT_EXCEEDED \(HTTP 429\)/);
    expect(r.elapsed).toBeGreaterThanOrEqual(1000);
    // With --json, stderr carries JSON lines only: the retry is one.
    server.reset();
    const json = await amps('ratelimit-once', ['get', 'battery', 'b1', '--json']);
    expect(json.code).toBe(0);
    const lines = json.stderr.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { retry: { method: 'GET', path: '/battery/b1', delayMs: expect.any(Number), attempt: 2, of: 3, reason: 'RATE_LIMIT_EXCEEDED (HTTP 429)' } },
    ]);
    // Never sooner than the Retry-After (1 s); spread by up to half of it, so that pushes refused together do not all come back together.
    expect(lines[0].retry.delayMs).toBeGreaterThanOrEqual(1000);
    expect(lines[0].retry.delayMs).toBeLessThanOrEqual(1500);
  });

  it.each(['hang', 'trickle', 'until-close'] as const)('%s: gives up inside --timeout, exit 6', async (fault) => {
    const r = await get(fault);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('CLIENT_TIMEOUT');
    expect(r.elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    // The attempt took all of --timeout: said so, not as a wait that would have ended past it.
    expect(r.stderr).toMatch(/amps note: not retried: the attempt used up --timeout \([\d.]+ s, retries included\)/);
  });

  it('Ctrl-C during the wait before a retry ends it at once, exit 130', async () => {
    const r = await interruptedWhileWaiting(['get', 'battery', 'b1']);
    expect(r.code).toBe(130);
    // The wait was 20 s: ending well before proves Ctrl-C cut it short.
    expect(r.afterInterrupt).toBeLessThan(10_000);
    expect(server.count('GET')).toBe(1);
  }, 40_000);

  it('one of parallel reads refused: the answer is given and amps exits, the others ended rather than waited for', async () => {
    const env = cleanEnv({ AMPS_API_URL: server.url('batteries-refused'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const started = Date.now();
    const r = await runCli(['devices', '--timeout', '60s'], { env, timeoutMs: 30_000 });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('VALIDATION_ERROR');
    // The other types' requests hang for ever: exiting well inside --timeout proves they were ended.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(server.count('GET')).toBeGreaterThan(1);
  }, 40_000);
});

describe('pushes against a misbehaving server', () => {
  it('a fleet stopped by Ctrl-C does not wait out its preflight reads\' Retry-After: every device not_sent, none pushed, exit 130', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'amps-faults-')), 'ledger.ndjson');
    const ids = Array.from({ length: 6 }, (_, i) => `b${i + 1}`);
    const r = await interruptedWhileWaiting(['push', 'battery', '--devices', '-', 'charge', '--out', ledger], `${ids.join('\n')}\n`);
    expect(r.code).toBe(130);
    // Each read would wait 20 s before its retry: ending well before proves the run did not.
    expect(r.afterInterrupt).toBeLessThan(10_000);
    const entries = readFileSync(ledger, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id?: string; outcome?: string }).filter((e) => e.id);
    expect(entries.map((e) => e.id).sort()).toEqual(ids);
    expect(new Set(entries.map((e) => e.outcome))).toEqual(new Set(['not_sent']));
    expect(server.count('POST')).toBe(0);
  }, 40_000);

  it.each([
    ['reset', 6],
    ['truncated', 6],
    ['html502', 6],
    ['html503', 6],
    ['badjson200', 8],
    ['ratelimit-once', 6],
    ['unavailable-twice', 6],
    ['timeout504', 6],
  ] as const)('%s: exit %i, sent exactly once without --retry', async (fault, exit) => {
    const r = await push(fault);
    expect(r.code).toBe(exit);
    expect(server.count('POST')).toBe(1);
  });

  it.each(['hang', 'trickle', 'until-close'] as const)('%s: gives up inside --timeout, sent once', async (fault) => {
    const r = await push(fault, ['--retry', '3']);
    expect(r.code).toBe(6);
    expect(r.elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(server.count('POST')).toBe(1);
    // The push may have run: amps says to look before pushing again.
    expect(r.stderr).toContain('What to do: Retry; a push that timed out may have run, so read the device or its actions before pushing again.');
    expect(r.stderr).toContain('POST /battery/b1 was sent and no answer came from the API: it may have acted on it. Read the device\'s actions (amps actions list --device b1) before sending it again');
  });

  it('a write that got no answer says so where scripts read it (unanswered, hint); one refused before it left, or answered by the API, does not', async () => {
    const noAnswer = await push('reset', ['--json']);
    // Inside the error, where every error's hint is.
    expect([noAnswer.code, JSON.parse(noAnswer.stderr).error]).toEqual([6, expect.objectContaining({ unanswered: 'POST /battery/b1', hint: expect.stringContaining('it may have acted on it') })]);
    const gateway = await push('html502', ['--json']);
    expect(JSON.parse(gateway.stderr).error.unanswered).toBe('POST /battery/b1');
    const answered = await push('invalid400', ['--json']);
    expect([answered.code, 'unanswered' in JSON.parse(answered.stderr).error]).toEqual([4, false]);
    const refused = await runCli(['push', 'battery', 'b1', 'idle', '--no-preflight', '--json'], { env: cleanEnv({ AMPS_API_URL: 'http://127.0.0.1:9', AMPS_API_KEY: 'amps_sk_test_reliability1' }) });
    expect([refused.code, JSON.parse(refused.stderr).error.code, 'unanswered' in JSON.parse(refused.stderr).error]).toEqual([6, 'CONNECTION_REFUSED', false]);
  });

  it('a fleet whose pushes time out says they may have run, not to retry them', async () => {
    const env = cleanEnv({ AMPS_API_URL: server.url('hang'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--timeout', `${TIMEOUT_MS}ms`], { env, input: 'b1\nb2\n', timeoutMs: 20_000 });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/failed\s+│\s+CLIENT_TIMEOUT\s+│\s+2\s+│\s+may have run: read the devices or their actions before pushing again/);
    expect(server.count('POST')).toBe(2);
  });

  it.each([
    // With --retry, the docs' retry table decides for its codes (the transport codes, TIMEOUT too,
    // with backoff; UNKNOWN_ERROR once; the command codes never); a lost answer or a body that is
    // no Amps error is never sent again.
    ['ratelimit-once', 0, 2],
    ['unavailable-twice', 0, 3],
    ['timeout504', 6, 4],
    ['timeout504-once', 0, 2],
    ['unknown500', 8, 2],
    ['invalid400', 4, 1],
    // A success status took the push, whatever its body says: INVALID_RESPONSE, never resent.
    ['failed200', 8, 1],
    ['reset', 6, 1],
    ['html503', 6, 1],
  ] as const)('%s with --retry 3: exit %i after %i push(es)', async (fault, exit, posts) => {
    // A --timeout that holds three backoffs (at most 0.5 + 1 + 2 s), so that each count is exact.
    const r = await push(fault, ['--retry', '3'], 15_000);
    expect(r.code).toBe(exit);
    expect(server.count('POST')).toBe(posts);
  });

  it('a retry notice counts the attempts the error\'s class allows: UNKNOWN_ERROR is sent twice whatever --retry says', async () => {
    const single = await push('unknown500', ['--retry', '5'], 15_000);
    expect(single.code).toBe(8);
    expect(single.stderr).toMatch(/retrying POST \/battery\/b1 in [\d.]+ m?s \(attempt 2 of 2\): UNKNOWN_ERROR \(HTTP 500\)/);
    server.reset();
    const env = cleanEnv({ AMPS_API_URL: server.url('unknown500'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const fleet = await runCli(['push', 'battery', '--devices', '-', 'idle', '--no-preflight', '--retry', '5'], { env, input: 'b1\n', timeoutMs: 20_000 });
    expect(fleet.code).toBe(8);
    expect(server.count('POST')).toBe(2);
    expect(fleet.stderr).toMatch(/retrying POST \/battery\/b1 in [\d.]+ m?s \(attempt 2 of 2\): UNKNOWN_ERROR \(HTTP 500\)/);
  }, 40_000);

  it('a fleet with --retry resends as one push does: a TIMEOUT answer after its backoff, never a command code', async () => {
    for (const [fault, exit, posts] of [['timeout504-once', 0, 2], ['invalid400', 4, 1]] as const) {
      server.reset();
      const env = cleanEnv({ AMPS_API_URL: server.url(fault), AMPS_API_KEY: 'amps_sk_test_reliability1' });
      const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--retry', '2', '--json'], { env, input: 'b1\n', timeoutMs: 20_000 });
      expect(r.code, fault).toBe(exit);
      expect(server.count('POST'), fault).toBe(posts);
      const line = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: string; outcome?: string; attempts?: number }).find((l) => l.id === 'b1');
      expect(line?.outcome, fault).toBe(exit === 0 ? 'accepted' : 'rejected');
    }
  }, 30_000);

  it.each(['html202', 'trunc202'] as const)('%s: a push answered 2xx with a body amps cannot read was taken: it says so, never to retry, and is not sent again', async (fault) => {
    for (const args of [['--retry', '3'], ['--retry', '3', '--json']]) {
      server.reset();
      const r = await push(fault, args, 15_000);
      expect(r.code).toBe(8);
      expect(server.count('POST')).toBe(1);
      expect(r.stderr).toContain('The push was sent and accepted; check amps actions list --device b1 before sending it again');
      expect(r.stderr).toContain('INVALID_RESPONSE');
      expect(r.stderr).not.toMatch(/retrying POST|"retry":\s*\{/);
    }
  });

  it('a fleet\'s resends are announced and bounded by --timeout, as one push\'s; a wait past 60 s stops the run', async () => {
    server.reset();
    let env = cleanEnv({ AMPS_API_URL: server.url('offline'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const started = Date.now();
    const r = await runCli(['push', 'battery', '--devices', '-', 'idle', '--no-preflight', '--retry', '4', '--timeout', '6s'], { env, input: 'b1\n', timeoutMs: 30_000 });
    expect(r.code).toBe(7);
    // 2.5 to 5 s, then 5 to 10: the second wait would end past the 6 s --timeout.
    expect(Date.now() - started).toBeLessThan(9_000);
    expect(server.count('POST')).toBe(2);
    expect(r.stderr).toMatch(/retrying POST \/battery\/b1 in [\d.]+ s \(attempt 2 of 5\): DEVICE_OFFLINE \(HTTP 410\)/);
    server.reset();
    env = cleanEnv({ AMPS_API_URL: server.url('unavailable-wait-120'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const long = await runCli(['push', 'battery', '--devices', '-', 'idle', '--no-preflight', '--retry', '2', '--concurrency', '1', '--json'], { env, input: 'b1\nb2\nb3\n', timeoutMs: 30_000 });
    const lines = long.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: string; outcome?: string });
    expect(lines.filter((l) => l.id).map((l) => [l.id, l.outcome])).toEqual([['b1', 'failed'], ['b2', 'not_sent'], ['b3', 'not_sent']]);
    expect(server.count('POST')).toBe(1);
  }, 40_000);

  it('a fleet\'s resends after a 429 are announced and bounded by --timeout too', async () => {
    server.reset();
    let env = cleanEnv({ AMPS_API_URL: server.url('ratelimit-once'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const once = await runCli(['push', 'battery', '--devices', '-', 'idle', '--no-preflight', '--retry', '3'], { env, input: 'b1\n', timeoutMs: 30_000 });
    expect(once.code).toBe(0);
    expect(once.stderr).toMatch(/retrying POST \/battery\/b1 in 1(\.0)? s \(attempt 2 of 4\): RATE_LIMIT_EXCEEDED \(HTTP 429\)/);
    server.reset();
    env = cleanEnv({ AMPS_API_URL: server.url('ratelimit-20s'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const started = Date.now();
    const long = await runCli(['push', 'battery', '--devices', '-', 'idle', '--no-preflight', '--retry', '3', '--timeout', '3s'], { env, input: 'b1\n', timeoutMs: 30_000 });
    expect(long.code).toBe(6);
    expect(server.count('POST')).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 40_000);

  it('a resume sends no device again whose answer was a 2xx, whatever its body said', async () => {
    server.reset();
    const env = cleanEnv({ AMPS_API_URL: server.url('failed200'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const out = join(freshConfigDir(), 'run.ndjson');
    const first = await runCli(['push', 'battery', '--devices', '-', 'idle', '--no-preflight', '--retry', '3', '--out', out, '--json'], { env, input: 'b1\n', timeoutMs: 30_000 });
    expect(first.code).toBe(8);
    expect(JSON.parse(first.stdout.split('\n')[0]!)).toMatchObject({ id: 'b1', outcome: 'failed', code: 'INVALID_RESPONSE', status: 200 });
    const resumed = await runCli(['push', '--resume', out, '--devices', '-', '--no-preflight'], { env, input: 'b1\n', timeoutMs: 30_000 });
    expect(resumed.code).not.toBe(1);
    expect(server.count('POST')).toBe(1);
  }, 40_000);

  it('a retry whose wait would end past --timeout is not made, and that is said (text and --json)', async () => {
    const r = await amps('ratelimit-20s', ['push', 'battery', 'b1', 'charge', '--no-preflight', '--retry', '2'], 5_000);
    expect([r.code, server.count('POST')]).toEqual([6, 1]);
    expect(r.stderr).toContain('amps note: not retried: the wait before it (20 s) would end past --timeout (5 s, retries included); a longer --timeout waits it out');
    server.reset();
    const json = await amps('ratelimit-20s', ['push', 'battery', 'b1', 'charge', '--no-preflight', '--retry', '2', '--json'], 5_000);
    expect(JSON.parse(json.stderr.trim().split('\n').at(-1)!).error.retryWithheld).toContain('not retried: the wait before it (20 s)');
    // A fleet's device likewise: sent once, its ledger line saying why there was no resend.
    server.reset();
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    const env = cleanEnv({ AMPS_API_URL: server.url('ratelimit-20s'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const fleet = await runCli(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--retry', '2', '--timeout', '5s', '--out', out], { env, input: 'b1\n', timeoutMs: 30_000 });
    expect([fleet.code, server.count('POST')]).toEqual([6, 1]);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id?: string; reason?: string }).filter((l) => l.id);
    expect(lines.map((l) => l.reason)).toEqual(['b1'].map(() => 'not retried: the wait before it (20 s) would end past --timeout (5 s, retries included); a longer --timeout waits it out'));
  }, 30_000);

  it('a retry that would leave its attempt under 250 ms of --timeout is not made: the API\'s answer is reported, not amps\' own timeout', async () => {
    // Retry-After: 1 s with --timeout 1.1 s: the wait fits, the attempt after it would have under
    // 0.1 s, and a local server answers that fast; a remote API would not, and the 429 would be
    // said as CLIENT_TIMEOUT.
    const r = await amps('ratelimit-once', ['get', 'battery', 'b1', '--json'], 1_100);
    expect([r.code, server.count('GET')], r.stderr).toEqual([6, 1]);
    const error = JSON.parse(r.stderr.trim().split('\n').at(-1)!).error;
    // Which of the two is said depends on how long the first attempt took (a loaded machine's over 100 ms leaves less than the wait): never a retry that times out.
    expect([error.code, error.retryWithheld]).toEqual(['RATE_LIMIT_EXCEEDED', expect.stringMatching(/^not retried: (after the wait before it \(1 s\), under 250 ms of|the wait before it \(1 s\) would end past) --timeout \(1\.1 s, retries included\)/)]);
    // Time enough, the retry is made and answered.
    server.reset();
    const waited = await amps('ratelimit-once', ['get', 'battery', 'b1'], 5_000);
    expect([waited.code, server.count('GET')], waited.stderr).toEqual([0, 2]);
  });

  it('a fleet of sixteen workers each waiting before a resend: no MaxListenersExceededWarning on stderr, whose --json lines all parse', async () => {
    // Every connection refused (nothing sent): each worker waits before its resend.
    const env = cleanEnv({ AMPS_API_URL: 'http://127.0.0.1:9', AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const ids = Array.from({ length: 40 }, (_, i) => `b${i}`).join('\n');
    const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--concurrency', '16', '--retry', '2', '--json'], { env, input: ids, timeoutMs: 60_000 });
    expect(r.stderr).not.toContain('MaxListenersExceededWarning');
    for (const line of r.stderr.trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
  });

  it('a fleet\'s ledger keeps the status the API answered an accepted push with (a 200 here), not the docs\' 202', async () => {
    const dir = freshConfigDir();
    const out = join(dir, 'ledger.ndjson');
    const env = cleanEnv({ AMPS_API_URL: server.url('accepted-200'), AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const fleet = await runCli(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--out', out], { env, input: 'b1\nb2\n', timeoutMs: 30_000 });
    expect(fleet.code, fleet.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id?: string; outcome?: string; status?: number }).filter((l) => l.id);
    expect(lines.map((l) => [l.outcome, l.status])).toEqual([['accepted', 200], ['accepted', 200]]);
  });

  it('DEVICE_OFFLINE with --retry is sent again after a delay of seconds, as the docs\' table says, never at once', async () => {
    const r = await push('offline-once', ['--retry', '1', '--json'], 15_000);
    expect(r.code).toBe(0);
    expect(server.count('POST')).toBe(2);
    const notice = r.stderr.split('\n').filter((line) => line.startsWith('{"retry"')).map((line) => JSON.parse(line) as { retry: { delayMs: number; reason: string } });
    expect(notice).toHaveLength(1);
    expect(notice[0]!.retry.reason).toBe('DEVICE_OFFLINE (HTTP 410)');
    expect(notice[0]!.retry.delayMs).toBeGreaterThanOrEqual(2_500);
    expect(notice[0]!.retry.delayMs).toBeLessThanOrEqual(5_000);
  }, 20_000);

  it('a TLS handshake refused (https to a server that speaks plain HTTP) is not retried, even with --retry: no resend mends it', async () => {
    const { createServer } = await import('node:net');
    let connections = 0;
    const plain = createServer((socket) => {
      connections++;
      socket.on('error', () => undefined).once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const env = cleanEnv({ AMPS_API_URL: `https://127.0.0.1:${(plain.address() as { port: number }).port}`, AMPS_API_KEY: 'amps_sk_test_reliability1' });
      const r = await runCli(['push', 'battery', 'b1', 'charge', '--no-preflight', '--retry', '2', '--timeout', '5s'], { env });
      expect([r.code, r.stderr.includes('TLS_FAILURE'), r.stderr.includes('retrying POST'), connections]).toEqual([6, true, false, 1]);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('a connection refused before sending may be retried with --retry: nothing was sent', async () => {
    const env = cleanEnv({ AMPS_API_URL: 'http://127.0.0.1:9', AMPS_API_KEY: 'amps_sk_test_reliability1' });
    const r = await runCli(['push', 'battery', 'b1', 'charge', '--no-preflight', '--retry', '2', '--timeout', '5s'], { env });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('CONNECTION_REFUSED');
    expect(r.stderr).toContain('More: amps doctor (DNS, TCP, TLS and the proxy, checked one by one)');
    expect(r.stderr.match(/retrying POST/g)).toHaveLength(2);
  });
});

/**
 * A server on an https URL that never finishes the TLS handshake: it takes the connection and the
 * client's first TLS message and then says nothing ('silent'), or resets the connection at that
 * message, as a firewall refusing the handshake does ('reset'). Counts the connections made.
 */
async function handshakeServer(mode: 'silent' | 'reset'): Promise<{ url: string; hellos: () => number; close: () => Promise<void> }> {
  const { createServer } = await import('node:net');
  let hellos = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => {
      hellos++;
      if (mode === 'reset') socket.resetAndDestroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    hellos: () => hellos,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** `use` run against a handshakeServer of `mode`, which is closed after it whatever happens. */
async function withHandshakeServer(mode: 'silent' | 'reset', use: (tls: Awaited<ReturnType<typeof handshakeServer>>) => Promise<void>): Promise<void> {
  const tls = await handshakeServer(mode);
  try {
    await use(tls);
  } finally {
    await tls.close();
  }
}

describe('a push whose connection was never made: nothing was sent, and amps says so', () => {
  const env = (url: string) => cleanEnv({ AMPS_API_URL: url, AMPS_API_KEY: 'amps_sk_test_reliability1' });

  it('a TLS handshake reset (a firewall): NETWORK_FAILURE, nothing was sent, no "was sent" line; --retry sends it again', async () => {
    await withHandshakeServer('reset', async (tls) => {
      const r = await runCli(['push', 'battery', 'b1', 'charge', '--no-preflight', '--json', '--timeout', '5s'], { env: env(tls.url) });
      const error = JSON.parse(r.stderr.trim().split('\n').at(-1)!).error;
      expect([r.code, error.code, 'unanswered' in error]).toEqual([6, 'NETWORK_FAILURE', false]);
      expect(error.message).toContain('the connection was closed while it was being made (ECONNRESET): nothing was sent');
      const text = await runCli(['push', 'battery', 'b1', 'charge', '--no-preflight', '--timeout', '5s'], { env: env(tls.url) });
      expect(text.stderr).toContain('nothing was sent');
      expect(text.stderr).not.toContain('was sent and no answer came');
      const before = tls.hellos();
      const retried = await runCli(['push', 'battery', 'b1', 'charge', '--no-preflight', '--retry', '2', '--timeout', '10s'], { env: env(tls.url) });
      expect([retried.code, retried.stderr.match(/retrying POST/g)?.length, tls.hellos() - before]).toEqual([6, 2, 3]);
    });
  }, 30_000);

  it('a fleet (its own HTTP client) resends a device whose handshake was reset, and never one whose connection was reset after the push left', async () => {
    await withHandshakeServer('reset', async (tls) => {
      const r = await runCli(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--retry', '1', '--timeout', '10s', '--json'], { env: env(tls.url), input: 'b1\nb2\n' });
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: string; code?: string; attempts?: number }).filter((l) => l.id);
      expect(lines.map((l) => [l.id, l.code, l.attempts]).sort()).toEqual([['b1', 'NETWORK_FAILURE', 2], ['b2', 'NETWORK_FAILURE', 2]]);
    });
    // The fault server resets the connection once the POST has arrived: that push may have run.
    const sent = await runCli(['push', 'battery', '--devices', '-', 'charge', '--no-preflight', '--retry', '1', '--timeout', '10s', '--json'], { env: env(server.url('reset')), input: 'b1\nb2\n' });
    const lines = sent.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: string; code?: string; attempts?: number }).filter((l) => l.id);
    expect(lines.map((l) => [l.code, l.attempts])).toEqual([['CONNECTION_RESET', 1], ['CONNECTION_RESET', 1]]);
    expect(server.count('POST')).toBe(2);
  }, 30_000);

  it('a handshake never completed within --timeout: CLIENT_TIMEOUT, nothing was sent, no "was sent" line', async () => {
    await withHandshakeServer('silent', async (tls) => {
      const r = await runCli(['push', 'battery', 'b1', 'charge', '--no-preflight', '--json', '--timeout', '1500ms'], { env: env(tls.url) });
      const error = JSON.parse(r.stderr.trim().split('\n').at(-1)!).error;
      expect([r.code, error.code, 'unanswered' in error]).toEqual([6, 'CLIENT_TIMEOUT', false]);
      expect(error.message).toContain('no connection to the API was made: nothing was sent');
    });
  }, 30_000);

  it('Ctrl-C during the handshake: interrupted, exit 130, and no "was on its way" (text and JSON)', async () => {
    await withHandshakeServer('silent', async (tls) => {
      for (const json of [false, true]) {
        const before = tls.hellos();
        const child = spawn(process.execPath, [BIN, 'push', 'battery', 'b1', 'idle', '--no-preflight', '--timeout', '60s', ...(json ? ['--json'] : [])], { env: env(tls.url) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
        while (tls.hellos() === before) await new Promise((resolve) => setTimeout(resolve, 10));
        child.kill('SIGINT');
        expect(await closed).toBe(130);
        const said = json ? JSON.parse(stderr.trim().split('\n').at(-1)!).error : { code: 'INTERRUPTED', hint: stderr.includes('was on its way') ? stderr : null };
        expect(said).toMatchObject({ code: 'INTERRUPTED', hint: null });
      }
    });
  }, 30_000);
});
