// Fleet push: amps pushes to N devices of `amps sandbox serve --fleet-size N --rate-limit 0` at
// concurrency 64, and beside it a minimal undici loop sends the same requests (one capability
// read, then one POST per device) in the same run. Prints both throughputs, their ratio, and amps'
// peak RSS, for each fleet size. Goals: ratio >= 0.8; peak RSS <= 150 MB and within 10% between
// 10,000 and 100,000 devices. Printed, not asserted.
// Usage: npm run build && node bench/fleet.mjs [--sizes 10000,100000] [--concurrency 64]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removedAtExit, trackPeakRss } from './lib.mjs';
import { Pool, request } from 'undici';

const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const sizes = option('--sizes', '10000,100000').split(',').map(Number);
const concurrency = Number(option('--concurrency', 64));
const bin = fileURLToPath(new URL('../bin/amps', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'amps-fleet-'));
removedAtExit(dir);
const env = { ...process.env, AMPS_CONFIG_DIR: dir, NO_COLOR: '1' };
const body = JSON.stringify({ action: { command: 'auto.balanced' } });

async function startServer(size) {
  const server = spawn(process.execPath, [bin, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--fleet-size', String(size), '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const { url, key } = JSON.parse(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d)))));
  return { server, url, key };
}

async function reset(url, key) {
  const r = await request(`${url}/_sandbox/reset`, { method: 'POST', headers: { 'x-api-key': key } });
  await r.body.dump();
}

/** The baseline: what a bare undici client does for the same work. */
async function undiciLoop(url, key, ids) {
  const pool = new Pool(url, { connections: concurrency });
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const started = performance.now();
  const read = await pool.request({ path: `/battery/${ids[0]}`, method: 'GET', headers });
  await read.body.dump();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const r = await pool.request({ path: `/battery/${id}`, method: 'POST', headers, body });
      await r.body.dump();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return ids.length / seconds;
}

async function ampsRun(url, key, file, count) {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'push', 'battery', '--devices', file, 'auto.balanced', '--concurrency', String(concurrency), '--json', '--quiet'], {
    env: { ...env, AMPS_API_URL: url, AMPS_API_KEY: key },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const peak = trackPeakRss(child);
  const code = await new Promise((resolve) => child.on('close', resolve));
  const peakMb = peak();
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`amps exited ${code}`);
  return { rate: count / seconds, peakMb };
}

console.log(`node ${process.version}; concurrency ${concurrency}; one capability read + one push per device`);
for (const size of sizes) {
  const { server, url, key } = await startServer(size);
  try {
    const ids = Array.from({ length: size }, (_, i) => `bat_load_${String(i + 1).padStart(6, '0')}`);
    const file = join(dir, `ids-${size}.txt`);
    writeFileSync(file, `${ids.join('\n')}\n`);
    const baseline = await undiciLoop(url, key, ids);
    await reset(url, key);
    const amps = await ampsRun(url, key, file, size);
    console.log(
      `${String(size).padStart(7)} devices  undici loop ${baseline.toFixed(0).padStart(6)}/s  amps ${amps.rate.toFixed(0).padStart(6)}/s  ratio ${(amps.rate / baseline).toFixed(2)}  amps peak RSS ${amps.peakMb.toFixed(0)} MB`,
    );
  } finally {
    server.kill('SIGTERM');
  }
}
