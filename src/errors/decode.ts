// The one shared decoder. Pure: (HTTP status, headers, body text) in, a structured result out.
// It never throws, whatever arrives: a proper envelope, an older unwrapped body, an HTML page from
// a proxy, an empty or truncated body, or JSON with the wrong types. Anything it cannot read as an
// Amps error is classified from the HTTP status alone.

import { type CatalogueEntry, entriesFor, fillMessage, manufacturerVariant, messageMatches, variantFor, withoutInvisible } from './catalogue.js';
import { RETRY_CLASSES, type RetryClass } from './retry-classes.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { requestIdText } from '../contract/ids.js';
import { isRecord, redactUrl } from '../lib/values.js';

export type Headers = Record<string, string | string[] | undefined>;

/** How the error reached us. */
export type ErrorShape = 'envelope' | 'unwrapped' | 'non_envelope' | 'transport' | 'preflight' | 'action';

export interface DecodedError {
  /** The canonical code; the raw code when unknown; `HTTP_<status>` for an unreadable body; a local code for transport failures. */
  code: string;
  status: number | null;
  message: string;
  entry: CatalogueEntry | null;
  /** amps' own advice, for a code of its own (a failure below HTTP, an answer it cannot use); the catalogue's is entry.whatToDo. */
  whatToDo?: string;
  /** True when the code is in the catalogue. */
  known: boolean;
  shape: ErrorShape;
  retryClass: RetryClass;
  exitCode: ExitCode;
  details?: unknown;
  requestId?: string;
  path?: string;
  timestamp?: string;
  retryAfterSeconds?: number;
  /** Why the body was not an Amps error envelope, in a few words. */
  problem?: string;
  /** The start of an unreadable body, for the operator to recognise it. */
  bodyExcerpt?: string;
  /** The body was cut off: the code and message were read from what arrived. */
  truncated?: boolean;
  /** The body's bytes were not UTF-8: its message and details show U+FFFD where they were. */
  notUtf8?: boolean;
  /** For a failed action record (shape `action`): the action's id. */
  actionId?: string;
  /** Retries were asked for and this one was not made: why (its wait would outlast --timeout). */
  retryWithheld?: string;
}

interface SuccessBody {
  data: unknown;
  meta: Record<string, unknown>;
}

type DecodedResponse = { ok: true; value: SuccessBody } | { ok: false; error: DecodedError };

export interface DecodeOptions {
  /** The clock used to turn an HTTP-date Retry-After into seconds. */
  now?: number;
  /** The request's path (API-relative): which meaning a code has where the message and `meta.path` do not say. */
  path?: string;
  /** A 2xx whose body is no JSON is the answer (data undefined), not INVALID_RESPONSE (`amps api`). */
  anyBody?: boolean;
  /** The body's bytes were not UTF-8 text (`body` holds them with replacement characters). */
  notUtf8?: boolean;
}

/**
 * What a body that could not be read is, where its headers say: compressed, though amps asks for
 * bodies uncompressed (Accept-Encoding: identity), or else `otherwise`.
 */
function unreadBody(headers: Headers, otherwise: string): string {
  const encoding = compressedWith(headers);
  return encoding ? `a body compressed with ${shortText(encoding, 40)}, though amps asks for bodies uncompressed` : otherwise;
}

function compressedWith(headers: Headers): string | undefined {
  const encoding = header(headers, 'content-encoding')?.trim().toLowerCase();
  return encoding && encoding !== 'identity' ? encoding : undefined;
}

/** An excerpt of a body to show, none where its bytes are not text (compressed, or not UTF-8): they would show as junk. */
function textExcerpt(body: string, headers: Headers, notUtf8 = false): string | undefined {
  return body.length > 0 && !notUtf8 && !compressedWith(headers) ? excerpt(body) : undefined;
}

const EXCERPT_LENGTH = 200;

