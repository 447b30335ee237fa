// The one error boundary's reporting half: every failure that reaches cli.ts is printed here, once,
// on stderr (as JSON with --json), and turned into its exit code.

import { DEVICE_TYPES } from '../contract/devices.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { pathSegment } from '../domain/device-types.js';
import { redactKeyShapes } from '../contract/keys.js';
import { redactSecretShapes } from '../contract/webhooks.js';
import { ApiFailure, ExitWith, InterruptedError, MissingKeyError, NeedsInputError, PreflightError, UsageError } from '../errors/failures.js';
import { errorToJson, writeErrorText } from './error-view.js';
import { type IO, noPromptReason, writeLine } from './io.js';
import { safeJsonText, safeToPrint, safeToPrintTyped, shellQuote } from './text.js';
import { jsonText, percentDecoded } from '../lib/values.js';

/** Aborts, and @inquirer/prompts' Ctrl-C (ExitPromptError), signal (AbortPromptError) and cancel. */
function isAbort(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'AbortError' || name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError';
}

/** What shows whether a write cut by Ctrl-C took effect, by where it went (`POST /battery/bat_1/settings`). */
function readBackAfter(cutWrite: string, where = ''): string {
  const [, path = ''] = cutWrite.split(' ');
  const [first, second, third] = path.split('/').filter(Boolean).map(percentDecoded);
  const id = second !== undefined ? shellQuote(second) : 'ID';
  const device = first !== undefined && DEVICE_TYPES.some((type) => pathSegment(type) === first);
  // Each with the flags that send it where the write went (`where`): run as printed, it reads there.
  const read = (what: string, command: string) => `Read ${what} (amps ${command}${where})`;
  if (first === 'actions' && second !== undefined) return read('the action', `actions get ${id}`);
  if (first === 'schedules') return second !== undefined ? read('the schedule', `schedules get ${id}`) : read('the device\'s schedules', 'schedules list --device ID');
  if (device && second !== undefined && third === 'settings') return read('the device\'s settings', `settings ${shellQuote(first)} ${id}`);
  if (device && second !== undefined && third === 'schedule') return read('the device\'s schedule', `schedule get ${shellQuote(first)} ${id}`);
  if (device && second !== undefined && third === undefined) return read('the device\'s actions', `actions list --device ${id}`);
  return read('back what it would change', `api GET ${shellQuote(path)}`);
}

/**
 * A refusal quotes what was typed, and what was typed may be a pasted file: a line of 100 KB (twice,
 * where the message quotes it twice) says no more than its start and end. Cut in the middle, said.
 */
const ECHO_BOUND = 2_000;
function echoBounded(text: string): string {
  if (text.length <= ECHO_BOUND) return text;
  return `${text.slice(0, ECHO_BOUND / 2)}… (${text.length - ECHO_BOUND * 0.75} characters left out) …${text.slice(-ECHO_BOUND / 4)}`;
}

