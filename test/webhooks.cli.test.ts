import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, cleanEnv, freshConfigDir, runCli } from './helpers/cli.js';

// Webhooks end to end: the sandbox emits the documented events, `sandbox serve --webhook` delivers
// them signed and retries, `amps listen` forwards them, `webhooks trigger` makes one on demand and
// `webhooks verify` says why a signature fails. Signatures are checked here with this file's own
// HMAC, written from the docs' description (contract.md §13), not with amps' code.

vi.setConfig({ testTimeout: 60_000 });

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A handler on loopback: records every delivery; `answers` gives the status of each in turn (then 200). */
class Receiver {
  readonly received: Received[] = [];
  private server!: Server;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  constructor(private readonly answers: number[] = []) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        res.writeHead(this.answers[this.received.length - 1] ?? 200);
        res.end();
        for (const waiter of this.waiters.filter((w) => this.received.length >= w.count)) waiter.resolve();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Resolves once `count` deliveries have arrived: the event the test waits on. */
  until(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The docs' scheme, by hand: HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed by the base64 after whsec_. */
function signatureFor(secret: string, id: string, timestamp: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64');
}

function expectSignedBy(secret: string, delivery: Received): void {
  const id = String(delivery.headers['svix-id']);
  const timestamp = String(delivery.headers['svix-timestamp']);
  const entries = String(delivery.headers['svix-signature']).split(' ');
  expect(entries.map((e) => e.replace(/^v1,/, ''))).toContain(signatureFor(secret, id, timestamp, delivery.body));
  expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);
}

/** A process's output, and a promise for the first line that matches. */
function watchOutput(child: ChildProcess, stream: 'stdout' | 'stderr') {
  let text = '';
  const waiters: Array<{ test: RegExp; resolve: (line: string) => void }> = [];
  child[stream]!.setEncoding('utf8').on('data', (d: string) => {
    text += d;
    for (const waiter of [...waiters]) {
      const line = text.split('\n').find((l) => waiter.test.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  return {
    text: () => text,
    line: (test: RegExp) => new Promise<string>((resolve) => {
      const line = text.split('\n').find((l) => test.test(l));
      if (line !== undefined) resolve(line);
      else waiters.push({ test, resolve });
    }),
  };
}

/** The first JSON document a process prints on stdout (indented over several lines). */
function firstJson(child: ChildProcess): Promise<any> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: string) => {
      text += d;
      const end = text.indexOf('\n}');
      if (end === -1) return;
      child.stdout!.off('data', onData);
      resolve(JSON.parse(text.slice(0, end + 2)));
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
  });
}

/** The child's exit code, whether it has exited already or not. */
const exited = (child: ChildProcess) => (child.exitCode !== null || child.signalCode !== null
  ? Promise.resolve(child.exitCode)
  : new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))));

describe('amps sandbox serve --webhook: the sandbox delivers signed events, at least once', () => {
  let receiver: Receiver;
  let serve: ChildProcess;
  let sandbox: { url: string; key: string; webhookSecret: string };
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    receiver = new Receiver([500]);
    const hooks = await receiver.start();
    // With credentials in the URL, which nothing may print.
    serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--webhook', hooks.replace('http://', 'http://user:s3cretpw@'), '--json'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    sandbox = await firstJson(serve);
    env = cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: sandbox.key });
  });
  afterAll(async () => {
    serve.kill('SIGTERM');
    await exited(serve);
    await receiver.close();
  });

  it('a push that fails at dispatch: push.failed arrives signed; a 500 is retried with the same svix-id', async () => {
    const push = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'SCHEDULER_ACTIVE', '--simulate-at', 'dispatch', '--json'], { env });
    expect(push.code).toBe(0);
    const actionId = JSON.parse(push.stdout).id;
    await receiver.until(2);
    const [first, retry] = receiver.received;
    for (const delivery of [first, retry]) expectSignedBy(sandbox.webhookSecret, delivery);
    expect(retry.headers['svix-id']).toBe(first.headers['svix-id']);
    expect(first.headers['amps-event-type']).toBe('push.failed');
    expect(JSON.parse(retry.body)).toMatchObject({ actionId, deviceId: 'bat_voltaro_01', deviceType: 'battery', command: 'charge', errorCode: 'SCHEDULER_ACTIVE', result: { success: false } });
    // Flat: no event/data wrapper.
    expect(JSON.parse(retry.body)).not.toHaveProperty('data');
    const deliveries = await runCli(['sandbox', 'deliveries', '--json'], { env });
    expect(JSON.parse(deliveries.stdout).items.map((d: { try: number; status: number; outcome: string }) => [d.try, d.status, d.outcome])).toEqual([[1, 500, 'retrying'], [2, 200, 'delivered']]);
    // The secret is printed at start and by `sandbox secret`, never by the others.
    expect((await runCli(['sandbox', 'secret'], { env })).stdout.trim()).toBe(sandbox.webhookSecret);
    expect(deliveries.stdout + deliveries.stderr + push.stdout + push.stderr).not.toContain(sandbox.webhookSecret);
    expect(JSON.parse(deliveries.stdout).items[0].url).toMatch(/^http:\/\/redacted@127\.0\.0\.1:\d+\/hooks$/);
    expect(deliveries.stdout + JSON.stringify(sandbox)).not.toContain('s3cretpw');
  });
});

describe('amps sandbox serve --state --webhook: at least once across a restart', () => {
  it('a delivery still due when serve stops is made by the next serve of the same state, with the same svix-id; the log of tries is kept', async () => {
    const receiver = new Receiver([500, 500]);
    const hooks = await receiver.start();
    const state = join(freshConfigDir(), 'sandbox.json');
    const serveOnce = () => {
      const serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--state', state, '--webhook', hooks], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      return { serve, err: watchOutput(serve, 'stderr'), out: watchOutput(serve, 'stdout') };
    };
    try {
      const first = serveOnce();
      const url = /listening on (\S+)/.exec(await first.out.line(/listening on /))![1];
      const key = /^Key: (\S+)/.exec(await first.out.line(/^Key: /))![1];
      await fetch(`${url}/_sandbox/events`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'device.connected', deviceId: 'bat_voltaro_01' }) });
      // The first try is refused (500); the next is due a second later: serve stops before it.
      await first.err.line(/try 1\); again at /);
      first.serve.kill('SIGTERM');
      expect(await exited(first.serve)).toBe(0);
      expect(first.err.text()).toContain(`1 webhook delivery still due, made when it serves again with --webhook (${state}.deliveries.json)`);
      expect(receiver.received).toHaveLength(1);
      const second = serveOnce();
      await receiver.until(2);
      expect(receiver.received[1].headers['svix-id']).toBe(receiver.received[0].headers['svix-id']);
      await second.err.line(/try 2\); again at /);
      const url2 = /listening on (\S+)/.exec(await second.out.line(/listening on /))![1];
      const deliveries = await runCli(['sandbox', 'deliveries', '--json'], { env: cleanEnv({ AMPS_API_URL: url2, AMPS_API_KEY: key }) });
      expect(JSON.parse(deliveries.stdout).items.map((d: { try: number; status: number }) => [d.try, d.status])).toEqual([[1, 500], [2, 500]]);
      second.serve.kill('SIGTERM');
      expect(await exited(second.serve)).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});

