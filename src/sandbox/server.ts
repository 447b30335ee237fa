// The local Amps API: node:http routing, auth (decision 2), the per-key rate limit (decision 11),
// the envelope with meta on every response, and bad input answered with an error envelope, never
// a crash. It shares the catalogue and the capability checks with the client, nothing else.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { entriesFor, fillMessage, isKnownCode, variantFor } from '../errors/catalogue.js';
import { checkAction, checkSettings } from '../domain/capabilities.js';
import { CONTROLLABLE, normaliseDeviceType } from '../domain/device-types.js';
import { isQuantity } from '../domain/quantity.js';
import { parseApiTime } from '../domain/time.js';
import { buildFleet, type DeviceDefinition, type Fleet } from './fleet.js';
import { advanceLifecycle, cancelAction, createAction, pendingActions, publicAction, pushResult, SandboxError } from './schedule.js';
import { currentSettings, projectState } from './simulate.js';
import { indexOf, resetState, StateFileError, type StateStore, type StoredAction, type Transaction } from './store.js';
import { ACTION_STATES, STRATEGIES, type Strategy } from '../contract/actions.js';
import { type DeviceType, UNITS, type Quantity } from '../contract/devices.js';
import { API_KEY_PATTERN } from '../contract/keys.js';
import { bounded, isRecord } from '../lib/values.js';

export const SANDBOX_KEY = 'amps_sk_test_localsandbox';
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** What the request log keeps of each body: enough to check what was sent, never the whole of a huge one. */
const LOG_BOUNDS = { depth: 12, items: 100, string: 2000 };

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  code: string | null;
  requestId: string;
  body: unknown;
  /** Headers as received, the key masked: tests check what was sent without seeing secrets. */
  headers: Record<string, string>;
}

export interface SandboxOptions {
  store: StateStore;
  fleetSize?: number;
  seed?: number;
  /** Requests per second per key; 0 turns limiting off. */
  rateLimit?: number;
  /** How long an acknowledged action takes to complete, in sandbox time. */
  ackDelayMs?: number;
  /** Real time; the sandbox clock adds the state's offset to it. */
  realNow?: () => number;
  /** Where API requests are logged (sandbox controls are not), newest last, at most logLimit. */
  requestLog?: RequestLogEntry[];
  logLimit?: number;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Context {
  fleet: Fleet;
  tx: Transaction;
  now: number;
  ackDelayMs: number;
  requestLog: RequestLogEntry[];
}

function requestId(): string {
  return `req_${randomBytes(9).toString('base64url')}`;
}


function validation(fields: Array<{ path: string; problem: string }>): SandboxError {
  return new SandboxError('VALIDATION_ERROR', { fields });
}

function integerParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw validation([{ path: `query.${name}`, problem: `must be an integer from ${min} to ${max}` }]);
  }
  return value;
}

function paginate<T>(items: T[], query: URLSearchParams) {
  const limit = integerParam(query, 'limit', 10, 1, 50);
  const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const page = items.slice(offset, offset + limit);
  return { items: page, pagination: { limit, offset, total: items.length, hasMore: offset + page.length < items.length } };
}

// ── Device reads ──────────────────────────────────────────────────────────────────────────

function deviceRead(ctx: Context, device: DeviceDefinition, expedite: boolean) {
  const { state } = ctx.tx;
  const changes = state.devices[device.id] ?? {};
  const ttl = expedite ? 60_000 : 15 * 60_000;
  const offline = device.quirk === 'offline';
  const lastPulledAt = new Date(Math.floor(ctx.now / ttl) * ttl - (offline ? 3 * 3_600_000 : 0)).toISOString();
  const history = indexOf(state).byDevice.get(device.id) ?? [];
  const latest = history.at(-1);
  const lastCompleted = history.filter((a) => a.state === 'completed').at(-1);
  const read: Record<string, unknown> = {
    id: device.id,
    vendor: device.vendor,
    sync: { available: !offline, lastPulledAt },
    // timeZone is ours: the docs' reads name no plant zone, but amps reads times typed without a zone in it.
    metadata: { model: device.model, source: offline ? 'fallback' : 'projection', cacheType: expedite ? 'expedite' : 'normal', timeZone: device.timeZone },
    state: projectState(device, changes, new Date(ctx.now), lastCompleted),
  };
  if (!CONTROLLABLE.includes(device.type)) return read;
  read.commands = device.commands;
  const settings = currentSettings(device, changes);
  if (settings) read.settings = settings;
  read.conflictStrategies = device.conflictStrategies ?? [];
  read.lastAction = latest
    ? { id: latest.id, command: latest.command, state: latest.state, createdAt: latest.createdAt, updatedAt: latest.updatedAt, links: latest.links }
    : null;
  // The docs show currentSchedule only as null; ours is the pending deferred action, if any.
  const pending = pendingActions(state, device.id).find((a) => a.start !== null);
  read.currentSchedule = pending ? { actionId: pending.id, command: pending.command, state: pending.state, start: pending.start, end: pending.end } : null;
  return read;
}

