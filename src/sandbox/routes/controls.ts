// The sandbox's own controls, not part of the Amps API: the tests' clock, the request log, a reset.

import { isRecord } from '../../lib/values.js';
import { type Route, validation } from '../http.js';
import { advanceLifecycle } from '../schedule.js';
import { resetState } from '../store.js';

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
