// The local Amps API's HTTP side: listen, read bodies (bounded), authenticate and rate-limit
// (auth.ts), route (routes/), wrap every answer in the envelope with its meta, log requests, and
// answer bad input with an error envelope, never a crash. It shares the catalogue and the
// capability checks with the client, nothing else.

import { randomBytes } from 'node:crypto';
import type { WebhookEvent } from '../contract/webhooks.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { entriesFor, fillMessage, variantFor } from '../errors/catalogue.js';
import { bounded } from '../lib/values.js';
import { authenticate, keyFrom, maskHeaders, rateLimiter } from './auth.js';
import { buildFleet } from './fleet.js';
import { fireSchedules } from './schedules.js';
import type { Reply, RequestLogEntry } from './http.js';
import { route } from './routes/index.js';
import { advanceLifecycle, SandboxError } from './schedule.js';
import { StateFileError, type StateStore } from './store.js';

export type { RequestLogEntry } from './http.js';

export const SANDBOX_KEY = 'amps_sk_test_localsandbox';
const BODY_LIMIT_BYTES = 1024 * 1024;
/** How long an acknowledged action takes to complete, unless a test says otherwise. */
const DEFAULT_ACK_DELAY_MS = 3000;
/** What the request log keeps of each body: enough to check what was sent, never the whole of a huge one. */
const LOG_BOUNDS = { depth: 12, items: 100, string: 2000 };

export interface SandboxOptions {
  store: StateStore;
  /** Told of a state file the sandbox could not read or write (its answer is a 500): the embedded sandbox's session reports it as amps's own (exit 2). */
  onStateFailure?(error: StateFileError): void;
  fleetSize?: number;
  seed?: number;
  /** The share of generated devices whose actions fail at dispatch, and complete without effect. */
  failRate?: number;
  driftRate?: number;
  /** Requests per second per key; 0 turns limiting off. */
  rateLimit?: number;
  /** How long an acknowledged action takes to complete, in sandbox time. */
  ackDelayMs?: number;
  /** Real time; the sandbox clock adds the state's offset to it. */
  realNow?: () => number;
  /** Where API requests are logged (sandbox controls are not), newest last, at most logLimit. */
  requestLog?: RequestLogEntry[];
  logLimit?: number;
  /** Told of every webhook event as it happens (`sandbox serve --webhook` delivers from here). */
  onEvent?: (event: WebhookEvent) => void;
  webhookLatencyMs?: number;
  deliveries?: () => readonly unknown[];
  /** GET /schedules as the docs version that lists, or the one that answers 501. */
  scheduleListing?: 'listed' | 'not_implemented';
}