function findDevice(ctx: Context, type: DeviceType, id: string): DeviceDefinition {
  const device = ctx.fleet.byId.get(id);
  if (!device || device.type !== type) throw new SandboxError('DEVICE_NOT_FOUND', undefined, 'platform');
  if (device.quirk === 'offline') throw new SandboxError('DEVICE_OFFLINE', {});
  return device;
}

// ── Push bodies ───────────────────────────────────────────────────────────────────────────

function quantityProblems(value: unknown, path: string): Array<{ path: string; problem: string }> {
  if (!isQuantity(value)) return [{ path, problem: 'must be a Quantity {"value": number, "unit": string}' }];
  const extra = Object.keys(value).filter((k) => k !== 'value' && k !== 'unit');
  if (extra.length > 0) return [{ path, problem: `unknown keys ${extra.join(', ')}` }];
  if (!(UNITS as readonly string[]).includes(value.unit)) return [{ path: `${path}.unit`, problem: `must be one of ${UNITS.join(', ')}` }];
  return [];
}

interface ParsedPush {
  command: string;
  parameters?: Record<string, Quantity>;
  start?: string;
  end?: string;
  onConflict?: Strategy;
  directive?: { result?: string; errorCode?: string; phase?: string };
}

/** The canonical schema: every key is honoured, validated or rejected, never dropped. */
function parsePushBody(body: unknown): ParsedPush {
  if (!isRecord(body)) throw validation([{ path: '', problem: 'must be a JSON object' }]);
  const problems: Array<{ path: string; problem: string }> = [];
  for (const key of Object.keys(body)) {
    if (!['action', 'onConflict', 'sandbox'].includes(key)) problems.push({ path: key, problem: 'unknown key' });
  }
  const action = body.action;
  if (!isRecord(action)) {
    problems.push({ path: 'action', problem: action === undefined ? 'is required' : 'must be an object' });
    throw validation(problems);
  }
  for (const key of Object.keys(action)) {
    if (!['command', 'parameters', 'start', 'end'].includes(key)) problems.push({ path: `action.${key}`, problem: 'unknown key' });
  }
  if (typeof action.command !== 'string' || action.command === '') problems.push({ path: 'action.command', problem: 'is required and must be a string' });
  if (action.parameters !== undefined && action.parameters !== null) {
    if (!isRecord(action.parameters)) problems.push({ path: 'action.parameters', problem: 'must be an object of Quantities' });
    else for (const [name, value] of Object.entries(action.parameters)) problems.push(...quantityProblems(value, `action.parameters.${name}`));
  }
  for (const key of ['start', 'end'] as const) {
    if (action[key] !== undefined && action[key] !== null && typeof action[key] !== 'string') problems.push({ path: `action.${key}`, problem: 'must be a string' });
  }
  if (body.onConflict !== undefined && !(STRATEGIES as readonly unknown[]).includes(body.onConflict)) {
    problems.push({ path: 'onConflict', problem: `must be one of ${STRATEGIES.join(', ')}` });
  }
  const sandbox = body.sandbox;
  if (sandbox !== undefined) {
    if (!isRecord(sandbox)) problems.push({ path: 'sandbox', problem: 'must be an object' });
    else {
      for (const key of Object.keys(sandbox)) if (!['result', 'errorCode', 'phase'].includes(key)) problems.push({ path: `sandbox.${key}`, problem: 'unknown key' });
      if (sandbox.phase !== undefined && sandbox.phase !== 'request' && sandbox.phase !== 'dispatch') problems.push({ path: 'sandbox.phase', problem: 'must be "request" or "dispatch"' });
      if (sandbox.result !== undefined && sandbox.result !== 'failed' && sandbox.result !== 'succeeded') problems.push({ path: 'sandbox.result', problem: 'must be "failed" or "succeeded"' });
      if (sandbox.errorCode !== undefined && (typeof sandbox.errorCode !== 'string' || !isKnownCode(sandbox.errorCode))) problems.push({ path: 'sandbox.errorCode', problem: 'must be a canonical error code' });
    }
  }
  if (problems.length > 0) throw validation(problems);
  return {
    command: action.command as string,
    parameters: (action.parameters ?? undefined) as Record<string, Quantity> | undefined,
    start: (action.start ?? undefined) as string | undefined,
    end: (action.end ?? undefined) as string | undefined,
    onConflict: body.onConflict as Strategy | undefined,
    directive: sandbox as ParsedPush['directive'],
  };
}

