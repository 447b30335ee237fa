import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A deliberately misbehaving API on loopback. The first path segment picks the fault; the server
// counts what it received, by method, so tests can prove a push was (or was not) sent twice.

export type Fault =
  | 'ok'
  | 'reset'
  | 'hang'
  | 'trickle'
  | 'html502'
  | 'html503'
  | 'badjson200'
  | 'truncated'
  | 'ratelimit-once'
  | 'unavailable-twice'
  | 'timeout504';

const envelope = (code: string, message: string, details?: unknown) =>
  JSON.stringify({ success: false, error: { code, message, ...(details ? { details } : {}) }, meta: { requestId: 'req_fault', timestamp: new Date().toISOString(), path: '/x', latencyMs: 1 } });
const okBody = JSON.stringify({
  success: true,
  data: { id: 'act_ok', deviceId: 'b1', deviceType: 'battery', command: 'charge', parameters: null, state: 'acknowledged', createdAt: '2026-01-01T00:00:00Z', start: null, links: { self: '/actions/act_ok' }, vendor: 'v', sync: { available: true, lastPulledAt: '2026-01-01T00:00:00Z' }, metadata: { model: 'm', source: 'live' } },
  meta: { requestId: 'req_ok' },
});

export interface FaultServer {
  url(fault: Fault): string;
  count(method: string): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  const received: Array<{ method: string; fault: string }> = [];
  const seen = new Map<string, number>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const fault = (req.url ?? '/').split('/')[1] as Fault;
    received.push({ method: req.method ?? 'GET', fault });
    const nth = (seen.get(`${fault} ${req.method}`) ?? 0) + 1;
    seen.set(`${fault} ${req.method}`, nth);
    const json = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    switch (fault) {
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"success": true, "da');
        setTimeout(() => req.socket.resetAndDestroy(), 20);
        return;
      case 'hang':
        return;
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 300);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'html502':
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>nginx</body></html>');
      case 'html503':
        res.writeHead(503, { 'content-type': 'text/html' });
        return res.end('<html><title>503 Service Temporarily Unavailable</title></html>');
      case 'badjson200':
        return json(200, '{"success": true, "data": {"id": ');
      case 'truncated':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(okBody.length) });
        res.write(okBody.slice(0, 40));
        setTimeout(() => res.destroy(), 20);
        return;
      case 'ratelimit-once':
        return nth === 1 ? json(429, envelope('RATE_LIMIT_EXCEEDED', 'The API key has exceeded its rate limit.', { retryAfterSeconds: 1 }), { 'retry-after': '1' }) : json(req.method === 'POST' ? 202 : 200, okBody);
      case 'unavailable-twice':
        return nth <= 2 ? json(503, envelope('SERVICE_UNAVAILABLE', 'The device manufacturer service is temporarily unavailable.')) : json(req.method === 'POST' ? 202 : 200, okBody);
      case 'timeout504':
        return json(504, envelope('TIMEOUT', 'The device manufacturer did not respond in time.'));
      default:
        return json(200, okBody);
    }
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (fault) => `${base}/${fault}`,
    count: (method) => received.filter((r) => r.method === method).length,
    reset: () => {
      received.length = 0;
      seen.clear();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
