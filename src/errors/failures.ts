import type { DecodedError } from './decode.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { holdsKeyShape } from '../contract/keys.js';

// The typed failures every layer throws and the one error boundary in cli.ts turns into an exit
// code and a message. Nothing below the boundary prints or exits.

/** A bad flag, argument or file, or a local check that failed: exit 2, nothing sent. */
export class UsageError extends Error {
  readonly exitCode: ExitCode = EXIT.usage;
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A request body (a push, a schedule, settings, `amps api`'s) that holds what is shaped like an API
 * key is neither sent nor shown (`--dry-run` prints the body): an Amps body never carries a key,
 * and one typed into a command, a parameter, a slot or a field would be printed and stored.
 */
export function refuseKeyInBody(text: string | undefined): void {
  if (text !== undefined && holdsKeyShape(text)) {
    throw new UsageError('the request body holds what looks like an API key, so it is neither sent nor shown', 'an Amps request body never carries a key: look for one pasted into a command, a parameter, a slot or a field');
  }
}

/** A local check against the device's capabilities, named with the code the API would use. */
export class PreflightError extends UsageError {
  /** What of the command line failed it, when there are several (`--slot '01:00/1h auto'`). */
  about?: string;
  constructor(readonly decoded: DecodedError) {
    super(decoded.message);
    this.name = 'PreflightError';
  }
}

/** A real target was meant but there is no key to send: exit 3, before any request. */
export class MissingKeyError extends Error {
  readonly exitCode: ExitCode = EXIT.credentials;
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'MissingKeyError';
  }
}

/** The API (or the network on the way) said no. */
export class ApiFailure extends Error {
  readonly exitCode: ExitCode;
  /**
   * For a failure only the end user can fix by re-linking the device: the Link UI URL to send
   * them, or (no app id configured) how to get one. Set by the session, which knows the target.
   */
  relink?: { url: string } | { hint: string };
  /**
   * A write (`POST /battery/ID`) that left and got no answer from the API (a timeout, a reset, a
   * gateway's page): the API may have acted on it, as on a write Ctrl-C cut on its way.
   */
  unanswered?: string;
  /**
   * The flags a printed read-back needs to go where the write went (` --api-url … --api-key-file …`),
   * or ''. Set by the session, which knows the target.
   */
  where?: string;
  /** How many times the request was sent before this failure, where the client knows (1: never retried). */
  attempts?: number;
  /**
   * `notSent`: true when the request provably never reached the server (refused, no connection made).
   * `serverDate`: the answer's Date header, when one came back (`amps doctor` reads the clock from it).
   */
  constructor(readonly decoded: DecodedError, readonly notSent = false, readonly serverDate?: string) {
    super(`${decoded.code}: ${decoded.message}`);
    this.name = 'ApiFailure';
    this.exitCode = decoded.exitCode;
  }
}

/** A question would have to be asked, but nobody can answer it. */
export class NeedsInputError extends Error {
  readonly exitCode: ExitCode = EXIT.needsInput;
  /** Why amps did not ask, when the command knows (output/io.ts noPromptReason). */
  reason?: string;
  constructor(message: string, readonly flag: string) {
    super(message);
    this.name = 'NeedsInputError';
  }
}

/** Ctrl-C, Escape at a prompt, or an abort: stop, send nothing more. */
export class InterruptedError extends Error {
  readonly exitCode: ExitCode = EXIT.interrupted;
  /** The action a wait was following when it was interrupted: it stands (state null: never read). */
  following?: { id: string; state: string | null };
  /** As ApiFailure's: the flags the read-back of a cut write needs to go where the write went. */
  where?: string;
  /**
   * `cutWrite`: the write (`POST /battery/ID`) Ctrl-C cut while it was on its way: it reached the API
   * or not, and amps cannot tell which.
   */
  constructor(message = 'interrupted', readonly cutWrite?: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** A command that already printed its outcome and only needs to set the exit code. */
export class ExitWith extends Error {
  constructor(readonly exitCode: ExitCode) {
    super(`exit ${exitCode}`);
    this.name = 'ExitWith';
  }
}
