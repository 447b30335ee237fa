// `amps sandbox serve`: the local API over HTTP until Ctrl-C or SIGTERM, then the state is saved.

import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { checkFileOrUrl } from '../../config/file-or-url.js';
import { duration, fileOrUrl, ratio, repeatable, wholeNumber } from '../../config/option-parsers.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { webhookTarget } from '../../api/webhook-post.js';
import { UsageError } from '../../errors/failures.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeJsonError, writeLine, writeNotice } from '../../output/io.js';
import { redactUrl, systemErrorText } from '../../lib/values.js';
import type { StateStore } from '../../sandbox/store.js';

export interface ServeOptions extends GlobalOptions {
  port: number;
  host: string;
  state?: string;
  fleetSize: number;
  rateLimit: number;
  seed: number;
  failRate: number;
  driftRate: number;
  webhook?: string[];
  webhookLatency?: number;
  scheduleListing: 'listed' | 'not-implemented';
}

const DEFAULT_RATE_LIMIT = 20;


export async function run(options: ServeOptions, io: IO): Promise<ExitCode> {
  // Empty, Node listens on every interface: the sandbox's keyless reset and clock routes with it.
  if (options.host !== undefined && options.host.trim() === '') throw new UsageError('--host is empty', 'name the address to listen on: 127.0.0.1 (the default), or 0.0.0.0 for every interface');
  const { holdStateFile, memoryStore } = await import('../../sandbox/store.js');
  const urls = (options.webhook ?? []).map((url) => webhookTarget(checkFileOrUrl('--webhook', url), '--webhook'));
  // The same receiver twice would get every event twice, as two deliveries of one svix-id.
  const twice = urls.find((url, i) => urls.indexOf(url) !== i);
  if (twice !== undefined) throw new UsageError(`--webhook ${redactUrl(twice)} is given twice`, 'each receiver once: every event is delivered to each --webhook');
  if (options.state === undefined) return serve(options, io, urls, memoryStore());
  // A typo in --state is found now, not as directories made where none were meant when it stops.
  const folder = dirname(resolve(options.state));
  if (!isDirectory(folder)) throw new UsageError(`--state ${options.state}: its folder ${folder} does not exist`, 'create it first, or give a file in a folder that exists');
  const release = await holdStateFile(options.state);
  try {
    return await serve(options, io, urls, memoryStore(options.state));
  } finally {
    release();
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Serves from `store` until Ctrl-C or SIGTERM, then saves it. */
async function serve(options: ServeOptions, io: IO, urls: string[], store: StateStore): Promise<ExitCode> {
  const [{ startSandbox }, { seededDevices }] = await Promise.all([import('../../sandbox/server.js'), import('../../sandbox/fleet.js')]);
  for (const notice of await store.check()) writeNotice(io, options.json, notice);
  const [{ webhookSecret }, { Deliverer, deliveryQueueFile, readDeliveryQueue, writeDeliveryQueue }] = await Promise.all([import('../../sandbox/events.js'), import('../../sandbox/webhooks.js')]);
  const secret = () => store.transact((tx) => webhookSecret(tx));
  const signingSecret = await secret();
  // With --state, deliveries still due when an earlier serve stopped are made now (at least once across restarts).
  const queueFile = options.state !== undefined && urls.length > 0 ? deliveryQueueFile(options.state) : undefined;
  const restored = queueFile ? readDeliveryQueue(queueFile) : {};
  if (restored.notice) writeNotice(io, options.json, restored.notice);
  const deliverer = urls.length > 0 ? new Deliverer(urls, secret, options.webhookLatency ?? 0, (entry) => {
    if (options.json || options.quiet) return;
    const answer = entry.status !== null ? `${entry.status}` : entry.error ?? 'no answer';
    writeLine(io.stderr, io.err.dim(`webhook ${entry.type} ${entry.eventId} → ${redactUrl(entry.url)}: ${answer} (${entry.latencyMs} ms, try ${entry.try})${entry.outcome === 'retrying' ? `; again at ${entry.nextTryAt}` : entry.outcome === 'gave_up' ? '; gave up' : ''}`));
  }, restored.queue) : undefined;
  let sandbox;
  try {
    sandbox = await startSandbox({
      store, host: options.host, port: options.port, fleetSize: options.fleetSize, rateLimit: options.rateLimit, seed: options.seed, failRate: options.failRate, driftRate: options.driftRate,
      webhookLatencyMs: options.webhookLatency ?? 0, scheduleListing: options.scheduleListing === 'not-implemented' ? 'not_implemented' : 'listed', ...(deliverer ? { onEvent: (event) => deliverer.enqueue(event), deliveries: () => deliverer.tries() } : {}),
    });
  } catch (error) {
    // What an earlier serve left stays in its file for the next one that starts.
    await deliverer?.close();
    throw new UsageError(`cannot listen on ${options.host}:${options.port}: ${systemErrorText(error)}`);
  }
  // Events happen when their time comes, request or no request: deliveries and `amps listen` see them on time.
  const ticker = setInterval(() => void sandbox.tick().catch(() => undefined), 500);
  ticker.unref();
  if (options.json) writeJson(io, { url: sandbox.url, key: sandbox.key, fleetSize: options.fleetSize, rateLimit: options.rateLimit, webhookSecret: signingSecret, webhooks: urls.map(redactUrl) });
  else {
    writeLine(io.stdout, `Amps sandbox listening on ${sandbox.url}${sandbox.everyInterface ? ` (and every other address of this machine: --host ${options.host})` : ''}`);
    writeLine(io.stdout, `Key: ${sandbox.key} (any test key works: amps_sk_test_ or sk_test_ and 6 or more letters or digits)`);
    writeLine(io.stdout, `Use it: export AMPS_API_URL=${sandbox.url} AMPS_API_KEY=${sandbox.key}`);
    writeLine(io.stdout, `Webhook signing secret: ${signingSecret}${urls.length > 0 ? ` (delivering to ${urls.map(redactUrl).join(', ')})` : ' (amps listen --forward-to URL forwards events; or --webhook URL here)'}`);
    const dispatch = options.failRate || options.driftRate ? ` · dispatch failures ${options.failRate * 100}%, drift ${options.driftRate * 100}% of generated devices` : '';
    writeLine(io.stderr, io.err.dim(`${seededDevices().length + options.fleetSize} devices · rate limit ${options.rateLimit ? `${options.rateLimit}/s per key` : 'off'}${dispatch} · state ${options.state ?? 'in memory'} · Ctrl-C stops`));
  }
  // Ctrl-C and SIGTERM both abort io.signal (cli.ts).
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(ticker);
  const queue = await deliverer?.close();
  // Stopped all the same whatever cannot be saved; what it would have kept is lost: said, exit 11.
  const lost: string[] = [];
  try {
    await sandbox.close();
  } catch (error) {
    lost.push(`its state was not saved: ${error instanceof Error ? error.message : String(error)}`);
  }
  let due = '';
  if (queue && queueFile) {
    const deliveries = `${queue.pending.length} webhook deliver${queue.pending.length === 1 ? 'y' : 'ies'} still due`;
    try {
      writeDeliveryQueue(queueFile, queue);
      if (queue.pending.length > 0) due = `; ${deliveries}, made when it serves again with --webhook (${queueFile})`;
    } catch (error) {
      lost.push(`the ${deliveries} and the log of tries could not be saved to ${queueFile}: ${systemErrorText(error)}`);
    }
  }
  if (lost.length > 0) {
    const message = `sandbox stopped, but ${lost.join('; and ')}`;
    // With --json, one JSON error, as every failure is there.
    if (options.json) writeJsonError(io, 'OUTPUT_LOST', message, EXIT.outputLost);
    else writeLine(io.stderr, `amps: ${message}`);
    return EXIT.outputLost;
  }
  if (!options.json) writeLine(io.stderr, `Sandbox stopped${options.state ? `; state saved to ${options.state}` : ''}${due}.`);
  return EXIT.ok;
}

export function serveCommand(state: CommandState, runF: Run<ServeOptions> = run) {
  const command = new Command('serve')
    .description('Serve the sandbox API over HTTP until Ctrl-C; prints its URL and a sandbox key')
    .addOption(new Option('--port <n>', 'port; 0 picks a free one').default(4010).argParser(wholeNumber('--port', 0, 65535)))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--state <file>', 'load state from this file and save it there on exit', fileOrUrl('--state'))
    .addOption(new Option('--fleet-size <n>', 'add this many generated batteries (load tests)').default(0).argParser(wholeNumber('--fleet-size', 0, 1_000_000)))
    .addOption(new Option('--rate-limit <rps>', 'requests per second per key; 0 turns it off').default(DEFAULT_RATE_LIMIT).argParser(wholeNumber('--rate-limit', 0, 1_000_000)))
    .addOption(new Option('--seed <n>', 'shift the simulated curves; the same seed gives the same fleet').default(0).argParser(wholeNumber('--seed', 0, 1_000_000)))
    .addOption(new Option('--fail-rate <share>', 'generated devices whose actions fail at dispatch (SCHEDULER_ACTIVE, DEVICE_OFFLINE, COMMAND_FAILED), e.g. 0.05').default(0).argParser(ratio('--fail-rate')))
    .addOption(new Option('--drift-rate <share>', 'generated devices whose actions complete without the state following (what --verify finds)').default(0).argParser(ratio('--drift-rate')))
    .option('--webhook <url>', 'deliver every webhook event to this URL, signed, retried until it answers 2xx (repeatable)', repeatable)
    .addOption(new Option('--schedule-listing <version>', 'GET /schedules as the docs version that lists them, or the one that answers 501 NOT_IMPLEMENTED').choices(['listed', 'not-implemented'] as const).default('listed' as const))
    .addOption(new Option('--webhook-latency <duration>', 'deliver (and list) events this long after they happen; the hosted sandbox takes about 3m').argParser(duration('--webhook-latency', 24 * 3_600_000)))
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps sandbox serve', 'amps sandbox serve --port 0 --fleet-size 10000 --rate-limit 0', 'amps sandbox serve --state ./sandbox.json', 'amps sandbox serve --webhook http://localhost:3000/hooks --webhook-latency 10s']);
}
