// How API objects look to a person: actions as key/value blocks, devices by their main reading.

import { executionOf } from '../domain/capabilities.js';
import { describeInstant } from '../domain/time.js';
import { type IO, writeJson, writeLine } from './io.js';
import { formatTable } from './table.js';
import type { Style } from './style.js';
import { fieldLines, show, showQuantity } from './text.js';
import type { ActionRecord } from '../contract/actions.js';
import { readApiTime, ZONELESS_READ } from '../contract/api-time.js';
import type { DeviceRead, DeviceType, SettingSpec } from '../contract/devices.js';

export function parametersText(parameters: ActionRecord['parameters']): string {
  if (!parameters || Object.keys(parameters).length === 0) return '-';
  return Object.entries(parameters).map(([name, q]) => `${show(name)} ${showQuantity(q)}`).join(', ');
}

export function stateColour(state: string, style: Style): string {
  if (state === 'completed') return style.green(state);
  if (state === 'failed') return style.red(state);
  if (state === 'cancelled') return style.dim(state);
  return style.yellow(state);
}

/**
 * An ISO time from the API, in `zone` with its UTC instant; as sent when it is not a time
 * (apiInstant: no date the calendar lacks). One that names no zone is read as UTC, as the docs'
 * answers are and as every other reading of it in amps is (the resume, the follower, a moved
 * time), and says so: the answer did not.
 */
export function timeText(value: unknown, zone: string): string {
  const time = readApiTime(value);
  if (time === undefined) return show(value);
  return time.zoned ? describeInstant(time.instant, zone) : `${describeInstant(time.instant, zone)} ${ZONELESS_READ}`;
}

/**
 * An ISO time from the API for a table cell, kept as sent (tables keep the API's UTC times); one
 * that names no zone says it is read as UTC, as timeText does.
 */
export function tableTimeText(value: unknown): string {
  const time = readApiTime(value);
  return time !== undefined && !time.zoned ? `${show(value)} (no zone: read as UTC)` : show(value);
}

function actionLines(action: ActionRecord, style: Style, zone: string): string[] {
  const execution = executionOf(action);
  const fields: Array<[string, string]> = [
    ['id', show(action.id)],
    ['device', `${show(action.deviceType)} ${show(action.deviceId)}`],
    ['command', show(action.command)],
    ['parameters', parametersText(action.parameters)],
    ['state', stateColour(show(action.state), style)],
    ['execution', execution],
    ['start', timeText(action.start, zone)],
    ['end', timeText(action.end, zone)],
    ['created', timeText(action.createdAt, zone)],
  ];
  if (action.completedAt) fields.push(['finished', timeText(action.completedAt, zone)]);
  if (action.errorCode) fields.push(['error', `${show(action.errorCode)}: ${show(action.errorMessage)}`]);
  if (action.result) fields.push(['result', show(action.result)]);
  fields.push(['link', show(action.links?.self)]);
  return fieldLines(fields);
}

/** The one reading that says most about a device of each type. */
export function mainReading(type: DeviceType, state: Record<string, unknown>): string {
  switch (type) {
    case 'battery': return `${show(state.level)}%`;
    case 'ev_charger': return `${show(state.currentPower)} kW`;
    case 'hvac': return `${show(state.temperature)} °C`;
    case 'solar_inverter': return `${show(state.currentPower)} kW`;
    case 'vehicle': return `${show(state.batteryLevel)}%`;
  }
}

export function currentMode(type: DeviceType, state: Record<string, unknown>): string {
  switch (type) {
    case 'battery': return show(state.currentMode);
    case 'ev_charger': return state.isCharging ? 'charging' : state.isConnected ? 'plugged in' : 'unplugged';
    case 'hvac': return `${show(state.mode)} (${show(state.holdType)})`;
    case 'solar_inverter': return state.producing ? 'producing' : 'idle';
    case 'vehicle': return state.charging ? 'charging' : state.plugged ? 'plugged in' : 'unplugged';
  }
}

export function syncText(device: DeviceRead): string {
  return `${device.sync?.available ? 'live' : 'stale'} ${show(device.sync?.lastPulledAt)}`;
}

interface PrintOptions {
  json?: boolean;
  quiet?: boolean;
  /** Whose clock times are shown on (they also carry their UTC instant). */
  zone: string;
  /** Fields added to the JSON beside the action's own (environment, moved). */
  extra?: Record<string, unknown>;
}

/** An action on stdout: JSON, its id alone (--quiet), or the key/value block. */
export function printAction(action: ActionRecord, io: IO, options: PrintOptions): void {
  if (options.json) writeJson(io, { ...action, ...options.extra });
  else if (options.quiet) writeLine(io.stdout, action.id);
  else writeLine(io.stdout, actionLines(action, io.out, options.zone).join('\n'));
}

/** `10–100`, `0–…`, or '' when a parameter or setting declares no bounds. */
export function rangeText(spec: { min?: unknown; max?: unknown }): string {
  return spec.min === undefined && spec.max === undefined ? '' : `${spec.min === undefined ? '…' : show(spec.min)}–${spec.max === undefined ? '…' : show(spec.max)}`;
}

/** A device's settings map as a table: value, unit, range, whether it can be written. */
export function settingsTable(settings: Record<string, SettingSpec>, io: IO): Promise<string> {
  const rows = Object.entries(settings).map(([name, raw]) => {
    const spec = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<SettingSpec>;
    return [show(name), show(spec.value), show(spec.unit), rangeText(spec) || '-', spec.readOnly ? 'read-only' : 'writable'];
  });
  return formatTable(['setting', 'value', 'unit', 'range', 'access'], rows, { tty: io.stdoutIsTTY, style: io.out, columns: io.columns });
}
