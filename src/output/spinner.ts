import type { IO } from './io.js';
import { COLOUR_ESCAPE } from './style.js';
import { scrub } from './text.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/**
 * One line on stderr redrawn every `intervalMs` from `render`, only when stderr is a terminal
 * (elsewhere it says nothing; nor on a dumb one, which prints the escape that clears a line as
 * text), cut to the terminal's width: a longer line wraps, and clearing erases only its last row.
 * Anything else written to stderr while it is up (`--verbose`, a notice, Ctrl-C's) clears it first,
 * so starts at the line's start; the next draw puts it back below. stop() clears it and may be
 * called more than once.
 */
export function liveLine(io: IO, render: (width: number) => string, intervalMs: number, enabled = true): { stop(): void } {
  if (!io.stderrIsTTY || !enabled || io.env.TERM === 'dumb') return { stop: () => {} };
  const stream = io.stderr;
  const ownWrite = Object.hasOwn(stream, 'write');
  const write = stream.write;
  let drawn = false;
  const clear = () => {
    if (drawn) write.call(stream, '\r\u001b[2K');
    drawn = false;
  };
  stream.write = (chunk) => {
    clear();
    return write.call(stream, chunk);
  };
  const draw = () => {
    const width = (io.stderrColumns ?? io.columns) - 1;
    write.call(stream, `\r\u001b[2K${fitted(render(width), width)}`);
    drawn = true;
  };
  draw();
  let timer: NodeJS.Timeout | undefined = setInterval(draw, intervalMs);
  return {
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      if (ownWrite) stream.write = write;
      else delete (stream as Partial<IO['stderr']>).write;
      drawn = true;
      clear();
    },
  };
}

/** A text split at its colour escapes, each kept as a part of its own. */
const COLOUR_PARTS = new RegExp(`(${COLOUR_ESCAPE.source})`);

/** `text` cut to `width` characters on screen, its colour escapes kept (and ended, where it was cut). */
function fitted(text: string, width: number): string {
  let shown = 0;
  let out = '';
  for (const part of text.split(COLOUR_PARTS)) {
    if (COLOUR_ESCAPE.test(part)) {
      out += part;
      continue;
    }
    for (const char of part) {
      if (shown >= width) return `${out}${text.includes('\u001b[') ? '\u001b[0m' : ''}`;
      out += char;
      shown++;
    }
  }
  return out;
}

/** A spinner with a status text, on the same line mechanism. */
export function startSpinner(io: IO, text: string, enabled = true): Spinner {
  let current = scrub(text);
  let frame = 0;
  const line = liveLine(io, () => `${io.err.cyan(FRAMES[frame++ % FRAMES.length])} ${current}`, 80, enabled);
  return {
    update(next) {
      current = scrub(next);
    },
    stop: () => line.stop(),
  };
}
