// The HTTP client. It sends the key only to the base URL it was built with, applies the
// timeouts and the retry policy (the docs' retry table, and decision 10 beside it), and hands every response to the shared decoder.
// It never prints: verbose lines and retry notices go to callbacks the caller owns.

import { isUtf8 } from 'node:buffer';
import type { Dispatcher } from 'undici';
import { setV8Flag } from '../lib/v8-flags.js';
import { nodeTransport, type ResponseBody, type Transport, unwritten, wasUnwritten } from './transport.js';
import { type DecodedError, decodeResponse, header, RATE_LIMIT_CODES, tooLarge, transportError, type TransportFailure } from '../errors/decode.js';
import { redactUrl } from '../lib/values.js';
import { formatDuration } from '../domain/duration.js';
import { ApiFailure, InterruptedError, refuseKeyInBody, UsageError } from '../errors/failures.js';
import type { Env } from '../contract/env.js';
import { keyEchoPattern, keyEchoProbe, mayHideKey, replaceKeyEchoes, replaceKeyEchoesInJson } from '../contract/keys.js';

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  userAgent: string;
  /** Overall, per request: every attempt and every wait between attempts fit inside it. */
  timeoutMs: number;
  /** Ctrl-C: aborts the request in flight and any wait between retries. */
  signal: AbortSignal;
  env: Env;
  /** Extra attempts for reads (default 2) and for pushes (default 0: never, decision 10). */
  readRetries?: number;
  writeRetries?: number;
  /** Connections kept per origin, for batch runs. */
  connections?: number;
  /** The largest response body read; a larger one is refused (RESPONSE_TOO_LARGE). */
  maxResponseBytes?: number;
  onVerbose?: (line: string) => void;
  onRetry?: (notice: RetryNotice) => void;
  /** Asked before each retry: false stops them (the embedded sandbox's state file failed: no answer will be better). */
  mayRetry?: () => boolean;
  random?: () => number;
}

interface RetryNotice {
  method: string;
  path: string;
  attempt: number;
  of: number;
  delayMs: number;
  reason: string;
}

