// The network under a request, one layer at a time, for `amps doctor`: the name, a TCP connection,
// a TLS handshake (with Node's CAs and NODE_EXTRA_CA_CERTS, as requests use). Each probe is
// bounded in time and answers with what it found or why it failed, never by throwing.

import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type Probe<T> = ({ ok: true; ms: number } & T) | { ok: false; ms: number; error: string };

const errorText = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

export async function resolveName(host: string, timeoutMs: number): Promise<Probe<{ address: string }>> {
  const started = Date.now();
  try {
    const result = await Promise.race([lookup(host), new Promise<never>((_, reject) => setTimeout(() => reject(Object.assign(new Error('timeout'), { code: `no answer within ${timeoutMs} ms` })), timeoutMs).unref())]);
    return { ok: true, ms: Date.now() - started, address: result.address };
  } catch (error) {
    return { ok: false, ms: Date.now() - started, error: errorText(error) };
  }
}

export function openTcp(host: string, port: number, timeoutMs: number): Promise<Probe<Record<never, never>>> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = netConnect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, ms: Date.now() - started });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, ms: Date.now() - started, error: `no connection within ${timeoutMs} ms` });
    });
    socket.once('error', (error) => resolve({ ok: false, ms: Date.now() - started, error: errorText(error) }));
  });
}

export function handshakeTls(host: string, port: number, timeoutMs: number): Promise<Probe<{ protocol: string | null }>> {
  const started = Date.now();
  return new Promise((resolve) => {
    // SNI names a host, never an address: Node warns (on stderr, amid doctor's output) when given one.
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    const socket = tlsConnect({ host: bare, port, ...(isIP(bare) ? {} : { servername: host }), timeout: timeoutMs });
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol();
      socket.destroy();
      resolve({ ok: true, ms: Date.now() - started, protocol });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, ms: Date.now() - started, error: `no handshake within ${timeoutMs} ms` });
    });
    socket.once('error', (error) => resolve({ ok: false, ms: Date.now() - started, error: errorText(error) }));
  });
}
