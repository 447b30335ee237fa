// Renderers: a DecodedError as human text for a terminal or a pipe, or as JSON. `details` goes
// through a formatter keyed by code; anything without one gets the generic formatter. Every string
// from the response is scrubbed before it is printed.

import { CATEGORY_LABELS, entriesWithStatus, whatToDoFields } from '../errors/catalogue.js';
import { type DecodedError, isWaitSeconds, localCode } from '../errors/decode.js';
import { STRATEGIES } from '../contract/actions.js';
import { RETRY_CLASSES } from '../errors/retry-classes.js';
import { formatTable } from './table.js';
import type { IO } from './io.js';
import type { Style } from './style.js';
import { fieldLines, safeToPrint, scrub, show, truncate } from './text.js';
import { formatDuration } from '../domain/duration.js';
import { readApiTime, ZONELESS_READ } from '../contract/api-time.js';
import { bounded, isRecord, JSON_BOUNDS, omittedItems, TEXT_BOUNDS, wasCut } from '../lib/values.js';

/** A wait the server asks for, in words (`90 s`, `2.5 h`); past a day it is no plan amps follows. */
function retryAfterText(seconds: number): string {
  // A negative wait is a number, and no wait at all: the backoff applies (README, Retries).
  if (Number.isFinite(seconds) && seconds < 0) return `${seconds} s, a negative wait, which is none (the backoff applies)`;
  if (!isWaitSeconds(seconds)) return 'not a number of seconds';
  if (seconds > 86_400) return 'more than a day (as sent; amps never waits that long)';
  return formatDuration(Math.round(seconds * 1000));
}

export interface RenderContext {
  style: Style;
  tty: boolean;
  columns?: number;
  /** The error is amps' preflight check's: nothing was sent, so a value is what would have been. */
  preflight?: boolean;
}

type Details = Record<string, unknown>;
type DetailsFormatter = (details: Details, ctx: RenderContext) => Promise<string[]> | string[];

const MAX_VALUE_LENGTH = TEXT_BOUNDS.string;
const MAX_ARRAY_ITEMS = TEXT_BOUNDS.items;
const MAX_DEPTH = 4;


// The details reach these views bounded (detailsLines): a string already cut says by how much, and
// a cut array ends with the count of what it left out.

function cut(value: unknown): string {
  if (typeof value === 'string' && wasCut(value, MAX_VALUE_LENGTH)) return show(value).replace(/ more characters\)$/, ' more characters; --json shows all)');
  return truncate(show(value), MAX_VALUE_LENGTH);
}

/** The items to show, and how many more there were. */
function shownItems(value: readonly unknown[]): { items: readonly unknown[]; more: number } {
  const omitted = omittedItems(value);
  const items = omitted ? value.slice(0, -1) : value;
  return { items: items.slice(0, MAX_ARRAY_ITEMS), more: omitted + Math.max(0, items.length - MAX_ARRAY_ITEMS) };
}

function list(value: unknown): string {
  if (!Array.isArray(value)) return cut(value);
  const { items, more } = shownItems(value);
  if (items.length === 0 && !more) return '(none)';
  const shown = items.map((v) => cut(v)).join(', ');
  return more ? `${shown}, … ${more} more` : shown;
}

/** Generic and readable: nested objects indent, arrays of objects become items, long values are cut. */
function formatGeneric(value: unknown, indent = '', depth = 0): string[] {
  if (!isRecord(value) && !Array.isArray(value)) return [`${indent}${cut(value)}`];
  if (depth >= MAX_DEPTH) return [`${indent}${truncate(show(value), MAX_VALUE_LENGTH)}`];
  const lines: string[] = [];
  if (Array.isArray(value)) {
    const { items, more } = shownItems(value);
    for (const item of items) {
      const inner = formatGeneric(item, `${indent}  `, depth + 1);
      lines.push(`${indent}- ${inner[0]?.trimStart() ?? ''}`, ...inner.slice(1));
    }
    if (more) lines.push(`${indent}… ${more} more items (--json shows all)`);
    return lines;
  }
  for (const [key, inner] of Object.entries(value)) {
    const label = scrub(key);
    const scalarArray = Array.isArray(inner) && inner.every((v) => !isRecord(v) && !Array.isArray(v));
    if ((isRecord(inner) && Object.keys(inner).length > 0) || (Array.isArray(inner) && !scalarArray)) {
      lines.push(`${indent}${label}:`, ...formatGeneric(inner, `${indent}  `, depth + 1));
    } else {
      lines.push(`${indent}${label}: ${scalarArray ? list(inner) || '(none)' : cut(inner)}`);
    }
  }
  return lines;
}

