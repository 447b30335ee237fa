// Failed system calls as amps words them, and what a failed write to stdout means. Apart from
// values.ts (which re-exports systemErrorText) because the entry (boot.ts) needs them for
// `--version` and must stay small: every start parses it.

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EEXIST: 'exists already',
  EMFILE: 'too many open files',
  EADDRINUSE: 'address in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EPIPE: 'the reader went away',
  EIO: 'input/output error',
  EBADF: 'bad file descriptor',
  ELOOP: 'a loop of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  ENXIO: 'no such device or address (a socket, or a FIFO no one reads)',
};

/** A failed system call in words, its code after (searchable): `no such file or directory (ENOENT)`. */
export function systemErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') return error instanceof Error ? error.message : String(error);
  const words = Object.hasOwn(SYSTEM_ERRORS, code) ? SYSTEM_ERRORS[code] : undefined;
  return words ? `${words} (${code})` : code;
}

/**
 * Whether a failed write only means the reader stopped reading (`| head`, a socket's peer gone):
 * the output is no longer wanted and the command ends as it would have. Any other failure (a full
 * disk: ENOSPC, EFBIG; EIO, which a terminal that hung up gives too) lost output.
 */
export function readerWentAway(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}

/** What amps says, in one line on stderr, when its stdout could not be written. */
export function outputLostText(error: unknown): string {
  return `the output could not be written to stdout: ${systemErrorText(error)}; what it shows is incomplete`;
}
