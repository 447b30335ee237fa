import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/failures.js';
import { InputBroken, type InputRow, readDeviceRows } from './input.js';

// The device list as a stream (stdin, `-`), fed what real inputs hand amps: chunks that split a
// character, a quote never closed, a read that fails, a file of NULs. The CLI tests read files.

/** Every row read, and what ended the reading (undefined: the input's end). */
async function readAll(chunks: Array<Buffer | Error>): Promise<{ rows: InputRow[]; error?: unknown }> {
  // Each chunk a read of its own; an error, a read that fails there.
  const stream = Readable.from((async function* () {
    for (const chunk of chunks) {
      if (chunk instanceof Error) throw chunk;
      yield chunk;
    }
  })(), { objectMode: false });
  const rows: InputRow[] = [];
  try {
    for await (const row of readDeviceRows('-', stream)) rows.push(row);
    return { rows };
  } catch (error) {
    return { rows, error };
  }
}

const eio = () => Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });

describe('reading --devices', () => {
  it('a character whose bytes two reads split is read whole', async () => {
    const text = Buffer.from('id,heatSetpoint\nhvac_thermia_02,21°C\n');
    const at = text.indexOf(Buffer.from('°')) + 1;
    const { rows } = await readAll([text.subarray(0, at), text.subarray(at)]);
    expect(rows).toEqual([expect.objectContaining({ id: 'hvac_thermia_02', quantities: { heatSetpoint: '21°C' } })]);
  });

  it('an NDJSON row takes the quantity flags in any case, and one that gives a value twice (two spellings, the flag and params, a name repeated) is its invalid_input, never pushed with one of them', async () => {
    const lines = [
      '{"id":"bat_1","Power":"2kw"}',
      '{"id":"bat_2","power":"3kw","params":{"power":"5kw"}}',
      '{"id":"bat_3","power":"1kw","power":"3kw"}',
      '{"id":"bat_4","power":"1kw","POWER":"3kw"}',
      '{"id":"bat_5","target":"80%","params":{"heatSetpoint":"21c"}}',
      '{"id":"bat_6","Params":{"power":"2kw"}}',
      '{"id":"bat_7","params":{"power":"2kw"},"PARAMS":{"power":"3kw"}}',
      '{"id":"bat_8","id":"bat_9"}',
    ];
    const { rows } = await readAll([Buffer.from(`${lines.join('\n')}\n`)]);
    expect(rows).toEqual([
      expect.objectContaining({ id: 'bat_1', quantities: { power: '2kw' } }),
      { id: 'bat_2', line: 2, invalid: 'gives power twice (as power and in params)' },
      { id: 'bat_3', line: 3, invalid: 'gives power twice' },
      { id: 'bat_4', line: 4, invalid: 'gives power twice (as power and POWER)' },
      expect.objectContaining({ id: 'bat_5', quantities: { target: '80%', heatSetpoint: '21c' } }),
      expect.objectContaining({ id: 'bat_6', quantities: { power: '2kw' } }),
      { id: 'bat_7', line: 7, invalid: 'gives params twice (as params and PARAMS)' },
      // Two devices in one row: neither is taken for the row's (one of them would go unrecorded).
      { line: 8, invalid: 'gives id twice' },
    ]);
  });

  it('line ends of CR alone are line ends, and a CRLF split between two reads is one', async () => {
    const { rows } = await readAll([Buffer.from('id,target\rbat_1,60%\rbat_2,70%\r'), Buffer.from('\nbat_3,80%\r\n')]);
    expect(rows.map((r) => ('id' in r ? [r.id, r.line] : r))).toEqual([['bat_1', 2], ['bat_2', 3], ['bat_3', 4]]);
  });

  it('a read that fails before any row: the input cannot be read (exit 2); after rows, the run stops there', async () => {
    const before = await readAll([eio()]);
    expect(before.error).toBeInstanceOf(UsageError);
    expect((before.error as Error).message).toBe('cannot read --devices - (stdin): input/output error (EIO)');
    const after = await readAll([Buffer.from('bat_1\nbat_2\n'), eio()]);
    expect(after.rows.map((r) => ('id' in r ? r.id : undefined))).toEqual(['bat_1', 'bat_2']);
    expect(after.error).toBeInstanceOf(InputBroken);
    expect([(after.error as InputBroken).line, (after.error as Error).message]).toEqual([3, '--devices - (stdin) could not be read on after line 2: input/output error (EIO)']);
  });

  it('a read that fails after CSV rows: every row read before it is given (the parser\'s last one too), then the break', async () => {
    const csv = `id,target\n${Array.from({ length: 3_000 }, (_, i) => `bat_${i},60%`).join('\n')}\n`;
    const { rows, error } = await readAll([Buffer.from(csv), eio()]);
    expect([rows.length, rows.at(-1)]).toEqual([3_000, expect.objectContaining({ id: 'bat_2999', line: 3_001 })]);
    expect(error).toBeInstanceOf(InputBroken);
  });

  it('a CSV row is given as soon as its line is read, though the stream stays open (a producer feeding it line by line)', async () => {
    const stream = new PassThrough();
    stream.write('id,target\nbat_voltaro_01,50%\n');
    const rows = readDeviceRows('-', stream);
    expect((await rows.next()).value).toEqual(expect.objectContaining({ id: 'bat_voltaro_01', line: 2 }));
    stream.end();
    expect((await rows.next()).done).toBe(true);
  });

  it('CSV rows and refusals come in input order; a quote inside a field that opened without one swallows no later line', async () => {
    const { rows } = await readAll([Buffer.from('id,target\nbat_1,50%\nbat_2,60%,extra\nbat_3,5"0%\nbat_4,"7\n0%"\nbat_5,80%\n')]);
    expect(rows.map((r) => [r.line, 'id' in r ? r.id : 'invalid'])).toEqual([[2, 'bat_1'], [3, 'invalid'], [4, 'invalid'], [5, 'bat_4'], [7, 'bat_5']]);
  });

  it('a file that shrinks while it is read stops the reading there, saying so: it does not end as if the list were whole', async () => {
    const { mkdtempSync, truncateSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'amps-input-')), 'ids.txt');
    writeFileSync(file, Array.from({ length: 100_000 }, (_, i) => `bat_load_${String(i).padStart(6, '0')}\n`).join(''));
    const rows = readDeviceRows(file, new PassThrough());
    expect((await rows.next()).value).toEqual(expect.objectContaining({ id: 'bat_load_000000' }));
    truncateSync(file, 200_008);
    let read = 1;
    let error: unknown;
    try {
      for await (const row of { [Symbol.asyncIterator]: () => rows }) if ('id' in row) read++;
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputBroken);
    expect((error as Error).message).toMatch(/^--devices \S+ shrank while it was read \(200008 of its 1600000 bytes\): the rows from line \d+ on are lost$/);
    // Only whole lines were given: none cut in two by the truncation.
    expect(read).toBe(12_500);
  });

  it('a CSV quote not closed within 64 KiB stops the input there, as one never closed does: the lines after it are not taken for records', async () => {
    const lines = ['id,model', 'bat_1,x', 'bat_2,"Voltaro 10', ...Array.from({ length: 20_000 }, (_, i) => `bat_${i + 3},m`)];
    const { rows, error } = await readAll([Buffer.from(`${lines.join('\n')}\n`)]);
    expect(rows).toEqual([expect.objectContaining({ id: 'bat_1', line: 2 }), { invalid: 'opens a quote that is not closed within 64 KiB: the input from here on could not be read', line: 3 }]);
    expect(error).toBeInstanceOf(InputBroken);
  });

  it('a first line of NULs, however long (a binary file, /dev/zero), is refused as binary, not read on', async () => {
    const { rows, error } = await readAll([Buffer.alloc(200_000)]);
    expect(rows).toEqual([]);
    expect((error as Error).message).toBe('--devices holds binary data or text that is not UTF-8 (line 1), not a list of ids, a CSV or NDJSON');
  });

  it('rows come as they are read: a long CSV is not held whole ahead of the run', async () => {
    const stream = new Readable({ read() {} });
    stream.push(Buffer.from(`id\n${Array.from({ length: 5_000 }, (_, i) => `bat_${i}`).join('\n')}\n`));
    stream.push(null);
    const rows = readDeviceRows('-', stream);
    expect((await rows.next()).value).toEqual(expect.objectContaining({ id: 'bat_0' }));
    // The reader stops when the run does: return() settles, it does not wait on the rest.
    await expect(rows.return(undefined)).resolves.toEqual({ done: true, value: undefined });
  });
});