/**
 * What the response lists, and whether amps can send any of it; nothing when it lists nothing (the
 * strategies then come from elsewhere: errors/strategies.ts).
 */
function strategiesLine(strategies: unknown): string[] {
  if (strategies === undefined) return [];
  if (!Array.isArray(strategies)) return [`Strategies on offer: none readable (${cut(strategies)}, not a list)`];
  if (strategies.length === 0) return ['Strategies on offer: none (onConflict cannot resolve this)'];
  const unsendable = strategies.filter((s) => !(STRATEGIES as readonly unknown[]).includes(s));
  if (unsendable.length === 0) return [`Strategies on offer: ${list(strategies)}`];
  const which = unsendable.length === strategies.length ? 'none amps can send' : `amps cannot send ${list(unsendable)}`;
  return [`Strategies on offer: ${list(strategies)} (${which}: onConflict takes ${STRATEGIES.join(' or ')})`];
}

function capabilitySubset(details: Details): string[] {
  const caps = details.deviceCapabilities;
  if (!isRecord(caps)) return [];
  const lines: string[] = [];
  for (const [key, label] of [
    ['supportedModes', 'Device supports commands'],
    ['supportedParameters', 'Device supports parameters'],
    ['supportedActions', 'Device supports actions'],
  ] as const) {
    if (caps[key] !== undefined) lines.push(`${label}: ${list(caps[key])}`);
  }
  return lines;
}

function rangeLines(details: Details, nameKey: 'parameter' | 'setting', ctx: RenderContext): string[] {
  const unit = details.unit !== undefined ? ` ${show(details.unit)}` : '';
  return [
    `${nameKey === 'parameter' ? 'Parameter' : 'Setting'}: ${cut(details[nameKey])}`,
    // Above "nothing was sent", a preflight's value is what would have gone.
    `${ctx.preflight ? 'Would send' : 'Sent'}: ${cut(details.value)}${unit}`,
    `Supported range: ${cut(details.min)} to ${cut(details.max)}${unit}`,
  ];
}

async function schedulerActiveLines(details: Details, ctx: RenderContext): Promise<string[]> {
  // Details come bounded (TEXT_BOUNDS): a long list's last item says how many more it held.
  const { items: groups, more } = Array.isArray(details.overlappingGroups) ? shownItems(details.overlappingGroups) : { items: [], more: 0 };
  const rows = groups.filter(isRecord).map((g) => [cut(g.groupId), cut(g.start), cut(g.end), cut(g.mode), cut(g.source)]);
  const lines: string[] = [];
  if (details.reason !== undefined) lines.push(`Reason: ${cut(details.reason)}`);
  if (details.description !== undefined) lines.push(cut(details.description));
  // A count only of what the answer listed (or counted): "0" would say what it never said.
  const inAll = details.existingGroupCount !== undefined ? ` (the device holds ${cut(details.existingGroupCount)} in all)` : '';
  if (details.overlappingGroups !== undefined && !Array.isArray(details.overlappingGroups)) {
    lines.push(`Overlapping schedule groups: ${cut(details.overlappingGroups)} (not a list)${inAll}`);
  } else if (details.overlappingGroups !== undefined) {
    const notGroups = groups.length - rows.length;
    lines.push(`Overlapping schedule groups: ${groups.length + more}${notGroups > 0 ? `, ${notGroups} of them not a group (--json shows them)` : ''}${inAll}`);
  } else if (details.existingGroupCount !== undefined) {
    lines.push(`Schedule groups on the device: ${cut(details.existingGroupCount)}`);
  }
  if (rows.length > 0) {
    const table = await formatTable(['group', 'start', 'end', 'mode', 'source'], rows, { ...ctx, tty: true });
    lines.push(...table.trimEnd().split('\n'));
    if (more > 0) lines.push(`… ${more} more (--json shows all)`);
  }
  lines.push(...strategiesLine(details.recoveryStrategies));
  if (details.detectedAt !== undefined) lines.push(`Detected at: ${cut(details.detectedAt)}`);
  return lines;
}

