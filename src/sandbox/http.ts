// What every route of the sandbox shares: the request context, the reply, the route table's
// shape, and the small checks on queries and paths. Errors are SandboxErrors, which the server
// turns into envelopes with the catalogue's status and message.

import type { Fleet } from './fleet.js';
import { SandboxError } from './schedule.js';
import type { Transaction } from './store.js';

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  code: string | null;
  requestId: string;
  /** A bounded excerpt of the body, enough to check what was sent. */
  body: unknown;
  /** Headers as received, the key masked: tests check what was sent without seeing secrets. */
  headers: Record<string, string>;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Context {
  fleet: Fleet;
  tx: Transaction;
  now: number;
  ackDelayMs: number;
  requestLog: RequestLogEntry[];
  /** Events are readable (GET /_sandbox/events) this long after they happen (`--webhook-latency`). */
  webhookLatencyMs: number;
  /** The webhook delivery log of `sandbox serve --webhook`; undefined where nothing is delivered. */
  deliveries?: () => readonly unknown[];
  /** Which docs version GET /schedules follows: a list, or 501 NOT_IMPLEMENTED. */
  scheduleListing: 'listed' | 'not_implemented';
}

export type Handler = (ctx: Context, params: string[], query: URLSearchParams, body: unknown) => Reply;

export interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

export const ID = '([^/]+)';

export function validation(fields: Array<{ path: string; problem: string }>): SandboxError {
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

/**
 * One page of a sequence that may be long (100,000 actions): counted and windowed as it is walked,
 * never copied whole.
 */
export function pageOf<T>(items: Iterable<T>, query: URLSearchParams) {
  const limit = integerParam(query, 'limit', 10, 1, 50);
  const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const page: T[] = [];
  let total = 0;
  for (const item of items) {
    if (total >= offset && page.length < limit) page.push(item);
    total++;
  }
  return { items: page, pagination: { limit, offset, total, hasMore: offset + page.length < total } };
}

export function paginate<T>(items: T[], query: URLSearchParams) {
  const limit = integerParam(query, 'limit', 10, 1, 50);
  const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const page = items.slice(offset, offset + limit);
  return { items: page, pagination: { limit, offset, total: items.length, hasMore: offset + page.length < items.length } };
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw validation([{ path: 'path', problem: 'has invalid percent-encoding' }]);
  }
}
