import type { Readable } from 'node:stream';
import type { Env } from '../contract/env.js';
import { bounded, JSON_BOUNDS, jsonText } from '../lib/values.js';
import type { ExitCode } from '../contract/exit-codes.js';
import { NO_PROMPTER, type Prompter } from './prompter.js';
import { PLAIN, type Style } from './style.js';
import { scrub } from './text.js';

/**
 * Where a command's output goes: Node's stream for a terminal or a pipe, a writer of stdio.ts for a
 * file, a test's PassThrough. Commands only write; a failure arrives as an 'error' event, and is in
 * `errored` from the write that met it (Node's own stdio streams clear it again after the event).
 */
export interface OutputStream {
  write(chunk: string | Uint8Array): boolean;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly errored: Error | null;
}

/**
 * Everything a command touches outside itself: its streams and whether they are terminals, the
 * environment, colour per stream, the clock, and the signal that Ctrl-C aborts. Commands get it
 * from the caller, so a test can drive any command with buffers, a fixed clock and its own env.
 */
export interface IO {
  stdin: Readable;
  stdout: OutputStream;
  stderr: OutputStream;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Env;
  columns: number;
  /** stderr's width, when it is a terminal (undefined elsewhere: a log has no width to fit): read as it is asked for (it changes with the window). */
  readonly stderrColumns?: number;
  /** Colour for stdout and for stderr, decided separately. */
  out: Style;
  err: Style;
  now(): Date;
  /** Aborted on the first Ctrl-C (or SIGTERM); requests, waits and prompts listen to it. */
  signal: AbortSignal;
  /**
   * Aborted when stdout can no longer be written (its reader went away: `| head`; a full disk), or
   * stderr's reader went away. A batch stops issuing and finishes its ledger file.
   */
  outputClosed: AbortSignal;
  /** Aborted when stdout alone can no longer be written: what a command whose data is its stdout (listen) ends on. */
  stdoutClosed: AbortSignal;
  /** Asks a person; only called once canPrompt() said someone can answer. */
  prompter: Prompter;
  /**
   * What stdin was read to its end for (`--body -`), set by readStdin: a terminal's stdin read to
   * its Ctrl-D is ended, and a question asked on it could never be answered.
   */
  stdinTaken?: string;
}

function isCI(env: Env): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Prompting needs a person: stdin, stdout and stderr all a terminal (questions are asked on stderr,
 * so stdout stays data: with `2>file` nobody would see them), not CI, not --no-input, not --json.
 */
export function canPrompt(io: IO, flags: { input?: boolean; json?: boolean }): boolean {
  return noPromptReason(io, flags) === undefined;
}

/** Why amps will not ask here, in words for "…, so not asking"; undefined when it can. */
export function noPromptReason(io: IO, flags: { input?: boolean; json?: boolean } = {}): string | undefined {
  if (flags.input === false) return '--no-input is given';
  // --json is for scripts: a question at a terminal would hold one that runs there.
  if (flags.json) return '--json is given';
  if (!(io.stdinIsTTY && io.stdoutIsTTY && io.stderrIsTTY)) return 'not a terminal';
  if (io.stdinTaken) return `stdin was read for ${io.stdinTaken}`;
  if (isCI(io.env)) return 'CI is set';
  if (io.env.AMPS_NO_INPUT) return 'AMPS_NO_INPUT is set';
  return undefined;
}

/**
 * A closed pipe is not a failure of amps: when `stream` errors (EPIPE once `| head` has read enough,
 * or anything else that makes it unwritable), the error is handled instead of crashing the process
 * (later writes are still tried, and fail or not), and `onClosed` runs once with the first error.
 * Whether the output was lost or only no longer wanted is the caller's to say (lib/system-errors.ts
 * readerWentAway).
 */
export function guardOutput(stream: OutputStream, onClosed: (error: Error) => void): void {
  let closed = false;
  stream.on('error', (error: Error) => {
    if (closed) return;
    closed = true;
    onClosed(error);
  });
}

export function writeLine(stream: OutputStream, text = ''): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * One of amps' own failures as `--json` says every failure, stderr's last line:
 * `{"error": {"code", "message", "exitCode"}}` (OUTPUT_LOST, where a command ends on output it lost).
 */
export function writeJsonError(io: Pick<IO, 'stderr'>, code: string, message: string, exitCode: ExitCode): void {
  writeLine(io.stderr, jsonText({ error: { code, message, exitCode } }));
}

