import { DEVICE_TYPES, type DeviceType } from '../contract/devices.js';
import { UsageError } from '../errors/failures.js';
import { own } from '../lib/values.js';

// The five device families. Paths spell them with hyphens, bodies and filters with underscores
// (decision 12); amps accepts either, and a few obvious plurals and short names.


/** Families that accept pushes; solar inverters and vehicles are read-only. */
export const CONTROLLABLE: readonly DeviceType[] = ['battery', 'ev_charger', 'hvac'];
/** The canonical command vocabulary per family (docs/amps-api/contract.md §5.2); devices expose a subset. */
export const CANONICAL_COMMANDS: Record<'battery' | 'ev_charger' | 'hvac', readonly string[]> = {
  battery: ['charge', 'discharge', 'idle', 'auto.balanced', 'auto.reserve', 'auto.export'],
  ev_charger: ['charge', 'idle'],
  hvac: ['heat', 'cool', 'auto', 'idle', 'follow_schedule'],
};

/** A family's canonical commands; none for a read-only one (a solar inverter, a vehicle). */
export function commandsOf(type: DeviceType): readonly string[] {
  return Object.hasOwn(CANONICAL_COMMANDS, type) ? CANONICAL_COMMANDS[type as keyof typeof CANONICAL_COMMANDS] : [];
}

/** Families with a settings endpoint. */
export const WITH_SETTINGS: readonly DeviceType[] = ['battery', 'ev_charger'];

const ALIASES: Record<string, DeviceType> = {
  batteries: 'battery',
  ev: 'ev_charger',
  charger: 'ev_charger',
  ev_chargers: 'ev_charger',
  hvacs: 'hvac',
  inverter: 'solar_inverter',
  solar: 'solar_inverter',
  solar_inverters: 'solar_inverter',
  vehicles: 'vehicle',
  car: 'vehicle',
};

/** Every spelling of a device type the command line takes in lower case (its name and aliases, with - or _), and the type it names: what completion offers a type's commands after. */
export function deviceTypeSpellings(): Array<[spelling: string, type: DeviceType]> {
  const named: Array<[string, DeviceType]> = [...DEVICE_TYPES.map((type): [string, DeviceType] => [type, type]), ...Object.entries(ALIASES)];
  const spelt = new Map<string, DeviceType>();
  for (const [name, type] of named) for (const spelling of [name, name.replace(/_/g, '-')]) spelt.set(spelling, type);
  return [...spelt];
}

export function normaliseDeviceType(text: string): DeviceType | undefined {
  const candidate = text.trim().toLowerCase().replace(/-/g, '_');
  return (DEVICE_TYPES as readonly string[]).includes(candidate) ? (candidate as DeviceType) : own(ALIASES, candidate);
}

export function pathSegment(type: DeviceType): string {
  return type.replace(/_/g, '-');
}

/** The device type an operator named, or a usage error listing the ones there are. */
export function requireDeviceType(text: string, allowed: readonly DeviceType[] = DEVICE_TYPES): DeviceType {
  const type = normaliseDeviceType(text);
  const names = allowed.map(pathSegment).join(', ');
  if (!type) throw new UsageError(`unknown device type '${text}'`, `use one of ${names}`);
  if (!allowed.includes(type)) throw new UsageError(`${pathSegment(type)} does not support this`, `use one of ${names}`);
  return type;
}

/** The device types the seeded ids start with (bat_, ev_, hvac_…): undefined for any other id. */
export function deviceTypeFromId(id: string): DeviceType | undefined {
  const prefixes: Array<[RegExp, DeviceType]> = [[/^bat_/, 'battery'], [/^ev_/, 'ev_charger'], [/^hvac_/, 'hvac'], [/^(sol|pv|inv)_/, 'solar_inverter'], [/^(veh|car)_/, 'vehicle']];
  return prefixes.find(([prefix]) => prefix.test(id))?.[1];
}
