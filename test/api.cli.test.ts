import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, freshConfigDir, runCli } from './helpers/cli.js';
import { startFaultServer, type FaultServer } from './helpers/fault-server.js';
import { type TestSandbox, useSandbox } from './helpers/sandbox.js';

// amps api: any request with the configured key and base URL, as gh api does; the body as the API
// sent it; errors through the one decoder; reads retried, writes not; --paginate merges pages.

const KEY = 'amps_sk_test_apiCommand01';
let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
useSandbox({}, KEY, (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});
const amps = (args: string[], input?: string) => runCli(['api', ...args], { env, input });

describe('amps api', () => {
  it('prints the body as the API sent it; -f builds nested bodies for writes and queries for reads', async () => {
    const read = await amps(['GET', '/battery/bat_voltaro_01']);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ success: true, data: { id: 'bat_voltaro_01' }, meta: { requestId: expect.any(String) } });
    const write = await amps(['POST', '/battery/bat_voltaro_02', '-f', 'action.command=charge', '-f', 'action.parameters.target={"value":80,"unit":"percent"}']);
    expect(write.code).toBe(0);
    expect(sandbox.requests.at(-1)).toMatchObject({ method: 'POST', path: '/battery/bat_voltaro_02', body: { action: { command: 'charge', parameters: { target: { value: 80, unit: 'percent' } } } } });
    const listed = await amps(['GET', '/actions', '-f', 'deviceId=bat_voltaro_02']);
    expect(sandbox.requests.at(-1)!.path).toBe('/actions?deviceId=bat_voltaro_02');
    expect(JSON.parse(listed.stdout).data.items).toHaveLength(1);
    // With --json stdout is the body alone: where the write went is a notice on stderr (it said nothing).
    const json = await amps(['POST', '/battery/bat_kestrel_02', '-f', 'action.command=idle', '--json']);
    expect([json.code, json.stderr.trim().split('\n').map((l) => JSON.parse(l))]).toEqual([0, [{ notice: expect.stringMatching(/^sandbox: (embedded|test key, http:\/\/127\.0\.0\.1:\d+)$/) }]]);
    expect(JSON.parse(json.stdout)).toMatchObject({ success: true });
  });

  it('--paginate merges every page into one array; --body sends a file', async () => {
    const all = await amps(['GET', '/battery', '-f', 'limit=5', '--paginate']);
    expect(all.code).toBe(0);
    const items = JSON.parse(all.stdout);
    expect(items.map((d: { id: string }) => d.id)).toContain('bat_kestrel_02');
    expect(items).toHaveLength(13);
    expect(sandbox.requests.filter((q) => q.path.startsWith('/battery?')).length).toBe(3);
    const file = join(freshConfigDir(), 'body.json');
    writeFileSync(file, JSON.stringify({ action: { command: 'idle' } }));
    expect((await amps(['POST', '/battery/bat_kestrel_01', '--body', file])).code).toBe(0);
    expect(sandbox.requests.at(-1)!.body).toEqual({ action: { command: 'idle' } });
  });

  it('errors go through the decoder with its exit codes; --dry-run sends nothing', async () => {
    const missing = await amps(['GET', '/battery/bat_nope_99']);
    expect([missing.code, missing.stderr]).toEqual([4, expect.stringContaining('DEVICE_NOT_FOUND')]);
    const count = sandbox.requests.length;
    const dry = await amps(['DELETE', '/hvac/hvac_thermia_01/schedule', '--dry-run']);
    expect([dry.code, dry.stderr.trim()]).toEqual([0, 'dry run: nothing was sent (would DELETE /hvac/hvac_thermia_01/schedule)']);
    // --json says it too, as a notice: a bodiless request printed nothing at all.
    const dryJson = await amps(['GET', '/battery/bat_voltaro_01', '-f', 'expedite=true', '--dry-run', '--json']);
    expect([dryJson.code, dryJson.stdout, JSON.parse(dryJson.stderr)]).toEqual([0, '', { notice: 'dry run: nothing was sent (would GET /battery/bat_voltaro_01?expedite=true)' }]);
    expect(sandbox.requests.length).toBe(count);
  });

  it('refuses what is not a request, in one line, exit 2, nothing sent', async () => {
    const count = sandbox.requests.length;
    for (const [args, said] of [
      [['FETCH', '/x'], "'FETCH' is not an HTTP method amps sends"],
      [['GET', 'https://example.com/x'], "'https://example.com/x' is a URL; amps api takes a path under the API"],
      [['GET', 'battery'], "'battery' is not a path under the API"],
      [['GET', '/a/../b'], "'/a/../b' climbs out of the API with . or .."],
      [['DELETE', '/schedules/%2e%2E/battery/bat_voltaro_02/schedule'], 'climbs out of the API with . or .. (or %2e)'],
      [['GET', '/battery/bat_voltaro_01\\..\\bat_voltaro_02'], 'holds a backslash, which URL parsers read as /'],
      [['GET', '/battery', '--retry', '1', '--retry', '2'], '--retry is given twice'],
      [['GET', '/a b'], 'the path holds spaces or control characters'],
      [['GET', '/actions#frag'], "'/actions#frag' holds a #, and a request never carries what follows it"],
      [['GET', '/actions?state=failed#x'], 'holds a #'],
      [['POST', '/x', '-f', 'no-equals'], "-f 'no-equals' is not NAME=VALUE"],
      [['POST', '/x', '--paginate'], '--paginate reads list pages: it goes with GET'],
    ] as const) {
      const r = await amps([...args]);
      expect([r.code, r.stderr.split('\n')[0]], args.join(' ')).toEqual([2, expect.stringContaining(said)]);
    }
    expect(sandbox.requests.length).toBe(count);
  });
});