export interface ApiResponse<T> {
  data: T;
  meta: Record<string, unknown>;
  status: number;
  attempts: number;
  /** The body as received (the key cut out), for `amps api`, which prints it as the API sent it. */
  raw: string;
  /** The server's Date header: `amps doctor` measures clock skew against it. */
  serverDate?: string;
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

interface RequestOptions {
  /**
   * The query: a record (a name once), URLSearchParams sent as they are (repeats and order kept),
   * or a query's text (no `?`), sent as typed (its escapes, `;` and bare names kept).
   */
  query?: Record<string, string | number | boolean | undefined> | URLSearchParams | string;
  body?: unknown;
  /** A JSON body sent byte for byte as written (`amps api --body`), in place of `body`. */
  rawBody?: string;
  /** A 2xx whose body is no JSON is the answer (data undefined, `raw` as sent), not INVALID_RESPONSE. */
  anyBody?: boolean;
  /** Overrides the method's default retry count. */
  retries?: number;
  /** A bound shorter than --timeout for this request and its retries (what is left of a wait). */
  timeoutMs?: number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;
/** A Retry-After beyond this is reported, not waited out. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Why a retry that was asked for (reads' own, `--retry`) was not made: its wait is longer than amps
 * waits, or no time is left (`leftMs`) because the attempt used it up, or the wait would end past
 * `--timeout` (`timeoutMs`, which bounds a request and its retries), or past `bound` where
 * something shorter limits it, or would leave the attempt after it too little (retryFits).
 */
export function retryWithheldText(delayMs: number, timeoutMs: number, leftMs: number, bound?: string): string {
  if (delayMs > MAX_RETRY_AFTER_MS) return `not retried: the wait asked for is longer than amps waits (${formatDuration(MAX_RETRY_AFTER_MS)})`;
  const limit = bound ?? `--timeout (${formatDuration(timeoutMs)}, retries included)`;
  // No time left at all: the attempt itself took it (a server that never answered), not a wait.
  if (leftMs <= 0) return `not retried: the attempt used up ${limit}`;
  const advice = bound === undefined ? '; a longer --timeout waits it out' : '';
  if (delayMs < leftMs) return `not retried: after the wait before it (${formatDuration(delayMs)}), under ${formatDuration(MIN_RETRY_ATTEMPT_MS)} of ${limit} would be left for the attempt${advice}`;
  return `not retried: the wait before it (${formatDuration(delayMs)}) would end past ${limit}${advice}`;
}

/**
 * The least time a retry's attempt is given. One made with less (a backoff drawn close to the end
 * of --timeout or of a wait's last read) would end as amps' own timeout, CLIENT_TIMEOUT, in place of
 * the answer the API gave the attempt before: that answer is reported instead.
 */
export const MIN_RETRY_ATTEMPT_MS = 250;

/** Whether a retry after `delayMs` fits in what is left (`leftMs`): its wait, and an attempt of MIN_RETRY_ATTEMPT_MS. */
export function retryFits(delayMs: number, leftMs: number): boolean {
  return delayMs + MIN_RETRY_ATTEMPT_MS <= leftMs;
}
const CONNECT_TIMEOUT_MS = 10_000;
/** No documented response comes near this; a hostile or broken server's endless body stops here. */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** A body read to its end, or undefined once it passes `limit` bytes (the rest is not read). */
function readBounded(body: ResponseBody, limit: number): Promise<{ text: string; utf8: boolean } | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    body.on('data', (chunk) => {
      if (settled) return;
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      settle(() => resolve(undefined));
      body.destroy();
    });
    body.once('end', () => settle(() => {
      const bytes = Buffer.concat(chunks);
      // Text that is not UTF-8 would be read with its bytes replaced: the decoder is told, not fooled.
      resolve({ text: bytes.toString('utf8'), utf8: isUtf8(bytes) });
    }));
    body.once('error', (error) => settle(() => reject(error)));
    // A connection that closes before the body's end without an error of its own (a proxy that
    // cuts it) is the reset it is, not a wait for ever.
    body.once('close', () => settle(() => reject(Object.assign(new Error('the connection closed before the response ended'), { code: 'ECONNRESET' }))));
  });
}

/** Responses that prove a push did not run (decision 10); the docs' retry table allows more (pushMayBeResent). */
const PUSH_RETRYABLE_CODES = new Set([...RATE_LIMIT_CODES, 'SERVICE_UNAVAILABLE', 'NETWORK_ERROR']);

interface Outcome {
  error: DecodedError;
  /** True when nothing reached the server (refused, or no connection within the connect timeout). */
  notSent: boolean;
  /** The answer's Date header, when an answer came. */
  serverDate?: string;
}

function classifyThrown(error: unknown): { kind: TransportFailure; notSent: boolean; detail: string } {
  const err = error as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  const code = err.code ?? err.cause?.code ?? '';
  const detail = code || err.message || 'unknown';
  if (code === 'ECONNREFUSED') return { kind: 'connection_refused', notSent: true, detail };
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'CONNECT_TIMEOUT') return { kind: 'timeout', notSent: true, detail: 'connect timeout' };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'timeout', notSent: false, detail };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', notSent: true, detail };
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'EPROTO') return { kind: 'tls', notSent: true, detail };
  // undici refuses responses HTTP does not allow here (an unsolicited 100 Continue, a broken status
  // line) as "bad response"; Node's parser names them HPE_…; the node transport names the first.
  const badResponse = (code === 'UND_ERR_SOCKET' && /bad response/i.test(err.message ?? err.cause?.message ?? '')) || code === 'UNSOLICITED_CONTINUE' || code.startsWith('HPE_');
  if (badResponse) return { kind: 'protocol', notSent: false, detail: 'a response HTTP does not allow here, such as an unsolicited 100 Continue' };
  // undici's proxy agent, when the proxy answers CONNECT with anything but 200 (a 403, a 407, a 404).
  const tunnel = /Proxy response \((\d{3})\)/.exec(err.message ?? err.cause?.message ?? '');
  if (tunnel) return { kind: 'network', notSent: true, detail: `the proxy answered the tunnel request (CONNECT) with HTTP ${tunnel[1]}: check HTTPS_PROXY, its credentials, and whether it allows the API host` };
  if (code === PROXY_TUNNEL_CLOSED) return { kind: 'network', notSent: true, detail: 'the proxy closed the tunnel request (CONNECT) without answering: check HTTPS_PROXY, and whether it allows the API host' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === 'EPIPE') return { kind: 'connection_reset', notSent: false, detail };
  return { kind: 'network', notSent: false, detail };
}