/** The sandbox's own window rule (decision 6 allows it), labelled so: the docs state no such limits. */
const WINDOW_POLICY = 'sandbox: windows of 5 minutes to 24 hours (a rule of this emulator, not the docs)';
const MIN_WINDOW_MS = 5 * 60_000;
const MAX_WINDOW_MS = 24 * 3_600_000;

function sandboxWindowPolicy(start: Date | undefined, end: Date | undefined) {
  if (!start || !end) return undefined;
  const length = end.getTime() - start.getTime();
  const reason = length < MIN_WINDOW_MS ? 'window_too_short' : length > MAX_WINDOW_MS ? 'window_too_long' : undefined;
  return reason ? { code: 'INVALID_TIME_WINDOW', details: { reason, start: start.toISOString(), end: end.toISOString(), policy: WINDOW_POLICY } } : undefined;
}

/**
 * Decision 9: the sandbox directive fails the push with any catalogued code. With phase
 * "dispatch" (ours) the push is accepted and the action fails when dispatched, as a
 * manufacturer rejection would; the code is returned for the lifecycle to apply.
 */
function applyDirective(directive: ParsedPush['directive']): string | undefined {
  if (!directive || directive.result !== 'failed') return undefined;
  const code = directive.errorCode ?? 'SIMULATED_FAILURE';
  if (directive.phase === 'dispatch') return code;
  // The directive rehearses a manufacturer's answer: a code on the docs' error-codes page comes
  // back as that page's variant (its status and message), never the platform's namesake.
  const variants = entriesFor(code);
  const entry = variants.find((e) => e.docsPage) ?? variants[0];
  throw new SandboxError(code, entry.exampleDetails ?? {}, entry.variant);
}

function push(ctx: Context, device: DeviceDefinition, body: unknown): Reply {
  if (!CONTROLLABLE.includes(device.type)) throw new SandboxError('DIRECT_ACTION_UNSUPPORTED', { deviceType: device.type });
  const parsed = parsePushBody(body);
  const failAtDispatch = applyDirective(parsed.directive);
  const now = new Date(ctx.now);
  const parseTime = (key: 'start' | 'end') => {
    const raw = parsed[key];
    if (raw === undefined) return undefined;
    const time = parseApiTime(raw, now, device.timeZone);
    if (!time) throw new SandboxError('INVALID_TIME_WINDOW', { reason: 'unparseable_time', [key]: raw });
    return time;
  };
  const action = { command: parsed.command, parameters: parsed.parameters, start: parseTime('start'), end: parseTime('end') };
  const violation = checkAction(action, device.commands ?? {}, now) ?? sandboxWindowPolicy(action.start, action.end);
  if (violation) throw new SandboxError(violation.code, violation.details);
  const record = createAction(ctx.tx, { device, action, onConflict: parsed.onConflict, now: ctx.now, failWith: failAtDispatch });
  return { status: 202, body: pushResult(record) };
}

function updateSettings(ctx: Context, device: DeviceDefinition, body: unknown): Reply {
  if (!isRecord(body) || Object.keys(body).length === 0) throw validation([{ path: '', problem: 'must be an object with at least one setting' }]);
  const problems = Object.entries(body).flatMap(([key, value]) => quantityProblems(value, key));
  const violation = checkSettings(body, currentSettings(device, ctx.tx.state.devices[device.id] ?? {}) ?? {});
  if (violation) throw new SandboxError(violation.code, violation.details);
  if (problems.length > 0) throw validation(problems);
  const changes = (ctx.tx.state.devices[device.id] ??= {});
  changes.settings = { ...changes.settings, ...Object.fromEntries(Object.entries(body).map(([k, v]) => [k, (v as Quantity).value])) };
  ctx.tx.changed();
  return { status: 200, body: { deviceId: device.id, updated: Object.keys(body) } };
}

