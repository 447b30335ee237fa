import { STRATEGIES, type Strategy } from '../contract/actions.js';
import type { CommandSpec, Execution, ParameterSpec, SettingSpec, DeviceType } from '../contract/devices.js';
// The seeded fleet: deterministic simulated devices of every type, from several simulated
// manufacturers with different capabilities, plus a few that exist to demonstrate one error each.
// `--fleet-size N` adds N plain batteries for load tests. Nothing here is random at run time.



/** How a device misbehaves on purpose. */
type Quirk = 'offline' | 'foreign_schedule' | 'scheduler_full' | 'vpp_locked' | 'mode_overridden' | 'schedule_override';

export interface DeviceDefinition {
  id: string;
  type: DeviceType;
  vendor: string;
  model: string;
  userId: string;
  timeZone: string;
  commands?: Record<string, CommandSpec>;
  settings?: Record<string, SettingSpec>;
  conflictStrategies?: Strategy[];
  quirk?: Quirk;
  /** Shifts the time-of-day curves so devices do not move in lockstep. */
  curveShiftMinutes: number;
  /** What the device is in the fleet to demonstrate (the README lists it). */
  purpose: string;
  /**
   * How its actions end when dispatched, whatever the push said (generated devices only, at the
   * rates `amps sandbox serve` sets): failed with a manufacturer's code, or completed without the
   * device's state following (what `--verify` is for).
   */
  dispatch?: { failWith?: string; drift?: boolean };
}

const ALL: Execution[] = ['immediate', 'scheduled', 'windowed'];
const NOT_WINDOWED: Execution[] = ['immediate', 'scheduled'];

function batteryCommands(options: { maxPowerKw: number; targetMin?: number; targetMax?: number; chargeExecution?: Execution[]; autoModes?: string[]; reserve?: boolean }): Record<string, CommandSpec> {
  const power = { unit: 'kw', min: 0, max: options.maxPowerKw };
  const target = { unit: 'percent', min: options.targetMin ?? 10, max: options.targetMax ?? 100 };
  const reserve: Record<string, ParameterSpec> = options.reserve === false ? {} : { reserve: { unit: 'percent', min: 0, max: 100 } };
  const execution = options.chargeExecution ?? ALL;
  const commands: Record<string, CommandSpec> = {
    charge: { parameters: { target, power, ...reserve }, execution },
    discharge: { parameters: { target, power, ...reserve }, execution },
    idle: { parameters: {}, execution: NOT_WINDOWED },
  };
  for (const mode of options.autoModes ?? ['auto.balanced', 'auto.reserve', 'auto.export']) {
    commands[mode] = { parameters: {}, execution: NOT_WINDOWED };
  }
  return commands;
}

function batterySettings(maxRateAmps = 100): Record<string, SettingSpec> {
  return {
    safety_reserve: { value: 10, unit: 'percent', min: 0, max: 100 },
    discharge_floor: { value: 10, unit: 'percent', min: 0, max: 100 },
    charge_ceiling: { value: 100, unit: 'percent', min: 0, max: 100 },
    export_limit: { value: 3680, unit: 'watts', min: 0, max: 10000 },
    max_charge_rate: { value: maxRateAmps, unit: 'amps', min: 0, max: maxRateAmps },
    max_discharge_rate: { value: maxRateAmps, unit: 'amps', min: 0, max: maxRateAmps },
    // Read-only: the docs' example of READ_ONLY_SETTING. The canonical units have no boolean; the sandbox says 'boolean'.
    scheduler_enabled: { value: true, unit: 'boolean', readOnly: true },
  };
}

const EV_COMMANDS = (execution: Execution[]): Record<string, CommandSpec> => ({
  charge: { parameters: {}, execution },
  idle: { parameters: {}, execution: NOT_WINDOWED },
});

const HVAC_COMMANDS = (withFollowSchedule: boolean): Record<string, CommandSpec> => {
  const celsius = { unit: 'celsius', min: 10, max: 35 };
  return {
    heat: { parameters: { target: celsius }, execution: ALL },
    cool: { parameters: { target: celsius }, execution: ALL },
    auto: { parameters: { heatSetpoint: celsius, coolSetpoint: celsius }, execution: NOT_WINDOWED },
    idle: { parameters: {}, execution: NOT_WINDOWED },
    ...(withFollowSchedule ? { follow_schedule: { parameters: {}, execution: ['immediate'] as Execution[] } } : {}),
  };
};

