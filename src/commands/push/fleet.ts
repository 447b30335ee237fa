// `amps push TYPE --devices FILE COMMAND`: the same command to every listed device. The flags are
// read once; each row's overrides are fitted to its model's capability read by the same builder a
// single push uses; the batch owns the ledger, the throttle and the summary.

import type { GlobalOptions } from '../../config/globals.js';
import type { DeviceRead } from '../../contract/devices.js';
import { parseQuantityFlags } from '../../domain/action.js';
import { CONTROLLABLE, requireDeviceType } from '../../domain/device-types.js';
import { localTimeZone } from '../../domain/time.js';
import { EXIT, type ExitCode } from '../../errors/exit-codes.js';
import { UsageError } from '../../errors/failures.js';
import { type IO, writeLine } from '../../output/io.js';
import { announceWrite, withSession } from '../../session/connect.js';
import type { DeviceRow } from '../../batch/input.js';
import { preflight, preparePush, type PushFlags, readPushInputs, type Zone } from './body.js';

export interface FleetPushOptions extends GlobalOptions, PushFlags {
  type: string;
  /** With --devices the first positional is the command. */
  id?: string;
  command?: string;
  devices: string;
  preflight?: boolean;
  retry?: number;
  concurrency?: number;
  out?: string;
  failFast?: boolean | string;
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

export async function run(options: FleetPushOptions, io: IO, argv: string[]): Promise<ExitCode> {
  const type = requireDeviceType(options.type, CONTROLLABLE);
  if (options.id && options.command) throw new UsageError('with --devices, name the command only: amps push TYPE --devices FILE COMMAND');
  const command = options.command ?? options.id;
  if (!command) throw new UsageError('name the command to push to every device, e.g. charge');
  const inputs = readPushInputs(command, options, io.env);
  // One zone for the whole run: the devices' plant zones may differ, so a typed time means one instant.
  const zone: Zone = inputs.zone ?? { name: localTimeZone(), source: 'the local zone' };
  const startedAt = io.now().getTime();
  const bodyFor = (row: DeviceRow, device: DeviceRead | undefined) => {
    const quantities = { ...inputs.quantities, ...parseQuantityFlags(row.quantities, []) };
    const prepared = preparePush({ ...inputs, quantities }, device, startedAt, zone);
    if (device) preflight(device, prepared.body, io.now());
    return prepared;
  };
  const plan = {
    type,
    bodyFor,
    concurrency: options.concurrency ?? 8,
    preflight: options.preflight !== false,
    retry: options.retry ?? 0,
    failFast: failFastCodes(options.failFast),
  };
  const [{ BatchRun }, { readDeviceRows }, report] = await Promise.all([import('../../batch/run.js'), import('../../batch/input.js'), import('../../batch/report.js')]);
  // Requests in flight finish after Ctrl-C: the run stops issuing, then reports.
  const requests = new AbortController();
  return withSession(options, { ...io, signal: requests.signal }, async (session) => {
    if (inputs.directive && session.live) throw new UsageError('--simulate-failure is a sandbox directive; it is refused with a live key');
    const ledger = new report.Ledger(io, Boolean(options.json), options.out);
    announceWrite(session, io, options);
    const showProgress = io.stderrIsTTY && !options.json && !options.quiet;
    const progress = new report.Progress(io, showProgress);
    if (showProgress && options.devices !== '-') {
      // A second, streamed pass over the file gives the bar its total; stdin cannot be read twice.
      void (async () => {
        let total = 0;
        for await (const _row of readDeviceRows(options.devices, io.stdin)) total++;
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
      const result = await batch.run(readDeviceRows(options.devices, io.stdin));
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