describe('amps sandbox serve --state --webhook: the deliveries file', () => {
  it('is refused when it is no regular file (a FIFO held serve, Ctrl-C too); one that cannot be saved at stop is said, exit 11, no part left', async () => {
    const dir = freshConfigDir();
    const state = join(dir, 'sandbox.json');
    execFileSync('mkfifo', [`${state}.deliveries.json`]);
    const fifo = await runCli(['sandbox', 'serve', '--port', '0', '--state', state, '--webhook', 'http://127.0.0.1:9/h'], { env: cleanEnv(), timeoutMs: 20_000 });
    expect([fifo.code, fifo.stderr.split('\n')[0]]).toEqual([2, `amps: ${state}.deliveries.json, where serve keeps the webhook deliveries still due, is not a regular file`]);
    rmSync(`${state}.deliveries.json`);
    // A receiver that refuses everything: the delivery is still due at stop, and a folder stands where it is saved.
    const receiver = new Receiver(Array(20).fill(500));
    const hooks = await receiver.start();
    try {
      const serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--state', state, '--webhook', hooks], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = watchOutput(serve, 'stdout');
      const err = watchOutput(serve, 'stderr');
      const url = /listening on (\S+)/.exec(await out.line(/listening on /))![1];
      const key = /^Key: (\S+)/.exec(await out.line(/^Key: /))![1];
      await fetch(`${url}/_sandbox/events`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'device.connected', deviceId: 'bat_voltaro_01' }) });
      await err.line(/try 1\); again at /);
      mkdirSync(`${state}.deliveries.json`);
      const stopped = exited(serve);
      serve.kill('SIGTERM');
      expect(await stopped).toBe(11);
      expect(err.text()).toMatch(/amps: sandbox stopped, but the 1 webhook delivery still due and the log of tries could not be saved to .*: is a directory/);
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});

describe('amps sandbox serve --state --webhook: a deliveries file edited by hand', () => {
  it('whose deliveries could not be made as written (an id with a line break, a URL of no http, a due time of no count, a body nested past JSON\'s writing) is said and not read, never a crash', async () => {
    const state = join(freshConfigDir(), 'sandbox.json');
    const event = { id: 'msg_1', seq: 1, type: 'push.completed', createdAt: '2026-01-01T00:00:00Z', body: {} };
    const delivery = { event, url: 'http://127.0.0.1:9/ok', tries: 0, dueAt: 0 };
    // Written as text: JSON.stringify cannot write the deep one, which is the point.
    const deep = JSON.stringify({ ...delivery, event: { ...event, body: 'DEEP' } }).replace('"DEEP"', `${'{"a":'.repeat(20_000)}{}${'}'.repeat(20_000)}`);
    for (const pending of [
      JSON.stringify({ ...delivery, event: { ...event, id: 'msg\r\nX-Injected: 1' } }),
      JSON.stringify({ ...delivery, url: 'ftp://127.0.0.1/x' }),
      JSON.stringify({ ...delivery, dueAt: 1e308 }),
      deep,
    ]) {
      writeFileSync(`${state}.deliveries.json`, `{"pending":[${pending}],"log":[]}`);
      const serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--state', state, '--webhook', 'http://127.0.0.1:9/ok'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = watchOutput(serve, 'stdout');
      const err = watchOutput(serve, 'stderr');
      await out.line(/listening on /);
      // Until now: TypeError [ERR_INVALID_CHAR] (or a stack overflow) with Node's trace, exit 1, the state lock left behind.
      await err.line(/is not the webhook delivery queue amps writes; the deliveries it held are not made/);
      const stopped = exited(serve);
      serve.kill('SIGTERM');
      expect(await stopped, pending.slice(0, 80)).toBe(0);
      expect(err.text()).not.toMatch(/TypeError|RangeError|unexpected error/);
    }
  });
});

