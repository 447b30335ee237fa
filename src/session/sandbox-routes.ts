// Calls to the sandbox's own routes (/_sandbox/…: events, the webhook secret, deliveries), which
// only a sandbox has: a live key, or a URL that is not one, is said in one line, not a 404.

import type { ApiResponse } from '../api/client.js';
import { unusableSecret } from '../domain/webhooks.js';
import { invalidSuccess } from '../errors/decode.js';
import { ApiFailure, UsageError } from '../errors/failures.js';
import { redactUrl } from '../lib/values.js';
import type { Session } from './connect.js';

export async function sandboxCall<T>(session: Session, what: string, call: () => Promise<T>, liveHint = 'the hosted API delivers webhooks to the endpoints set in the Amps dashboard'): Promise<T> {
  if (session.live) throw new UsageError(`only a sandbox has ${what}; this is a live key, for the hosted API`, liveHint);
  try {
    return await call();
  } catch (error) {
    // No such route (a 404, a 405, a 410 or any refusal but the key's and the rate's), or a success
    // that is not the sandbox's answer (a server that says 200 to anything: JSON, HTML, text).
    const status = error instanceof ApiFailure ? error.decoded.status : null;
    const notSandbox = status !== null && (status < 300 || (status >= 400 && status < 500 && ![401, 403, 429].includes(status)));
    if (notSandbox) {
      const where = session.target.apiUrl.value ? redactUrl(session.target.apiUrl.value) : 'the target';
      throw new UsageError(`${where} is not an Amps sandbox (it has no /_sandbox/ routes), so it does not have ${what}`, 'run one with amps sandbox serve, or configure nothing to use the embedded sandbox');
    }
    throw error;
  }
}

/**
 * The sandbox's webhook signing secret (`what`: the route's purpose, for sandboxCall). One that
 * cannot sign (empty, not base64) is a bad answer, INVALID_RESPONSE (exit 8), said before anything
 * signs with it: the signer would fail inside amps.
 */
export async function sandboxSigningSecret(session: Session, what: string): Promise<ApiResponse<{ secret: string }>> {
  const { sandboxWebhookSecret } = await import('../api/resources.js');
  const answer = await sandboxCall(session, what, () => sandboxWebhookSecret(session.client));
  const unusable = unusableSecret(answer.data.secret);
  if (unusable) throw new ApiFailure(invalidSuccess(answer.status, `a webhook secret that cannot sign (${unusable})`, typeof answer.meta.requestId === 'string' ? answer.meta.requestId : undefined));
  return answer;
}