const BOTH: Strategy[] = [...STRATEGIES];
const REPLACE_ONLY: Strategy[] = ['cancel_and_replace'];

const SEEDED: DeviceDefinition[] = [
  { id: 'bat_voltaro_01', type: 'battery', vendor: 'voltaro', model: 'Voltaro Home 10', userId: 'user_alba', timeZone: 'Europe/London', commands: batteryCommands({ maxPowerKw: 5 }), settings: batterySettings(), conflictStrategies: BOTH, curveShiftMinutes: 0, purpose: 'every battery command, all three execution shapes, both conflict strategies' },
  { id: 'bat_voltaro_02', type: 'battery', vendor: 'voltaro', model: 'Voltaro Home 10', userId: 'user_brook', timeZone: 'Europe/London', commands: batteryCommands({ maxPowerKw: 5 }), settings: batterySettings(), conflictStrategies: BOTH, curveShiftMinutes: 40, purpose: 'a second full-featured battery (CONFLICT with queue_after)' },
  { id: 'bat_foxgrid_01', type: 'battery', vendor: 'foxgrid', model: 'FoxGrid H3', userId: 'user_alba', timeZone: 'Europe/London', commands: batteryCommands({ maxPowerKw: 6, chargeExecution: ['windowed'] }), settings: batterySettings(), conflictStrategies: REPLACE_ONLY, quirk: 'foreign_schedule', curveShiftMinutes: 15, purpose: 'SCHEDULER_ACTIVE: its manufacturer scheduler holds homeowner-app rows until cancel_and_replace clears them; charge is windowed only' },
  { id: 'bat_foxgrid_02', type: 'battery', vendor: 'foxgrid', model: 'FoxGrid H3', userId: 'user_cato', timeZone: 'Europe/London', commands: batteryCommands({ maxPowerKw: 6, chargeExecution: ['windowed'] }), settings: batterySettings(), conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 75, purpose: 'charge accepts only windowed execution (EXECUTION_NOT_SUPPORTED otherwise)' },
  { id: 'bat_helio_01', type: 'battery', vendor: 'heliocell', model: 'HelioCell S5', userId: 'user_brook', timeZone: 'Europe/Berlin', commands: batteryCommands({ maxPowerKw: 3.3, chargeExecution: NOT_WINDOWED }), settings: batterySettings(50), conflictStrategies: BOTH, curveShiftMinutes: 30, purpose: 'no windowed execution at all; power capped at 3.3 kW' },
  { id: 'bat_helio_02', type: 'battery', vendor: 'heliocell', model: 'HelioCell S5', userId: 'user_dara', timeZone: 'Europe/Berlin', commands: batteryCommands({ maxPowerKw: 3.3, chargeExecution: NOT_WINDOWED }), settings: batterySettings(50), conflictStrategies: BOTH, quirk: 'offline', curveShiftMinutes: 0, purpose: 'DEVICE_OFFLINE (410) on every call' },
  { id: 'bat_nimbus_01', type: 'battery', vendor: 'nimbus', model: 'Nimbus Cube', userId: 'user_cato', timeZone: 'America/New_York', commands: batteryCommands({ maxPowerKw: 5 }), settings: batterySettings(), conflictStrategies: BOTH, quirk: 'scheduler_full', curveShiftMinutes: 20, purpose: 'SCHEDULER_FULL on any scheduled or windowed push' },
  { id: 'bat_nimbus_02', type: 'battery', vendor: 'nimbus', model: 'Nimbus Cube', userId: 'user_dara', timeZone: 'America/New_York', commands: batteryCommands({ maxPowerKw: 5 }), settings: batterySettings(), conflictStrategies: BOTH, quirk: 'vpp_locked', curveShiftMinutes: 50, purpose: 'VPP_LOCKED: enrolled in a manufacturer programme, every push refused' },
  { id: 'bat_ampere_01', type: 'battery', vendor: 'amperia', model: 'Amperia Wall 13', userId: 'user_eden', timeZone: 'Australia/Sydney', commands: batteryCommands({ maxPowerKw: 5 }), settings: batterySettings(), conflictStrategies: BOTH, quirk: 'mode_overridden', curveShiftMinutes: 10, purpose: 'MODE_OVERRIDDEN: a manual override on the unit beats every push' },
  { id: 'bat_ampere_02', type: 'battery', vendor: 'amperia', model: 'Amperia Wall 13', userId: 'user_eden', timeZone: 'Australia/Sydney', commands: batteryCommands({ maxPowerKw: 5 }), settings: batterySettings(), conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 65, purpose: 'conflict strategies: cancel_and_replace only' },
  { id: 'bat_ampere_03', type: 'battery', vendor: 'amperia', model: 'Amperia Wall 13', userId: 'user_eden', timeZone: 'Australia/Sydney', commands: batteryCommands({ maxPowerKw: 5 }), settings: batterySettings(), conflictStrategies: REPLACE_ONLY, quirk: 'schedule_override', curveShiftMinutes: 85, purpose: 'MODE_OVERRIDDEN from a schedule the platform can clear: the response lists cancel_and_replace, which clears it' },
  { id: 'bat_kestrel_01', type: 'battery', vendor: 'kestrel', model: 'Kestrel Mini', userId: 'user_fern', timeZone: 'Europe/Madrid', commands: batteryCommands({ maxPowerKw: 2.5, targetMin: 20, targetMax: 90, autoModes: ['auto.balanced'], reserve: false }), settings: batterySettings(32), conflictStrategies: BOTH, curveShiftMinutes: 35, purpose: 'a narrow device: target 20-90 %, 2.5 kW, no reserve parameter, only auto.balanced' },
  { id: 'bat_kestrel_02', type: 'battery', vendor: 'kestrel', model: 'Kestrel Mini', userId: 'user_fern', timeZone: 'Europe/Madrid', commands: batteryCommands({ maxPowerKw: 2.5, targetMin: 20, targetMax: 90, autoModes: ['auto.balanced'], reserve: false }), settings: batterySettings(32), conflictStrategies: BOTH, curveShiftMinutes: 55, purpose: 'a second narrow device' },
  { id: 'ev_wallbox_01', type: 'ev_charger', vendor: 'wallbox', model: 'Pulsar 7kW', userId: 'user_alba', timeZone: 'Europe/London', commands: EV_COMMANDS(ALL), settings: { max_charge_rate: { value: 7.4, unit: 'kw', min: 0, max: 7.4 } }, conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 0, purpose: 'EV charger: charge and idle; max_charge_rate setting (kW)' },
  { id: 'ev_wallbox_02', type: 'ev_charger', vendor: 'wallbox', model: 'Commander 22kW', userId: 'user_brook', timeZone: 'Europe/London', commands: EV_COMMANDS(ALL), settings: { max_charge_rate: { value: 22, unit: 'kw', min: 0, max: 22 } }, conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 45, purpose: 'a 22 kW charger' },
  { id: 'ev_zapcharge_01', type: 'ev_charger', vendor: 'zapcharge', model: 'Zap 2', userId: 'user_cato', timeZone: 'Europe/Dublin', commands: EV_COMMANDS(NOT_WINDOWED), settings: { max_charge_rate: { value: 7, unit: 'kw', min: 1.4, max: 7 } }, conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 25, purpose: 'EV charger without windowed charging; rate floor 1.4 kW' },
  { id: 'hvac_thermia_01', type: 'hvac', vendor: 'thermia', model: 'Smart Thermostat 4', userId: 'user_alba', timeZone: 'Europe/London', commands: HVAC_COMMANDS(true), conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 0, purpose: 'HVAC: heat, cool, auto band, idle, follow_schedule (immediate only)' },
  { id: 'hvac_thermia_02', type: 'hvac', vendor: 'thermia', model: 'Smart Thermostat 4', userId: 'user_dara', timeZone: 'America/Chicago', commands: HVAC_COMMANDS(true), conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 90, purpose: 'a second thermostat, another time zone' },
  { id: 'hvac_climo_01', type: 'hvac', vendor: 'climo', model: 'Climo Lite', userId: 'user_eden', timeZone: 'Australia/Sydney', commands: HVAC_COMMANDS(false), conflictStrategies: REPLACE_ONLY, curveShiftMinutes: 20, purpose: 'a thermostat without follow_schedule' },
  { id: 'solar_sunpeak_01', type: 'solar_inverter', vendor: 'sunpeak', model: 'SunPeak 5kW', userId: 'user_alba', timeZone: 'Europe/London', curveShiftMinutes: 0, purpose: 'solar inverter: read-only (push answers DIRECT_ACTION_UNSUPPORTED)' },
  { id: 'solar_sunpeak_02', type: 'solar_inverter', vendor: 'sunpeak', model: 'SunPeak 8kW', userId: 'user_fern', timeZone: 'Europe/Madrid', curveShiftMinutes: 30, purpose: 'a larger inverter' },
  { id: 'veh_rivet_01', type: 'vehicle', vendor: 'rivet', model: 'Rivet R1', userId: 'user_brook', timeZone: 'Europe/London', curveShiftMinutes: 0, purpose: 'vehicle: read-only (push answers DIRECT_ACTION_UNSUPPORTED)' },
  { id: 'veh_rivet_02', type: 'vehicle', vendor: 'rivet', model: 'Rivet R2', userId: 'user_eden', timeZone: 'Australia/Sydney', curveShiftMinutes: 60, purpose: 'a second vehicle' },
];

