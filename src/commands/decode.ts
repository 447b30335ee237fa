import { Command } from '@commander-js/extra-typings';
import { catalogueStatusOf, type DecodedError, decodeFailedAction, decodeResponse, errorCodeIn, failedActionIn, type Headers, localCode, truncatedFailedActionIn } from '../errors/decode.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { redactKeyShapes } from '../contract/keys.js';
import { entriesFor } from '../errors/catalogue.js';
import { UsageError } from '../errors/failures.js';
import { errorToJson, writeErrorText } from '../output/error-view.js';
import { globalsOf } from '../config/globals.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, ioWith, type OutputStream, throughWrites, writeJson, writeLine, type Run } from '../output/io.js';
import { readFileBounded, readStdin, withoutBom } from '../output/read.js';
import { safeJsonText } from '../output/text.js';

export interface DecodeOptions {
  file?: string;
  status?: number;
  json?: boolean;
}

interface SavedResponse {
  status?: number;
  headers: Headers;
  body: string;
}

/**
 * A response as support engineers paste it: a bare body; a raw HTTP response (`curl -i`) with its
 * status line and headers (interim 1xx blocks skipped); or `curl -v` output, where the response's
 * status and headers come on `< ` lines among `> ` and `* ` lines, and the body follows.
 */
function parseSavedResponse(text: string): SavedResponse {
  const clean = withoutBom(text);
  if (/^< HTTP\/\S+ \d{3}/m.test(clean)) return parseVerbose(clean);
  const block = finalHeaderBlock(clean, leadingSpace(clean, 0));
  if (!block) return { headers: {}, body: clean };
  const headers: Headers = {};
  for (const line of block.head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) addHeader(headers, line.slice(0, colon), line.slice(colon + 1));
  }
  return { status: block.status, headers, body: clean.slice(block.bodyAt) };
}

const STATUS_LINE = /^HTTP\/\d(\.\d)? (\d{3})/;

/** How many characters of white space `text` has from `at`. */
function leadingSpace(text: string, at: number): number {
  const rest = text.slice(at);
  return rest.length - rest.trimStart().length;
}

/**
 * The response's own header block in a raw response whose status line starts at `at`: interim 1xx
 * blocks come before it; so does a proxy's answer to CONNECT (`HTTP/1.1 200 Connection
 * established`) in `curl -i` through an HTTPS proxy, a block whose body is itself a status line.
 * Its status, head (status line and headers) and where its body starts (a block with no blank
 * line after it is all head); undefined when no status line starts there. One walk for reading a
 * saved response and for joining its chunks on the bytes (offsets are the string's).
 */
function finalHeaderBlock(text: string, at: number): { status: number; head: string; bodyAt: number } | undefined {
  let block: { status: number; head: string; bodyAt: number } | undefined;
  for (let status = STATUS_LINE.exec(text.slice(at, at + 16)); status; status = STATUS_LINE.exec(text.slice(at, at + 16))) {
    const end = /\r?\n\r?\n/.exec(text.slice(at));
    const bodyAt = end ? at + end.index + end[0].length : text.length;
    block = { status: Number(status[2]), head: text.slice(at, end ? at + end.index : text.length), bodyAt };
    at = bodyAt + leadingSpace(text, bodyAt);
    if (block.status >= 200 && !STATUS_LINE.test(text.slice(at, at + 16))) break;
  }
  return block;
}

/**
 * A raw response saved with its chunked framing (`curl --raw -i`, `nc`, a capture): its last
 * header block says `Transfer-Encoding: chunked`, and the body is chunks, each a hex size line and
 * that many bytes, ended by a chunk of 0 (or by the end of a capture cut after a whole chunk).
 * Joined on the bytes as read, before they become text, as the live client's transport joins them:
 * read as text, the framing made a DEVICE_OFFLINE an HTTP_410 "not JSON", exit 4, and a chunk cut
 * inside a character or holding a line end would not add up. Anything else, and framing that does
 * not add up, is left as it is (`curl -i` gives the body joined, the header kept).
 */
