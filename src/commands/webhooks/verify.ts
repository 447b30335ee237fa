// `amps webhooks verify`: does this delivery verify against this secret, and if not, why. Reads a
// delivery as pasted from a ticket (an optional request line, header lines, a blank line, the raw
// body), or a body with --header flags. Exit 0 verified, 4 not, 2 unreadable input or secret.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { fileOrUrl, repeatable } from '../../config/option-parsers.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { UsageError } from '../../errors/failures.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { safeToPrint } from '../../output/text.js';
import { readFileBounded, readStdin } from '../../output/read.js';
import { signedHeaderNames } from '../../contract/webhooks.js';
import { readSecretFile } from './secret-file.js';

export interface VerifyOptions extends GlobalOptions {
  delivery?: string;
  secretFile?: string;
  header?: string[];
}

/** A delivery is at most what an endpoint would take: 1 MiB of body and its headers. */
const DELIVERY_LIMIT = 2 * 1024 * 1024;

/** The headers a delivery is verified by, other than its signature: one given twice is the delivery's to explain. */
const SIGNED_HEADERS = new Set((['id', 'timestamp'] as const).flatMap(signedHeaderNames));

/**
 * Adds a header, by its lower-case name. A signature header given twice keeps both values (HTTP
 * joins them), so a second svix-signature line adds its entries rather than hiding the first's.
 * An id or timestamp given twice with another value is joined as a receiver's HTTP library joins
 * it (`a, b`), and its name kept in `twice`: verifying against either value alone would say
 * "verified" of a delivery every receiver refuses. Any other header (a proxy's Via, given at each
 * hop) keeps its last value: verifying reads none of them.
 */
function addHeader(headers: Record<string, string>, [name, value]: [string, string], twice: Set<string>): Record<string, string> {
  const key = name.toLowerCase();
  const before = headers[key];
  if (before === undefined || before === value || !(key.endsWith('-signature') || SIGNED_HEADERS.has(key))) headers[key] = value;
  else if (key.endsWith('-signature')) headers[key] = `${before} ${value}`;
  else {
    headers[key] = `${before}, ${value}`;
    twice.add(key);
  }
  return headers;
}

function headerPair(line: string, from: string): [string, string] {
  const colon = line.indexOf(':');
  if (colon <= 0) throw new UsageError(`${from} '${line.slice(0, 60)}' is not a header (Name: value)`);
  return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
}

/** Headers and the raw body of a pasted delivery: `POST /hooks HTTP/1.1` (optional), headers, a blank line, the body as is. */
export function parseDelivery(text: string, twice: Set<string> = new Set()): { headers: Record<string, string>; body: string } {
  const lines = text.split('\n');
  const headers: Record<string, string> = Object.create(null);
  let i = 0;
  if (/^[A-Z]+ \S+ HTTP\/\d/.test(lines[0] ?? '')) i++;
  for (; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line === '') break;
    addHeader(headers, headerPair(line, 'the line'), twice);
  }
  if (i >= lines.length) throw new UsageError('the delivery has no blank line between its headers and its body', 'paste it as received: headers, a blank line, then the body (or give --header flags and the body alone)');
  return { headers, body: lines.slice(i + 1).join('\n') };
}

/** When the delivery says it was signed, from this machine's clock: a timestamp ahead of it (within the window) is not "ago". */
function signedWhen(offsetS: number): string {
  return offsetS < 0 ? `stamped ${-offsetS} s ahead of this machine's clock` : `${offsetS} s ago`;
}

