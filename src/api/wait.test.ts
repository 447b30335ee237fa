import { describe, expect, it } from 'vitest';
import type { ApiClient } from './client.js';
import { WaitTimeout, waitForAction } from './wait.js';

// The wait's last read: in its last moments, with time to answer, not a whole poll interval before its end.

/** A client whose action is acknowledged until `doneAfterMs`, recording when each read came and the time it was given. */
function clientOf(doneAfterMs: number) {
  const started = Date.now();
  const reads: Array<{ at: number; timeoutMs: number }> = [];
  const client = {
    request: async (_method: string, _path: string, options: { timeoutMs?: number }) => {
      const at = Date.now() - started;
      reads.push({ at, timeoutMs: options.timeoutMs ?? Number.POSITIVE_INFINITY });
      const state = at >= doneAfterMs ? 'completed' : 'acknowledged';
      return { data: { id: 'act_wait1', state, start: null, end: null }, meta: {}, status: 200, attempts: 1, raw: '' };
    },
  } as unknown as ApiClient;
  return { client, reads };
}

describe('waitForAction', () => {
  it('reads once more near the end of the wait: an action done before the wait ends is seen done', async () => {
    // Polls at 0, 0.5 and 1.25 s; the next interval (1.125 s) would pass the end: read at 1.8 s instead.
    const { client, reads } = clientOf(1_700);
    const done = await waitForAction(client, 'act_wait1', { timeoutMs: 2_300, signal: new AbortController().signal });
    expect(done.state).toBe('completed');
    expect(reads.length).toBe(4);
    expect(reads.at(-1)!.timeoutMs).toBeGreaterThanOrEqual(400);
  });

  it('ends with what it last saw once too little of the wait is left for a read', async () => {
    const { client, reads } = clientOf(Number.POSITIVE_INFINITY);
    await expect(waitForAction(client, 'act_wait1', { timeoutMs: 1_200, signal: new AbortController().signal })).rejects.toBeInstanceOf(WaitTimeout);
    // 0 s, 0.5 s, then 0.7 s (the last 0.5 s kept for that read): never a read with no time to answer.
    expect(reads.length).toBe(3);
    expect(Math.min(...reads.map((r) => r.timeoutMs))).toBeGreaterThanOrEqual(400);
  });
});
