// Following a fleet to what the devices did: amps pushes to every device of `amps sandbox serve
// --fleet-size N --rate-limit 0 --fail-rate 0.02 --drift-rate 0.01`, each action scheduled to
// start at one instant after the last push, then `amps watch --ledger FILE --verify` follows them
// all from the scheduled state to terminal ones. Beside it, the bench polls the sandbox for the
// moment its own lifecycle has finished the last action (the floor any follower could reach).
// Prints, for each fleet size: list pages per poll round (goal: at most N/50), the device reads
// --verify made (one per completed action), watch's peak RSS (goal: under 150 MB and flat from
// 10,000 to 100,000), and watch's wall time from the scheduled start beside the sandbox's.
// Printed, not asserted.
// Usage: npm run build && node bench/follow.mjs [--sizes 10000,100000]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removedAtExit, trackPeakRss } from './lib.mjs';

const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const sizes = option('--sizes', '10000,100000').split(',').map(Number);
const bin = fileURLToPath(new URL('../bin/amps', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'amps-follow-'));
removedAtExit(dir);
const env = { ...process.env, AMPS_CONFIG_DIR: dir, NO_COLOR: '1' };

async function startServer(size) {
  const args = ['sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--fleet-size', String(size), '--fail-rate', '0.02', '--drift-rate', '0.01', '--json'];
  const server = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const { url, key } = JSON.parse(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d)))));
  return { server, url, key };
}

/** Runs amps to its end, polling its peak RSS; resolves with its exit code, stdout, peak MB and wall seconds. */
function ampsRun(args, extraEnv) {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const peak = trackPeakRss(child);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      resolve({ code, stdout, peakMb: peak(), seconds: (performance.now() - started) / 1000, endedAt: Date.now() });
    }),
  );
}

/** When the sandbox has no scheduled or acknowledged action left: its own lifecycle's end. */
async function lifecycleEnd(url, key) {
  const headers = { 'x-api-key': key };
  const count = async (state) => (await fetch(`${url}/actions?state=${state}&limit=1`, { headers }).then((r) => r.json())).data.pagination.total;
  for (;;) {
    if ((await count('scheduled')) === 0 && (await count('acknowledged')) === 0) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

console.log(`node ${process.version}; fail rate 0.02, drift rate 0.01; the sandbox completes an action 3 s after its start`);
for (const size of sizes) {
  const { server, url, key } = await startServer(size);
  const apiEnv = { AMPS_API_URL: url, AMPS_API_KEY: key };
  try {
    const file = join(dir, `ids-${size}.txt`);
    const ledger = join(dir, `ledger-${size}.ndjson`);
    writeFileSync(file, `${Array.from({ length: size }, (_, i) => `bat_load_${String(i + 1).padStart(6, '0')}`).join('\n')}\n`);
    // Every action starts at one instant after the last push (pushes run at several thousand a second here).
    const start = new Date(Math.ceil((Date.now() + 20_000 + size) / 1000) * 1000);
    const pushed = await ampsRun(['push', 'battery', '--devices', file, 'charge', '--at', start.toISOString(), '--concurrency', '64', '--out', ledger, '--quiet'], apiEnv);
    if (pushed.code !== 0) throw new Error(`the push exited ${pushed.code}`);
    if (Date.now() > start.getTime()) throw new Error('the push outlasted the scheduled start: raise the margin');
    const sandboxDone = lifecycleEnd(url, key);
    const watched = await ampsRun(['watch', '--ledger', ledger, '--verify', '--json', '--wait-timeout', '30m'], apiEnv);
    if (watched.code !== 0) throw new Error(`watch exited ${watched.code}`);
    const result = JSON.parse(watched.stdout);
    const { list, deviceReads, rounds } = result.requests;
    const counts = {};
    for (const row of result.actions) {
      const key = row.effect === 'drift' ? 'drift' : row.state;
      counts[key] = (counts[key] ?? 0) + row.count;
    }
    const followed = Object.values(counts).reduce((a, b) => a + b, 0);
    const sandboxSeconds = ((await sandboxDone) - start.getTime()) / 1000;
    const watchSeconds = (watched.endedAt - start.getTime()) / 1000;
    console.log(`${size.toLocaleString('en').padStart(7)} devices  followed ${followed.toLocaleString('en')} (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}), ${result.pending.length} pending`);
    console.log(`         list pages ${list} in ${rounds} rounds: ${(list / Math.max(rounds, 1)).toFixed(0)} a round (goal <= ${size / 50}); --verify device reads ${deviceReads}`);
    console.log(`         watch peak RSS ${watched.peakMb.toFixed(0)} MB; from the scheduled start: sandbox done after ${sandboxSeconds.toFixed(1)} s, watch done after ${watchSeconds.toFixed(1)} s`);
  } finally {
    server.kill('SIGTERM');
  }
}
