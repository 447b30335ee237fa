import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { wholeNumber } from '../config/option-parsers.js';
import { sandboxStateFile } from '../config/paths.js';
import { EXIT, type ExitCode } from '../errors/exit-codes.js';
import { UsageError } from '../errors/failures.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine } from '../output/io.js';

export interface ServeOptions extends GlobalOptions {
  port: number;
  host: string;
  state?: string;
  fleetSize: number;
  rateLimit: number;
  seed: number;
}

export const DEFAULT_RATE_LIMIT = 20;

/** Serves until SIGINT or SIGTERM, then saves the state and exits 0. */
export async function runServe(options: ServeOptions, io: IO): Promise<ExitCode> {
  const [{ startSandbox }, { memoryStore }, { seededDevices }] = await Promise.all([import('../sandbox/server.js'), import('../sandbox/store.js'), import('../sandbox/fleet.js')]);
  const store = memoryStore(options.state);
  for (const notice of await store.check()) writeLine(io.stderr, `amps: ${notice}`);
  let sandbox;
  try {
    sandbox = await startSandbox({
      store,
      host: options.host,
      port: options.port,
      fleetSize: options.fleetSize,
      rateLimit: options.rateLimit,
      seed: options.seed,
    });
  } catch (error) {
    throw new UsageError(`cannot listen on ${options.host}:${options.port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (options.json) writeJson(io, { url: sandbox.url, key: sandbox.key, fleetSize: options.fleetSize, rateLimit: options.rateLimit });
  else {
    writeLine(io.stdout, `Amps sandbox listening on ${sandbox.url}`);
    writeLine(io.stdout, `Key: ${sandbox.key} (any amps_sk_test_… or sk_test_… key works)`);
    writeLine(io.stdout, `Use it: export AMPS_API_URL=${sandbox.url} AMPS_API_KEY=${sandbox.key}`);
    writeLine(io.stderr, io.err.dim(`${seededDevices().length + options.fleetSize} devices · rate limit ${options.rateLimit ? `${options.rateLimit}/s per key` : 'off'} · state ${options.state ?? 'in memory'} · Ctrl-C stops`));
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

export async function runReset(options: GlobalOptions & { state?: string }, io: IO): Promise<ExitCode> {
  const { resetStateFile } = await import('../sandbox/store.js');
  const file = options.state ?? sandboxStateFile(io.env);
  const kept = resetStateFile(file);
  if (!options.quiet) writeLine(io.stderr, `Sandbox reset to the seeded fleet (${file}).${kept ? ` The state before is kept as ${kept}.` : ''}`);
  return EXIT.ok;
}

export function sandboxCommand(state: CommandState) {
  const sandbox = new Command('sandbox').description('The local Amps API emulator: serve it, or reset the embedded one');
  const serve = new Command('serve')
    .description('Serve the sandbox API over HTTP until Ctrl-C; prints its URL and a sandbox key')
    .addOption(new Option('--port <n>', 'port; 0 picks a free one').default(4010).argParser(wholeNumber('--port', 0, 65535)))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--state <file>', 'load state from this file and save it there on exit')
    .addOption(new Option('--fleet-size <n>', 'add this many generated batteries (load tests)').default(0).argParser(wholeNumber('--fleet-size', 0, 1_000_000)))
    .addOption(new Option('--rate-limit <rps>', 'requests per second per key; 0 turns it off').default(DEFAULT_RATE_LIMIT).argParser(wholeNumber('--rate-limit', 0, 1_000_000)))
    .addOption(new Option('--seed <n>', 'shift the simulated curves; the same seed gives the same fleet').default(0).argParser(wholeNumber('--seed', 0, 1_000_000)))
    .action(async (options, cmd) => {
      state.exitCode = await runServe({ ...globalsOf(cmd), ...options }, state.io);
    });
  const reset = new Command('reset')
    .description('Restore the seeded fleet: forget every action, setting change and cleared schedule')
    .option('--state <file>', 'reset this state file instead of the embedded sandbox\'s')
    .action(async (options, cmd) => {
      state.exitCode = await runReset({ ...globalsOf(cmd), ...options }, state.io);
    });
  withExamples(serve, ['amps sandbox serve', 'amps sandbox serve --port 0 --fleet-size 10000 --rate-limit 0', 'amps sandbox serve --state ./sandbox.json']);
  withExamples(reset, ['amps sandbox reset']);
  sandbox.addCommand(serve as unknown as Command);
  sandbox.addCommand(reset as unknown as Command);
  return withExamples(sandbox, ['amps sandbox serve --port 4010', 'amps sandbox reset']);
}
