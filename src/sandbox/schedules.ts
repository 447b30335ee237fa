// Schedules in the sandbox: kept in its state, their slots fired as windowed actions on its clock
// (each fire a push of the slot's command from its time for its length), with the schedule.*
// events. A fire the device refuses (a conflict) is `schedule.slot_failed`; one whose window had
// passed by the time the clock got there (a jump of the sandbox clock) is `schedule.slot_skipped`.

import type { FlatSlot, NestedSlot, ScheduleRecord } from '../contract/schedules.js';
import { nextFires, parseIsoDuration, slotParts } from '../domain/schedule.js';
import { emitEvent } from './events.js';
import type { Fleet } from './fleet.js';
import { createAction, SandboxError } from './schedule.js';
import type { StoredSchedule, Transaction } from './store.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The next fire of any slot after `after`, or null when the schedule will not fire again. */
export function nextFireAt(schedule: Pick<ScheduleRecord, 'slots' | 'timezone' | 'recurrence' | 'state'>, after: number, createdAt: number): string | null {
  if (schedule.state === 'cancelled' || schedule.state === 'completed') return null;
  const zone = schedule.timezone ?? 'UTC';
  let next = Number.POSITIVE_INFINITY;
  for (const slot of schedule.slots) {
    const [fire] = nextFires(slotParts(slot).time, zone, after, 1);
    // Without a recurrence each slot fires once: its first time after the schedule was made.
    if (!schedule.recurrence && nextFires(slotParts(slot).time, zone, createdAt, 1)[0].instant <= after) continue;
    next = Math.min(next, fire.instant);
  }
  return Number.isFinite(next) ? iso(next) : null;
}

/** The public record: what the API answers with. */
export function publicSchedule(schedule: StoredSchedule): ScheduleRecord {
  const { firedUntil: _f, userId: _u, via, ...record } = schedule;
  return via === 'device' ? record : (({ deviceType: _t, ...rest }) => rest)(record);
}

/** Fires every slot whose time has come, on every active schedule. */
export function fireSchedules(tx: Transaction, fleet: Fleet, now: number, stepTo: (instant: number) => void = () => {}): void {
  // Every schedule's due fires, in the order of their instants across schedules: the clock is
  // stepped forward fire by fire, never back, so events come out in time order.
  const due: Array<{ at: number; slot: FlatSlot | NestedSlot; index: number; schedule: StoredSchedule }> = [];
  const firing: StoredSchedule[] = [];
  for (const schedule of tx.state.schedules ?? []) {
    if (schedule.state !== 'active' && schedule.state !== 'pending') continue;
    if (schedule.nextFireAt === null || Date.parse(schedule.nextFireAt) > now) continue;
    firing.push(schedule);
    const zone = schedule.timezone ?? 'UTC';
    schedule.slots.forEach((slot, index) => {
      for (const fire of nextFires(slotParts(slot).time, zone, schedule.firedUntil, 400)) {
        if (fire.instant > now) break;
        due.push({ at: fire.instant, slot, index, schedule });
        if (!schedule.recurrence) break;
      }
    });
  }
  due.sort((a, b) => a.at - b.at);
  for (const { at, slot, index, schedule } of due) {
    const device = fleet.byId.get(schedule.deviceId);
    const parts = slotParts(slot);
    const length = parseIsoDuration(parts.duration) ?? 3_600_000;
    const about = { scheduleId: schedule.id, slotIndex: index, deviceId: schedule.deviceId, deviceType: schedule.deviceType, fireAt: iso(at) };
    // What was under way moves on to the fire's instant first: a clock jumped past both an
    // action's end and a slot's start finds the action done, not in the slot's way. Each fire's
    // event is stamped at its instant (a skipped one at its window's end), so events stay in order.
    stepTo(at);
    if (now >= at + length) {
      emitEvent(tx, 'schedule.slot_skipped', { ...about, timestamp: iso(at + length), reason: 'the slot\'s window had passed when the sandbox clock reached it' }, iso(at + length));
      continue;
    }
    try {
      if (!device) throw new SandboxError('DEVICE_NOT_FOUND');
      // Made at its fire's instant, where the clock was stepped to: a jump past it would stamp it created after it ran.
      createAction(tx, { device, action: { command: parts.command, parameters: parts.parameters, start: new Date(at), end: new Date(at + length) }, onConflict: undefined, now: at });
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      emitEvent(tx, 'schedule.slot_failed', { ...about, timestamp: iso(at), errorCode: error.code }, iso(at));
    }
  }
  for (const schedule of firing) {
    const createdAt = Date.parse(schedule.createdAt ?? schedule.updatedAt ?? iso(now));
    schedule.firedUntil = now;
    schedule.state = 'active';
    schedule.nextFireAt = nextFireAt(schedule, now, createdAt);
    if (schedule.nextFireAt === null && !schedule.recurrence) schedule.state = 'completed';
    schedule.updatedAt = iso(now);
    tx.changed();
  }
}
