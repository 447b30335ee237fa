// Schedules (docs/amps-api/contract.md §6.1): the per-device schedule (PUT /battery/{id}/schedule,
// DELETE /hvac/{id}/schedule as the docs show; GET, and the other verbs of both families, by
// symmetry), and /schedules (create, list, get; cancel as DELETE /schedules/{id}, inferred). One
// docs version answers GET /schedules with 501: `sandbox serve --schedule-listing
// not-implemented` serves that one.

import { randomBytes } from 'node:crypto';
import type { FlatSlot, NestedSlot, ScheduleState } from '../../contract/schedules.js';
import { SCHEDULE_STATES } from '../../contract/schedules.js';
import type { Quantity } from '../../contract/devices.js';
import { checkAction } from '../../domain/capabilities.js';
import { nextFires, parseIsoDuration } from '../../domain/schedule.js';
import { isTimeZone } from '../../domain/time.js';
import { isRecord, unknownKeys } from '../../lib/values.js';
import { emitEvent } from '../events.js';
import type { DeviceDefinition } from '../fleet.js';
import { type Context, ID, paginate, type Reply, type Route, validation } from '../http.js';
import { SandboxError } from '../schedule.js';
import { nextFireAt, publicSchedule } from '../schedules.js';
import type { StoredSchedule } from '../store.js';
import { quantityProblems } from '../validate.js';
import { findDevice } from './devices.js';
import { normaliseDeviceType } from '../../domain/device-types.js';

type Problems = Array<{ path: string; problem: string }>;

/** The slots of a body, checked for shape, then each against the device's commands map as the window it will open. */
function readSlots(ctx: Context, device: DeviceDefinition, body: Record<string, unknown>, nested: boolean, zone: string): Array<FlatSlot | NestedSlot> {
  const problems: Problems = [];
  if (!Array.isArray(body.slots) || body.slots.length === 0) throw validation([{ path: 'slots', problem: 'must be a non-empty list' }]);
  const slots = body.slots.map((raw, i) => {
    const at = `slots[${i}]`;
    if (!isRecord(raw)) {
      problems.push({ path: at, problem: 'must be an object' });
      return undefined;
    }
    problems.push(...unknownKeyProblems(raw, nested ? ['time', 'duration', 'action'] : ['time', 'duration', 'command', 'parameters'], at));
    const action = nested ? raw.action : raw;
    if (nested && isRecord(action)) problems.push(...unknownKeyProblems(action, ['command', 'parameters'], `${at}.action`));
    if (typeof raw.time !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(raw.time)) problems.push({ path: `${at}.time`, problem: 'must be HH:MM' });
    const length = typeof raw.duration === 'string' ? parseIsoDuration(raw.duration) : undefined;
    if (length === undefined || length < 60_000 || length > 86_400_000) problems.push({ path: `${at}.duration`, problem: 'must be an ISO 8601 duration from PT1M to PT24H' });
    if (!isRecord(action) || typeof action.command !== 'string') problems.push({ path: nested ? `${at}.action.command` : `${at}.command`, problem: 'must be a string' });
    if (isRecord(action) && action.parameters !== undefined && !isRecord(action.parameters)) problems.push({ path: `${at}.parameters`, problem: 'must be an object' });
    // Each a Quantity, as a push's are: what is stored is read back as a slot (domain/schedule isSlot).
    if (isRecord(action) && isRecord(action.parameters)) {
      for (const [name, value] of Object.entries(action.parameters)) problems.push(...quantityProblems(value, `${nested ? `${at}.action` : at}.parameters.${name}`));
    }
    return { time: raw.time as string, length: length ?? 0, command: (isRecord(action) ? action.command : '') as string, parameters: (isRecord(action) ? action.parameters : undefined) as Record<string, Quantity> | undefined };
  });
  if (problems.length > 0) throw validation(problems);
  // Each slot as the window it will open next: the same checks as a push.
  for (const slot of slots as Array<NonNullable<(typeof slots)[number]>>) {
    const [fire] = nextFires(slot.time, zone, ctx.now, 1);
    const violation = checkAction({ command: slot.command, parameters: slot.parameters, start: new Date(fire.instant), end: new Date(fire.instant + slot.length) }, device.commands ?? {}, new Date(ctx.now));
    if (violation) throw new SandboxError(violation.code, violation.details);
  }
  return (slots as Array<NonNullable<(typeof slots)[number]>>).map((slot, i) => {
    const raw = (body.slots as Array<Record<string, unknown>>)[i];
    const parameters = slot.parameters && Object.keys(slot.parameters).length > 0 ? { parameters: slot.parameters } : {};
    return nested ? { time: slot.time, duration: raw.duration as string, action: { command: slot.command, ...parameters } } : { time: slot.time, duration: raw.duration as string, command: slot.command, ...parameters };
  });
}

