import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

// A deliberately misbehaving API on loopback. The first path segment picks the fault; the server
// counts what it received, by method, so tests can prove a push was (or was not) sent twice.

export type Fault =
  | 'ok'
  | 'reset'
  | 'hang'
  | 'trickle'
  | 'until-close'
  | 'batteries-refused'
  | 'ratelimit-20s'
  | 'html502'
  | 'html503'
  | 'badjson200'
  | 'truncated'
  | 'ratelimit-once'
  | 'accepted-200'
  | 'status-000'
  | 'unavailable-twice'
  | 'timeout504'
  | 'timeout504-once'
  | 'offline-once'
  | 'unknown500'
  | 'invalid400'
  | 'html202'
  | 'offline'
  | 'unavailable-wait-120'
  | 'failed200'
  | 'trunc202'
  | 'null200'
  | 'empty200'
  | 'string202'
  | 'huge'
  | 'endless'
  | 'retryafter-hour'
  | 'retryafter-overflow'
  | 'deep422'
  | 'wide422'
  | 'long-fields'
  | 'page-then-unavailable'
  | 'dotdot-action'
  | 'conflict-dotdot'
  | 'unknown409'
  | 'offline409'
  | 'more-for-ever'
  | 'escapes'
  | 'c1-strings'
  | 'bad-total'
  | 'text200-escapes'
  | 'escape-code'
  | 'continue100'
  | 'echo-key'
  | 'echo-key-escaped'
  | 'echo-key-spellings'
  | 'echo-key-hidden'
  | 'echo-key-hidden-read'
  | 'echo-key-loose'
  | 'echo-key-split-only'
  | 'words-like-key'
  | 'accept-then-unavailable'
  | 'accept-then-internal'
  | 'seen-then-silent'
  | 'badstart'
  | 'badzone'
  | 'bad-slots'
  | 'schedule-odd-times'
  | 'schedule-moved'
  | 'mixed'
  | 'other-id'
  | 'redirect'
  | 'junk-items'
  | 'odd-action-fields'
  | 'unusable-items'
  | 'bad-events'
  | 'deep-events'
  | 'empty-more'
  | 'repeated-events'
  | 'junk-retry-after'
  | 'negative-retry-details'
  | 'settings-unconfirmed'
  | 'gzip200'
  | 'gzip502'
  | 'latin1-200'
  | 'settings-list'
  | 'commands-list'
  | 'commands-junk'
  | 'settings-junk'
  | 'two-request-ids'
  | 'offset-loop';

/** The key with `mark` inside it (after 20 characters): what a server that splits it sends. */
const splitKey = (key: string, mark: string) => `${key.slice(0, 20)}${mark}${key.slice(20)}`;
/** ESC [ 1 m with every byte a JSON escape: an escape sequence only once the JSON is read. */
const ESCAPED_BYTES_CSI = '\\u001b\\u005b1\\u006d';

const envelope = (code: string, message: string, details?: unknown) =>
  JSON.stringify({ success: false, error: { code, message, ...(details ? { details } : {}) }, meta: { requestId: 'req_fault', timestamp: new Date().toISOString(), path: '/x', latencyMs: 1 } });
const okBody = JSON.stringify({
  success: true,
  data: { id: 'act_ok', deviceId: 'b1', deviceType: 'battery', command: 'charge', parameters: null, state: 'acknowledged', createdAt: '2026-01-01T00:00:00Z', start: null, links: { self: '/actions/act_ok' }, vendor: 'v', sync: { available: true, lastPulledAt: '2026-01-01T00:00:00Z' }, metadata: { model: 'm', source: 'live' } },
  meta: { requestId: 'req_ok' },
});

/**
 * The good answer, about what was asked for (amps refuses a result about another id): a device
 * read is that device, an action read or cancel that action, a push that device's action.
 */
function okFor(method: string, url: string): string {
  const [, , first, second, third] = url.split('?')[0].split('/').map(decodeURIComponent);
  if (first === undefined || second === undefined) return okBody;
  const body = JSON.parse(okBody);
  if (first === 'actions') body.data.id = second;
  else if (third === undefined && method === 'GET') body.data.id = second;
  else if (third === undefined && method === 'POST') body.data.deviceId = second;
  else return okBody;
  return JSON.stringify(body);
}