// One model for every generated battery: shared maps keep a 100,000-device fleet small.
const LOAD_COMMANDS = batteryCommands({ maxPowerKw: 5 });
const LOAD_SETTINGS = batterySettings();

/** How often generated devices misbehave at dispatch (each 0 to 1); both 0 unless `amps sandbox serve` says otherwise. */
export interface DispatchRates {
  failRate: number;
  driftRate: number;
}

/** The asynchronous failures a manufacturer answers with after accepting a push (docs/amps-api/contract.md §8, §10). */
const DISPATCH_FAILURES = ['SCHEDULER_ACTIVE', 'DEVICE_OFFLINE', 'COMMAND_FAILED'];

/** A number in [0, 1) fixed by the text: the same device and seed always draw the same. */
function draw(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash / 0x1_0000_0000;
}

function dispatchProfile(id: string, seed: number, rates: DispatchRates): DeviceDefinition['dispatch'] {
  const roll = draw(`${id}:${seed}`);
  if (roll < rates.failRate) return { failWith: DISPATCH_FAILURES[Math.floor(draw(`${id}:${seed}:code`) * DISPATCH_FAILURES.length)] };
  if (roll < rates.failRate + rates.driftRate) return { drift: true };
  return undefined;
}

/** The generated load-test batteries: `bat_load_000001` onwards, plain, but for the dispatch rates. */
function generatedBattery(index: number, seed: number, rates: DispatchRates): DeviceDefinition {
  const n = String(index + 1).padStart(6, '0');
  const id = `bat_load_${n}`;
  const dispatch = rates.failRate > 0 || rates.driftRate > 0 ? dispatchProfile(id, seed, rates) : undefined;
  return {
    ...(dispatch ? { dispatch } : {}),
    id,
    type: 'battery',
    vendor: 'voltaro',
    model: 'Voltaro Home 10',
    userId: `user_load_${String((index % 1000) + 1).padStart(4, '0')}`,
    timeZone: 'Europe/London',
    commands: LOAD_COMMANDS,
    settings: LOAD_SETTINGS,
    conflictStrategies: BOTH,
    curveShiftMinutes: (index * 7) % 120,
    purpose: 'generated for load tests (--fleet-size)',
  };
}

export interface Fleet {
  devices: DeviceDefinition[];
  byId: Map<string, DeviceDefinition>;
}

/** The seed shifts every device's curves (and which generated ones misbehave), so two seeds give two different, repeatable fleets. */
export function buildFleet(extraBatteries: number, seed = 0, rates: DispatchRates = { failRate: 0, driftRate: 0 }): Fleet {
  const shift = (seed * 37) % 120;
  const devices = [...SEEDED, ...Array.from({ length: extraBatteries }, (_, i) => generatedBattery(i, seed, rates))].map((d) =>
    shift === 0 ? d : { ...d, curveShiftMinutes: d.curveShiftMinutes + shift },
  );
  return { devices, byId: new Map(devices.map((d) => [d.id, d])) };
}

export function seededDevices(): readonly DeviceDefinition[] {
  return SEEDED;
}
