import { spawn as spawnPty, type IPty } from '@lydell/node-pty';
import { assertNoKeyIn, BIN } from './cli.js';

const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007|\u001b[()][A-Z0-9]|\u001b[=>]/g;

export interface Terminal {
  /** Everything written so far, escape sequences removed. */
  text(): string;
  raw(): string;
  type(keys: string): void;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  exit: Promise<number>;
}

export const KEYS = { up: '\u001b[A', down: '\u001b[B', enter: '\r', ctrlC: '\u0003', escape: '\u001b' };

/**
 * Runs the built amps in a real pseudo-terminal, so stdin and stdout are TTYs; stderr too, unless
 * `stderrTo` names a file to redirect it to, as a shell's `2>FILE` does.
 */
export function runInTerminal(args: string[], env: Record<string, string | undefined>, { stderrTo }: { stderrTo?: string } = {}): Terminal {
  const [file, argv] = stderrTo === undefined ? [process.execPath, [BIN, ...args]] : ['/bin/sh', ['-c', 'file=$1; shift; exec "$@" 2>"$file"', 'sh', stderrTo, process.execPath, BIN, ...args]];
  const pty: IPty = spawnPty(file, argv, {
    name: 'xterm-256color',
    cols: 120,
    rows: 40,
    env: { ...env, TERM: 'xterm-256color' } as Record<string, string>,
  });
  let output = '';
  pty.onData((data) => (output += data));
  const exit = new Promise<number>((resolve, reject) =>
    pty.onExit(({ exitCode }) => {
      try {
        assertNoKeyIn(env, output);
        resolve(exitCode);
      } catch (error) {
        reject(error);
      }
    }),
  );
  const text = () => output.replace(ANSI, '');
  return {
    text,
    raw: () => output,
    type: (keys) => pty.write(keys),
    waitFor: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          const found = typeof pattern === 'string' ? text().includes(pattern) : pattern.test(text());
          if (found) return resolve();
          if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${pattern}; screen:\n${text()}`));
          setTimeout(check, 25);
        };
        check();
      }),
    exit,
  };
}