/** A device read whose strings carry terminal escapes: a window title, a screen clear, a bell, an RLO. */
const hostileDevice = {
  id: 'b1', vendor: 'v\u001b]0;pwned\u0007', sync: { available: true, lastPulledAt: '2026-01-01T00:00:00Z' }, metadata: { model: 'm\u001b[2J', source: 'live' },
  state: { status: 'ok\u0007', level: 50 }, conflictStrategies: ['cancel_and_replace\u001b[2J', '\u202equeue_after'],
  commands: { charge: { parameters: { power: { unit: 'kw\u001b[31m', min: 0, max: 5 } }, execution: ['immediate'] } },
};

let actionCounter = 0;
const accepted = (id: string) => JSON.stringify({
  success: true,
  data: { id: `act_fault_${++actionCounter}`, deviceId: id, deviceType: 'battery', command: 'charge', parameters: null, state: 'acknowledged', createdAt: '2026-01-01T00:00:00Z', start: null, links: { self: '/actions/x' } },
  meta: { requestId: `req_${actionCounter}` },
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
      res.end(body === okBody ? okFor(req.method ?? 'GET', req.url ?? '/') : body);
    };
    switch (fault) {
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"success": true, "da');
        setTimeout(() => req.socket.resetAndDestroy(), 20);
        return;
      case 'hang':
        return;
      case 'ratelimit-20s':
        return json(429, envelope('RATE_LIMIT_EXCEEDED', 'The API key has exceeded its rate limit.', { retryAfterSeconds: 20 }), { 'retry-after': '20' });
      case 'batteries-refused':
        // One of a command's parallel reads refused at once, the others never answered.
        if ((req.url ?? '').split('/')[2]?.startsWith('batter')) return json(400, envelope('VALIDATION_ERROR', 'Request validation failed.'));
        return;
      case 'until-close':
        // A body framed by the connection's end (no length, no chunks), the whole JSON sent, the
        // connection kept open: it has not ended until the server closes it.
        req.socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${okBody}`);
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
      case 'status-000':
        // A raw TCP server's status line: no HTTP status at all.
        req.socket.end('HTTP/1.1 000 Nothing\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
        return;
      case 'accepted-200':
        // A push answered 200, not the docs' 202: the ledger keeps the status that came.
        return json(200, okBody);
      case 'ratelimit-once':
        return nth === 1 ? json(429, envelope('RATE_LIMIT_EXCEEDED', 'The API key has exceeded its rate limit.', { retryAfterSeconds: 1 }), { 'retry-after': '1' }) : json(req.method === 'POST' ? 202 : 200, okBody);
      case 'unavailable-twice':
        return nth <= 2 ? json(503, envelope('SERVICE_UNAVAILABLE', 'The device manufacturer service is temporarily unavailable.')) : json(req.method === 'POST' ? 202 : 200, okBody);
      case 'timeout504':
        return json(504, envelope('TIMEOUT', 'The device manufacturer did not respond in time.'));
      case 'timeout504-once':
        return nth === 1 ? json(504, envelope('TIMEOUT', 'The device manufacturer did not respond in time.')) : json(req.method === 'POST' ? 202 : 200, okBody);
      case 'offline-once':
        return nth === 1 ? json(410, envelope('DEVICE_OFFLINE', 'The device is currently offline at the manufacturer.')) : json(req.method === 'POST' ? 202 : 200, okBody);
      case 'unknown500':
        return json(500, envelope('UNKNOWN_ERROR', 'The device manufacturer rejected the request.'));
      case 'two-request-ids':
        // A gateway's id beside the API's: no meta in the body, so the header is the id to quote.
        res.writeHead(410, [['content-type', 'application/json'], ['x-request-id', 'req_first'], ['x-request-id', 'req_second']]);
        return res.end(JSON.stringify({ success: false, error: { code: 'DEVICE_OFFLINE', message: 'The device is currently offline at the manufacturer.' } }));
      case 'offline':
        return json(410, envelope('DEVICE_OFFLINE', 'The device is currently offline at the manufacturer.'));
      case 'unavailable-wait-120':
        return json(503, envelope('SERVICE_UNAVAILABLE', 'The device manufacturer service is temporarily unavailable.'), { 'retry-after': '120' });
      case 'failed200':
        return json(200, envelope('SERVICE_UNAVAILABLE', 'The device manufacturer service is temporarily unavailable.'));
      case 'html202':
        res.writeHead(202, { 'content-type': 'text/html' });
        return res.end('<html><body>accepted</body></html>');
      case 'trunc202':
        return json(202, '{"success":true,"data":{"id":"act_1","st');
      case 'invalid400':
        return json(400, envelope('INVALID_PARAMETERS', 'One or more request parameters were invalid.'));
      case 'null200':
        return json(req.method === 'POST' ? 202 : 200, JSON.stringify({ success: true, data: null, meta: { requestId: 'req_null' } }));
      case 'empty200':
        res.writeHead(req.method === 'POST' ? 204 : 200);
        return res.end();
      case 'string202':
        return json(req.method === 'POST' ? 202 : 200, JSON.stringify({ success: true, data: 'hello', meta: { requestId: 'req_string' } }));
      case 'huge': {
        // 50 MB of a valid-looking body: amps must stop reading long before the end.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        let sent = 0;
        let open = true;
        res.on('close', () => (open = false));
        const pump = () => {
          while (open && sent < 50) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (open) res.end();
        };
        return pump();
      }
      case 'endless': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, ' ');
        let open = true;
        res.on('close', () => (open = false));
        const pump = () => {
          while (open && res.write(chunk));
          if (open) res.once('drain', pump);
        };
        return pump();
      }
      case 'retryafter-hour':
        return json(429, envelope('RATE_LIMIT_EXCEEDED', 'The API key has exceeded its rate limit.', { retryAfterSeconds: 3600 }), { 'retry-after': '3600' });
      case 'retryafter-overflow':
        return json(429, envelope('RATE_LIMIT_EXCEEDED', 'The API key has exceeded its rate limit.'), { 'retry-after': '99999999999' });
      case 'more-for-ever':
      case 'offset-loop': {
        // Every page says there is more, past the total it gives; 'offset-loop' answers every offset with the first page.
        const asked = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('offset') ?? 0);
        const offset = fault === 'offset-loop' ? 0 : asked;
        const items = Array.from({ length: 50 }, (_, i) => ({ id: `b${offset + i}`, vendor: 'v', metadata: { model: 'm' } }));
        return json(200, JSON.stringify({ success: true, data: { items, pagination: { total: fault === 'offset-loop' ? 1_000_000 : 120, limit: 50, offset, hasMore: true } }, meta: { requestId: 'req_loop' } }));
      }
      case 'empty-more':
        // A page that holds nothing and says more would come (its total 5): read on, it would be read again.
        return json(200, JSON.stringify({ success: true, data: { items: [], pagination: { total: 5, limit: 50, offset: 0, hasMore: true } }, meta: { requestId: 'req_empty' } }));
      case 'unknown409':
        // A 409 with a code no catalogue has, offering a strategy: not a conflict amps resolves.
        return json(409, envelope('WEIRD_409', 'x', { recoveryStrategies: ['cancel_and_replace'], conflictingActionIds: ['act_fine'] }));
      case 'offline409':
        // A 409 carrying a code of another class.
        return json(409, envelope('DEVICE_OFFLINE', 'The device is offline and cannot be reached. Please try again later.'));
      case 'conflict-dotdot':
        // A 409 whose details name the actions in the way as path steps.
        return json(409, envelope('CONFLICT', 'Device already has a command in progress', { conflictingActionIds: ['..', '.', 'act_fine'] }));
      case 'dotdot-action':
        // A push accepted with an action id that is a path step: following it would GET another route.
        return json(req.method === 'POST' ? 202 : 200, okBody.replace('"id":"act_ok"', '"id":".."'));
      case 'page-then-unavailable': {
        // A first list page with more to come, then every later page a 503.
        if (!/[?&]offset=0(&|$)/.test(req.url ?? '')) return json(503, envelope('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable.'));
        const items = Array.from({ length: 50 }, (_, i) => ({ id: `b${i}`, vendor: 'v', metadata: { model: 'm' } }));
        return json(200, JSON.stringify({ success: true, data: { items, pagination: { total: 120, limit: 50, offset: 0, hasMore: true } }, meta: { requestId: 'req_page' } }));
      }
      case 'long-fields':
        // A code, request id, path and timestamp of megabytes: fields a view prints whole, more than once.
        return json(400, JSON.stringify({ success: false, error: { code: 'C'.repeat(3_000_000), message: 'm' }, meta: { requestId: 'r'.repeat(1_000_000), path: `/${'p'.repeat(500_000)}`, timestamp: 't'.repeat(100_000) } }));
      case 'deep422': {
        const depth = 100_000;
        const body = `{"success":false,"error":{"code":"VALIDATION_ERROR","message":"The request body does not match the canonical schema.","details":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}},"meta":{"requestId":"req_deep"}}`;
        return json(422, body);
      }
      case 'wide422': {
        const fields = Array.from({ length: 200_000 }, (_, i) => ({ path: `action.parameters.p${i}`, problem: 'unknown key' }));
        return json(400, envelope('VALIDATION_ERROR', 'The request body does not match the canonical schema.', { fields }));
      }
      case 'escapes':
        return json(200, JSON.stringify({ success: true, data: hostileDevice, meta: { requestId: 'req_escape' } }));
      case 'c1-strings':
        // What JSON.stringify leaves raw: a C1 CSI (U+009B), DEL, a bidi override; in the body and a header.
        return json(200, JSON.stringify({ success: true, data: { ...hostileDevice, vendor: 'v\u009b2J\u009b31m', metadata: { model: 'm\u202e\u007f', source: 'live' } }, meta: { requestId: 'req_\u009b2J' } }), { 'x-request-id': 'req_\u009b2J' });
      case 'bad-total':
        // A list page whose total is text, escape sequences and all.
        return json(200, JSON.stringify({ success: true, data: { items: [], pagination: { total: req.url?.includes('/actions') ? '\u001b]0;PWNED\u0007\u001b[2J' : '5', limit: 50, offset: 0, hasMore: false } }, meta: { requestId: 'req_total' } }));
      case 'gzip200':
      case 'gzip502':
        // Compressed though amps asked for no encoding (Accept-Encoding: identity).
        res.writeHead(fault === 'gzip200' ? 200 : 502, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return res.end(gzipSync(okBody));
      case 'latin1-200':
        res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' });
        return res.end(Buffer.from('caf\xe9\n', 'latin1'));
      case 'text200-escapes':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('plain text \u001b]0;PWNED\u0007\u001b[2J and more\n');
      case 'escape-code':
        return json(500, envelope('WEIRD\u001b]0;pwned\u0007\u001b[2J', 'x\u001b[31m'));
      case 'continue100':
        // An unsolicited 100 Continue before the real response: HTTP allows 1xx only when asked for.
        req.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
        return setTimeout(() => json(200, okBody), 20);
      case 'badzone':
        // A device whose plant zone is no zone at all.
        return json(200, JSON.stringify({ success: true, data: { id: 'b1', metadata: { model: 'm', source: 'live', timeZone: 'Mars/Olympus_Mons' }, commands: { charge: { parameters: {}, execution: ['immediate', 'scheduled', 'windowed'] } } }, meta: { requestId: 'req_zone' } }));
      case 'bad-slots':
        // A schedule whose slots are not slots (null, a string, a slot without its command's parameters' units).
        return json(200, JSON.stringify({ success: true, data: { id: 'sch_1', deviceId: 'b1', state: 'active', timezone: null, recurrence: null, nextFireAt: null, slots: [null, 'x', { time: '01:00', duration: 'PT1H', command: 'charge', parameters: { power: null } }] }, meta: { requestId: 'req_slots' } }));
      case 'schedule-odd-times': {
        // A schedule in a zone amps does not know, whose next fire is no time; got, listed or cancelled.
        const schedule = { id: 'sch_1', deviceId: 'b1', state: req.method === 'DELETE' ? 'cancelled' : 'active', timezone: 'Mars/Olympus_Mons', recurrence: { rule: 'daily' }, nextFireAt: 'soon', slots: [{ time: '01:00', duration: 'PT1H', command: 'charge' }] };
        const data = (req.url ?? '').split('?')[0].endsWith('/schedules') ? { items: [schedule], pagination: { total: 1, limit: 50, offset: 0, hasMore: false } } : schedule;
        return json(200, JSON.stringify({ success: true, data, meta: { requestId: 'req_odd' } }));
      }
      case 'schedule-moved': {
        // A schedule set or created, answered on another clock, its first slot two hours later.
        if (req.method === 'GET') return json(200, JSON.stringify({ success: true, data: { id: 'b1', metadata: { model: 'm', source: 'live', timeZone: 'Europe/London' }, commands: { charge: { parameters: {}, execution: ['immediate', 'scheduled', 'windowed'] } } }, meta: { requestId: 'req_dev' } }));
        let text = '';
        req.on('data', (chunk) => (text += chunk));
        req.on('end', () => {
          const sent = JSON.parse(text) as { slots: Array<{ time: string }> };
          const slots = sent.slots.map((slot, index) => (index === 0 ? { ...slot, time: '03:00:00' } : slot));
          json(200, JSON.stringify({ success: true, data: { id: 'sch_moved', deviceId: 'b1', state: 'active', timezone: 'America/New_York', recurrence: null, nextFireAt: null, slots }, meta: { requestId: 'req_moved' } }));
        });
        return;
      }
      case 'badstart':
        // A push accepted, with a start nobody can read.
        return json(202, JSON.stringify({ success: true, data: { ...JSON.parse(accepted('b1')).data, start: 'not a time' }, meta: { requestId: 'req_badstart' } }));
      case 'accept-then-unavailable':
        // A push accepted, then every read of its action a 503 (a device read is answered, for the preflight).
        if (req.method === 'POST') return json(202, okBody);
        return json(503, envelope('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable.'));
      case 'accept-then-internal':
        // A push accepted, then every read of its action a generic 500 (a class of its own: retry once, then escalate).
        if (req.method === 'POST') return json(202, okBody);
        return json(500, envelope('INTERNAL_ERROR', 'An unexpected error occurred.'));
      case 'seen-then-silent':
        // An action read once (still pending), then never answered again.
        return nth === 1 ? json(200, okBody) : undefined;
      case 'echo-key-escaped': {
        // The key spelt in JSON escapes, which parse back to it: its underscores, its last character.
        const key = String(req.headers['x-api-key'] ?? '');
        const spelt = `${key.slice(0, -1).replaceAll('_', '\\u005f')}\\u00${key.charCodeAt(key.length - 1).toString(16)}`;
        const body = `{"success":false,"error":{"code":"INVALID_API_KEY","message":"Key ${spelt} is invalid","details":{"key":"${spelt}"}},"meta":{"requestId":"req_${spelt}","path":"/keys/${spelt}"}}`;
        return json(401, body);
      }
      case 'echo-key-spellings': {
        // The key spelt every other way a server might: in JSON text quoted inside a message (its
        // escapes behind two backslashes), without amps_, percent-escaped, as HTML entities.
        const key = String(req.headers['x-api-key'] ?? '');
        const bare = key.replace(/^amps_/, '');
        const nested = JSON.stringify(JSON.stringify({ k: key.replaceAll('_', '\\u005f') })).slice(1, -1);
        const message = `upstream said ${nested}; also ${bare}, ${encodeURIComponent(key).replaceAll('_', '%5F')}, ${key.replaceAll('_', '&#95;')}`;
        return json(401, `{"success":false,"error":{"code":"INVALID_API_KEY","message":"${message}"},"meta":{"requestId":"req_${bare}"}}`);
      }
      case 'echo-key-hidden': {
        // The key with what a terminal does not show inside it (a bell, an escape sequence, a
        // zero-width space, a bidi mark, a carriage return, a variation selector, a Hangul filler,
        // a tag character: whole again on screen), and with HTML's
        // named entity or an unterminated one. And marks that once made the search backtrack for minutes.
        const key = String(req.headers['x-api-key'] ?? '');
        const split = (mark: string) => splitKey(key, mark);
        const details = { bell: split('\u0007'), escape: split('\u001b[1m'), title: split('\u001b]0;t\u0007'), titleEndedByST: split('\u001b]0;t\u001b\\'), joiner: split('\u200d'), zeroWidth: split('\u200b'), bidi: split('\u202a'), carriage: split('\r'), lowbar: key.replaceAll('_', '&lowbar;'), bare: key.replaceAll('_', '&#95'), backtracking: `s${'\u001b]\u0007'.repeat(30)}`, operator: split('\u2062'), escapedBytes: split('@BYTES@'), glued: `X${split('@BYTES@')}`, variationSelector: split('\ufe0f'), filler: split('\u3164'), tag: split('\u{e0041}'), escapedSelector: split('@VS@'), escapedTag: split('@TAG@') };
        // An escape sequence whose bytes are JSON escapes too (`\u001b\u005b1m`): one only once read.
        const text = JSON.stringify({ success: false, error: { code: 'INVALID_API_KEY', message: `upstream said ${split('\u0007')}`, details }, meta: { requestId: `req_${split('\u200b')}`, path: `/${split('\u001b[0m')}` } });
        // A variation selector and a tag character (U+E0041, a surrogate pair) as JSON escapes.
        return json(401, text.replaceAll('@BYTES@', ESCAPED_BYTES_CSI).replaceAll('@VS@', '\\ufe0f').replaceAll('@TAG@', '\\udb40\\udc41'));
      }
      case 'echo-key-loose': {
        // The key as a server may quote it loosely: its secret part alone, upper-cased, or split by a
        // line break, a tab or a space (a terminal draws a line break within a line as a blank).
        const key = String(req.headers['x-api-key'] ?? '');
        const secret = key.replace(/^(amps_)?sk_(test|live)_/, '');
        const details = { secret, tail: key.slice(3), upper: key.toUpperCase(), lf: splitKey(key, '\n'), tab: splitKey(key, '\t'), crlf: splitKey(key, '\r\n'), space: splitKey(key, ' ') };
        return json(401, JSON.stringify({ success: false, error: { code: 'INVALID_API_KEY', message: `upstream said ${splitKey(key, '\n')}`, details }, meta: { requestId: `req_${secret.toLowerCase()}` } }));
      }
      case 'echo-key-split-only': {
        // The key only ever split, by a line break or a tab inside a JSON string (JSON.stringify
        // writes them as the escapes `\n` and `\t`): no plain copy of it anywhere in the body.
        const key = String(req.headers['x-api-key'] ?? '');
        return json(401, JSON.stringify({ success: false, error: { code: 'INVALID_API_KEY', message: `upstream said ${splitKey(key, '\t')}`, details: { lf: splitKey(key, '\n') } }, meta: { requestId: 'req_split' } }));
      }
      case 'words-like-key':
        // Words that spell a key's secret part when it reads as words (the sandbox's own, localsandbox).
        return json(422, JSON.stringify({ success: false, error: { code: 'VALIDATION_ERROR', message: 'Request validation failed: see the Local Sandbox guide', details: { note: 'local sandbox only' } }, meta: { requestId: 'req_words' } }));
      case 'echo-key-hidden-read': {
        // A device read whose strings hold the key split by an escape sequence written in JSON escapes, read only once parsed.
        const split = splitKey(String(req.headers['x-api-key'] ?? ''), '@BYTES@');
        const text = JSON.stringify({ success: true, data: { id: 'b1', vendor: `X${split}`, sync: { available: true, lastPulledAt: '2026-01-01T00:00:00Z' }, metadata: { model: `${split}\u2062`, source: 'live' }, commands: {} }, meta: { requestId: 'req_read' } });
        return json(200, text.replaceAll('@BYTES@', ESCAPED_BYTES_CSI));
      }
      case 'echo-key': {
        // A careless server that echoes the caller's key everywhere it can: message, details, request id, path.
        const key = String(req.headers['x-api-key'] ?? '');
        const body = JSON.stringify({
          success: false,
          error: { code: 'INVALID_API_KEY', message: `Key ${key} is invalid`, details: { key, hint: `rotate ${key}` } },
          meta: { requestId: `req_${key}`, timestamp: new Date().toISOString(), path: `/keys/${key}`, latencyMs: 1 },
        });
        return json(401, body, { 'x-request-id': `req_${key}` });
      }
      case 'mixed': {
        // One bad 2xx among good ones: /mixed/battery/<id>; ids starting null_ or str_ get junk.
        const id = (req.url ?? '').split('/')[3] ?? '';
        if (req.method === 'GET') return json(200, okBody);
        if (id.startsWith('null_')) return json(202, JSON.stringify({ success: true, data: null, meta: { requestId: 'req_null' } }));
        if (id.startsWith('str_')) return json(202, JSON.stringify({ success: true, data: 'hello', meta: { requestId: 'req_str' } }));
        return json(202, accepted(id));
      }
      case 'other-id': {
        // Every answer about another id than the one asked for: a proxy's cache, a server's bug.
        const path = (req.url ?? '').split('?')[0];
        if (path.endsWith('/settings')) return json(200, JSON.stringify({ success: true, data: { deviceId: 'bat_other', updated: ['safety_reserve'] }, meta: { requestId: 'req_other' } }));
        const data = { ...JSON.parse(okBody).data, id: path.includes('/actions/') ? 'act_other' : req.method === 'GET' ? 'bat_other' : 'act_ok', deviceId: 'bat_other', state: path.endsWith('/cancel') ? 'cancelled' : 'acknowledged' };
        return json(req.method === 'POST' && !path.includes('/actions/') ? 202 : 200, JSON.stringify({ success: true, data, meta: { requestId: 'req_other' } }));
      }
      case 'deep-events':
      case 'repeated-events': {
        // A sandbox whose event's body is nested 100,000 deep (JSON.parse reads it, JSON.stringify
        // cannot write it); or one that lists its one event 50 times, whatever `after` asks for.
        if ((req.url ?? '').includes('/_sandbox/webhook-secret')) return json(200, JSON.stringify({ success: true, data: { secret: 'whsec_dGVzdHNlY3JldA==' }, meta: { requestId: 'req_secret', timestamp: new Date().toISOString() } }));
        const event = JSON.stringify({ id: 'msg_1', seq: 1, type: 'device.connected', createdAt: new Date().toISOString(), body: { deviceId: 'b1' } });
        const items = fault === 'deep-events' ? event.replace('{"deviceId":"b1"}', `${'{"a":'.repeat(100_000)}{}${'}'.repeat(100_000)}`) : Array(50).fill(event).join(',');
        return json(200, `{"success":true,"data":{"items":[${items}],"lastSeq":1,"oldestSeq":1},"meta":{"requestId":"req_events"}}`);
      }
      case 'bad-events': {
        // A sandbox whose event list holds an event without a body, and one whose type is an escape.
        if ((req.url ?? '').includes('/_sandbox/webhook-secret')) return json(200, JSON.stringify({ success: true, data: { secret: 'whsec_dGVzdHNlY3JldA==' }, meta: { requestId: 'req_secret', timestamp: new Date().toISOString() } }));
        const createdAt = new Date().toISOString();
        const items = [{ id: 'msg_1', seq: 1, type: 'device.connected', createdAt, body: null }, { id: 'msg_2', seq: 2, type: 'device.\u001b[2Jconnected', createdAt, body: {} }];
        return json(200, JSON.stringify({ success: true, data: { items, lastSeq: 2, oldestSeq: 1 }, meta: { requestId: 'req_events' } }));
      }
      case 'odd-action-fields': {
        // A failed action whose errorCode is a number and whose errorMessage an object; act_state's state is a number.
        const id = (req.url ?? '').split('?')[0].split('/').pop();
        const data = { ...JSON.parse(okBody).data, id, state: id === 'act_state' ? 42 : 'failed', errorCode: 42, errorMessage: { x: 1 } };
        return json(200, JSON.stringify({ success: true, data, meta: { requestId: 'req_odd' } }));
      }
      case 'unusable-items': {
        // Objects, but no usable action, device or schedule: an id that is an object, a start that
        // is no time (a month 99, February 30, a year past 9999), a state that is a number.
        if ((req.url ?? '').split('?')[0].endsWith('/schedules')) {
          const schedule = { id: 'sch_1', deviceId: 'b1', state: 'active', timezone: 'UTC', recurrence: null, nextFireAt: null, slots: [{ time: '01:00', duration: 'PT1H', action: { command: 'charge' } }] };
          const items = [schedule, { ...schedule, id: 'sch_2', state: {}, timezone: {} }, { ...schedule, id: 7 }, { ...schedule, id: 'sch_3', timezone: 42 }, { ...schedule, id: 'sch_4', slots: [null] }];
          return json(200, JSON.stringify({ success: true, data: { items, pagination: { total: 5, limit: 10, offset: 0, hasMore: false } }, meta: { requestId: 'req_unusable' } }));
        }
        const good = JSON.parse(okBody).data;
        const items = [good, { ...good, id: { a: 1 } }, { ...good, id: 'act_2', start: '2026-99-99' }, { ...good, id: 'act_3', state: 42 }, { ...good, id: 'act_4', start: '2026-02-30T00:00:00Z' }, { ...good, id: 'act_5', start: '+275760-09-13T00:00:00.000Z' }];
        return json(200, JSON.stringify({ success: true, data: { items, pagination: { total: 6, limit: 6, offset: 0, hasMore: false } }, meta: { requestId: 'req_unusable' } }));
      }
      case 'junk-items': {
        // A list page of four items, three of them no object: the next page starts after all four.
        const good = JSON.parse(okBody).data;
        const offset = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('offset') ?? 0);
        return json(200, JSON.stringify({ success: true, data: { items: [null, good, 5, 'x'], pagination: { total: 9, limit: 4, offset, hasMore: true } }, meta: { requestId: 'req_junk' } }));
      }
      case 'redirect':
        // The API moved (or a proxy sends every request elsewhere): never followed, the key would go with it.
        res.writeHead(308, { location: 'https://elsewhere.example/v2/battery/b1' });
        return res.end();
      case 'junk-retry-after':
        // A Retry-After that is neither seconds nor an HTTP date (Date.parse reads "-5" as 2001).
        return json(429, envelope('RATE_LIMITED', 'The device manufacturer is rate limiting requests. Please try again shortly.'), { 'retry-after': '-5' });
      case 'negative-retry-details':
        return json(429, envelope('RATE_LIMITED', 'The device manufacturer is rate limiting requests. Please try again shortly.', { retryAfterSeconds: -5 }));
      case 'settings-list':
      case 'settings-junk': {
        // A device read whose settings map is no map, or whose setting has values of other types.
        const settings = fault === 'settings-list' ? [1, 2] : { safety_reserve: { value: 'lots', unit: 5, min: 'a', max: null } };
        return json(200, JSON.stringify({ success: true, data: { id: 'b1', type: 'battery', settings }, meta: { requestId: 'req_settings' } }));
      }
      case 'commands-list':
      case 'commands-junk': {
        // A device read whose commands map is no map, or whose parameter has a unit of another type.
        const commands = fault === 'commands-list' ? [] : { charge: { parameters: { target: { unit: 5, min: 0, max: 100 } }, execution: ['immediate'] } };
        return json(200, JSON.stringify({ success: true, data: { id: 'b1', type: 'battery', commands }, meta: { requestId: 'req_commands' } }));
      }
      case 'settings-unconfirmed':
        // A settings write answered for its device, confirming none of what was written.
        return json(200, JSON.stringify({ success: true, data: { deviceId: 'b1', updated: [] }, meta: { requestId: 'req_unconfirmed' } }));
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
