// Following a fleet's accepted actions to what the devices did. Not one GET per action: each round
// reads list pages (`GET /actions` by state, 50 a page), so following 10,000 actions costs about
// 10,000/50 requests a round at most, and the rounds back off. `completed` only means the
// manufacturer accepted the command, so --verify reads each completed device once (expedited)
// and says where its state does not show it (drift).

import type { ApiClient } from '../api/client.js';
import { sleep } from '../api/client.js';
import { getDevice, listActions, listPages } from '../api/resources.js';
import type { ActionRecord } from '../contract/actions.js';
import type { DeviceType } from '../contract/devices.js';
import type { ExitCode } from '../contract/exit-codes.js';
import { apiInstant } from '../contract/api-time.js';
import type { OutcomeRecord } from '../contract/ledger.js';
import { effectOf } from '../domain/effect.js';
import { outcomeExitCode, withoutInvisible } from '../errors/catalogue.js';
import type { DecodedError } from '../errors/decode.js';
import { ApiFailure, InterruptedError } from '../errors/failures.js';
import { scrub } from '../output/text.js';
import { setV8Flag } from '../lib/v8-flags.js';
import { CLOCK_MARGIN_MS } from '../domain/time.js';

/** An accepted action to follow. */
export interface Tracked {
  actionId: string;
  deviceId: string;
  state: string;
  start: string | null;
}

/**
 * What the follower keeps of one action, keyed by its id: a run of 100,000 holds 100,000 of these,
 * so no copy of the id, and states and start times shared, not one string each.
 */
interface Open {
  deviceId: string;
  state: string;
  start: string | null;
  /** Rounds running that the action was in no pending list (and, when never listed, in no list at all). */
  absent: number;
  /** Seen in a pending list by this follow: the API holds it, and its absence from them says it ended. */
  listed: boolean;
}

/** An action found terminal this round: its id, what was kept of it, its state and error code. */
type Finished = [actionId: string, open: Open, state: string, errorCode: string | null];

/** One string per distinct state and start time (a scheduled fleet shares one start). */
class Interned {
  private readonly strings = new Map<string, string>();
  of(text: string): string;
  of(text: string | null): string | null;
  of(text: string | null): string | null {
    if (text === null) return null;
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    // Bounded: a run whose actions all start at different times gains nothing from sharing.
    if (this.strings.size < 10_000) this.strings.set(text, text);
    return text;
  }
}

export type Outcome = OutcomeRecord['outcome'];

export interface FollowOptions {
  type: DeviceType;
  /** The run's command: --verify reads each completed device for its effect. */
  command: string;
  /**
   * Actions created before this instant (the API's clock) are not the run's: terminal lists are
   * read back to it only. Asked each round: a run's clock record may come after the follow began.
   */
  since(): number;
  verify: boolean;
  /** Device reads in flight at once for --verify. */
  concurrency: number;
  signal: AbortSignal;
  now(): number;
  onOutcome(outcome: Outcome): void;
  /** A line for the operator about one device (stderr): --verify could not read it. */
  warn(text: string): void;
  /** A line for the operator about the follow as a whole (stderr; a JSON notice with --json): actions no list of the API holds. */
  notice(text: string): void;
  /** After each round: how many are still pending, and the next scheduled start. */
  onRound?(pending: number, nextStart: string | null): void;
}

const FIRST_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 15_000;
/** Rounds running an action must be absent (pages can shift under a reader): from the pending lists to be completed, from every list to be said unlisted. */
const ABSENT_ROUNDS = 2;

/** How a follow ended: its wait ran out (or nothing was left), a failure stopped it (stoppedBy), or Ctrl-C. */
export type FollowEnd = 'wait' | 'stopped' | 'interrupted';

/** A round cut short past the deadline and its grace: what it read so far proves no absence. */
class RoundCut extends Error {}

/**
 * Whether a failed --verify read stops the follow: the platform refused the key (its auth codes,
 * or a 401 or 403 it does not know) or its rate (past the retries), which every other read would
 * meet too. Anything else is that device's unknown effect, and the follow goes on: the device gone,
 * its manufacturer's refusal, a timeout or an odd answer for that one live (expedited) read, a
 * server error.
 */
