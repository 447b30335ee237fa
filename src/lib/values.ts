// Small helpers every layer may use: a leaf, beside contract/.

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `record[key]` when the record itself holds it: a name typed by a user or sent by a server
 * (constructor, __proto__, toString) never reaches what every object inherits.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** `record[key] = value`, where a key named __proto__ becomes a key, not the record's prototype. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The candidates closest to `input`, nearest first, within a distance that still looks like a typo. */
export function closest(input: string, candidates: readonly string[], limit = 3): string[] {
  const wanted = input.toLowerCase();
  return candidates
    .map((name) => ({ name, distance: editDistance(wanted, name.toLowerCase()) }))
    .filter((c) => c.distance <= Math.max(2, Math.floor(wanted.length / 2)))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((c) => c.name);
}

/** Text with its percent-escapes read (`%5F` as `_`); where they do not all decode, those of ASCII characters. */
export function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-7][0-9a-fA-F])/g, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

/**
 * A URL fit to print: any user name and password in it replaced. Read as loosely as a URL parser
 * reads one, since amps takes what it parses: `http:/user:pass@h` and ` http://…` parse, a
 * password may hold an `@` or a space, and `user:pass@proxy:8080` (no scheme) reads to a parser
 * as the scheme `user:`. The user part is all of the authority before its last `@`.
 */
export function redactUrl(value: string): string {
  return redactUserinfo(value).replace(SECRET_QUERY_VALUE, '$1redacted');
}

/**
 * A query parameter whose name says it holds a secret (`?token=…`, `&api_key=…`, `sig=`, `password=`):
 * webhook receivers are often addressed so. Its value goes; the name stays, to say which one.
 */