/** A per-code details formatter, with the fields it renders; any other field is shown generically. */
interface DetailsView {
  fields: readonly string[];
  lines: DetailsFormatter;
}

const SCHEDULER_FIELDS = ['reason', 'description', 'overlappingGroups', 'existingGroupCount', 'recoveryStrategies', 'detectedAt'];
const RANGE_FIELDS = ['value', 'min', 'max', 'unit'];
const retryAfter: DetailsView = {
  fields: ['retryAfterSeconds'],
  // Only a number is a wait amps honours (`"30"` is not): anything else is shown as what it is.
  lines: (d) => (d.retryAfterSeconds !== undefined ? [`Retry after: ${typeof d.retryAfterSeconds === 'number' ? retryAfterText(d.retryAfterSeconds) : `not a number of seconds (${typeof d.retryAfterSeconds === 'string' ? `the text "${cut(d.retryAfterSeconds)}"` : d.retryAfterSeconds === null ? 'null' : cut(d.retryAfterSeconds)})`}`] : []),
};

const FORMATTERS: Record<string, DetailsView> = {
  SCHEDULER_ACTIVE: { fields: SCHEDULER_FIELDS, lines: schedulerActiveLines },
  CONFLICT: {
    fields: ['reason', 'conflictingActionIds', 'strategies'],
    lines: (d) => [
      ...(d.reason !== undefined ? [`Reason: ${cut(d.reason)}`] : []),
      `Conflicting actions: ${list(d.conflictingActionIds) || '(none listed)'}`,
      ...strategiesLine(d.strategies),
    ],
  },
  RATE_LIMITED: retryAfter,
  RATE_LIMIT_EXCEEDED: retryAfter,
  UNSUPPORTED_MODE: { fields: ['command', 'deviceCapabilities'], lines: (d) => [`Command sent: ${cut(d.command)}`, ...capabilitySubset(d)] },
  UNSUPPORTED_PARAMETER: {
    fields: ['unsupportedParameters', 'deviceCapabilities'],
    lines: (d) => [`Unsupported parameters: ${list(d.unsupportedParameters)}`, ...capabilitySubset(d)],
  },
  UNSUPPORTED_UNIT: {
    fields: ['parameter', 'providedUnit', 'supportedUnits'],
    lines: (d) => [`Parameter: ${cut(d.parameter)}`, `Unit sent: ${cut(d.providedUnit)}`, `Supported units: ${list(d.supportedUnits)}`],
  },
  UNSUPPORTED_SETTING: {
    fields: ['unsupportedSettings', 'supportedSettings'],
    lines: (d) => [`Unsupported settings: ${list(d.unsupportedSettings)}`, `Supported settings: ${list(d.supportedSettings)}`],
  },
  READ_ONLY_SETTING: { fields: ['settings'], lines: (d) => [`Read-only settings: ${list(d.settings)}`] },
  PARAMETER_OUT_OF_RANGE: { fields: ['parameter', ...RANGE_FIELDS], lines: (d, ctx) => rangeLines(d, 'parameter', ctx) },
  SETTING_OUT_OF_RANGE: { fields: ['setting', ...RANGE_FIELDS], lines: (d, ctx) => rangeLines(d, 'setting', ctx) },
  EXECUTION_NOT_SUPPORTED: {
    fields: ['requestedExecution', 'supportedExecution'],
    lines: (d) => [`Requested execution: ${cut(d.requestedExecution)}`, `Supported execution: ${list(d.supportedExecution)}`],
  },
  INVALID_TIME_WINDOW: {
    fields: ['reason', 'start', 'end'],
    lines: (d) => [
      `Reason: ${cut(d.reason)}`,
      ...(d.start !== undefined ? [`Start: ${cut(d.start)}`] : []),
      ...(d.end !== undefined ? [`End: ${cut(d.end)}`] : []),
    ],
  },
  VALIDATION_ERROR: {
    fields: ['fields'],
    // d.fields is already bounded: its last item may be the note of how many more there were.
    // Without a list of fields, the details' other keys are shown once, as the rest (detailsLines).
    lines: (d) => (Array.isArray(d.fields) ? d.fields.map((f) => (isRecord(f) ? `Field ${cut(f.path)}: ${cut(f.problem)}` : cut(f))) : d.fields !== undefined ? formatGeneric({ fields: d.fields }) : []),
  },
};

