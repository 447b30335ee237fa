// API keys (decision 2): `amps_sk_test_…`, `amps_sk_live_…`, `sk_test_…`, `sk_live_…`; the
// `test`/`live` token names the environment. One shape, shared by the client and the sandbox.

import { ESCAPE_SEQUENCE, INVISIBLE_CHARACTERS, JSON_ESCAPED_INVISIBLE, TAG_CHARACTER } from '../lib/invisible.js';
import { percentDecoded } from '../lib/values.js';

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
 * Whether the key could be in text other than spelt plainly: an escape of any kind (JSON, percent,
 * HTML), or what a terminal does not show (lib/invisible.ts). When not, a plain search finds it,
 * without keyEchoPattern, whose compiling costs a single request ~7 M instructions
 * (bench/startup.mjs).
 */
export function mayHideKey(text: string): boolean {
  keyHiders ??= new RegExp(`\\\\[uUbfr]|%|&#|&lowbar;|&UnderBar;|[${INVISIBLE_CHARACTERS}]|${TAG_CHARACTER}`);
  return keyHiders.test(text);
}
let keyHiders: RegExp | undefined;

/**
 * What finds `key` in a response however the server spells it back: with or without its `amps_`,
 * and any character of it written plainly, as a JSON escape behind any number of backslashes
 * (`\u005f`, and `\\u005f` in a JSON text quoted inside a message), a percent-escape (`%5F`)
 * or an HTML entity (`&#95;`, `&#x5f;`, `&#95`, `&lowbar;`). Searched for by replaceKeyEchoes, in
 * the text less what a terminal does not show. Never after one more backslash: a search that
 * backtracks through a run of them takes quadratic time.
 */
