// The key in --api-key-file: for requests (session/connect.ts) and for config set api-key and
// config list, which read it as a request does. A file of its own: the config commands load it
// without the client that session/connect.ts brings.

import { looseModeWarnings } from './paths.js';
import { refuseEmptyTarget } from './resolve.js';
import { UsageError } from '../errors/failures.js';
import { type IO, writeLine } from '../output/io.js';
import { namesStdin, readFileBounded, readStdin } from '../output/read.js';

/** A key file holds one key: a few hundred bytes at most. */
const KEY_FILE_LIMIT = 4096;

/** The key in --api-key-file (- reads stdin), with a warning when others can read the file. */
export async function readKeyFile(file: string, io: IO): Promise<string> {
  refuseEmptyTarget({ apiKeyFile: file }, {});
  // A terminal echoes what is typed: the key would stay on screen and in its scrollback.
  if (namesStdin(file) && io.stdinIsTTY) {
    throw new UsageError(`--api-key-file ${file} reads the key from stdin, which is a terminal: the key would be shown as it is typed`, 'pipe it in (--api-key-file - < keyfile), or save it once behind a hidden prompt: amps config set api-key');
  }
  const text = file === '-' ? await readStdin(io, { limit: KEY_FILE_LIMIT, what: 'the key on stdin' }) : await readFileBounded(file, { limit: KEY_FILE_LIMIT, what: 'the key file', stop: () => io.signal });
  // Line ends and spaces around it are the file's; a no-break space or other Unicode space (trim()
  // took those too) is part of what was pasted, and the key's shape check refuses it, as it refuses
  // one in AMPS_API_KEY.
  const key = text.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  if (key === '') throw new UsageError(`the key file ${file} is empty`);
  if (file !== '-') for (const line of looseModeWarnings([{ path: file, what: 'the key file' }])) writeLine(io.stderr, io.err.yellow(line));
  return key;
}
