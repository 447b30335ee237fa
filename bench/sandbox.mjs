// Sandbox throughput: device reads and pushes per second at concurrency 32 against
// `amps sandbox serve`, with the server's peak RSS. Printed, not asserted.
// Usage: npm run build && node bench/sandbox.mjs [--seconds 3] [--concurrency 32]
import { spawn } from 'node:child_process';
import { peakRssMb } from './lib.mjs';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const seconds = arg('--seconds', 3);
const concurrency = arg('--concurrency', 32);
const fleetSize = 50_000;
const bin = fileURLToPath(new URL('../bin/amps', import.meta.url));

const server = spawn(process.execPath, [bin, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--fleet-size', String(fleetSize), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const { url, key } = JSON.parse(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d)))));
const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
const headers = { 'x-api-key': key, 'content-type': 'application/json' };

/** Requests for `seconds`, or until `limit` were sent: pushes stop at one a device (a second, to a device whose action is in flight, is a CONFLICT by design). */
async function drive(name, makeRequest, limit = Number.POSITIVE_INFINITY) {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  let issued = 0;
  const worker = async () => {
    while (Date.now() < deadline && issued < limit) {
      issued++;
      const { statusCode, body } = await pool.request(makeRequest(done + failed));
      await body.dump();
      if (statusCode < 300) done++;
      else failed++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (Date.now() - started) / 1000;
  console.log(`${name.padEnd(12)} ${(done / elapsed).toFixed(0).padStart(7)} req/s  (${done} ok, ${failed} failed, ${elapsed.toFixed(1)} s)`);
}

try {
  console.log(`node ${process.version}; sandbox with ${fleetSize + 22} devices; concurrency ${concurrency}; ${seconds} s per phase`);
  await drive('device read', () => ({ path: '/battery/bat_voltaro_01', method: 'GET', headers }));
  let next = 0;
  await drive('push', () => {
    next += 1;
    return { path: `/battery/bat_load_${String(next).padStart(6, '0')}`, method: 'POST', headers, body: JSON.stringify({ action: { command: 'auto.balanced' } }) };
  }, fleetSize);
  console.log(`sandbox peak RSS ${peakRssMb(server.pid).toFixed(0)} MB`);
} finally {
  await pool.close();
  server.kill('SIGTERM');
}