/**
 * Keys a body may not carry: a misspelt one (`timeZone`) is refused, never dropped, as in a push
 * (decision 5): dropped, the schedule would run on a clock the caller did not ask for.
 */
function unknownKeyProblems(value: Record<string, unknown>, known: readonly string[], at: string): Problems {
  return unknownKeys(value, known, at).map((path) => ({ path, problem: 'unknown key' }));
}

function readHeader(body: unknown, via: StoredSchedule['via']): { body: Record<string, unknown>; zone: string | null; recurrence: { rule: 'daily' } | null } {
  if (!isRecord(body)) throw validation([{ path: '', problem: 'must be an object with slots' }]);
  const extra = unknownKeyProblems(body, via === 'schedules' ? ['deviceId', 'timezone', 'recurrence', 'slots'] : ['timezone', 'recurrence', 'slots'], '');
  if (extra.length > 0) throw validation(extra);
  if (body.timezone !== undefined && body.timezone !== null && (typeof body.timezone !== 'string' || !isTimeZone(body.timezone))) throw validation([{ path: 'timezone', problem: 'must be an IANA time zone' }]);
  if (body.recurrence !== undefined && body.recurrence !== null && !(isRecord(body.recurrence) && body.recurrence.rule === 'daily')) throw validation([{ path: 'recurrence', problem: 'must be {"rule": "daily"} or absent' }]);
  const recurrenceExtra = isRecord(body.recurrence) ? unknownKeyProblems(body.recurrence, ['rule'], 'recurrence') : [];
  if (recurrenceExtra.length > 0) throw validation(recurrenceExtra);
  return { body, zone: (body.timezone as string | undefined) ?? null, recurrence: body.recurrence ? { rule: 'daily' } : null };
}

function newSchedule(ctx: Context, device: DeviceDefinition, body: unknown, via: StoredSchedule['via']): StoredSchedule {
  const header = readHeader(body, via);
  const zone = header.zone ?? device.timeZone ?? 'UTC';
  const slots = readSlots(ctx, device, header.body, via === 'schedules', zone);
  const counter = (ctx.tx.state.scheduleCounter ?? 0) + 1;
  ctx.tx.state.scheduleCounter = counter;
  const now = new Date(ctx.now).toISOString();
  const schedule: StoredSchedule = {
    id: `sched_${counter.toString(36)}${randomBytes(4).toString('hex')}`, deviceId: device.id, deviceType: device.type, userId: device.userId,
    state: via === 'device' ? 'active' : 'pending', timezone: zone, recurrence: header.recurrence, slots, createdAt: now, updatedAt: now,
    nextFireAt: null, via, firedUntil: ctx.now,
  };
  schedule.nextFireAt = nextFireAt(schedule, ctx.now, ctx.now);
  return schedule;
}

const schedules = (ctx: Context) => (ctx.tx.state.schedules ??= []);
const live = (s: StoredSchedule) => s.state === 'active' || s.state === 'pending';

function deviceOf(ctx: Context, segment: string, id: string): DeviceDefinition {
  return findDevice(ctx, normaliseDeviceType(segment)!, id);
}

function event(ctx: Context, type: 'schedule.created' | 'schedule.updated' | 'schedule.cancelled', schedule: StoredSchedule): void {
  emitEvent(ctx.tx, type, { scheduleId: schedule.id, deviceId: schedule.deviceId, deviceType: schedule.deviceType, state: schedule.state, timestamp: new Date(ctx.now).toISOString() }, new Date(ctx.now).toISOString());
}

