// `amps watch --ledger FILE`: follows the actions of an earlier fleet push (or of one still running:
// the file is read on as it grows, until its end record) to what the devices did, with a live
// summary on a terminal. Reads list pages, not one GET per action. `--exit-status` makes the exit
// code the most severe outcome, as the push's is.

import { Command, Option } from '@commander-js/extra-typings';
import { sleep } from '../api/client.js';
import type { Follower } from '../batch/follow.js';
import type { ParsedLedger } from '../batch/ledger.js';
import type { OutcomeTally } from '../batch/report.js';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { duration } from '../config/option-parsers.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { CONTROLLABLE, requireDeviceType } from '../domain/device-types.js';
import { displayZone } from '../domain/time.js';
import { InterruptedError, UsageError } from '../errors/failures.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../output/io.js';
import { liveLine } from '../output/spinner.js';
import { timeText } from '../output/views.js';
import { withSession } from '../session/connect.js';
import { DEFAULT_WAIT_MS } from '../session/follow.js';

export interface WatchOptions extends GlobalOptions {
  ledger?: string;
  exitStatus?: boolean;
  verify?: boolean;
  waitTimeout?: number;
}

const SEVERITY: ExitCode[] = [EXIT.interrupted, EXIT.credentials, EXIT.unclassified, EXIT.rejected, EXIT.usage, EXIT.conflict, EXIT.offline, EXIT.transient, EXIT.accepted];

/** Tracks the accepted devices the follower has not seen an outcome for yet. */
function trackNew(ledger: ParsedLedger, follower: Follower, tracked: Set<string>): void {
  for (const entry of ledger.entries.values()) {
    if (entry.outcome !== 'accepted' || !entry.actionId || !entry.id || tracked.has(entry.actionId) || ledger.outcomes.has(entry.actionId)) continue;
    tracked.add(entry.actionId);
    follower.track({ actionId: entry.actionId, deviceId: entry.id, command: ledger.run.inputs.command, state: entry.state ?? 'acknowledged', start: entry.start });
  }
}

function liveText(tally: OutcomeTally, pending: number, nextStart: string | null, started: number, done: number, zone: string): string {
  const states = new Map<string, number>();
  const codes = new Map<string, number>();
  for (const row of tally.rows.values()) {
    const state = row.effect === 'drift' ? 'drift' : row.state;
    states.set(state, (states.get(state) ?? 0) + row.count);
    if (row.code) codes.set(row.code, (codes.get(row.code) ?? 0) + row.count);
  }
  const parts = [...states].map(([state, n]) => `${state} ${n.toLocaleString('en')}`);
  const failed = [...codes].map(([code, n]) => `${code} ${n}`).join(', ');
  const rate = done / Math.max((Date.now() - started) / 1000, 0.001);
  return [`pending ${pending.toLocaleString('en')}`, ...parts, failed && `(${failed})`, `${rate.toFixed(1)}/s`, nextStart && `next start ${timeText(nextStart, zone)}`].filter(Boolean).join(' · ');
}

export async function run(options: WatchOptions, io: IO): Promise<ExitCode> {
  if (!options.ledger) throw new UsageError('name the ledger to watch: amps watch --ledger FILE (the --out of a fleet push)');
  const [{ outcomeAppender, readLedger, readMore }, { Follower }, report] = await Promise.all([import('../batch/ledger.js'), import('../batch/follow.js'), import('../batch/report.js')]);
  const ledger = readLedger(options.ledger);
  const type = requireDeviceType(ledger.run.inputs.type, CONTROLLABLE);
  const zone = displayZone(io.env);
  const tally = new report.OutcomeTally();
  for (const outcome of ledger.outcomes.values()) tally.add(outcome);
  const deadline = Date.now() + (options.waitTimeout ?? DEFAULT_WAIT_MS);
  // A finished run's ledger takes the outcomes, for the next reader; a running one is its writer's alone.
  const appender = ledger.end ? outcomeAppender(options.ledger) : undefined;
  return withSession(options, io, async (session) => {
    const follower = new Follower(session.client, {
      type, since: new Date(Date.parse(ledger.run.startedAt) - 5 * 60_000).toISOString(), verify: Boolean(options.verify), concurrency: 8,
      signal: io.signal, now: () => io.now().getTime(),
      onOutcome: (outcome) => {
        tally.add(outcome);
        appender?.append({ outcome });
      },
    });
    const tracked = new Set<string>();
    const started = Date.now();
    let done = 0;
    const show = io.stderrIsTTY && !options.json && !options.quiet;
    const line = liveLine(io, () => liveText(tally, follower.pending, follower.nextStart(), started, done, zone), 500, show);
    let interval = 1000;
    try {
      for (;;) {
        if (!ledger.end) readMore(options.ledger!, ledger);
        trackNew(ledger, follower, tracked);
        const before = follower.pending;
        if (before > 0) await follower.round();
        done += before - follower.pending;
        // A run still being written (no end record) may add devices: keep reading until it ends.
        if (follower.pending === 0 && ledger.end) break;
        if (Date.now() >= deadline) break;
        try {
          await sleep(Math.min(interval, deadline - Date.now()), io.signal);
        } catch (error) {
          if (error instanceof InterruptedError) break;
          throw error;
        }
        interval = Math.min(15_000, Math.round(interval * 1.5));
      }
    } finally {
      line.stop();
      appender?.close();
    }
    const pending = follower.remaining();
    tally.pending = pending.map((p) => ({ id: p.deviceId, actionId: p.actionId, state: p.state, start: p.start }));
    if (options.json) {
      const rows = [...tally.rows.values()];
      writeJson(io, { ledger: options.ledger, actions: rows, pending: tally.pending, ended: ledger.end !== null, requests: follower.requests, environment: session.environment });
    } else if (!options.quiet) {
      await report.printOutcomes(tally, io, false, zone);
      if (!ledger.end) writeLine(io.stderr, `The run writing ${options.ledger} had not ended${io.signal.aborted ? '' : ' when the wait did'}.`);
      const reruns = report.outcomeReruns(['push', ledger.run.inputs.type, ledger.run.inputs.command], tally, appender ? options.ledger : undefined);
      if (reruns.length > 0) writeLine(io.stderr, `\nRerun just the devices that can still succeed with:\n${reruns.map((r) => `  ${r}`).join('\n')}`);
    }
    if (io.signal.aborted) return EXIT.interrupted;
    if (!options.exitStatus) return EXIT.ok;
    // The push's own failures (sent or not) count too: the most severe of all.
    const codes = new Set<ExitCode>([...tally.exitCodes(), ...[...ledger.entries.values()].map((e) => e.exitCode as ExitCode)]);
    return SEVERITY.find((code) => codes.has(code)) ?? EXIT.ok;
  });
}

export function watchCommand(state: CommandState, runF: Run<WatchOptions> = run) {
  const command = new Command('watch')
    .description('Follow the actions of a fleet push (its --out ledger, finished or still running) to what the devices did')
    .addOption(new Option('--ledger <file>', 'the ledger of a fleet push (amps push --devices … --out FILE)'))
    .option('--exit-status', 'exit with the most severe outcome (as the push would), not 0')
    .option('--verify', 'read each completed device once and report where its state does not show the command (drift)')
    .addOption(new Option('--wait-timeout <duration>', 'stop following after this long (default 10m)').argParser(duration('--wait-timeout', 24 * 86_400_000)))
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps watch --ledger ledger.ndjson', 'amps watch --ledger ledger.ndjson --exit-status --verify --wait-timeout 30m']);
}
