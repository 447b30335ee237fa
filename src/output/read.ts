import type { Readable } from 'node:stream';
import { UsageError } from '../errors/failures.js';
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
 * A file read whole, up to `limit` bytes; a directory, a missing file or one too large is a usage
 * error naming `what` and why (never a stack trace). A FIFO or device is streamed with the same bound.
 */
export async function readFileBounded(path: string, options: { limit?: number; what: string }): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const { stat } = await import('node:fs/promises');
  const limit = options.limit ?? DEFAULT_READ_LIMIT;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new UsageError(`cannot read ${options.what} ${path}: it is a directory`);
    if (info.isFile() && info.size > limit) throw new UsageError(`${options.what} ${path} is larger than ${Math.round(limit / 1024)} KiB; amps reads at most that`);
    return await readStream(createReadStream(path), { limit, what: `${options.what} ${path}` });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${options.what} ${path}: ${systemErrorText(error)}`);
  }
}
