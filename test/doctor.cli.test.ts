import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './helpers/cli.js';
import { useSandbox } from './helpers/sandbox.js';

// amps doctor: each check broken on purpose, each time the finding names the fix and the exit
// code is the most severe failure's.

let env: Record<string, string | undefined>;
useSandbox({}, 'amps_sk_test_doctorTests1', (_started, startedEnv) => {
  env = startedEnv;
});

interface Result {
  checks: Array<{ area: string; status: string; detail: string; fix?: string; exitCode?: number }>;
  exitCode: number;
}
const doctor = async (runEnv: Record<string, string | undefined>) => {
  const r = await runCli(['doctor', '--json'], { env: runEnv });
  const result = JSON.parse(r.stdout) as Result;
  expect(r.code).toBe(result.exitCode);
  return { ...result, failed: result.checks.filter((c) => c.status === 'fail') };
};

/** An API whose clock is `skewS` seconds off: a Date header that says so. */
let skewed: Server;
let skewedUrl: (skewS: number | 'garbage') => string;
beforeAll(async () => {
  skewed = createServer((req, res) => {
    const skew = req.url!.split('/')[1];
    res.setHeader('date', skew === 'garbage' ? 'garbage' : new Date(Date.now() + Number(skew) * 1000).toUTCString());
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: true, data: { items: [], pagination: { limit: 1, offset: 0, total: 0, hasMore: false } }, meta: { requestId: 'req_skew', environment: 'sandbox' } }));
  });
  await new Promise<void>((resolve) => skewed.listen(0, '127.0.0.1', resolve));
  skewedUrl = (skewS) => `http://127.0.0.1:${(skewed.address() as AddressInfo).port}/${skewS}`;
});
afterAll(() => new Promise<void>((resolve) => skewed.close(() => resolve())));

