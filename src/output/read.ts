import { closeSync, constants, createReadStream, fstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { InterruptedError, UsageError } from '../errors/failures.js';
import { systemErrorText } from '../lib/values.js';
import type { IO } from './io.js';
import { terminalGone } from './stdio.js';

/** Anything amps reads whole from a file or stdin is bounded: `amps decode - </dev/zero` must not eat the machine. */
const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;

const tooLarge = (what: string, limit: number) => new UsageError(`${what} is larger than ${Math.round(limit / 1024)} KiB; amps reads at most that`);
const unreadable = (what: string, error: unknown) => new UsageError(`cannot read ${what}: ${systemErrorText(error)}`);

/** A file named by nothing (`--devices ''`, an unset variable in a script) is said as that, not as "no such file ". */
export function requireFileName(path: string, what: string, hint = 'name a file, or - for stdin'): void {
  if (path.trim() === '') throw new UsageError(`${what} is given as an empty word, which names nothing`, hint);
}

/** How bytes read become text. `strict`: bytes that are not UTF-8 are refused, naming `what`, not replaced (JSON sent as written must be UTF-8, RFC 8259). */
interface TextOptions {
  what?: string;
  strict?: boolean;
  /** What to do about bytes that are not UTF-8, when not JSON's advice. */
  notUtf8Hint?: string;
  /** Not strict: told when bytes that are not UTF-8 were read with replacement characters. */
  onNotUtf8?: () => void;
  /** The bytes as read, rewritten before they become text (decode joins a chunked body's chunks, sized in bytes). */
  beforeText?: (bytes: Buffer) => Buffer;
}

function textOf(read: Buffer, options: TextOptions): string {
  const bytes = options.beforeText ? options.beforeText(read) : read;
  // One check for both: refused when strict, else said to the caller that asked (a reader that did
  // not ask pays for no scan).
  if ((options.strict || options.onNotUtf8) && !isUtf8(bytes)) {
    if (options.strict) throw new UsageError(`${options.what ?? 'the input'} is not UTF-8 text`, options.notUtf8Hint ?? 'JSON is UTF-8: save it so (iconv -t UTF-8), or escape the character (\\u00e9)');
    options.onNotUtf8!();
  }
  // A byte-order mark is kept, as the strict decoder kept it (ignoreBOM): withoutBom is the callers'.
  return bytes.toString('utf8');
}

/** Text without the byte-order mark a Windows editor puts first: no part of what it holds. */
export function withoutBom(text: string): string {
  return text.replace(/^\uFEFF/, '');
}

/**
 * Claims stdin for `what` before anything reads it: a command whose input is `-` claims it as it
 * starts, so that a second input naming it (`--api-key-file -`, read when the session opens) is
 * refused as such before either is read, not told its input is bad (or read as empty).
 */
export function claimStdin(io: Pick<IO, 'stdinTaken'>, what: string): void {
  if (io.stdinTaken !== undefined && io.stdinTaken !== what) throw new UsageError(`${what} and ${io.stdinTaken} both read stdin`, 'give one of them a file');
  io.stdinTaken = what;
}

/** Whether stdin is a regular file (`< list.txt`), not a pipe, a terminal, a device or closed. */
export function stdinIsFile(): boolean {
  try {
    return fstatSync(0).isFile();
  } catch {
    return false;
  }
}

/** Whether a path an input names is this process's stdin: `-`, or stdin's own names on Linux. */
export function namesStdin(value: string | undefined): boolean {
  return value === '-' || value === '/dev/stdin' || value === '/dev/fd/0' || value === '/proc/self/fd/0';
}

/**
 * The stdin a command's inputs name (`--api-key-file -`, `--body -`, `--devices -`, or one of
 * them as `/dev/stdin`), claimed before any is read: two are refused at once, not the second read
 * as empty (or the first's bytes as the second's: a device list taken for a key).
 */
export function claimStdinInputs(io: Pick<IO, 'stdinTaken'>, apiKeyFile: string | undefined, inputs: Array<[what: string, value: string | undefined]>): void {
  if (namesStdin(apiKeyFile)) claimStdin(io, 'the key on stdin');
  for (const [what, value] of inputs) if (namesStdin(value)) claimStdin(io, what);
}

/**
 * The whole of stdin, as readStream reads it; the IO then holds that it was read, so that no
 * question is asked on it (io.ts noPromptReason). The first Ctrl-C ends the read: a terminal no one
 * types into, or a pipe whose writer Ctrl-C ended too, is not an input.
 */
export async function readStdin(io: Pick<IO, 'stdin' | 'stdinTaken' | 'signal'>, options: { limit?: number; what: string } & TextOptions): Promise<string> {
  claimStdin(io, options.what);
  return readStream(io.stdin, { ...options, stop: io.signal });
}

/**
 * The whole of a stream as UTF-8 text, up to `limit` bytes (a usage error naming `what` past it).
 * `stop` aborted ends the read as an interruption, whatever was read by then.
 */
export async function readStream(stream: Readable, options: { limit?: number; stop?: AbortSignal } & TextOptions = {}): Promise<string> {
  const limit = options.limit ?? DEFAULT_READ_LIMIT;
  const { stop } = options;
  const onStop = () => stream.destroy();
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      if (size > limit) {
        stream.destroy();
        throw tooLarge(options.what ?? 'the input', limit);
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (stop?.aborted) throw new InterruptedError();
    // A stream that cannot be read (stdin opened for writing only: `0>file`, EBADF) is bad input, not a bug.
    if (typeof (error as NodeJS.ErrnoException).syscall === 'string') throw unreadable(options.what ?? 'the input', error);
    throw error;
  } finally {
    stop?.removeEventListener('abort', onStop);
  }
  if (stop?.aborted || terminalHungUp(stream)) throw new InterruptedError();
  return textOf(Buffer.concat(chunks), options);
}

/**
 * Whether a stream that ended read a terminal that is gone (an ssh session dropped; stdio.ts
 * terminalGone): its read ends (EIO reads as the end), often before the hang-up's SIGHUP is heard,
 * and without one in a process the terminal does not signal. That end is no end of the input:
 * what was typed was cut short.
 */
export function terminalHungUp(stream: Readable): boolean {
  const terminal = stream as Readable & { isTTY?: boolean; fd?: number };
  return terminal.isTTY === true && typeof terminal.fd === 'number' && terminalGone(terminal.fd);
}

/**
 * An open regular file read whole, up to `limit` bytes, without streams: node:fs/promises and the
 * stream machinery cost `amps decode FILE` ~3 ms of its start for a file read at once anyway.
 */
function readOpenFile(fd: number, limit: number, what: string, text: TextOptions = {}): string {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const read = readSync(fd, chunk, 0, chunk.length, null);
    if (read === 0) return textOf(Buffer.concat(chunks, size), { ...text, what });
    size += read;
    // Checked as it grows: a file written while it is read is bounded too.
    if (size > limit) throw tooLarge(what, limit);
    chunks.push(chunk.subarray(0, read));
  }
}

