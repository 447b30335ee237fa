// The device shapes on the wire (docs/amps-api/contract.md §4-§5): the five families, Quantities
// and their units, the commands and settings maps, the device read. Below it only lib/.

import { isRecord, kindOf } from '../lib/values.js';

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

/**
 * What is wrong with a device's settings map, as the docs give it (`{name: {value, unit, min, max}}`:
 * a map of objects whose min and max are numbers, unit text and value no object, where present);
 * undefined when nothing is, or there is none. `amps settings` refuses such a read (it checks a
 * write against the map and converts units by it), `amps get` says it instead of showing the map:
 * a list or a value of another type would be shown as settings.
 */
export function settingsProblem(settings: unknown): string | undefined {
  if (settings === undefined || settings === null) return undefined;
  if (!isRecord(settings)) return `settings are ${kindOf(settings)}, not a map of settings`;
  for (const [name, setting] of Object.entries(settings)) {
    const which = `setting '${name.slice(0, 60)}'`;
    if (!isRecord(setting)) return `${which} is ${kindOf(setting)}, not a setting`;
    // A value may be a number or another kind (the sandbox's read-only scheduler_enabled is true); the bounds are numbers.
    if (isRecord(setting.value) || Array.isArray(setting.value)) return `${which} has a value that is ${kindOf(setting.value)}`;
    const problem = boundsProblem(setting, which);
    if (problem) return problem;
  }
  return undefined;
}

/** A parameter's or setting's unit (text) and bounds (numbers), where present: what is wrong, or undefined. */
function boundsProblem(spec: Record<string, unknown>, which: string): string | undefined {
  for (const field of ['min', 'max'] as const) {
    if (spec[field] !== undefined && spec[field] !== null && typeof spec[field] !== 'number') return `${which} has a ${field} that is ${kindOf(spec[field])}, not a number`;
  }
  if (spec.unit !== undefined && spec.unit !== null && typeof spec.unit !== 'string') return `${which} has a unit that is ${kindOf(spec.unit)}, not text`;
  return undefined;
}

/**
 * What is wrong with a device's commands map, as the docs give it (`{command: {parameters: {name:
 * {unit, min, max}}, execution: [mode]}}`); undefined when nothing is, or there is none. A push's
 * preflight checks against it: read from a list, a string or a number unit, it refused the
 * operator's push (exit 2, "pick a command from the device's commands map") for the server's fault.
 */
export function commandsProblem(commands: unknown): string | undefined {
  if (commands === undefined || commands === null) return undefined;
  if (!isRecord(commands)) return `commands are ${kindOf(commands)}, not a map of commands`;
  for (const [name, spec] of Object.entries(commands)) {
    const which = `command '${name.slice(0, 60)}'`;
    if (!isRecord(spec)) return `${which} is ${kindOf(spec)}, not a command`;
    if (spec.execution !== undefined && (!Array.isArray(spec.execution) || !spec.execution.every((mode) => typeof mode === 'string'))) return `${which} has an execution that is ${kindOf(spec.execution)}, not a list of modes`;
    if (spec.parameters === undefined || spec.parameters === null) continue;
    if (!isRecord(spec.parameters)) return `${which} has parameters that are ${kindOf(spec.parameters)}, not a map`;
    for (const [parameter, param] of Object.entries(spec.parameters)) {
      const of = `parameter '${parameter.slice(0, 60)}' of ${which}`;
      if (!isRecord(param)) return `${of} is ${kindOf(param)}, not a parameter`;
      const problem = boundsProblem(param, of);
      if (problem) return problem;
    }
  }
  return undefined;
}
