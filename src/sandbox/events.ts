// Webhook events in the sandbox: emitted when an action reaches `completed` or `failed` (the
// docs: only terminal transitions fire, creation does not; a cancel fires nothing), or on demand
// for device and schedule events (`POST /_sandbox/events`). Stored, bounded, with their delivery
// id; `sandbox serve --webhook` delivers them as they happen.

import { randomBytes } from 'node:crypto';
import type { DeviceType } from '../contract/devices.js';
import type { WebhookEvent, WebhookEventType } from '../contract/webhooks.js';
import { deviceEventBody, pushEventBody, scheduleEventBody } from '../domain/webhooks.js';
import type { StoredAction, Transaction } from './store.js';

/** The sandbox's signing secret, made on first use and kept in its state. */
export function webhookSecret(tx: Transaction): string {
  if (!tx.state.webhookSecret) {
    tx.state.webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
    tx.changed();
  }
  return tx.state.webhookSecret;
}

export function emitEvent(tx: Transaction, type: WebhookEventType, body: Record<string, unknown>, at: string): WebhookEvent {
  const seq = (tx.state.eventCounter ?? 0) + 1;
  tx.state.eventCounter = seq;
  // Svix-like ids, unique across sandboxes (a receiver dedupes on them), ordered within one.
  const event: WebhookEvent = { id: `msg_${seq.toString(36).padStart(6, '0')}${randomBytes(6).toString('hex')}`, seq, type, createdAt: at, body };
  const events = (tx.state.events ??= []);
  events.push(event);
  if (events.length > tx.eventHistory) events.splice(0, events.length - tx.eventHistory);
  tx.changed();
  tx.onEvent?.(event);
  return event;
}

/** push.completed / push.failed for an action that just reached that state. */
export function emitActionEvent(tx: Transaction, action: StoredAction): void {
  if (action.state !== 'completed' && action.state !== 'failed') return;
  emitEvent(tx, action.state === 'completed' ? 'push.completed' : 'push.failed', pushEventBody(action), action.completedAt ?? action.updatedAt);
}

/** A device or schedule event, as the sandbox's own control asks (the sandbox links no real devices). */
export function emitSyntheticEvent(tx: Transaction, type: Exclude<WebhookEventType, 'push.completed' | 'push.failed'>, deviceId: string, deviceType: DeviceType, at: string): WebhookEvent {
  const body = type.startsWith('device.')
    ? deviceEventBody(type as 'device.connected', deviceId, deviceType, at, randomBytes(12).toString('hex'))
    : scheduleEventBody(deviceId, deviceType, at, `sch_${randomBytes(6).toString('hex')}`);
  return emitEvent(tx, type, body, at);
}