/** Decision 10: the only failures after which a push may be sent again, because nothing ran. */
export function provesNothingRan(outcome: { decoded: DecodedError; notSent: boolean }): boolean {
  return outcome.notSent || (outcome.decoded.shape !== 'non_envelope' && PUSH_RETRYABLE_CODES.has(outcome.decoded.code));
}

/**
 * The same rule for a failure recorded in a ledger (a code, no more): the API's codes that prove
 * nothing ran, and the transport failures that happen before a request leaves (refused, no name,
 * no TLS). A timeout or a reset proves nothing either way.
 */
export function codeProvesNothingRan(code: string | null): boolean {
  return code !== null && (PUSH_RETRYABLE_CODES.has(code) || NOT_SENT_CODES.has(code));
}

const NOT_SENT_CODES = new Set(['CONNECTION_REFUSED', 'DNS_FAILURE', 'TLS_FAILURE']);

/** "Retry once, then escalate": the first attempt and one more. */
const ONCE_THEN_ESCALATE_ATTEMPTS = 2;

/**
 * How many attempts a retry notice counts for an error (`attempt 2 of N`): `--retry` and one, but
 * no more than the error's class allows (UNKNOWN_ERROR and the like are sent twice at most).
 */
export function attemptsFor(decoded: DecodedError, retries: number): number {
  return decoded.retryClass === 'once_then_escalate' ? Math.min(ONCE_THEN_ESCALATE_ATTEMPTS, retries + 1) : retries + 1;
}

/**
 * Whether `--retry` may send a push again after this answer (its `attempt`-th). The docs' retry
 * table decides for the codes of its page: the transport codes with exponential backoff (TIMEOUT
 * among them, though the manufacturer may have taken the first: the page says retry), DEVICE_OFFLINE
 * after a delay, UNKNOWN_ERROR once. Decision 10 adds the platform's answers that prove nothing ran
 * (RATE_LIMIT_EXCEEDED) and a connection refused before anything left. Never after a lost answer
 * (amps' own timeout, a reset) or a body that is no Amps error: the page says nothing of those,
 * and the push may have run.
 */
export function pushMayBeResent(outcome: { decoded: DecodedError; notSent: boolean }, attempt: number): boolean {
  if (retryCannotMend(outcome.decoded)) return false;
  // A success status took the push, whatever its body says: the decoder makes any 2xx it cannot use
  // INVALID_RESPONSE (no Amps error envelope), which nothing below resends.
  if (provesNothingRan(outcome)) return true;
  const { decoded } = outcome;
  if (decoded.shape !== 'envelope' && decoded.shape !== 'unwrapped') return false;
  if (decoded.entry?.docsPage !== 'error-codes') return false;
  if (decoded.retryClass === 'backoff' || decoded.retryClass === 'after_delay') return true;
  return decoded.retryClass === 'once_then_escalate' && attempt < ONCE_THEN_ESCALATE_ATTEMPTS;
}

/** What a retry notice names as its cause: the code, and its status when an answer came. */
export function retryReason(decoded: DecodedError): string {
  return decoded.status !== null ? `${decoded.code} (HTTP ${decoded.status})` : decoded.code;
}

/** DEVICE_OFFLINE's "after a delay": the first resend waits 2.5 to 5 s, doubling after. */
const OFFLINE_DELAY_BASE_MS = 5_000;

/**
 * The wait an answer asked for (its Retry-After), before the spread retryDelayMs adds: what is
 * held to amps' longest wait and said when a retry is withheld. Undefined when it asked for none.
 */
export function askedWaitMs(decoded: DecodedError): number | undefined {
  return decoded.retryAfterSeconds === undefined ? undefined : decoded.retryAfterSeconds * 1000;
}

