import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DeferredStdStream, FdWriter, fdKind, standardStream } from '../src/output/stdio.js';
import { freshConfigDir } from './helpers/cli.js';
import { type IO, ioWith, plainIO, startJsonList } from '../src/output/io.js';

// The writers behind amps' stdout and stderr (output/stdio.ts), on real descriptors. The whole
// command through files, /dev/null, /dev/full and a file-size limit: reliability/pipes.cli.test.ts.

describe('which writer a descriptor gets', () => {
  it('a regular file and /dev/null are files (and a directory, whose writes then fail); a FIFO is a pipe; other devices, closed descriptors and Windows are left to Node', () => {
    const dir = freshConfigDir();
    const file = openSync(join(dir, 'out.txt'), 'w');
    const devNull = openSync('/dev/null', 'w');
    const devFull = openSync('/dev/full', 'w');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    // Read and write, so opening it does not wait for a reader.
    const fifo = openSync(join(dir, 'fifo'), 'r+');
    const directory = openSync(dir, 'r');
    try {
      expect([fdKind(file), fdKind(devNull), fdKind(fifo), fdKind(devFull), fdKind(directory)]).toEqual(['file', 'file', 'pipe', 'other', 'file']);
      expect(fdKind(file, 'win32')).toBe('other');
    } finally {
      for (const fd of [file, devNull, devFull, fifo, directory]) closeSync(fd);
    }
    // A descriptor no process has open.
    expect(fdKind(1 << 20)).toBe('other');
  });
});

describe('standardStream', () => {
  it('asks for Node\'s stream only where Node\'s stream is the one written to, and takes its terminal facts', () => {
    let asked = 0;
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 132 }) as unknown as NodeJS.WriteStream;
    const node = () => {
      asked++;
      return terminal;
    };
    const file = standardStream(1, node, 'file');
    const pipe = standardStream(1, node, 'pipe');
    expect([file.stream instanceof FdWriter, file.isTTY, pipe.stream instanceof DeferredStdStream, pipe.isTTY, asked]).toEqual([true, false, true, false, 0]);
    expect(standardStream(1, node, 'other')).toEqual({ stream: terminal, isTTY: true, columns: 132 });
    expect(asked).toBe(1);
  });
});

describe('FdWriter', () => {
  it('writes text and bytes in order, synchronously', () => {
    const path = join(freshConfigDir(), 'out.txt');
    const fd = openSync(path, 'w');
    const writer = new FdWriter(fd);
    expect(writer.write('héllo ')).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('héllo ');
    writer.write(Buffer.from('wörld\n'));
    writer.write('x'.repeat(200_000));
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe(`héllo wörld\n${'x'.repeat(200_000)}`);
    expect(writer.errored).toBeNull();
  });

  it('reports each failure after the write that met it returns, keeps the first, and still tries the next write', async () => {
    const full = openSync('/dev/full', 'w');
    const writer = new FdWriter(full);
    const errors: Error[] = [];
    writer.on('error', (error) => errors.push(error));
    expect(writer.write('lost\n')).toBe(false);
    const first = writer.errored as NodeJS.ErrnoException;
    expect(first.code).toBe('ENOSPC');
    // Not during write(): a caller's own state is consistent before anyone hears of it.
    expect(errors).toHaveLength(0);
    expect(writer.write('also lost\n')).toBe(false);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC', 'ENOSPC']);
    expect(writer.errored).toBe(first);
    closeSync(full);
  });

  it('writes again once the descriptor takes writes again (a full FIFO, then read)', () => {
    const fifo = join(freshConfigDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const writer = new FdWriter(fd);
      writer.on('error', () => undefined);
      // More than a pipe holds: the kernel says EAGAIN part way.
      expect(writer.write(Buffer.alloc(1 << 20, 1))).toBe(false);
      expect((writer.errored as NodeJS.ErrnoException).code).toBe('EAGAIN');
      const room = Buffer.alloc(1 << 16);
      for (;;) {
        try {
          if (readSync(fd, room) === 0) break;
        } catch {
          break;
        }
      }
      expect(writer.write('after\n')).toBe(true);
      expect(readSync(fd, room)).toBe(6);
    } finally {
      closeSync(fd);
    }
  });
});

describe('DeferredStdStream', () => {
  it('makes its stream at the first write only, passes every chunk on, and reports that stream\'s failure as its own', async () => {
    let made = 0;
    const target = new PassThrough();
    const stream = new DeferredStdStream(() => {
      made++;
      return target;
    });
    const errors: Error[] = [];
    stream.on('error', (error) => errors.push(error));
    expect(made).toBe(0);
    expect(stream.errored).toBeNull();
    stream.write('a');
    stream.write(Buffer.from('b'));
    expect(made).toBe(1);
    expect(String(target.read())).toBe('ab');
    const broken = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const closed = new Promise((resolve) => target.on('close', resolve));
    target.destroy(broken);
    await closed;
    expect(errors).toEqual([broken]);
    expect(stream.errored).toBe(broken);
  });
});

describe('an IO with parts replaced (ioWith)', () => {
  it('keeps the getters it copies unread: process.stdin and the signals are made only when a command looks', () => {
    const read: string[] = [];
    const base = plainIO({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
    const io = Object.defineProperties({ ...base }, {
      stdin: { get: () => (read.push('stdin'), base.stdin), enumerable: true, configurable: true },
      signal: { get: () => (read.push('signal'), base.signal), enumerable: true, configurable: true },
    }) as IO;
    const replacement = new PassThrough();
    const copy = ioWith(io, { stdout: replacement });
    expect(read).toEqual([]);
    expect(copy.stdout).toBe(replacement);
    expect(copy.stderr).toBe(base.stderr);
    expect(copy.stdin).toBe(base.stdin);
    expect(read).toEqual(['stdin']);
    expect(io.stdout).toBe(base.stdout);
  });
});

describe('a JSON list written as it comes', () => {
  it('is the text writeJson would write for the whole object, with or without items, escapes and all', () => {
    for (const items of [[], [{ id: 'a', n: 1 }], [{ id: 'b', nested: { deep: [1, 'x\u009b'] } }, 'two', null]]) {
      const rest = { total: items.length, pagination: { battery: null }, environment: 'embedded' };
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk) => (text += chunk));
      const list = startJsonList(plainIO({ stdin: new PassThrough(), stdout: out, stderr: new PassThrough() }), 'items');
      for (const item of items) list.add(item);
      list.end(rest);
      expect(text).toBe(`${JSON.stringify({ items, ...rest }, null, 2).replace('\u009b', '\\u009b')}\n`);
      expect(JSON.parse(text)).toEqual({ items, ...rest });
    }
  });
});