describe('amps api with fields named after what every object has', () => {
  it('-f __proto__.apiUrl=… is a body field named __proto__: the request still goes to the configured API', async () => {
    const count = sandbox.requests.length;
    const r = await amps(['POST', '/battery/bat_voltaro_01/actions', '-f', 'action.command=idle', '-f', '__proto__.apiUrl="http://127.0.0.1:9"', '-f', '__proto__.dryRun=true']);
    expect(r.stderr).not.toContain('127.0.0.1:9');
    expect(r.stderr).not.toContain('dry run');
    expect(sandbox.requests.slice(count)).toEqual([expect.objectContaining({ method: 'POST', path: '/battery/bat_voltaro_01/actions' })]);
  });

  it('--paginate on something that is not a list page leaves stdout empty', async () => {
    const r = await amps(['GET', '/battery/bat_voltaro_01', '--paginate']);
    expect([r.code, r.stdout, r.stderr.split('\n')[0]]).toEqual([2, '', expect.stringContaining('answered its GET without a list page')]);
  });
});

describe('amps api retries reads, never writes', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  beforeEach(() => server.reset());
  afterAll(async () => server.close());

  it('a GET through two 503s succeeds; a POST is sent once and reports the 503 (exit 6)', async () => {
    const faultEnv = cleanEnv({ AMPS_API_URL: server.url('unavailable-twice'), AMPS_API_KEY: KEY });
    const read = await runCli(['api', 'GET', '/battery/b1'], { env: faultEnv });
    expect(read.code).toBe(0);
    expect(server.count('GET')).toBe(3);
    const write = await runCli(['api', 'POST', '/battery/b1', '-f', 'action.command=idle'], { env: faultEnv });
    expect(write.code).toBe(6);
    expect(server.count('POST')).toBe(1);
  });
});

describe('every typed list read is bounded', () => {
  it('listPages reads from an offset to the last page, and stops at MAX_LIST_PAGES against a server that says hasMore for ever (at its total, when it gives one)', async () => {
    const { listPages, MAX_LIST_PAGES } = await import('../src/api/resources.js');
    // total null: a page that gives none.
    const page = (offset: number, count: number, hasMore: boolean, total: number | null = 99) => ({
      data: { items: Array.from({ length: count }, (_, i) => offset + i), pagination: { limit: 2, offset, total: total ?? undefined, hasMore } },
      meta: {}, status: 200, attempts: 1, raw: '',
    });
    const offsets: number[] = [];
    for await (const p of listPages((offset) => Promise.resolve(page(offset, offset < 6 ? 2 : 1, offset < 6)), { offset: 2 })) offsets.push(p.pagination!.offset);
    expect(offsets).toEqual([2, 4, 6]);
    let pages = 0;
    let cappedAt: number | undefined;
    for await (const _ of listPages((offset) => Promise.resolve(page(offset, 2, true, null)), { onCapped: (next) => (cappedAt = next) })) pages++;
    expect([pages, cappedAt]).toEqual([MAX_LIST_PAGES, MAX_LIST_PAGES * 2]);
    // One that gives a total is read to it, whatever hasMore says past it.
    let totalled = 0;
    for await (const _ of listPages((offset) => Promise.resolve(page(offset, 2, true, 7)))) totalled++;
    expect(totalled).toBe(4);
    let empty = 0;
    for await (const _ of listPages((offset) => Promise.resolve(page(offset, 0, true)))) empty++;
    expect(empty).toBe(1);
  });
});

