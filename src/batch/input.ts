// The device list of a batch, read as a stream: one id per line, CSV with a header naming an id
// column and optional per-device quantity overrides (parsed by csv-parse, so quoted fields may
// hold commas and newlines), or NDJSON objects (amps' own ledger lines and `amps devices --json`
// items included). Nothing is read whole: a line or record longer than MAX_ROW_BYTES is that row's
// failure, never a buffer that grows without bound. A bad row is the row's failure in the ledger
// (`invalid_input`, with its line number), not the run's.

import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { idProblem } from '../contract/ids.js';
import { isClockRecord } from '../contract/ledger.js';
import { SeenIds } from './seen-ids.js';
import { UsageError } from '../errors/failures.js';
import { openFileStream, stdinIsFile, terminalHungUp } from '../output/read.js';
import { safeToPrintTyped } from '../output/text.js';
import { jsonTextProblem } from '../lib/json-text.js';
import { isRecord, own, setOwn, systemErrorText } from '../lib/values.js';
import { QUANTITY_FLAGS } from '../domain/action.js';

export interface DeviceRow {
  id: string;
  /** The device's model, when the input says it: preflight reads one device per model. */
  model?: string;
  /** Per-device overrides: parameter name -> quantity text ("5kw", "90%"). */
  quantities: Record<string, string>;
  /** 1-based line number in the input, for messages. */
  line: number;
  /** Read from a ledger's outcome record, which names a device its device line may have listed already. */
  fromOutcome?: true;
  /** Read from a ledger's device line or outcome record: the environment that run sent to (`test`, `live`, `embedded`). */
  environment?: string;
}

/** A row that cannot be pushed as written: it gets an `invalid_input` ledger line of its own. */
interface InvalidRow {
  invalid: string;
  line: number;
  /** The id, when one could be read. */
  id?: string;
}

export type InputRow = DeviceRow | InvalidRow;

export function isInvalid(row: InputRow): row is InvalidRow {
  return 'invalid' in row;
}

/** A line or CSV record longer than this is refused: no device id or override needs more. */
const MAX_ROW_BYTES = 64 * 1024;


/**
 * Reading stopped on request (Ctrl-C) before the input ended: the rest was not read. `hungUp`: the
 * input was a terminal that hung up, which stops the run as Ctrl-C does, SIGHUP heard or not.
 */
export class InputStopped extends Error {
  constructor(readonly hungUp = false) {
    super('the rest of the input was not read');
    this.name = 'InputStopped';
  }
}

/** The input cannot be read on from here (a CSV quote never closed): rows after it are unknown. */
export class InputBroken extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = 'InputBroken';
  }
}

/** An override as text (`90%`, `{ "value": 90, "unit": "percent" }`); undefined for what is none. */
function quantityText(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (isRecord(value) && (typeof value.value === 'number' || typeof value.value === 'string') && typeof value.unit === 'string') return `${String(value.value)}${value.unit}`;
  return undefined;
}

/** What JSON kind a value is, for saying what an override was instead of a quantity (never the value: it may be anything). */
function jsonKind(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : isRecord(value) ? 'an object without a value and a unit' : `a ${typeof value}`;
}

function row(id: unknown, line: number, extra: Partial<DeviceRow> = {}): InputRow {
  if (typeof id !== 'string' || id === '') return { invalid: 'has no device id', line };
  const problem = idProblem(id);
  // One of characters no id has is quoted, what a terminal does not show spelt (`bat\u200b_01`):
  // else a ledger line could not tell it from the id it looks like. Not a long one, nor a key.
  if (problem && id.length <= 128 && problem.startsWith('has characters')) return { invalid: `names the id '${safeToPrintTyped(id)}', which ${problem}`, line };
  if (problem) return { invalid: `its id ${problem}`, line };
  return { id, quantities: {}, line, ...extra };
}

/** A row that cannot be pushed as written, with its device's id where it names a good one (the ledger line names the device). */
function invalidWithId(value: Record<string, unknown>, line: number, invalid: string): InputRow {
  const named = row(value.id ?? value.deviceId, line);
  return 'invalid' in named ? { invalid, line } : { invalid, line, id: named.id };
}