export function refusesEveryRead(decoded: DecodedError): boolean {
  if (decoded.entry) return decoded.entry.party === 'platform' && (decoded.entry.category === 'platform-auth' || decoded.entry.category === 'rate-limit');
  return decoded.status === 401 || decoded.status === 403 || decoded.status === 429;
}

export class Follower {
  private readonly open = new Map<string, Open>();
  private readonly interned = new Interned();
  /** Requests sent (list pages and --verify's device reads) and rounds done, for the benchmark and --json. */
  requests = { list: 0, deviceReads: 0 };
  rounds = 0;
  /**
   * The failure that stopped the follow: a list page that could not be read (past the client's
   * retries), or a --verify read the platform refused for the key or the rate (refusesEveryRead).
   * run() returns at once, then and ever after; what had no outcome recorded stays pending, for
   * `amps watch --ledger` once the cause is fixed.
   */
  stoppedBy?: ApiFailure;
  /** When run()'s wait ends (readsMayStart). */
  private deadline = Number.POSITIVE_INFINITY;
  /** A --verify read failed below HTTP (a live read that hung): past the deadline, no more start. */
  private readsHang = false;
  /** Actions found in none of the API's lists so far (unlistedSaid). */
  unlisted = 0;

  constructor(private readonly client: ApiClient, private readonly options: FollowOptions) {}

  /** How run() ended, for the summary's pending row. */
  get end(): FollowEnd {
    return this.options.signal.aborted ? 'interrupted' : this.stoppedBy ? 'stopped' : 'wait';
  }

  track(action: Tracked): void {
    this.open.set(action.actionId, { deviceId: action.deviceId, state: this.interned.of(action.state), start: this.interned.of(action.start), absent: 0, listed: false });
  }

  /** An action whose outcome is already known (another follower wrote it). */
  forget(actionId: string): void {
    this.open.delete(actionId);
  }

  get pending(): number {
    return this.open.size;
  }

  /** The actions not yet terminal. */
  remaining(): Tracked[] {
    return [...this.open].map(([actionId, open]) => ({ actionId, deviceId: open.deviceId, state: open.state, start: open.start }));
  }

  /** Every page of a list, or (`since`) until the items get older than it (newest come first). */
  private async *pages(state: string, since?: number): AsyncGenerator<ActionRecord> {
    const pages = listPages((offset) => {
      // A fleet's client goes on after Ctrl-C (its pushes in flight finish): the follow asks no next page.
      if (this.options.signal.aborted) throw new InterruptedError();
      // Nor past the deadline's grace: a round of a large fleet reads hundreds of pages.
      if (this.graceOver()) throw new RoundCut();
      this.requests.list++;
      return listActions(this.client, { state, deviceType: this.options.type, limit: 50, offset });
    });
    for await (const page of pages) {
      for (const item of page.items) {
        // Compared as instants (a time without its zone as UTC), not as text: `+00:00` and no milliseconds sort apart from `Z`.
        if (since !== undefined && (apiInstant(item.createdAt) ?? Number.POSITIVE_INFINITY) < since) return;
        yield item;
      }
    }
  }


  /** Records an action's outcome; until then (a --verify read Ctrl-C ended) it stays pending. */
  private async finish([actionId, open, state, errorCode]: Finished): Promise<void> {
    let effect: Outcome['effect'] = null;
    /** The class of a --verify read that failed: the device's outcome takes it (the run asked for a check it did not get). */
    let unverified: ExitCode | undefined;
    if (this.options.verify && state === 'completed') {
      // Not read now, not lost: it stays pending, for `amps watch --ledger --verify`.
      if (!this.readsMayStart()) return;
      this.requests.deviceReads++;
      try {
        const device = (await getDevice(this.client, this.options.type, open.deviceId, true)).data;
        effect = effectOf(this.options.type, this.options.command, (device.state ?? {}) as Record<string, unknown>) ?? null;
      } catch (error) {
        if (!(error instanceof ApiFailure)) throw error;
        // Ctrl-C came while it was read (a read ends on its own timeout): it stays pending.
        if (this.options.signal.aborted) return;
        // A refusal every read would meet stops the follow; this action stays pending.
        if (refusesEveryRead(error.decoded)) {
          this.stoppedBy ??= error;
          return;
        }
        // One device that cannot be read (gone, out of the key's reach, a live read that timed
        // out) is that device's "cannot tell", not the end of the follow: its action's outcome is known.
        if (error.decoded.shape === 'transport') this.readsHang = true;
        unverified = error.decoded.exitCode;
        this.options.warn(`could not read ${scrub(open.deviceId)} to verify its effect (${scrub(error.decoded.code)}); its action completed, and its effect is recorded as unknown`);
      }
    }
    this.open.delete(actionId);
    this.options.onOutcome({
      id: open.deviceId, actionId, state, errorCode, start: open.start, effect,
      exitCode: unverified ?? outcomeExitCode(state, errorCode, effect), at: new Date(this.options.now()).toISOString(),
    });
  }