/**
 * A line on stderr that is no failure (what amps did to its own files: a state kept aside): with
 * --json a `{"notice": TEXT}` object, as every line there is JSON; else `amps: TEXT`, in yellow.
 */
export function writeNotice(io: IO, json: boolean | undefined, text: string): void {
  if (json) writeLine(io.stderr, jsonText({ notice: scrub(text) }));
  else writeLine(io.stderr, io.err.yellow(`amps: ${text}`));
}

/**
 * What the API changed of what was sent (a moved time, a schedule answered otherwise), said on
 * stderr whatever the output: for people a line of its own; with --json a notice line, stderr
 * holding JSON alone (the change is in the result's data too).
 */
export function writeChange(io: IO, json: boolean | undefined, text: string): void {
  if (json) writeNotice(io, true, text);
  else writeLine(io.stderr, io.err.yellow(text));
}

/** `stream` with its writes passed through `write` first (which writes to the stream itself); its failure is the stream's. */
export function throughWrites(stream: OutputStream, write: (chunk: string | Uint8Array) => boolean): OutputStream {
  return {
    write,
    on: (event, listener) => stream.on(event, listener),
    get errored() {
      return stream.errored;
    },
  };
}

/** JSON for stdout, indented the same way whatever the terminal, so scripts and people see one format. */
export function writeJson(io: IO, value: unknown): void {
  io.stdout.write(`${jsonText(bounded(value, JSON_BOUNDS), 2)}\n`);
}

/** One JSON object on one line, for a stream read a line at a time (`listen --json | while read`, `head -n`). */
export function writeJsonLine(io: IO, value: unknown): void {
  io.stdout.write(`${jsonText(bounded(value, JSON_BOUNDS))}\n`);
}

/**
 * `{"<key>": [items…], …rest}` written as writeJson writes it, the items as they come: a list of
 * every page (`devices --all --json`) need not fit in memory, nor be cut at JSON_BOUNDS' 10,000 items.
 */
export function startJsonList(io: IO, key: string): { add(item: unknown): void; end(rest: Record<string, unknown>): void } {
  let first = true;
  io.stdout.write(`{\n  ${JSON.stringify(key)}: [`);
  return {
    add(item) {
      const text = jsonText(bounded(item, { ...JSON_BOUNDS, depth: JSON_BOUNDS.depth - 2 }), 2).replace(/\n/g, '\n    ');
      io.stdout.write(`${first ? '\n' : ',\n'}    ${text}`);
      first = false;
    },
    end(rest) {
      const tail = jsonText(bounded(rest, JSON_BOUNDS), 2);
      io.stdout.write(`${first ? '' : '\n  '}]${tail === '{}' ? '\n}' : `,\n${tail.slice(2)}`}\n`);
    },
  };
}

/**
 * `io` with some parts replaced. A spread (`{ ...io }`) would call its getters: make process.stdin
 * (Node's fs, net or tty stream, ~2 ms) and the abort signals, which most commands never touch.
 */
export function ioWith(io: IO, changes: Partial<IO>): IO {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(io)) as IO;
  for (const [name, value] of Object.entries(changes)) Object.defineProperty(copy, name, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

export function plainIO(parts: Pick<IO, 'stdin' | 'stdout' | 'stderr'> & Partial<IO>): IO {
  return {
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    columns: 100,
    out: PLAIN,
    err: PLAIN,
    now: () => new Date(),
    signal: new AbortController().signal,
    outputClosed: new AbortController().signal,
    stdoutClosed: new AbortController().signal,
    prompter: NO_PROMPTER,
    ...parts,
  };
}

/**
 * A command's body: parsed options in, an exit code out; everything outside it comes through `io`.
 * Each command's factory takes one (`runF`, as gh's commands do), so a test can check what
 * commander parsed without running anything, and run the real one in-process with a test IO.
 */
export type Run<O> = (options: O, io: IO, argv: string[]) => Promise<ExitCode>;

/** What cli.ts hands each command: its IO, and where to leave the exit code. */
export interface CommandState {
  io: IO;
  exitCode: ExitCode;
  /** The arguments as given, for the command lines amps suggests (the conflict rerun line). */
  argv: string[];
  /** The parser's refusal of the line (`unknown option '--bogus'`), held back to be reported as JSON with --json. */
  parseError?: string;
}
