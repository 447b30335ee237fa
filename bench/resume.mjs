// Resume after a kill: a fleet push to N devices of `amps sandbox serve` is SIGKILLed at a random
// moment (no handler runs: the ledger is whatever reached the disk), then `amps push --resume`
// finishes it; a third of the time the resume is killed too and resumed in turn. Each trial then
// counts the pushes per device in the sandbox's request log. Goal: no device pushed twice, none
// left out, in 100 trials. Prints the counts and the verdict.
// Usage: npm run build && node bench/resume.mjs [--trials 100] [--devices 2000] [--concurrency 64]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removedAtExit } from './lib.mjs';

const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const trials = option('--trials', 100);
const devices = option('--devices', 2000);
const concurrency = option('--concurrency', 64);
const bin = fileURLToPath(new URL('../bin/amps', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'amps-resume-'));
removedAtExit(dir);
const env = { ...process.env, AMPS_CONFIG_DIR: dir, NO_COLOR: '1' };

// The sandbox's request log keeps the last 10,000 requests: enough for a trial of 2,000 devices.
const server = spawn(process.execPath, [bin, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--fleet-size', String(devices), '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const { url, key } = JSON.parse(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d)))));
const apiEnv = { ...env, AMPS_API_URL: url, AMPS_API_KEY: key };
const call = (method, path) => fetch(`${url}${path}`, { method, headers: { 'x-api-key': key } }).then((r) => r.json());

const ids = Array.from({ length: devices }, (_, i) => `bat_load_${String(i + 1).padStart(6, '0')}`);
const file = join(dir, 'ids.txt');
writeFileSync(file, `${ids.join('\n')}\n`);

/** Runs amps; with `killAfterMs`, SIGKILLs it then (if still running). Resolves with the exit code or signal. */
function amps(args, killAfterMs) {
  const child = spawn(process.execPath, [bin, ...args], { env: apiEnv, stdio: 'ignore' });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code);
    }),
  );
}

// How long an uninterrupted run takes: kills land anywhere from start-up to its end.
await call('POST', '/_sandbox/reset');
let started = performance.now();
await amps(['push', 'battery', '--devices', file, 'idle', '--concurrency', String(concurrency), '--out', join(dir, 'calibration.ndjson')]);
const runMs = performance.now() - started;
console.log(`node ${process.version}; ${devices} devices, concurrency ${concurrency}; an uninterrupted run takes ${runMs.toFixed(0)} ms`);

let twice = 0;
let missing = 0;
let killedMidRun = 0;
let killedBeforeRecord = 0;
let resumesKilled = 0;
started = performance.now();
for (let trial = 0; trial < trials; trial++) {
  await call('POST', '/_sandbox/reset');
  await call('DELETE', '/_sandbox/requests');
  const ledger = join(dir, `trial-${trial}.ndjson`);
  const killAt = Math.random() * runMs;
  if ((await amps(['push', 'battery', '--devices', file, 'idle', '--concurrency', String(concurrency), '--out', ledger], killAt)) === 'SIGKILL') killedMidRun++;
  const hasRun = (path) => existsSync(path) && readFileSync(path, 'utf8').startsWith('{"run":') && readFileSync(path, 'utf8').includes('\n');
  let from = ledger;
  if (!hasRun(ledger)) {
    // Killed before its run record reached the disk: nothing was sent, and the push is simply run again.
    const code = await amps(['push', 'battery', '--devices', file, 'idle', '--concurrency', String(concurrency), '--out', ledger]);
    if (code !== 0) console.log(`trial ${trial}: the push run again exited ${code}`);
    from = undefined;
    killedBeforeRecord++;
  } else if (Math.random() < 1 / 3) {
    if ((await amps(['push', '--resume', from], Math.random() * runMs)) === 'SIGKILL') resumesKilled++;
    // A resume that wrote its run record goes on from its own ledger (amps refuses the first one
    // again); one killed before that sent nothing.
    const resumed = from.replace(/\.ndjson$/, '.resumed.ndjson');
    if (hasRun(resumed)) from = resumed;
  }
  if (from) {
    const code = await amps(['push', '--resume', from]);
    if (code !== 0) console.log(`trial ${trial}: the last resume exited ${code}`);
  }
  const pushes = new Map();
  for (const request of (await call('GET', '/_sandbox/requests')).data.items) {
    if (request.method === 'POST' && request.path.startsWith('/battery/')) pushes.set(request.path.split('/')[2], (pushes.get(request.path.split('/')[2]) ?? 0) + 1);
  }
  const trialTwice = [...pushes.values()].filter((n) => n > 1).length;
  const trialMissing = ids.filter((id) => !pushes.has(id)).length;
  if (trialTwice || trialMissing) console.log(`trial ${trial} (killed at ${killAt.toFixed(0)} ms): ${trialTwice} pushed twice, ${trialMissing} never pushed`);
  twice += trialTwice;
  missing += trialMissing;
}
server.kill('SIGTERM');
console.log(`${trials} trials in ${((performance.now() - started) / 1000).toFixed(0)} s: ${killedMidRun} runs killed (${killedBeforeRecord} before their run record, so run again; the rest had finished), ${resumesKilled} resumes killed too`);
console.log(`devices pushed twice: ${twice}; devices never pushed: ${missing} (goal: 0 and 0)`);