function cancel(ctx: Context, schedule: StoredSchedule): void {
  schedule.state = 'cancelled';
  schedule.nextFireAt = null;
  schedule.updatedAt = new Date(ctx.now).toISOString();
  ctx.tx.changed();
  event(ctx, 'schedule.cancelled', schedule);
}

function findSchedule(ctx: Context, id: string): StoredSchedule {
  const schedule = schedules(ctx).find((s) => s.id === id);
  if (!schedule) throw new SandboxError('NOT_FOUND', undefined, 'schedule');
  return schedule;
}

function listSchedules(ctx: Context, query: URLSearchParams, listing: 'listed' | 'not_implemented'): Reply {
  if (listing === 'not_implemented') throw new SandboxError('NOT_IMPLEMENTED');
  const state = query.get('state') ?? query.get('status');
  if (state !== null && !(SCHEDULE_STATES as readonly string[]).includes(state)) throw validation([{ path: 'query.state', problem: `must be one of ${SCHEDULE_STATES.join(', ')}` }]);
  const deviceId = query.get('deviceId');
  const userId = query.get('userId');
  const items = schedules(ctx).filter((s) => (!state || s.state === (state as ScheduleState)) && (!deviceId || s.deviceId === deviceId) && (!userId || s.userId === userId));
  const page = paginate(items, query);
  return { status: 200, body: { items: page.items.map(publicSchedule), pagination: page.pagination } };
}

const DEVICE_SCHEDULE = new RegExp(`^/(battery|hvac)/${ID}/schedule$`);

export const SCHEDULE_ROUTES: Route[] = [
  {
    pattern: DEVICE_SCHEDULE,
    methods: {
      GET: (ctx, [segment, id]) => {
        const device = deviceOf(ctx, segment, id);
        const current = schedules(ctx).find((s) => s.deviceId === device.id && s.via === 'device' && live(s));
        if (!current) throw new SandboxError('NOT_FOUND', undefined, 'schedule');
        return { status: 200, body: publicSchedule(current) };
      },
      PUT: (ctx, [segment, id], _query, body) => {
        const device = deviceOf(ctx, segment, id);
        const replaced = schedules(ctx).find((s) => s.deviceId === device.id && s.via === 'device' && live(s));
        const schedule = newSchedule(ctx, device, body, 'device');
        if (replaced) {
          // Full replacement: the earlier one ends, its id lives on in the new record's history only.
          replaced.state = 'cancelled';
          replaced.nextFireAt = null;
        }
        schedules(ctx).push(schedule);
        ctx.tx.changed();
        event(ctx, replaced ? 'schedule.updated' : 'schedule.created', schedule);
        return { status: 200, body: publicSchedule(schedule) };
      },
      DELETE: (ctx, [segment, id]) => {
        const device = deviceOf(ctx, segment, id);
        const current = schedules(ctx).find((s) => s.deviceId === device.id && s.via === 'device' && live(s));
        if (!current) throw new SandboxError('NOT_FOUND', undefined, 'schedule');
        cancel(ctx, current);
        return { status: 200, body: { deviceId: device.id, scheduleId: current.id, cleared: true } };
      },
    },
  },
  {
    pattern: /^\/schedules$/,
    methods: {
      GET: (ctx, _params, query) => listSchedules(ctx, query, ctx.scheduleListing),
      POST: (ctx, _params, _query, body) => {
        const deviceId = isRecord(body) ? body.deviceId : undefined;
        if (typeof deviceId !== 'string') throw validation([{ path: 'deviceId', problem: 'must be a string' }]);
        const schedule = newSchedule(ctx, findDevice(ctx, undefined, deviceId), body, 'schedules');
        schedules(ctx).push(schedule);
        ctx.tx.changed();
        event(ctx, 'schedule.created', schedule);
        return { status: 201, body: publicSchedule(schedule) };
      },
    },
  },
  {
    pattern: new RegExp(`^/schedules/${ID}$`),
    methods: {
      GET: (ctx, [id]) => ({ status: 200, body: publicSchedule(findSchedule(ctx, id)) }),
      DELETE: (ctx, [id]) => {
        const schedule = findSchedule(ctx, id);
        if (live(schedule)) cancel(ctx, schedule);
        return { status: 200, body: publicSchedule(schedule) };
      },
    },
  },
];