/** Deeper than any row (a ledger's own lines are three levels). */
const MAX_ROW_DEPTH = 64;

/** A row from an NDJSON line: a device, one of amps' ledger lines, or an outcome record's device. */
function fromJson(text: string, line: number): InputRow | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 'is not valid JSON', line };
  }
  if (!isRecord(value)) return { invalid: 'is not a JSON object', line };
  // JSON.parse keeps the last of a name given twice: the row would be pushed as it was not written.
  const structure = jsonTextProblem(text, MAX_ROW_DEPTH);
  if (structure) {
    const problem = structure.kind === 'repeated' ? `gives ${structure.path.slice(0, 64)} twice` : `nests deeper than ${MAX_ROW_DEPTH} levels`;
    // An id given twice names two devices: the line is the row's, with neither (one would be lost).
    return structure.kind === 'repeated' && (structure.path === 'id' || structure.path === 'deviceId') ? { invalid: problem, line } : invalidWithId(value, line, problem);
  }
  // amps' own ledger: the run, horizon, clock and end records are not devices.
  if (value.id === undefined && (isRecord(value.run) || typeof value.horizon === 'number' || isClockRecord(value) || isRecord(value.end))) return undefined;
  if (value.id === undefined && isRecord(value.outcome)) return row(value.outcome.id, line, { fromOutcome: true, ...(typeof value.outcome.environment === 'string' ? { environment: value.outcome.environment } : {}) });
  // An action (amps actions list --json) has both, and its id is the action's: never taken for the device.
  if (value.id !== undefined && value.deviceId !== undefined && value.id !== value.deviceId) {
    // One of them null (or no text) names one device: the line is said as that, not as two ids.
    if (value.id === null || value.deviceId === null) return { invalid: `gives ${value.id === null ? '"id": null beside "deviceId"' : '"deviceId": null beside "id"'}: amps will not guess which is the device; keep one`, line };
    return { invalid: 'names the device twice (id and deviceId differ, as an action\'s do): amps will not guess which is the device; keep one', line };
  }
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const model = typeof value.model === 'string' ? value.model : typeof metadata.model === 'string' ? metadata.model : undefined;
  // An override that is no quantity is that row's invalid_input: dropped, the device would get the
  // command line's value instead of the one the row meant. Absent or null is no override.
  // The quantity flags in any case, as a CSV header's (`Power`); one given twice, in two cases or
  // also in params, is the row's invalid_input, as `--power` with `--param power=` is a refusal.
  const quantities: Record<string, string> = {};
  const spelt: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    const name = QUANTITY_FLAGS.find((flag) => flag === key.toLowerCase());
    if (name === undefined || raw === undefined || raw === null) continue;
    if (spelt[name] !== undefined) return invalidWithId(value, line, `gives ${name} twice (as ${spelt[name]} and ${key})`);
    spelt[name] = key;
    const text = quantityText(raw);
    if (text === undefined) return invalidWithId(value, line, `has a ${name} override that is no quantity (${jsonKind(raw)}): give "90%" or { "value": 90, "unit": "percent" }`);
    quantities[name] = text;
  }
  // params in any case too, as the flags are; given twice in two cases, one would be dropped.
  const paramsKeys = Object.keys(value).filter((key) => key.toLowerCase() === 'params');
  if (paramsKeys.length > 1) return invalidWithId(value, line, `gives params twice (as ${paramsKeys.slice(0, 2).join(' and ')})`);
  const params = paramsKeys.length === 1 ? value[paramsKeys[0]!] : undefined;
  if (params !== undefined && params !== null) {
    if (!isRecord(params)) return invalidWithId(value, line, `has params that are no object (${jsonKind(params)}): give { "NAME": "5kw", … }`);
    for (const [name, raw] of Object.entries(params)) {
      if (raw === null) continue;
      const text = quantityText(raw);
      if (text === undefined) return invalidWithId(value, line, `has a params override that is no quantity (${jsonKind(raw)}): give "5kw" or { "value": 5, "unit": "kw" }`);
      if (own(quantities, name) !== undefined) return invalidWithId(value, line, `gives ${name.slice(0, 64)} twice (as ${spelt[name] ?? name.slice(0, 64)} and in params)`);
      setOwn(quantities, name, text);
    }
  }
  // One of amps' own device lines (a rerun line greps a ledger): which environment its run sent to.
  const environment = typeof value.outcome === 'string' && typeof value.environment === 'string' ? value.environment : undefined;
  return row(value.id ?? value.deviceId, line, { model, quantities, ...(environment === undefined ? {} : { environment }) });
}