/**
 * A regular file read whole, at once; undefined when there is none. Anything else standing there (a
 * FIFO, whose writer would be waited on with the event loop held, so that not even Ctrl-C ends
 * the wait; /dev/zero, read for ever) is a usage error, as is a file past `limit` bytes.
 */
export function readRegularFile(path: string, limit: number, what: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(`${what} ${path}`, error);
    // A link to a file that is not there (a secrets volume not mounted) is not "no file": read as
    // none, it would mean another target (for the config file, the embedded sandbox) without a word.
    let target: string | undefined;
    try {
      target = readlinkSync(path);
    } catch {
      return undefined;
    }
    throw new UsageError(`cannot read ${what} ${path}: it is a link to ${target}, which is not there`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new UsageError(`cannot read ${what} ${path}: it is not a regular file`);
    if (info.size > limit) throw tooLarge(`${what} ${path}`, limit);
    return readOpenFile(fd, limit, `${what} ${path}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * A FIFO or a terminal, opened non-blocking, read through the event loop (as Node reads a piped or
 * terminal stdin), never on a worker thread: a FIFO whose writer never comes, or a terminal no one
 * types into (`amps decode /dev/stdin` at a prompt), would hold that thread, and Node waits for it
 * at exit, so Ctrl-C could not end the process; its reader's `stop` (readStream, readDeviceRows)
 * then ends the read. Undefined for anything else (a regular file, /dev/zero), which a worker
 * thread reads without waiting.
 */
async function eventLoopStream(fd: number, info: Stats): Promise<Readable | undefined> {
  let stream: Readable;
  if (info.isFIFO()) {
    const { Socket } = await import('node:net');
    stream = new Socket({ fd, readable: true, writable: false });
  } else {
    if (!info.isCharacterDevice()) return undefined;
    const tty = await import('node:tty');
    if (!tty.isatty(fd)) return undefined;
    stream = new tty.ReadStream(fd);
  }
  return stream;
}

/** A stream of a file, opened: a missing file or a directory is a usage error naming `what`. A FIFO or a terminal is read as eventLoopStream says. */
export async function openFileStream(path: string, what: string): Promise<Readable> {
  requireFileName(path, what);
  let fd: number;
  try {
    // Non-blocking, so that opening a FIFO never waits for its writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw unreadable(`${what} ${path}`, error);
  }
  let stream: Readable | undefined;
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) throw new UsageError(`cannot read ${what} ${path}: it is a directory`);
    stream = await eventLoopStream(fd, info);
  } finally {
    // The FIFO's or terminal's stream owns the descriptor now.
    if (stream === undefined) closeSync(fd);
  }
  if (stream !== undefined) return stream;
  // Anything else is opened again, blocking, and read on a worker thread.
  const file = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (error) => reject(unreadable(`${what} ${path}`, error)));
  });
  return file;
}

/**
 * A file read whole, up to `limit` bytes; a directory, a missing file or one too large is a usage
 * error naming `what` and why (never a stack trace). A FIFO or device is streamed with the same
 * bound. `stop` is required: a FIFO whose writer never comes is waited on until its signal aborts
 * (Ctrl-C). It is asked for only then, or when a read fails (a Ctrl-C that came first is said as
 * one): a command's signal is made on first use (lib/lazy-abort.ts), and a regular file read at
 * once needs none.
 */
export async function readFileBounded(path: string, options: { limit?: number; what: string; stop: () => AbortSignal } & TextOptions): Promise<string> {
  requireFileName(path, options.what);
  const limit = options.limit ?? DEFAULT_READ_LIMIT;
  try {
    // Non-blocking, so that opening a FIFO never waits for its writer. A regular file is read here;
    // a FIFO is read from this same descriptor: closing it would let go of a writer already waiting
    // in its open(), whose data would then be lost (and amps would wait for another).
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    let stream: Readable | undefined;
    try {
      const info = fstatSync(fd);
      if (info.isDirectory()) throw new UsageError(`cannot read ${options.what} ${path}: it is a directory`);
      if (info.isFile()) {
        if (info.size > limit) throw tooLarge(`${options.what} ${path}`, limit);
        return readOpenFile(fd, limit, `${options.what} ${path}`, options);
      }
      stream = await eventLoopStream(fd, info);
    } finally {
      // The FIFO's or terminal's stream owns the descriptor now.
      if (stream === undefined) closeSync(fd);
    }
    // Another device (/dev/zero) is opened again, blocking, and streamed with the same bound.
    stream ??= await openFileStream(path, options.what);
    // A FIFO or terminal read cut short by Ctrl-C is not the whole input (readStream says so).
    return await readStream(stream, { ...options, limit, what: `${options.what} ${path}`, stop: options.stop() });
  } catch (error) {
    // A Ctrl-C before the read (while the command loaded) ends the run as one during it does.
    if (options.stop().aborted) throw new InterruptedError();
    if (error instanceof UsageError || error instanceof InterruptedError) throw error;
    throw unreadable(`${options.what} ${path}`, error);
  }
}
