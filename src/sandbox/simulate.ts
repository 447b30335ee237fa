// Device state as the sandbox projects it: deterministic, driven by UTC time of day along the
// documented curves (docs/amps-api/contract.md §14), bent by what the device was last told to do. The same
// call at the same instant returns the same values.

import type { DeviceDefinition } from './fleet.js';
import type { DeviceChanges, StoredAction } from './store.js';
import type { SettingSpec } from '../contract/devices.js';

function hoursOfDay(now: Date, shiftMinutes: number): number {
  const minutes = now.getUTCHours() * 60 + now.getUTCMinutes() + now.getUTCSeconds() / 60 + shiftMinutes;
  return ((minutes / 60) % 24 + 24) % 24;
}

function lerp(from: number, to: number, startHour: number, endHour: number, hour: number): number {
  return from + ((to - from) * (hour - startHour)) / (endHour - startHour);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Battery SOC: 06-09 discharging 70->46, 09-15 solar charging 50->92, 15-21 discharging 90->30, 21-06 slow charging. */
function batteryCurve(hour: number): { level: number; status: 'idle' | 'charging' | 'discharging'; chargeRate: number } {
  if (hour >= 6 && hour < 9) return { level: lerp(70, 46, 6, 9, hour), status: 'discharging', chargeRate: -1.8 };
  if (hour >= 9 && hour < 15) return { level: lerp(50, 92, 9, 15, hour), status: 'charging', chargeRate: 2.4 };
  if (hour >= 15 && hour < 21) return { level: lerp(90, 30, 15, 21, hour), status: 'discharging', chargeRate: -2.1 };
  const h = hour >= 21 ? hour - 21 : hour + 3;
  return { level: lerp(30, 70, 0, 9, h), status: h < 2 ? 'idle' : 'charging', chargeRate: h < 2 ? 0 : 0.8 };
}

function batteryState(device: DeviceDefinition, changes: DeviceChanges, hour: number) {
  const curve = batteryCurve(hour);
  const mode = changes.mode ?? 'auto.balanced';
  const forced = mode === 'charge' ? { status: 'charging', chargeRate: 3 } : mode === 'discharge' ? { status: 'discharging', chargeRate: -3 } : mode === 'idle' ? { status: 'idle', chargeRate: 0 } : undefined;
  return {
    status: forced?.status ?? curve.status,
    capacity: device.model.includes('13') ? 13.5 : device.model.includes('Mini') ? 5.2 : 10.4,
    level: Math.round(curve.level),
    chargeRate: forced?.chargeRate ?? curve.chargeRate,
    dischargeLimit: Number(changes.settings?.discharge_floor ?? device.settings?.discharge_floor?.value ?? 10),
    currentMode: mode,
  };
}

function evChargerState(device: DeviceDefinition, changes: DeviceChanges, hour: number) {
  const connected = hour >= 17 || hour < 8;
  const rate = Number(changes.settings?.max_charge_rate ?? device.settings?.max_charge_rate?.value ?? 7);
  const charging = connected && changes.mode !== 'idle' && (changes.mode === 'charge' || hour >= 19 || hour < 1);
  return {
    status: charging ? 'charging' : 'available',
    isConnected: connected,
    isCharging: charging,
    currentPower: charging ? round1(Math.min(rate, 7)) : 0,
    maxCurrent: 32,
    powerRateLimit: rate,
  };
}

function hvacState(changes: DeviceChanges, hour: number, lastParameters: StoredAction['parameters']) {
  const temperature = round1(19.5 + 2.5 * Math.sin(((hour - 9) / 24) * 2 * Math.PI));
  const mode = changes.mode ?? 'follow_schedule';
  return {
    temperature,
    active: mode !== 'idle',
    heatSetpoint: lastParameters?.heatSetpoint?.value ?? (mode === 'heat' ? lastParameters?.target?.value : undefined) ?? 21,
    coolSetpoint: lastParameters?.coolSetpoint?.value ?? (mode === 'cool' ? lastParameters?.target?.value : undefined) ?? 25,
    holdType: mode === 'follow_schedule' ? 'follow_schedule' : 'permanent',
    mode: mode === 'follow_schedule' ? (temperature < 20 ? 'heat' : 'cool') : mode,
  };
}

function solarState(device: DeviceDefinition, now: Date, hour: number) {
  const peakKw = device.model.includes('8kW') ? 8 : 5;
  const season = 0.55 + 0.45 * Math.cos(((now.getUTCMonth() - 5.5) / 12) * 2 * Math.PI);
  const shape = hour < 6 || hour >= 18 ? 0 : hour < 9 ? (hour - 6) / 3 : hour < 15 ? 1 : (18 - hour) / 3;
  const power = round1(peakKw * 0.85 * season * shape);
  const dayOfYear = Math.floor((now.getTime() - Date.UTC(now.getUTCFullYear(), 0, 1)) / 86_400_000);
  return { status: power > 0 ? 'producing' : 'idle', currentPower: power, producing: power > 0, energyTotal: round1(9000 + dayOfYear * peakKw * 3.1) };
}

/** Vehicle: 06-09 plugged 80-95 %, 09-17 unplugged 95->71, 17-21 70->50, 21-06 plugged charging 50->82. */
function vehicleState(hour: number) {
  let level: number;
  let plugged: boolean;
  if (hour >= 6 && hour < 9) [level, plugged] = [lerp(82, 95, 6, 9, hour), true];
  else if (hour >= 9 && hour < 17) [level, plugged] = [lerp(95, 71, 9, 17, hour), false];
  else if (hour >= 17 && hour < 21) [level, plugged] = [lerp(70, 50, 17, 21, hour), hour >= 19];
  else [level, plugged] = [lerp(50, 82, 0, 9, hour >= 21 ? hour - 21 : hour + 3), true];
  const charging = plugged && level < 80 && !(hour >= 6 && hour < 9);
  return {
    batteryLevel: Math.round(level),
    range: Math.round(level * 2.9),
    plugged,
    charging,
    fullyCharged: level >= 95,
    batteryCapacity: 75,
    chargeLimit: 80,
    chargeRate: charging ? 7 : 0,
    chargeTimeRemaining: charging ? Math.round(((80 - level) / 100) * 75 / 7 * 60) : 0,
    maxCurrent: 32,
  };
}

export function projectState(device: DeviceDefinition, changes: DeviceChanges, now: Date, lastCompleted: StoredAction | undefined): Record<string, unknown> {
  const hour = hoursOfDay(now, device.curveShiftMinutes);
  switch (device.type) {
    case 'battery': return batteryState(device, changes, hour);
    case 'ev_charger': return evChargerState(device, changes, hour);
    case 'hvac': return hvacState(changes, hour, lastCompleted?.parameters ?? null);
    case 'solar_inverter': return solarState(device, now, hour);
    case 'vehicle': return vehicleState(hour);
  }
}

/** The settings map as a read shows it: declared bounds with the current values. */
export function currentSettings(device: DeviceDefinition, changes: DeviceChanges): Record<string, SettingSpec> | undefined {
  if (!device.settings) return undefined;
  return Object.fromEntries(
    Object.entries(device.settings).map(([key, spec]) => [key, { ...spec, value: changes.settings?.[key] ?? spec.value }]),
  );
}