export async function reportFailure(error: unknown, io: IO, json: boolean): Promise<ExitCode> {
  const writeScrubbedJson = (value: unknown) => io.stderr.write(`${safeJsonText(jsonText(value))}\n`);
  if (error instanceof ExitWith) return error.exitCode;
  if (error instanceof PreflightError) {
    if (json) {
      // The class of the code is the API's; what amps does with it, having sent nothing, is a usage error.
      const body = errorToJson(error.decoded) as { error: Record<string, unknown> };
      writeScrubbedJson({ ...body, error: { ...body.error, exitCode: error.exitCode }, preflight: true, ...(error.about ? { about: error.about } : {}) });
    }
    else {
      writeLine(io.stderr, io.err.yellow(`Preflight check${error.about ? ` of ${safeToPrint(error.about)}` : ''} failed against the device's capabilities; nothing was sent.`));
      await writeErrorText(io, error.decoded);
      writeLine(io.stderr, io.err.dim('  (--no-preflight sends the request anyway and lets the API decide)'));
    }
    return error.exitCode;
  }
  if (error instanceof UsageError) {
    // Keys (and webhook secrets) are taken out before the cut, which could leave half of one no longer shaped like one.
    const message = echoBounded(redactSecretShapes(safeToPrintTyped(error.message)));
    const hint = error.hint === undefined ? undefined : echoBounded(redactSecretShapes(safeToPrintTyped(error.hint)));
    if (json) writeScrubbedJson({ error: { code: 'USAGE', message, hint: hint ?? null, exitCode: EXIT.usage } });
    else writeLine(io.stderr, `amps: ${message}${hint ? `\n  hint: ${hint}` : ''}`);
    return error.exitCode;
  }
  if (error instanceof ApiFailure) {
    const relink = error.relink;
    const unanswered = error.unanswered ? `${safeToPrint(error.unanswered)} was sent and no answer came from the API: it may have acted on it. ${readBackAfter(error.unanswered, error.where)} before sending it again` : undefined;
    if (json) {
      // The hint where every other error's is (error.hint), with the write it is about.
      const body = errorToJson(error.decoded) as { error: Record<string, unknown> };
      writeScrubbedJson({ ...body, ...(unanswered ? { error: { ...body.error, unanswered: error.unanswered, hint: unanswered } } : {}), ...(relink ? { relink: 'url' in relink ? { url: relink.url } : { hint: relink.hint } } : {}) });
    }
    else {
      await writeErrorText(io, error.decoded);
      if (relink) writeLine(io.stderr, 'url' in relink ? `  ${io.err.bold('Re-link:')} send the device's user ${relink.url}` : `  ${io.err.bold('Re-link:')} only the device's user can fix this; ${relink.hint}`);
      if (unanswered) writeLine(io.stderr, `  ${io.err.yellow(unanswered)}`);
    }
    return error.exitCode;
  }
  if (error instanceof MissingKeyError) {
    if (json) writeScrubbedJson({ error: { code: 'NO_API_KEY', message: error.message, hint: error.hint, exitCode: error.exitCode } });
    else writeLine(io.stderr, `amps: ${safeToPrint(error.message)}\n  hint: ${safeToPrint(error.hint)}`);
    return error.exitCode;
  }
  if (error instanceof NeedsInputError) {
    if (json) writeScrubbedJson({ error: { code: 'INPUT_NEEDED', message: error.message, flag: error.flag, hint: `pass ${error.flag}`, exitCode: EXIT.needsInput } });
    else writeLine(io.stderr, `amps: ${safeToPrint(error.message)} (${error.reason ?? noPromptReason(io) ?? 'prompting is off'}, so not asking: pass ${error.flag})`);
    return error.exitCode;
  }
  if (error instanceof InterruptedError || isAbort(error)) {
    const cutWrite = error instanceof InterruptedError ? error.cutWrite : undefined;
    const hint = cutWrite ? `${safeToPrint(cutWrite)} was on its way when it was interrupted: the API may have acted on it. ${readBackAfter(cutWrite, error instanceof InterruptedError ? error.where : undefined)} before sending it again` : null;
    const following = error instanceof InterruptedError ? error.following : undefined;
    if (json) writeScrubbedJson({ error: { code: 'INTERRUPTED', message: 'interrupted', hint, exitCode: EXIT.interrupted, ...(following ? { action: following } : {}) } });
    else writeLine(io.stderr, `${io.stderrIsTTY ? '\n' : ''}interrupted${hint ? `\n  ${io.err.yellow(hint)}` : ''}`);
    return EXIT.interrupted;
  }
  const message = error instanceof Error ? error.message : String(error);
  writeLine(io.stderr, `amps: unexpected error: ${safeToPrint(message)}`);
  if (io.env.AMPS_DEBUG && error instanceof Error && error.stack) writeLine(io.stderr, redactKeyShapes(error.stack));
  else writeLine(io.stderr, '  This is a bug in amps. Rerun with AMPS_DEBUG=1 for the trace and report it.');
  return EXIT.bug;
}
