// Quantities as operators type them ("5kw", "5 kW", "90%", "21c", "7.4 kW", "500 W") and as the
// API carries them: { value, unit } with the unit from docs/amps-api/contract.md §5.3.

import type { Quantity, Unit } from '../contract/devices.js';

const ALIASES: Record<string, Unit> = {
  '%': 'percent', pct: 'percent', percent: 'percent',
  kw: 'kw',
  w: 'watts', watt: 'watts', watts: 'watts',
  kwh: 'kwh',
  a: 'amps', amp: 'amps', amps: 'amps',
  v: 'volts', volt: 'volts', volts: 'volts',
  h: 'hours', hr: 'hours', hrs: 'hours', hour: 'hours', hours: 'hours',
  min: 'minutes', mins: 'minutes', minute: 'minutes', minutes: 'minutes',
  c: 'celsius', '°c': 'celsius', celsius: 'celsius',
  f: 'fahrenheit', '°f': 'fahrenheit', fahrenheit: 'fahrenheit',
};

export function unitFromText(text: string): Unit | undefined {
  return ALIASES[text.trim().toLowerCase()];
}

/** A value with an optional unit; undefined when the text is not a quantity or the unit is unknown. */
export function parseQuantity(text: string): { value: number; unit?: Unit } | undefined {
  const match = /^\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*([a-z%°]*)\s*$/i.exec(text);
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