/** A line, or one past the bound: `binary` when what was seen of it holds what no text has (a NUL, /dev/zero's). */
type Line = { text: string; line: number } | { tooLong: true; line: number; binary: boolean };

/** What text never holds: C0 controls but tab, line ends and form feed, DEL, and U+FFFD (bytes that were not UTF-8). */
const NOT_TEXT = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/;

/**
 * Lines of a stream, each at most MAX_ROW_BYTES; a longer one is reported and skipped, not buffered.
 * `atEnd`, called when the stream ends and before a last line without its line end is given, may
 * throw (the input was cut short: that line is part of one).
 */
async function* boundedLines(chunks: AsyncIterable<Buffer | string>, atEnd?: (nextLine: number) => void): AsyncGenerator<Line> {
  // A character whose bytes two chunks split (a 64 KiB read ending inside `°`) is carried over whole.
  const { StringDecoder } = await import('node:string_decoder');
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  let line = 0;
  // A CR at a read's end may be the first half of a CRLF: it waits for the next read.
  let cr = '';
  for await (const chunk of chunks) {
    let text = pending + cr + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    pending = '';
    cr = text.endsWith('\r') ? '\r' : '';
    if (cr) text = text.slice(0, -1);
    // A CR alone ends a line too (Excel for Mac's "CSV (Macintosh)", an old Mac editor's files).
    text = text.replace(/\r(?!\n)/g, '\n');
    for (;;) {
      const newline = text.indexOf('\n');
      if (newline === -1) break;
      line++;
      if (skipping) skipping = false;
      else if (newline > MAX_ROW_BYTES) yield { tooLong: true, line, binary: NOT_TEXT.test(text.slice(0, MAX_ROW_BYTES)) };
      else yield { text: text.slice(0, newline).replace(/\r$/, ''), line };
      text = text.slice(newline + 1);
    }
    if (skipping) continue;
    if (text.length > MAX_ROW_BYTES) {
      // A line past the bound: say so once, drop it as it streams past.
      yield { tooLong: true, line: line + 1, binary: NOT_TEXT.test(text.slice(0, MAX_ROW_BYTES)) };
      skipping = true;
      continue;
    }
    pending = text;
  }
  pending += decoder.end();
  atEnd?.(line + 1);
  if (!skipping && pending.trim() !== '') yield { text: pending.replace(/\r$/, ''), line: line + 1 };
}

const isBlank = (text: string) => text.trim() === '' || text.trim().startsWith('#');

/** True for a regular file: only those can be read twice (the progress bar counts them ahead). */
export async function isRegularFile(source: string): Promise<boolean> {
  if (source === '-') return false;
  try {
    return (await stat(source)).isFile();
  } catch {
    return false;
  }
}

/**
 * A digest of a --devices file's bytes (SHA-256, hex): the run record keeps it, so that a resume
 * reads the same list or refuses, rather than send devices the run never listed and carry over
 * lines for devices the file no longer has.
 */