/** A header's value, any case of its name; the first of a repeated one (the id to quote of two `x-request-id`s). */
export function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** A number of seconds a server may ask amps to wait: finite, not negative. */
export function isWaitSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const CLOCK = '\\d{2}:\\d{2}:\\d{2}';
/** The three spellings of an HTTP date (RFC 9110 §5.6.7): IMF-fixdate, RFC 850's, asctime's (UTC, said without a zone). */
const HTTP_DATE = new RegExp(`^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${CLOCK} GMT|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \\d{2}-${MONTH}-\\d{2} ${CLOCK} GMT|${DAY} ${MONTH} [ \\d]\\d ${CLOCK} \\d{4})$`);

/**
 * Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); anything else is no
 * Retry-After at all, so the usual backoff applies. Date.parse alone reads `-5`, `+5` or `x 2` as
 * dates of 2001, long past: a wait of 0, every retry at once.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = httpDateMs(trimmed);
  return date === undefined ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** An HTTP date (RFC 9110 §5.6.7, its three spellings) as an instant; undefined for anything else. */
function httpDateMs(value: string | undefined): number | undefined {
  const trimmed = value?.trim();
  if (trimmed === undefined || !HTTP_DATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed.endsWith(' GMT') ? trimmed : `${trimmed} GMT`);
  return Number.isNaN(date) ? undefined : date;
}


function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A short field of an answer (a code, a request id, a path, a timestamp) cut to `max` characters: a
 * server's megabyte there would otherwise be printed whole, in the error, the retry notice and the
 * line to quote. The message and details have bounds of their own where they are shown.
 */
function shortText(value: unknown, max = 200): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** The rate-limit codes: the platform's (per key) and the manufacturer's. One home for both client and batch. */
export const RATE_LIMIT_CODES: ReadonlySet<string> = new Set(['RATE_LIMIT_EXCEEDED', 'RATE_LIMITED']);

/** A rate limit, by its code or a bare 429. */
export function isRateLimit(decoded: Pick<DecodedError, 'code' | 'status'>): boolean {
  return RATE_LIMIT_CODES.has(decoded.code) || decoded.status === 429;
}

/** The retry class of a body we could not read as an Amps error, from its HTTP status. */
/** A 3xx that points elsewhere; a 304 answers a conditional request, which amps never makes. */
const isRedirect = (status: number | null) => status !== null && status >= 300 && status < 400 && status !== 304;

function retryClassForStatus(status: number | null): RetryClass {
  if (status === null) return 'backoff';
  if (status === 401 || status === 403) return 'fix_api_key';
  if (status === 409) return 'resolve_conflict';
  // A redirect is not followed (the key would go with it), and asked again it points there again:
  // the base URL is what to fix.
  if (isRedirect(status)) return 'fix_request';
  if (status === 429 || status === 502 || status === 503 || status === 504) return 'backoff';
  if (status >= 400 && status < 500) return 'fix_request';
  return 'once_then_escalate';
}

function classify(retryClass: RetryClass): { retryClass: RetryClass; exitCode: ExitCode } {
  return { retryClass, exitCode: RETRY_CLASSES[retryClass].exitCode };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    // A byte-order mark before the JSON may be ignored (RFC 8259 §8.1): read live, it made a whole
    // body "cut off" (an error's) or INVALID_RESPONSE (a success's), where decode read it whole.
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch {
    const trimmed = text.trimStart();
    if (trimmed.startsWith('<')) return { ok: false, problem: 'an HTML page, not JSON (often a proxy or gateway)' };
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) return { ok: false, problem: 'truncated or invalid JSON' };
    return { ok: false, problem: 'a body that is not JSON' };
  }
}

function excerpt(text: string): string {
  const title = shortText(/<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim());
  const flat = text.replace(/\s+/g, ' ').trim();
  const start = flat.length > EXCERPT_LENGTH ? `${flat.slice(0, EXCERPT_LENGTH)}…` : flat;
  return title ? `${title} — ${start}` : start;
}