function requestId(): string {
  return `req_${randomBytes(9).toString('base64url')}`;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function errorReply(error: SandboxError, retryAfterGiven?: number): Reply {
  // A wait the details name goes in the header too, as the API's 429s carry it (the directive's rehearsal of one included).
  const named = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  const retryAfter = retryAfterGiven ?? (typeof named === 'number' && Number.isSafeInteger(named) && named >= 0 ? named : undefined);
  const entry = (error.variant ? entriesFor(error.code).find((e) => e.variant === error.variant) : undefined) ?? variantFor(error.code, undefined, undefined)!;
  return {
    status: entry.http,
    body: { code: error.code, message: fillMessage(entry, error.details ?? {}), ...(error.details !== undefined ? { details: error.details } : {}) },
    headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined,
  };
}

function createSandboxServer(options: SandboxOptions): { server: Server; tick(): Promise<void> } {
  const fleet = buildFleet(options.fleetSize ?? 0, options.seed ?? 0, { failRate: options.failRate ?? 0, driftRate: options.driftRate ?? 0 });
  const realNow = options.realNow ?? Date.now;
  const ackDelayMs = options.ackDelayMs ?? DEFAULT_ACK_DELAY_MS;
  const limit = rateLimiter(options.rateLimit ?? 0);
  const requestLog = options.requestLog ?? [];
  const logLimit = options.logLimit ?? 10_000;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const id = requestId();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    let reply: Reply;
    let parsedBody: unknown;
    // Answers refused before a transaction (a key, a rate limit, a route) carry this machine's time:
    // amps doctor, refused there, cannot ask /_sandbox/clock whether the clock was moved.
    let clock = realNow();
    try {
      const key = keyFrom(req);
      authenticate(key);
      const retryAfter = path.startsWith('/_sandbox/') ? undefined : limit(key!, realNow());
      if (retryAfter !== undefined) {
        reply = errorReply(new SandboxError('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: retryAfter }), retryAfter);
      } else {
        const { handler, params, allowed } = route(method, path);
        if (!handler) {
          throw allowed
            ? new SandboxError('METHOD_NOT_ALLOWED', { allowed })
            : new SandboxError('NOT_FOUND', { path }, 'route');
        }
        const text = method === 'GET' ? '' : await readBody(req);
        if (text.trim() !== '') {
          try {
            parsedBody = JSON.parse(text);
          } catch (error) {
            const position = /position (\d+)/.exec((error as Error).message)?.[1];
            throw new SandboxError('INVALID_JSON', position ? { position: Number(position) } : {});
          }
        }
        reply = await options.store.transact((stored) => {
          const tx = options.onEvent ? { ...stored, onEvent: options.onEvent } : stored;
          const now = realNow() + tx.state.clockOffsetMs;
          clock = now;
          fireSchedules(tx, fleet, now, (at) => advanceLifecycle(tx, at, ackDelayMs));
          advanceLifecycle(tx, now, ackDelayMs);
          return handler({ fleet, tx, now, ackDelayMs, requestLog, webhookLatencyMs: options.webhookLatencyMs ?? 0, deliveries: options.deliveries, scheduleListing: options.scheduleListing ?? 'listed' }, params, url.searchParams, parsedBody);
        });
      }
    } catch (error) {
      if (error instanceof SandboxError) reply = errorReply(error);
      else if (error instanceof BodyTooLarge) reply = errorReply(new SandboxError('PAYLOAD_TOO_LARGE', { limitBytes: BODY_LIMIT_BYTES }));
      else if (error instanceof StateFileError) {
        options.onStateFailure?.(error);
        reply = errorReply(new SandboxError('INTERNAL_ERROR', { sandboxState: error.message, hint: error.hint }));
      }
      else reply = errorReply(new SandboxError('INTERNAL_ERROR'));
      if (reply.status === 405) reply.headers = { allow: ((error as SandboxError).details?.allowed as string[]).join(', ') };
    }
    const ok = reply.status < 400;
    const meta = ok
      ? { requestId: id, environment: 'sandbox', timestamp: new Date(clock).toISOString(), latencyMs: Date.now() - started }
      : { requestId: id, timestamp: new Date(clock).toISOString(), path, latencyMs: Date.now() - started };
    const envelope = ok ? { success: true, data: reply.body, meta } : { success: false, error: reply.body, meta };
    const payload = JSON.stringify(envelope);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      // The sandbox's clock, moved or not, as a server's Date header is its own: amps doctor compares it.
      date: new Date(clock).toUTCString(),
      'x-request-id': id,
      ...reply.headers,
    });
    res.end(payload);
    if (path.startsWith('/_sandbox/')) return;
    requestLog.push({
      at: new Date(clock).toISOString(),
      method,
      path: url.pathname + url.search,
      status: reply.status,
      code: ok ? null : (reply.body as { code: string }).code,
      requestId: id,
      // An excerpt: a log of 10,000 requests must not hold 10,000 one-megabyte bodies.
      body: parsedBody === undefined ? null : bounded(parsedBody, LOG_BOUNDS),
      headers: maskHeaders(req),
    });
    if (requestLog.length > logLimit) requestLog.shift();
  };

  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const tick = () =>
    options.store.transact((stored) => {
      const tx = options.onEvent ? { ...stored, onEvent: options.onEvent } : stored;
      const now = realNow() + tx.state.clockOffsetMs;
      fireSchedules(tx, fleet, now, (at) => advanceLifecycle(tx, at, ackDelayMs));
      advanceLifecycle(tx, now, ackDelayMs);
    });
  return { server, tick };
}

export interface RunningSandbox {
  /** The URL to reach it at from here (loopback's, when it listens on every interface). */
  url: string;
  /** It listens on every interface of this machine, not one address. */
  everyInterface: boolean;
  key: string;
  server: Server;
  requests: RequestLogEntry[];
  /** Moves the lifecycle to now without a request (a served sandbox emits its events on time). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a sandbox on host:port (port 0 picks a free one) and keeps a request log. */
export async function startSandbox(options: SandboxOptions & { host?: string; port?: number }): Promise<RunningSandbox> {
  const requests: RequestLogEntry[] = options.requestLog ?? [];
  const { server, tick } = createSandboxServer({ ...options, requestLog: requests });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  // Listening on every interface (0.0.0.0, ::, or any spelling of them: 0, ::0), it is reached here
  // on loopback: the URL to use.
  const every = address === '0.0.0.0' || address === '::ffff:0.0.0.0' || address === '::';
  const reachable = address === '::' ? '::1' : every ? '127.0.0.1' : host;
  const shownHost = reachable.includes(':') ? `[${reachable}]` : reachable;
  return {
    url: `http://${shownHost}:${port}`,
    everyInterface: every,
    key: SANDBOX_KEY,
    server,
    requests,
    tick,
    // The server ends whatever the save does: a state that cannot be written (a full disk, a folder
    // in its place) is reported by the caller, never a server that goes on answering.
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      options.store.flush();
    },
  };
}