export async function digestOf(source: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  for await (const chunk of await openFileStream(source, '--devices')) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The digest of the file stdin is (`--devices - < list.txt`), read at positions (pread) so that
 * stdin's own offset, which the run's read starts from, is not moved; undefined when stdin is no
 * regular file (a pipe, a terminal).
 */
export async function digestOfStdinFile(): Promise<string | undefined> {
  if (!stdinIsFile()) return undefined;
  const { readSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(64 * 1024);
  for (let position = 0; ; ) {
    const read = readSync(0, buffer, 0, buffer.length, position);
    if (read === 0) break;
    hash.update(buffer.subarray(0, read));
    position += read;
  }
  return hash.digest('hex');
}

/** A usage error (exit 2, before anything is sent) when --devices names nothing readable or a directory. */
export async function checkSource(source: string): Promise<void> {
  if (source === '-') return;
  try {
    const info = await stat(source);
    if (info.isDirectory()) throw new UsageError(`cannot read --devices ${source}: it is a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read --devices ${source}: ${systemErrorText(error)}`);
  }
}

async function open(source: string, stdin: Readable | undefined): Promise<Readable> {
  if (source === '-') {
    if (stdin === undefined) throw new Error('--devices - read without the process\'s stdin');
    return stdin;
  }
  await checkSource(source);
  return openFileStream(source, '--devices');
}

/** The columns read in any case: amps' own, and the quantity flags' (--target, --power, --reserve). */
const FOLDED_COLUMNS = ['id', 'deviceid', 'model', ...QUANTITY_FLAGS];

/**
 * Whether a line of CSV ends inside a quoted field (RFC 4180: a field that opens with a quote runs
 * to the quote that closes it, `""` inside it being a quote), given whether it began inside one: its
 * record goes on on the next line. A quote anywhere else is no opening: the parser refuses that
 * record as it stands. Line by line, so a record over many lines is scanned once, not again at each.
 */
function endsInQuote(text: string, beganInQuote: boolean, delimiter = ','): boolean {
  let inQuote = beganInQuote;
  // A line starts a field, and so does a quote that opened one (nothing else is read inside it).
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else inQuote = false;
      }
      continue;
    }
    if (c === delimiter || c === '\n') fieldStart = true;
    else if (fieldStart && c === '"') inQuote = true;
    else if (c !== ' ' && c !== '\t') fieldStart = false;
  }
  return inQuote;
}

/**
 * CSV from its header line on, record by record, each parsed by csv-parse as it is complete: a row
 * is given as soon as its line is read (a stream's parser would hold it back until more came, for
 * ever on a stream that stays open), in input order, with the line it starts on. A record it cannot
 * read is that record's failure; a quote not closed within MAX_ROW_BYTES, or at all, stops the input.
 */
