// Webhook bodies (flat, docs/amps-api/contract.md §13) and the Svix signature: signing through
// the Standard Webhooks library (the same HMAC-SHA256 scheme, loaded only where webhooks are
// used), and the diagnosis of a delivery that does not verify, which no library gives: which
// header is missing, how far the timestamp is off, how many v1 entries there were, and whether
// the body verifies once re-serialised.

import { timingSafeEqual } from 'node:crypto';
import type { ActionRecord } from '../contract/actions.js';
import type { DeviceType } from '../contract/devices.js';
import { SIGNATURE_TOLERANCE_S, signedHeaderNames, WEBHOOK_EVENTS, WEBHOOK_HEADERS, type WebhookEventType } from '../contract/webhooks.js';
import { UsageError } from '../errors/failures.js';

/** `push.completed` / `push.failed` for an action that reached that state: what the docs list (canonical command, constraints-only parameters, result; failed adds the code), mirroring the action read (its `parameters` null when it has none). */
export function pushEventBody(action: Pick<ActionRecord, 'id' | 'deviceId' | 'deviceType' | 'command' | 'parameters' | 'result' | 'errorCode' | 'errorMessage' | 'completedAt' | 'state'>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    actionId: action.id, deviceId: action.deviceId, deviceType: action.deviceType, command: action.command,
    parameters: action.parameters ?? null, result: action.result,
  };
  if (action.state === 'failed') Object.assign(body, { errorCode: action.errorCode, errorMessage: action.errorMessage, failedAt: action.completedAt });
  else body.completedAt = action.completedAt;
  return body;
}

/** `device.*`: the documented body; a disconnect carries the link that re-links the device. */
export function deviceEventBody(type: 'device.connected' | 'device.reconnected' | 'device.disconnected', deviceId: string, deviceType: DeviceType, at: string, token: string): Record<string, unknown> {
  return { deviceId, deviceType, timestamp: at, ...(type === 'device.disconnected' ? { reconnectionUrl: `https://auth.amps.ai/?reconnect=true&token=${token}` } : {}) };
}

/** `schedule.*`: the docs name the events but not their bodies; this one is ours (docs/amps-api/README.md). */
export function scheduleEventBody(deviceId: string, deviceType: DeviceType, at: string, scheduleId: string): Record<string, unknown> {
  return { scheduleId, deviceId, deviceType, timestamp: at };
}

export function isWebhookEvent(text: string): text is WebhookEventType {
  return (WEBHOOK_EVENTS as readonly string[]).includes(text);
}

/**
 * `push.failed,device.*`: true for the types a filter names (`*` after a dot matches the rest). A
 * pattern that names no event at all (`push.complted`) is a usage error: it would show nothing, silently.
 */
export function eventFilter(patterns: string[] | undefined): (type: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const tests = patterns.map((pattern) => (pattern.endsWith('.*') ? (type: string) => type.startsWith(pattern.slice(0, -1)) : (type: string) => type === pattern));
  patterns.forEach((pattern, i) => {
    if (!WEBHOOK_EVENTS.some((type) => tests[i]!(type))) throw new UsageError(`--events '${pattern}' names no webhook event`, `the events: ${WEBHOOK_EVENTS.join(', ')} (or a group: push.*, device.*, schedule.*)`);
  });
  return (type) => tests.some((test) => test(type));
}

// ── Secrets and signatures ─────────────────────────────────────────────────────────────────

const SECRET_PREFIX = 'whsec_';

/** Why a secret can neither sign nor verify (empty, or not base64), or undefined when it can. */
export function unusableSecret(secret: string): string | undefined {
  const trimmed = secret.trim();
  if (trimmed === '') return 'the secret is empty';
  const body = trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return `the secret${trimmed.startsWith(SECRET_PREFIX) ? ' after whsec_' : ''} is not base64`;
  return undefined;
}

/** What is said of a usable secret written without its prefix. */
const NO_PREFIX = 'the secret lacks its whsec_ prefix (it is used as base64 anyway)';

/** Signs with the Standard Webhooks library: `v1,<base64>`. */
export async function signDelivery(secret: string, id: string, timestampS: number, body: string): Promise<string> {
  const { Webhook } = await import('standardwebhooks');
  return new Webhook(secret.trim()).sign(id, new Date(timestampS * 1000), body);
}

/** The headers of one signed delivery attempt. */
export async function deliveryHeaders(secret: string, id: string, type: string, timestampS: number, body: string): Promise<Record<string, string>> {
  return {
    'content-type': 'application/json',
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestampS),
    [WEBHOOK_HEADERS.signature]: await signDelivery(secret, id, timestampS, body),
    [WEBHOOK_HEADERS.type]: type,
  };
}

export interface Verdict {
  verified: boolean;
  /** Why not, most useful first; empty when it verifies. */
  reasons: string[];
  /** What amps assumed to verify it (a file's final newline taken as the file's, not the body's). */
  notes: string[];
  /** What was found, for --json and the text view. */
  facts: { id?: string; timestamp?: number; offsetS?: number; entries: number; matched: boolean };
}

