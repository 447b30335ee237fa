import type { Readable } from 'node:stream';
import { UsageError } from '../errors/failures.js';

/** Anything amps reads whole from a file or stdin is bounded: `amps decode - </dev/zero` must not eat the machine. */
export const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;

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
