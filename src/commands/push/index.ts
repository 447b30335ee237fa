// `amps push`: one commander definition for both modes; flags that belong to one mode conflict with
// the other's (commander's Option.conflicts), and the mode picks single.ts or fleet.ts.

import { Command, Option } from '@commander-js/extra-typings';
import { STRATEGIES } from '../../contract/actions.js';
import { globalsOf } from '../../config/globals.js';
import { duration, fileOrUrl, oneOf, repeatable, wholeNumber } from '../../config/option-parsers.js';
import { EXIT_CLASSES, type ExitCode } from '../../contract/exit-codes.js';
import { UsageError } from '../../errors/failures.js';
import { editDistance } from '../../lib/values.js';
import { withExamples } from '../../output/command-help.js';
import type { CommandState, IO, Run } from '../../output/io.js';
import type { FleetPushOptions } from './fleet.js';
import type { SinglePushOptions } from './single.js';

export type PushOptions = Omit<SinglePushOptions, 'type'> & { type?: string } & Partial<Omit<FleetPushOptions, keyof SinglePushOptions>>;

const FLEET_ONLY = ['concurrency', 'out', 'failFast', 'verify', 'plan', 'waves', 'abortIf', 'canaryPerModel'] as const;
const BODY_FLAGS = ['power', 'target', 'reserve', 'param', 'at', 'start', 'end'];

