// `amps watch --ledger FILE`: follows the actions of an earlier fleet push (or of one still running:
// the file is read on as it grows, until its end record) to what the devices did, with a live
// summary on a terminal. Reads list pages, not one GET per action. `--exit-status` makes the exit
// code the most severe outcome, as the push's is.

import { rmSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import type { Follower, Tracked } from '../batch/follow.js';
import type { LedgerVisitor } from '../batch/ledger.js';
import type { OutcomeRecord } from '../contract/ledger.js';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { duration, fileOrUrl } from '../config/option-parsers.js';
import { EXIT, type ExitCode, fleetExitCode, mostSevere } from '../contract/exit-codes.js';
import { CONTROLLABLE, requireDeviceType } from '../domain/device-types.js';
import { displayZone } from '../domain/time.js';
import { UsageError } from '../errors/failures.js';
import { systemErrorText } from '../lib/values.js';
import { lockWithin } from '../lib/file-lock.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeJsonError, writeLine, writeNotice } from '../output/io.js';
import { liveLine } from '../output/spinner.js';
import { shellQuote } from '../output/text.js';
import { withSession } from '../session/connect.js';
import { untypedTargetFlags, whereFlags } from '../config/resolve.js';
import { DEFAULT_WAIT_MS } from '../session/follow.js';
import { rerunNote, rerunArgs, resumeCommand, sendingFlags } from './push/rerun.js';
import { resumedInto } from './push/resume.js';

export interface WatchOptions extends GlobalOptions {
  ledger?: string;
  exitStatus?: boolean;
  verify?: boolean;
  waitTimeout?: number;
}

/** Device reads in flight while verifying; a fleet's worth of requests, so through undici's pool (api/transport.ts). */
const FOLLOW_CONCURRENCY = 8;

export async function run(options: WatchOptions, io: IO, argv: string[] = []): Promise<ExitCode> {
  if (!options.ledger) throw new UsageError('name the ledger to watch: amps watch --ledger FILE (the --out of a fleet push)');
  const [{ followSince, outcomeAppender, readLedger, readMore, writerGoneHere }, { Follower }, report] = await Promise.all([import('../batch/ledger.js'), import('../batch/follow.js'), import('../batch/report.js')]);
  const tally = new report.OutcomeTally();
  // Read as a stream of lines: only the actions still to follow are kept, not the whole ledger.
  const waiting = new Map<string, Tracked>();
  const lineCodes = new Set<ExitCode>();
  let anythingSent = false;
  let follower: Follower | undefined;
  let command = '';
  const visitor: LedgerVisitor = {
    run: (run) => {
      command = run.inputs.command;
    },
    entry: (entry) => {
      lineCodes.add(entry.exitCode);
      if (entry.attempts > 0) anythingSent = true;
      if (entry.outcome !== 'accepted' || !entry.actionId || !entry.id || tally.codeOf(entry.actionId) !== undefined) return;
      const tracked = { actionId: entry.actionId, deviceId: entry.id, state: entry.state ?? 'acknowledged', start: entry.start };
      if (follower) follower.track(tracked);
      else waiting.set(entry.actionId, tracked);
    },
    outcome: (outcome) => {
      tally.add(outcome);
      inLedger.add(outcome.actionId);
      follower?.forget(outcome.actionId);
      waiting.delete(outcome.actionId);
    },
  };
  /** Actions whose outcome the ledger holds already (its writer's --wait wrote it): never appended twice. */
  const inLedger = new Set<string>();
  const ledger = readLedger(options.ledger, visitor);
  const type = requireDeviceType(ledger.run.inputs.type, CONTROLLABLE);
  const zone = displayZone(io.env);
  const deadline = Date.now() + (options.waitTimeout ?? DEFAULT_WAIT_MS);
  // A finished run's ledger takes the outcomes, for the next reader (and the rerun lines' grep); a
  // running one is its writer's alone until its end record: what was followed meanwhile waits.
  // Appends are made under a lock, after reading what others appended (another watch of the same
  // ledger): no outcome is written twice.
  let appender: ReturnType<typeof outcomeAppender> | undefined;
  const unappended: Array<OutcomeRecord['outcome']> = [];
  const appendLock = `${options.ledger}.outcomes-lock`;
  let done = 0;
  /** Why the ledger stopped taking outcomes, once it did. */
  let notAppended: string | undefined;
  const stopAppending = (why: string) => {
    notAppended = why;
    // The follow goes on (its summary has every outcome), and exits 11 where it would have exited 0.
    if (!options.json) writeLine(io.stderr, io.err.yellow(`amps: outcomes can no longer be appended to ${options.ledger}: ${why}; following goes on, and the summary has them all`));
  };
  /** Appends what was followed and is not in the ledger yet; `waitMs`: how long to wait for another watch's append. */
  const flush = (waitMs: number) => {
    if (!ledger.end || notAppended !== undefined || unappended.length === 0) return;
    // A ledger resumed (interrupted, then continued by push --resume) is its resume's to continue:
    // the resume read it whole, and its own ledger is the one that takes outcomes.
    if (resumedInto(options.ledger!) !== undefined) return;
    let step: ReturnType<typeof lockWithin>;
    try {
      step = lockWithin(appendLock, waitMs);
    } catch (error) {
      return stopAppending(systemErrorText(error));
    }
    if (step === 'foreign') return stopAppending(`${appendLock} is in the way of its lock: it is not a file amps wrote`);
    // Another watch is appending: this one's turn comes at its next round, or after a short wait at its end.
    if (step !== 'taken') return;
    try {
      readMore(options.ledger!, ledger);
      appender ??= outcomeAppender(options.ledger!);
      for (const outcome of unappended.splice(0)) {
        if (inLedger.has(outcome.actionId)) continue;
        // The run's environment (watch follows only there).
        appender.append({ outcome: ledger.run.environment === undefined ? outcome : { ...outcome, environment: ledger.run.environment } });
        inLedger.add(outcome.actionId);
      }
    } catch (error) {
      stopAppending(systemErrorText(error));
    } finally {
      rmSync(appendLock, { force: true });
    }
  };
  /** Set when the run writing the ledger was found gone without its end record (killed, crashed). */
  let writerGone = false;
  return withSession(options, io, async (session) => {
    // Another environment holds none of the run's actions: each would look done once missing from its lists.
    if (ledger.run.environment !== undefined && ledger.run.environment !== session.environment) {
      throw new UsageError(`the ledger ${options.ledger} is of a run against the ${ledger.run.environment} environment, not ${session.environment}: its actions are not there to follow`, 'watch with the key, profile or API URL the run had');
    }
    const following = new Follower(session.client, {
      type, command, since: () => followSince(ledger), verify: Boolean(options.verify), concurrency: FOLLOW_CONCURRENCY,
      signal: io.signal, now: () => io.now().getTime(),
      onOutcome: (outcome) => {
        done++;
        tally.add(outcome);
        unappended.push(outcome);
      },
      onRound: () => flush(0),
      warn: report.followWarning(io, Boolean(options.json)),
      notice: (text) => writeNotice(io, options.json, text),
    });
    for (const tracked of waiting.values()) following.track(tracked);
    waiting.clear();
    follower = following;
    const started = Date.now();
    const show = io.stderrIsTTY && !options.json && !options.quiet;
    const line = liveLine(io, () => report.followText(tally, following.pending, following.nextStart(), started, done, zone), 500, show);
    try {
      await following.run(deadline, {
        refill: () => {
          if (!ledger.end) readMore(options.ledger!, ledger);
        },
        ended: () => {
          if (ledger.end !== null || writerGone) return true;
          // A writer that is gone never writes its end record: waiting for it would last the whole wait.
          if (!writerGoneHere(ledger.run.writer)) return false;
          // What it wrote before it went is followed too (its end record among it, when it wrote one as it went).
          readMore(options.ledger!, ledger);
          writerGone = ledger.end === null;
          return following.pending === 0;
        },
      });
    } finally {
      line.stop();
      flush(5_000);
      appender?.close();
    }
    // The wait ended with actions still open: whether the run is gone is still worth knowing.
    if (ledger.end === null && !writerGone && writerGoneHere(ledger.run.writer)) {
      readMore(options.ledger!, ledger);
      writerGone = ledger.end === null;
    }
    const pending = following.remaining();
    tally.pending = pending.map((p) => ({ id: p.deviceId, actionId: p.actionId, state: p.state, start: p.start }));
    if (options.json) {
      const rows = [...tally.rows.values()];
      writeJson(io, { ledger: options.ledger, actions: rows, pending: tally.pending, ended: ledger.end !== null, writerGone, resumedInto: resumedInto(options.ledger!) ?? null, requests: { ...following.requests, rounds: following.rounds }, environment: session.environment, outcomesNotAppended: notAppended ?? null });
    } else if (!options.quiet) {
      await report.printOutcomes(tally, io, false, zone, following.end, options.ledger);
      if (!ledger.end && writerGone) {
        // Resumed already: that resume's ledger is the one to continue from (this one is refused).
        const into = resumedInto(options.ledger!);
        const resume = into ? undefined : resumeCommand(options.ledger!, ledger.run, whereFlags(session.target, options));
        const next = into ? `: it was resumed into ${into}, which amps watch --ledger ${shellQuote(into)} follows` : resume ? `: ${resume} sends the rest, no device twice` : '';
        writeLine(io.stderr, `The run that wrote ${options.ledger} stopped without ending it (its process is gone)${next}.`);
      }
      else if (!ledger.end) writeLine(io.stderr, `The run writing ${options.ledger} had not ended${{ interrupted: '', stopped: ' when the follow stopped', wait: ' when the wait did' }[following.end]}.`);
      else {
        // Ended (an interrupted run has its end record too), then resumed: its devices go on there.
        const into = resumedInto(options.ledger!);
        if (into) writeLine(io.stderr, `The run of ${options.ledger} was resumed into ${into}, which amps watch --ledger ${shellQuote(into)} follows: these are this ledger's actions alone, and their outcomes are recorded there, not here.`);
      }
      const { times: runTimes } = ledger.run;
      // Sent as the run sent (its record), then where watch sends (its own --profile, --api-url…, which win).
      const { concurrency, shape } = ledger.run;
      const sentAs = sendingFlags({ concurrency, retry: shape?.retry, timeoutMs: shape?.timeoutMs, failFast: shape?.failFast, preflight: shape?.preflight });
      const rerunTimes = { start: runTimes.start ?? undefined, end: runTimes.end ?? undefined, zone: runTimes.zone, now: io.now().getTime() };
      // The reruns are of actions that failed when they ran: past their start. `--` ends the
      // recorded flags: a bare --fail-fast there would read the typed `watch` as its classes.
      const base = rerunArgs(ledger.run.inputs, { ...rerunTimes, ran: true }, [...sentAs, '--', ...argv, ...untypedTargetFlags(session.target, options)]);
      // Fed from the ledger only when it holds every outcome followed (their errorCode is what the grep finds), else by id.
      const reruns = report.outcomeReruns(base, tally, ledger.end && notAppended === undefined && unappended.length === 0 ? options.ledger : undefined);
      if (reruns.length > 0) writeLine(io.stderr, report.rerunBlock(reruns, rerunNote(rerunTimes, reruns)));
    }
    const { stoppedBy } = following;
    if (stoppedBy) await report.reportFollowStopped(stoppedBy, tally.pending.length, io, Boolean(options.json));
    if (io.signal.aborted) return EXIT.interrupted;
    // A follow the API stopped did not do what was asked: its failure's class, with or without --exit-status.
    // With it, the push's own failures (sent or not) count too: the most severe of all.
    // The push's own exit code counts (its stop too: an interrupt, a lost output, an input it could not read on), by its own rule.
    // A run whose process went without ending its ledger (killed, crashed) stopped as an interrupted
    // one did, its devices past the last line unsent and in no line: exit 0 told a runbook it was done.
    const runStop = ledger.end ? [ledger.end.exitCode] : writerGone ? [EXIT.interrupted] : [];
    const code = !options.exitStatus ? (stoppedBy ? stoppedBy.exitCode : EXIT.ok) : fleetExitCode([...tally.exitCodes(), ...lineCodes, ...runStop, ...(stoppedBy ? [stoppedBy.exitCode] : [])], anythingSent);
    if (notAppended !== undefined) {
      // A lost output ranks as a fleet's does (above a rejected push's 4): with --exit-status too.
      const lost = mostSevere([code, EXIT.outputLost]);
      // With --json every failure is a JSON error on stderr, its last line, this one too (said in text as it happened).
      if (options.json) writeJsonError(io, 'OUTPUT_LOST', `outcomes could not be appended to ${options.ledger}: ${notAppended}; the result on stdout has them all`, lost);
      return lost;
    }
    return code;
  }, { connections: FOLLOW_CONCURRENCY });
}

export function watchCommand(state: CommandState, runF: Run<WatchOptions> = run) {
  const command = new Command('watch')
    .description('Follow the actions of a fleet push (its --out ledger, finished or still running) to what the devices did')
    .addOption(new Option('--ledger <file>', 'the ledger of a fleet push (amps push --devices … --out FILE)').argParser(fileOrUrl('--ledger')))
    .option('--exit-status', 'exit with the most severe outcome (as the push would), not 0')
    .option('--verify', 'read each completed device once and report where its state does not show the command (drift)')
    .addOption(new Option('--wait-timeout <duration>', 'stop following after this long (default 10m)').argParser(duration('--wait-timeout', 24 * 86_400_000)))
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps watch --ledger ledger.ndjson', 'amps watch --ledger ledger.ndjson --exit-status --verify --wait-timeout 30m']);
}
