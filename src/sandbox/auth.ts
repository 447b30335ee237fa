// Who may call the sandbox (decision 2) and how often (decision 11).

import type { IncomingMessage } from 'node:http';
import { API_KEY_PATTERN } from '../contract/keys.js';
import { SandboxError } from './schedule.js';

export function keyFrom(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  // The scheme's name is case-insensitive (RFC 9110 §11.1): `bearer KEY` is a key too.
  const bearer = auth !== undefined ? /^bearer +(\S+)\s*$/i.exec(auth) : null;
  return bearer ? bearer[1] : undefined;
}

export function authenticate(key: string | undefined): void {
  if (!key) throw new SandboxError('UNAUTHORIZED', undefined, 'no_key');
  if (!API_KEY_PATTERN.test(key)) throw new SandboxError('INVALID_API_KEY', undefined, 'platform');
  if (/sk_live_/.test(key)) throw new SandboxError('LIVE_ACCESS_DISABLED');
}

/** A token bucket per key (decision 11): `rate` per second, bursts up to `rate`. */
export function rateLimiter(rate: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string, now: number): number | undefined => {
    if (rate <= 0) return undefined;
    const bucket = buckets.get(key) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  };
}

export function maskHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    headers[name] = name === 'x-api-key' || name === 'authorization' ? `[redacted ${text.length} chars]` : text;
  }
  return headers;
}