async function detailsLines(decoded: DecodedError, ctx: RenderContext): Promise<string[]> {
  // Bounded first: every formatter below sees at most a screenful, however large the response.
  const details = bounded(decoded.details, TEXT_BOUNDS);
  if (details === undefined || details === null) return [];
  if (isRecord(details) && Object.keys(details).length === 0) return [];
  const view = FORMATTERS[decoded.code];
  if (view && isRecord(details)) {
    try {
      const lines = await view.lines(details, ctx);
      // Fields the formatter does not render still reach the operator.
      const extra = Object.keys(details).filter((k) => !view.fields.includes(k));
      return extra.length === 0 ? lines : [...lines, ...formatGeneric(Object.fromEntries(extra.map((k) => [k, details[k]])))];
    } catch {
      // A formatter must never hide the error it was asked to show.
    }
  }
  return formatGeneric(details);
}

// Decision 3: a code with two meanings says which party it is about.
const PARTY_TEXT = {
  request: 'the request (change what was sent)',
  platform: 'the Amps platform',
  manufacturer: 'the device manufacturer',
} as const;

/** The full human rendering, ending with the line that points to `amps explain`. */
export async function renderErrorText(decoded: DecodedError, ctx: RenderContext): Promise<string> {
  const { style } = ctx;
  const entry = decoded.entry;
  const headline = [
    style.red(style.bold(`✖ ${scrub(decoded.code)}`)),
    decoded.status !== null ? `HTTP ${decoded.status}` : decoded.shape === 'action' ? `failed action${decoded.actionId ? ` ${scrub(decoded.actionId)}` : ''}` : 'no HTTP response',
    entry ? CATEGORY_LABELS[entry.category] : decoded.shape === 'transport' ? 'Transport' : 'Not in the catalogue',
  ].join(style.dim(' · '));
  const lines = [headline, `  ${truncate(scrub(decoded.message), 500)}`];

  if (!decoded.known && decoded.shape !== 'transport' && decoded.shape !== 'preflight') {
    lines.push(
      decoded.shape === 'non_envelope'
        ? `  The response was ${decoded.problem ? scrub(decoded.problem) : 'not an Amps error envelope'}; ${decoded.code === 'INVALID_RESPONSE' ? 'a success status with no result amps can use' : 'classified from its HTTP status'}.`
        : '  This code is not in the amps catalogue; treated as UNKNOWN_ERROR (retry once, then escalate).',
    );
    // The decoder made the excerpt (its page title and the first 200 characters, `…` where it cut):
    // cut again here, its count of what was left out would be of the excerpt, not of the body.
    if (decoded.bodyExcerpt) lines.push(`  Body: ${scrub(decoded.bodyExcerpt)}`);
  }
  if (decoded.shape === 'action' && decoded.problem) lines.push(`  ${scrub(decoded.problem)}.`);
  if (decoded.truncated) lines.push('  The body was cut off before its end; the code and message above are what arrived.');
  if (decoded.notUtf8) lines.push('  The body was not UTF-8 text: each \uFFFD above stands for bytes amps could not read.');
  if (entry) lines.push(`  ${style.dim(`From: ${PARTY_TEXT[entry.party]}${entry.variant ? ` (${entry.variant} meaning of ${entry.code})` : ''}`)}`);
  const retry = RETRY_CLASSES[decoded.retryClass];
  lines.push('');
  // The docs' words are quoted and say so; amps' own advice (its class, its note) is labelled as
  // amps', as `amps explain` shows them.
  const whatToDo = entry ? (entry.docsPage ? `“${entry.whatToDo}” (Amps docs)` : entry.whatToDo) : decoded.whatToDo;
  if (whatToDo) lines.push(`  ${style.bold('What to do:')} ${whatToDo}`);
  if (entry?.retryQuote) lines.push(`  ${style.bold('When to retry:')} “${entry.retryQuote}” (Amps docs)`);
  lines.push(`  ${style.bold('amps class:')} ${retry.label}: ${retry.guidance}`);
  if (entry?.note) lines.push(`  ${style.bold('amps note:')} ${entry.note}`);
  const documented = documentedStatusOf(decoded);
  if (documented !== undefined) lines.push(`  ${style.bold('amps note:')} the docs give ${scrub(decoded.code)} with HTTP ${documented}; this one came with ${decoded.status}.`);
  if (decoded.retryAfterSeconds !== undefined) lines.push(`  ${style.bold('Retry after:')} ${retryAfterText(decoded.retryAfterSeconds)}`);
  if (decoded.retryWithheld) lines.push(`  ${style.bold('amps note:')} ${decoded.retryWithheld}`);

  const details = await detailsLines(decoded, { ...ctx, preflight: decoded.shape === 'preflight' });
  if (details.length > 0) lines.push('', `  ${style.bold('Details')}`, ...details.map((l) => `    ${l}`));

  if (decoded.shape !== 'transport' && decoded.shape !== 'preflight' && decoded.shape !== 'action') {
    lines.push(
      '',
      ...fieldLines(
        [
          ['Request ID', decoded.requestId ? scrub(decoded.requestId) : '(none in the response)'],
          ['Path', decoded.path ? scrub(decoded.path) : '-'],
          // Quoted as sent; one without a zone says how amps reads it (UTC, as the docs' answers are), as every time from the API shown does.
          ['Timestamp', decoded.timestamp ? `${scrub(decoded.timestamp)}${readApiTime(decoded.timestamp)?.zoned === false ? ` ${ZONELESS_READ}` : ''}` : '-'],
        ],
        '  ',
      ),
    );
    const quote = [decoded.requestId && `requestId=${scrub(decoded.requestId)}`, decoded.path && `path=${scrub(decoded.path)}`]
      .filter(Boolean)
      .join(' ');
    if (quote) lines.push(`  Escalating? Quote: ${quote}`);
  }
  // Below HTTP there is no API code to explain; doctor checks the way there (DNS, TCP, TLS, proxy).
  // A response that was no Amps error (a proxy's page) has no code to explain, and UNKNOWN_ERROR's
  // advice would contradict its status's class: the codes of its status are the lead, if any.
  const noCode = decoded.shape === 'non_envelope';
  const more = decoded.shape === 'transport'
    ? 'amps doctor (DNS, TCP, TLS and the proxy, checked one by one)'
    : noCode
      ? [localCode(decoded.code) ? `amps explain ${decoded.code}` : undefined, decoded.status !== null && entriesWithStatus(decoded.status).length > 0 ? `amps explain ${decoded.status} (the codes the API sends with HTTP ${decoded.status}; this answer named none)` : undefined].filter(Boolean).join('; ') || undefined
      : `amps explain ${decoded.known || localCode(decoded.code) ? decoded.code : 'UNKNOWN_ERROR'}`;
  if (more) lines.push(style.dim(`  More: ${more}`));
  return `${lines.join('\n')}\n`;
}

