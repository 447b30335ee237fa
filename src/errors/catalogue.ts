import type { Strategy } from '../contract/actions.js';
import { ESCAPE_SEQUENCE, INVISIBLE_CHARACTERS, TAG_CHARACTER } from '../lib/invisible.js';
import { editDistance } from '../lib/values.js';
import { CATALOGUE_DATA } from './catalogue-data.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { RETRY_CLASSES, type RetryClass } from './retry-classes.js';

export type Category =
  | 'platform-auth'
  | 'rate-limit'
  | 'resource'
  | 'conflict'
  | 'validation'
  | 'request'
  | 'server'
  | 'manufacturer-auth'
  | 'discovery'
  | 'command'
  | 'transport';

export const CATEGORY_LABELS: Record<Category, string> = {
  'platform-auth': 'Platform: API key',
  'rate-limit': 'Platform: rate limit',
  resource: 'Resources',
  conflict: 'State conflict',
  validation: 'Request validation (capabilities)',
  request: 'Request validation (schema)',
  server: 'Server',
  'manufacturer-auth': 'Manufacturer: authentication and account',
  discovery: 'Manufacturer: device discovery',
  command: 'Manufacturer: command and parameter',
  transport: 'Manufacturer: transport and capacity',
};

export interface DetailField {
  name: string;
  description: string;
  /** A name amps and its sandbox give a field the docs name none for, beside names that are the docs'. */
  ampsName?: true;
}

export interface CatalogueEntry {
  code: string;
  /** Set when one code has several meanings (decision 3): platform/manufacturer, pending/in_flight… */
  variant?: string;
  http: number;
  /** Other statuses the code is documented to arrive with. */
  alsoHttp?: number[];
  /** The API-owned message, exact; `{name}` marks a value the API fills in. */
  message: string;
  /** Older wordings the docs also show for the same meaning; recognised, never sent. */
  alsoMessages?: string[];
  category: Category;
  /** Who has to act: the caller's request, the platform, or the manufacturer side. */
  party: 'request' | 'platform' | 'manufacturer';
  /** What to do: word for word from the docs for a code on the error-codes page, otherwise ours. */
  whatToDo: string;
  /** The docs' "When to retry" row for the code, word for word, where the page gives one. */
  retryQuote?: string;
  /** What amps adds (a decision, where the docs' two texts differ): shown apart from the quote. */
  note?: string;
  retryClass: RetryClass;
  details: DetailField[];
  /**
   * Set when the docs name none of a code's details fields (they describe them without names, as
   * the error-codes page's "the offending parameter and the device's supported subset" for command
   * codes, or not at all): every name is amps' and its sandbox's. An integration cannot count on them.
   */
  detailsSource?: 'amps-cli';
  /** A representative `error.details`, served by the sandbox directive and shown by explain. */
  exampleDetails?: Record<string, unknown>;
  related: string[];
  source: 'amps-docs' | 'amps-cli';
  /** Set for the 30 codes of the docs' error-codes page: their message and what-to-do are quotes. */
  docsPage?: 'error-codes';
  /** Path patterns (leading segments, `*` for any one; `/` for any other path) where a code with several meanings has this one when its message does not say. */
  paths?: readonly string[];
  /** The onConflict values that resolve it when a response lists none (it usually does: decision 8). */
  strategies?: readonly Strategy[];
  /** Set when the docs name the code but not its exact message, so the wording is ours. */
  messageSource?: 'amps-cli';
}

export const CATALOGUE: readonly CatalogueEntry[] = CATALOGUE_DATA;

/** Whose a code's texts are: the docs' error-codes page's (quoted), elsewhere in the Amps docs, or amps' own. */
export function whoseEntry(entry: CatalogueEntry): 'docs page' | 'Amps docs' | 'amps' {
  return entry.source === 'amps-cli' ? 'amps' : entry.docsPage ? 'docs page' : 'Amps docs';
}

/**
 * An entry's "what to do" as --json gives it: `whatToDo` the docs' words alone (the error-codes
 * page's, null where it has none), `ampsWhatToDo` amps' own, so a script never takes one for the other.
 */
export function whatToDoFields(entry: CatalogueEntry): { whatToDo: string | null; ampsWhatToDo: string | null } {
  return entry.docsPage ? { whatToDo: entry.whatToDo, ampsWhatToDo: null } : { whatToDo: null, ampsWhatToDo: entry.whatToDo };
}

const byCode = new Map<string, CatalogueEntry[]>();
for (const entry of CATALOGUE) {
  const list = byCode.get(entry.code) ?? [];
  list.push(entry);
  byCode.set(entry.code, list);
}

/** What a code typed or pasted may carry that is not the code: what a terminal does not show, escapes, tag characters. */
let notOfTheCode: RegExp | undefined;

/**
 * `scheduler-active`, `Scheduler_Active` and ` SCHEDULER_ACTIVE ` all name the same code; so do the
 * forms a copy from a document or a chat brings: `“DEVICE_OFFLINE”`, `` `DEVICE_OFFLINE` ``,
 * `DEVICE_OFFLINE.`, `DEVICE–OFFLINE` (a typographic dash), one with a zero-width space or a colour.
 */
