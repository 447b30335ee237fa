// Following an action to its end for a person or a script: a spinner on a terminal, the final
// action printed, and the exit code its outcome maps to. Used by push --wait and actions wait.
// An action still pending when the wait ends (or on Ctrl-C) still stands: amps says so, with the
// command that follows it, and never suggests pushing again.

import type { ApiClient } from '../api/client.js';
import { waitForAction, WaitTimeout } from '../api/wait.js';
import type { ActionRecord } from '../contract/actions.js';
import { manufacturerVariant, outcomeExitCode } from '../errors/catalogue.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { ApiFailure, InterruptedError } from '../errors/failures.js';
import { type IO, writeJson, writeLine } from '../output/io.js';
import { startSpinner } from '../output/spinner.js';
import { printAction, timeText } from '../output/views.js';

export const DEFAULT_WAIT_MS = 10 * 60_000;


interface FollowOptions {
  io: IO;
  json?: boolean;
  quiet?: boolean;
  timeoutMs?: number;
  /** Whose clock times are shown on. */
  zone: string;
  /** Fields for the JSON beside the action's own. */
  extra?: Record<string, unknown>;
  /** The action as last seen (the push's answer), until the first poll replaces it. */
  initial?: ActionRecord;
  /** The Link UI URL (or how to get one) for an action that failed with a code only a re-link fixes. */
  relink?: (action: ActionRecord) => { url: string } | { hint: string };
  /** What the commands it prints need to go where this one went (whereSuffix): ` --profile staging`. */
  where?: string;
}

/** What to tell an operator about an action that still stands: how to follow it, and to cancel it if it can be. */
function stillStandsLines(action: Pick<ActionRecord, 'id' | 'state' | 'start'>, zone: string, where = ''): string[] {
  const lines = [`${action.id} is still ${action.state}${action.state === 'scheduled' && action.start ? ` (starts ${timeText(action.start, zone)})` : ''}: it stands; do not push it again.`];
  lines.push(`  Follow it: amps actions wait ${action.id}${where}`);
  if (action.state === 'scheduled') lines.push(`  Cancel it: amps actions cancel ${action.id}${where}`);
  return lines;
}

/**
 * A failed action is a failure like any other: beside the action on stdout, its error decoded on
 * stderr by the one decoder, as `amps decode` of the record shows it (with --json the one JSON
 * error a failure writes, so a script reads `error.code` where it does for every other failure).
 */
async function reportFailed(action: ActionRecord, relink: ApiFailure['relink'], io: IO, json: boolean): Promise<void> {
  const [{ decodeFailedAction }, { reportFailure }] = await Promise.all([import('../errors/decode.js'), import('../output/failure-report.js')]);
  const failure = new ApiFailure(decodeFailedAction(action));
  failure.relink = relink;
  await reportFailure(failure, io, json);
}

export async function followAction(client: ApiClient, id: string, options: FollowOptions): Promise<ExitCode> {
  const { io } = options;
  const spinner = startSpinner(io, `${id} …`, !options.json && !options.quiet);
  let last = options.initial;
  try {
    const done = await waitForAction(client, id, {
      signal: io.signal,
      timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS,
      initial: options.initial,
      onUpdate: (a) => {
        last = a;
        spinner.update(`${a.id} ${a.state}`);
      },
    });
    spinner.stop();
    // A failure that arrives after the push was accepted needs the same re-link link as one the push met.
    const relink = done.state === 'failed' && manufacturerVariant(done.errorCode ?? '')?.retryClass === 'relink' ? options.relink?.(done) : undefined;
    printAction(done, io, relink ? { ...options, extra: { ...options.extra, relink } } : options);
    if (done.state === 'failed') await reportFailed(done, relink, io, Boolean(options.json));
    return outcomeExitCode(done.state, done.errorCode);
  } catch (error) {
    spinner.stop();
    if (error instanceof InterruptedError) {
      // With --json, stderr is the one JSON error the boundary writes: it names the action, which stands.
      error.following = { id, state: last?.state ?? null };
      if (!options.json) {
        writeLine(io.stderr, `\nInterrupted while following ${id}.`);
        if (last) for (const line of stillStandsLines(last, options.zone, options.where)) writeLine(io.stderr, line);
        else writeLine(io.stderr, `${id} was not read before the interruption: its state is not known.\n  Follow it: amps actions wait ${id}${options.where ?? ''}`);
      }
      throw error;
    }
    if (!(error instanceof WaitTimeout)) {
      // The action was seen, so it stands, whatever ended the reading of it.
      if (last && !options.json) for (const line of stillStandsLines(last, options.zone, options.where)) writeLine(io.stderr, line);
      throw error;
    }
    // With --json, what the text below says is in the output (`waitEnded`, and the state read last),
    // and stderr stays free for the one JSON error a failure writes: exit 10 is none.
    if (!error.last) {
      // Not one read came back: what it is now is not known, and it is not to be sent again either.
      if (options.json) {
        writeJson(io, { id, state: null, ...options.extra, waitEnded: true, unreadAtEnd: error.unread?.code ?? null });
        return EXIT.accepted;
      }
      writeLine(io.stderr, `The wait ended before ${id} could be read${error.unread ? ` (${error.unread.code})` : ''}: its state is not known.`);
      writeLine(io.stderr, `  Follow it: amps actions wait ${id}${options.where ?? ''}`);
      return EXIT.accepted;
    }
    if (options.json) {
      printAction(error.last, io, { ...options, extra: { ...options.extra, waitEnded: true, unreadAtEnd: error.unread?.code ?? null } });
      return EXIT.accepted;
    }
    printAction(error.last, io, options);
    writeLine(io.stderr, `The wait ended before ${error.last.id} did.`);
    if (error.unread) writeLine(io.stderr, `Its state could not be read at the end (${error.unread.code}): it was last seen ${error.last.state}.`);
    for (const line of stillStandsLines(error.last, options.zone, options.where)) writeLine(io.stderr, line);
    return EXIT.accepted;
  }
}
