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
import { MAX_RETRY_AFTER_MS } from '../../api/client.js';
import type { TargetEnvironment } from '../../contract/keys.js';
import { movedTimes, preflight, preparePush, type PushFlags, readPushInputs, refuseDirectiveOnLive, type Zone } from './body.js';

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

const FAIL_FAST_CLASSES: Record<string, ExitCode> = {
  usage: EXIT.usage, credentials: EXIT.credentials, rejected: EXIT.rejected, conflict: EXIT.conflict,
  transient: EXIT.transient, offline: EXIT.offline, unclassified: EXIT.unclassified,
};

/** --fail-fast alone: any failure; with a list: only those classes (-1 stands for any). */
function failFastCodes(value: boolean | string | undefined): Set<ExitCode | -1> {
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
    movedFor: movedTimes,
    environment: 'embedded' as TargetEnvironment,
    concurrency: options.concurrency ?? 8,
    preflight: options.preflight !== false,
    retry: options.retry ?? 0,
    failFast: failFastCodes(options.failFast),
    maxPauseMs: MAX_RETRY_AFTER_MS,
  };
  const [{ BatchRun }, input, report] = await Promise.all([import('../../batch/run.js'), import('../../batch/input.js'), import('../../batch/report.js')]);
  await input.checkSource(options.devices);
  // Only a regular file can be read twice (to count it ahead) or read to its end after a stop.
  const regularFile = await input.isRegularFile(options.devices);
  // Requests in flight finish after Ctrl-C: the run stops issuing, then reports.
  const requests = new AbortController();
  return withSession(options, { ...io, signal: requests.signal }, async (session) => {
    refuseDirectiveOnLive(inputs.directive, session);
    plan.environment = session.environment;
    const ledger = new report.Ledger(io, Boolean(options.json), options.out);
    announceWrite(session, io, options);
    const showProgress = io.stderrIsTTY && !options.json && !options.quiet;
    const progress = new report.Progress(io, showProgress);
    if (showProgress && regularFile) {
      // A second, streamed pass over the file gives the bar its total.
      void (async () => {
        let total = 0;
        for await (const _row of input.readDeviceRows(options.devices, io.stdin)) total++;
        progress.setTotal(total);
      })().catch(() => undefined);
    }
    const batch = new BatchRun(session.client, plan, {
      onEntry: (entry) => {
        ledger.write(entry);
        progress.add(entry);
      },
    });
    // A stream may never end: after Ctrl-C it is not read on (a file is, to record its rows not_sent).
    const stopReading = new AbortController();
    const onInterrupt = () => {
      batch.stop('interrupt');
      if (!regularFile) stopReading.abort();
    };
    const onOutputClosed = () => batch.stop('output_closed', 'stdout or stderr was closed');
    io.signal.addEventListener('abort', onInterrupt, { once: true });
    io.outputClosed.addEventListener('abort', onOutputClosed, { once: true });
    try {
      // After a stop, the rest of a file is read to record it not_sent; a stream is too, unless the
      // operator interrupted (it may never end) or the ledger itself failed.
      const drain = () => batch.stoppedReason !== 'ledger_failed' && (regularFile || !io.signal.aborted);
      const result = await batch.run(input.readDeviceRows(options.devices, io.stdin, stopReading.signal), drain);
      progress.stop();
      ledger.close();
      report.reportUnwritten(batch.unwritten, io, options.out);
      if (!options.quiet) await report.printSummary(result, io, Boolean(options.json));
      const reruns = report.conflictReruns(argv, result, options.out);
      if (reruns.length > 0 && !options.json) {
        const count = [...result.conflicted.values()].reduce((n, ids) => n + ids.length, 0);
        writeLine(io.stderr, `\n${count} device(s) met a conflict a strategy can resolve. Rerun just those with:\n${reruns.map((r) => `  ${r}`).join('\n')}`);
      }
      return result.exitCode;
    } finally {
      progress.stop();
      io.signal.removeEventListener('abort', onInterrupt);
      io.outputClosed.removeEventListener('abort', onOutputClosed);
    }
  }, { connections: plan.concurrency });
}
