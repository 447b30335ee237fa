// Which onConflict strategies can resolve an error: one rule for the resolver, the rerun lines and
// the batch. The response decides (decision 8): `details.recoveryStrategies`, else
// `details.strategies`, whatever the code; when it lists none, the catalogue entry's own (and for a
// pending CONFLICT, the device's conflictStrategies), less any the device does not take (it
// answers 400 to an onConflict its conflictStrategies do not list). An in-flight conflict has none.

import { idProblem } from '../contract/ids.js';
import { STRATEGIES, type Strategy } from '../contract/actions.js';
import { isRecord } from '../lib/values.js';
import type { DecodedError } from './decode.js';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The strategies on offer, cancel_and_replace first. */
export function strategiesOnOffer(decoded: DecodedError, deviceStrategies?: readonly string[]): Strategy[] {
  if (decoded.entry?.variant === 'in_flight') return [];
  const details = isRecord(decoded.details) ? decoded.details : {};
  if (details.recoveryStrategies !== undefined) return STRATEGIES.filter((s) => strings(details.recoveryStrategies).includes(s));
  if (details.strategies !== undefined) return STRATEGIES.filter((s) => strings(details.strategies).includes(s));
  // What the device read said it takes (undefined: not read, or no list).
  const device = Array.isArray(deviceStrategies) ? strings(deviceStrategies) : undefined;
  if (decoded.entry?.variant === 'pending') return STRATEGIES.filter((s) => device?.includes(s));
  // The catalogue's, for a device that takes them (one whose strategies were not read: all of them).
  const takes = (s: Strategy) => device === undefined || device.includes(s);
  return STRATEGIES.filter((s) => (decoded.entry?.strategies ?? []).includes(s) && takes(s));
}

/** The ids of the actions in the way, as the response names them. */
export function conflictingActionIds(decoded: DecodedError): string[] {
  // Each goes into a request's path (a read, a wait) and a printed command: `..` would be another route.
  return isRecord(decoded.details) ? strings(decoded.details.conflictingActionIds).filter((id) => idProblem(id) === undefined) : [];
}