function unreadable(status: number, problem: string, body: string, retryAfterSeconds: number | undefined, headers: Headers): DecodedError {
  return {
    code: `HTTP_${status}`,
    status,
    message: `HTTP ${status} with ${problem}`,
    entry: null,
    known: false,
    shape: 'non_envelope',
    ...classify(retryClassForStatus(status)),
    problem,
    bodyExcerpt: textExcerpt(body, headers),
    retryAfterSeconds,
    // A gateway's page has no meta: the header is the id to quote.
    requestId: shortText(header(headers, 'x-request-id')),
  };
}

interface ErrorFields {
  code: string;
  message: string | undefined;
  /** What the body had as its message when that is no text (a number, an object): said as such, never as none. */
  otherMessage?: unknown;
  details: unknown;
  meta: Record<string, unknown>;
  shape: ErrorShape;
}

/** Finds the error in any of the shapes the API has used. */
function errorFields(body: unknown): ErrorFields | undefined {
  if (!isRecord(body)) return undefined;
  const meta = isRecord(body.meta) ? body.meta : {};
  const error = body.error;
  if (isRecord(error) && typeof error.code === 'string' && error.code !== '') {
    return {
      // What a terminal does not show taken out once, here: every reader of the code (the ledger,
      // a rerun's grep, the rate limit's pause, the conflict resolver) sees the code it reads as.
      code: shortText(withoutInvisible(error.code), 100)!,
      message: asString(error.message),
      otherMessage: error.message,
      details: error.details,
      meta,
      shape: body.success === false ? 'envelope' : 'unwrapped',
    };
  }
  // Older bodies: { error: "CODE", message } and { code, message, details }.
  if (typeof error === 'string' && /^[A-Z][A-Z0-9_]+$/.test(error)) {
    return { code: error, message: asString(body.message), otherMessage: body.message, details: body.details, meta, shape: 'unwrapped' };
  }
  if (typeof body.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(body.code)) {
    return { code: body.code, message: asString(body.message), otherMessage: body.message, details: body.details, meta, shape: 'unwrapped' };
  }
  return undefined;
}

/**
 * The HTTP status a saved body without one was sent with: the status its code is catalogued
 * with (its variant picked by message). Undefined when the body names no catalogued code.
 */
export function catalogueStatusOf(body: string): number | undefined {
  const code = errorCodeIn(body);
  if (!code) return undefined;
  const variants = entriesFor(code.code);
  // A code whose meanings come with different statuses: only its message can say which it is.
  if (new Set(variants.map((e) => e.http)).size > 1) return code.message !== undefined ? variants.find((e) => messageMatches(e, code.message!))?.http : undefined;
  return variants[0]?.http;
}

/**
 * Said where an answer carried no message, or one that is no text (`"message": 12`): never the
 * catalogue's words passed off as the answer's.
 */
function noMessage(what: 'response' | 'action', entry: CatalogueEntry | null | undefined, other?: unknown): string {
  const kind = other === undefined || other === null ? undefined : Array.isArray(other) ? 'a list' : typeof other === 'object' ? 'an object' : shortText(String(other), 40);
  const said = kind === undefined ? `the ${what} carried no message` : `the ${what}'s message was not text (${kind})`;
  return entry ? `(${said}; the catalogue's for ${entry.code}: ${entry.message})` : `(${said})`;
}

/** The error code a body names (whole, or cut off), whether or not the catalogue knows it. */
export function errorCodeIn(body: string): { code: string; message?: string } | undefined {
  const parsed = parseJson(body);
  const fields = parsed.ok ? errorFields(parsed.value) : salvageTruncated(body);
  return fields ? { code: fields.code, message: fields.message } : undefined;
}