async function* csvRows(header: string, lines: AsyncGenerator<Line>): AsyncGenerator<InputRow> {
  const { parse } = await import('csv-parse/sync');
  // The columns amps reads itself (id, deviceId, model) and the quantity flags' in any case; any
  // other parameter's as written, since the API's names are case-sensitive (heatSetpoint).
  const names = header.split(',').map((h) => h.trim().replace(/^"|"$/g, '')).map((h) => (FOLDED_COLUMNS.includes(h.toLowerCase()) ? h.toLowerCase() : h));
  if (!names.includes('id') && !names.includes('deviceid')) throw new UsageError('the CSV header of --devices needs an id column');
  // Both, and a row whose two differ: amps will not pick one.
  if (names.includes('id') && names.includes('deviceid')) throw new UsageError('the CSV header of --devices names the device twice (id and deviceId): amps will not guess which value you meant', 'keep one of the two columns');
  // Twice, in any case: two columns that differ only in case are one parameter given twice.
  const folded = names.map((name) => name.toLowerCase());
  const twice = names.find((name, i) => name !== '' && folded.indexOf(folded[i]) !== i);
  if (twice) throw new UsageError(`the CSV header of --devices names the column '${twice}' twice: amps will not guess which value you meant`);
  if (names.includes('')) throw new UsageError('the CSV header of --devices has a column without a name');
  const options = {
    columns: names,
    // Fewer fields than the header: the rest are empty; more: that row is refused (which column would they be?).
    relax_column_count_less: true,
    skip_empty_lines: true,
    comment: '#',
    trim: true,
  };
  const idColumn = names.includes('id') ? names.indexOf('id') : names.indexOf('deviceid');
  /** The record's text, one record at a time, as parsed. */
  const rowOf = (text: string, line: number): InputRow | undefined => {
    let records: Array<Record<string, string>>;
    try {
      records = parse(text, options) as Array<Record<string, string>>;
    } catch (error) {
      const csv = error as Error & { record?: unknown };
      // csv-parse counts its own lines: its "on line N" would name another line than ours.
      const why = csv.message.replace(/^Invalid Record Length: /, '').split(':')[0].replace(/ on line \d+$/, '');
      // A record with more fields than the header still names its device: the reason says which. Its
      // line keeps id null, as a repeat's does: a ledger holds one line per id, the one a resume goes by.
      const id = Array.isArray(csv.record) ? csv.record[idColumn] : undefined;
      const named = typeof id === 'string' && id !== '' && !idProblem(id) ? ` for ${id}` : '';
      return { invalid: `is not a CSV record${named} (${why})`, line };
    }
    // A blank line or a comment: no record.
    const cells = records[0];
    if (!cells) return undefined;
    const quantities: Record<string, string> = {};
    let model: string | undefined;
    for (const [name, cell] of Object.entries(cells)) {
      if (cell === undefined || cell === '' || name === 'id' || name === 'deviceid') continue;
      if (name === 'model') model = cell;
      else setOwn(quantities, name, cell);
    }
    return row(cells.id ?? cells.deviceid, line, { model, quantities });
  };
  /** A quote opened on `line` that `why` (is never closed, is not closed within the bound): its row, then the input stops. */
  async function* quoteNotClosed(line: number, why: string): AsyncGenerator<InputRow, never> {
    yield { invalid: `opens a quote that ${why}: the input from here on could not be read`, line };
    throw new InputBroken(`a quote opened in the CSV input on line ${line} ${why}, so the input from there on could not be read`, line);
  }
  const notWithinBound = `is not closed within ${MAX_ROW_BYTES / 1024} KiB`;
  // A record open on a quoted field: its lines so far, where it starts, and its size.
  let open: string[] = [];
  let from = 0;
  let size = 0;
  for await (const item of lines) {
    if ('tooLong' in item) {
      // Inside a quoted field, the record is past the bound a record has; else that line is the row.
      if (open.length > 0) yield* quoteNotClosed(from, notWithinBound);
      yield { invalid: `is longer than ${MAX_ROW_BYTES / 1024} KiB`, line: item.line };
      continue;
    }
    if (open.length === 0) from = item.line;
    open.push(item.text);
    size += item.text.length + 1;
    if (endsInQuote(item.text, open.length > 1)) {
      if (size > MAX_ROW_BYTES) yield* quoteNotClosed(from, notWithinBound);
      continue;
    }
    const parsed = rowOf(open.join('\n'), from);
    open = [];
    size = 0;
    if (parsed) yield parsed;
  }
  if (open.length > 0) yield* quoteNotClosed(from, 'is never closed');
}

/**
 * Rows from a file or - (stdin), as they arrive. When `stop` is aborted, reading ends at once (a
 * read waiting on an endless producer included) with InputStopped, unless the input had ended.
 */
export async function* readDeviceRows(source: string, stdin: Readable | undefined, stop?: AbortSignal): AsyncGenerator<InputRow> {
  const stream = await open(source, stdin);
  const onStop = () => stream.destroy();
  // A Ctrl-C while it was opened (a FIFO's, a terminal's) ends it as one during the read does.
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  // A file that shrinks while it is read (truncated, rewritten in place) ends early: the run stops
  // there, saying so, rather than end as if the list were whole (and send a line cut in two as an id).
  const sizeAtOpen = source === '-' ? undefined : await stat(source).then((info) => (info.isFile() ? info.size : undefined), () => undefined);
  let bytesRead = 0;
  const counted = (async function* () {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      yield chunk;
    }
  })();
  const lines = boundedLines(counted, (nextLine) => {
    if (sizeAtOpen !== undefined && bytesRead < sizeAtOpen) {
      throw new InputBroken(`--devices ${source} shrank while it was read (${bytesRead} of its ${sizeAtOpen} bytes): the rows from line ${nextLine} on are lost`, nextLine);
    }
  });
  let lastLine: number | undefined;
  try {
    for await (const row of withoutRepeats(rowsOf(lines))) {
      lastLine = row.line;
      yield row;
    }
  } catch (error) {
    if (stop?.aborted) throw new InputStopped();
    // Cut short before any row was read: nothing to go on with, and nothing sent.
    if (error instanceof InputBroken && lastLine === undefined) throw new UsageError(`--devices: ${error.message}`);
    // A read that failed (a disk's EIO, a stdin opened for writing only): before any row, the input
    // cannot be read (exit 2, nothing sent); after one, the run stops there, as at a quote never closed.
    const code = (error as NodeJS.ErrnoException).code;
    if (!(error instanceof UsageError) && typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      const name = source === '-' ? '- (stdin)' : source;
      if (lastLine === undefined) throw new UsageError(`cannot read --devices ${name}: ${systemErrorText(error)}`);
      throw new InputBroken(`--devices ${name} could not be read on after line ${lastLine}: ${systemErrorText(error)}`, lastLine + 1);
    }
    throw error;
  } finally {
    stop?.removeEventListener('abort', onStop);
    // Stop reading at once: an endless stdin must not be drained after the run stops.
    if (source !== '-') stream.destroy();
  }
  if (stop?.aborted && !stream.readableEnded) throw new InputStopped();
  if (terminalHungUp(stream)) throw new InputStopped(true);
}