  /**
   * Whether the deadline's grace has passed: past run()'s deadline, the follow still starts a
   * request (a list page, a --verify read) for one request's --timeout (the client's). The round at
   * the deadline gets what answers in that time; a request that starts takes up to --timeout.
   */
  private graceOver(): boolean {
    return this.options.now() - this.deadline >= this.client.timeoutMs;
  }

  /**
   * Whether a --verify read may start: not after a stop or Ctrl-C; past the deadline, only within
   * its grace, and not once reads hang (a device whose live read is slow or hangs takes up to
   * --timeout, and there may be thousands). The round at the deadline still reads the devices that
   * answer in that time: its outcomes would be lost otherwise, and what it leaves stays pending.
   */
  private readsMayStart(): boolean {
    return !this.stoppedBy && !this.options.signal.aborted && !this.graceOver() && !(this.readsHang && this.options.now() >= this.deadline);
  }

  /** Finishes actions a few at a time: --verify reads one device each; outcomes that need no read are recorded whatever happens. */
  private async finishAll(done: Finished[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < done.length) await this.finish(done[next++]);
    };
    // Every worker settles before a failure (Ctrl-C) goes on: none records an outcome after the run has returned.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(this.options.concurrency, done.length) }, worker));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** One round: the pending lists, then the terminal ones back to the run's start. */
  async round(): Promise<void> {
    const pending = new Set<string>();
    // Scheduled before acknowledged: an action moving on between the two reads is seen in the second.
    for (const state of ['scheduled', 'acknowledged']) {
      for await (const item of this.pages(state)) {
        const open = this.open.get(item.id);
        if (!open) continue;
        pending.add(item.id);
        open.listed = true;
        open.state = this.interned.of(item.state);
        open.start = this.interned.of(item.start ?? open.start);
        open.absent = 0;
      }
    }
    const done: Finished[] = [];
    const finished = new Set<string>();
    try {
      for (const state of ['failed', 'cancelled']) {
        for await (const item of this.pages(state, this.options.since())) {
          const open = this.open.get(item.id);
          if (!open || pending.has(item.id) || finished.has(item.id)) continue;
          finished.add(item.id);
          // The code as it reads (what a terminal does not show taken out), as an error's is: the ledger's rerun grep finds it.
          done.push([item.id, open, item.state, item.errorCode ? withoutInvisible(item.errorCode) : null]);
        }
      }
      // The rest. One this follow saw in a pending list has left it, and is completed once absent
      // ABSENT_ROUNDS rounds running (pages can shift under a reader), without a read more. One it
      // never saw listed is sought in the completed list (back to the run's start, no further once
      // all are found): taken as completed for its absence alone, an action another API never held
      // (`watch` against another server, a sandbox reset) was recorded completed, exit 0. Completed
      // is terminal: a reader of that list may see an action twice as pages shift, never miss one.
      const now = this.options.now();
      const sought = new Set<string>();
      for (const [actionId, open] of this.open) {
        if (pending.has(actionId) || finished.has(actionId)) continue;
        // An action is not done before its start (on the API's clock, which may be ahead of this
        // one): missing from the lists then, it is kept, not taken as completed.
        if (open.start !== null && (apiInstant(open.start) ?? Number.NEGATIVE_INFINITY) - CLOCK_MARGIN_MS > now) continue;
        if (!open.listed) sought.add(actionId);
        else if (++open.absent >= ABSENT_ROUNDS) done.push([actionId, open, 'completed', null]);
      }
      if (sought.size > 0) {
        for await (const item of this.pages('completed', this.options.since())) {
          if (!sought.delete(item.id)) continue;
          done.push([item.id, this.open.get(item.id)!, 'completed', null]);
          if (sought.size === 0) break;
        }
      }
      // In no list at all, ABSENT_ROUNDS rounds running: the API does not hold it. Kept pending, and said once.
      let unlisted = 0;
      for (const actionId of sought) if (++this.open.get(actionId)!.absent === ABSENT_ROUNDS) unlisted++;
      if (unlisted > 0) this.unlistedSaid(unlisted);
    } catch (error) {
      // A page that failed (or was not asked) after them takes nothing from those already read:
      // a failed, cancelled or completed action is terminal, and needs no device read.
      await this.finishAll(done);
      throw error;
    }
    await this.finishAll(done);
  }