export async function run(options: PushOptions, io: IO, argv: string[] = []): Promise<ExitCode> {
  if (options.devices !== undefined || options.resume !== undefined) return (await import('./fleet.js')).run(options as FleetPushOptions, io, argv);
  if (options.type === undefined) throw new UsageError('name the device type: amps push TYPE ID COMMAND');
  const fleetOnly = FLEET_ONLY.filter((name) => options[name] !== undefined);
  if (fleetOnly.length > 0) {
    const flag = fleetOnly[0] === 'failFast' && options.failFast === false ? 'no-fail-fast' : fleetOnly[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new UsageError(`--${flag} goes with --devices`);
  }
  return (await import('./single.js')).run({ ...options, type: options.type }, io, argv);
}


/**
 * --fail-fast's optional classes, checked as they are parsed: the word after a bare --fail-fast
 * is taken as its value, so `--fail-fast idle` must say that, not that the command is missing.
 */
function failFastClasses(value: string): string {
  for (const name of value.split(',')) {
    if (!Object.hasOwn(EXIT_CLASSES, name.trim())) {
      // One word that is no class at all may be the command, taken as the value (or a typo: the
      // parser does not see whether a command came before, so the hint says which case it is for).
      const tookCommand = !value.includes(',') && /^[a-z][a-z_.]*$/.test(value) && Object.keys(EXIT_CLASSES).every((c) => editDistance(value, c) > 2);
      throw new UsageError(`--fail-fast takes classes from ${Object.keys(EXIT_CLASSES).join(', ')}, not '${name}'`, tookCommand ? `if '${value}' is the command: to stop at any failure, put --fail-fast where no word follows it (amps push TYPE --devices FILE ${value} --fail-fast)` : undefined);
    }
  }
  return value;
}

export function pushCommand(state: CommandState, runF: Run<PushOptions> = run) {
  const command = new Command('push')
    .description('Send a command to a device (or, with --devices, to a fleet): immediately, at a time (--at) or for a window (--start/--end)')
    .argument('[type]', 'battery, ev-charger or hvac (with --resume: taken from the ledger)')
    .argument('[id]', 'device id')
    .argument('[command]', 'charge, discharge, idle, auto.balanced, auto.reserve, auto.export; heat, cool, auto, follow_schedule')
    .option('--power <quantity>', 'power cap, e.g. 5kw or 3500w (converted to the unit the device declares)')
    .option('--target <quantity>', 'target, e.g. 90% (battery) or 21c / 70f (hvac)')
    .option('--reserve <quantity>', 'state-of-charge floor kept while the command runs, e.g. 20%')
    .option('--param <name=value>', 'any other parameter, e.g. heatSetpoint=19c (repeatable)', repeatable)
    .addOption(new Option('--at <time>', 'run once at this time: 22:00, 2026-06-10T22:00, +30m, 1.5h, now').conflicts(['start', 'end']))
    .option('--start <time>', 'start of a window (with --end)')
    .option('--end <time>', 'end of the window: a time, or a length after --start such as 3h')
    .option('--tz <zone>', 'the zone of times typed without one (IANA, e.g. Europe/London); default AMPS_TZ, else the device\'s plant zone (with --devices: the local zone), else local')
    .addOption(new Option('--on-conflict <strategy>', 'resolve a conflict up front').choices(STRATEGIES).argParser(oneOf('--on-conflict', STRATEGIES)))
    .addOption(new Option('--body <file>', 'send this JSON body as is (- reads stdin)').conflicts(BODY_FLAGS).argParser(fileOrUrl('--body')))
    .addOption(new Option('--dry-run', 'check against the device and print the body; send nothing'))
    .addOption(new Option('--wait', 'follow the action (with --devices: every action) until it completes, fails or is cancelled'))
    .addOption(new Option('--wait-timeout <duration>', 'give up following, or waiting for an action in flight at a conflict, after this long (default 10m)').argParser(duration('--wait-timeout', 24 * 86_400_000)))
    .option('--simulate-failure <code>', 'sandbox only: make the push fail with this canonical code')
    .addOption(new Option('--simulate-at <phase>', 'with --simulate-failure: fail the request (default) or accept it and fail the action at dispatch').choices(['request', 'dispatch'] as const))
    .option('--no-preflight', 'skip the check against the device\'s commands map')
    .addOption(new Option('--retry <n>', 'retry a push up to n times, as the docs\' retry table says (never after a lost answer or a 2xx)').argParser(wholeNumber('--retry', 0, 10)))
    .addOption(new Option('--devices <file>', 'push to every device listed (one id a line, CSV with an id column, or NDJSON); - reads stdin').conflicts(['body', 'dryRun']).argParser(fileOrUrl('--devices')))
    .addOption(new Option('--concurrency <n>', 'with --devices: pushes in flight (default 8)').argParser(wholeNumber('--concurrency', 1, 256)))
    .option('--out <file>', 'with --devices: write the per-device ledger (NDJSON) to this file as it goes', fileOrUrl('--out'))
    .option('--fail-fast [classes]', 'with --devices: stop issuing at the first failure (or of these classes: credentials,rejected,conflict,transient,offline,unclassified,usage)', failFastClasses)
    .option('--no-fail-fast', 'with --devices: send past failures (with --resume: though the run stopped at its first)')
    .option('--verify', 'with --devices --wait: read each completed device once and report where its state does not show the command (drift)')
    .addOption(new Option('--plan', 'with --devices: predict the run from list pages (accepted, conflicts, preflight failures, stale devices); send nothing').conflicts(['wait', 'waves', 'resume']))
    .option('--waves <shares>', 'with --devices FILE: roll out in waves, e.g. 1%,10%,100%; each wave starts when the one before has finished')
    .option('--abort-if <rule>', 'with --waves: stop the rollout when a wave breaks this, e.g. \'rejected+unclassified>2%\'')
    .option('--canary-per-model', 'with --waves: put a device of every model in the first wave')
    .addOption(new Option('--resume <ledger>', 'continue the run of this ledger (--out of an earlier push): sends no device twice').conflicts(['body', 'dryRun', 'plan', 'waves']).argParser(fileOrUrl('--resume')))
    .action(async (type, id, commandName, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, type, id, command: commandName }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps push battery bat_voltaro_01 charge --power 5kw --target 90%',
    'amps push battery bat_voltaro_01 discharge --start 17:00 --end 3h --target 30%',
    'amps push battery bat_voltaro_01 charge --at 22:00 --tz Europe/London --on-conflict cancel_and_replace',
    'amps push hvac hvac_thermia_01 auto --param heatSetpoint=68f --param coolSetpoint=24c --wait',
    'amps push battery bat_voltaro_01 auto.balanced --dry-run',
    'amps push battery bat_voltaro_01 charge --simulate-failure COMMAND_FAILED --simulate-at dispatch --wait',
    'amps push battery --devices fleet.txt charge --power 3kw --concurrency 32 --out ledger.ndjson',
    'amps devices battery --all --json | jq -c ".items[]" | amps push battery --devices - auto.balanced --json',
  ]);
}
