// The shapes the Amps API returns (current generation, docs/amps-api/contract.md §4-§7). Shared with the
// sandbox, which serves exactly these.

import type { CommandSpec, SettingSpec } from '../domain/capabilities.js';
import type { Quantity } from '../domain/quantity.js';
import type { DeviceType } from '../domain/device-types.js';

/** An Amps API key (decision 2): the `test` or `live` token names the environment. */
export const API_KEY_PATTERN = /^(amps_)?sk_(test|live)_[A-Za-z0-9]{6,}$/;

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

export interface ActionSummary {
  id: string;
  command: string;
  state: ActionState;
  createdAt: string;
  updatedAt: string;
  links: { self: string };
}

export interface DeviceRead {
  id: string;
  vendor: string;
  sync: { available: boolean; lastPulledAt: string };
  metadata: { model: string; source: string; cacheType?: string };
  state: Record<string, unknown>;
  commands?: Record<string, CommandSpec>;
  settings?: Record<string, SettingSpec>;
  conflictStrategies?: string[];
  lastAction?: ActionSummary | null;
  currentSchedule?: Record<string, unknown> | null;
}

export interface Pagination {
  limit: number;
  offset: number;
  total: number;
  hasMore: boolean;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

export interface PushBody {
  action: { command: string; parameters?: Record<string, Quantity>; start?: string; end?: string };
  onConflict?: 'cancel_and_replace' | 'queue_after';
  sandbox?: { result: 'failed' | 'succeeded'; errorCode?: string; phase?: 'request' | 'dispatch' };
}
