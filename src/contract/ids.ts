// What an id is: the one rule for an id typed by an operator (domain/ids.ts requireId) and one
// the API hands back (an action to follow, one a conflict names), since both go into URL paths.

import { holdsKeyShape } from './keys.js';

/** Letters, digits and `_ - . : @`: every id the API hands out (`bat_voltaro_01`, `act_…`, `sched_…`) fits. */
const ID = /^[A-Za-z0-9_.:@-]+$/;
const MAX_ID_LENGTH = 128;

/** Why `id` cannot be an id, or undefined when it can. */
export function idProblem(id: string): string | undefined {
  if (id === '') return 'is empty';
  if (id === '.' || id === '..') return 'is not an id';
  if (id.length > MAX_ID_LENGTH) return `is longer than ${MAX_ID_LENGTH} characters`;
  if (!ID.test(id)) return 'has characters no Amps id uses (letters, digits and _ - . : @ only)';
  // A key pasted as an id would go into a URL (servers and proxies log those) and into every line that names the device.
  if (holdsKeyShape(id)) return 'looks like an API key, so it is neither sent nor shown';
  return undefined;
}

/** `meta.requestId` as support can quote it: text, or a whole number a server sent unquoted (`"requestId": 81234`). */
export function requestIdText(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value : undefined;
}

/** The request id of an answer (`meta.requestId`), bounded as a decoded error's is; null when it gives none. */
export function requestIdOf(meta: Record<string, unknown>): string | null {
  return requestIdText(meta.requestId)?.slice(0, 200) ?? null;
}