const SECRET_QUERY_VALUE = /([?&][^=&#]*(?:token|key|secret|sig|password|passwd|pwd|auth|credential)[^=&#]*=)[^&#]*/gi;

function redactUserinfo(value: string): string {
  const scheme = /^\s*[A-Za-z][A-Za-z0-9+.-]*:[/\\]+/.exec(value)?.[0] ?? '';
  const rest = value.slice(scheme.length);
  const authority = /^[^/?#\\]*/.exec(rest)![0];
  const at = authority.lastIndexOf('@');
  if (at !== -1) return `${scheme}redacted${authority.slice(at)}${rest.slice(authority.length)}`;
  // A password holding `/`, `?`, `#` or `\` ends the authority early, and makes the whole no URL
  // (`https://user:pa/ss@host`: port "pa"): everything up to its last `@` goes. A URL that parses
  // keeps an `@` of its path (`http://h/users/a@b.com`).
  if (scheme !== '' && rest.includes('@') && !parsesAsUrl(value)) return `${scheme}redacted${rest.slice(rest.lastIndexOf('@'))}`;
  return value;
}

function parsesAsUrl(value: string): boolean {
  try {
    new URL(value.trim());
    return true;
  } catch {
    return false;
  }
}

/**
 * Characters JSON.stringify leaves as they are that a terminal acts on or that reorder what it
 * shows: DEL and the C1 controls (U+009B is a CSI, as ESC [ is), the line and paragraph separators,
 * the bidirectional overrides and isolates. JSON.stringify escapes only U+0000–U+001F.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `JSON.stringify(value, null, indent)` with those characters written as `\uXXXX` escapes: the
 * same JSON once parsed, and safe to show at a terminal (`--json | less`, `cat ledger.ndjson`).
 */
export function jsonText(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent) as string | undefined;
  if (text === undefined) return 'null';
  JSON_UNSAFE.lastIndex = 0;
  return JSON_UNSAFE.test(text) ? text.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** How much of a value from the network amps will print: nesting, items per array or object, characters per string. */
export interface Bounds {
  depth: number;
  items: number;
  string: number;
}

/** For people: a screenful. */
export const TEXT_BOUNDS: Bounds = { depth: 6, items: 20, string: 200 };
/** For scripts: everything a real response holds, and no more than a hostile one can make us print. */
export const JSON_BOUNDS: Bounds = { depth: 32, items: 10_000, string: 1_000_000 };

/** What `bounded` puts after the part of a string it keeps, before the count of what it cut. */
const CUT_MARK = '… ';

/** A string `bounded` cut: the part it kept, and how many characters it left out; undefined for one it did not cut. */
function cutString(text: string): { kept: string; more: number } | undefined {
  // \u2026 is the … of CUT_MARK, spelt as an escape: the bundles must stay ASCII (bin/build.mjs).
  const note = /\u2026 \((\d+) more characters\)$/.exec(text);
  return note ? { kept: text.slice(0, note.index), more: Number(note[1]) } : undefined;
}

/** True for a string `bounded` cut at `max` characters (it says how many more there were). */
export function wasCut(text: string, max: number): boolean {
  return cutString(text)?.kept.length === max;
}

/** The note `bounded` ends a cut array with, in place of the items it left out. */
function omittedItemsNote(count: number): string {
  return `(${count} more items omitted)`;
}

/** How many items a cut array left out, read from its last item (0 when it was not cut). */
export function omittedItems(items: readonly unknown[]): number {
  const last = items.at(-1);
  const note = typeof last === 'string' ? /^\((\d+) more items omitted\)$/.exec(last) : null;
  return note ? Number(note[1]) : 0;
}

/**
 * A copy of `value` within `bounds`, safe to stringify: what is cut says so in place. A body nested
 * 100,000 deep or holding 200,000 fields never overflows the stack nor floods the terminal.
 */
export function bounded(value: unknown, bounds: Bounds, depth = 0): unknown {
  // Bounded twice (as a JSON error on its way out is), a string, list or object cut the first time
  // keeps the count of what that cut left out.
  if (typeof value === 'string') {
    const earlier = cutString(value);
    const whole = earlier?.kept ?? value;
    const more = (earlier?.more ?? 0) + Math.max(0, whole.length - bounds.string);
    return more > 0 ? `${whole.slice(0, bounds.string)}${CUT_MARK}(${more} more characters)` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= bounds.depth) return `(nested deeper than ${bounds.depth} levels: omitted)`;
  if (Array.isArray(value)) {
    const earlier = omittedItems(value);
    const whole = earlier ? value.slice(0, -1) : value;
    const items = whole.slice(0, bounds.items).map((item) => bounded(item, bounds, depth + 1));
    const omitted = earlier + Math.max(0, whole.length - bounds.items);
    if (omitted > 0) items.push(omittedItemsNote(omitted));
    return items;
  }
  const out: Record<string, unknown> = {};
  let kept = 0;
  let total = 0;
  let earlier = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    const note = key === '…' && typeof item === 'string' ? /^\((\d+) more keys omitted\)$/.exec(item) : null;
    if (note) {
      earlier += Number(note[1]);
      continue;
    }
    total++;
    if (kept < bounds.items) {
      setOwn(out, key, bounded(item, bounds, depth + 1));
      kept++;
    }
  }
  if (total - kept + earlier > 0) out['…'] = `(${total - kept + earlier} more keys omitted)`;
  return out;
}

/**
 * Whether `value` nests no deeper than `max` levels of arrays and objects. JSON.stringify overflows
 * the stack some thousands of levels down, where JSON.parse does not: a value parsed from a file or
 * an answer is checked before it is written out again.
 */
export function nestsWithin(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (max === 0) return false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) if (!nestsWithin(item, max - 1)) return false;
  return true;
}

// Failed system calls in words live in lib/system-errors.ts, small enough for the entry (boot.ts) to use too.
export { systemErrorText } from './system-errors.js';

/** What kind of JSON value `data` is, in words: `null`, `an array`, `an object`, `a string`… */
export function kindOf(data: unknown): string {
  return data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data === 'object' ? 'an object' : `a ${typeof data}`;
}

/** The names of `value` that `known` lacks, as paths under `at` (`action.colour`): what a schema refuses, never drops. */
export function unknownKeys(value: object, known: readonly string[], at = ''): string[] {
  return Object.keys(value).filter((key) => !known.includes(key)).map((key) => (at ? `${at}.${key}` : key));
}
