// The process's standard output and error as commands write them.
//
// Node builds process.stdout and process.stderr on first use, and building one costs ~1.5 ms for a
// file and ~2.7 ms for a pipe or a terminal, mostly loading node:stream and what it needs (a tenth
// of what a short command costs in all: bench/startup.mjs). So:
// - a regular file or /dev/null gets a writer that does what Node's own stream for it does (its
//   SyncWriteStream: one synchronous write(2) per chunk, a failure as an 'error' event, the next
//   write tried all the same), built on the EventEmitter every process has loaded already;
// - a pipe or a socket gets Node's own stream, made at the first write: asynchronous, as Node
//   writes to pipes on POSIX, so a slow reader never stalls a fleet's requests (a synchronous write
//   would). A command that writes nothing there (stderr, on success) never pays for it;
// - a terminal, any other device, Windows, or an fd fstat cannot answer for: Node's stream at once
//   (a terminal's width, colour and raw mode are Node's).

import { EventEmitter } from 'node:events';
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import type { OutputStream } from './io.js';

export interface StandardStream {
  stream: OutputStream;
  isTTY: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/** `file`: written with write(2) here (a regular file, /dev/null, a directory); `pipe`: Node's stream, made late; `other`: Node's stream. */
type FdKind = 'file' | 'pipe' | 'other';

/** /dev/null's device number: null until first needed, undefined where there is none. */
let devNullRdev: number | undefined | null = null;

/**
 * /dev/null's device number, undefined where there is none. Opened and fstat'd, not stat'd:
 * statSync would compile Node's code for it on every start that writes there (~1 M instructions);
 * fstatSync is compiled already.
 */
function devNullDevice(): number | undefined {
  try {
    const fd = openSync('/dev/null', 'r');
    try {
      return fstatSync(fd).rdev;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Whether `fd` is a terminal that hung up (an ssh session dropped): a character device that is no
 * terminal any more. A descriptor closed already (a stream that ended and let its own go) is not:
 * nothing is left to tell.
 */
export function terminalGone(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice() && !process.getBuiltinModule('node:tty').isatty(fd);
  } catch {
    return false;
  }
}

/** What an open descriptor is, as far as choosing its writer goes. */
export function fdKind(fd: number, platform: NodeJS.Platform = process.platform): FdKind {
  if (platform === 'win32') return 'other';
  try {
    const stat = fstatSync(fd);
    if (stat.isFIFO() || stat.isSocket()) return 'pipe';
    if (stat.isCharacterDevice()) {
      // /dev/null is the one device output is commonly sent to that is not a terminal.
      if (devNullRdev === null) devNullRdev = devNullDevice();
      return devNullRdev !== undefined && stat.rdev === devNullRdev ? 'file' : 'other';
    }
    // A regular file; or what Node's stream would silently write nowhere (a directory, `1<.`): here
    // its writes fail, and amps says the output was lost.
    return 'file';
  } catch {
    // A closed descriptor, or one fstat cannot describe: Node's stream decides what happens.
  }
  return 'other';
}

/**
 * Synchronous writes to a descriptor amps does not own (it is never closed), as Node's own stream
 * for stdout or stderr on a file makes them: each failure is an 'error' event once the write that
 * met it has returned, and later writes are still tried (a disk that was full may have room again:
 * a long `listen` goes on writing). `errored` keeps the first failure.
 */
export class FdWriter extends EventEmitter implements OutputStream {
  errored: Error | null = null;

  constructor(readonly fd: number) {
    super();
  }

  write(chunk: string | Uint8Array): boolean {
    try {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      // write(2) may take part of a chunk; the rest follows until all of it is written or it fails.
      for (let offset = 0; offset < bytes.length; ) {
        const written = writeSync(this.fd, bytes, offset);
        if (written <= 0) throw Object.assign(new Error('write took nothing'), { code: 'EIO' });
        offset += written;
      }
      return true;
    } catch (error) {
      this.errored ??= error as Error;
      process.nextTick(() => this.emit('error', error));
      return false;
    }
  }
}

/** Node's stream for fd 1 or 2, made when something first writes to it; its failure is this stream's. */
export class DeferredStdStream extends EventEmitter implements OutputStream {
  private target: OutputStream | undefined;

  constructor(private readonly make: () => OutputStream) {
    super();
  }

  get errored(): Error | null {
    return this.target?.errored ?? null;
  }

  write(chunk: string | Uint8Array): boolean {
    if (!this.target) {
      this.target = this.make();
      this.target.on('error', (error: Error) => this.emit('error', error));
    }
    // Node's stream queues what the pipe cannot take yet and writes it before the process exits.
    return this.target.write(chunk);
  }
}

/**
 * Standard output (1) or error (2), its writer chosen by what the descriptor is (see the top of this
 * file). `nodeStream` gives Node's own stream for it (process.stdout or process.stderr: only the
 * entry point touches the process), called only where that stream is the one used.
 */
export function standardStream(fd: 1 | 2, nodeStream: () => NodeJS.WriteStream, kind: FdKind = fdKind(fd)): StandardStream {
  if (kind === 'file') return { stream: new FdWriter(fd), isTTY: false };
  if (kind === 'pipe') return { stream: new DeferredStdStream(nodeStream), isTTY: false };
  const stream = nodeStream();
  return { stream, isTTY: Boolean(stream.isTTY), columns: stream.columns };
}
