// Following an action to a terminal state, for push --wait, actions wait and the resolver.

import { sleep, type ApiClient } from './client.js';
import { getAction } from './resources.js';
import { TERMINAL_STATES, type ActionRecord } from '../contract/actions.js';
import { EXIT } from '../contract/exit-codes.js';
import type { DecodedError } from '../errors/decode.js';
import { ApiFailure } from '../errors/failures.js';

export interface WaitOptions {
  signal: AbortSignal;
  timeoutMs: number;
  onUpdate?: (action: ActionRecord) => void;
  /** The action as last seen before the wait (a push's answer): a read that fails after it is waited through. */
  initial?: ActionRecord;
}

/**
 * The wait ended with the action not done: `last` as last read (none when no read of it came
 * back); `unread`, the failure of the reads since, if they failed.
 */
export class WaitTimeout extends Error {
  constructor(readonly id: string, readonly last: ActionRecord | undefined, readonly unread?: DecodedError) {
    super(last ? `action ${last.id} is still ${last.state}` : `action ${id} could not be read before the wait ended`);
  }
}

/**
 * Whether a read failed for a reason that passes: amps' own timeout, a lost connection, a 429, any
 * 5xx (a generic INTERNAL_ERROR as much as a 503). A 4xx (the key refused, no such action) does not.
 */
function passing(error: ApiFailure): boolean {
  const status = error.decoded.status;
  return error.exitCode === EXIT.transient || (status !== null && (status >= 500 || status === 429));
}

/** What the wait's last read is given of its time. */
const FINAL_READ_MS = 500;

/**
 * Polls with a gentle backoff (0.5 s up to 5 s) until the action is terminal, each read bounded by
 * what is left of the wait, the last one at its end. A read that fails for a passing reason does not end the wait: the
 * action stands whatever a read says, and a wait that ended in "retry" (exit 6) would tell a
 * runbook to push again. When the wait ends first, WaitTimeout says what was last seen.
 */
export async function waitForAction(client: ApiClient, id: string, options: WaitOptions): Promise<ActionRecord> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = 500;
  let last = options.initial;
  let unread: DecodedError | undefined;
  for (;;) {
    try {
      const { data } = await getAction(client, id, { timeoutMs: Math.max(1, deadline - Date.now()) });
      last = data;
      unread = undefined;
      options.onUpdate?.(data);
      if (TERMINAL_STATES.includes(data.state)) return data;
    } catch (error) {
      if (!(error instanceof ApiFailure) || !passing(error)) throw error;
      unread = error.decoded;
    }
    // The last read is made in the wait's last moments (FINAL_READ_MS before its end, the time it
    // has), not a whole interval before the end: an action that ends within the wait is seen ending.
    const left = deadline - Date.now();
    if (left <= FINAL_READ_MS) throw new WaitTimeout(id, last, unread);
    await sleep(Math.min(interval, left - FINAL_READ_MS), options.signal);
    interval = Math.min(5000, Math.round(interval * 1.5));
  }
}
