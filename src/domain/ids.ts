// Ids are ids, never paths: what goes into a URL path segment is checked before any request, so
// `.`, `..` or a slash can never turn `amps get battery ID` into a request for another route.

import { idProblem } from '../contract/ids.js';
import { redactKeyShapes } from '../contract/keys.js';
import { UsageError } from '../errors/failures.js';

/** An id cut to 80 characters to be quoted: given redacted, since a key across the cut would show its start. */
const truncatedId = (id: string) => (id.length > 80 ? `${id.slice(0, 80)}…` : id);

/** The id, or a usage error naming what it is the id of. */
export function requireId(id: string, what: string): string {
  const problem = idProblem(id);
  if (problem) throw new UsageError(`the ${what} id '${truncatedId(redactKeyShapes(id))}' ${problem}`);
  return id;
}
