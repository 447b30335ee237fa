// API keys (decision 2): `amps_sk_test_…`, `amps_sk_live_…`, `sk_test_…`, `sk_live_…`; the
// `test`/`live` token names the environment. One shape, shared by the client and the sandbox.

export const API_KEY_PATTERN = /^(amps_)?sk_(test|live)_[A-Za-z0-9]{6,}$/;

/** What stands in for a key wherever one would be printed. */
export const REDACTED_KEY = '[redacted key]';

/**
 * The text with everything shaped like a key replaced: for text amps did not get from its own
 * client (a saved response given to `amps decode`), which may hold any key, the configured one
 * included.
 */
export function redactKeyShapes(text: string): string {
  // Not inside a longer word (task_test_…), but right after a JSON escape (`\n`, `\u0020`…) it is.
  return text.replace(/(?<=^|[^A-Za-z0-9]|\\[nrtbf]|\\u[0-9a-fA-F]{4})(amps_)?sk_(test|live)_[A-Za-z0-9]{6,}/g, REDACTED_KEY);
}

export type KeyEnvironment = 'sandbox' | 'live' | 'unknown';

export function keyEnvironment(key: string | undefined): KeyEnvironment {
  if (!key) return 'unknown';
  if (/^(amps_)?sk_live_/.test(key)) return 'live';
  if (/^(amps_)?sk_test_/.test(key)) return 'sandbox';
  return 'unknown';
}

/** Where a request goes, as every JSON result and ledger line names it: amps' own sandbox, a test key, a live key. */
export type TargetEnvironment = 'embedded' | 'test' | 'live';
