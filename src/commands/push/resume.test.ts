import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../api/client.js';
import { reconcile } from './resume.js';

// A resume's read of a device's actions, against a real misbehaving server over loopback HTTP.

describe('a resume reading back a device\'s actions', () => {
  it('a page that holds nothing though it says more would come leaves the device unsent, saying so: its action may be further on, and it is never "more than a resume reads"', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: true, data: { items: [], pagination: { total: 0, limit: 50, offset: 0, hasMore: true } }, meta: { requestId: 'req_empty' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = await ApiClient.create({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'amps_sk_test_resumeUnit1', userAgent: 'amps-test', timeoutMs: 5000, signal: new AbortController().signal, env: {} });
      const ledger = { run: { startedAt: new Date().toISOString() }, clock: null };
      // Until now the read ended there as if the list had, and the device was pushed again.
      await expect(reconcile(client, { id: 'bat_1', line: 1 } as never, ledger, () => true)).rejects.toMatchObject({
        message: expect.stringContaining('the list of its actions stopped at a page that held nothing though it said more would come'),
      });
    } finally {
      server.close();
    }
  });
});
