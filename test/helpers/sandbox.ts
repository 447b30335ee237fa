import { type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { cleanEnv } from './cli.js';
import { request } from 'undici';
import { SANDBOX_KEY, startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { memoryStore } from '../../src/sandbox/store.js';

export interface Call {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

export interface TestSandbox extends RunningSandbox {
  call(method: string, path: string, body?: unknown, options?: { key?: string | null; raw?: string; headers?: Record<string, string> }): Promise<Call>;
  advance(seconds: number): Promise<void>;
}

/** A real sandbox on a loopback port, spoken to over HTTP with undici. */
export async function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  const sandbox = await startSandbox({ store: memoryStore(), rateLimit: 0, ...options });
  const call: TestSandbox['call'] = async (method, path, body, callOptions = {}) => {
    const key = callOptions.key === undefined ? SANDBOX_KEY : callOptions.key;
    const headers: Record<string, string> = { ...(key ? { 'x-api-key': key } : {}), ...callOptions.headers };
    const payload = callOptions.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const response = await request(`${sandbox.url}${path}`, { method: method as 'GET', headers, body: payload });
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.statusCode, headers: response.headers, body: parsed, text };
  };
  return {
    ...sandbox,
    call,
    advance: async (seconds) => {
      await call('POST', '/_sandbox/clock', { advanceSeconds: seconds });
    },
  };
}

export const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/**
 * The usual suite around a sandbox: started once, reset (state and request log) before each test,
 * closed after; `ready` receives it and the environment that points amps at it.
 */
export function useSandbox(options: Partial<SandboxOptions>, key: string, ready: (sandbox: TestSandbox, env: Record<string, string | undefined>) => void): void {
  let sandbox: TestSandbox | undefined;
  beforeAll(async () => {
    sandbox = await startTestSandbox(options);
    ready(sandbox, cleanEnv({ AMPS_API_URL: sandbox.url, AMPS_API_KEY: key }));
  });
  beforeEach(async () => {
    await sandbox!.call('POST', '/_sandbox/reset');
    sandbox!.requests.length = 0;
  });
  afterAll(async () => sandbox?.close());
}

/** Forwards a request to `target` (a sandbox's URL) and its answer back: the part of a misbehaving proxy that behaves. */
export function relayTo(target: string, req: IncomingMessage, res: ServerResponse): void {
  // A request its client gave up on (a proxy closed, a process killed) is not relayed: held back,
  // its relay would hang up on the sandbox after the test has moved on.
  if (req.destroyed || res.destroyed) return;
  const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}
