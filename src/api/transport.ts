// How the client's requests travel. Two ways, one shape (undici's `request`, which the client reads):
// - undici's agents: for fleet pushes and `watch`, which keep many connections per origin busy,
//   and behind a proxy (its EnvHttpProxyAgent honours HTTPS_PROXY and NO_PROXY);
// - node:http and node:https with a keep-alive agent: for every other command, which sends one
//   request or a few. Loading undici and compiling its WebAssembly parser costs ~25 ms,
//   more than the rest of `amps get` together (bench/startup.mjs); Node's own HTTP is already there.
// Either way the client applies the same timeouts, bounds and failure classes (client.ts); the
// fault tests run single commands through the second and fleets through the first.

import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';

export interface TransportRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/**
 * A response's body as both transports give it (Node's IncomingMessage, undici's BodyReadable):
 * a Readable, read through its events. Its async iterator would compile Node's iterator and
 * end-of-stream code on every run (~2.7 M instructions of `amps get`, bench/startup.mjs).
 */
export interface ResponseBody {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end' | 'close', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  destroy(): void;
}

export interface TransportResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Ends what no request's own abort reaches (a proxy's tunnel requests): the client is ending every request. */
  endAll?(): void;
  close(): Promise<void>;
}

/** A failure with the code the client classifies (client.ts `classifyThrown`). */
function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const UNWRITTEN = Symbol('the request was never written');

/**
 * `error`, marked as ending a request before any of it was written: no connection to the API was
 * made (its TCP or TLS handshake had not ended). A reset by a firewall that refuses the TLS
 * handshake, or a --timeout that ends one that never completes, proves nothing ran, as a refused
 * connection does: a push may be sent again, and is never said to have been sent.
 */
export function unwritten(error: unknown): unknown {
  if (error !== null && typeof error === 'object') Object.defineProperty(error, UNWRITTEN, { value: true });
  return error;
}

/** Whether `error` ended a request before any of it was written (see unwritten). */
export function wasUnwritten(error: unknown): boolean {
  return error !== null && typeof error === 'object' && UNWRITTEN in error;
}

/** node:http or node:https, connections kept alive between requests, a connect timeout. */
export function nodeTransport(connectTimeoutMs: number): Transport {
  let agent: HttpAgent | undefined;
  return {
    async request({ origin, path, method, headers, body, signal }) {
      const url = new URL(path, origin);
      const http = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
      agent ??= new http.Agent({ keepAlive: true });
      return new Promise<TransportResponse>((resolve, reject) => {
        // Until the connection is made (for https, its TLS handshake too), Node holds the request.
        let connected = false;
        const sent = http.request(url, {
          method,
          agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        });
        // Ctrl-C and --timeout end the request, as http.request's own `signal` option would; that
        // option watches the request with Node's end-of-stream code, compiled afresh on every run.
        const onAbort = () => {
          const aborted = failure('ABORT_ERR', 'the request was aborted');
          sent.destroy(connected ? aborted : (unwritten(aborted) as Error));
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        sent.once('close', () => signal.removeEventListener('abort', onAbort));
        sent.once('socket', (socket) => {
          // A kept-alive connection is made already.
          if (!socket.connecting) {
            connected = true;
            return;
          }
          const timer = setTimeout(() => sent.destroy(failure('CONNECT_TIMEOUT', 'connect timeout')), connectTimeoutMs);
          socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
            connected = true;
            clearTimeout(timer);
          });
          socket.once('close', () => clearTimeout(timer));
        });
        // HTTP allows a 100 Continue only after `Expect: 100-continue`, which amps never sends.
        sent.on('information', (info) => {
          if (info.statusCode === 100) sent.destroy(failure('UNSOLICITED_CONTINUE', 'bad response: an unsolicited 100 Continue'));
        });
        sent.once('error', (error) => reject(connected ? error : unwritten(error)));
        sent.once('response', (response) => {
          // Node joins a repeated x-request-id into `a, b`, no id anyone can quote; undici and a saved
          // response keep each, and the decoder quotes the first.
          const ids = response.headers['x-request-id'];
          const headers = typeof ids === 'string' && ids.includes(',') ? { ...response.headers, 'x-request-id': response.headersDistinct['x-request-id'] } : response.headers;
          resolve({ statusCode: response.statusCode ?? 0, headers, body: response });
        });
        sent.end(body);
      });
    },
    async close() {
      // Idle keep-alive sockets never hold the process (Node's agent unrefs them) and go with it;
      // the client has ended every request still in flight (client.ts close). Destroying them here
      // would make Node build process.stderr (its socket teardown compares against it): ~1.5 ms at
      // a terminal.
      agent = undefined;
    },
  };
}
