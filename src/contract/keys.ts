// API keys (decision 2): `amps_sk_test_…`, `amps_sk_live_…`, `sk_test_…`, `sk_live_…`; the
// `test`/`live` token names the environment. One shape, shared by the client and the sandbox.

export const API_KEY_PATTERN = /^(amps_)?sk_(test|live)_[A-Za-z0-9]{6,}$/;

/** What stands in for a key wherever one would be printed. */
export const REDACTED_KEY = '[redacted key]';

/**
 * JSON text with the `\uXXXX` escapes of the characters a key is made of (letters, digits, `_`)
 * written as those characters: the same JSON once parsed, but a key spelt in escapes
 * (`amps\u005fsk_…`) is then spelt as itself, where a search for it finds it. An escaped
 * backslash (`\\u005f`, a backslash and the text `u005f`) is left as it is.
 */
export function unescapeKeyCharacters(text: string): string {
  if (!text.includes('\\u')) return text;
  return text.replace(/\\(\\|u00([0-7][0-9a-fA-F]))/g, (escape, _pair: string, hex: string | undefined) => {
    if (hex === undefined) return escape;
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9_]/.test(char) ? char : escape;
  });
}

/**
 * What finds `key` in a response however the server spells it back: with or without its `amps_`,
 * and any character of it written plainly, as a JSON escape behind any number of backslashes
 * (`\u005f`, and `\\u005f` in a JSON text quoted inside a message), a percent-escape (`%5F`)
 * or an HTML entity (`&#95;`, `&#x5f;`). Every match is replaced whole, so JSON text stays JSON.
 */
export function keyEchoPattern(key: string): RegExp {
  const hexDigits = (code: number, width: number) => [...code.toString(16).padStart(width, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
  const spelt = (char: string) => {
    const code = char.charCodeAt(0);
    const plain = /[A-Za-z0-9]/.test(char) ? char : `\\${char}`;
    return `(?:${plain}|\\\\+[uU]${hexDigits(code, 4)}|%${hexDigits(code, 2)}|&#0*${code};|&#[xX]0*${hexDigits(code, 2)};)`;
  };
  const word = (text: string) => [...text].map(spelt).join('');
  const core = key.replace(/^amps_/, '');
  return new RegExp(`(?:${word('amps_')})?${word(core)}`, 'g');
}

/**
 * A key's shape. What follows the secret part is taken in too when it goes on as another key's
 * start (`sk_test_abc123sk_test_def456`, a key pasted twice): the first key's secret part ends at
 * the next `_`, so the second key's would be left to show.
 */
const KEY_SHAPE = '(?:amps_)?sk_(?:test|live)_[A-Za-z0-9]{6,}(?:_(?:sk_)?(?:test|live)_[A-Za-z0-9]*)*';
// Not inside a longer word (task_test_…), but right after a JSON escape (`\n`, `\u0020`…) it is.
const KEY_SHAPE_AS_WORD = new RegExp(`(?<=^|[^A-Za-z0-9]|\\\\[nrtbf]|\\\\u[0-9a-fA-F]{4})${KEY_SHAPE}`, 'g');
const KEY_SHAPE_ANYWHERE = new RegExp(KEY_SHAPE, 'g');

/**
 * The text with everything shaped like a key replaced, where it stands as a word of its own: for
 * text amps did not write (a response's message, a saved response given to `amps decode`), which
 * may hold any key, the configured one included, and words that only end like one
 * (`task_test_results9`). The configured key is found anywhere by keyEchoPattern.
 */
export function redactKeyShapes(text: string): string {
  return unescapeKeyCharacters(text).replace(KEY_SHAPE_AS_WORD, REDACTED_KEY);
}

/**
 * The text with everything shaped like a key replaced, glued to a word or not (`xsk_test_…`): for
 * text amps writes from what was typed (names, ids, paths, URLs, arguments), where holdsKeyShape
 * refuses what this would leave to show.
 */
export function redactTypedKeyShapes(text: string): string {
  return unescapeKeyCharacters(text).replace(KEY_SHAPE_ANYWHERE, REDACTED_KEY);
}

/**
 * What a prompt shows of a line being typed: a key's start masked from its first secret character
 * on (`sk_live_p…`), since the line is drawn again at every keystroke, before a whole key's shape
 * is there to match.
 */
export function maskKeyBeingTyped(text: string): string {
  return redactTypedKeyShapes(text).replace(/(amps_)?sk_(test|live)_[A-Za-z0-9]+/g, REDACTED_KEY);
}

/** Whether a name, file or URL typed somewhere else holds what is shaped like an API key, glued to a word or not: refused there, since it would be printed. */
export function holdsKeyShape(text: string): boolean {
  return /sk_(test|live)_[A-Za-z0-9]{6,}/.test(text);
}

/**
 * Whether an id or an API path holds a key shape standing as a word of its own, as a pasted key
 * does (`/battery/sk_test_…`). Not one inside a word: the API names its devices, and an id that
 * only ends like a key (`kiosk_live_lobby1`) must still be reachable.
 */
export function holdsKeyShapeAsWord(text: string): boolean {
  KEY_SHAPE_AS_WORD.lastIndex = 0;
  return KEY_SHAPE_AS_WORD.test(text);
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