  /** Says, once a follow, that actions are in none of the API's lists, and how many so far. */
  private unlistedSaid(count: number): void {
    if (this.unlisted === 0) {
      this.options.notice(`${count} action(s) are in none of the API's lists (pending, completed, failed, cancelled; read back to the run's start): an API other than the run's, or one whose data was reset, does not hold them. They stay pending, never taken as done`);
    }
    this.unlisted += count;
  }

  /** The earliest start among scheduled actions still pending, compared as instants (`Z` and `+01:00` are not compared as text). */
  nextStart(): string | null {
    let earliest: string | null = null;
    let earliestMs = Number.POSITIVE_INFINITY;
    for (const tracked of this.open.values()) {
      const at = tracked.state === 'scheduled' && tracked.start ? apiInstant(tracked.start) : undefined;
      if (at !== undefined && at < earliestMs) [earliest, earliestMs] = [tracked.start, at];
    }
    return earliest;
  }

  /**
   * Rounds until every action is terminal or `deadline` passes. Returns those still pending then
   * (scheduled ones with their start). Ctrl-C ends the wait at once. `source` is for a ledger
   * another process is still writing: `refill()` tracks what it has added before each round, and
   * the rounds go on until `ended()` and nothing is pending.
   */
  async run(deadline: number, source?: { refill(): void; ended(): boolean }): Promise<Tracked[]> {
    // Following is bound by the API's pace, not the CPU: from here V8 may trade a little speed for
    // memory. Without it, garbage piles up to several times the live heap before a collection: a
    // 100,000-device `amps watch --verify` peaked at 320 MB with ~60 MB live (bench/follow.mjs).
    // Not set for the sends, where it cost 6% of a fleet push's rate (bench/fleet.mjs).
    await setV8Flag('--optimize-for-size');
    this.deadline = deadline;
    let interval = FIRST_INTERVAL_MS;
    // A stopped follow sends nothing more (a later wave, the run's last follow).
    while (!this.stoppedBy) {
      source?.refill();
      if (this.open.size > 0) {
        try {
          await this.round();
        } catch (error) {
          // Ctrl-C during a round (its list pages, its --verify reads), or a round cut short past
          // the deadline's grace: what is not recorded is pending.
          if (error instanceof InterruptedError || error instanceof RoundCut) break;
          // A list page that could not be read, past the client's retries: no round can be. After
          // Ctrl-C (the page ended on its own timeout) it is the interruption that ends the follow.
          if (!(error instanceof ApiFailure)) throw error;
          if (this.options.signal.aborted) break;
          this.stoppedBy ??= error;
        }
        if (this.stoppedBy) break;
        this.rounds++;
        this.options.onRound?.(this.open.size, this.nextStart());
      }
      if (this.open.size === 0 && (source?.ended() ?? true)) break;
      // Nothing acknowledged and the next start a while off: sleep towards it, never past the deadline.
      const nextStart = this.nextStart();
      const allScheduled = this.open.size > 0 && [...this.open.values()].every((t) => t.state === 'scheduled');
      const untilStart = nextStart ? apiInstant(nextStart)! - this.options.now() + 1000 : Number.POSITIVE_INFINITY;
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
    return this.remaining();
  }
}