export function keyEchoPattern(key: string): RegExp {
  const hexDigits = (code: number, width: number) => [...code.toString(16).padStart(width, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
  const spelt = (char: string) => {
    const code = char.charCodeAt(0);
    const plain = /[A-Za-z0-9]/.test(char) ? char : `\\${char}`;
    const named = char === '_' ? '|&lowbar;|&UnderBar;' : '';
    return `(?:${plain}|(?<!\\\\)\\\\+[uU]${hexDigits(code, 4)}|%${hexDigits(code, 2)}|&#0*${code};?|&#[xX]0*${hexDigits(code, 2)};?${named})`;
  };
  const word = (text: string) => [...text].map(spelt).join('');
  const { prefix, secret } = partsOfKey(key);
  // Its secret part alone is the key too (a server that quotes it less `sk_live_`), where it can
  // be nothing else; in any case, as a server may upper-case what it quotes.
  const body = secretAlone(secret) ? `(?:${word(prefix)})?${word(secret)}` : word(prefix + secret);
  return new RegExp(`(?:${word('amps_')})?${body}`, 'gi');
}

/**
 * Whether a key's secret part is the key even without its `sk_live_`: 12 characters or more,
 * letters and digits both, as a random one is. One that reads as words (`localsandbox`, the
 * sandbox's own) is sought with its prefix: alone, "Local Sandbox" in a message would be it.
 */
function secretAlone(secret: string): boolean {
  return secret.length >= 12 && /[0-9]/.test(secret) && /[A-Za-z]/.test(secret);
}

/** `sk_live_` and what follows it, of a key (less `amps_`); a key of another shape is all secret. */
function partsOfKey(key: string): { prefix: string; secret: string } {
  const core = key.replace(/^amps_/, '');
  const prefix = /^sk_(?:test|live)_/.exec(core)?.[0] ?? '';
  return { prefix, secret: core.slice(prefix.length) };
}

/**
 * Whether text without escapes or invisible marks (mayHideKey false) may still hold `key`: its
 * secret part (its whole, when short), in any case, split by spaces, tabs or line breaks (a
 * terminal draws a line break within a line as a space: the key shows whole). When not, a reply
 * needs no keyEchoPattern, whose compiling costs a single request ~7 M instructions. Made once
 * per key: a fleet's client asks it of every answer and header.
 */
export function keyEchoProbe(key: string): (text: string) => boolean {
  const { prefix, secret } = partsOfKey(key);
  const sought = (secretAlone(secret) ? secret : prefix + secret).toLowerCase();
  return (text) => {
    const folded = text.toLowerCase();
    // JSON's `\n`, `\t` and `\r` too: a line break inside a string can be written no other way.
    return folded.includes(sought) || folded.replace(/\s+|\\[ntr]/g, '').includes(sought);
  };
}

/**
 * The text with every match of `pattern` (keyEchoPattern) replaced whole, found in a copy of the
 * text without what a terminal does not show (control characters, escape sequences, invisible
 * marks, raw or as JSON escapes): a key split by them is whole again on screen. Each match maps
 * back to the span of the text it came from, marks inside it included. Linear: the marks are
 * taken out by one pass of a pattern that never backtracks far, not searched for between every
 * two characters of the key (which made a 90-byte answer run for minutes).
 */
export function replaceKeyEchoes(text: string, pattern: RegExp): string {
  // Whitespace too, raw or as JSON's `\n` and `\t`: a key split by a line break shows whole, with a blank.
  hiders ??= new RegExp(`${ESCAPE_SEQUENCE}|[${INVISIBLE_CHARACTERS}]|\\s|${TAG_CHARACTER}|(?<!\\\\)\\\\+(?:[nt]|${JSON_ESCAPED_INVISIBLE})`, 'g');
  const at = new Int32Array(text.length);
  let shown = '';
  let kept = 0;
  let from = 0;
  const keep = (end: number) => {
    shown += text.slice(from, end);
    for (let i = from; i < end; i++) at[kept++] = i;
  };
  for (const hider of text.matchAll(hiders)) {
    keep(hider.index);
    from = hider.index + hider[0].length;
  }
  keep(text.length);
  let out = '';
  let last = 0;
  for (const match of shown.matchAll(pattern)) {
    if (match[0] === '') continue;
    const start = at[match.index];
    out += `${text.slice(last, start)}${REDACTED_KEY}`;
    last = at[match.index + match[0].length - 1] + 1;
  }
  return out + text.slice(last);
}
let hiders: RegExp | undefined;

/**
 * JSON text whose strings, once their escapes are read, still hold the key: spelt with escapes no
 * search of the raw text can see through (`\u001b\u005b1m` between its characters is an escape
 * sequence only once read), which the view would scrub into a whole key. Those strings (and names)
 * are redacted and the text written again; any other text is returned byte for byte, so a body
 * keeps its numbers as sent. Nesting past 512 levels is left: no view shows that deep.
 */
export function replaceKeyEchoesInJson(text: string, pattern: RegExp): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  let changed = false;
  const redact = (item: string) => {
    const redacted = replaceKeyEchoes(item, pattern);
    if (redacted !== item) changed = true;
    return redacted;
  };
  const walk = (item: unknown, depth: number): unknown => {
    if (typeof item === 'string') return redact(item);
    if (depth > 512 || item === null || typeof item !== 'object') return item;
    if (Array.isArray(item)) return item.map((entry) => walk(entry, depth + 1));
    return Object.fromEntries(Object.entries(item).map(([name, entry]) => [redact(name), walk(entry, depth + 1)]));
  };
  const redacted = walk(value, 0);
  return changed ? JSON.stringify(redacted) : text;
}

/** An underscore as a key's text may spell it: plain, percent-escaped, or as an HTML entity. */
const UNDERSCORE = '(?:_|%5[fF]|&#0*95;?|&#[xX]0*5[fF];?|&lowbar;|&UnderBar;)';
/** A line break or tab within a key's secret part, raw or as JSON's `\n` and `\t`: drawn as a blank, the key shows whole. */
const BREAK = String.raw`(?:[\t\n]|\\[nt])+`;
const PREFIX = `(?:amps${UNDERSCORE})?sk${UNDERSCORE}(?:test|live)${UNDERSCORE}`;

/**
 * A key's shape, standing as a word of its own: not inside a longer word (`task_test_results9`,
 * `disk_test_results1`: a file, a device or a word of the API's that only ends like a key), but
 * right after a JSON escape (`\n`, `\u0020`…) or a percent-escape (`%3Dsk_live_…`, a query
 * quoted escaped) it is; its secret part split by line breaks or tabs is taken whole. What follows
 * the secret part is taken in too when it goes on as another key's start
 * (`sk_test_abc123sk_test_def456`, a key pasted twice): the first key's secret part ends at the
 * next `_`, so the second key's would be left to show. Glued to a word (`reqsk_live_…`), a shape
 * is a key when its secret part looks like a random one: 16 characters or more, digits, lower and
 * upper case letters all (`disk_test_results20240101`, `kiosk_live_lobby1floor2` are names).
 */
function keyShape(): RegExp {
  keyShapePattern ??= new RegExp(
    String.raw`(?<=^|[^A-Za-z0-9]|\\[nrtbf]|\\u[0-9a-fA-F]{4}|%[0-9a-fA-F]{2})${PREFIX}(?:[A-Za-z0-9]{6,}(?:${BREAK}[A-Za-z0-9]+)*|[A-Za-z0-9]+(?:${BREAK}[A-Za-z0-9]+)+)` +
      `(?:${UNDERSCORE}(?:sk${UNDERSCORE})?(?:test|live)${UNDERSCORE}[A-Za-z0-9]*)*` +
      String.raw`|(?<=[A-Za-z0-9])${PREFIX}(?=[A-Za-z0-9]{0,256}[0-9])(?=[A-Za-z0-9]{0,256}[a-z])(?=[A-Za-z0-9]{0,256}[A-Z])[A-Za-z0-9]{16,}`,
    'g',
  );
  return keyShapePattern;
}
let keyShapePattern: RegExp | undefined;

/** Whether keyShape() could match: not without `sk` and an underscore however spelt. Skips compiling it (start-up is counted). */
function mayHoldShape(text: string): boolean {
  return text.includes('sk_') || text.includes('sk%') || text.includes('sk&');
}

/**
 * The text with everything shaped like a key replaced: for text amps did not get from its own
 * client (a saved response given to `amps decode`, a preflight's details, a message quoting what
 * was typed), which may hold any key, the configured one included. The configured key is also
 * found glued to a word, by keyEchoPattern.
 */
export function redactKeyShapes(text: string): string {
  const unescaped = unescapeKeyCharacters(text);
  return mayHoldShape(unescaped) ? unescaped.replace(keyShape(), REDACTED_KEY) : unescaped;
}

/**
 * What a prompt shows of a line being typed: a key's start masked from its first secret character
 * on (`sk_live_p…`), since the line is drawn again at every keystroke, before a whole key's shape
 * is there to match.
 */
export function maskKeyBeingTyped(text: string): string {
  return redactKeyShapes(text).replace(/(?<![A-Za-z0-9])(amps_)?sk_(test|live)_[A-Za-z0-9]+/g, REDACTED_KEY);
}

/**
 * Whether a name, id, path, file or URL typed somewhere else holds what is shaped like an API key
 * (as redactKeyShapes finds one, percent-escaped too: servers decode `%5F`): refused there, since it
 * would be printed, or sent in a URL that servers and proxies log.
 */
export function holdsKeyShape(text: string): boolean {
  // Without an escape of either kind, nothing holds a key's shape without `sk_`: the common case
  // (an API URL, a config folder, a device id) skips compiling keyShape() (start-up is counted).
  if (!mayHoldShape(text) && !text.includes('%') && !text.includes('\\')) return false;
  return [text, percentDecoded(text)].some((spelt) => {
    const pattern = keyShape();
    pattern.lastIndex = 0;
    return pattern.test(unescapeKeyCharacters(spelt));
  });
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