export function joinChunkedBody(bytes: Buffer): Buffer {
  // One character a byte: indices here are the bytes'.
  const raw = bytes.toString('latin1');
  const start = raw.startsWith('\xef\xbb\xbf') ? 3 : 0;
  const block = finalHeaderBlock(raw, start + leadingSpace(raw, start));
  if (!block || !/^transfer-encoding:[^\n]*\bchunked[ \t]*\r?$/im.test(block.head)) return bytes;
  const { bodyAt } = block;
  const parts: Buffer[] = [];
  const contentEnd = raw.trimEnd().length;
  let pos = bodyAt;
  for (;;) {
    // A capture cut after a whole chunk, before the closing one: what came is the body.
    if (pos > bodyAt && pos >= contentEnd) break;
    const lineEnd = raw.indexOf('\n', pos);
    if (lineEnd === -1) return bytes;
    const sizeText = raw.slice(pos, lineEnd).replace(/\r$/, '').split(';')[0]!.trim();
    if (!/^[0-9a-f]{1,8}$/i.test(sizeText)) return bytes;
    const size = Number.parseInt(sizeText, 16);
    pos = lineEnd + 1;
    if (size === 0) break;
    if (pos + size > bytes.length) return bytes;
    parts.push(bytes.subarray(pos, pos + size));
    pos += size;
    if (raw[pos] === '\r') pos++;
    if (raw[pos] !== '\n') return bytes;
    pos++;
  }
  return Buffer.concat([bytes.subarray(0, bodyAt), ...parts]);
}

/** A header line's value; a repeated header keeps every value, in order (the decoder reads the first, as it does a live response's). */
function addHeader(headers: Headers, name: string, value: string): void {
  const key = name.trim().toLowerCase();
  const before = headers[key];
  headers[key] = before === undefined ? value.trim() : [...(Array.isArray(before) ? before : [before]), value.trim()];
}

