import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type OutputStream, plainIO } from './io.js';
import { liveLine } from './spinner.js';

function terminalIO(env: Record<string, string>) {
  let written = '';
  const stderr: OutputStream = { write: (chunk) => ((written += String(chunk)), true), on: () => undefined, errored: null };
  const io = plainIO({ stdin: new PassThrough(), stdout: stderr, stderr, stderrIsTTY: true, env, stderrColumns: 20 });
  return { io, written: () => written };
}

describe('the live line', () => {
  it('is cut to the terminal\'s width, its colours ended; another write clears it first; stop() leaves stderr as it was', () => {
    const { io, written } = terminalIO({ TERM: 'xterm' });
    const write = io.stderr.write;
    const line = liveLine(io, () => `\u001b[36m${'x'.repeat(40)}\u001b[39m`, 60_000);
    io.stderr.write('a notice\n');
    line.stop();
    expect(written()).toBe(`\r\u001b[2K\u001b[36m${'x'.repeat(19)}\u001b[0m\r\u001b[2Ka notice\n\r\u001b[2K`);
    expect(io.stderr.write).toBe(write);
  });

  it('draws nothing on a dumb terminal, which prints the escape that clears a line as text', () => {
    const { io, written } = terminalIO({ TERM: 'dumb' });
    liveLine(io, () => 'progress', 60_000).stop();
    expect(written()).toBe('');
  });
});
