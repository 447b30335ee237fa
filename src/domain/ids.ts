// Ids are ids, never paths: what goes into a URL path segment is checked before any request, so
// `.`, `..` or a slash can never turn `amps get battery ID` into a request for another route.

import { UsageError } from '../errors/failures.js';

/** Letters, digits and `_ - . : @`: every id the API hands out (`bat_voltaro_01`, `act_…`, `sched_…`) fits. */
const ID = /^[A-Za-z0-9_.:@-]+$/;
const MAX_ID_LENGTH = 128;

/** Why `id` cannot be an id, or undefined when it can. */
export function idProblem(id: string): string | undefined {
  if (id === '') return 'is empty';
  if (id === '.' || id === '..') return 'is not an id';
  if (id.length > MAX_ID_LENGTH) return `is longer than ${MAX_ID_LENGTH} characters`;
  if (!ID.test(id)) return 'has characters no Amps id uses (letters, digits and _ - . : @ only)';
  return undefined;
}

/** The id, or a usage error naming what it is the id of. */
export function requireId(id: string, what: string): string {
  const problem = idProblem(id);
  if (problem) throw new UsageError(`the ${what} id '${id.length > 80 ? `${id.slice(0, 80)}…` : id}' ${problem}`);
  return id;
}
