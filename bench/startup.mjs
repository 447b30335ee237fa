// Start-up time of the commands that need no network, beside `node -e 0` in the same run, and one
// `amps get` and one `amps push` against a running local sandbox. Prints medians and ratios.
// Goals: no-network commands within 1.3x of `node -e 0`; get and push within 2x.
// Usage: npm run build && node bench/startup.mjs [--rounds 3] [--runs 10]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, printTable } from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const bin = fileURLToPath(new URL('../bin/amps', import.meta.url));
const example = fileURLToPath(new URL('../docs/amps-api/examples/error-device-offline-manufacturer.json', import.meta.url));
const env = { ...process.env, AMPS_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'amps-bench-')), NO_COLOR: '1' };
delete env.AMPS_API_KEY;
delete env.AMPS_API_URL;

const server = spawn(process.execPath, [bin, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
const { url, key } = JSON.parse(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d)))));
const apiEnv = { ...env, AMPS_API_URL: url, AMPS_API_KEY: key };

const amps = (name, args, options = { env }) => ({ name, command: process.execPath, args: [bin, ...args], options });
const rounds = arg('--rounds', 3);
const runs = arg('--runs', 10);
try {
  const rows = compare(
    [
      { name: 'node -e 0', command: process.execPath, args: ['-e', '0'], options: { env } },
      amps('amps --version', ['--version']),
      amps('amps explain SCHEDULER_ACTIVE', ['explain', 'SCHEDULER_ACTIVE']),
      amps('amps decode FILE', ['decode', example], { env, allowFailure: true }),
      amps('amps push --dry-run --no-preflight', ['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '5kw', '--dry-run', '--no-preflight']),
      amps('amps config list', ['config', 'list']),
      amps('amps help exit-codes', ['help', 'exit-codes']),
      amps('amps completion bash', ['completion', 'bash']),
      amps('amps get (local sandbox)', ['get', 'battery', 'bat_voltaro_01'], { env: apiEnv }),
      amps('amps push (local sandbox)', ['push', 'battery', 'bat_voltaro_02', 'auto.balanced', '--on-conflict', 'cancel_and_replace'], { env: apiEnv, allowFailure: true }),
    ],
    { rounds, runs },
  );
  console.log(`node ${process.version}, ${rounds} rounds x ${runs} runs, medians${process.env.NODE_EXTRA_CA_CERTS ? ' (NODE_EXTRA_CA_CERTS is set)' : ''}`);
  printTable(rows, rows[0].ms);
} finally {
  server.kill('SIGTERM');
}
