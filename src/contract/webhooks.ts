// Webhooks on the wire (docs/amps-api/contract.md §13): the event types, flat bodies, and the
// Svix headers that carry the delivery id, the timestamp and the signatures.

/** Every documented event type. The schedule payloads are not documented: ours are marked so. */
export const WEBHOOK_EVENTS = [
  'push.completed', 'push.failed',
  'device.connected', 'device.reconnected', 'device.disconnected',
  'schedule.created', 'schedule.updated', 'schedule.cancelled', 'schedule.slot_failed', 'schedule.slot_skipped',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** One event as the sandbox stores it: the body is sent as is (flat, no wrapper). */
export interface WebhookEvent {
  /** The delivery id (`svix-id`): the same on every retry, what a receiver dedupes on. */
  id: string;
  /** Order of emission, for `amps listen` to ask for what came after. */
  seq: number;
  type: WebhookEventType;
  /** When it happened, on the sandbox clock. */
  createdAt: string;
  body: Record<string, unknown>;
}

/** The headers of a delivery, lower-case. The docs name the three svix-* ones; the type rides beside them (ours, named in docs/). */
export const WEBHOOK_HEADERS = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature', type: 'amps-event-type' } as const;

/** A signature's timestamp more than this far from the receiver's clock is refused (the docs: 300 s). */
export const SIGNATURE_TOLERANCE_S = 300;

/** Text a delivery's header can carry as it is (an event's id, its type): printable ASCII, no space, no line break. */
export function isHeaderWord(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{1,200}$/.test(value);
}

/** A header a delivery is verified by, as it may be named: svix-*, or webhook-* (Standard Webhooks' names). */
export function signedHeaderNames(name: 'id' | 'timestamp' | 'signature'): [svix: string, standard: string] {
  return [`svix-${name}`, `webhook-${name}`];
}

/**
 * A webhook signing secret's shape: `whsec_` and the base64 of random bytes (24 characters or
 * more, with digits, lower and upper case: `whsec_store/current` or `whsec_production.txt` is a name).
 */
const SECRET_SHAPE = /whsec_(?=[A-Za-z0-9+/]{0,200}[0-9])(?=[A-Za-z0-9+/]{0,200}[a-z])(?=[A-Za-z0-9+/]{0,200}[A-Z])[A-Za-z0-9+/]{24,}={0,2}/g;

/** Whether text holds what is shaped like a webhook signing secret (a paste into the wrong flag). */
export function holdsSecretShape(text: string): boolean {
  if (!text.includes('whsec_')) return false;
  SECRET_SHAPE.lastIndex = 0;
  return SECRET_SHAPE.test(text);
}

/** The text with every webhook secret's shape replaced: for refusals, which quote what was typed. */
export function redactSecretShapes(text: string): string {
  return text.includes('whsec_') ? text.replace(SECRET_SHAPE, '[redacted secret]') : text;
}
