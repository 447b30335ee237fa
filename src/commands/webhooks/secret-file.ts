// The signing secret of `webhooks verify` and `webhooks trigger --secret-file`: read from a file
// (secrets never go on the command line), and refused as bad input when it can neither sign nor
// verify (an empty file, text that is not base64): the file is wrong, not the delivery.

import { unusableSecret } from '../../domain/webhooks.js';
import { UsageError } from '../../errors/failures.js';
import type { IO } from '../../output/io.js';
import { readFileBounded } from '../../output/read.js';

export async function readSecretFile(path: string, io: Pick<IO, 'signal'>, use: 'sign' | 'verify'): Promise<string> {
  const secret = (await readFileBounded(path, { limit: 4096, what: 'the secret file', stop: () => io.signal })).trim();
  const unusable = unusableSecret(secret);
  if (unusable) throw new UsageError(`cannot ${use} with the secret in ${path}: ${unusable}`, 'amps sandbox secret > FILE writes the sandbox\'s');
  return secret;
}
