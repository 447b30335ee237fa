// A file or URL named on the command line or in the environment, checked before amps uses it:
// amps prints what it is given (`Ledger: FILE`, rerun lines, `forwarding to URL`).

import { holdsKeyShape } from '../contract/keys.js';
import { holdsSecretShape } from '../contract/webhooks.js';
import { UsageError } from '../errors/failures.js';
import { SCRUBBED_CHARACTERS } from '../lib/invisible.js';
import { requireFileName } from '../output/read.js';

/**
 * A file or URL given on the command line (`--out`, `--state`, `--forward-to`…), which amps names
 * in what it prints (`Ledger: FILE`, rerun lines, `forwarding to URL`): one holding what looks like
 * an API key (a paste into the wrong flag) or a control character (which would drive the terminal)
 * is refused, the refusal not showing it.
 */
export function checkFileOrUrl(name: string, value: string): string {
  requireFileName(value, name, 'a variable left unset gives one: set it, or leave the flag out');
  if (holdsKeyShape(value)) throw new UsageError(`${name} holds what looks like an API key, so it is not used: amps prints the files and URLs it is given`, 'give the key with AMPS_API_KEY, --api-key-file or amps login');
  // A webhook signing secret pasted where its file goes (`--secret-file whsec_…`) likewise.
  if (holdsSecretShape(value)) throw new UsageError(`${name} holds what looks like a webhook signing secret, so it is not used: amps prints the files and URLs it is given`, 'save the secret in a file and name the file: amps sandbox secret > secret.txt');
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) throw new UsageError(`${name} holds a control character, so it is not used: amps prints the files and URLs it is given`, 'rename the file, or percent-encode the character in a URL');
  // What amps takes out of all it prints (a direction override re-orders a name on screen, a
  // zero-width space hides in it): a rerun line could not show the name as it is.
  invisible ??= new RegExp(`[${SCRUBBED_CHARACTERS}]`);
  if (invisible.test(value)) throw new UsageError(`${name} holds a character a terminal does not show as it is (a direction override, a zero-width space), so it is not used: amps prints the files and URLs it is given`, 'rename the file, or percent-encode the character in a URL');
  return value;
}

let invisible: RegExp | undefined;