export async function run(options: VerifyOptions, io: IO): Promise<ExitCode> {
  if (!options.secretFile) throw new UsageError('name the secret: --secret-file FILE (amps sandbox secret > FILE for the sandbox\'s)');
  const { verifyDelivery } = await import('../../domain/webhooks.js');
  const secret = await readSecretFile(options.secretFile, io, 'verify');
  const source = options.delivery ?? '-';
  if (source === '-' && io.stdinIsTTY) throw new UsageError('give the delivery: a file, or - with it on stdin', 'pbpaste | amps webhooks verify --secret-file secret.txt -');
  // A delivery is JSON, signed as sent: bytes that are not UTF-8 (a file saved as UTF-16) are said as such, not read as a delivery with no headers.
  const text8 = { strict: true, notUtf8Hint: 'a delivery is UTF-8 JSON, signed as sent: save it as received (UTF-16 is what some Windows editors save)' };
  const read = source === '-' ? await readStdin(io, { limit: DELIVERY_LIMIT, what: 'the delivery on stdin', ...text8 }) : await readFileBounded(source, { limit: DELIVERY_LIMIT, what: 'the delivery', stop: () => io.signal, ...text8 });
  // Unreadable input is a usage error (exit 2), as decode's: "does not verify" would send one after the secret.
  if (read.trim() === '') throw new UsageError(`the delivery ${source === '-' ? 'on stdin' : source} is empty: there is nothing to verify`);
  // A byte-order mark an editor put at the file's start (Notepad's) is the file's, as its final line ending is: no sender signs one.
  const bom = read.startsWith('\ufeff');
  const text = bom ? read.slice(1) : read;
  const twice = new Set<string>();
  const { headers, body } = options.header?.length
    ? { headers: options.header.reduce((all, h) => addHeader(all, headerPair(h, '--header'), twice), Object.create(null) as Record<string, string>), body: text }
    : parseDelivery(text, twice);
  const found = await verifyDelivery(headers, body, secret, Math.floor(io.now().getTime() / 1000), { fileEnding: true });
  for (const name of twice) found.reasons.unshift(`${name} is given twice with different values: a receiver reads them joined ('${headers[name]!.slice(0, 80)}'), and amps will not pick one`);
  if (twice.size > 0) found.verified = false;
  if (bom) found.notes.push('the byte-order mark at the start of the file was taken as the file\'s, not part of the delivery');
  // The delivery's id and a header's text are quoted as given: a key pasted there is not shown, nor an escape.
  const verdict = { ...found, reasons: found.reasons.map((reason) => safeToPrint(reason)), facts: { ...found.facts, ...(found.facts.id !== undefined ? { id: safeToPrint(found.facts.id) } : {}) } };
  if (options.json) writeJson(io, verdict);
  else if (verdict.verified) {
    writeLine(io.stdout, io.out.green(`Verified: delivery ${verdict.facts.id} was signed with this secret${verdict.facts.offsetS !== undefined ? `, ${signedWhen(verdict.facts.offsetS)}` : ''}.`));
    for (const note of verdict.notes) writeLine(io.stdout, io.out.dim(`  (${note})`));
  } else {
    writeLine(io.stdout, io.out.red('Does not verify:'));
    for (const reason of verdict.reasons) writeLine(io.stdout, `  - ${reason}`);
    const facts = [verdict.facts.id && `id ${verdict.facts.id}`, verdict.facts.timestamp !== undefined && `timestamp ${verdict.facts.timestamp}`, `${verdict.facts.entries} v1 entr${verdict.facts.entries === 1 ? 'y' : 'ies'}`].filter(Boolean);
    writeLine(io.stdout, io.out.dim(`  (${facts.join(', ')})`));
  }
  return verdict.verified ? EXIT.ok : EXIT.rejected;
}

export function verifyCommand(state: CommandState, runF: Run<VerifyOptions> = run) {
  const command = new Command('verify')
    .description('Say whether a webhook delivery verifies against a secret, and if not, why (exit 0 verified, 4 not)')
    .argument('[delivery]', 'the delivery as received (headers, blank line, body), or with --header the body alone; - reads stdin')
    .option('--secret-file <file>', 'the signing secret (whsec_…), in a file: secrets never go on the command line', fileOrUrl('--secret-file'))
    .option('--header <header>', '"svix-id: msg_…" and the like, when the delivery file is the body alone (repeatable)', repeatable)
    .action(async (delivery, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, delivery }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps webhooks verify --secret-file secret.txt delivery.txt',
    'pbpaste | amps webhooks verify --secret-file secret.txt -',
    'amps webhooks verify --secret-file secret.txt --header "svix-id: msg_1" --header "svix-timestamp: 1767000000" --header "svix-signature: v1,…" body.json',
  ]);
}