const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Whether a delivery verifies against `secret` at `nowS`, and if not, why. Headers are looked up
 * case-insensitively, as svix-* or webhook-* (Standard Webhooks' names).
 */
export async function verifyDelivery(headers: Record<string, string>, body: string, secret: string, nowS: number, options: { fileEnding?: boolean } = {}): Promise<Verdict> {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value.trim()]));
  // An empty header is none: `svix-id: ` signs nothing that names the delivery.
  const header = (name: 'id' | 'timestamp' | 'signature') => signedHeaderNames(name).map((named) => lower[named]).find((value) => value) || undefined;
  const reasons: string[] = [];
  const notes: string[] = [];
  const facts: Verdict['facts'] = { entries: 0, matched: false };
  const unusable = unusableSecret(secret);
  const missing = (['id', 'timestamp', 'signature'] as const).filter((name) => !header(name)).map((name) => `svix-${name}`);
  if (missing.length > 0) reasons.push(`the delivery has no ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}`);
  const id = header('id');
  facts.id = id;
  const rawTimestamp = header('timestamp');
  const timestamp = rawTimestamp !== undefined && /^\d{1,13}$/.test(rawTimestamp) ? Number(rawTimestamp) : undefined;
  if (rawTimestamp !== undefined && timestamp === undefined) reasons.push(`svix-timestamp '${rawTimestamp.slice(0, 40)}' is not a number of seconds`);
  if (timestamp !== undefined) {
    facts.timestamp = timestamp;
    if (timestamp > 1e11) reasons.push('svix-timestamp looks like milliseconds; the scheme signs seconds');
    else {
      facts.offsetS = nowS - timestamp;
      if (Math.abs(facts.offsetS) > SIGNATURE_TOLERANCE_S) {
        reasons.push(`the timestamp is ${Math.abs(facts.offsetS)} s ${facts.offsetS > 0 ? 'old' : 'in the future'}: outside the ${SIGNATURE_TOLERANCE_S} s tolerance (a replay, or a clock that is off)`);
      }
    }
  }
  const entries = (header('signature') ?? '').split(/\s+/).filter(Boolean);
  const v1 = entries.filter((entry) => entry.startsWith('v1,')).map((entry) => entry.slice(3));
  facts.entries = v1.length;
  if (header('signature') !== undefined && v1.length === 0) reasons.push(`svix-signature holds no v1 entry (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of another form)`);
  if (unusable) {
    reasons.unshift(unusable);
    return { verified: false, reasons, notes, facts };
  }
  if (!secret.trim().startsWith(SECRET_PREFIX)) reasons.push(NO_PREFIX);
  if (id === undefined || timestamp === undefined || timestamp > 1e11 || v1.length === 0) return { verified: false, reasons, notes, facts };
  const expected = (text: string) => signDelivery(secret, id, timestamp, text).then((sig) => sig.slice(3));
  const matches = async (text: string) => {
    const want = await expected(text);
    return v1.some((got) => equal(got, want));
  };
  facts.matched = await matches(body);
  // A delivery saved or pasted into a file ends with a line ending the sender never signed.
  if (!facts.matched && options.fileEnding && /\r?\n$/.test(body) && (await matches(body.replace(/\r?\n$/, '')))) {
    facts.matched = true;
    notes.push('the final line ending of the file was taken as the file\'s, not part of the body');
  }
  if (!facts.matched) {
    // What a paste or a framework does to a body: a newline added or lost, JSON re-serialised.
    const variants: Array<[string, string]> = [];
    if (!body.endsWith('\n')) variants.push([`${body}\n`, 'with a trailing newline']);
    else if (!options.fileEnding) variants.push([body.replace(/\r?\n$/, ''), 'with the trailing newline removed']);
    try {
      const parsed: unknown = JSON.parse(body);
      variants.push([JSON.stringify(parsed), 'as compact JSON'], [JSON.stringify(parsed, null, 2), 'as JSON indented by 2'], [JSON.stringify(parsed, null, 4), 'as JSON indented by 4']);
    } catch {
      // Not JSON: nothing to re-serialise.
    }
    let explained = false;
    for (const [text, how] of variants) {
      if (text !== body && (await matches(text))) {
        reasons.push(`no v1 entry matches the body as given, but one matches it ${how}: the body was changed after it was signed (verify the raw bytes received, before any parsing)`);
        explained = true;
        break;
      }
    }
    if (!explained) {
      reasons.push(
        v1.length > 1
          ? `none of the ${v1.length} v1 entries matches (more than one: a secret rotation, each entry signed with a different secret; is this the current secret?)`
          : 'the one v1 entry does not match: another secret signed it, or the id, timestamp or body differ from what was signed',
      );
    }
  }
  const verified = facts.matched && (facts.offsetS === undefined || Math.abs(facts.offsetS) <= SIGNATURE_TOLERANCE_S);
  return { verified, reasons: verified ? [] : reasons, notes, facts };
}
