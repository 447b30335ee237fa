// A fleet push of 100,000 devices interrupted by SIGTERM part-way: the ledger must list every
// input device exactly once (sent, or not_sent), and the actions the sandbox created must be
// exactly the devices the ledger says were accepted. Prints the figures and the verdict.
// Usage: npm run build && node bench/interrupt.mjs [--devices 100000] [--after 20000] [--concurrency 64]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removedAtExit } from './lib.mjs';

const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const devices = option('--devices', 100_000);
const after = option('--after', 20_000);
const concurrency = option('--concurrency', 64);
const bin = fileURLToPath(new URL('../bin/amps', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'amps-interrupt-'));
removedAtExit(dir);
const env = { ...process.env, AMPS_CONFIG_DIR: dir, NO_COLOR: '1' };

const server = spawn(process.execPath, [bin, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--fleet-size', String(devices), '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const { url, key } = JSON.parse(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d)))));
try {
  const ids = Array.from({ length: devices }, (_, i) => `bat_load_${String(i + 1).padStart(6, '0')}`);
  const file = join(dir, 'ids.txt');
  const ledgerFile = join(dir, 'ledger.ndjson');
  writeFileSync(file, `${ids.join('\n')}\n`);
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'push', 'battery', '--devices', file, 'auto.balanced', '--concurrency', String(concurrency), '--out', ledgerFile, '--quiet'], {
    env: { ...env, AMPS_API_URL: url, AMPS_API_KEY: key },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let ended = false;
  const exited = new Promise((resolve) => child.on('close', (code) => {
    ended = true;
    resolve(code);
  }));
  // Roughly `after` ledger lines in (each is ~330 bytes): then SIGTERM, as `timeout` or systemd would.
  // A run that ends first (fewer devices than --after) is said, not waited on for ever.
  for (;;) {
    if (ended) throw new Error(`the push ended before ${after} ledger lines were written: give --after less than --devices`);
    let size = 0;
    try {
      size = statSync(ledgerFile).size;
    } catch {}
    if (size > after * 300) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const signalledAt = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  const stoppedMs = performance.now() - signalledAt;
  // The device lines: the run, horizon and end records are the ledger's own.
  const lines = readFileSync(ledgerFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => typeof l.outcome === 'string');
  const seen = new Map();
  for (const line of lines) seen.set(line.id, (seen.get(line.id) ?? 0) + 1);
  const twice = [...seen.values()].filter((n) => n > 1).length;
  const missing = ids.filter((id) => !seen.has(id)).length;
  const accepted = lines.filter((l) => l.outcome === 'accepted').length;
  const notSent = lines.filter((l) => l.outcome === 'not_sent').length;
  const actions = await fetch(`${url}/actions?limit=1`, { headers: { 'x-api-key': key } }).then((r) => r.json());
  const created = actions.data.pagination.total;
  console.log(`devices ${devices.toLocaleString('en')}, concurrency ${concurrency}, SIGTERM after ${((signalledAt - started) / 1000).toFixed(1)} s`);
  console.log(`exit code ${code}; stopped ${stoppedMs.toFixed(0)} ms after the signal`);
  console.log(`ledger device lines ${lines.length.toLocaleString('en')}: accepted ${accepted.toLocaleString('en')}, not_sent ${notSent.toLocaleString('en')}, other ${lines.length - accepted - notSent}`);
  console.log(`devices missing from the ledger ${missing}; listed twice ${twice}; actions the sandbox created ${created.toLocaleString('en')}`);
  const ok = code === 130 && missing === 0 && twice === 0 && lines.length === devices && created === accepted;
  console.log(ok ? 'every input device is in the ledger exactly once, and the accepted ones are exactly the actions created' : 'FAILED: the ledger does not account for every device exactly once');
  process.exitCode = ok ? 0 : 1;
} finally {
  server.kill('SIGTERM');
}