// ── Actions ───────────────────────────────────────────────────────────────────────────────

function listActions(ctx: Context, query: URLSearchParams): Reply {
  const filters: Array<(a: StoredAction) => boolean> = [];
  const deviceId = query.get('deviceId');
  if (deviceId) filters.push((a) => a.deviceId === deviceId);
  const userId = query.get('userId');
  if (userId) filters.push((a) => a.userId === userId);
  const state = query.get('state');
  if (state) {
    if (!(ACTION_STATES as readonly string[]).includes(state)) throw validation([{ path: 'query.state', problem: `must be one of ${ACTION_STATES.join(', ')}` }]);
    filters.push((a) => a.state === state);
  }
  const deviceType = query.get('deviceType');
  if (deviceType) {
    const type = normaliseDeviceType(deviceType);
    if (!type) throw validation([{ path: 'query.deviceType', problem: 'must be battery, ev_charger, hvac, solar_inverter or vehicle' }]);
    filters.push((a) => a.deviceType === type);
  }
  const matching: StoredAction[] = [];
  for (let i = ctx.tx.state.actions.length - 1; i >= 0; i--) {
    const action = ctx.tx.state.actions[i];
    if (filters.every((f) => f(action))) matching.push(action);
  }
  const page = paginate(matching, query);
  return { status: 200, body: { items: page.items.map(publicAction), pagination: page.pagination } };
}

function findAction(ctx: Context, id: string): StoredAction {
  const action = indexOf(ctx.tx.state).byId.get(id);
  if (!action) throw new SandboxError('NOT_FOUND', undefined, 'action');
  return action;
}

// ── Routing ───────────────────────────────────────────────────────────────────────────────

type Handler = (ctx: Context, params: string[], query: URLSearchParams, body: unknown) => Reply;
interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

const TYPE = '(battery|ev-charger|hvac|solar-inverter|vehicle)';
const ID = '([^/]+)';
const typeOf = (segment: string) => normaliseDeviceType(segment)!;

const ROUTES: Route[] = [
  {
    pattern: new RegExp(`^/${TYPE}$`),
    methods: {
      GET: (ctx, [segment], query) => {
        const type = typeOf(segment);
        const userId = query.get('userId');
        const devices = ctx.fleet.devices.filter((d) => d.type === type && (!userId || d.userId === userId));
        const page = paginate(devices, query);
        return { status: 200, body: { items: page.items.map((d) => deviceRead(ctx, d, false)), pagination: page.pagination } };
      },
    },
  },
  {
    pattern: new RegExp(`^/${TYPE}/${ID}$`),
    methods: {
      GET: (ctx, [segment, id], query) => ({ status: 200, body: deviceRead(ctx, findDevice(ctx, typeOf(segment), id), query.get('expedite') === 'true') }),
      POST: (ctx, [segment, id], _query, body) => push(ctx, findDevice(ctx, typeOf(segment), id), body),
    },
  },
  {
    pattern: new RegExp(`^/(battery|ev-charger)/${ID}/settings$`),
    methods: { POST: (ctx, [segment, id], _query, body) => updateSettings(ctx, findDevice(ctx, typeOf(segment), id), body) },
  },
  { pattern: /^\/actions$/, methods: { GET: (ctx, _params, query) => listActions(ctx, query) } },
  { pattern: new RegExp(`^/actions/${ID}$`), methods: { GET: (ctx, [id]) => ({ status: 200, body: publicAction(findAction(ctx, id)) }) } },
  {
    pattern: new RegExp(`^/actions/${ID}/cancel$`),
    methods: { POST: (ctx, [id]) => ({ status: 200, body: publicAction(cancelAction(ctx.tx, findAction(ctx, id), ctx.now)) }) },
  },
  // Sandbox controls: the tests' clock, and a reset. Not part of the Amps API.
  {
    pattern: /^\/_sandbox\/clock$/,
    methods: {
      GET: (ctx) => ({ status: 200, body: { now: new Date(ctx.now).toISOString(), offsetMs: ctx.tx.state.clockOffsetMs } }),
      POST: (ctx, _params, _query, body) => {
        const advance = isRecord(body) && typeof body.advanceSeconds === 'number' ? body.advanceSeconds : NaN;
        // A year either way at most: the clock must stay a date every formatter can print.
        if (!Number.isFinite(advance) || Math.abs(advance) > MAX_CLOCK_STEP_S) throw validation([{ path: 'advanceSeconds', problem: `must be a number of seconds from -${MAX_CLOCK_STEP_S} to ${MAX_CLOCK_STEP_S}` }]);
        ctx.tx.state.clockOffsetMs += advance * 1000;
        ctx.tx.changed();
        const now = ctx.now + advance * 1000;
        advanceLifecycle(ctx.tx, now, ctx.ackDelayMs);
        return { status: 200, body: { now: new Date(now).toISOString(), offsetMs: ctx.tx.state.clockOffsetMs } };
      },
    },
  },
  {
    pattern: /^\/_sandbox\/requests$/,
    methods: {
      GET: (ctx) => ({ status: 200, body: { items: ctx.requestLog } }),
      DELETE: (ctx) => {
        ctx.requestLog.length = 0;
        return { status: 200, body: { cleared: true } };
      },
    },
  },
  {
    pattern: /^\/_sandbox\/reset$/,
    methods: {
      POST: (ctx) => {
        resetState(ctx.tx.state);
        ctx.tx.changed();
        return { status: 200, body: { reset: true } };
      },
    },
  },
];