function fromFields(status: number, fields: ErrorFields, retryAfterHeader: number | undefined, headers: Headers = {}, requestPath?: string): DecodedError {
  const entry = variantFor(fields.code, fields.message, status, asString(fields.meta.path) ?? requestPath) ?? null;
  // A wait of seconds, or none: a negative or endless one would be waited as such (the view says why it was not).
  const detailsRetry = isRecord(fields.details) && isWaitSeconds(fields.details.retryAfterSeconds) ? fields.details.retryAfterSeconds : undefined;
  return {
    code: fields.code,
    status,
    message: fields.message ?? noMessage('response', entry, fields.otherMessage),
    entry,
    known: entry !== null,
    shape: fields.shape,
    ...classify(entry ? entry.retryClass : 'once_then_escalate'),
    details: fields.details,
    // The envelope's id, else the response header's (a body cut off before its meta still has it).
    requestId: shortText(requestIdText(fields.meta.requestId) ?? header(headers, 'x-request-id')),
    path: shortText(fields.meta.path),
    timestamp: shortText(fields.meta.timestamp),
    retryAfterSeconds: retryAfterHeader ?? detailsRetry,
  };
}

/** The first string field `name` in JSON that may be cut off after it: its value, unescaped. */
function quotedField(body: string, name: string): string | undefined {
  const match = new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){0,2000})"`).exec(body)?.[1];
  if (match === undefined) return undefined;
  try {
    return JSON.parse(`"${match}"`) as string;
  } catch {
    return undefined;
  }
}

/**
 * What can be read from JSON cut off mid-way: the error's code and message (and meta ids) when they
 * arrived before the cut. Undefined when no code did.
 */
function salvageTruncated(body: string): ErrorFields | undefined {
  const text = (name: string) => quotedField(body, name);
  const code = text('code') ?? (/"error"\s*:\s*"([A-Z][A-Z0-9_]+)"/.exec(body)?.[1]);
  if (!code || !/^[A-Z][A-Z0-9_]+$/.test(code)) return undefined;
  const meta: Record<string, unknown> = {};
  for (const name of ['requestId', 'path', 'timestamp']) {
    const value = text(name);
    if (value !== undefined) meta[name] = value;
  }
  return { code, message: text('message') ?? cutOffField(body, 'message'), details: undefined, meta, shape: 'envelope' };
}