export function normaliseCode(input: string): string {
  // The common case, a plain code, pays for no pattern (start-up is counted).
  const plain = /^[\w\s-]*$/.test(input)
    ? input
    : withoutInvisible(input)
        .trim()
        .replace(/^["'`\u2018\u2019\u201c\u201d]+|["'`\u2018\u2019\u201c\u201d.,;:]+$/g, '')
        .replace(/[\u2010-\u2015\u2212]/g, '-');
  return plain.trim().toUpperCase().replace(/[-\s]+/g, '_');
}

export function allCodes(): string[] {
  return [...byCode.keys()];
}

/**
 * Every variant of a code, in catalogue order; empty when the code is unknown. The code as the API
 * spells it: an answer's `device_offline` is no code the API has, so it is not DEVICE_OFFLINE
 * (README, Errors); what a person types goes through normaliseCode first.
 */
export function entriesFor(code: string): CatalogueEntry[] {
  return byCode.get(code) ?? (/^[A-Z0-9_]*$/.test(code) ? undefined : byCode.get(withoutInvisible(code))) ?? [];
}

/**
 * A code with what a terminal does not show taken out (a zero-width space, an escape): shown
 * scrubbed, `DEVICE_\u200bOFFLINE` reads DEVICE_OFFLINE, and is taken for it, as `amps decode`
 * (which scrubs what it reads first) takes it. Its case is the API's: `device_offline` is not it.
 */
export function withoutInvisible(code: string): string {
  return code.replace((notOfTheCode ??= new RegExp(`${ESCAPE_SEQUENCE}|[${INVISIBLE_CHARACTERS}]|${TAG_CHARACTER}`, 'g')), '');
}

export function isKnownCode(code: string): boolean {
  return byCode.has(code);
}

export function entriesWithStatus(status: number): CatalogueEntry[] {
  return CATALOGUE.filter((e) => e.http === status || e.alsoHttp?.includes(status));
}

function messagePattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[a-zA-Z]+\\?\}/g, '.+?');
  return new RegExp(`^${escaped}$`);
}

/** Each entry's wordings as patterns, made on first use: most runs decode no error at all. */
const patterns = new Map<CatalogueEntry, RegExp[]>();

/** True when `message` is one of the entry's documented wordings (placeholders as wildcards). */
export function messageMatches(entry: CatalogueEntry, message: string): boolean {
  let list = patterns.get(entry);
  if (!list) patterns.set(entry, (list = [entry.message, ...(entry.alsoMessages ?? [])].map(messagePattern)));
  return list.some((pattern) => pattern.test(message));
}

/**
 * Picks the variant a response means (decision 3): the exact canonical message first, then the
 * HTTP status, then the first variant. Undefined when the code is not in the catalogue.
 */
export function variantFor(code: string, message: string | undefined, status: number | undefined, path?: string): CatalogueEntry | undefined {
  const variants = entriesFor(code);
  if (variants.length <= 1) return variants[0];
  if (message !== undefined) {
    const byMessage = variants.find((e) => messageMatches(e, message));
    if (byMessage) return byMessage;
  }
  if (path !== undefined) {
    // The variant whose path pattern holds with the most segments (`/*/*/schedule` before `/`).
    const segments = path.split('?')[0].split('/').filter(Boolean);
    const holds = (pattern: string) => pattern.split('/').filter(Boolean).every((want, i) => i < segments.length && (want === '*' || want === segments[i]));
    const byPath = variants
      .flatMap((e) => (e.paths ?? []).filter(holds).map((pattern) => ({ e, length: pattern.split('/').filter(Boolean).length })))
      .sort((a, b) => b.length - a.length)[0];
    if (byPath) return byPath.e;
  }
  if (status !== undefined) {
    const byStatus = variants.find((e) => e.http === status);
    if (byStatus) return byStatus;
  }
  return variants[0];
}

/**
 * A code as a manufacturer answers it: the variant on the docs' error-codes page, else its only
 * (or first) one. What the sandbox's failure directive rehearses, at the request or at dispatch.
 */
export function manufacturerVariant(code: string): CatalogueEntry | undefined {
  const variants = entriesFor(code);
  return variants.find((e) => e.docsPage) ?? variants[0];
}

/** Fills a message template's `{name}` slots from details (arrays joined), for servers and tests. */
export function fillMessage(entry: CatalogueEntry, values: Record<string, unknown> = {}): string {
  return entry.message.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return Array.isArray(value) ? value.join('`, `') : String(value);
  });
}

/** The closest known codes to a mistyped one: near by edit distance, or sharing a word. */
/** The nearest codes to a mistyped one; `alsoCodes` adds codes from outside the catalogue (amps' own). */
export function suggestCodes(input: string, limit = 3, alsoCodes: readonly string[] = []): string[] {
  const wanted = normaliseCode(input);
  const words = new Set(wanted.split('_').filter((w) => w.length > 2));
  return [...allCodes(), ...alsoCodes]
    .map((code) => {
      const distance = editDistance(wanted, code);
      const sharesWord = code.split('_').some((w) => words.has(w));
      // Sharing a whole word (`offline` -> DEVICE_OFFLINE) counts as near, ranked by distance.
      return { code, score: sharesWord ? 1 + distance / 100 : distance };
    })
    .filter((c) => c.score <= Math.max(3, wanted.length / 2))
    .sort((a, b) => a.score - b.score || a.code.localeCompare(b.code))
    .slice(0, limit)
    .map((c) => c.code);
}

/**
 * How a followed action ended, as an exit code: 0 completed (8 when --verify found the state did
 * not follow), 5 cancelled, a failure by its code's class, 10 still pending when the wait ended.
 */
export function outcomeExitCode(state: string, errorCode: string | null, effect: 'shown' | 'drift' | null = null): ExitCode {
  if (state === 'completed') return effect === 'drift' ? EXIT.unclassified : EXIT.ok;
  if (state === 'cancelled') return EXIT.conflict;
  // A failure after the API accepted the action is the manufacturer's answer (dispatch): its meaning of the code.
  if (state === 'failed') {
    const entry = manufacturerVariant(errorCode ?? 'UNKNOWN_ERROR');
    return RETRY_CLASSES[entry?.retryClass ?? 'once_then_escalate'].exitCode;
  }
  return EXIT.accepted;
}

