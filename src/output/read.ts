import { constants, createReadStream, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InterruptedError, UsageError } from '../errors/failures.js';
import { systemErrorText } from '../lib/values.js';

/** Anything amps reads whole from a file or stdin is bounded: `amps decode - </dev/zero` must not eat the machine. */
const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;

/** The whole of a stream as UTF-8 text, up to `limit` bytes (a usage error naming `what` past it). */
export async function readStream(stream: Readable, options: { limit?: number; what?: string } = {}): Promise<string> {
  const limit = options.limit ?? DEFAULT_READ_LIMIT;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) {
      stream.destroy();
      throw new UsageError(`${options.what ?? 'the input'} is larger than ${Math.round(limit / 1024)} KiB; amps reads at most that`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A stream of a file, opened: a missing file or a directory is a usage error naming `what`. A FIFO
 * is opened without blocking and read through the event loop (as Node reads a piped stdin), never
 * on a worker thread: a FIFO whose writer never comes, or never writes, would hold that thread,
 * and Node waits for it at exit, so Ctrl-C could not end the process. `stop` then ends the read.
 */
export async function openFileStream(path: string, what: string, stop?: AbortSignal): Promise<Readable> {
  const { stat } = await import('node:fs/promises');
  let fifo = false;
  try {
    fifo = (await stat(path)).isFIFO();
  } catch {
    // The open below says why.
  }
  if (fifo) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      throw new UsageError(`cannot read ${what} ${path}: ${systemErrorText(error)}`);
    }
    const { Socket } = await import('node:net');
    const socket = new Socket({ fd, readable: true, writable: false });
    if (stop?.aborted) socket.destroy();
    else stop?.addEventListener('abort', () => socket.destroy(), { once: true });
    return socket;
  }
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new UsageError(`cannot read ${what} ${path}: ${systemErrorText(error)}`)));
  });
  return stream;
}

/**
 * A file read whole, up to `limit` bytes; a directory, a missing file or one too large is a usage
 * error naming `what` and why (never a stack trace). A FIFO or device is streamed with the same bound.
 */
export async function readFileBounded(path: string, options: { limit?: number; what: string; stop?: AbortSignal }): Promise<string> {
  const { stat } = await import('node:fs/promises');
  const limit = options.limit ?? DEFAULT_READ_LIMIT;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new UsageError(`cannot read ${options.what} ${path}: it is a directory`);
    if (info.isFile() && info.size > limit) throw new UsageError(`${options.what} ${path} is larger than ${Math.round(limit / 1024)} KiB; amps reads at most that`);
    const text = await readStream(await openFileStream(path, options.what, options.stop), { limit, what: `${options.what} ${path}` });
    // A FIFO read cut short by Ctrl-C is not the whole input.
    if (options.stop?.aborted) throw new InterruptedError();
    return text;
  } catch (error) {
    if (options.stop?.aborted) throw new InterruptedError();
    if (error instanceof UsageError || error instanceof InterruptedError) throw error;
    throw new UsageError(`cannot read ${options.what} ${path}: ${systemErrorText(error)}`);
  }
}