/** Writes the human rendering to stderr (or stdout, where the error is the data: amps decode), styled for that stream. */
export async function writeErrorText(io: IO, decoded: DecodedError, to: 'stderr' | 'stdout' = 'stderr'): Promise<void> {
  const clean = withoutKeyShapes(decoded);
  const text = to === 'stderr'
    ? await renderErrorText(clean, { style: io.err, tty: io.stderrIsTTY, columns: io.columns })
    : await renderErrorText(clean, { style: io.out, tty: io.stdoutIsTTY, columns: io.columns });
  io[to].write(text);
}

/**
 * The error with every key shape in what came from outside replaced (a preflight's details carry
 * what was typed: a key pasted as a command or a parameter name), as its --json is; the
 * catalogue's own entry holds none. Scrubbed first, since taking out a control character or an
 * escape can join a key's halves; redacted before styling, which would hide a key's start.
 */
function withoutKeyShapes(decoded: DecodedError): DecodedError {
  // Only as deep as text shows (TEXT_BOUNDS): details may nest deeper than the stack goes.
  const clean = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return safeToPrint(value, true);
    if (depth > TEXT_BOUNDS.depth) return value;
    if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1));
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([name, item]) => [safeToPrint(name, true), clean(item, depth + 1)]));
    return value;
  };
  const { entry, ...rest } = decoded;
  return { ...(clean(rest, -1) as Omit<DecodedError, 'entry'>), entry };
}

