import { readFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { duration, oneOf, wholeNumber } from '../config/option-parsers.js';
import { buildPushBody, completeUnits, parseQuantityFlags, resolveTimes } from '../domain/action.js';
import { checkAction } from '../domain/capabilities.js';
import { CONTROLLABLE, pathSegment, requireDeviceType } from '../domain/device-types.js';
import { isQuantity } from '../domain/quantity.js';
import { parseTimeInput } from '../domain/time.js';
import { isKnownCode, normaliseCode, suggestCodes } from '../errors/catalogue.js';
import { preflightError } from '../errors/decode.js';
import { EXIT, type ExitCode } from '../errors/exit-codes.js';
import { ApiFailure, PreflightError, UsageError } from '../errors/failures.js';
import { withSession } from '../session/connect.js';
import { DEFAULT_WAIT_MS, followAction } from '../session/follow.js';
import { withExamples } from '../output/command-help.js';
import { canPrompt, type CommandState, type IO, writeJson, writeLine } from '../output/io.js';
import { readStream } from '../output/read.js';
import { suggestedCommand } from '../output/text.js';
import { printAction, stateColour } from '../output/views.js';
import { type ActionRecord, type PushBody, STRATEGIES, type Strategy } from '../contract/actions.js';
import type { DeviceRead } from '../contract/devices.js';

export interface PushOptions extends GlobalOptions {
  type: string;
  id?: string;
  command?: string;
  power?: string;
  target?: string;
  reserve?: string;
  param?: string[];
  at?: string;
  start?: string;
  end?: string;
  onConflict?: Strategy;
  body?: string;
  dryRun?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  simulateFailure?: string;
  simulateAt?: 'request' | 'dispatch';
  preflight?: boolean;
  retry?: number;
  devices?: string;
  concurrency?: number;
  out?: string;
  failFast?: boolean | string;
}

function checkSimulatedCode(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const normalised = normaliseCode(code);
  if (!isKnownCode(normalised)) {
    const near = suggestCodes(code);
    throw new UsageError(`--simulate-failure '${code}' is not a canonical code`, near.length ? `did you mean ${near.join(', ')}?` : 'amps explain --list shows every code');
  }
  return normalised;
}

async function readBodyFile(source: string, io: IO): Promise<PushBody> {
  let text: string;
  try {
    text = source === '-' ? await readStream(io.stdin) : await readFile(source, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --body ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--body ${source} is not valid JSON`);
  }
  const action = (parsed as { action?: { command?: unknown } } | null)?.action;
  if (typeof action?.command !== 'string') throw new UsageError(`--body ${source} needs {"action": {"command": ...}}`);
  return parsed as PushBody;
}

/** The flags that shape the body; --body replaces them all. */
function hasBodyFlags(o: PushOptions): boolean {
  return Boolean(o.command || o.power || o.target || o.reserve || o.param?.length || o.at || o.start || o.end);
}

interface Prepared {
  body: PushBody;
  /** Re-done once the device's units are known, for quantities typed without one. */
  complete(device: DeviceRead | undefined): PushBody;
}

async function prepare(options: PushOptions, io: IO, simulate: string | undefined): Promise<Prepared> {
  if (options.body !== undefined) {
    if (hasBodyFlags(options)) throw new UsageError('--body replaces the command and its flags; give one or the other');
    const raw = await readBodyFile(options.body, io);
    const sandbox = simulate ? { result: 'failed' as const, errorCode: simulate, ...(options.simulateAt === 'dispatch' ? { phase: 'dispatch' as const } : {}) } : undefined;
    const body: PushBody = { ...raw, ...(options.onConflict ? { onConflict: options.onConflict } : {}), ...(sandbox ? { sandbox } : {}) };
    return { body, complete: () => body };
  }
  if (!options.command) throw new UsageError('name the command to push, e.g. charge, discharge, idle, auto.balanced', 'amps get TYPE ID lists what the device supports');
  const command = options.command;
  const typed = parseQuantityFlags({ power: options.power, target: options.target, reserve: options.reserve }, options.param ?? []);
  const times = resolveTimes({ at: options.at, start: options.start, end: options.end }, io.now());
  const complete = (device: DeviceRead | undefined) =>
    buildPushBody({ command, parameters: completeUnits(typed, device?.commands?.[command]), times, onConflict: options.onConflict, simulateFailure: simulate, simulatePhase: options.simulateAt });
  const hasUnitless = Object.values(typed).some((q) => q.unit === undefined);
  return { body: hasUnitless ? { action: { command } } : complete(undefined), complete };
}

/** The device's view of the body: command, parameters, units, bounds, execution shape, window. */
function preflight(device: DeviceRead, body: PushBody, now: Date): void {
  const time = (text: string | undefined) => (text === undefined ? undefined : parseTimeInput(text, now) ?? new Date(Number.NaN));
  const parameters = Object.fromEntries(Object.entries(body.action.parameters ?? {}).filter(([, q]) => isQuantity(q)));
  const start = time(body.action.start);
  const end = time(body.action.end);
  const violation = checkAction({ command: body.action.command, parameters, start, end }, device.commands ?? {}, now);
  if (violation) throw new PreflightError(preflightError(violation.code, violation.details));
}

function rerunLine(argv: string[], strategy: Strategy): string {
  return suggestedCommand(argv, ['--on-conflict'], ['--on-conflict', strategy]);
}

const FAIL_FAST_CLASSES: Record<string, number> = {
  usage: EXIT.usage, credentials: EXIT.credentials, rejected: EXIT.rejected, conflict: EXIT.conflict,
  transient: EXIT.transient, offline: EXIT.offline, unclassified: EXIT.unclassified,
};

/** --fail-fast alone: any failure; with a list: only those classes (-1 stands for any). */
function failFastCodes(value: boolean | string | undefined): Set<number> {
  if (value === undefined || value === false) return new Set();
  if (value === true) return new Set([-1]);
  return new Set(value.split(',').map((name) => {
    const code = FAIL_FAST_CLASSES[name.trim()];
    if (code === undefined) throw new UsageError(`--fail-fast takes classes from ${Object.keys(FAIL_FAST_CLASSES).join(', ')}, not '${name}'`);
    return code;
  }));
}

/** `amps push TYPE --devices FILE COMMAND …`: the same command to every listed device. */
async function runBatch(options: PushOptions, io: IO, argv: string[]): Promise<ExitCode> {
  const type = requireDeviceType(options.type, CONTROLLABLE);
  if (options.id && options.command) throw new UsageError('with --devices, name the command only: amps push TYPE --devices FILE COMMAND');
  const command = options.command ?? options.id;
  if (!command) throw new UsageError('name the command to push to every device, e.g. charge');
  if (options.body !== undefined || options.wait || options.dryRun) throw new UsageError('--body, --wait and --dry-run work on one device, not with --devices');
  const simulateFailure = checkSimulatedCode(options.simulateFailure);
  const plan = {
    type,
    command,
    // Parsed here, so a syntax error stops the run before anything is sent.
    quantities: parseQuantityFlags({ power: options.power, target: options.target, reserve: options.reserve }, options.param ?? []),
    times: resolveTimes({ at: options.at, start: options.start, end: options.end }, io.now()),
    onConflict: options.onConflict,
    simulateFailure,
    simulatePhase: options.simulateAt,
    concurrency: options.concurrency ?? 8,
    preflight: options.preflight !== false,
    retry: options.retry ?? 0,
    failFast: failFastCodes(options.failFast),
  };
  const [{ BatchRun }, { readDeviceRows }, report] = await Promise.all([import('../batch/run.js'), import('../batch/input.js'), import('../batch/report.js')]);
  // Requests in flight finish after Ctrl-C: the run stops issuing, then reports.
  const requests = new AbortController();
  return withSession(options, { ...io, signal: requests.signal }, async (session) => {
    if (simulateFailure && session.live) throw new UsageError('--simulate-failure is a sandbox directive; it is refused with a live key');
    const ledger = new report.Ledger(io, Boolean(options.json), options.out);
    const showProgress = io.stderrIsTTY && !options.json && !options.quiet;
    const progress = new report.Progress(io, showProgress);
    if (showProgress && options.devices !== '-') {
      // A second, streamed pass over the file gives the bar its total; stdin cannot be read twice.
      void (async () => {
        let total = 0;
        for await (const _row of readDeviceRows(options.devices!, io.stdin)) total++;
        progress.setTotal(total);
      })().catch(() => undefined);
    }
    const batch = new BatchRun(session.client, plan, {
      onEntry: (entry) => {
        ledger.write(entry);
        progress.add(entry);
      },
    });
    const onInterrupt = () => batch.stop('interrupt');
    io.signal.addEventListener('abort', onInterrupt, { once: true });
    try {
      const result = await batch.run(readDeviceRows(options.devices!, io.stdin));
      progress.stop();
      await ledger.close();
      if (!options.quiet) await report.printSummary(result, io, Boolean(options.json));
      const rerun = report.conflictRerun(argv, result, options.out);
      if (rerun && !options.json) writeLine(io.stderr, `\n${result.conflicted.length} device(s) met a conflict a strategy can resolve. Rerun just those with:\n  ${rerun}`);
      return result.exitCode as ExitCode;
    } finally {
      progress.stop();
      io.signal.removeEventListener('abort', onInterrupt);
    }
  }, { connections: plan.concurrency });
}

export async function run(options: PushOptions, io: IO, argv: string[] = []): Promise<ExitCode> {
  if (options.devices !== undefined) return runBatch(options, io, argv);
  const type = requireDeviceType(options.type);
  if (!options.id) throw new UsageError('name the device: amps push TYPE ID COMMAND');
  const deviceId = options.id;
  const simulate = checkSimulatedCode(options.simulateFailure);
  const prepared = await prepare(options, io, simulate);

  if (options.dryRun) {
    writeJson(io, prepared.complete(undefined));
    if (!options.quiet) writeLine(io.stderr, io.err.dim(`dry run: nothing was sent (would POST /${pathSegment(type)}/${deviceId})`));
    return EXIT.ok;
  }
  if (options.preflight !== false && !CONTROLLABLE.includes(type)) {
    throw new PreflightError(preflightError('DIRECT_ACTION_UNSUPPORTED', { deviceType: type }));
  }

  const { getDevice, pushAction } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    if (simulate && session.live) throw new UsageError('--simulate-failure is a sandbox directive; it is refused with a live key');
    let device: DeviceRead | undefined;
    if (options.preflight !== false) device = (await getDevice(session.client, type, deviceId)).data;
    const body = prepared.complete(device);
    if (device) preflight(device, body, io.now());

    let action: ActionRecord;
    try {
      action = (await pushAction(session.client, type, deviceId, body, options.retry)).data;
    } catch (error) {
      if (!(error instanceof ApiFailure) || error.decoded.status !== 409) throw error;
      const { resolveConflict } = await import('../conflict/resolve.js');
      const { waitForAction } = await import('../api/wait.js');
      const outcome = await resolveConflict({
        decoded: error.decoded,
        io,
        client: session.client,
        interactive: canPrompt(io, options.input === false) && !options.json,
        json: Boolean(options.json),
        deviceStrategies: device?.conflictStrategies,
        rerunLine: (strategy) => rerunLine(argv, strategy),
        resubmit: async (strategy) => (await pushAction(session.client, type, deviceId, { ...body, ...(strategy ? { onConflict: strategy } : {}) }, options.retry)).data,
        waitFor: (id) => waitForAction(session.client, id, { signal: io.signal, timeoutMs: options.waitTimeout ?? DEFAULT_WAIT_MS }),
      });
      if (!outcome.action) return outcome.exitCode as ExitCode;
      action = outcome.action;
    }

    if (options.wait) {
      if (!options.json && !options.quiet) writeLine(io.stderr, `Pushed ${action.command} to ${pathSegment(type)} ${deviceId}: ${stateColour(action.state, io.err)}; following it…`);
      return followAction(session.client, action.id, { io, json: options.json, quiet: options.quiet, timeoutMs: options.waitTimeout });
    }
    printAction(action, options, io);
    if (!options.json && !options.quiet) writeLine(io.stderr, io.err.dim(`Follow it: amps actions wait ${action.id}`));
    return EXIT.ok;
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function pushCommand(state: CommandState) {
  const command = new Command('push')
    .description('Send a command to a device: immediately, at a time (--at) or for a window (--start/--end)')
    .argument('<type>', 'battery, ev-charger or hvac')
    .argument('[id]', 'device id')
    .argument('[command]', 'charge, discharge, idle, auto.balanced, auto.reserve, auto.export; heat, cool, auto, follow_schedule')
    .option('--power <quantity>', 'power cap, e.g. 5kw or 3500w')
    .option('--target <quantity>', 'target, e.g. 90% (battery) or 21c (hvac)')
    .option('--reserve <quantity>', 'state-of-charge floor kept while the command runs, e.g. 20%')
    .option('--param <name=value>', 'any other parameter, e.g. heatSetpoint=19c (repeatable)', collect)
    .option('--at <time>', 'run once at this time: ISO 8601, 22:00, +30m, now+2h')
    .option('--start <time>', 'start of a window (with --end)')
    .option('--end <time>', 'end of the window: a time, or a length after --start such as 3h')
    .addOption(new Option('--on-conflict <strategy>', 'resolve a conflict up front').choices(STRATEGIES).argParser(oneOf('--on-conflict', STRATEGIES)))
    .option('--body <file>', 'send this JSON body as is (- reads stdin)')
    .option('--dry-run', 'print the body and send nothing')
    .option('--wait', 'follow the action until it completes, fails or is cancelled')
    .addOption(new Option('--wait-timeout <duration>', 'give up following after this long (default 10m)').argParser(duration('--wait-timeout')))
    .option('--simulate-failure <code>', 'sandbox only: make the push fail with this canonical code')
    .addOption(new Option('--simulate-at <phase>', 'with --simulate-failure: fail the request (default) or accept it and fail the action at dispatch').choices(['request', 'dispatch'] as const))
    .option('--no-preflight', 'skip the check against the device\'s commands map')
    .addOption(new Option('--retry <n>', 'retry a push up to n times, only after responses that prove nothing ran').argParser(wholeNumber('--retry', 0, 10)))
    .option('--devices <file>', 'push to every device listed (one id a line, CSV with an id column, or NDJSON); - reads stdin')
    .addOption(new Option('--concurrency <n>', 'with --devices: pushes in flight (default 8)').argParser(wholeNumber('--concurrency', 1, 256)))
    .option('--out <file>', 'with --devices: write the per-device ledger (NDJSON) to this file as it goes')
    .option('--fail-fast [classes]', 'with --devices: stop issuing at the first failure (or of these classes: credentials,rejected,conflict,transient,offline,unclassified,usage)')
    .action(async (type, id, commandName, options, cmd) => {
      state.exitCode = await run({ ...globalsOf(cmd), ...options, type, id, command: commandName }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps push battery bat_voltaro_01 charge --power 5kw --target 90%',
    'amps push battery bat_voltaro_01 discharge --start 17:00 --end 3h --target 30%',
    'amps push battery bat_voltaro_01 charge --at +30m --on-conflict cancel_and_replace',
    'amps push hvac hvac_thermia_01 auto --param heatSetpoint=19c --param coolSetpoint=24c --wait',
    'amps push battery bat_voltaro_01 auto.balanced --dry-run',
    'amps push battery bat_voltaro_01 charge --simulate-failure COMMAND_FAILED --simulate-at dispatch --wait',
    'amps push battery --devices fleet.txt charge --power 3kw --concurrency 32 --out ledger.ndjson',
    'amps devices battery --all --json | jq -c ".items[]" | amps push battery --devices - auto.balanced --json',
  ]);
}