/** The spread added to a Retry-After, at most: the wait is never shorter than asked. */
const RETRY_AFTER_SPREAD_MS = 1000;

/**
 * The time drawn to add to a wait a Retry-After asked for: up to a second, or half the wait if
 * less. Pushes refused together are told one wait, and would all come back at its same instant,
 * to be refused together again. One rule for a single command's retries and a fleet's pause. It
 * takes at most half of `roomMs`, the time the wait leaves before --timeout: a wait that fits as
 * asked is never refused for its spread, and the resend keeps time to be answered in.
 */
export function retryAfterSpreadMs(askedMs: number, random: () => number = Math.random, roomMs = Number.POSITIVE_INFINITY): number {
  return Math.min(Math.round(random() * Math.min(RETRY_AFTER_SPREAD_MS, askedMs / 2)), Math.max(0, Math.floor(roomMs / 2)));
}

/**
 * How long to wait before the next attempt (`attempt` has just failed): the answer's Retry-After
 * when it has one, and a spread of up to a second (or half the wait, if less) on top: a fleet's
 * pushes refused together are told one wait, and would all come back at its same instant, to be
 * refused together again; after DEVICE_OFFLINE a delay of seconds, never next to none; else
 * full-jitter exponential backoff.
 */
export function retryDelayMs(decoded: DecodedError, attempt: number, random: () => number = Math.random, roomMs = Number.POSITIVE_INFINITY): number {
  const asked = askedWaitMs(decoded);
  // A Retry-After of 0 asks for no wait in particular: the spread of half of it is none, and a
  // fleet's pushes refused together came back at one instant. The backoff below is never less.
  if (asked !== undefined && asked > 0) return asked + retryAfterSpreadMs(asked, random, roomMs - asked);
  if (decoded.retryClass === 'after_delay') {
    const delay = Math.min(MAX_RETRY_AFTER_MS, OFFLINE_DELAY_BASE_MS * 2 ** (attempt - 1));
    return delay / 2 + (random() * delay) / 2;
  }
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
}

/**
 * A failure no resend mends: a TLS handshake refused (a certificate, a protocol) fails the same way
 * again. Nothing was sent, so a push could go again; it would only be refused again, after waits.
 */
function retryCannotMend(decoded: DecodedError): boolean {
  return decoded.shape === 'transport' && decoded.code === 'TLS_FAILURE';
}

function isRetryable(method: string, outcome: Outcome, attempt: number): boolean {
  const { error } = outcome;
  if (method !== 'GET') return pushMayBeResent({ decoded: error, notSent: outcome.notSent }, attempt);
  if (retryCannotMend(error)) return false;
  if (error.retryClass === 'backoff') return true;
  return error.retryClass === 'once_then_escalate' && attempt < ONCE_THEN_ESCALATE_ATTEMPTS;
}

/** A wait that Ctrl-C ends at once (as an InterruptedError). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new InterruptedError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function proxyConfigured(env: Env): boolean {
  return ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy'].some((name) => env[name]);
}

/**
 * The proxy a request to `url` goes through, as the dispatcher below decides it (loopback never;
 * NO_PROXY's hosts and domains never; else HTTPS_PROXY for https, HTTP_PROXY for http): what
 * `amps doctor` probes and names.
 */
export function proxyFor(url: URL, env: Env): string | undefined {
  if (!proxyConfigured(env)) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (['localhost', '127.0.0.1', '::1'].includes(host) || /^127\./.test(host)) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(/[\s,]+/).map((entry) => entry.trim().toLowerCase().replace(/:\d+$/, '')).filter(Boolean);
  if (noProxy.some((entry) => entry === '*' || host === entry.replace(/^\./, '') || host.endsWith(entry.startsWith('.') ? entry : `.${entry}`))) return undefined;
  return url.protocol === 'https:' ? env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy : env.HTTP_PROXY ?? env.http_proxy;
}

