// The checks of a push or a settings write against a device's own commands and settings maps
// (docs/amps-api/contract.md §4.3-4.4, §6, §11). One implementation serves the client's preflight and the
// sandbox, so the preflight names exactly the code the API answers with.

import { isRecord, own } from '../lib/values.js';
import { isQuantity } from './quantity.js';
import type { CommandSpec, Execution, ParameterSpec, Quantity, SettingSpec } from '../contract/devices.js';

/** A failed check, named by the canonical code and carrying the documented `details`. */
interface Violation {
  code: string;
  details: Record<string, unknown>;
}

export interface ActionToCheck {
  command: string;
  parameters?: Record<string, Quantity>;
  start?: Date;
  end?: Date;
}

/** The docs' scheduling horizon: a start at most 30 days ahead (START_OUT_OF_RANGE beyond). */
const HORIZON_MS = 30 * 86_400_000;

export function executionOf(action: { start?: unknown; end?: unknown }): Execution {
  if (action.start === undefined || action.start === null) return 'immediate';
  return action.end === undefined || action.end === null ? 'scheduled' : 'windowed';
}

function outOfRange(value: number, spec: ParameterSpec): boolean {
  return (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max);
}

/**
 * The names alone: the command, then its parameters. Checked before values are fitted to units, so
 * a parameter the command does not take is named as such, not as one missing a unit.
 */
export function checkNames(command: string, parameterNames: string[], commands: Record<string, CommandSpec>): Violation | undefined {
  const spec = own(commands, command);
  if (!spec) {
    return { code: 'UNSUPPORTED_MODE', details: { command, deviceCapabilities: { supportedModes: Object.keys(commands) } } };
  }
  const unsupported = parameterNames.filter((name) => !own(spec.parameters, name));
  if (unsupported.length > 0) {
    return {
      code: 'UNSUPPORTED_PARAMETER',
      details: { unsupportedParameters: unsupported, deviceCapabilities: { supportedParameters: Object.keys(spec.parameters) } },
    };
  }
  return undefined;
}

/** Command, then parameters (declared, unit, bounds), then execution shape. */
function checkCommand(action: ActionToCheck, commands: Record<string, CommandSpec>): Violation | undefined {
  const parameters = action.parameters ?? {};
  const named = checkNames(action.command, Object.keys(parameters), commands);
  if (named) return named;
  const spec = own(commands, action.command)!;
  for (const [name, quantity] of Object.entries(parameters)) {
    const declared = spec.parameters[name]; // own: checked above
    if (quantity.unit !== declared.unit) {
      return { code: 'UNSUPPORTED_UNIT', details: { parameter: name, providedUnit: quantity.unit, supportedUnits: [declared.unit] } };
    }
    if (outOfRange(quantity.value, declared)) {
      return {
        code: 'PARAMETER_OUT_OF_RANGE',
        details: { parameter: name, value: quantity.value, min: declared.min ?? null, max: declared.max ?? null, unit: declared.unit },
      };
    }
  }
  const requested = executionOf(action);
  if (!spec.execution.includes(requested)) {
    return { code: 'EXECUTION_NOT_SUPPORTED', details: { requestedExecution: requested, supportedExecution: spec.execution } };
  }
  return undefined;
}

/**
 * The time-window contract as the docs give it (decision 6), on times already resolved to
 * instants: an end needs a start and must come after it; the start lies in the future, within 30
 * days. Nothing else: a limit the docs do not state must never block a request to a real API.
 */
export function checkWindow(start: Date | undefined, end: Date | undefined, now: Date): Violation | undefined {
  const iso = (d: Date | undefined) => d?.toISOString();
  if (end && !start) return { code: 'INVALID_TIME_WINDOW', details: { reason: 'end_without_start', end: iso(end) } };
  if (!start) return undefined;
  if (end && end.getTime() - start.getTime() <= 0) return { code: 'INVALID_TIME_WINDOW', details: { reason: 'end_not_after_start', start: iso(start), end: iso(end) } };
  // In the future: a start of now (`"start": "0m"`) is not, and would be taken for an immediate push's.
  if (start.getTime() <= now.getTime()) return { code: 'START_IN_PAST', details: { start: iso(start), now: iso(now) } };
  if (start.getTime() > now.getTime() + HORIZON_MS) {
    return { code: 'START_OUT_OF_RANGE', details: { start: iso(start), maxStart: new Date(now.getTime() + HORIZON_MS).toISOString() } };
  }
  return undefined;
}

/**
 * The whole check of a push, in the API's order: command, parameters, execution shape, then the
 * time window. A time that is not a valid instant (NaN) passes the window rules: the client
 * leaves what it cannot read to the API.
 */
export function checkAction(action: ActionToCheck, commands: Record<string, CommandSpec>, now: Date): Violation | undefined {
  return checkCommand(action, commands) ?? checkWindow(action.start, action.end, now);
}

/** The names of a settings write alone: known, then writable. Checked before values are read as quantities. */
export function checkSettingNames(keys: string[], settings: Record<string, SettingSpec>): Violation | undefined {
  const unsupported = keys.filter((key) => !own(settings, key));
  if (unsupported.length > 0) {
    return { code: 'UNSUPPORTED_SETTING', details: { unsupportedSettings: unsupported, supportedSettings: Object.keys(settings) } };
  }
  const readOnly = keys.filter((key) => settings[key].readOnly);
  if (readOnly.length > 0) return { code: 'READ_ONLY_SETTING', details: { settings: readOnly } };
  return undefined;
}

/** A sparse settings write: known keys, writable, right unit, within bounds. */
export function checkSettings(values: Record<string, unknown>, settings: Record<string, SettingSpec>): Violation | undefined {
  const keys = Object.keys(values);
  const named = checkSettingNames(keys, settings);
  if (named) return named;
  for (const key of keys) {
    const value = values[key];
    const spec = settings[key];
    if (!isQuantity(value)) continue; // the shape is the schema's business (VALIDATION_ERROR)
    if (value.unit !== spec.unit) {
      return { code: 'UNSUPPORTED_UNIT', details: { parameter: key, providedUnit: value.unit, supportedUnits: [spec.unit] } };
    }
    if (outOfRange(value.value, spec)) {
      return { code: 'SETTING_OUT_OF_RANGE', details: { setting: key, value: value.value, min: spec.min ?? null, max: spec.max ?? null, unit: spec.unit } };
    }
  }
  return undefined;
}

/**
 * The device's pending (not yet terminal, not running) action, as its read reports it: the current
 * schedule's action, else the last action. Any pending action conflicts with a new push, whatever
 * the windows (the docs), and a cancel_and_replace cancels it.
 */
export function pendingActionOf(device: { lastAction?: { id: string; state: string } | null; currentSchedule?: Record<string, unknown> | null } | undefined): { id: string; state: string } | undefined {
  const pending = (state: unknown) => state === 'scheduled' || state === 'acknowledged';
  const current = device?.currentSchedule;
  if (isRecord(current) && typeof current.actionId === 'string' && pending(current.state)) return { id: current.actionId, state: String(current.state) };
  const last = device?.lastAction;
  return last && typeof last.id === 'string' && pending(last.state) ? { id: last.id, state: last.state } : undefined;
}
