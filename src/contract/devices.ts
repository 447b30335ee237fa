// The device shapes on the wire (docs/amps-api/contract.md §4-§5): the five families, Quantities
// and their units, the commands and settings maps, the device read. A leaf: it imports nothing.

/** Bodies and filters spell the families with underscores; paths with hyphens (decision 12). */
export const DEVICE_TYPES = ['battery', 'ev_charger', 'hvac', 'solar_inverter', 'vehicle'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** The canonical unit enum (docs/amps-api/contract.md §5.3). */
export const UNITS = ['percent', 'kw', 'watts', 'kwh', 'amps', 'volts', 'hours', 'minutes', 'celsius', 'fahrenheit'] as const;
export type Unit = (typeof UNITS)[number];

/** Every numeric parameter and setting travels as `{ value, unit }`. */
export interface Quantity {
  value: number;
  unit: string;
}

export type Execution = 'immediate' | 'scheduled' | 'windowed';

export interface ParameterSpec {
  unit: string;
  min?: number;
  max?: number;
}

export interface CommandSpec {
  parameters: Record<string, ParameterSpec>;
  execution: Execution[];
}

export interface SettingSpec extends ParameterSpec {
  value: unknown;
  /** Ours: the docs name read-only settings (scheduler_enabled) but give no flag; the sandbox marks them. */
  readOnly?: boolean;
}

export interface ActionSummary {
  id: string;
  command: string;
  state: string;
  createdAt: string;
  updatedAt: string;
  links: { self: string };
}

export interface DeviceRead {
  id: string;
  vendor: string;
  sync: { available: boolean; lastPulledAt: string };
  /** `timeZone` is ours: the sandbox names each device's plant time zone; the docs' reads carry none. */
  metadata: { model: string; source: string; cacheType?: string; timeZone?: string };
  state: Record<string, unknown>;
  commands?: Record<string, CommandSpec>;
  settings?: Record<string, SettingSpec>;
  conflictStrategies?: string[];
  lastAction?: ActionSummary | null;
  currentSchedule?: Record<string, unknown> | null;
}