/** `curl -v`: the last final `< HTTP/… NNN` block's status and headers; the body is what is not a trace line. */
function parseVerbose(text: string): SavedResponse {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let status: number | undefined;
  let headers: Headers = {};
  let bodyFrom = lines.length;
  lines.forEach((line, i) => {
    const statusLine = /^< HTTP\/\S+ (\d{3})/.exec(line);
    if (statusLine) {
      const code = Number(statusLine[1]);
      if (code < 200) return;
      status = code;
      headers = {};
      bodyFrom = i + 1;
      return;
    }
    if (line.startsWith('<') && status !== undefined) {
      const colon = line.indexOf(':');
      if (colon > 2) addHeader(headers, line.slice(2, colon), line.slice(colon + 1));
      bodyFrom = i + 1;
    }
  });
  const trace = /^(> |< |>$|<$|\* |\{ \[|\} \[)/;
  const body = lines.slice(bodyFrom).filter((line) => !trace.test(line)).join('\n');
  return { status, headers, body };
}

/** The saved response as text, and whether its bytes were UTF-8 (a body that was not is decoded as a live one is: client.ts). */
async function readInput(options: DecodeOptions, io: IO): Promise<{ text: string; notUtf8: boolean }> {
  let notUtf8 = false;
  const onNotUtf8 = () => (notUtf8 = true);
  if (options.file !== undefined && options.file !== '-') {
    const text = await readFileBounded(options.file, { what: 'the response file', stop: () => io.signal, onNotUtf8, beforeText: joinChunkedBody });
    return { text, notUtf8 };
  }
  if (options.file === undefined && io.stdinIsTTY) {
    throw new UsageError('give a file to decode, or pipe a response into amps decode -', 'pbpaste | amps decode -');
  }
  const text = await readStdin(io, { what: 'the input to decode', onNotUtf8, beforeText: joinChunkedBody });
  return { text, notUtf8 };
}

async function printDecoded(decoded: DecodedError, options: DecodeOptions, io: IO): Promise<ExitCode> {
  if (options.json) writeJson(io, errorToJson(decoded));
  else await writeErrorText(io, decoded, 'stdout');
  return decoded.exitCode;
}

/** A body that parses as JSON, else undefined. */
function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A stream that prints nothing shaped like a key: a saved response may hold one written with JSON
 * escapes (`\u0073k_live_…`) or cut off before it parses, which only decoding shows.
 */
function redacting(stream: OutputStream): OutputStream {
  return throughWrites(stream, (chunk) => stream.write(typeof chunk === 'string' ? redactKeyShapes(chunk) : chunk));
}

export async function run(options: DecodeOptions, given: IO): Promise<ExitCode> {
  const io = ioWith(given, { stdout: redacting(given.stdout), stderr: redacting(given.stderr) });
  // A saved response may hold a key (the configured one echoed back, any other): none is printed.
  // Redacted here too, before values are cut to length for the view: a key cut short there would
  // be too short a shape for the output's guard, and its first characters would show.
  // Its control characters and escape sequences go first: one inside a key would hide it from the search.
  // Line ends of CR alone (an old Mac editor's) are line ends too: made so before control characters go.
  const { text: input, notUtf8 } = await readInput(options, io);
  const text = safeJsonText(input.replace(/\r(?!\n)/g, '\n'));
  const saved = parseSavedResponse(text);
  // A failed action record (amps actions get --json, or the API's action) carries its errorCode.
  const parsed = jsonOf(saved.body);
  const action = failedActionIn(parsed);
  if (action) return printDecoded(decodeFailedAction(action), options, io);
  // One cut off mid-way: what arrived of it, said to be cut off.
  const cut = parsed === undefined ? truncatedFailedActionIn(saved.body) : undefined;
  if (cut) return printDecoded({ ...decodeFailedAction(cut), truncated: true }, options, io);
  // --status is for a body saved without its status line; one that contradicts the line would be
  // decoded, and said, as sent with a status it was not.
  if (options.status !== undefined && saved.status !== undefined && options.status !== saved.status) {
    throw new UsageError(`--status ${options.status} contradicts the response's own status line (HTTP ${saved.status})`, '--status is for a body saved without its status line: leave it out');
  }
  let status = options.status ?? saved.status;
  if (status === undefined && saved.body.trim() === '') throw new UsageError('the response is empty: there is nothing to decode', 'save the whole response, status line and body (curl -i), or the body with --status N');
  if (status === undefined) {
    const named = errorCodeIn(saved.body);
    // Text before the JSON (`Response: {…}`, a UTF-16 file read as UTF-8): its code was found by
    // searching, and a status inferred from it would decode a body that is not the response as one.
    if (named && !saved.body.trimStart().startsWith('{')) {
      throw new UsageError('the input has no HTTP status, and is not JSON from its start (text before it, or not UTF-8)', 'save the body alone (UTF-8), or the whole response with its status line (curl -i), or give --status N');
    }
    status = catalogueStatusOf(saved.body);
    if (status === undefined) {
      // amps' own --json error (a refused connection, a timeout, a usage error) is no answer of the API's.
      if (named && localCode(named.code)) {
        throw new UsageError(`the input is amps' own error ${named.code}, not a response of the API's: no Amps error came back to decode`, `amps explain ${named.code} says what it means and its exit code`);
      }
      const meanings = named ? [...new Set(entriesFor(named.code).map((e) => e.http))] : [];
      throw new UsageError(
        !named
          ? 'the response has no HTTP status and names no error code'
          : meanings.length > 1
            ? `the response has no HTTP status, and its code ${named.code} has meanings with different statuses (${meanings.join(', ')}) that its message does not tell apart`
            : `the response has no HTTP status, and its code ${named.code} is not catalogued, so amps cannot infer one`,
        'pass the status with --status N',
      );
    }
  }
  const result = decodeResponse(status, saved.headers, saved.body, { notUtf8 });
  if (result.ok) {
    if (options.json) writeJson(io, { error: null, status, data: result.value.data, meta: result.value.meta });
    else writeLine(io.stdout, `Not an error: HTTP ${status} with ${saved.body.trim() === '' ? 'no body' : 'a success body'}.`);
    return EXIT.ok;
  }
  return printDecoded(result.error, options, io);
}

export function decodeCommand(state: CommandState, runF: Run<DecodeOptions> = run) {
  const command = new Command('decode')
    .description('Decode a saved API response (a bare envelope, or a raw HTTP response as pasted from a ticket)')
    .argument('[file]', 'the saved response; - reads stdin')
    .option('--status <n>', 'the HTTP status, when the saved body lacks a status line', (v) => {
      // Three decimal digits: Number() would take 0x199 and 4.09e2 for 409.
      if (!/^[1-5]\d\d$/.test(v)) throw new UsageError(`--status takes an HTTP status (100-599), not '${v}'`);
      return Number(v);
    })
    .action(async (file, options, cmd) => {
      const globals = globalsOf(cmd);
      state.exitCode = await runF({ file, status: options.status, json: globals.json }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps decode response.txt',
    'curl -si https://api.amps.ai/battery/dev_1 -H "x-api-key: $KEY" | amps decode -',
    'amps decode --status 409 envelope.json --json',
  ]);
}
