import { redactKeyShapes } from '../contract/keys.js';
import { ESCAPE_SEQUENCE, JSON_ESCAPED_SCRUBBED, SCRUBBED_CHARACTERS } from '../lib/invisible.js';
import { bounded, redactUrl, TEXT_BOUNDS } from '../lib/values.js';

// Text helpers for everything that reaches a terminal. Strings that came from the network are
// scrubbed of control characters first, so a hostile or broken response cannot move the cursor,
// retitle the window, ring the bell or hide text behind a carriage return.

const ESCAPE_SEQUENCES = new RegExp(ESCAPE_SEQUENCE, 'g');
const CONTROL = new RegExp(`[${SCRUBBED_CHARACTERS}]`, 'g');
// Made on first use (start-up is counted). A backslash pair is kept whole: `\\u0007` is the text `\u0007`, no escape.
let jsonEscapesOfScrubbed: RegExp | undefined;

/** Text with nothing to scrub: printable ASCII, and newlines (kept when `multiline`). */
const PRINTABLE_ASCII = /^[\x20-\x7e\n]*$/;

/** Removes escape sequences and control characters; newlines survive only when `multiline`. */
export function scrub(value: string, multiline = false): string {
  // The common case: the scrubbing patterns, whose compiling each run pays for, are left unused.
  const cleaned = PRINTABLE_ASCII.test(value) ? value : value.replace(ESCAPE_SEQUENCES, '').replace(/\t/g, ' ').replace(CONTROL, '');
  return multiline ? cleaned : cleaned.replace(/\n/g, ' ');
}

/**
 * Text that quotes what was typed or what came from outside (a path, a name, an argument, a
 * message) fit to print: no escape, no control character, and nothing shaped like a key. Scrubbed
 * first, since taking out an escape can join a key's halves.
 */
export function safeToPrint(value: string, multiline = false): string {
  return redactKeyShapes(scrub(value, multiline));
}

/**
 * What an operator typed, quoted back in a refusal (a UsageError's words): as safeToPrint, but what
 * a terminal would not show is spelt (`\u200b`, `\u001b`), not taken out: `--at '22:00' is not a
 * time` quoted a time that read right. Where taking them out joins a key's halves, that text,
 * redacted, is what is shown: each escaped half may be too short to be seen as a key.
 */
export function safeToPrintTyped(value: string): string {
  const stripped = safeToPrint(value);
  if (PRINTABLE_ASCII.test(value) || stripped !== scrub(value)) return stripped;
  const spelt = value.replace(/[\t\n]/g, ' ').replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return redactKeyShapes(spelt);
}

/**
 * JSON text with the control characters and escape sequences its strings hold (`\u0007`,
 * `\u001b[1m`) taken out, as scrub takes raw ones out, and then nothing shaped like a key: a key
 * split by a control character is whole again to a terminal that shows the JSON. `\n` and `\t`
 * stay; an escaped backslash (`\\u0007`, the text) is left as it is.
 */
export function safeJsonText(text: string): string {
  jsonEscapesOfScrubbed ??= new RegExp(String.raw`\\(\\|${JSON_ESCAPED_SCRUBBED})`, 'g');
  const scrubbed = text.replace(jsonEscapesOfScrubbed, (escape, pair: string) => (pair === '\\' ? escape : ''));
  return redactKeyShapes(scrub(scrubbed, true));
}

/** Cuts a string to `max` characters, saying how much was left out. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}… (${value.length - max} more characters; --json shows all)`;
}

/**
 * `12,345`: a count with thousands separators, as toLocaleString('en') writes it, without Intl,
 * whose first use costs a process ~12 ms.
 */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Left-aligned `label  value` lines, labels padded to the longest. */
export function fieldLines(fields: ReadonlyArray<readonly [string, string]>, indent = ''): string[] {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`);
}

/** A value from a response, made printable on one line. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return (bounded(value, TEXT_BOUNDS) as unknown[]).map(show).join(', ');
  return scrub(JSON.stringify(bounded(value, TEXT_BOUNDS)) ?? '-');
}

/** A Quantity `{value, unit}` as `5 kw`; anything else through show(). */
export function showQuantity(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'value' in value && 'unit' in value) {
    const q = value as { value: unknown; unit: unknown };
    return q.unit === 'percent' ? `${show(q.value)}%` : `${show(q.value)} ${show(q.unit)}`;
  }
  return show(value);
}

/** An argument as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * An amps command line to suggest: the arguments given, less the named options (and their
 * values, in either `--name value` or `--name=value` form), plus `extra`, quoted for a shell.
 */
export function suggestedCommand(argv: string[], drop: string[], extra: string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (drop.includes(argv[i])) i++;
    else if (!drop.some((name) => argv[i].startsWith(`${name}=`))) kept.push(argv[i]);
  }
  return ['amps', ...printableArgv(kept), ...extra].map(shellQuote).join(' ');
}

/**
 * Words of a command line fit to print again: the credentials in an `--api-url` taken out (a rerun
 * line then needs them added back, which beats printing them). Only there: an id may hold an `@`.
 */
export function printableArgv(argv: string[]): string[] {
  return argv.map((word, i) => (argv[i - 1] === '--api-url' ? redactUrl(word) : word.startsWith('--api-url=') ? `--api-url=${redactUrl(word.slice('--api-url='.length))}` : word));
}

/**
 * What a list left out of `held` items, `kept` of them objects (api/resources.ts objectItems), in
 * the words every list uses; '' when it left nothing out.
 */
export function leftOutText(held: number, kept: number, of: 'the page' | 'the pages', what: string): string {
  return held > kept ? `${held - kept} item(s) of ${of} that were no ${what} left out` : '';
}
