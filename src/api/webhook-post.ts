// One webhook delivery over HTTP(S): a POST with its signed headers, bounded in time, whose
// answer is read only for its status. Node's own http client: no dependency to load for it.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from '../errors/failures.js';
import { redactUrl } from '../lib/values.js';

export interface PostResult {
  /** The receiver's HTTP status; null when none came. */
  status: number | null;
  /** Why none came: a timeout, a refused connection (its code). */
  error: string | null;
  latencyMs: number;
}

/** Whether the receiver took the delivery: a 2xx status. Any other, or none, is a delivery that failed. */
export function delivered(result: Pick<PostResult, 'status'>): boolean {
  return result.status !== null && result.status >= 200 && result.status < 300;
}

/**
 * A webhook target as a flag gives it (`--forward-to`, `--webhook`): an http(s) URL, or one line
 * saying why not, before anything is read or sent.
 */
export function webhookTarget(text: string, flag: string): string {
  const problem = webhookTargetProblem(text);
  if (problem === 'not a URL') throw new UsageError(`${flag} '${redactUrl(text)}' is not a URL`, `e.g. ${flag} http://localhost:3000/hooks`);
  if (problem) throw new UsageError(`${flag} must be http(s), not ${problem}`);
  return new URL(text).toString();
}

/** Why `text` is no webhook target (`not a URL`, or the scheme it has instead of http(s)), else undefined. */
export function webhookTargetProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : url.protocol;
}

/**
 * POSTs one delivery and resolves with the receiver's status as soon as it comes (its body is not
 * read: a receiver that streams one for ever must not hold the delivery), or with why none came
 * within `timeoutMs`, which bounds the whole exchange: connecting, sending, and the wait for the
 * status, however slowly a receiver trickles bytes.
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<PostResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, error, latencyMs: Date.now() - started });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      done(null, 'not a URL');
      return;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      done(null, `not an http(s) URL (${target.protocol})`);
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal }, (res) => {
      done(res.statusCode ?? null, null);
      res.destroy();
    });
    const waited = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
    timer = setTimeout(() => {
      done(null, `no answer within ${waited}`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => done(null, error.code ?? error.message));
    req.end(body);
  });
}
