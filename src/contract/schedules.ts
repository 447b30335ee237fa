// Schedules on the wire (docs/amps-api/contract.md §6.1): slots of `{time, duration, command,
// parameters}` on the device endpoint (flat), `{time, duration, action: {command, parameters}}`
// on /schedules; a daily recurrence or none; ISO 8601 durations (`PT5H`).

import type { Quantity } from './devices.js';

export const SCHEDULE_STATES = ['pending', 'active', 'completed', 'cancelled'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

/** A slot as the device endpoint takes it. */
export interface FlatSlot {
  time: string;
  duration: string;
  command: string;
  parameters?: Record<string, Quantity>;
}

/** A slot as /schedules takes it. */
export interface NestedSlot {
  time: string;
  duration: string;
  action: { command: string; parameters?: Record<string, Quantity> };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isParameters(value: unknown): boolean {
  return value === undefined || (isObject(value) && Object.values(value).every((q) => isObject(q) && typeof q.unit === 'string' && (typeof q.value === 'number' || typeof q.value === 'string')));
}

/** A slot in either wire form, whole: what amps reads of one (an answer's, a state file's) before it shows or fires it. */
export function isSlot(value: unknown): value is FlatSlot | NestedSlot {
  if (!isObject(value) || typeof value.time !== 'string' || typeof value.duration !== 'string') return false;
  if ('action' in value) return isObject(value.action) && typeof value.action.command === 'string' && isParameters(value.action.parameters);
  return typeof value.command === 'string' && isParameters(value.parameters);
}

export interface ScheduleRecord {
  id: string;
  deviceId: string;
  deviceType?: string;
  state: ScheduleState;
  timezone: string | null;
  recurrence: { rule: 'daily' } | null;
  slots: Array<FlatSlot | NestedSlot>;
  createdAt?: string;
  updatedAt?: string;
  nextFireAt: string | null;
}

/** The device types the docs show a per-device schedule route for (battery: PUT; hvac: DELETE; the rest inferred by symmetry). */
export const SCHEDULABLE_TYPES = ['battery', 'hvac'] as const;
