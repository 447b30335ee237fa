// Start-up time of the commands that need no network, and of one `amps get` and one `amps push`
// against a running local sandbox, each beside `node -e 0` timed in the same run. Two environments:
// clean (every NODE_* variable unset, as on users' machines; first) and as this shell has it (where
// NODE_EXTRA_CA_CERTS makes every Node process, `node -e 0` included, load a CA bundle). The compile
// cache (src/lib/compile-cache.ts) is warmed by one run of each command first; the "no compile
// cache" rows show what a first run, or AMPS_DISABLE_COMPILE_CACHE=1, costs.
// Goals: no-network commands within 1.3x of `node -e 0`; get and push within 2x.
// With --instructions, also the instructions each run executes (valgrind's cachegrind, medians of
// three runs, clean environment only): on a shared machine wall time moves by a fifth between runs of
// the same build. A count moves by 2 to 9 M only because V8 picks each process's hash seed by a
// random search; less that search, by about 0.3%: that second table tells two builds apart.
// Usage: npm run build && node bench/startup.mjs [--rounds 3] [--runs 10] [--instructions]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argsOf, compare, compareInstructions, printTable, removedAtExit, valgrindAvailable } from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const bin = fileURLToPath(new URL('../bin/amps', import.meta.url));
const example = fileURLToPath(new URL('../docs/amps-api/examples/error-device-offline-manufacturer.json', import.meta.url));
const rounds = arg('--rounds', 3);
const runs = arg('--runs', 10);

if (process.argv.includes('--instructions') && !valgrindAvailable()) {
  console.error('--instructions needs valgrind (apt-get install valgrind)');
  process.exit(2);
}

const asIs = { ...process.env, AMPS_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'amps-bench-')), AMPS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'amps-bench-cache-')), NO_COLOR: '1' };
removedAtExit(asIs.AMPS_CONFIG_DIR, asIs.AMPS_CACHE_DIR);
for (const name of Object.keys(asIs)) if (name.startsWith('AMPS_') && !['AMPS_CONFIG_DIR', 'AMPS_CACHE_DIR'].includes(name)) delete asIs[name];
const clean = Object.fromEntries(Object.entries(asIs).filter(([name]) => !name.startsWith('NODE_')));

// Generated batteries, so each `amps push` goes to a device with nothing pending: the path an
// operator's push takes (a pending action would make it a conflict, a different path).
const PUSH_DEVICES = 20_000;
const server = spawn(process.execPath, [bin, 'sandbox', 'serve', '--port', '0', '--rate-limit', '0', '--fleet-size', String(PUSH_DEVICES), '--json'], { env: clean, stdio: ['ignore', 'pipe', 'ignore'] });
let pushed = 0;
const freshBattery = () => `bat_load_${String((pushed++ % PUSH_DEVICES) + 1).padStart(6, '0')}`;
const { url, key } = JSON.parse(await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d)))));

function cases(env) {
  const api = { ...env, AMPS_API_URL: url, AMPS_API_KEY: key };
  const uncached = { ...env, AMPS_DISABLE_COMPILE_CACHE: '1' };
  const amps = (name, args, options = { env }) => ({ name, command: process.execPath, args: [bin, ...args], options });
  return [
    { name: 'node -e 0', command: process.execPath, args: ['-e', '0'], options: { env } },
    amps('amps --version', ['--version']),
    amps('amps explain SCHEDULER_ACTIVE', ['explain', 'SCHEDULER_ACTIVE']),
    amps('amps decode FILE', ['decode', example], { env, allowFailure: true }),
    amps('amps help', ['help']),
    amps('amps config list', ['config', 'list']),
    amps('amps push --dry-run --no-preflight', ['push', 'battery', 'bat_voltaro_01', 'charge', '--power', '5kw', '--dry-run', '--no-preflight']),
    amps('amps help exit-codes', ['help', 'exit-codes']),
    amps('amps completion bash', ['completion', 'bash']),
    amps('amps get (local sandbox)', ['get', 'battery', 'bat_voltaro_01'], { env: api }),
    { ...amps('amps push (local sandbox)', [], { env: api }), args: () => [bin, 'push', 'battery', freshBattery(), 'charge', '--power', '3kw'] },
    amps('amps explain, no compile cache', ['explain', 'SCHEDULER_ACTIVE'], { env: uncached }),
    amps('amps get, no compile cache', ['get', 'battery', 'bat_voltaro_01'], { env: { ...api, AMPS_DISABLE_COMPILE_CACHE: '1' } }),
  ];
}

try {
  const environments = [['clean environment (NODE_* unset)', clean]];
  if (Object.keys(asIs).some((name) => name.startsWith('NODE_'))) environments.push([`as this shell has it (${Object.keys(asIs).filter((n) => n.startsWith('NODE_')).join(', ')} set)`, asIs]);
  else console.log('(no NODE_* variable is set here: the two environments are the same; one table)');
  for (const [title, env] of environments) {
    const list = cases(env);
    for (const c of list) spawnSync(c.command, argsOf(c), { ...c.options, stdio: 'ignore' }); // warm the compile cache
    const rows = compare(list, { rounds, runs });
    console.log(`\n${title}: node ${process.version}, ${rounds} rounds x ${runs} runs, medians`);
    printTable(rows, rows[0].value);
  }
  if (process.argv.includes('--instructions')) {
    const rows = compareInstructions(cases(clean));
    console.log(`\nclean environment, instructions executed (valgrind --tool=cachegrind), median of 3 runs, millions`);
    printTable(rows, rows[0].value, 'M');
    console.log(`\nthe same, less V8's random hash-seed search (2-9 M in every process): to compare two builds`);
    printTable(rows.map((r) => ({ name: r.name, value: r.steady })), rows[0].steady, 'M');
  }
} finally {
  server.kill('SIGTERM');
}
