// Ids are ids, never paths: what goes into a URL path segment is checked before any request, so
// `.`, `..` or a slash can never turn `amps get battery ID` into a request for another route.

import { idProblem } from '../contract/ids.js';
import { redactTypedKeyShapes } from '../contract/keys.js';
import { UsageError } from '../errors/failures.js';

/** The id, or a usage error naming what it is the id of. */
export function requireId(id: string, what: string): string {
  const problem = idProblem(id);
  if (problem) throw new UsageError(`the ${what} id '${redactTypedKeyShapes(id.length > 80 ? `${id.slice(0, 80)}…` : id)}' ${problem}`);
  return id;
}
