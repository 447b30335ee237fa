// Actions on the wire (docs/amps-api/contract.md §5-§9): push bodies, conflict strategies, the
// lifecycle states, the action record, list pages. A leaf: it imports only the device shapes.

import type { DeviceType, Quantity } from './devices.js';

export const STRATEGIES = ['cancel_and_replace', 'queue_after'] as const;

/** A push body's keys (decision 5, the canonical schema): every other is refused, never dropped. */
export const PUSH_BODY_KEYS = ['action', 'onConflict', 'sandbox'] as const;
export const PUSH_ACTION_KEYS = ['command', 'parameters', 'start', 'end'] as const;
/** A Quantity's keys (`{"value": 5, "unit": "kw"}`). */
export const QUANTITY_KEYS = ['value', 'unit'] as const;
/** The sandbox's directive (`"sandbox": {…}`), which the real API does not take. */
export const DIRECTIVE_KEYS = ['result', 'errorCode', 'phase'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type ActionState = 'scheduled' | 'acknowledged' | 'completed' | 'failed' | 'cancelled';
export const ACTION_STATES: readonly ActionState[] = ['scheduled', 'acknowledged', 'completed', 'failed', 'cancelled'];
export const TERMINAL_STATES: readonly ActionState[] = ['completed', 'failed', 'cancelled'];

export interface ActionRecord {
  id: string;
  deviceId: string;
  deviceType: DeviceType;
  command: string;
  parameters: Record<string, Quantity> | null;
  state: ActionState;
  result: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  updatedAt: string;
  acknowledgedAt: string | null;
  completedAt: string | null;
  start: string | null;
  end: string | null;
  links: { self: string };
}

export interface Pagination {
  limit: number;
  offset: number;
  /** Absent when the server sent none, or no count (resources.ts objectItems). */
  total?: number;
  hasMore: boolean;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
  /**
   * Ours, not the API's: how many items the page held, when some were no object and were left out
   * of `items` (api/resources.ts objectItems). The next page starts after all of them.
   */
  received?: number;
}

/** The sandbox directive (decision 9); `phase` is ours. */
export interface SandboxDirective {
  result: 'failed' | 'succeeded';
  errorCode?: string;
  phase?: 'request' | 'dispatch';
}

export interface PushBody {
  /** `start`/`end` null: none (a --body may say so; amps writes none). */
  action: { command: string; parameters?: Record<string, Quantity>; start?: string | null; end?: string | null };
  onConflict?: Strategy;
  sandbox?: SandboxDirective;
}
