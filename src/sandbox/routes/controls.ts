// The sandbox's own controls, not part of the Amps API: the tests' clock, the request log, a reset.

import { isRecord } from '../../lib/values.js';
import { type Route, validation } from '../http.js';
import { isWebhookEvent } from '../../domain/webhooks.js';
import { emitSyntheticEvent, webhookSecret } from '../events.js';
import { advanceLifecycle } from '../schedule.js';
import { fireSchedules } from '../schedules.js';
import { clockInRange, CLOCK_RANGE_TEXT, resetState } from '../store.js';

/** A year either way at most: the clock must stay a date every formatter can print. */
const MAX_CLOCK_STEP_S = 366 * 86_400;

export const CONTROL_ROUTES: Route[] = [
  {
    pattern: /^\/_sandbox\/clock$/,
    methods: {
      GET: (ctx) => ({ status: 200, body: { now: new Date(ctx.now).toISOString(), offsetMs: ctx.tx.state.clockOffsetMs } }),
      POST: (ctx, _params, _query, body) => {
        const advance = isRecord(body) && typeof body.advanceSeconds === 'number' ? body.advanceSeconds : NaN;
        if (!Number.isFinite(advance) || Math.abs(advance) > MAX_CLOCK_STEP_S) throw validation([{ path: 'advanceSeconds', problem: `must be a number of seconds from -${MAX_CLOCK_STEP_S} to ${MAX_CLOCK_STEP_S}` }]);
        // Step by step the clock could still leave every year a formatter prints (past 275760, every answer failed).
        if (!clockInRange(ctx.now + advance * 1000)) throw validation([{ path: 'advanceSeconds', problem: `would move the sandbox clock out of ${CLOCK_RANGE_TEXT}` }]);
        ctx.tx.state.clockOffsetMs += advance * 1000;
        ctx.tx.changed();
        const now = ctx.now + advance * 1000;
        fireSchedules(ctx.tx, ctx.fleet, now, (at) => advanceLifecycle(ctx.tx, at, ctx.ackDelayMs));
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
    // Webhook events after a cursor (`after`: a seq), or since a time; only those published (past --webhook-latency).
    pattern: /^\/_sandbox\/events$/,
    methods: {
      GET: (ctx, _params, query) => {
        const after = Number(query.get('after') ?? 0);
        const since = query.get('since');
        if (!Number.isInteger(after) || after < 0) throw validation([{ path: 'query.after', problem: 'must be a whole number (a seq)' }]);
        const sinceMs = since === null ? Number.NEGATIVE_INFINITY : Date.parse(since);
        if (Number.isNaN(sinceMs)) throw validation([{ path: 'query.since', problem: 'must be an ISO time' }]);
        const all = ctx.tx.state.events ?? [];
        const lastSeq = ctx.tx.state.eventCounter ?? 0;
        // Published: the events up to the first still held back by --webhook-latency, so a reader's
        // cursor never passes one it has not been shown; and once published, for good (a clock
        // stepped back after would hold them back again: read as a reset, and shown twice).
        const published = Math.min(ctx.tx.state.publishedSeq ?? 0, lastSeq);
        const readyBy = ctx.now - ctx.webhookLatencyMs;
        const heldBack = all.find((e) => e.seq > published && Date.parse(e.createdAt) > readyBy);
        const readySeq = Math.max(published, heldBack ? heldBack.seq - 1 : lastSeq);
        if (readySeq !== ctx.tx.state.publishedSeq) {
          ctx.tx.state.publishedSeq = readySeq;
          ctx.tx.changed();
        }
        const items = all.filter((e) => e.seq > after && e.seq <= readySeq && Date.parse(e.createdAt) >= sinceMs).slice(0, 500);
        return { status: 200, body: { items, lastSeq, readySeq, oldestSeq: all[0]?.seq ?? null } };
      },
      // A device or schedule event on demand: the sandbox links no real devices, so nothing else makes them.
      POST: (ctx, _params, _query, body) => {
        const type = isRecord(body) ? body.type : undefined;
        const deviceId = isRecord(body) ? body.deviceId : undefined;
        if (typeof type !== 'string' || !isWebhookEvent(type) || type.startsWith('push.')) {
          throw validation([{ path: 'type', problem: 'must be a device.* or schedule.* event (push.* events come from pushes)' }]);
        }
        const device = typeof deviceId === 'string' ? ctx.fleet.byId.get(deviceId) : undefined;
        if (!device) throw validation([{ path: 'deviceId', problem: 'must be a device of the sandbox' }]);
        const event = emitSyntheticEvent(ctx.tx, type as Parameters<typeof emitSyntheticEvent>[1], device.id, device.type, new Date(ctx.now).toISOString());
        return { status: 201, body: event };
      },
    },
  },
  {
    pattern: /^\/_sandbox\/webhook-secret$/,
    methods: { GET: (ctx) => ({ status: 200, body: { secret: webhookSecret(ctx.tx) } }) },
  },
  {
    pattern: /^\/_sandbox\/deliveries$/,
    methods: { GET: (ctx) => ({ status: 200, body: { delivering: ctx.deliveries !== undefined, items: ctx.deliveries?.() ?? [] } }) },
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