/**
 * The proxy requests to `baseUrl` go through, checked to be a URL: a malformed HTTPS_PROXY is one
 * line and exit 2, never a crash inside the HTTP library. Undefined when the base URL is not proxied
 * (loopback, the embedded sandbox, NO_PROXY), whatever the variables hold.
 */
function checkedProxy(baseUrl: string, env: Env): string | undefined {
  const proxy = proxyFor(new URL(baseUrl), env);
  if (proxy === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(proxy);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '') {
    throw new UsageError(`the proxy '${redactUrl(proxy)}' (HTTPS_PROXY/HTTP_PROXY) is not a URL such as http://HOST:PORT`, 'correct it, or unset it (NO_PROXY exempts hosts)');
  }
  return proxy;
}

type Undici = Pick<typeof import('undici'), 'Agent' | 'EnvHttpProxyAgent' | 'Pool'>;

/** The code a tunnel request the proxy closed unanswered fails with (classifyThrown). */
const PROXY_TUNNEL_CLOSED = 'AMPS_PROXY_TUNNEL_CLOSED';

/** `promise`, or a rejection as soon as `signal` aborts, whichever comes first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(new Error('the request was ended'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('the request was ended'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function undiciTransport(options: ClientOptions, proxy: string | undefined, { Agent, EnvHttpProxyAgent, Pool }: Undici): Transport {
  const common = { connect: { timeout: CONNECT_TIMEOUT_MS }, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connections: options.connections };
  // Only the one proxy this base URL goes through, checked: the agent never parses the others. Its
  // tunnel request (CONNECT) goes through a client of the proxy's own, which the request's abort
  // signal does not reach: its answer is waited for --timeout, not undici's default 300 s.
  const tunnels: Array<InstanceType<typeof Pool>> = [];
  const agent = proxy === undefined
    ? new Agent(common)
    : new EnvHttpProxyAgent({
      ...common, httpProxy: proxy, httpsProxy: proxy,
      clientFactory: (origin: URL, opts: object) => {
        const pool = new Pool(origin, { ...opts, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
        // A proxy that closes the tunnel request without answering fails it as a lost socket, which
        // undici takes for a passing failure of the connection it was making, and connects again at
        // once, its requests still queued: ~1,700 CONNECTs a second, past --timeout, for ever. Said
        // as what it is, the requests waiting on it fail, as after any other refusal of the tunnel.
        const connect = pool.connect.bind(pool) as (params: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData>;
        pool.connect = ((params: Dispatcher.ConnectOptions) => connect(params).catch((error: { code?: string }) => {
          if (error?.code !== 'UND_ERR_SOCKET' && error?.code !== 'UND_ERR_CLOSED' && error?.code !== 'ECONNRESET') throw error;
          throw Object.assign(new Error('the proxy closed the tunnel request (CONNECT) without answering'), { code: PROXY_TUNNEL_CLOSED, cause: error });
        })) as typeof pool.connect;
        tunnels.push(pool);
        return pool;
      },
    });
  // The requests a connection has taken (undici starts one only on a connection made, TLS and a
  // proxy's tunnel included), known by their signals: one that fails before is marked unwritten.
  const started = new WeakSet<AbortSignal>();
  const tracked = agent.compose((dispatch) => (opts, handler) => dispatch(opts, new Proxy(handler, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (key === 'onRequestStart') {
        return (...args: unknown[]) => {
          const { signal } = opts as { signal?: AbortSignal };
          if (signal) started.add(signal);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  })));
  return {
    // The request's abort is raced too: undici reads it only once a connection takes the request, so
    // one queued behind a connection never made would outlast --timeout.
    request: (request) => abortable(tracked.request({ ...request, method: request.method as Dispatcher.HttpMethod }), request.signal)
      .catch((error: unknown) => {
        throw started.has(request.signal) ? error : unwritten(error);
      }),
    // A request's abort does not reach the CONNECT its connection is still waiting on: Ctrl-C waited
    // for a proxy that never answers to the end of --timeout.
    endAll: () => {
      for (const pool of tunnels.splice(0)) void pool.destroy();
    },
    // What is still in flight belongs to a command that is done (or was interrupted): ended at once,
    // never waited for (the agent's own end waits on a connection its CONNECT is still making).
    close: async () => {
      await Promise.all(tunnels.splice(0).map((pool) => pool.destroy()));
      await agent.destroy();
    },
  };
}


export class ApiClient {
  private readonly transport: Transport;
  private readonly origin: string;
  private readonly basePath: string;
  /**
   * The attempts in flight. Ctrl-C reaches them through one listener on the caller's signal, held
   * for the client's life: a listener per request would pile up on that one signal (a batch has
   * hundreds in flight) and Node warns past ten.
   */
  private readonly inFlight = new Set<AbortController>();
  /** The waits between attempts in progress, each with its wake-up (end). */
  private readonly waits = new Set<() => void>();
  /** Set by Ctrl-C or close(): no attempt or wait goes on after it. */
  private ended = false;
  private readonly onInterrupt = () => this.end();

  /**
   * Ends every attempt in flight and every wait between attempts. Requests still running at
   * close() belong to a command that is done (one of several parallel reads failed, its answer is
   * out): they must not hold the process until their own timeout. A flag and two sets, not an
   * AbortController: aborting one runs Node's event dispatch, ~1 M instructions on every close.
   */
  private end(): void {
    this.ended = true;
    for (const controller of this.inFlight) controller.abort();
    for (const wake of this.waits) wake();
    // Connections shared with another client are that client's to end.
    if (!this.sharesTransport) this.transport.endAll?.();
  }

  /** Why an ended request stops: Ctrl-C, or the command it belonged to is done. */
  private endedError(): Error {
    return this.options.signal.aborted ? new InterruptedError() : new Error('the API client was closed while a request was running');
  }

  /** A wait between attempts, cut short by end(). */
  private wait(ms: number): Promise<void> {
    if (this.ended || this.options.signal.aborted) return Promise.reject(this.endedError());
    return new Promise((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        this.waits.delete(wake);
        reject(this.endedError());
      };
      const timer = setTimeout(() => {
        this.waits.delete(wake);
        resolve();
      }, ms);
      this.waits.add(wake);
    });
  }

  /**
   * Fleet runs (`connections`) and proxied requests go through undici, loaded here, never at
   * start-up; everything else through Node's own HTTP (transport.ts says why).
   */
  static async create(options: ClientOptions): Promise<ApiClient> {
    const proxy = checkedProxy(options.baseUrl, options.env);
    if (options.connections === undefined && proxy === undefined) return new ApiClient(options, nodeTransport(CONNECT_TIMEOUT_MS));
    const undici = await import('undici');
    // undici's HTTP parser is WebAssembly, compiled at the first connection: V8's baseline compiler
    // alone spares a finished process ~200 ms of optimising it (bench/startup.mjs, bench/fleet.mjs).
    // Set after the import, not before: a flag change makes Node compile every built-in module it
    // loads afterwards from scratch, and undici loads many (~14 ms). Nothing else runs WebAssembly.
    await setV8Flag('--liftoff-only');
    return new ApiClient(options, undiciTransport(options, proxy, undici));
  }

  /** `sharesTransport`: a client made by endedAlsoBy, whose connections belong to the client it came from. */
  private constructor(private readonly options: ClientOptions, transport: Transport, private readonly sharesTransport = false) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.transport = transport;
    options.signal.addEventListener('abort', this.onInterrupt, { once: true });
  }

  /**
   * A client on this one's connections and settings whose requests `signal` ends (Ctrl-C). A fleet
   * run's client lets its pushes in flight finish after Ctrl-C (the API may act on them: their
   * answers belong in the ledger); its reads (the follow's list pages and --verify reads, the
   * canaries', the plan's) only look, so Ctrl-C ends them at once rather than at their --timeout.
   */
  endedAlsoBy(signal: AbortSignal): ApiClient {
    return new ApiClient({ ...this.options, signal }, this.transport, true);
  }

  /** The text with every copy of the key replaced, however it is spelt (keys.ts keyEchoPattern). */
  private scrub(text: string): string {
    const key = this.options.apiKey;
    if (!key) return text;
    this.keyEchoed ??= keyEchoProbe(key);
    if (!mayHideKey(text) && !this.keyEchoed(text)) return text;
    this.keyEcho ??= keyEchoPattern(key);
    // The raw text first (a body that is no JSON, a header); then JSON's strings as read.
    return replaceKeyEchoesInJson(replaceKeyEchoes(text, this.keyEcho), this.keyEcho);
  }

  private keyEcho: RegExp | undefined;
  private keyEchoed: ((text: string) => boolean) | undefined;

  private url(path: string, query: RequestOptions['query']): URL {
    if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`request path must be absolute: ${path}`);
    const url = new URL(this.basePath + path, this.origin);
    // The key goes only where it was configured for.
    if (url.origin !== this.origin) throw new Error('refusing to send the API key to another origin');
    // A query's text is set as is: URL only escapes what a query may not hold (a space, a quote).
    if (typeof query === 'string') url.search = query === '' ? '' : `?${query}`;
    else if (query instanceof URLSearchParams) for (const [key, value] of query) url.searchParams.append(key, value);
    else for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  private async attempt(method: string, url: URL, body: string | undefined, timeoutMs: number, anyBody = false): Promise<{ ok: true; response: ApiResponse<unknown> } | ({ ok: false } & Outcome)> {
    // One controller per attempt, its timer cleared as soon as the attempt ends: a batch of
    // 100,000 pushes must not leave 100,000 pending timeouts and signals behind.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, Math.max(1, timeoutMs));
    if (this.ended || this.options.signal.aborted) controller.abort();
    this.inFlight.add(controller);
    const signal = controller.signal;
    // Bodies are read as they come, bounded by size: a compressed one would be junk, or a bomb once inflated.
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, accept: 'application/json', 'accept-encoding': 'identity' };
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const verbose = this.options.onVerbose;
    if (verbose) {
      verbose(`> ${method} ${redactUrl(url.toString())}`);
      for (const [name, value] of Object.entries(headers)) verbose(`> ${name}: ${name === 'x-api-key' ? '[redacted]' : value}`);
    }
    const started = Date.now();
    try {
      const response = await this.transport.request({ origin: url.origin, path: url.pathname + url.search, method, headers, body, signal });
      // A status line HTTP has no status for (`HTTP/1.1 000`, a raw TCP server's): no answer to decode.
      if (response.statusCode < 100 || response.statusCode > 599) {
        response.body.destroy();
        verbose?.(`< ${response.statusCode}: no HTTP status`);
        return { ok: false, error: transportError('protocol', `a status line with no HTTP status (${response.statusCode})`), notSent: false };
      }
      const limit = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      const raw = await readBounded(response.body, limit);
      // A body framed by the connection's end (no length, no chunks) that amps cut (Ctrl-C,
      // --timeout) is finished by Node as if whole: what had arrived is not the response.
      if (signal.aborted) throw new Error('the request was ended before its response');
      if (raw === undefined) {
        verbose?.(`< ${response.statusCode} (${Date.now() - started} ms, more than ${limit} bytes: not read)`);
        return { ok: false, error: tooLarge(response.statusCode, limit), notSent: false };
      }
      // A server may echo the key back (in a message, a request id, a path): it is cut out here,
      // before anything reads the response, so no view of it can print the key.
      const text = this.scrub(raw.text);
      const responseHeaders = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, Array.isArray(value) ? value.map((v) => this.scrub(v)) : value === undefined ? value : this.scrub(value)]));
      // The first of a repeated one, as the decoder quotes it.
      const requestId = header(responseHeaders, 'x-request-id');
      verbose?.(`< ${response.statusCode} (${Date.now() - started} ms, ${text.length} bytes)${requestId ? ` request-id ${requestId}` : ''}`);
      const decoded = decodeResponse(response.statusCode, responseHeaders, text, { path: url.pathname.slice(this.basePath.length) || '/', anyBody, notUtf8: !raw.utf8 });
      const serverDate = typeof responseHeaders.date === 'string' ? responseHeaders.date : undefined;
      if (decoded.ok) return { ok: true, response: { ...decoded.value, status: response.statusCode, attempts: 1, raw: text, serverDate } };
      return { ok: false, error: decoded.error, notSent: false, serverDate };
    } catch (error) {
      if (this.ended || this.options.signal.aborted) {
        const ended = this.endedError();
        // A write cut on its way may have reached the API: the report says so, as a timeout's does.
        throw ended instanceof InterruptedError && method !== 'GET' && !wasUnwritten(error) ? new InterruptedError(ended.message, `${method} ${url.pathname.slice(this.basePath.length) || '/'}`) : ended;
      }
      if (timedOut) {
        if (wasUnwritten(error)) {
          verbose?.(`< no connection made within ${this.options.timeoutMs} ms`);
          return { ok: false, error: transportError('timeout', `--timeout ${this.options.timeoutMs} ms; no connection to the API was made: nothing was sent`), notSent: true };
        }
        verbose?.(`< no response within ${this.options.timeoutMs} ms`);
        return { ok: false, error: transportError('timeout', `--timeout ${this.options.timeoutMs} ms`), notSent: false };
      }
      const { kind, notSent, detail } = classifyThrown(error);
      if (!notSent && wasUnwritten(error)) {
        // Closed while being made (a firewall refusing the TLS handshake): nothing of the request left.
        verbose?.(`< failed before a connection was made: ${detail}`);
        return { ok: false, error: transportError('network', `the connection was closed while it was being made (${detail}): nothing was sent`), notSent: true };
      }
      verbose?.(`< failed: ${detail}`);
      return { ok: false, error: transportError(kind, detail), notSent };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    refuseKeyInBody(body);
    const retries = options.retries ?? (method === 'GET' ? this.options.readRetries ?? 2 : this.options.writeRetries ?? 0);
    const random = this.options.random ?? Math.random;
    const deadline = Date.now() + Math.min(this.options.timeoutMs, options.timeoutMs ?? Number.POSITIVE_INFINITY);
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(method, url, body, deadline - Date.now(), options.anyBody);
      if (result.ok) return { ...(result.response as ApiResponse<T>), attempts: attempt };
      const { error } = result;
      // A write that left and got no answer from the API may have run: the report says so.
      const failed = (decoded: DecodedError) => {
        const failure = new ApiFailure(decoded, result.notSent, result.serverDate);
        failure.attempts = attempt;
        const noAnswer = decoded.shape === 'transport' || (decoded.shape === 'non_envelope' && (decoded.status ?? 0) >= 500);
        if (method !== 'GET' && noAnswer && !provesNothingRan({ decoded, notSent: result.notSent })) failure.unanswered = `${method} ${url.pathname.slice(this.basePath.length) || '/'}`;
        return failure;
      };
      if (attempt > retries || !isRetryable(method, result, attempt) || this.options.mayRetry?.() === false) throw failed(error);
      const delayMs = retryDelayMs(error, attempt, random, deadline - Date.now());
      const askedMs = askedWaitMs(error) ?? delayMs;
      // A wait that would outlast --timeout (or a minute) is reported, not waited out, and said:
      // the operator asked for retries and must not take this for one that failed again.
      const left = deadline - Date.now();
      if (askedMs > MAX_RETRY_AFTER_MS || !retryFits(delayMs, left)) {
        const bound = options.timeoutMs !== undefined && options.timeoutMs < this.options.timeoutMs ? 'what is left of the wait (--wait-timeout)' : undefined;
        throw failed({ ...error, retryWithheld: retryWithheldText(askedMs, this.options.timeoutMs, left, bound) });
      }
      this.options.onRetry?.({
        method,
        path,
        attempt: attempt + 1,
        of: attemptsFor(error, retries),
        delayMs,
        reason: retryReason(error),
      });
      await this.wait(delayMs);
    }
  }

  /** Says a retry its caller makes itself (a fleet's resend), as this client says its own. */
  announceRetry(notice: RetryNotice): void {
    this.options.onRetry?.(notice);
  }

  /** Each request's time limit (--timeout), its retries and their waits included. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  async close(): Promise<void> {
    this.options.signal.removeEventListener('abort', this.onInterrupt);
    this.end();
    if (!this.sharesTransport) await this.transport.close();
  }
}
