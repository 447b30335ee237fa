import type { IO } from './io.js';
import { scrub } from './text.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/**
 * One line on stderr redrawn every `intervalMs` from `render`, only when stderr is a terminal
 * (elsewhere it says nothing). stop() clears it and may be called more than once.
 */
export function liveLine(io: IO, render: () => string, intervalMs: number, enabled = true): { stop(): void } {
  if (!io.stderrIsTTY || !enabled) return { stop: () => {} };
  const draw = () => io.stderr.write(`\r\u001b[2K${render()}`);
  draw();
  let timer: NodeJS.Timeout | undefined = setInterval(draw, intervalMs);
  return {
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      io.stderr.write('\r\u001b[2K');
    },
  };
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