describe('amps api sends what it was given, and reads a list to its end and no further', () => {
  // A server that records each request's raw path and body, and answers by its first segment.
  const seen: Array<{ method: string; url: string; body: string }> = [];
  let base = '';
  let server: import('node:http').Server;
  beforeAll(async () => {
    const { createServer } = await import('node:http');
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body });
        const url = new URL(req.url!, 'http://x');
        const offset = Number(url.searchParams.get('offset'));
        const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        const page = (items: unknown[], pagination: Record<string, unknown>) => json(200, { success: true, data: { items, pagination }, meta: {} });
        switch (url.pathname.split('/')[1]) {
          case 'forever': return page([{ n: offset }], { limit: 1, offset, total: 5, hasMore: true });
          case 'page2-404': return offset === 0 ? page([{ n: 0 }], { hasMore: true }) : json(404, { success: false, error: { code: 'DEVICE_NOT_FOUND', message: 'gone' }, meta: {} });
          case 'page2-not-a-list': return offset === 0 ? page([{ n: 0 }], { hasMore: true }) : json(200, { success: true, data: { id: 'x' }, meta: {} });
          case 'text': return res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words\n');
          default: return json(200, { success: true, data: { ok: true }, meta: {} });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  });
  beforeEach(() => {
    seen.length = 0;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const api = (args: string[], input?: string) => runCli(['api', ...args], { env: cleanEnv({ AMPS_API_URL: base, AMPS_API_KEY: KEY }), input });

  it('--body goes byte for byte: numbers past a double and repeated keys as written', async () => {
    const text = '{"v":1e999,"id":12345678901234567890,"a":1,"a":2}';
    const r = await api(['POST', '/echo', '--body', '-'], text);
    expect(r.code).toBe(0);
    expect(seen.map((s) => s.body)).toEqual([text]);
    const dry = await api(['POST', '/echo', '--body', '-', '--dry-run'], text);
    expect(dry.stdout).toBe(`${text}\n`);
  });

  it('a query goes as typed: a name given twice stays twice, and -f adds to it (twice too: a query drops neither)', async () => {
    expect((await api(['GET', '/echo?x=1&x=2', '-f', 'x=3', '-f', 'y=4', '-f', 'y=5'])).code).toBe(0);
    // Its escapes (even one that is no UTF-8), its ; and its bare names too: parsed and written again, each changed.
    expect((await api(['DELETE', '/echo?note=caf%E9&a=1;b=2&flag', '-f', 'y=a b'])).code).toBe(0);
    expect(seen.map((s) => s.url)).toEqual(['/echo?x=1&x=2&x=3&y=4&y=5', '/echo?note=caf%E9&a=1;b=2&flag&y=a+b']);
    // --paginate sets limit and offset, and keeps the rest as typed.
    expect((await api(['GET', '/forever?note=caf%E9&flag&limit=2', '--paginate'])).code).toBe(0);
    expect(seen.slice(2, 4).map((s) => s.url)).toEqual(['/forever?note=caf%E9&flag&limit=2&offset=0', '/forever?note=caf%E9&flag&limit=2&offset=1']);
  });

  it('-f values go as typed: a number past a double is neither null nor rounded', async () => {
    const r = await api(['POST', '/echo', '-f', 'action.parameters.target=1e400', '-f', 'ref=12345678901234567890', '-f', 'note=plain words', '-f', 'list=[1, 2]']);
    expect(r.code, r.stderr).toBe(0);
    expect(seen.map((s) => s.body)).toEqual(['{"action":{"parameters":{"target":1e400}},"ref":12345678901234567890,"note":"plain words","list":[1, 2]}']);
    const dry = await api(['POST', '/echo', '-f', 'ref=12345678901234567890', '--dry-run']);
    expect(dry.stdout).toBe('{"ref":12345678901234567890}\n');
  });

  it('refuses a body -f fields would build with one of them dropped, and a --body that is not UTF-8', async () => {
    for (const [fields, said] of [
      [['a=1', 'a.b=2'], 'amps: -f a.b puts a field inside a, which another -f gives a value'],
      [['a.b=2', 'a=1'], 'amps: -f a gives a value to what other -f fields are inside'],
      [['a.b=1', 'a.b=2'], 'amps: -f a.b is given twice'],
    ] as const) {
      const r = await api(['POST', '/echo', ...fields.flatMap((f) => ['-f', f])]);
      expect([r.code, r.stderr.split('\n')[0]], fields.join(' ')).toEqual([2, said]);
    }
    const file = join(freshConfigDir(), 'latin1.json');
    writeFileSync(file, Buffer.from('{"note":"caf\xe9"}', 'latin1'));
    for (const args of [['api', 'POST', '/echo', '--body', file], ['push', 'battery', 'b1', '--body', file, '--no-preflight']]) {
      const r = await runCli(args, { env: cleanEnv({ AMPS_API_URL: base, AMPS_API_KEY: KEY }) });
      expect([r.code, r.stderr.split('\n')[0]], args[0]).toEqual([2, `amps: --body ${file} is not UTF-8 text`]);
    }
    // Sent byte for byte, a body that is empty or led by a byte-order mark is refused saying so.
    writeFileSync(file, '\ufeff{"a":1}');
    const bom = await api(['POST', '/echo', '--body', file]);
    expect([bom.code, bom.stderr.split('\n')[0]]).toEqual([2, `amps: --body ${file} starts with a byte-order mark, which JSON sent on the wire does not carry (RFC 8259)`]);
    const empty = await runCli(['api', 'POST', '/echo', '--body', '-'], { env: cleanEnv({ AMPS_API_URL: base, AMPS_API_KEY: KEY }), input: '' });
    expect([empty.code, empty.stderr.split('\n')[0]]).toEqual([2, 'amps: --body - is empty, so it is not JSON']);
    // stdin is read once: a second reader is told so, not that its input is bad.
    // Refused before either is read: the key piped in is never taken for a body (nor devices for a key).
    // Stdin named /dev/stdin is stdin too (until now the device list was read as the key).
    for (const args of [['api', 'POST', '/echo', '--body', '-'], ['push', 'battery', 'b1', '--body', '-'], ['push', 'battery', '--devices', '-', 'charge'], ['push', 'battery', '--devices', '/dev/stdin', 'charge'], ['api', 'POST', '/echo', '--body', '/dev/stdin']]) {
      const twice = await runCli([...args, '--api-key-file', '-'], { env: cleanEnv({ AMPS_API_URL: base }), input: `${KEY}\n` });
      const named = args.includes('--devices') ? `--devices ${args[args.indexOf('--devices') + 1]}` : `--body ${args[args.indexOf('--body') + 1]}`;
      expect([twice.code, twice.stderr.split('\n')[0]], args.join(' ')).toEqual([2, `amps: ${named} and the key on stdin both read stdin`]);
    }
    expect(seen).toEqual([]);
  });

  it('--paginate stops at the pages\' total, whatever hasMore says past it', async () => {
    const r = await api(['GET', '/forever', '--paginate']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    expect(seen).toHaveLength(5);
  });

  it('--paginate takes limit and offset as whole numbers only', async () => {
    for (const flags of [['-f', 'limit=abc'], ['-f', 'limit=1e3'], ['-f', 'limit=0'], ['-f', 'offset=-1']]) {
      const r = await api(['GET', '/forever', '--paginate', ...flags]);
      expect([r.code, r.stderr.split('\n').length, r.stderr], flags.join(' ')).toEqual([2, 2, expect.stringMatching(/^amps: --paginate counts pages with (limit|offset), so it takes one whole number/)]);
    }
    const twice = await api(['GET', '/forever?limit=2&limit=3', '--paginate']);
    expect([twice.code, twice.stderr]).toEqual([2, 'amps: --paginate counts pages with limit, so it takes one, not 2\n']);
    expect(seen).toEqual([]);
  });

  it('a page that fails after the first leaves the array unclosed, so no JSON reader takes it for the whole list', async () => {
    const failed = await api(['GET', '/page2-404', '--paginate']);
    expect([failed.code, failed.stdout]).toEqual([4, '[\n{"n":0}']);
    expect(() => JSON.parse(failed.stdout)).toThrow();
    const notList = await api(['GET', '/page2-not-a-list', '--paginate']);
    expect([notList.code, notList.stdout]).toEqual([8, '[\n{"n":0}']);
    expect(notList.stderr).toContain('INVALID_RESPONSE');
    expect(notList.stderr).toContain('page 2 of a list that is not a list page');
  });

  it('a 200 that is not JSON is printed as it came, once, exit 0', async () => {
    const r = await api(['GET', '/text']);
    expect([r.code, r.stdout]).toEqual([0, 'plain words\n']);
    expect(seen).toHaveLength(1);
  });

  it('refuses a path with a space or control of another script, or a mark that turns text around', async () => {
    for (const path of ['/a\u00a0b', '/a\u2028b', '/a\u0085b', '/a\u202eb', '/a\u3000b', '/a\u061cb', '/a\u00adb', '/a\ufff9b', '/a\u200bb']) {
      const r = await api(['GET', path]);
      expect([r.code, r.stderr], JSON.stringify(path)).toEqual([2, expect.stringContaining('the path holds spaces or control characters')]);
    }
    expect(seen).toEqual([]);
  });
});
