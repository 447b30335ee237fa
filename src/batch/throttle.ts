// How many pushes a batch keeps in flight. A 429 halves it and pauses every worker until the
// Retry-After has passed; successes then ramp it back up one at a time (additive increase,
// multiplicative decrease), so a rate-limited run slows down together instead of every worker
// hammering on. Every wait ends the moment the run stops: Ctrl-C is never stuck behind a pause.

import { retryAfterSpreadMs } from '../api/client.js';
import { InterruptedError } from '../errors/failures.js';

/** setTimeout's ceiling (2^31 - 1 ms): a longer delay would fire at once. Pauses are clamped below it. */
const MAX_TIMER_MS = 2_147_483_647;

export class Throttle {
  private allowed: number;
  private active = 0;
  private pausedUntil = 0;
  /** The pause a Retry-After asked for last: each worker waits a spread of its own past its end. */
  private pausedFor = 0;
  private successes = 0;
  private waiters: Array<() => void> = [];
  /** One pause shared by every waiting worker: one timer and one abort listener, whatever the concurrency. */
  private pause?: Promise<void>;

  /** Workers sleeping their own spread after a pause, woken together when the run stops. */
  private readonly spreading = new Set<() => void>();

  constructor(private readonly max: number, private readonly signal: AbortSignal, private readonly random: () => number = Math.random) {
    this.allowed = max;
    signal.addEventListener('abort', () => {
      this.waiters.splice(0).forEach((wake) => wake());
      for (const wake of [...this.spreading]) wake();
    }, { once: true });
  }

  get limit(): number {
    return this.allowed;
  }

  /**
   * Waits for a slot; rejects with InterruptedError once the run has stopped. `latest`: the instant
   * the worker's device must be sent by (its --timeout), which a pause's spread takes at most half
   * of what is left before.
   */
  async acquire(latest = Number.POSITIVE_INFINITY): Promise<void> {
    for (;;) {
      if (this.signal.aborted) throw new InterruptedError('the run stopped');
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) {
        await (this.pause ??= this.sleep(Math.min(wait, MAX_TIMER_MS)).finally(() => (this.pause = undefined)));
        // Workers that waited one pause do not all start again at its same instant, to be refused together again.
        const spread = retryAfterSpreadMs(this.pausedFor, this.random, latest - Date.now());
        if (spread > 0 && !this.signal.aborted) await this.workerSleep(spread);
      } else if (this.active < this.allowed) break;
      else await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.active++;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * One worker's own wait (its spread after a pause, its delay before a resend), ended at once when
   * the run stops: woken by the one abort listener above, not one of its own (a listener a worker on
   * one signal: past ten, Node printed a MaxListenersExceededWarning, --json or not). The caller
   * reads the signal after it to tell the two apart.
   */
  workerSleep(ms: number): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.spreading.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.spreading.add(wake);
    });
  }

  release(): void {
    this.active--;
    this.waiters.shift()?.();
  }

  succeeded(): void {
    if (this.allowed >= this.max) return;
    if (++this.successes >= this.allowed) {
      this.allowed++;
      this.successes = 0;
      this.waiters.shift()?.();
    }
  }

  rateLimited(retryAfterMs: number): void {
    this.allowed = Math.max(1, Math.floor(this.allowed / 2));
    this.successes = 0;
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + Math.min(retryAfterMs, MAX_TIMER_MS));
    this.pausedFor = retryAfterMs;
  }
}