/**
 * The rows, a device listed again (two exports run together) as an input row of its own that is
 * not sent: every device is sent once, and every row is in the ledger once. An outcome record of a
 * device listed already (a followed run's ledger, or its --json lines) is that device's record,
 * not a row: it is passed over.
 */
async function* withoutRepeats(rows: AsyncGenerator<InputRow>): AsyncGenerator<InputRow> {
  const seen = new SeenIds();
  for await (const row of rows) {
    const first = 'invalid' in row ? undefined : seen.firstLineOf(row.id, row.line);
    if (first === undefined) yield row;
    else if (!('invalid' in row) && !row.fromOutcome) yield { invalid: `lists ${row.id} again (first on line ${first}); it is sent once`, line: row.line };
  }
}

async function* rowsOf(lines: AsyncGenerator<Line>): AsyncGenerator<InputRow> {
  {
    for await (const item of lines) {
      // A binary file (an image, a program, /dev/zero) given by mistake, told by its first line (a
      // control character, or a byte that is not UTF-8), however long: said as that, before any row is sent.
      const binary = () => new UsageError(`--devices holds binary data or text that is not UTF-8 (line ${item.line}), not a list of ids, a CSV or NDJSON`);
      if ('tooLong' in item) {
        if (item.binary) throw binary();
        yield { invalid: `is longer than ${MAX_ROW_BYTES / 1024} KiB`, line: item.line };
        continue;
      }
      if (isBlank(item.text)) continue;
      const text = item.text.trim();
      if (NOT_TEXT.test(text)) throw binary();
      if (text.startsWith('{')) {
        // NDJSON: every line an object.
        const first = fromJson(text, item.line);
        if (first) yield first;
        for await (const next of lines) {
          if ('tooLong' in next) yield { invalid: `is longer than ${MAX_ROW_BYTES / 1024} KiB`, line: next.line };
          else if (!isBlank(next.text)) {
            const parsed = fromJson(next.text.trim(), next.line);
            if (parsed) yield parsed;
          }
        }
        return;
      }
      // A table's row (`amps devices` piped is tab-separated) or a CSV of `;`, told by its first line
      // (no id holds a tab or a `;`): every line would be refused as an id, so the whole file is,
      // saying how to take its ids, before anything is sent.
      if (text.includes('\t')) throw new UsageError(`--devices line ${item.line} holds a tab: a table (as \`amps devices\` prints one piped), not a list of ids, a CSV or NDJSON`, 'take its first column: cut -f1 FILE | amps push … --devices -');
      if (text.includes(';') && !text.includes(',')) throw new UsageError(`--devices line ${item.line} holds a ';', which no id does: a CSV separated by ';'? amps reads one separated by ','`, "change the separator: tr ';' ',' < FILE | amps push … --devices - (no field holding a ';' or ',')");
      // A CSV header names an id column; a lone `id` (one-column CSV) is a header too, never a device.
      if (text.includes(',') || /^"?(id|deviceid)"?$/i.test(text)) {
        yield* csvRows(text, lines);
        return;
      }
      // One id a line.
      yield row(text, item.line);
      for await (const next of lines) {
        if ('tooLong' in next) yield { invalid: `is longer than ${MAX_ROW_BYTES / 1024} KiB`, line: next.line };
        else if (!isBlank(next.text)) yield row(next.text.trim(), next.line);
      }
      return;
    }
  }
}
