import type { IO } from './io.js';
import { scrub } from './text.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** A one-line spinner on stderr, only when stderr is a terminal; elsewhere it says nothing. */
export function startSpinner(io: IO, text: string, enabled = true): Spinner {
  if (!io.stderrIsTTY || !enabled) return { update: () => {}, stop: () => {} };
  let current = scrub(text);
  let frame = 0;
  const draw = () => io.stderr.write(`\r\u001b[2K${io.err.cyan(FRAMES[frame++ % FRAMES.length])} ${current}`);
  draw();
  const timer = setInterval(draw, 80);
  return {
    update(next) {
      current = scrub(next);
    },
    stop() {
      clearInterval(timer);
      io.stderr.write('\r\u001b[2K');
    },
  };
}
