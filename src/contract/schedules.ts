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
