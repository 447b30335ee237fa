// `amps sandbox serve --webhook URL`: delivers every event to every URL, signed with the sandbox's
// secret, at least once: a non-2xx answer, no answer within 30 s or a network failure is retried
// with exponential back-off (1 s, 2 s, 4 s … up to 5 min between tries, 10 tries), each try with
// the same svix-id and a fresh timestamp and signature, as Svix does. Every try is logged
// (`amps sandbox deliveries`).

import { postWebhook } from '../api/webhook-post.js';
import type { WebhookEvent } from '../contract/webhooks.js';
import { deliveryHeaders } from '../domain/webhooks.js';

export const DELIVERY_TIMEOUT_MS = 30_000;
const MAX_TRIES = 10;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5 * 60_000;
/** The log keeps the latest tries. */
const LOG_LIMIT = 10_000;
/** Deliveries in flight at once, across URLs. */
const IN_FLIGHT = 8;

export interface DeliveryTry {
  eventId: string;
  type: string;
  url: string;
  try: number;
  at: string;
  /** The receiver's HTTP status; null when none came (timeout, refused…). */
  status: number | null;
  latencyMs: number;
  error: string | null;
  /** delivered, retrying (with when), or gave_up after the last try. */
  outcome: 'delivered' | 'retrying' | 'gave_up';
  nextTryAt: string | null;
}

interface Pending {
  event: WebhookEvent;
  url: string;
  tries: number;
  dueAt: number;
}

export class Deliverer {
  /** First tries, in order of their due time (events arrive in order, each due after the same latency). */
  private fresh: Pending[] = [];
  private head = 0;
  /** Tries after a failure: few, each with its own time. */
  private readonly retries: Pending[] = [];
  private readonly log: DeliveryTry[] = [];
  private inFlight = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Ends the deliveries in flight at close: a receiver that never answers must not hold the sandbox's exit. */
  private readonly stop = new AbortController();

  /** `secret()` is asked at every try: a reset sandbox keeps its secret, but the state is the authority. */
  constructor(private readonly urls: string[], private readonly secret: () => Promise<string>, private readonly latencyMs: number, private readonly onTry?: (entry: DeliveryTry) => void) {
    this.timer = setInterval(() => this.pump(), 100);
    this.timer.unref();
  }

  enqueue(event: WebhookEvent): void {
    if (this.closed) return;
    for (const url of this.urls) this.fresh.push({ event, url, tries: 0, dueAt: Date.now() + this.latencyMs });
  }

  tries(): readonly DeliveryTry[] {
    return this.log;
  }

  /** The next try that is due: a retry first, else the oldest first try. */
  private next(now: number): Pending | undefined {
    const retry = this.retries.findIndex((p) => p.dueAt <= now);
    if (retry !== -1) return this.retries.splice(retry, 1)[0];
    if (this.head < this.fresh.length && this.fresh[this.head].dueAt <= now) {
      const pending = this.fresh[this.head++];
      if (this.head > 1024 && this.head * 2 > this.fresh.length) {
        this.fresh = this.fresh.slice(this.head);
        this.head = 0;
      }
      return pending;
    }
    return undefined;
  }

  private pump(): void {
    const now = Date.now();
    while (this.inFlight < IN_FLIGHT) {
      const pending = this.next(now);
      if (!pending) return;
      this.inFlight++;
      void this.attempt(pending).finally(() => {
        this.inFlight--;
        if (!this.closed) this.pump();
      });
    }
  }

  private async attempt(pending: Pending): Promise<void> {
    pending.tries++;
    const body = JSON.stringify(pending.event.body);
    const started = Date.now();
    const headers = await deliveryHeaders(await this.secret(), pending.event.id, pending.event.type, Math.floor(started / 1000), body);
    const { status, error } = await postWebhook(pending.url, headers, body, DELIVERY_TIMEOUT_MS, this.stop.signal);
    const ok = status !== null && status >= 200 && status < 300;
    const retry = !ok && pending.tries < MAX_TRIES && !this.closed;
    const waitMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (pending.tries - 1));
    const entry: DeliveryTry = {
      eventId: pending.event.id, type: pending.event.type, url: pending.url, try: pending.tries, at: new Date(started).toISOString(),
      status, latencyMs: Date.now() - started, error, outcome: ok ? 'delivered' : retry ? 'retrying' : 'gave_up',
      nextTryAt: retry ? new Date(Date.now() + waitMs).toISOString() : null,
    };
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    this.onTry?.(entry);
    if (retry) this.retries.push({ ...pending, dueAt: Date.now() + waitMs });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.stop.abort();
  }
}
