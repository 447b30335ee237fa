// Actions: the list with its filters, one action, and cancel.

import { ACTION_STATES } from '../../contract/actions.js';
import { normaliseDeviceType } from '../../domain/device-types.js';
import { type Context, ID, pageOf, type Reply, type Route, validation } from '../http.js';
import { cancelAction, publicAction, SandboxError } from '../schedule.js';
import { indexOf, type StoredAction } from '../store.js';

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
  // The smallest set that can hold the answer: one device's actions, the not-yet-terminal ones
  // (the lifecycle's live set), or all of them; walked newest first.
  const index = indexOf(ctx.tx.state);
  const candidates: readonly StoredAction[] = deviceId ? index.byDevice.get(deviceId) ?? []
    : state === 'scheduled' || state === 'acknowledged' ? [...index.live]
    : ctx.tx.state.actions;
  function* newestFirst() {
    for (let i = candidates.length - 1; i >= 0; i--) if (filters.every((f) => f(candidates[i]))) yield candidates[i];
  }
  const page = pageOf(newestFirst(), query);
  return { status: 200, body: { items: page.items.map(publicAction), pagination: page.pagination } };
}

function findAction(ctx: Context, id: string): StoredAction {
  const action = indexOf(ctx.tx.state).byId.get(id);
  if (!action) throw new SandboxError('NOT_FOUND', undefined, 'action');
  return action;
}

export const ACTION_ROUTES: Route[] = [
  { pattern: /^\/actions$/, methods: { GET: (ctx, _params, query) => listActions(ctx, query) } },
  { pattern: new RegExp(`^/actions/${ID}$`), methods: { GET: (ctx, [id]) => ({ status: 200, body: publicAction(findAction(ctx, id)) }) } },
  {
    pattern: new RegExp(`^/actions/${ID}/cancel$`),
    methods: { POST: (ctx, [id]) => ({ status: 200, body: publicAction(cancelAction(ctx.tx, findAction(ctx, id), ctx.now)) }) },
  },
];