describe('amps doctor', () => {
  it('passes on the embedded sandbox and on a served one, exit 0', async () => {
    const embedded = await doctor(cleanEnv({ AMPS_APP_ID: 'app_1' }));
    expect(embedded.exitCode).toBe(0);
    expect(embedded.checks.map((c) => `${c.area}:${c.status}`)).toEqual(['config:pass', 'network:skip', 'auth:pass', 'clock:pass', 'sandbox:pass']);
    const served = await doctor({ ...env, AMPS_APP_ID: 'app_1' });
    expect(served.exitCode).toBe(0);
    expect(served.checks.find((c) => c.area === 'auth')!.detail).toMatch(/HTTP 200 .* request id req_\S+, environment sandbox/);
    expect(served.checks.some((c) => c.area === 'network' && /TCP: connected to 127\.0\.0\.1/.test(c.detail))).toBe(true);
  });

  it('a live key the sandbox refuses: the auth check fails with LIVE_ACCESS_DISABLED and its request id, exit 3', async () => {
    const r = await doctor({ ...env, AMPS_API_KEY: 'amps_sk_live_doctorLive01' });
    expect(r.exitCode).toBe(3);
    expect(r.failed).toEqual([expect.objectContaining({ area: 'auth', detail: expect.stringMatching(/LIVE_ACCESS_DISABLED \(HTTP 403\), request id req_/), fix: expect.stringContaining('live access is not enabled') })]);
  });

  it('a closed port, and a proxy that refuses: the network check fails naming which, exit 6', async () => {
    const closed = await doctor(cleanEnv({ AMPS_API_URL: 'http://127.0.0.1:1', AMPS_API_KEY: 'amps_sk_test_doctorTests1' }));
    expect(closed.exitCode).toBe(6);
    expect(closed.failed[0].detail).toBe('TCP: no connection to 127.0.0.1:1 (ECONNREFUSED)');
    // What the failure left unchecked is said, never left out; every check has every field.
    expect(closed.checks.slice(-2)).toEqual([
      { area: 'auth', status: 'skip', detail: 'not checked: the network check failed', fix: null, exitCode: null },
      { area: 'clock', status: 'skip', detail: 'not checked: the network check failed', fix: null, exitCode: null },
    ]);
    const proxied = await doctor(cleanEnv({ AMPS_API_URL: 'https://api.example.test', AMPS_API_KEY: 'amps_sk_test_doctorTests1', HTTPS_PROXY: 'http://127.0.0.1:1' }));
    expect(proxied.exitCode).toBe(6);
    expect(proxied.failed[0].detail).toContain('TCP: no connection to 127.0.0.1:1 (the proxy http://127.0.0.1:1, from HTTPS_PROXY/HTTP_PROXY; NO_PROXY does not exempt api.example.test) (ECONNREFUSED)');
    expect(proxied.failed[0].fix).toContain('NO_PROXY');
  });

  it('https to an address (no host name): the TLS check runs without SNI, and nothing but amps writes to stderr', async () => {
    // A port that takes the connection and closes it: the handshake fails, after Node has chosen what to send.
    const { createServer: tcpServer } = await import('node:net');
    const closer = tcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = closer.address() as AddressInfo;
      const r = await runCli(['doctor', '--json'], { env: cleanEnv({ AMPS_API_URL: `https://127.0.0.1:${port}`, AMPS_API_KEY: 'amps_sk_test_doctorTests1' }) });
      expect(JSON.parse(r.stdout).checks.find((c: { area: string }) => c.area === 'network').detail).toContain('TLS');
      expect(r.stderr).not.toMatch(/Warning|servername|SNI/i);
    } finally {
      await new Promise((resolve) => closer.close(resolve));
    }
  });

  it('a refused read still checks the clock against the Date that came back: an error status, or a 200 that is no list (INVALID_RESPONSE)', async () => {
    const denying = createServer((req, res) => {
      res.setHeader('date', new Date(Date.now() + 1200 * 1000).toUTCString());
      res.writeHead(req.url!.startsWith('/null') ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url!.startsWith('/null') ? { success: true, data: null, meta: { requestId: 'req_null' } } : { success: false, error: { code: 'INVALID_API_KEY', message: 'The API key is not valid.' }, meta: { requestId: 'req_deny' } }));
    });
    await new Promise<void>((resolve) => denying.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = denying.address() as AddressInfo;
      for (const [path, code] of [['', 'INVALID_API_KEY'], ['/null', 'INVALID_RESPONSE']]) {
        const found = await doctor(cleanEnv({ AMPS_API_URL: `http://127.0.0.1:${port}${path}`, AMPS_API_KEY: 'amps_sk_test_doctorTests1' }));
        expect(found.failed.map((c) => c.area), path).toEqual(['auth', 'clock']);
        expect(found.failed[0].detail, path).toContain(code);
        expect(found.failed[1].detail, path).toMatch(/this machine's clock is 120[01] s behind the server's/);
      }
    } finally {
      await new Promise((resolve) => denying.close(resolve));
    }
  });

  it('a read that fails with no Date to go by (a 500, retried; no header) shows the clock as skipped, saying why: never missing from the list', async () => {
    const failing = createServer((req, res) => {
      if (req.url!.includes('nodate')) res.sendDate = false;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, error: { code: 'INTERNAL_ERROR', message: 'An internal error occurred.' }, meta: { requestId: 'req_500' } }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = failing.address() as AddressInfo;
      for (const [path, why] of [['', 'the read was retried'], ['/nodate', 'the read brought no Date header']]) {
        const found = await doctor(cleanEnv({ AMPS_API_URL: `http://127.0.0.1:${port}${path}`, AMPS_API_KEY: 'amps_sk_test_doctorTests1' }));
        // Until now the clock check was left out of the list.
        expect(found.checks.find((c) => c.area === 'clock'), path).toMatchObject({ status: 'skip', detail: expect.stringContaining(`not checked: ${why}`) });
      }
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it('a proxy that refuses the tunnel (CONNECT 404): the auth check says so and names no code explain does not know', async () => {
    const proxy = createServer((_req, res) => res.writeHead(404).end());
    proxy.on('connect', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\n\r\n'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const found = await doctor(cleanEnv({ AMPS_API_URL: 'https://api.example.test', AMPS_API_KEY: 'amps_sk_test_doctorTests1', HTTPS_PROXY: `http://127.0.0.1:${port}` }));
      expect(found.exitCode).toBe(6);
      expect(found.failed[0]).toMatchObject({ area: 'auth', detail: expect.stringContaining('the proxy answered the tunnel request (CONNECT) with HTTP 404') });
      expect(found.failed[0].fix).not.toContain('amps explain');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('a proxy variable that is not a URL: one line, exit 2, for doctor and for requests; the embedded sandbox (loopback) never reads it', async () => {
    const remote = { AMPS_API_URL: 'https://api.example.test', AMPS_API_KEY: 'amps_sk_test_doctorTests1', HTTPS_PROXY: 'not-a-url' };
    const found = await doctor(cleanEnv(remote));
    expect([found.exitCode, found.failed[0].detail]).toEqual([2, "the proxy 'not-a-url' (HTTPS_PROXY/HTTP_PROXY) is not a URL such as http://HOST:PORT"]);
    const get = await runCli(['get', 'battery', 'bat_voltaro_01'], { env: cleanEnv(remote) });
    expect([get.code, get.stderr.split('\n')[0]]).toEqual([2, "amps: the proxy 'not-a-url' (HTTPS_PROXY/HTTP_PROXY) is not a URL such as http://HOST:PORT"]);
    const embedded = await runCli(['get', 'battery', 'bat_voltaro_01', '--json'], { env: cleanEnv({ HTTPS_PROXY: 'not-a-url', HTTP_PROXY: 'also not' }) });
    expect([embedded.code, JSON.parse(embedded.stdout).id]).toEqual([0, 'bat_voltaro_01']);
    // A key pasted where the proxy goes (a CI secret mixed up) is not printed by doctor either.
    const key = 'amps_sk_live_mixedUp98765';
    for (const args of [['doctor'], ['doctor', '--json']]) {
      const leaked = await runCli(args, { env: cleanEnv({ ...remote, AMPS_API_KEY: key, HTTPS_PROXY: key }) });
      expect(leaked.code, args.join(' ')).toBe(2);
      expect(leaked.stdout + leaked.stderr, args.join(' ')).not.toContain('mixedUp98765');
    }
  });

  it('a junk sandbox state it finds is reported as kept aside, not as "not yet written"', async () => {
    const junk = cleanEnv();
    writeFileSync(join(junk.AMPS_CONFIG_DIR!, 'sandbox-state.json'), '{nope');
    const found = await doctor(junk);
    expect(found.exitCode).toBe(0);
    const sandbox = found.checks.filter((c) => c.area === 'sandbox');
    expect(sandbox.map((c) => c.status)).toEqual(['pass', 'warn']);
    expect(sandbox[0].detail).not.toContain('not yet written');
    expect(sandbox[1].detail).toMatch(/^the sandbox state file was unreadable \(it is not valid JSON\); it was kept as /);
  });

  it('a server clock a minute off is a warning; twenty minutes off is a failure, exit 2', async () => {
    const minute = await doctor(cleanEnv({ AMPS_API_URL: skewedUrl(-60), AMPS_API_KEY: 'amps_sk_test_doctorTests1' }));
    expect(minute.exitCode).toBe(0);
    expect(minute.checks.find((c) => c.area === 'clock')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/is (59|60|61) s ahead of the server's/) });
    const far = await doctor(cleanEnv({ AMPS_API_URL: skewedUrl(1200), AMPS_API_KEY: 'amps_sk_test_doctorTests1' }));
    expect(far.exitCode).toBe(2);
    expect(far.failed[0]).toMatchObject({ area: 'clock', detail: expect.stringMatching(/is (1199|1200|1201) s behind the server's: webhook signatures are refused beyond 300 s/) });
    // A Date header that is no date is said to be one, not said to be missing.
    const garbage = await doctor(cleanEnv({ AMPS_API_URL: skewedUrl('garbage'), AMPS_API_KEY: 'amps_sk_test_doctorTests1' }));
    expect(garbage.checks.find((c) => c.area === 'clock')).toMatchObject({ status: 'skip', detail: "the server's Date header (garbage) is no date to compare with" });
  });

  it('a sandbox whose clock was moved on purpose: a warning that says so and how to put it back, not "sync the clock"', async () => {
    const own = cleanEnv();
    expect((await runCli(['api', 'POST', '/_sandbox/clock', '-f', 'advanceSeconds=3600'], { env: own })).code).toBe(0);
    const moved = await doctor(own);
    expect(moved.exitCode).toBe(0);
    expect(moved.checks.find((c) => c.area === 'clock')).toMatchObject({
      status: 'warn', detail: expect.stringMatching(/^the sandbox's clock is (3599|3600|3601) s ahead of this machine's \(moved with POST \/_sandbox\/clock\)/), fix: expect.stringContaining('amps sandbox reset'),
    });
    expect((await runCli(['sandbox', 'reset', '-q'], { env: own })).code).toBe(0);
    expect((await doctor(own)).checks.find((c) => c.area === 'clock')!.status).toBe('pass');
  });

  it('a URL that is not the API (a web page answers): the fix says no request id came back, not to escalate with one', async () => {
    const page = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>Not here</body></html>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    try {
      const r = await doctor(cleanEnv({ AMPS_API_URL: `http://127.0.0.1:${(page.address() as AddressInfo).port}`, AMPS_API_KEY: 'amps_sk_test_doctorTests1' }));
      expect(r.failed.find((c) => c.area === 'auth')).toMatchObject({ detail: expect.stringContaining('HTTP_404'), fix: expect.stringContaining('no request id came back: this may not be the Amps API (check the API URL)') });
    } finally {
      await new Promise((resolve) => page.close(resolve));
    }
  });

  it('Ctrl-C during a check shows the checks done, then the interruption (exit 130)', async () => {
    let reached: () => void = () => {};
    const reading = new Promise<void>((resolve) => (reached = resolve));
    // An API that takes the authenticated read and never answers it.
    const silent = createServer(() => reached());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { spawn } = await import('node:child_process');
      const { BIN } = await import('./helpers/cli.js');
      const child = spawn(process.execPath, [BIN, 'doctor', '--timeout', '60s'], { env: cleanEnv({ AMPS_API_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, AMPS_API_KEY: 'amps_sk_test_doctorTests1', NO_COLOR: '1' }) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = new Promise<number | null>((resolve) => child.on('close', resolve));
      await reading;
      child.kill('SIGINT');
      expect(await code).toBe(130);
      // Until now only "interrupted" was said: the network checks that had passed were dropped.
      expect(stdout).toMatch(/✔ network {2}TCP: connected to 127\.0\.0\.1:\d+/);
      expect(stdout).toContain('- doctor   interrupted: the checks not listed above were not made');
      expect(stderr).toContain('interrupted');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a configuration that keeps amps from starting is the finding: a profile that does not exist, exit 2', async () => {
    const r = await doctor(cleanEnv({ AMPS_PROFILE: 'nope' }));
    expect(r.exitCode).toBe(2);
    expect(r.failed[0]).toMatchObject({ area: 'config', detail: "no profile named 'nope' (from AMPS_PROFILE)" });
    expect(r.checks.map((c) => `${c.area}:${c.status}`)).toEqual(['config:fail', 'network:skip', 'auth:skip', 'clock:skip']);
  });

  it('an AMPS_TZ that names no zone (every push refuses to run) is a failure, exit 2; one that does is said', async () => {
    const bad = await doctor(cleanEnv({ AMPS_TZ: 'Mars/Base' }));
    expect([bad.exitCode, bad.failed]).toEqual([2, [expect.objectContaining({ area: 'config', detail: expect.stringMatching(/^AMPS_TZ 'Mars\/Base' is not a time zone/), exitCode: 2 })]]);
    const good = await doctor(cleanEnv({ AMPS_TZ: 'europe/london' }));
    expect([good.exitCode, good.checks.find((c) => c.detail.startsWith('AMPS_TZ'))?.detail]).toEqual([0, 'AMPS_TZ: times typed without a zone are read in Europe/London']);
  });
});