/**
 * The status the docs give a catalogued code, where the answer came with another (a 409 carrying
 * DEVICE_OFFLINE, which the docs give as 410): said, since support asks which the API sent. A
 * status the docs also give it (RATE_LIMIT_EXCEEDED's 401 beside its 429) is none of that.
 */
function documentedStatusOf(decoded: DecodedError): number | undefined {
  const entry = decoded.entry;
  if (!entry || decoded.status === null || (decoded.shape !== 'envelope' && decoded.shape !== 'unwrapped')) return undefined;
  if (entry.http === decoded.status || entry.alsoHttp?.includes(decoded.status)) return undefined;
  return entry.http;
}

/** The JSON rendering: stable keys, raw values (JSON escaping keeps it safe). */
export function errorToJson(decoded: DecodedError): Record<string, unknown> {
  const retry = RETRY_CLASSES[decoded.retryClass];
  return {
    error: {
      code: decoded.code,
      status: decoded.status,
      message: decoded.message,
      known: decoded.known,
      variant: decoded.entry?.variant ?? null,
      category: decoded.entry?.category ?? null,
      party: decoded.entry?.party ?? null,
      shape: decoded.shape,
      retryClass: decoded.retryClass,
      retry: retry.guidance,
      retryQuote: decoded.entry?.retryQuote ?? null,
      // The docs' words only (the error-codes page's, quoted); amps' own advice apart, as in text.
      ...(decoded.entry ? whatToDoFields(decoded.entry) : { whatToDo: null, ampsWhatToDo: decoded.whatToDo ?? null }),
      note: decoded.entry?.note ?? null,
      documentedStatus: documentedStatusOf(decoded) ?? null,
      exitCode: decoded.exitCode,
      details: decoded.details === undefined ? null : bounded(decoded.details, JSON_BOUNDS),
      retryAfterSeconds: decoded.retryAfterSeconds ?? null,
      problem: decoded.problem ?? null,
      bodyExcerpt: decoded.bodyExcerpt ?? null,
      truncated: decoded.truncated ?? false,
      notUtf8: decoded.notUtf8 ?? false,
      actionId: decoded.actionId ?? null,
      retryWithheld: decoded.retryWithheld ?? null,
    },
    meta: {
      requestId: decoded.requestId ?? null,
      path: decoded.path ?? null,
      timestamp: decoded.timestamp ?? null,
    },
  };
}
