// Devices: lists, reads (the projection plus the sandbox's bookkeeping), pushes and settings.

import { checkAction, checkSettings } from '../../domain/capabilities.js';
import { CONTROLLABLE, normaliseDeviceType } from '../../domain/device-types.js';
import { parseApiTime } from '../../domain/time.js';
import { manufacturerVariant } from '../../errors/catalogue.js';
import { isRecord } from '../../lib/values.js';
import type { DeviceType, Quantity } from '../../contract/devices.js';
import type { DeviceDefinition } from '../fleet.js';
import { type Context, ID, paginate, type Reply, type Route, validation } from '../http.js';
import { createAction, pendingActions, pushResult, SandboxError } from '../schedule.js';
import { currentSettings, projectState } from '../simulate.js';
import { indexOf } from '../store.js';
import { type ParsedPush, parsePushBody, quantityProblems } from '../validate.js';

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
  const schedule = (state.schedules ?? []).find((s) => s.deviceId === device.id && (s.state === 'active' || s.state === 'pending'));
  read.currentSchedule = pending
    ? { actionId: pending.id, command: pending.command, state: pending.state, start: pending.start, end: pending.end }
    : schedule ? { scheduleId: schedule.id, state: schedule.state, timezone: schedule.timezone, recurrence: schedule.recurrence, nextFireAt: schedule.nextFireAt } : null;
  return read;
}

/**
 * The device a request names, of the type its path names (a route without one, `POST /schedules`,
 * names none): the platform's DEVICE_NOT_FOUND when there is none, and the seeded offline device's
 * DEVICE_OFFLINE on every call that names it, reads, writes and schedules alike.
 */
export function findDevice(ctx: Context, type: DeviceType | undefined, id: string): DeviceDefinition {
  const device = ctx.fleet.byId.get(id);
  if (!device || (type !== undefined && device.type !== type)) throw new SandboxError('DEVICE_NOT_FOUND', undefined, 'platform');
  if (device.quirk === 'offline') throw new SandboxError('DEVICE_OFFLINE', {});
  return device;
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
  const entry = manufacturerVariant(code)!;
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

const TYPE = '(battery|ev-charger|hvac|solar-inverter|vehicle)';
const typeOf = (segment: string) => normaliseDeviceType(segment)!;

export const DEVICE_ROUTES: Route[] = [
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
];