/** A string field the cut fell inside: what arrived of it (less an escape cut in two), marked as cut. */
function cutOffField(body: string, name: string): string | undefined {
  const match = new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){0,2000}\\\\?)$`).exec(body)?.[1];
  if (match === undefined) return undefined;
  for (const arrived of [match, match.replace(/\\u[0-9a-fA-F]{0,3}$/, ''), match.slice(0, -1)]) {
    try {
      return `${JSON.parse(`"${arrived}"`) as string}… (cut off)`;
    } catch {
      // An escape cut in two: try without it.
    }
  }
  return undefined;
}

/** Decodes a response whose status says it failed (or whose body says so). */
export function decodeError(status: number, headers: Headers, body: string, options: DecodeOptions = {}): DecodedError {
  // A Retry-After date is the server's: how far off it lies is read on the server's clock (its Date
  // header, sent with it), not this machine's, which may stand an hour from it (a wait of none, or
  // one refused as longer than amps waits).
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'), httpDateMs(header(headers, 'date')) ?? options.now ?? Date.now());
  if (isRedirect(status)) {
    // Where it points is what the operator needs, to fix the base URL.
    const location = header(headers, 'location');
    const to = location ? `a redirect to ${shortText(redactUrl(location), 200)}` : 'a redirect';
    return unreadable(status, `${to}, which amps does not follow (the key would go with it); if the API moved, configure its new base URL`, body, undefined, headers);
  }
  if (body.trim() === '') return unreadable(status, 'an empty body', body, retryAfter, headers);
  const parsed = parseJson(body);
  if (!parsed.ok) {
    const salvaged = parsed.problem === 'truncated or invalid JSON' ? salvageTruncated(body) : undefined;
    if (salvaged) return { ...fromFields(status, salvaged, retryAfter, headers, options.path), truncated: true, problem: 'JSON cut off before its end; the code and message were read from what arrived', ...(options.notUtf8 ? { notUtf8: true } : {}) };
    return unreadable(status, unreadBody(headers, parsed.problem), body, retryAfter, headers);
  }
  const fields = errorFields(parsed.value);
  if (!fields) {
    // An envelope without a code still names its request (meta.requestId): the id to quote when escalating.
    const meta = isRecord(parsed.value) && isRecord(parsed.value.meta) ? parsed.value.meta : {};
    const unread = unreadable(status, 'JSON that is not an Amps error', body, retryAfter, headers);
    return { ...unread, requestId: shortText(requestIdText(meta.requestId)) ?? unread.requestId };
  }
  const decoded = fromFields(status, fields, retryAfter, headers, options.path);
  // A message in Latin-1 reads with replacement characters: said, so none is taken for the API's words.
  return options.notUtf8 ? { ...decoded, notUtf8: true } : decoded;
}

/** Decodes any response: a success body, or the error it carries. */
export function decodeResponse(status: number, headers: Headers, body: string, options: DecodeOptions = {}): DecodedResponse {
  if (status < 200 || status >= 300) return { ok: false, error: decodeError(status, headers, body, options) };
  // No body is a success with no data (a 204); a body, even on a 204, is read like any other.
  if (body.trim() === '') return { ok: true, value: { data: null, meta: {} } };
  // A success status says the request was taken, whatever followed it: never advice to send it again.
  // Bytes that are not UTF-8 text cannot be shown as the answer, not even by `amps api`: what it
  // printed would be other bytes than the server's.
  if (options.notUtf8) return { ok: false, error: { ...invalidSuccess(status, unreadBody(headers, 'a body that is not UTF-8 text'), header(headers, 'x-request-id')), bodyExcerpt: textExcerpt(body, headers, true) } };
  const parsed = parseJson(body);
  if (!parsed.ok) {
    if (options.anyBody) return { ok: true, value: { data: undefined, meta: {} } };
    return { ok: false, error: { ...invalidSuccess(status, unreadBody(headers, parsed.problem), header(headers, 'x-request-id')), bodyExcerpt: textExcerpt(body, headers) } };
  }
  const value = parsed.value;
  if (isRecord(value) && value.success === false) {
    // A success status with a failed envelope contradicts itself: the status says the request was
    // taken, so the code's advice (a 503's "retry") must not lead to sending it again.
    const fields = errorFields(value);
    const named = fields ? ` (${fields.code}${fields.message ? `: ${shortText(fields.message, 300)}` : ''})` : ' without an error code';
    const meta = fields?.meta ?? {};
    return {
      ok: false,
      error: {
        ...invalidSuccess(status, `a failed envelope${named}`, requestIdText(meta.requestId) ?? header(headers, 'x-request-id')),
        path: shortText(meta.path), timestamp: shortText(meta.timestamp), bodyExcerpt: excerpt(body),
      },
    };
  }
  if (isRecord(value) && value.success === true && 'data' in value) {
    return { ok: true, value: { data: value.data, meta: isRecord(value.meta) ? value.meta : {} } };
  }
  // The older generation answered without the envelope: the body is the data.
  return { ok: true, value: { data: value, meta: {} } };
}

/** An action record that ended `failed`, as `amps actions get --json` or the API shows it. */
interface FailedAction {
  id?: unknown;
  /** A `push.failed` webhook's body names its action so (contract.md §13). */
  actionId?: unknown;
  state?: unknown;
  /** Absent or null: the action failed and named no code (read as UNKNOWN_ERROR, and said so). */
  errorCode?: string | null;
  errorMessage?: unknown;
  result?: unknown;
}

/** The record, when `value` (or an envelope's data) is an action that failed: with an errorCode, or in state failed. */
export function failedActionIn(value: unknown): FailedAction | undefined {
  const record = isRecord(value) && value.success === true && isRecord(value.data) ? value.data : value;
  if (!isRecord(record)) return undefined;
  // The docs' older push.failed webhook body: its action and `error: {code, message}`, `failedAt`
  // (no status: not a response, whose envelope it would otherwise be read as).
  if (typeof record.actionId === 'string' && typeof record.failedAt === 'string' && record.success === undefined && isRecord(record.error) && typeof record.error.code === 'string') {
    return { actionId: record.actionId, state: 'failed', errorCode: record.error.code, errorMessage: record.error.message };
  }
  const named = typeof record.errorCode === 'string' && record.errorCode !== '';
  if (named ? record.state !== undefined && record.state !== 'failed' : record.state !== 'failed' || typeof record.id !== 'string') return undefined;
  return record as unknown as FailedAction;
}

/**
 * A failed action record cut off mid-way (as a ticket or the docs quote one): its errorCode, message
 * and id when they arrived before the cut, unless a state that arrived says it did not fail.
 */
export function truncatedFailedActionIn(body: string): FailedAction | undefined {
  if (!/^\s*\{/.test(body)) return undefined;
  const errorCode = quotedField(body, 'errorCode');
  if (!errorCode || !/^[A-Z][A-Z0-9_]+$/.test(errorCode)) return undefined;
  const state = quotedField(body, 'state');
  if (state !== undefined && state !== 'failed') return undefined;
  return { id: quotedField(body, 'id'), actionId: quotedField(body, 'actionId'), state, errorCode, errorMessage: quotedField(body, 'errorMessage') };
}

/** A failed action's errorCode through the catalogue: the exit code a failure of that code has. */
export function decodeFailedAction(action: FailedAction): DecodedError {
  const message = typeof action.errorMessage === 'string' ? action.errorMessage : undefined;
  // One that names no code is unclassified, as the exit code of a followed action takes it, and says so.
  const code = typeof action.errorCode === 'string' && action.errorCode !== '' ? action.errorCode : undefined;
  // A failure after the API accepted the action is the manufacturer's answer (dispatch): its
  // meaning of a code with two, as the exit code of a followed action takes it (outcomeExitCode).
  const entry = manufacturerVariant(code ?? 'UNKNOWN_ERROR') ?? null;
  const result = isRecord(action.result) && isRecord(action.result.error) ? action.result.error : undefined;
  return {
    code: code ?? 'UNKNOWN_ERROR',
    status: null,
    message: message ?? (code ? noMessage('action', entry, action.errorMessage) : '(the action carried no message)'),
    // Said whether or not it carried a message: its code is amps' reading, not the API's.
    problem: code ? undefined : 'the action failed and named no error code: amps reads it as UNKNOWN_ERROR, unclassified',
    entry,
    known: entry !== null,
    shape: 'action',
    ...classify(entry ? entry.retryClass : 'once_then_escalate'),
    details: result?.details,
    actionId: typeof action.id === 'string' ? action.id : typeof action.actionId === 'string' ? action.actionId : undefined,
  };
}

/** Failures below HTTP: no status, so the class comes from what happened. */
export type TransportFailure = 'timeout' | 'connection_refused' | 'connection_reset' | 'dns' | 'tls' | 'protocol' | 'network';

/** amps' own code for each failure below HTTP, as data: the decoder uses it, and `amps explain` reads it. */
const TRANSPORT_CODES: Record<TransportFailure, LocalCode & { retryClass: RetryClass }> = {
  timeout: { code: 'CLIENT_TIMEOUT', message: 'No complete response arrived before the timeout.', retryClass: 'backoff', whatToDo: 'Retry; a push that timed out may have run, so read the device or its actions before pushing again. --timeout sets the limit.' },
  connection_refused: { code: 'CONNECTION_REFUSED', message: 'The connection was refused; nothing was sent.', retryClass: 'backoff', whatToDo: 'Check the API URL and port and that the server runs; amps doctor checks DNS, TCP, TLS and the proxy one by one.' },
  connection_reset: { code: 'CONNECTION_RESET', message: 'The connection was closed before a complete response arrived.', retryClass: 'backoff', whatToDo: 'Retry; a push may have run, so read the device or its actions before pushing again.' },
  dns: { code: 'DNS_FAILURE', message: 'The API host name could not be resolved.', retryClass: 'backoff', whatToDo: 'Check the host name in the API URL, the resolver, or the VPN (amps doctor).' },
  tls: { code: 'TLS_FAILURE', message: 'The TLS handshake with the API host failed.', retryClass: 'backoff', whatToDo: 'Check the certificate the host (or a proxy) presents; a corporate CA goes in NODE_EXTRA_CA_CERTS (amps doctor).' },
  protocol: { code: 'PROTOCOL_ERROR', message: 'The server (or a proxy on the way) broke HTTP; no readable response arrived.', retryClass: 'once_then_escalate', whatToDo: 'Retry once; if it happens again, escalate: a server or proxy that breaks HTTP is not a passing fault.' },
  network: { code: 'NETWORK_FAILURE', message: 'The request failed below HTTP.', retryClass: 'backoff', whatToDo: 'Retry with backoff; the detail in brackets says what failed (amps doctor checks the way to the API).' },
};

/**
 * A code amps gives a failure that has no Amps error of its own: nothing came back, or nothing
 * usable (a retry class, as the API's codes have), or amps itself stopped (an exit code alone).
 */
export interface LocalCode {
  code: string;
  message: string;
  retryClass?: RetryClass;
  exitCode?: ExitCode;
  whatToDo: string;
}

/** amps' own codes for answers it cannot use (the message carries the specifics). */
const RESPONSE_CODES = {
  invalid: { code: 'INVALID_RESPONSE', message: 'A success status whose body is not the documented result (no data, a string, no id).', retryClass: 'once_then_escalate', whatToDo: 'Retry once, then escalate with the request id. After a write, the request was sent: read the device or its actions before pushing again.' },
  tooLarge: { code: 'RESPONSE_TOO_LARGE', message: 'A response larger than amps reads (8 MiB, or AMPS_MAX_RESPONSE_MB).', retryClass: 'once_then_escalate', whatToDo: 'Ask for less (a smaller limit), or raise AMPS_MAX_RESPONSE_MB when the size is expected.' },
} satisfies Record<string, LocalCode & { retryClass: RetryClass }>;

/** The codes of amps' own stops, which its errors carry in `--json` (output/failure-report.ts, the ledger): no request failed. */
const STOP_CODES: readonly LocalCode[] = [
  { code: 'USAGE', exitCode: EXIT.usage, message: 'amps refused the command line, or an input it read, before sending anything.', whatToDo: 'Change what the one line names (its hint says how); amps COMMAND --help lists the flags. Nothing was sent.' },
  { code: 'NO_API_KEY', exitCode: EXIT.credentials, message: 'There is no API key for the target amps was told to use, so nothing was sent.', whatToDo: 'Give one (amps login, AMPS_API_KEY or --api-key-file), or leave the target out for the embedded sandbox; amps config list shows what is set and where from.' },
  { code: 'INPUT_NEEDED', exitCode: EXIT.needsInput, message: 'amps needed an answer and did not ask: no terminal, CI set, or --no-input.', whatToDo: 'Pass the flag the message names, or run the command at a terminal.' },
  { code: 'INVALID_INPUT', exitCode: EXIT.usage, message: 'A fleet row amps could not read (a ledger line\'s code): that device was not sent.', whatToDo: 'Fix the row the reason names, then push that device again.' },
  { code: 'INTERRUPTED', exitCode: EXIT.interrupted, message: 'Ctrl-C, SIGTERM, SIGHUP, or Escape or Ctrl-D at a prompt, ended the command; nothing more was sent.', whatToDo: 'A write on its way when it stopped may have reached the API: the hint names it; read the device\'s actions before sending it again. A fleet run says how to resume.' },
  { code: 'OUTPUT_LOST', exitCode: EXIT.outputLost, message: 'amps could not write its output or its ledger (a full disk, a closed stdout), and stopped.', whatToDo: 'Make room or mend the output; a fleet run lists on stderr what it sent, and amps push --resume continues it.' },
];

const LOCAL_CODES: readonly LocalCode[] = [...Object.values(TRANSPORT_CODES), ...Object.values(RESPONSE_CODES), ...STOP_CODES];

/**
 * `HTTP_<status>`: a status whose body is no Amps error, classed by the status (for `status`
 * undefined, the code in general, as `explain --list` shows it: no class of its own).
 */
export function nonAmpsBodyCode(status?: number): LocalCode & { retryClass?: RetryClass } {
  return {
    code: status === undefined ? 'HTTP_<status>' : `HTTP_${status}`,
    message: `An HTTP ${status ?? 'status'} whose body is not an Amps error (an HTML page from a proxy or gateway, an empty body, or other JSON).${status === undefined ? ' amps explain HTTP_502 explains one status.' : ''}`,
    ...(status === undefined ? {} : { retryClass: retryClassForStatus(status) }),
    whatToDo: 'No Amps error came back, so amps goes by the status alone; the excerpt of the body amps shows often names the proxy or gateway that answered. Quote the request id, when there is one, if you escalate.',
  };
}

/** amps' own code by name, for `amps explain` (HTTP_502 included); undefined for a code of the API's. */
export function localCode(code: string): LocalCode | undefined {
  const status = /^HTTP_([13-5]\d{2})$/.exec(code);
  if (status) return nonAmpsBodyCode(Number(status[1]));
  return LOCAL_CODES.find((c) => c.code === code);
}

/** The names of amps' own codes (suggestions for a mistyped one). */
export function localCodeNames(): string[] {
  return LOCAL_CODES.map((c) => c.code);
}

export function transportError(kind: TransportFailure, detail?: string): DecodedError {
  const { code, message, retryClass, whatToDo } = TRANSPORT_CODES[kind];
  return {
    code,
    status: null,
    message: detail ? `${message} (${detail})` : message,
    entry: null,
    whatToDo,
    known: false,
    shape: 'transport',
    ...classify(retryClass),
  };
}

/**
 * A success status whose body is not the documented result (null data, a string, no id): the
 * server's fault, never a crash of amps. `sent` adds what an operator must know after a write.
 */
export function invalidSuccess(status: number, problem: string, requestId: string | undefined, sent?: string): DecodedError {
  const { code, retryClass, whatToDo } = RESPONSE_CODES.invalid;
  return {
    code,
    status,
    message: `HTTP ${status} with ${problem}${sent ? `. ${sent}` : ''}`,
    entry: null,
    whatToDo,
    known: false,
    shape: 'non_envelope',
    ...classify(retryClass),
    problem,
    requestId: shortText(requestId),
  };
}

/** A response larger than amps reads: refused before it can eat the machine. */
export function tooLarge(status: number, limitBytes: number): DecodedError {
  const problem = `a body larger than ${Math.round(limitBytes / 1024 / 1024)} MiB (AMPS_MAX_RESPONSE_MB sets the limit)`;
  const { code, retryClass, whatToDo } = RESPONSE_CODES.tooLarge;
  return { code, status, message: `HTTP ${status} with ${problem}`, entry: null, whatToDo, known: false, shape: 'non_envelope', ...classify(retryClass), problem };
}

/** A local check that failed before anything was sent, named with the code the API would use. */
export function preflightError(code: string, details: Record<string, unknown>): DecodedError {
  const entry = variantFor(code, undefined, undefined) ?? null;
  return {
    code,
    status: entry?.http ?? null,
    message: entry ? fillMessage(entry, details) : code,
    entry,
    known: entry !== null,
    shape: 'preflight',
    ...classify(entry ? entry.retryClass : 'fix_request'),
    details,
  };
}