const MAX_CLOCK_STEP_S = 366 * 86_400;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw validation([{ path: 'path', problem: 'has invalid percent-encoding' }]);
  }
}

function route(method: string, path: string): { handler?: Handler; params: string[]; allowed?: string[] } {
  for (const candidate of ROUTES) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const handler = candidate.methods[method];
    return handler ? { handler, params: match.slice(1).map(decodeSegment) } : { params: [], allowed: Object.keys(candidate.methods) };
  }
  // A settings path on a family without settings is a route that does not exist.
  return { params: [] };
}

function keyFrom(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

function authenticate(key: string | undefined): void {
  if (!key) throw new SandboxError('UNAUTHORIZED', undefined, 'no_key');
  if (!API_KEY_PATTERN.test(key)) throw new SandboxError('INVALID_API_KEY', undefined, 'platform');
  if (/sk_live_/.test(key)) throw new SandboxError('LIVE_ACCESS_DISABLED');
}

/** A token bucket per key (decision 11): `rate` per second, bursts up to `rate`. */
function rateLimiter(rate: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string, now: number): number | undefined => {
    if (rate <= 0) return undefined;
    const bucket = buckets.get(key) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  };
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

function errorReply(error: SandboxError, retryAfter?: number): Reply {
  const entry = (error.variant ? entriesFor(error.code).find((e) => e.variant === error.variant) : undefined) ?? variantFor(error.code, undefined, undefined)!;
  return {
    status: entry.http,
    body: { code: error.code, message: fillMessage(entry, error.details ?? {}), ...(error.details !== undefined ? { details: error.details } : {}) },
    headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined,
  };
}

function maskHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    headers[name] = name === 'x-api-key' || name === 'authorization' ? `[redacted ${text.length} chars]` : text;
  }
  return headers;
}

export function createSandboxServer(options: SandboxOptions): Server {
  const fleet = buildFleet(options.fleetSize ?? 0, options.seed ?? 0);
  const realNow = options.realNow ?? Date.now;
  const ackDelayMs = options.ackDelayMs ?? 3000;
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
        reply = await options.store.transact((tx) => {
          const now = realNow() + tx.state.clockOffsetMs;
          clock = now;
          advanceLifecycle(tx, now, ackDelayMs);
          return handler({ fleet, tx, now, ackDelayMs, requestLog }, params, url.searchParams, parsedBody);
        });
      }
    } catch (error) {
      if (error instanceof SandboxError) reply = errorReply(error);
      else if (error instanceof BodyTooLarge) reply = errorReply(new SandboxError('PAYLOAD_TOO_LARGE', { limitBytes: BODY_LIMIT_BYTES }));
      else if (error instanceof StateFileError) reply = errorReply(new SandboxError('INTERNAL_ERROR', { sandboxState: error.message, hint: error.hint }));
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

  return createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}

export interface RunningSandbox {
  url: string;
  key: string;
  server: Server;
  requests: RequestLogEntry[];
  close(): Promise<void>;
}

/** Starts a sandbox on host:port (port 0 picks a free one) and keeps a request log. */
export async function startSandbox(options: SandboxOptions & { host?: string; port?: number }): Promise<RunningSandbox> {
  const requests: RequestLogEntry[] = options.requestLog ?? [];
  const server = createSandboxServer({ ...options, requestLog: requests });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    key: SANDBOX_KEY,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        options.store.flush();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
