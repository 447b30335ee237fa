// Quantities as operators type them ("5kw", "5 kW", "90%", "21c", "7.4 kW", "500 W") and as the
// API carries them: { value, unit } with the unit from docs/amps-api/contract.md §5.3. A typed unit
// converts to any unit of the same dimension (W and kW, Wh and kWh, °C and °F, minutes and hours,
// A and mA), so an operator never has to do the arithmetic the device's declared unit asks for.

import type { Quantity, Unit } from '../contract/devices.js';

/** What an operator may type: the API's units, and two it has no name for (Wh, mA) that convert to its own. */
export type TypedUnit = Unit | 'wh' | 'ma';

const ALIASES: Record<string, TypedUnit> = {
  '%': 'percent', pct: 'percent', percent: 'percent',
  kw: 'kw',
  w: 'watts', watt: 'watts', watts: 'watts',
  kwh: 'kwh',
  wh: 'wh',
  ma: 'ma',
  a: 'amps', amp: 'amps', amps: 'amps',
  v: 'volts', volt: 'volts', volts: 'volts',
  h: 'hours', hr: 'hours', hrs: 'hours', hour: 'hours', hours: 'hours',
  min: 'minutes', mins: 'minutes', minute: 'minutes', minutes: 'minutes',
  c: 'celsius', '°c': 'celsius', celsius: 'celsius',
  f: 'fahrenheit', '°f': 'fahrenheit', fahrenheit: 'fahrenheit',
};

function unitFromText(text: string): TypedUnit | undefined {
  const key = text.trim().toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

/** A value with an optional unit; undefined when the text is not a quantity or the unit is unknown. */
export function parseQuantity(text: string): { value: number; unit?: TypedUnit } | undefined {
  if (text.length > 64) return undefined;
  // \u00b0 (°) written as an escape: one non-ASCII character makes V8 hold the whole bundle as a
  // two-byte string, twice the memory for amps' source on every start.
  const match = /^\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*([a-z%\u00b0]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  if (!Number.isFinite(value)) return undefined;
  if (match[2] === '') return { value };
  const unit = unitFromText(match[2]);
  return unit ? { value, unit } : undefined;
}

export function isQuantity(value: unknown): value is Quantity {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) &&
    typeof (value as Quantity).value === 'number' && Number.isFinite((value as Quantity).value) &&
    typeof (value as Quantity).unit === 'string'
  );
}

interface UnitScale {
  dimension: 'power' | 'energy' | 'current' | 'temperature' | 'duration' | 'ratio' | 'voltage';
  /** To the dimension's base unit, and back. */
  toBase(value: number): number;
  fromBase(value: number): number;
}

const linear = (dimension: UnitScale['dimension'], factor: number): UnitScale => ({
  dimension,
  toBase: (v) => v * factor,
  fromBase: (v) => v / factor,
});

const SCALES: Record<TypedUnit, UnitScale> = {
  watts: linear('power', 1),
  kw: linear('power', 1000),
  wh: linear('energy', 1),
  kwh: linear('energy', 1000),
  ma: linear('current', 0.001),
  amps: linear('current', 1),
  minutes: linear('duration', 1),
  hours: linear('duration', 60),
  celsius: { dimension: 'temperature', toBase: (v) => v, fromBase: (v) => v },
  fahrenheit: { dimension: 'temperature', toBase: (v) => ((v - 32) * 5) / 9, fromBase: (v) => (v * 9) / 5 + 32 },
  percent: linear('ratio', 1),
  volts: linear('voltage', 1),
};

/** Thousandths are finer than any device's step, and keep 3500 W -> 3.5 kW free of float noise. */
const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * The quantity in `unit`, when both are of one dimension; undefined otherwise (a unit of another
 * dimension stays the API's UNSUPPORTED_UNIT to report).
 */
export function convertQuantity(quantity: { value: number; unit: string }, unit: string): Quantity | undefined {
  if (quantity.unit === unit) return { value: quantity.value, unit };
  const from = SCALES[quantity.unit as TypedUnit];
  const to = SCALES[unit as TypedUnit];
  if (!from || !to || from.dimension !== to.dimension) return undefined;
  return { value: round(to.fromBase(from.toBase(quantity.value))), unit };
}

/**
 * Whether a quantity that is not none would go as none: not 0, but 0 in `unit` to the thousandth
 * (0.0004 W in kW). Never a temperature, whose 0 is one like any other (32 °F is 0 °C).
 */
export function roundsToNone(quantity: { value: number; unit: string }, unit: string): boolean {
  if (quantity.value === 0 || SCALES[quantity.unit as TypedUnit]?.dimension === 'temperature') return false;
  return convertQuantity(quantity, unit)?.value === 0;
}

/** The API's own unit for a typed one: Wh is sent as kWh and mA as amps; the rest as typed. */
export function apiUnitFor(unit: TypedUnit): Unit {
  if (unit === 'wh') return 'kwh';
  if (unit === 'ma') return 'amps';
  return unit;
}


/** `3500 W`, `90%`, `21.1 °C`: a quantity as a person reads it. */
export function quantityText(quantity: { value: number; unit: string }): string {
  const symbol: Record<string, string> = {
    percent: '%', kw: ' kW', watts: ' W', wh: ' Wh', kwh: ' kWh', ma: ' mA', amps: ' A', volts: ' V',
    hours: ' h', minutes: ' min', celsius: ' °C', fahrenheit: ' °F',
  };
  return `${quantity.value}${symbol[quantity.unit] ?? ` ${quantity.unit}`}`;
}
