// `amps sandbox serve --webhook URL`: delivers every event to every URL, signed with the sandbox's
// secret, at least once: a non-2xx answer, no answer within 30 s or a network failure is retried
// with exponential back-off (1 s, 2 s, 4 s … up to 5 min between tries, 10 tries), each try with
// the same svix-id and a fresh timestamp and signature, as Svix does. Every try is logged
// (`amps sandbox deliveries`).

import { readFileSync, rmSync, statSync } from 'node:fs';
import { delivered, postWebhook, webhookTargetProblem } from '../api/webhook-post.js';
import { isHeaderWord, type WebhookEvent } from '../contract/webhooks.js';
import { deliveryHeaders } from '../domain/webhooks.js';
import { isRecord, JSON_BOUNDS, nestsWithin, systemErrorText } from '../lib/values.js';
import { writeFileWhole } from '../lib/write-whole.js';
import { UsageError } from '../errors/failures.js';

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

/** A delivery still to be made: its event, where to, the tries made, and when the next is due. */
export interface Pending {
  event: WebhookEvent;
  url: string;
  tries: number;
  dueAt: number;
}

/** What a stopped `serve --state` leaves for the next one: its deliveries still due, and the log of tries. */
export interface DeliveryQueue {
  pending: Pending[];
  log: DeliveryTry[];
}

export class Deliverer {
  /** First tries, in order of their due time (events arrive in order, each due after the same latency). */
  private fresh: Pending[] = [];
  private head = 0;
  /** Tries after a failure: few, each with its own time. */
  private readonly retries: Pending[] = [];
  private readonly log: DeliveryTry[] = [];
  private inFlight = 0;
  /** The tries in flight, each settled once its answer (or its cut at close) is in. */
  private readonly flying = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Ends the deliveries in flight at close: a receiver that never answers must not hold the sandbox's exit. */
  private readonly stop = new AbortController();

  /**
   * `secret()` is asked at every try: a reset sandbox keeps its secret, but the state is the authority.
   * `restored`: what an earlier serve of the same state left (its deliveries to URLs no longer given are dropped).
   */
  constructor(private readonly urls: string[], private readonly secret: () => Promise<string>, private readonly latencyMs: number, private readonly onTry?: (entry: DeliveryTry) => void, restored?: DeliveryQueue) {
    if (restored) {
      this.log.push(...restored.log.slice(-LOG_LIMIT));
      for (const pending of restored.pending) if (urls.includes(pending.url)) this.retries.push(pending);
    }
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
      const flight = this.attempt(pending).finally(() => {
        this.inFlight--;
        this.flying.delete(flight);
        if (!this.closed) this.pump();
      });
      this.flying.add(flight);
    }
  }

  private async attempt(pending: Pending): Promise<void> {
    pending.tries++;
    const body = JSON.stringify(pending.event.body);
    const started = Date.now();
    const headers = await deliveryHeaders(await this.secret(), pending.event.id, pending.event.type, Math.floor(started / 1000), body);
    const result = await postWebhook(pending.url, headers, body, DELIVERY_TIMEOUT_MS, this.stop.signal);
    const { status, error } = result;
    const ok = delivered(result);
    // Cut by the sandbox stopping, not answered: not a try the receiver failed, and due again at once in the next serve.
    if (this.closed && status === null) {
      this.retries.push({ ...pending, tries: pending.tries - 1, dueAt: Date.now() });
      return;
    }
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

  /** Stops delivering: the tries in flight are cut (and stay due); what is left is for the next serve of the same state. */
  async close(): Promise<DeliveryQueue> {
    this.closed = true;
    clearInterval(this.timer);
    this.stop.abort();
    await Promise.allSettled([...this.flying]);
    return { pending: [...this.retries, ...this.fresh.slice(this.head)], log: [...this.log] };
  }
}

/** Where `serve --state FILE` keeps its deliveries still due and its log of tries between runs. */
export function deliveryQueueFile(stateFile: string): string {
  return `${stateFile}.deliveries.json`;
}

/**
 * A delivery as amps writes one: an id and type a header can carry, an http(s) URL, counts that are
 * counts, a body JSON can write out again. Anything else (a hand-edited file) would fail inside
 * amps as it is delivered.
 */
function isPending(value: unknown): value is Pending {
  if (!isRecord(value) || typeof value.url !== 'string' || webhookTargetProblem(value.url) !== undefined) return false;
  if (!Number.isSafeInteger(value.tries) || (value.tries as number) < 0 || !Number.isSafeInteger(value.dueAt)) return false;
  const event = value.event;
  return isRecord(event) && isHeaderWord(event.id) && isHeaderWord(event.type)
    && isRecord(event.body) && nestsWithin(event.body, JSON_BOUNDS.depth);
}

/** The queue an earlier serve left; none when there is no file. A file that is not one is said and not read (the next save replaces it). */
export function readDeliveryQueue(file: string): { queue?: DeliveryQueue; notice?: string } {
  let text: string;
  try {
    // A FIFO would hold the sandbox (and Ctrl-C) until a writer came; a folder cannot be saved to at the end.
    if (!statSync(file).isFile()) throw new UsageError(`${file}, where serve keeps the webhook deliveries still due, is not a regular file`, 'move it aside, or give --state another name');
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { notice: `the webhook deliveries an earlier serve left in ${file} could not be read (${systemErrorText(error)}); they are not made` };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value) && Array.isArray(value.pending) && value.pending.every(isPending) && Array.isArray(value.log)) {
      return { queue: { pending: value.pending, log: value.log as DeliveryTry[] } };
    }
  } catch {
    // Not JSON: said below.
  }
  return { notice: `${file} is not the webhook delivery queue amps writes; the deliveries it held are not made` };
}

/** Saves the queue for the next serve (atomically, 0600: its URLs may carry credentials); nothing left, no file. */
export function writeDeliveryQueue(file: string, queue: DeliveryQueue): void {
  if (queue.pending.length === 0 && queue.log.length === 0) {
    try {
      rmSync(file, { force: true });
    } catch {
      // Nothing to keep, so nothing is lost; whatever stands there (a folder) is refused at the next start.
    }
    return;
  }
  writeFileWhole(file, JSON.stringify(queue));
}
