// `amps sandbox serve`: the local API over HTTP until Ctrl-C or SIGTERM, then the state is saved.

import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { ratio, wholeNumber } from '../../config/option-parsers.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { UsageError } from '../../errors/failures.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { systemErrorText } from '../../lib/values.js';

export interface ServeOptions extends GlobalOptions {
  port: number;
  host: string;
  state?: string;
  fleetSize: number;
  rateLimit: number;
  seed: number;
  failRate: number;
  driftRate: number;
}

const DEFAULT_RATE_LIMIT = 20;

export async function run(options: ServeOptions, io: IO): Promise<ExitCode> {
  const [{ startSandbox }, { memoryStore }, { seededDevices }] = await Promise.all([import('../../sandbox/server.js'), import('../../sandbox/store.js'), import('../../sandbox/fleet.js')]);
  const store = memoryStore(options.state);
  for (const notice of await store.check()) writeLine(io.stderr, `amps: ${notice}`);
  let sandbox;
  try {
    sandbox = await startSandbox({ store, host: options.host, port: options.port, fleetSize: options.fleetSize, rateLimit: options.rateLimit, seed: options.seed, failRate: options.failRate, driftRate: options.driftRate });
  } catch (error) {
    throw new UsageError(`cannot listen on ${options.host}:${options.port}: ${systemErrorText(error)}`);
  }
  if (options.json) writeJson(io, { url: sandbox.url, key: sandbox.key, fleetSize: options.fleetSize, rateLimit: options.rateLimit });
  else {
    writeLine(io.stdout, `Amps sandbox listening on ${sandbox.url}`);
    writeLine(io.stdout, `Key: ${sandbox.key} (any amps_sk_test_… or sk_test_… key works)`);
    writeLine(io.stdout, `Use it: export AMPS_API_URL=${sandbox.url} AMPS_API_KEY=${sandbox.key}`);
    const dispatch = options.failRate || options.driftRate ? ` · dispatch failures ${options.failRate * 100}%, drift ${options.driftRate * 100}% of generated devices` : '';
    writeLine(io.stderr, io.err.dim(`${seededDevices().length + options.fleetSize} devices · rate limit ${options.rateLimit ? `${options.rateLimit}/s per key` : 'off'}${dispatch} · state ${options.state ?? 'in memory'} · Ctrl-C stops`));
  }
  // Ctrl-C and SIGTERM both abort io.signal (cli.ts).
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sandbox.close();
  if (!options.json) writeLine(io.stderr, `Sandbox stopped${options.state ? `; state saved to ${options.state}` : ''}.`);
  return EXIT.ok;
}

export function serveCommand(state: CommandState, runF: Run<ServeOptions> = run) {
  const command = new Command('serve')
    .description('Serve the sandbox API over HTTP until Ctrl-C; prints its URL and a sandbox key')
    .addOption(new Option('--port <n>', 'port; 0 picks a free one').default(4010).argParser(wholeNumber('--port', 0, 65535)))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--state <file>', 'load state from this file and save it there on exit')
    .addOption(new Option('--fleet-size <n>', 'add this many generated batteries (load tests)').default(0).argParser(wholeNumber('--fleet-size', 0, 1_000_000)))
    .addOption(new Option('--rate-limit <rps>', 'requests per second per key; 0 turns it off').default(DEFAULT_RATE_LIMIT).argParser(wholeNumber('--rate-limit', 0, 1_000_000)))
    .addOption(new Option('--seed <n>', 'shift the simulated curves; the same seed gives the same fleet').default(0).argParser(wholeNumber('--seed', 0, 1_000_000)))
    .addOption(new Option('--fail-rate <share>', 'generated devices whose actions fail at dispatch (SCHEDULER_ACTIVE, DEVICE_OFFLINE, COMMAND_FAILED), e.g. 0.05').default(0).argParser(ratio('--fail-rate')))
    .addOption(new Option('--drift-rate <share>', 'generated devices whose actions complete without the state following (what --verify finds)').default(0).argParser(ratio('--drift-rate')))
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps sandbox serve', 'amps sandbox serve --port 0 --fleet-size 10000 --rate-limit 0', 'amps sandbox serve --state ./sandbox.json']);
}
