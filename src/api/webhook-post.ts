// One webhook delivery over HTTP(S): a POST with its signed headers, bounded in time, whose
// answer is read only for its status. Node's own http client: no dependency to load for it.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostResult {
  /** The receiver's HTTP status; null when none came. */
  status: number | null;
  /** Why none came: a timeout, a refused connection (its code). */
  error: string | null;
  latencyMs: number;
}

export function postWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<PostResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (status: number | null, error: string | null) => resolve({ status, error, latencyMs: Date.now() - started });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      done(null, 'not a URL');
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs, signal }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? null, null));
      res.on('error', () => done(res.statusCode ?? null, null));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}` })));
    req.on('error', (error: NodeJS.ErrnoException) => done(null, error.code ?? error.message));
    req.end(body);
  });
}
