// Following a fleet's accepted actions to what the devices did. Not one GET per action: each round
// reads list pages (`GET /actions` by state, 50 a page), so following 10,000 actions costs about
// 10,000/50 requests a round at most, and the rounds back off. `completed` only means the
// manufacturer accepted the command, so --verify reads each completed device once (expedited)
// and says where its state does not show it (drift).

import type { ApiClient } from '../api/client.js';
import { sleep } from '../api/client.js';
import { getDevice, listActions } from '../api/resources.js';
import type { ActionRecord } from '../contract/actions.js';
import type { DeviceType } from '../contract/devices.js';
import type { OutcomeRecord } from '../contract/ledger.js';
import { effectOf } from '../domain/effect.js';
import { outcomeExitCode } from '../errors/catalogue.js';
import { InterruptedError } from '../errors/failures.js';

/** An accepted action to follow. */
export interface Tracked {
  actionId: string;
  deviceId: string;
  command: string;
  state: string;
  start: string | null;
}

export type Outcome = OutcomeRecord['outcome'];

export interface FollowOptions {
  type: DeviceType;
  /** Actions created before this (ISO) are not the run's: terminal lists are read back to it only. */
  since: string;
  verify: boolean;
  /** Device reads in flight at once for --verify. */
  concurrency: number;
  signal: AbortSignal;
  now(): number;
  onOutcome(outcome: Outcome): void;
  /** After each round: how many are still pending, and the next scheduled start. */
  onRound?(pending: number, nextStart: string | null): void;
}

const FIRST_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 15_000;
/** An action missing from the pending lists this many rounds running is taken as completed (pages can shift under a reader). */
const ABSENT_ROUNDS = 2;

export class Follower {
  private readonly open = new Map<string, Tracked & { absent: number }>();
  /** Requests sent, for the benchmark and the summary. */
  requests = 0;

  constructor(private readonly client: ApiClient, private readonly options: FollowOptions) {}

  track(action: Tracked): void {
    this.open.set(action.actionId, { ...action, absent: 0 });
  }

  get pending(): number {
    return this.open.size;
  }

  /** The actions not yet terminal. */
  remaining(): Tracked[] {
    return [...this.open.values()];
  }

  /** Every page of a list, or (`since`) until the items get older than it (newest come first). */
  private async *pages(state: string, since?: string): AsyncGenerator<ActionRecord> {
    for (let offset = 0; ; offset += 50) {
      this.requests++;
      const { data } = await listActions(this.client, { state, deviceType: this.options.type, limit: 50, offset });
      for (const item of data.items) {
        if (since && typeof item.createdAt === 'string' && item.createdAt < since) return;
        yield item;
      }
      if (!data.pagination?.hasMore || data.items.length === 0) return;
    }
  }

  private async finish(tracked: Tracked, state: string, errorCode: string | null): Promise<void> {
    this.open.delete(tracked.actionId);
    let effect: Outcome['effect'] = null;
    if (this.options.verify && state === 'completed') {
      this.requests++;
      const device = (await getDevice(this.client, this.options.type, tracked.deviceId, true)).data;
      effect = effectOf(this.options.type, tracked.command, (device.state ?? {}) as Record<string, unknown>) ?? null;
    }
    this.options.onOutcome({
      id: tracked.deviceId, actionId: tracked.actionId, state, errorCode, start: tracked.start, effect,
      exitCode: outcomeExitCode(state, errorCode, effect), at: new Date(this.options.now()).toISOString(),
    });
  }

  /** Finishes actions a few at a time: --verify reads one device each. */
  private async finishAll(done: Array<[Tracked, string, string | null]>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < done.length) {
        const [tracked, state, code] = done[next++];
        await this.finish(tracked, state, code);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, done.length) }, worker));
  }

  /** One round: the pending lists, then the terminal ones back to the run's start. */
  async round(): Promise<void> {
    const pending = new Set<string>();
    // Scheduled before acknowledged: an action moving on between the two reads is seen in the second.
    for (const state of ['scheduled', 'acknowledged']) {
      for await (const item of this.pages(state)) {
        const tracked = this.open.get(item.id);
        if (!tracked) continue;
        pending.add(item.id);
        tracked.state = item.state;
        tracked.start = item.start ?? tracked.start;
        tracked.absent = 0;
      }
    }
    const done: Array<[Tracked, string, string | null]> = [];
    for (const state of ['failed', 'cancelled']) {
      for await (const item of this.pages(state, this.options.since)) {
        const tracked = this.open.get(item.id);
        if (tracked && !pending.has(item.id)) done.push([tracked, item.state, item.errorCode ?? null]);
      }
    }
    const finished = new Set(done.map(([t]) => t.actionId));
    for (const tracked of this.open.values()) {
      if (pending.has(tracked.actionId) || finished.has(tracked.actionId)) continue;
      if (++tracked.absent >= ABSENT_ROUNDS) done.push([tracked, 'completed', null]);
    }
    await this.finishAll(done);
  }

  /** The earliest start among scheduled actions still pending. */
  nextStart(): string | null {
    let earliest: string | null = null;
    for (const tracked of this.open.values()) if (tracked.state === 'scheduled' && tracked.start && (!earliest || tracked.start < earliest)) earliest = tracked.start;
    return earliest;
  }

  /**
   * Rounds until every action is terminal or `deadline` passes. Returns those still pending then
   * (scheduled ones with their start). Ctrl-C ends the wait at once.
   */
  async run(deadline: number): Promise<Tracked[]> {
    let interval = FIRST_INTERVAL_MS;
    while (this.open.size > 0) {
      await this.round();
      const nextStart = this.nextStart();
      this.options.onRound?.(this.open.size, nextStart);
      if (this.open.size === 0) break;
      // Nothing acknowledged and the next start a while off: sleep towards it, never past the deadline.
      const allScheduled = [...this.open.values()].every((t) => t.state === 'scheduled');
      const untilStart = nextStart ? Date.parse(nextStart) - this.options.now() + 1000 : Number.POSITIVE_INFINITY;
      const wait = Math.min(allScheduled ? Math.max(interval, Math.min(untilStart, MAX_INTERVAL_MS)) : interval, deadline - this.options.now());
      if (wait <= 0) break;
      try {
        await sleep(wait, this.options.signal);
      } catch (error) {
        if (error instanceof InterruptedError) break;
        throw error;
      }
      interval = Math.min(MAX_INTERVAL_MS, Math.round(interval * 1.5));
    }
    return [...this.open.values()];
  }
}
