// The device list of a batch, read as a stream: one id per line, CSV with a header naming an id
// column and optional per-device quantity overrides, or NDJSON objects (including amps' own ledger
// lines and `amps devices --json` items). Nothing is read whole into memory.

import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { UsageError } from '../errors/failures.js';

export interface DeviceRow {
  id: string;
  /** The device's model, when the input says it: preflight reads one device per model. */
  model?: string;
  /** Per-device overrides: parameter name -> quantity text ("5kw", "90%"). */
  quantities: Record<string, string>;
  /** 1-based line number in the input, for messages. */
  line: number;
}

const QUANTITY_FLAGS = ['power', 'target', 'reserve'];

function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') cells.push(cell.trim()), (cell = '');
    else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

function quantityText(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && 'value' in value && 'unit' in value) {
    const q = value as { value: unknown; unit: unknown };
    return `${String(q.value)}${String(q.unit)}`;
  }
  return undefined;
}

function fromJson(text: string, line: number): DeviceRow {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UsageError(`line ${line} of --devices is not valid JSON`);
  }
  const id = value.id ?? value.deviceId;
  if (typeof id !== 'string' || id === '') throw new UsageError(`line ${line} of --devices has no "id"`);
  const metadata = value.metadata as { model?: unknown } | undefined;
  const model = typeof value.model === 'string' ? value.model : typeof metadata?.model === 'string' ? metadata.model : undefined;
  const quantities: Record<string, string> = {};
  for (const name of QUANTITY_FLAGS) {
    const text = quantityText(value[name]);
    if (text !== undefined) quantities[name] = text;
  }
  if (typeof value.params === 'object' && value.params !== null) {
    for (const [name, raw] of Object.entries(value.params)) {
      const text = quantityText(raw);
      if (text !== undefined) quantities[name] = text;
    }
  }
  return { id, model, quantities, line };
}

/** Rows from a file or - (stdin), as they arrive. */
export async function* readDeviceRows(source: string, stdin: Readable): AsyncGenerator<DeviceRow> {
  const stream = source === '-' ? stdin : createReadStream(source, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    if (source === '-') return resolve();
    stream.once('open', () => resolve());
    stream.once('error', (error: NodeJS.ErrnoException) => reject(new UsageError(`cannot read --devices ${source}: ${error.code ?? error.message}`)));
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header: string[] | undefined;
  let number = 0;
  for await (const raw of lines) {
    number++;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (text.startsWith('{')) {
      yield fromJson(text, number);
      continue;
    }
    if (header === undefined && text.includes(',')) {
      header = splitCsv(text).map((h) => h.toLowerCase());
      if (!header.includes('id') && !header.includes('deviceid')) throw new UsageError('the CSV header of --devices needs an id column');
      continue;
    }
    if (header) {
      const cells = splitCsv(text);
      const row: DeviceRow = { id: '', quantities: {}, line: number };
      header.forEach((name, i) => {
        const cell = cells[i];
        if (cell === undefined || cell === '') return;
        if (name === 'id' || name === 'deviceid') row.id = cell;
        else if (name === 'model') row.model = cell;
        else row.quantities[name] = cell;
      });
      if (!row.id) throw new UsageError(`line ${number} of --devices has no id`);
      yield row;
      continue;
    }
    yield { id: text, quantities: {}, line: number };
  }
}