/** Resolves once `signal` sent to `pid` is no longer pending (Linux /proc: SigPnd, ShdPnd): the process has taken it. */
async function signalTaken(pid: number, signal: number): Promise<void> {
  const bit = 1n << BigInt(signal - 1);
  for (;;) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const pending = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].some((m) => (BigInt(`0x${m[1]}`) & bit) !== 0n);
    if (!pending) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('amps listen', () => {
  let receiver: Receiver;
  let hooks: string;
  beforeAll(async () => {
    receiver = new Receiver();
    hooks = await receiver.start();
  });
  afterAll(() => receiver.close());

  it('forwards the embedded sandbox\'s events, signed, as they happen; --events filters; Ctrl-C exits 130', async () => {
    const env = cleanEnv();
    const secret = (await runCli(['sandbox', 'secret'], { env })).stdout.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const listen = spawn(process.execPath, [BIN, 'listen', '--forward-to', hooks, '--events', 'push.failed'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = watchOutput(listen, 'stdout');
    const err = watchOutput(listen, 'stderr');
    await err.line(/^Listening to the embedded sandbox/);
    expect((await runCli(['push', 'battery', 'bat_voltaro_02', 'idle'], { env })).code).toBe(0);
    expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'DEVICE_OFFLINE', '--simulate-at', 'dispatch'], { env })).code).toBe(0);
    const line = await out.line(/push\.failed/);
    expect(line).toMatch(/push\.failed bat_voltaro_01 DEVICE_OFFLINE {2}msg_\w+ → 200 \(\d+ ms\)/);
    await receiver.until(1);
    expectSignedBy(secret, receiver.received[0]);
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ deviceId: 'bat_voltaro_01', errorCode: 'DEVICE_OFFLINE' });
    listen.kill('SIGINT');
    expect(await exited(listen)).toBe(130);
    // The completed push to bat_voltaro_02 was filtered out; the secret was never printed.
    expect(out.text()).not.toContain('push.completed');
    expect(receiver.received).toHaveLength(1);
    expect(out.text() + err.text()).not.toContain(secret);
  });

  it('Ctrl-C finishes the delivery in flight, saying so; a second one stops at once and names the delivery it cut short', async () => {
    const env = cleanEnv();
    let reached: () => void = () => {};
    const delivering = new Promise<void>((resolve) => (reached = resolve));
    // A handler that takes the delivery and never answers.
    const silent = createServer(() => reached());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks`;
    try {
      const listen = spawn(process.execPath, [BIN, 'listen', '--forward-to', url, '--events', 'push.failed', '--timeout', '60s'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const err = watchOutput(listen, 'stderr');
      await err.line(/^Listening to the embedded sandbox/);
      expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'DEVICE_OFFLINE', '--simulate-at', 'dispatch'], { env })).code).toBe(0);
      await delivering;
      listen.kill('SIGINT');
      const finishing = await err.line(/finishing the delivery of msg_\w+ in flight/);
      const id = /msg_\w+/.exec(finishing)![0];
      listen.kill('SIGINT');
      expect(await exited(listen)).toBe(130);
      // Until now the second Ctrl-C ended amps without a word of the delivery it left.
      expect(err.text()).toContain(`amps: stopped at once: the delivery of ${id} (push.failed) to ${url} was cut short, its answer unknown (amps listen --since replays it)`);

      // With --json, the one JSON error stderr holds (until now the same text line).
      const again = new Promise<void>((resolve) => (reached = resolve));
      // --since replays the event above: its delivery is in flight once the handler has it (the event to wait on).
      const quiet = spawn(process.execPath, [BIN, 'listen', '--forward-to', url, '--events', 'push.failed', '--timeout', '60s', '--since', '1h', '--json'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const quietErr = watchOutput(quiet, 'stderr');
      await again;
      // The second signal is sent once the first has reached the process: two sent at once are one
      // to the kernel (a signal pending is not queued twice).
      quiet.kill('SIGTERM');
      await signalTaken(quiet.pid!, 15);
      quiet.kill('SIGTERM');
      expect(await exited(quiet)).toBe(130);
      const said = JSON.parse(quietErr.text().trim());
      expect(said.error).toMatchObject({ code: 'INTERRUPTED', exitCode: 130, message: expect.stringMatching(/^stopped at once: the delivery of msg_\w+ \(push\.failed\) to .* was cut short/) });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('replays with --since; says so and exits 6 when a served sandbox goes away', async () => {
    const serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--json'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const sandbox = await firstJson(serve);
    const env = cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: sandbox.key });
    expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'idle', '--wait'], { env })).code).toBe(0);
    const listen = spawn(process.execPath, [BIN, 'listen', '--since', '10m', '--json'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = watchOutput(listen, 'stdout');
    const err = watchOutput(listen, 'stderr');
    await out.line(/"type":"push\.completed"/);
    // One event a line, for `while read` and `head -n` as for jq.
    const event = JSON.parse(out.text().split('\n').find((line) => line.includes('push.completed'))!);
    expect(event).toMatchObject({ type: 'push.completed', body: { deviceId: 'bat_voltaro_01' }, forwardedTo: null });
    // The same in text, beside it.
    const text = spawn(process.execPath, [BIN, 'listen', '--since', '10m'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const textOut = watchOutput(text, 'stdout');
    const textErr = watchOutput(text, 'stderr');
    await textOut.line(/push\.completed bat_voltaro_01/);
    // Each exit awaited from now: one may come while the test waits for another.
    const [served, listened, texted] = [exited(serve), exited(listen), exited(text)];
    serve.kill('SIGTERM');
    await served;
    expect(await listened).toBe(6);
    expect(await texted).toBe(6);
    expect(textErr.text()).toMatch(/stopped answering .*no more events will come\. 1 event\(s\) shown\./);
    // --json: every failure is one JSON object on stderr.
    const error = JSON.parse(err.text().trim().split('\n').at(-1)!).error;
    expect(error).toMatchObject({ exitCode: 6 });
    expect(['CONNECTION_REFUSED', 'CONNECTION_RESET']).toContain(error.code);
  });

  it('a closed stderr ends nothing: the events go on to stdout and the handler', async () => {
    const env = cleanEnv();
    expect((await runCli(['push', 'battery', 'bat_kestrel_02', 'idle', '--wait'], { env })).code).toBe(0);
    const before = receiver.received.length;
    const listen = spawn(process.execPath, [BIN, 'listen', '--forward-to', hooks, '--since', '10m'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    // Its reader gone before the first line ("Listening to …") is written to it.
    listen.stderr!.destroy();
    const out = watchOutput(listen, 'stdout');
    await out.line(/push\.completed bat_kestrel_02 .* → 200/);
    expect(receiver.received.length).toBeGreaterThan(before);
    listen.kill('SIGINT');
    expect(await exited(listen)).toBe(130);
  });

  it('its closing line counts the forwards a handler refused; --print-secret --json is one line, as every line there', async () => {
    const env = cleanEnv();
    expect((await runCli(['push', 'battery', 'bat_kestrel_02', 'idle', '--wait'], { env })).code).toBe(0);
    const { createServer } = await import('node:http');
    const refusing = createServer((req, res) => req.resume().on('end', () => res.writeHead(500).end('no')));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(refusing.address() as import('node:net').AddressInfo).port}/hooks`;
      const listen = spawn(process.execPath, [BIN, 'listen', '--forward-to', url, '--since', '10m', '--events', 'push.completed'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = watchOutput(listen, 'stdout');
      const err = watchOutput(listen, 'stderr');
      await out.line(/push\.completed bat_kestrel_02 .* → 500/);
      listen.kill('SIGINT');
      expect(await exited(listen)).toBe(130);
      // Until now: "Stopped: 1 event(s) forwarded." of a delivery the handler refused.
      const forwards = out.text().split('\n').filter((l) => l.includes(' → ')).length;
      expect(err.text()).toContain(`Stopped: ${forwards} event(s) forwarded, ${forwards} of them not answered with a 2xx.`);
      const json = spawn(process.execPath, [BIN, 'listen', '--print-secret', '--json'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const jsonOut = watchOutput(json, 'stdout');
      const first = await jsonOut.line(/secret/);
      json.kill('SIGINT');
      expect(await exited(json)).toBe(130);
      expect(JSON.parse(first)).toEqual({ secret: expect.stringMatching(/^whsec_/) });
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  it('--since counts back on the sandbox\'s clock, which a test may have stepped, not this machine\'s', async () => {
    const serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--json'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const sandbox = await firstJson(serve);
    const env = cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: sandbox.key });
    try {
      expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'idle', '--wait'], { env })).code).toBe(0);
      // Three hours on: the push's event is three hours old by the sandbox's clock.
      const stepped = await fetch(`${sandbox.url}/_sandbox/clock`, { method: 'POST', headers: { 'x-api-key': sandbox.key, 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: 3 * 3600 }) });
      const sandboxNow = Date.parse((await stepped.json()).data.now);
      for (const [since, shows] of [['1h', false], ['4h', true]] as const) {
        const listen = spawn(process.execPath, [BIN, 'listen', '--since', since], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        const out = watchOutput(listen, 'stdout');
        const err = watchOutput(listen, 'stderr');
        const from = Date.parse(/, from (\S+) · Ctrl-C stops/.exec(await err.line(/^Listening to /))![1]);
        expect(Math.abs(from - (sandboxNow - Number.parseInt(since, 10) * 3_600_000)), since).toBeLessThan(60_000);
        if (shows) await out.line(/push\.completed bat_voltaro_01/);
        listen.kill('SIGINT');
        expect(await exited(listen)).toBe(130);
        expect(out.text().includes('push.completed'), since).toBe(shows);
      }
    } finally {
      serve.kill('SIGTERM');
      await exited(serve);
    }
  });

  it('a clock stepped back neither replays an event, nor calls it a reset, nor loses what comes after (with --since or without)', async () => {
    const serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--json'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const sandbox = await firstJson(serve);
    const env = cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: sandbox.key });
    const post = (path: string, body: unknown) => fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'x-api-key': sandbox.key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const event = async (type: string, deviceId: string) => expect((await post('/_sandbox/events', { type, deviceId })).status).toBe(201);
    try {
      for (const args of [[], ['--since', '1m']]) {
        const listen = spawn(process.execPath, [BIN, 'listen', ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        const out = watchOutput(listen, 'stdout');
        const err = watchOutput(listen, 'stderr');
        await err.line(/^Listening to /);
        const device = args.length === 0 ? 'bat_helio_01' : 'bat_helio_02';
        await event('device.connected', device);
        await out.line(new RegExp(`device\\.connected ${device}`));
        await post('/_sandbox/clock', { advanceSeconds: 7200 });
        await event('device.reconnected', device);
        await out.line(new RegExp(`device\\.reconnected ${device}`));
        // Back an hour, then more: the events before the step are stamped in the sandbox's future,
        // the next ones before --since's start.
        await post('/_sandbox/clock', { advanceSeconds: -3600 * 3 });
        await event('device.disconnected', device);
        await out.line(new RegExp(`device\\.disconnected ${device}`));
        listen.kill('SIGINT');
        expect(await exited(listen)).toBe(130);
        const lines = out.text().trim().split('\n').filter((l) => l.includes(device));
        expect(lines.map((l) => l.split(/\s+/)[1]), args.join(' ')).toEqual(['device.connected', 'device.reconnected', 'device.disconnected']);
        expect(err.text(), args.join(' ')).not.toContain('was reset');
      }
    } finally {
      serve.kill('SIGTERM');
      await exited(serve);
    }
  });

  it('with --webhook-latency, a clock stepped back by less than the latency does not hold back again what was published', async () => {
    const serve = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--webhook-latency', '3s', '--json'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const sandbox = await firstJson(serve);
    const env = cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: sandbox.key });
    const post = (path: string, body: unknown) => fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'x-api-key': sandbox.key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      const listen = spawn(process.execPath, [BIN, 'listen'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = watchOutput(listen, 'stdout');
      const err = watchOutput(listen, 'stderr');
      await err.line(/^Listening to /);
      expect((await post('/_sandbox/events', { type: 'device.connected', deviceId: 'bat_nimbus_01' })).status).toBe(201);
      await out.line(/device\.connected bat_nimbus_01/);
      expect((await post('/_sandbox/clock', { advanceSeconds: -2 })).status).toBe(200);
      expect((await post('/_sandbox/events', { type: 'device.disconnected', deviceId: 'bat_nimbus_01' })).status).toBe(201);
      await out.line(/device\.disconnected bat_nimbus_01/);
      listen.kill('SIGINT');
      expect(await exited(listen)).toBe(130);
      expect(out.text().trim().split('\n').map((l) => l.split(/\s+/)[1])).toEqual(['device.connected', 'device.disconnected']);
      expect(err.text()).not.toContain('was reset');
    } finally {
      serve.kill('SIGTERM');
      await exited(serve);
    }
  });

  it('with --json, Ctrl-C is the INTERRUPTED error on stderr; a closed stdout ends it, exit 0, forwarding nothing more', async () => {
    const env = cleanEnv();
    expect((await runCli(['push', 'battery', 'bat_voltaro_02', 'idle'], { env })).code).toBe(0);
    const interrupted = spawn(process.execPath, [BIN, 'listen', '--since', '10m', '--json'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = watchOutput(interrupted, 'stdout');
    const err = watchOutput(interrupted, 'stderr');
    await out.line(/"type":"push\.completed"/);
    interrupted.kill('SIGINT');
    expect(await exited(interrupted)).toBe(130);
    expect(JSON.parse(err.text())).toMatchObject({ error: { code: 'INTERRUPTED', exitCode: 130 } });
    // `| head -1`: once a line finds nobody reading, listen ends rather than forward unseen.
    const before = receiver.received.length;
    const headed = spawn(process.execPath, [BIN, 'listen', '--since', '10m', '--json', '--forward-to', hooks], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = exited(headed);
    await new Promise<void>((resolve) => headed.stdout!.once('data', () => resolve()));
    headed.stdout!.destroy();
    expect((await runCli(['push', 'battery', 'bat_voltaro_02', 'charge'], { env })).code).toBe(0);
    expect(await closed).toBe(0);
    const forwarded = receiver.received.length - before;
    // The replayed event, and at most the one whose line found stdout closed.
    expect(forwarded).toBeGreaterThanOrEqual(1);
    expect(forwarded).toBeLessThanOrEqual(2);
  });

  it('after the sandbox is reset (events numbered from 1 again) goes on from its first event, saying so; a URL\'s credentials are not printed', async () => {
    const env = cleanEnv();
    const withCredentials = hooks.replace('http://', 'http://user:s3cretpw@');
    const listen = spawn(process.execPath, [BIN, 'listen', '--forward-to', withCredentials], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = watchOutput(listen, 'stdout');
    const err = watchOutput(listen, 'stderr');
    await err.line(/^Listening to the embedded sandbox/);
    // One event before the reset and one after: the new numbering is back at the cursor (seq 1) at once.
    expect((await runCli(['push', 'battery', 'bat_voltaro_02', 'idle'], { env })).code).toBe(0);
    await out.line(/push\.completed bat_voltaro_02/);
    expect((await runCli(['sandbox', 'reset'], { env })).code).toBe(0);
    expect((await runCli(['push', 'battery', 'bat_kestrel_01', 'idle'], { env })).code).toBe(0);
    await out.line(/push\.completed bat_kestrel_01/);
    expect(err.text()).toContain('amps: the embedded sandbox was reset (its events are numbered from 1 again); listening from its first event');
    listen.kill('SIGINT');
    expect(await exited(listen)).toBe(130);
    expect(err.text()).toContain('forwarding to http://redacted@127.0.0.1');
    expect(out.text() + err.text()).not.toContain('s3cretpw');
  });

  it('refuses a target that is not a sandbox (no /_sandbox/ routes: 404, 410; or a 200 to anything), in one line, exit 2', async () => {
    for (const status of [404, 410, 200]) {
      const api = new Receiver([status, status, status]);
      const url = (await api.start()).replace('/hooks', '');
      const r = await runCli(['listen'], { env: cleanEnv({ AMPS_API_URL: url, AMPS_API_KEY: 'amps_sk_test_notASandbox1' }) });
      await api.close();
      expect([r.code, r.stderr.split('\n')[0]], `${status}`).toEqual([2, `amps: ${url} is not an Amps sandbox (it has no /_sandbox/ routes), so it does not have webhook events`]);
    }
    // A page for every path.
    const page = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>ok</html>'));
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
      for (const args of [['listen'], ['sandbox', 'secret']]) {
        const r = await runCli(args, { env: cleanEnv({ AMPS_API_URL: url, AMPS_API_KEY: 'amps_sk_test_notASandbox1' }) });
        // (A read whose answer could not be used is retried once first, as every read is.)
        expect([r.code, r.stderr.split('\n').find((l) => l.startsWith('amps:'))], args.join(' ')).toEqual([2, expect.stringContaining(`amps: ${url} is not an Amps sandbox`)]);
      }
    } finally {
      page.closeAllConnections();
      await new Promise((resolve) => page.close(resolve));
    }
  });
});

describe('amps webhooks verify and trigger', () => {
  const dir = freshConfigDir();
  const env = cleanEnv({ AMPS_CONFIG_DIR: dir });
  const secret = `whsec_${Buffer.from('a secret of thirty-two bytes!!!!').toString('base64')}`;
  const other = `whsec_${Buffer.from('another secret, thirty-two bytes').toString('base64')}`;
  const secretFile = join(dir, 'secret.txt');
  const otherFile = join(dir, 'other.txt');
  writeFileSync(secretFile, `${secret}\n`);
  writeFileSync(otherFile, `${other}\n`);
  const body = '{"actionId":"act_1","deviceId":"bat_voltaro_01","errorCode":"SCHEDULER_ACTIVE"}';
  const delivery = (headers: Record<string, string>, text = body) => {
    const file = join(dir, `delivery-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(file, `POST /hooks HTTP/1.1\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`);
    return file;
  };
  const now = () => String(Math.floor(Date.now() / 1000));
  const signed = (key: string, id = 'msg_1', ts = now(), text = body) => ({ 'svix-id': id, 'svix-timestamp': ts, 'svix-signature': `v1,${signatureFor(key, id, ts, text)}` });
  const verify = (file: string, secretPath = secretFile) => runCli(['webhooks', 'verify', '--secret-file', secretPath, file], { env });

  it('verifies a correct delivery (exit 0), and a rotation\'s two entries with either secret', async () => {
    const fresh = await verify(delivery(signed(secret)));
    expect([fresh.code, fresh.stdout]).toEqual([0, expect.stringMatching(/^Verified: delivery msg_1 was signed with this secret, [0-9] s ago\.$/m)]);
    // A sender's clock ahead of this one, within the tolerance: not "-120 s ago".
    const ahead = await verify(delivery(signed(secret, 'msg_1', String(Math.floor(Date.now() / 1000) + 120))));
    expect([ahead.code, ahead.stdout]).toEqual([0, expect.stringMatching(/signed with this secret, stamped 1[12]\d s ahead of this machine's clock\./)]);
    const ts = now();
    const rotated = { 'svix-id': 'msg_2', 'svix-timestamp': ts, 'svix-signature': `v1,${signatureFor(other, 'msg_2', ts, body)} v1,${signatureFor(secret, 'msg_2', ts, body)}` };
    expect((await verify(delivery(rotated))).code).toBe(0);
    expect((await verify(delivery(rotated), otherFile)).code).toBe(0);
    const third = join(dir, 'third.txt');
    writeFileSync(third, `whsec_${Buffer.from('a third secret of 32 bytes......').toString('base64')}`);
    const r = await verify(delivery(rotated), third);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('none of the 2 v1 entries matches (more than one: a secret rotation');
  });

  it('a byte-order mark an editor put at the file\'s start is the file\'s (said); an empty delivery is bad input, exit 2', async () => {
    const file = delivery(signed(secret));
    writeFileSync(file, `\ufeff${readFileSync(file, 'utf8')}`);
    const marked = await runCli(['webhooks', 'verify', '--secret-file', secretFile, file, '--json'], { env });
    expect([marked.code, JSON.parse(marked.stdout).notes]).toEqual([0, ['the byte-order mark at the start of the file was taken as the file\'s, not part of the delivery']]);
    // The body alone, its headers as flags: the same.
    const ts = now();
    const bodyFile = join(dir, 'bom-body.json');
    writeFileSync(bodyFile, `\ufeff${body}`);
    const flags = await runCli(['webhooks', 'verify', '--secret-file', secretFile, '--header', 'svix-id: msg_9', '--header', `svix-timestamp: ${ts}`, '--header', `svix-signature: v1,${signatureFor(secret, 'msg_9', ts, body)}`, bodyFile], { env });
    expect(flags.code, flags.stdout).toBe(0);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const none = await verify(empty);
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([2, `amps: the delivery ${empty} is empty: there is nothing to verify`]);
    // Saved as UTF-16 (a Windows editor's "Unicode"): said as that, not as a delivery with no blank line.
    const wide = join(dir, 'utf16.txt');
    writeFileSync(wide, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(file, 'utf8').slice(1), 'utf16le')]));
    const hint = '  hint: a delivery is UTF-8 JSON, signed as sent: save it as received (UTF-16 is what some Windows editors save)';
    const named = await verify(wide);
    expect([named.code, named.stderr.split('\n')]).toEqual([2, [`amps: the delivery ${wide} is not UTF-8 text`, hint, '']]);
    const piped = await runCli(['webhooks', 'verify', '--secret-file', secretFile, '-'], { env, redirect: { stdin: [wide, 'r'] } });
    expect([piped.code, piped.stderr.split('\n')]).toEqual([2, ['amps: the delivery on stdin is not UTF-8 text', hint, '']]);
  });

  it('a signature header given twice keeps both lines\' entries; an empty svix-id is no id (exit 4)', async () => {
    const ts = now();
    const good = `v1,${signatureFor(secret, 'msg_3', ts, body)}`;
    const twoLines = join(dir, 'two-lines.txt');
    writeFileSync(twoLines, `svix-id: msg_3\nsvix-timestamp: ${ts}\nsvix-signature: ${good}\nSvix-Signature: v1,${'A'.repeat(43)}=\n\n${body}`);
    expect((await verify(twoLines)).code).toBe(0);
    // Another header given twice (the same id on two lines) is not joined into "msg_3 msg_3".
    const twoIds = join(dir, 'two-ids.txt');
    writeFileSync(twoIds, `svix-id: msg_3\nsvix-id: msg_3\nsvix-timestamp: ${ts}\nsvix-signature: ${good}\n\n${body}`);
    expect((await verify(twoIds)).code).toBe(0);
    const flags = await runCli(['webhooks', 'verify', '--secret-file', secretFile, '--header', 'svix-id: msg_3', '--header', `svix-timestamp: ${ts}`, '--header', `svix-signature: v1,${'A'.repeat(43)}=`, '--header', `svix-signature: ${good}`, '-'], { env, input: body });
    expect(flags.code, flags.stdout + flags.stderr).toBe(0);
    // Signed over `.{ts}.{body}`, as an empty id would be: no id, not verified.
    const noId = await verify(delivery({ 'svix-id': '', 'svix-timestamp': ts, 'svix-signature': `v1,${signatureFor(secret, '', ts, body)}` }));
    expect([noId.code, noId.stdout]).toEqual([4, expect.stringContaining('the delivery has no svix-id header')]);
  });

  it('quotes a delivery\'s id and timestamp without a key or an escape in them, verified or not, in text and --json', async () => {
    const id = 'msg-sk_live_Pasted\u001b[2JKey12345';
    const good = await verify(delivery(signed(secret, id)));
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('Verified: delivery msg-[redacted key] was signed');
    const bad = delivery({ ...signed(other, id), 'svix-timestamp': 'sk_test_PastedKey12345' });
    for (const args of [[], ['--json']]) {
      const r = await runCli(['webhooks', 'verify', '--secret-file', secretFile, bad, ...args], { env });
      expect(r.code).toBe(4);
      expect(r.stdout + r.stderr).not.toMatch(/PastedKey12345|\u001b|\\u001b/);
    }
  });

  it('says why: a tampered body, a re-serialised one, an old timestamp, a missing header', async () => {
    const tampered = await verify(delivery(signed(secret), body.replace('SCHEDULER_ACTIVE', 'DEVICE_OFFLINE')));
    expect([tampered.code, tampered.stdout]).toEqual([4, expect.stringContaining('the one v1 entry does not match')]);
    const pretty = await verify(delivery(signed(secret), JSON.stringify(JSON.parse(body), null, 2)));
    expect(pretty.stdout).toContain('matches it as compact JSON: the body was changed after it was signed');
    const old = await verify(delivery(signed(secret, 'msg_3', String(Math.floor(Date.now() / 1000) - 1000))));
    expect([old.code, old.stdout]).toEqual([4, expect.stringMatching(/the timestamp is 1\d{3} s old: outside the 300 s tolerance/)]);
    const { 'svix-signature': _dropped, ...unsigned } = signed(secret);
    const missing = await verify(delivery(unsigned));
    expect([missing.code, missing.stdout]).toEqual([4, expect.stringContaining('the delivery has no svix-signature header')]);
    // A header given twice with two values: a receiver joins them and refuses the delivery; amps verified it against one (found by a review).
    const twiceFile = delivery(signed(secret));
    writeFileSync(twiceFile, readFileSync(twiceFile, 'utf8').replace('svix-id: msg_1\n', 'svix-id: msg_1\nsvix-id: msg_2\n'));
    const twice = await verify(twiceFile);
    expect([twice.code, twice.stdout]).toEqual([4, expect.stringContaining("svix-id is given twice with different values: a receiver reads them joined ('msg_1, msg_2'), and amps will not pick one")]);
    // The same value twice is one header; a header verifying does not read, given twice (a proxy's at each hop), is none of its business.
    const sameFile = delivery(signed(secret));
    writeFileSync(sameFile, readFileSync(sameFile, 'utf8').replace('svix-id: msg_1\n', 'svix-id: msg_1\nsvix-id: msg_1\nx-forwarded-for: 10.0.0.1\nX-Forwarded-For: 10.0.0.2\n'));
    expect((await verify(sameFile)).code).toBe(0);
    // Unreadable input: a first line that is neither a request line nor a header.
    const garbled = join(dir, 'garbled.txt');
    writeFileSync(garbled, 'this is not a delivery\n\n{}');
    expect((await verify(garbled)).code).toBe(2);
  });

  it('a secret file that can neither sign nor verify (empty, not base64) is bad input, exit 2 naming the file, for verify and trigger alike: the file is wrong, not the delivery', async () => {
    const empty = join(dir, 'empty-secret.txt');
    writeFileSync(empty, '\n');
    const bad = join(dir, 'bad-secret.txt');
    writeFileSync(bad, 'whsec_not*base64!');
    for (const [file, why] of [[empty, 'the secret is empty'], [bad, 'the secret after whsec_ is not base64']] as const) {
      // Until now verify said "Does not verify", exit 4, as for a forged delivery.
      const verified = await verify(delivery(signed(secret)), file);
      expect([verified.code, verified.stdout, verified.stderr.trim()]).toEqual([2, '', `amps: cannot verify with the secret in ${file}: ${why}\n  hint: amps sandbox secret > FILE writes the sandbox's`]);
      const triggered = await runCli(['webhooks', 'trigger', 'push.completed', '--device', 'bat_voltaro_01', '--secret-file', file], { env });
      expect([triggered.code, triggered.stdout]).toEqual([2, '']);
      expect(triggered.stderr).toContain(`cannot sign with the secret in ${file}: ${why}`);
    }
    // Two secrets pasted into one file at a rotation: said as that, not as base64 gone wrong.
    const two = join(dir, 'two-secrets.txt');
    writeFileSync(two, `${secret}\n${secret}\n`);
    const both = await verify(delivery(signed(secret)), two);
    expect([both.code, both.stderr.split('\n')[0]]).toEqual([2, `amps: cannot verify with the secret in ${two}: it holds 2 lines, and a secret is one`]);
    // `-` is stdin elsewhere: never read as a file named '-'.
    const dash = await runCli(['webhooks', 'verify', '--secret-file', '-', join(dir, 'nothing.txt')], { env, input: secret });
    expect([dash.code, dash.stderr.split('\n')[0]]).toEqual([2, 'amps: --secret-file takes a file: stdin (-) is not read for a secret']);
  });

  it('a server whose webhook secret cannot sign is a bad answer, exit 8 with the decoded error, for trigger, listen and sandbox secret: not a crash in the signer', async () => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/_sandbox/webhook-secret' ? { secret: 'whsec_not*base64' } : {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const args of [['webhooks', 'trigger', 'push.completed', '--device', 'bat_voltaro_01'], ['listen', '--forward-to', 'http://127.0.0.1:9/hooks'], ['sandbox', 'secret']]) {
        const r = await runCli([...args, '--json'], { env: cleanEnv({ AMPS_CONFIG_DIR: freshConfigDir(), AMPS_API_URL: url, AMPS_API_KEY: 'amps_sk_test_badSecret1' }) });
        // Until now: "unexpected error: Base64Coder: incorrect characters for decoding", exit 1.
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(8);
        expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'INVALID_RESPONSE', message: expect.stringContaining('the secret after whsec_ is not base64') });
      }
    } finally {
      server.close();
    }
  });

  it('trigger sends any documented event, signed, with a catalogued code and custom fields; it verifies', async () => {
    const receiver = new Receiver();
    const hooks = await receiver.start();
    const r = await runCli(['webhooks', 'trigger', 'push.failed', '--device', 'bat_voltaro_01', '--code', 'vpp_locked', '--field', 'ticket=4711', '--forward-to', hooks, '--secret-file', secretFile], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^push\.failed bat_voltaro_01 msg_trigger_\w+ → 200/);
    await receiver.until(1);
    expectSignedBy(secret, receiver.received[0]);
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ deviceId: 'bat_voltaro_01', deviceType: 'battery', errorCode: 'VPP_LOCKED', ticket: 4711, result: { success: false } });
    const disconnected = await runCli(['webhooks', 'trigger', 'device.disconnected', '--device', 'ev_wallbox_01', '--forward-to', hooks, '--secret-file', secretFile], { env });
    expect(disconnected.code).toBe(0);
    await receiver.until(2);
    expect(JSON.parse(receiver.received[1].body)).toMatchObject({ deviceId: 'ev_wallbox_01', deviceType: 'ev_charger', reconnectionUrl: expect.stringMatching(/^https:\/\/auth\.amps\.ai\/\?reconnect=true&token=/) });
    await receiver.close();
    // Printed instead of sent: a delivery that verify reads back.
    const printed = await runCli(['webhooks', 'trigger', 'push.completed', '--device', 'bat_voltaro_01', '--secret-file', secretFile], { env });
    const file = join(dir, 'printed.txt');
    writeFileSync(file, printed.stdout);
    expect((await verify(file)).code).toBe(0);
    for (const output of [r.stdout, r.stderr, printed.stdout, printed.stderr]) expect(output).not.toContain(secret);
    // A code with a platform and a manufacturer meaning: a push.failed carries the manufacturer's (the docs' error-codes page).
    const revoked = await runCli(['webhooks', 'trigger', 'push.failed', '--device', 'bat_voltaro_01', '--code', 'INVALID_API_KEY', '--json'], { env });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('"errorMessage": "The device manufacturer rejected the supplied API key."');
    // A push event names a command of the device's family (heat for hvac by default), never one the API could not send.
    const hvac = await runCli(['webhooks', 'trigger', 'push.completed', '--device', 'hvac_thermia_01', '--json'], { env });
    expect([hvac.code, JSON.parse(hvac.stdout).body.command]).toEqual([0, 'heat']);
    for (const [args, said] of [
      [['push.completed', '--device', 'solar_sunrise_01', '--device-type', 'solar-inverter'], 'amps: push.completed is about a push, and a solar-inverter takes none (read-only)'],
      [['push.failed', '--device', 'hvac_thermia_01', '--command', 'charge'], "amps: --command 'charge' is not a hvac command"],
      [['device.connected', '--device', 'hvac_thermia_01', '--command', 'heat'], 'amps: --command goes with push.completed and push.failed'],
    ] as const) {
      const refused = await runCli(['webhooks', 'trigger', ...args], { env });
      expect([refused.code, refused.stderr.split('\n')[0]], args.join(' ')).toEqual([2, said]);
    }
  });

  it('trigger --forward-to waits for a handler that never answers no longer than --timeout', async () => {
    // Accepts the delivery and says nothing.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks`;
      const r = await runCli(['webhooks', 'trigger', 'push.failed', '--device', 'bat_voltaro_01', '--forward-to', url, '--secret-file', secretFile, '--timeout', '1s'], { env, timeoutMs: 15_000 });
      expect(r.stdout).toMatch(/^push\.failed bat_voltaro_01 msg_trigger_\w+ → no answer within 1 s/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 15_000);

  it('trigger --forward-to ended by Ctrl-C is an interruption (exit 130, INTERRUPTED on stderr), not an answer of the handler', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://user:s3cretpw@127.0.0.1:${(silent.address() as AddressInfo).port}/hooks`;
      for (const json of [[], ['--json']]) {
        const child = spawn(process.execPath, [BIN, 'webhooks', 'trigger', 'push.failed', '--device', 'bat_voltaro_01', '--forward-to', url, '--secret-file', secretFile, '--timeout', '30s', ...json], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        const out = watchOutput(child, 'stdout');
        const err = watchOutput(child, 'stderr');
        // Sent once the handler holds the connection.
        await new Promise<void>((resolve) => silent.once('request', () => resolve()));
        child.kill('SIGINT');
        expect(await exited(child)).toBe(130);
        expect(out.text()).toBe('');
        expect(err.text()).toMatch(json.length ? /"code":"INTERRUPTED"/ : /interrupted/i);
        expect(err.text()).not.toContain('s3cretpw');
      }
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it('trigger --forward-to takes the status of a handler that then streams its body for ever, and is done', async () => {
    const streaming = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200);
        const drip = setInterval(() => res.write('a'), 50);
        res.on('close', () => clearInterval(drip));
      });
    });
    await new Promise<void>((resolve) => streaming.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(streaming.address() as AddressInfo).port}/hooks`;
      const started = Date.now();
      const r = await runCli(['webhooks', 'trigger', 'push.failed', '--device', 'bat_voltaro_01', '--forward-to', url, '--secret-file', secretFile, '--timeout', '20s'], { env, timeoutMs: 15_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^push\.failed bat_voltaro_01 msg_trigger_\w+ → 200 /);
      // Done at the status, not at --timeout (nor never).
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      streaming.closeAllConnections();
      await new Promise((resolve) => streaming.close(resolve));
    }
  }, 20_000);

  it('refuses a --forward-to or --events that cannot be, in one line, exit 2', async () => {
    for (const [args, said] of [
      [['webhooks', 'trigger', 'push.completed', '--device', 'bat_voltaro_01', '--forward-to', 'ftp://127.0.0.1/x', '--secret-file', secretFile], '--forward-to must be http(s), not ftp:'],
      [['webhooks', 'trigger', 'push.completed', '--device', 'bat_voltaro_01', '--forward-to', 'file:///etc/passwd', '--secret-file', secretFile], '--forward-to must be http(s), not file:'],
      [['listen', '--forward-to', 'ftp://127.0.0.1/x'], '--forward-to must be http(s), not ftp:'],
      [['listen', '--events', 'push.complted'], "--events 'push.complted' names no webhook event"],
      [['listen', '--events', 'push.failed,devices.*'], "--events 'devices.*' names no webhook event"],
      [['listen', '--events', ''], '--events is given but names no event'],
      [['listen', '--forward-to', 'http://u:s3cretpw@localhost:99999/'], "--forward-to 'http://redacted@localhost:99999/' is not a URL"],
      [['listen', '--events', ' , '], '--events is given but names no event'],
      // Every event would go twice to that receiver (until now accepted).
      [['sandbox', 'serve', '--port', '0', '--webhook', 'http://u:s3cretpw@127.0.0.1:9/h', '--webhook', 'http://u:s3cretpw@127.0.0.1:9/h'], '--webhook http://redacted@127.0.0.1:9/h is given twice'],
    ] as const) {
      const r = await runCli([...args], { env });
      expect([r.code, r.stderr.split('\n')[0]], args.join(' ')).toEqual([2, `amps: ${said}`]);
    }
  });

  it('refuses what it cannot send, in one line: an unknown event, an unknown code, --code on another event', async () => {
    for (const [args, said] of [
      [['push.exploded', '--device', 'bat_voltaro_01'], "'push.exploded' is not a webhook event"],
      [['push.failed', '--device', 'bat_voltaro_01', '--code', 'NOPE_CODE'], "--code 'NOPE_CODE' is not a catalogued code"],
      [['device.connected', '--device', 'bat_voltaro_01', '--code', 'VPP_LOCKED'], '--code goes with push.failed'],
      [['push.failed', '--device', 'thing_1'], "cannot tell the device type of 'thing_1'"],
      // The delivery is printed, or logged by a handler: a key typed into it is not used (nor shown).
      [['push.failed', '--device', 'bat_voltaro_01', '--field', 'note=amps_sk_test_Zq9secretKEY12345'], '--field holds what looks like an API key, so it is not used: the delivery is printed, or sent to a handler'],
      [['push.failed', '--device', 'bat_voltaro_01', '--field', 'amps_sk_test_Zq9secretKEY12345=1'], '--field holds what looks like an API key, so it is not used: the delivery is printed, or sent to a handler'],
      [['push.failed', '--device', 'bat_voltaro_01', '--field', 'note="amps\\u005fsk_test_Zq9secretKEY12345"'], '--field holds what looks like an API key, so it is not used: the delivery is printed, or sent to a handler'],
      [['push.completed', '--device', 'bat_voltaro_01', '--command', 'sk_live_Zq9secretKEY12345abc'], '--command holds what looks like an API key, so it is not used: the delivery is printed, or sent to a handler'],
      // A field that would not go as typed: until now a stack overflow (exit 1), null, a rounded number, or the last of two.
      [['device.disconnected', '--device', 'ev_wallbox_01', '--field', `reason=${'['.repeat(20_000)}${']'.repeat(20_000)}`], '--field reason: the value is nested deeper than 32 levels'],
      [['device.disconnected', '--device', 'ev_wallbox_01', '--field', 'x=1e999'], '--field x: a number in the value is past what JSON numbers carry (it would go as null)'],
      [['device.disconnected', '--device', 'ev_wallbox_01', '--field', 'x=12345678901234567890'], '--field x: 12345678901234567890 is a whole number past 2^53, which would go rounded (12345678901234567000)'],
      [['device.disconnected', '--device', 'ev_wallbox_01', '--field', 'x=1', '--field', 'x=2'], '--field x is given twice'],
    ] as const) {
      const r = await runCli(['webhooks', 'trigger', ...args, '--secret-file', secretFile], { env });
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `amps: ${said}${said.endsWith("'thing_1'") ? ' from its id' : ''}`]);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/Zq9secret/);
    }
  });

  it('a signing secret pasted where its file goes is refused without being shown', async () => {
    const pasted = 'whsec_1AE9x2h0FMn56Z9cEgyd8gVEsNgfud5W';
    for (const args of [['verify', '--secret-file', pasted, '-'], ['trigger', 'push.completed', '--device', 'bat_voltaro_01', '--secret-file', pasted], ['verify', '--secret-file', pasted, '-', '--json']]) {
      const r = await runCli(['webhooks', ...args], { env, input: '{}' });
      const line = args.includes('--json') ? JSON.parse(r.stderr).error.message : r.stderr.split('\n')[0]!.replace(/^amps: /, '');
      expect([r.code, line], args.join(' ')).toEqual([2, '--secret-file holds what looks like a webhook signing secret, so it is not used: amps prints the files and URLs it is given']);
      expect(r.stdout + r.stderr).not.toContain('1AE9x2h0');
    }
    // Wherever else a refusal quotes what was typed, it is blanked.
    for (const args of [['devices', '--api-url', pasted], ['decode', pasted], ['webhooks', 'verify', '--secret-file', secretFile, pasted]]) {
      const r = await runCli(args, { env });
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, expect.stringContaining('[redacted secret]')]);
      expect(r.stderr).not.toContain('1AE9x2h0');
    }
    // A name that only starts so is a name: a file in a folder whsec_store is read.
    const named = join(freshConfigDir(), 'whsec_store');
    mkdirSync(named);
    copyFileSync(secretFile, join(named, 'current'));
    const read = await runCli(['webhooks', 'trigger', 'push.completed', '--device', 'bat_voltaro_01', '--secret-file', join(named, 'current')], { env });
    expect(read.code, read.stderr).toBe(0);
  });
});
