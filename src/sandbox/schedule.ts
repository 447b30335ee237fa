// Actions over time: the lifecycle (scheduled -> acknowledged -> completed; windowed actions
// revert at end), the manufacturer scheduler rows behind SCHEDULER_ACTIVE, and the conflict rules
// and onConflict strategies of decisions 7 and 8.

import { type ActionToCheck, executionOf } from '../domain/capabilities.js';
import { localMinuteToUtc } from '../domain/time.js';
import { fillMessage, manufacturerVariant } from '../errors/catalogue.js';
import type { DeviceDefinition } from './fleet.js';
import { emitActionEvent } from './events.js';
import { addAction, dueOf, indexOf, isLive, type SandboxState, scheduleDue, type StoredAction, type Transaction } from './store.js';
import { type Strategy, TERMINAL_STATES } from '../contract/actions.js';
import type { Quantity } from '../contract/devices.js';

/** A refusal the router turns into an error envelope with the catalogue's status and message. */
export class SandboxError extends Error {
  constructor(readonly code: string, readonly details?: Record<string, unknown>, readonly variant?: string) {
    super(code);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function isTerminal(action: StoredAction): boolean {
  return TERMINAL_STATES.includes(action.state);
}

/** A device's actions that are not terminal yet (decision 7 allows one, queue_after more). */
export function pendingActions(state: SandboxState, deviceId: string): StoredAction[] {
  return (indexOf(state).byDevice.get(deviceId) ?? []).filter((a) => !isTerminal(a));
}

function markCancelled(state: SandboxState, action: StoredAction, now: number): void {
  action.state = 'cancelled';
  action.updatedAt = iso(now);
  action.completedAt = iso(now);
  indexOf(state).live.delete(action);
}

/** Moves every action along to where `now` says it should be, in the order they fall due. */
export function advanceLifecycle(tx: Transaction, now: number, ackDelayMs: number): void {
  const { state } = tx;
  const index = indexOf(state);
  const { live, due } = index;
  if (index.ackDelayMs !== ackDelayMs) {
    // Acknowledged actions fall due by the ack delay: with another one, every due time is new.
    index.ackDelayMs = ackDelayMs;
    due.clear();
    for (const action of live) scheduleDue(index, action);
  }
  // Filed again after the loop: one due at once again (a scheduled action with no start) waits for the next request.
  const again: StoredAction[] = [];
  while ((due.peek()?.at ?? Number.POSITIVE_INFINITY) <= now) {
    const { at, action } = due.pop()!;
    // Stale: cancelled since, or moved on by an earlier entry.
    if (!live.has(action) || dueOf(action, ackDelayMs) !== at) continue;
    advance(tx, action, now, ackDelayMs);
    if (!isLive(action)) live.delete(action);
    else again.push(action);
  }
  for (const action of again) scheduleDue(index, action);
}

/** One action's steps that `now` has reached: acknowledged, completed or failed, reverted. */
function advance(tx: Transaction, action: StoredAction, now: number, ackDelayMs: number): void {
  const { state } = tx;
  if (action.state === 'scheduled' && action.start && Date.parse(action.start) <= now) {
    action.state = 'acknowledged';
    action.acknowledgedAt = action.start;
    action.updatedAt = action.start;
    tx.changed();
  }
  if (action.state === 'acknowledged' && action.acknowledgedAt && Date.parse(action.acknowledgedAt) + ackDelayMs <= now) {
    const at = iso(Date.parse(action.acknowledgedAt) + ackDelayMs);
    if (action.failWith) {
      // The manufacturer's answer, as at the request (routes/devices.ts): the docs page's variant.
      const entry = manufacturerVariant(action.failWith)!;
      const message = fillMessage(entry, entry.exampleDetails ?? {});
      Object.assign(action, { state: 'failed', completedAt: at, updatedAt: at, errorCode: action.failWith, errorMessage: message, result: { success: false, error: { code: action.failWith, message } } });
      tx.changed();
      emitActionEvent(tx, action);
      return;
    }
    action.state = 'completed';
    action.completedAt = at;
    action.updatedAt = at;
    action.result = { success: true, message: 'Mode applied' };
    if (!action.drift) {
      const changes = (state.devices[action.deviceId] ??= {});
      action.revertTo = changes.mode ?? defaultMode(action.deviceType);
      changes.mode = action.command;
    }
    tx.changed();
    emitActionEvent(tx, action);
  }
  if (action.state === 'completed' && action.end && !action.revertedAt && Date.parse(action.end) <= now) {
    const changes = (state.devices[action.deviceId] ??= {});
    if (changes.mode === action.command) changes.mode = action.revertTo;
    action.revertedAt = action.end;
    tx.changed();
  }
}

function defaultMode(type: string): string {
  return type === 'hvac' ? 'follow_schedule' : type === 'battery' ? 'auto.balanced' : 'idle';
}

// ── The manufacturer scheduler (SCHEDULER_ACTIVE devices) ─────────────────────────────────

interface ForeignGroup {
  groupId: string;
  /** Daily, in the plant's wall clock, minutes from midnight. */
  fromMinute: number;
  toMinute: number;
  mode: string;
  source: string;
}

const FOREIGN_GROUPS: ForeignGroup[] = [
  { groupId: 'grp_homeapp_evening', fromMinute: 16 * 60, toMinute: 19 * 60, mode: 'discharge', source: 'homeowner_app' },
  { groupId: 'grp_optimiser_night', fromMinute: 30, toMinute: 4 * 60 + 30, mode: 'charge', source: 'third_party_optimiser' },
  { groupId: 'grp_homeapp_morning', fromMinute: 7 * 60, toMinute: 8 * 60, mode: 'idle', source: 'homeowner_app' },
];

/** The scheduler rows, as concrete occurrences, that overlap [from, to). */
export function overlappingGroups(device: DeviceDefinition, state: SandboxState, from: number, to: number, now: number) {
  const cleared = new Set(state.devices[device.id]?.clearedGroups ?? []);
  const live = FOREIGN_GROUPS.filter((g) => !cleared.has(g.groupId));
  const horizon = Math.min(to, Math.max(from, now) + 2 * 86_400_000);
  const found = new Map<string, { groupId: string; start: string; end: string; mode: string; source: string }>();
  for (let day = from - 86_400_000; day <= horizon + 86_400_000; day += 86_400_000) {
    for (const group of live) {
      if (found.has(group.groupId)) continue;
      const start = localMinuteToUtc(day, group.fromMinute, device.timeZone);
      const end = localMinuteToUtc(day, group.toMinute, device.timeZone);
      if (start < to && end > from && end > now) {
        found.set(group.groupId, { groupId: group.groupId, start: iso(start), end: iso(end), mode: group.mode, source: group.source });
      }
    }
  }
  return { groups: [...found.values()], existingGroupCount: live.length };
}

// ── Pushes ────────────────────────────────────────────────────────────────────────────────

interface PushRequest {
  device: DeviceDefinition;
  action: ActionToCheck & { parameters?: Record<string, Quantity> };
  onConflict?: Strategy;
  now: number;
  /** From the sandbox directive with phase "dispatch". */
  failWith?: string;
}

/**
 * Quirks that refuse writes. onConflict cannot fix a VPP lock, a manual override or a full
 * scheduler; a schedule the platform can clear (decision 8) is cleared by cancel_and_replace, and
 * until then its MODE_OVERRIDDEN lists that strategy.
 */
/**
 * What a push changes on its way is returned, not done (an Effect): it is done once every check of
 * the push has passed, so a refused push changes nothing (the served sandbox's store keeps what a
 * transaction changed, even one that threw).
 */
type Effect = (() => void) | undefined;

function refuseForQuirk(tx: Transaction, request: PushRequest): Effect {
  const { device, action } = request;
  let effect: Effect;
  if (device.quirk === 'schedule_override' && !tx.state.devices[device.id]?.overrideCleared) {
    if (request.onConflict !== 'cancel_and_replace') {
      throw new SandboxError('MODE_OVERRIDDEN', { overridingMode: 'schedule', description: 'A schedule the platform can clear holds the device in another mode.', recoveryStrategies: ['cancel_and_replace'] });
    }
    effect = () => {
      (tx.state.devices[device.id] ??= {}).overrideCleared = true;
      tx.changed();
    };
  }
  if (device.quirk === 'vpp_locked') throw new SandboxError('VPP_LOCKED', { programme: 'grid_services_vpp' });
  if (device.quirk === 'mode_overridden') throw new SandboxError('MODE_OVERRIDDEN', { overridingMode: 'manual_override' });
  if (device.quirk === 'scheduler_full' && executionOf(action) !== 'immediate') {
    throw new SandboxError('SCHEDULER_FULL', { slotLimit: 6, existingGroupCount: 6 });
  }
  return effect;
}

function clearForeignSchedule(tx: Transaction, request: PushRequest): Effect {
  const { device, action, now } = request;
  if (device.quirk !== 'foreign_schedule') return;
  const from = action.start?.getTime() ?? now;
  const to = action.end?.getTime() ?? Number.POSITIVE_INFINITY;
  const { groups, existingGroupCount } = overlappingGroups(device, tx.state, from, to, now);
  if (groups.length === 0) return;
  if (request.onConflict !== 'cancel_and_replace') {
    throw new SandboxError('SCHEDULER_ACTIVE', {
      reason: 'foreign_schedule_overlap',
      description: `The manufacturer scheduler holds ${groups.length} row(s) that overlap the requested execution; they were not written by the platform.`,
      overlappingGroups: groups,
      existingGroupCount,
      recoveryStrategies: ['cancel_and_replace'],
      detectedAt: iso(now),
    });
  }
  return () => {
    const changes = (tx.state.devices[device.id] ??= {});
    changes.clearedGroups = [...new Set([...(changes.clearedGroups ?? []), ...groups.map((g) => g.groupId)])];
    tx.changed();
  };
}

/** Applies decision 7: the start the new action gets (queue_after moves it), and what it cancels. */
function resolveConflicts(tx: Transaction, request: PushRequest): { start?: Date; end?: Date; effect?: Effect } {
  const { device, action, onConflict, now } = request;
  const pending = pendingActions(tx.state, device.id);
  if (pending.length === 0) return { start: action.start, end: action.end };
  const ids = pending.map((a) => a.id);
  const inFlight = pending.some((a) => a.state === 'acknowledged');
  const strategies = device.conflictStrategies ?? [];
  if (!onConflict) {
    if (inFlight) throw new SandboxError('CONFLICT', { conflictingActionIds: ids }, 'in_flight');
    throw new SandboxError('CONFLICT', { reason: 'no_strategy_supplied', conflictingActionIds: ids, strategies }, 'pending');
  }
  if (onConflict === 'cancel_and_replace') {
    if (inFlight) throw new SandboxError('CONFLICT', { conflictingActionIds: ids }, 'in_flight');
    const effect = () => {
      for (const conflicting of pending) markCancelled(tx.state, conflicting, now);
      tx.changed();
    };
    return { start: action.start, end: action.end, effect };
  }
  const openEnded = pending.filter((a) => !a.end).map((a) => a.id);
  if (openEnded.length > 0) {
    // One already running cannot be waited for (no end) nor cancelled (cancel_and_replace needs it
    // still scheduled): the in-flight CONFLICT, which offers nothing (decision 7, contract §8).
    if (inFlight) throw new SandboxError('CONFLICT', { conflictingActionIds: ids }, 'in_flight');
    throw new SandboxError('CONFLICT', { reason: 'open_ended', conflictingActionIds: openEnded, strategies: strategies.filter((s) => s !== 'queue_after') }, 'open_ended');
  }
  // Deferred, never brought forward: the later of the requested start and the end of what is in
  // the way; a window keeps its length.
  const after = Math.max(...pending.map((a) => Date.parse(a.end!)));
  const requested = action.start?.getTime() ?? now;
  if (requested >= after) return { start: action.start ?? new Date(requested), end: action.end };
  const duration = action.start && action.end ? action.end.getTime() - action.start.getTime() : undefined;
  return { start: new Date(after), end: duration !== undefined ? new Date(after + duration) : undefined };
}

export function createAction(tx: Transaction, request: PushRequest): StoredAction {
  const { device, action, onConflict, now } = request;
  if (onConflict && !(device.conflictStrategies ?? []).includes(onConflict)) {
    throw new SandboxError('VALIDATION_ERROR', {
      fields: [{ path: 'onConflict', problem: `this device accepts ${(device.conflictStrategies ?? []).join(', ') || 'no strategy'}` }],
    });
  }
  const effects = [refuseForQuirk(tx, request), clearForeignSchedule(tx, request)];
  const { start, end, effect } = resolveConflicts(tx, request);
  // Every check has passed: only now is anything changed.
  for (const change of [...effects, effect]) change?.();
  tx.state.actionCounter += 1;
  const id = `act_${now.toString(16)}${String(tx.state.actionCounter).padStart(6, '0')}`;
  const immediate = !start;
  const record: StoredAction = {
    id,
    deviceId: device.id,
    deviceType: device.type,
    command: action.command,
    parameters: action.parameters && Object.keys(action.parameters).length > 0 ? action.parameters : null,
    state: immediate ? 'acknowledged' : 'scheduled',
    result: null,
    errorCode: null,
    errorMessage: null,
    createdAt: iso(now),
    updatedAt: iso(now),
    acknowledgedAt: immediate ? iso(now) : null,
    completedAt: null,
    start: start ? start.toISOString() : null,
    end: end ? end.toISOString() : null,
    links: { self: `/actions/${id}` },
    userId: device.userId,
    // The push's own directive wins; otherwise the device's dispatch profile decides how it ends.
    ...(request.failWith ?? device.dispatch?.failWith ? { failWith: request.failWith ?? device.dispatch?.failWith } : {}),
    ...(device.dispatch?.drift && !request.failWith ? { drift: true } : {}),
  };
  addAction(tx.state, record);
  tx.changed();
  return record;
}

export function cancelAction(tx: Transaction, action: StoredAction, now: number): StoredAction {
  if (action.state !== 'scheduled') throw new SandboxError('ACTION_NOT_CANCELLABLE', { state: action.state });
  markCancelled(tx.state, action, now);
  tx.changed();
  return action;
}

/** The public record: the sandbox's own bookkeeping stays inside. */
export function publicAction(action: StoredAction) {
  const { userId: _userId, revertTo: _revertTo, revertedAt: _revertedAt, failWith: _failWith, drift: _drift, ...record } = action;
  return record;
}

/** The push result (docs/amps-api/contract.md §5.4): the dispatch, mirrored. */
export function pushResult(action: StoredAction) {
  const { id, deviceId, deviceType, command, parameters, state, createdAt, start, end, links } = action;
  return { id, deviceId, deviceType, command, parameters, state, createdAt, start, ...(end ? { end } : {}), links };
}
