// The signing secret of `webhooks verify` and `webhooks trigger --secret-file`: read from a file
// (secrets never go on the command line), and refused as bad input when it can neither sign nor
// verify (an empty file, text that is not base64): the file is wrong, not the delivery.

import { unusableSecret } from '../../domain/webhooks.js';
import { UsageError } from '../../errors/failures.js';
import type { IO } from '../../output/io.js';
import { readFileBounded } from '../../output/read.js';

export async function readSecretFile(path: string, io: Pick<IO, 'signal'>, use: 'sign' | 'verify'): Promise<string> {
  // `-` is stdin everywhere else in amps: read as a file of that name it said "no such file", or
  // read one that happened to be there. Stdin is the delivery's (verify -), never the secret's.
  if (path === '-') throw new UsageError('--secret-file takes a file: stdin (-) is not read for a secret', 'a process substitution gives one: --secret-file <(amps sandbox secret)');
  const secret = (await readFileBounded(path, { limit: 4096, what: 'the secret file', stop: () => io.signal })).trim();
  // Two secrets pasted together at a rotation: said as that, not as a secret that is not base64.
  const lines = secret.split(/\r?\n|\r/).filter((line) => line.trim() !== '');
  if (lines.length > 1) throw new UsageError(`cannot ${use} with the secret in ${path}: it holds ${lines.length} lines, and a secret is one`, 'at a rotation, put each secret in a file of its own and verify with each in turn');
  const unusable = unusableSecret(secret);
  if (unusable) throw new UsageError(`cannot ${use} with the secret in ${path}: ${unusable}`, 'amps sandbox secret > FILE writes the sandbox\'s');
  return secret;
}
