// Following an action to a terminal state, for push --wait, actions wait and the resolver.

import { sleep, type ApiClient } from './client.js';
import { getAction } from './resources.js';
import { TERMINAL_STATES, type ActionRecord } from '../contract/actions.js';

export interface WaitOptions {
  signal: AbortSignal;
  timeoutMs: number;
  onUpdate?: (action: ActionRecord) => void;
}

export class WaitTimeout extends Error {
  constructor(readonly last: ActionRecord) {
    super(`action ${last.id} is still ${last.state}`);
  }
}

/** Polls with a gentle backoff (0.5 s up to 5 s) until the action is terminal. */
export async function waitForAction(client: ApiClient, id: string, options: WaitOptions): Promise<ActionRecord> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = 500;
  for (;;) {
    const { data } = await getAction(client, id);
    options.onUpdate?.(data);
    if (TERMINAL_STATES.includes(data.state)) return data;
    if (Date.now() + interval > deadline) throw new WaitTimeout(data);
    await sleep(interval, options.signal);
    interval = Math.min(5000, Math.round(interval * 1.5));
  }
}
