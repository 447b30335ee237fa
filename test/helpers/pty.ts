import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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
  /** The process the terminal runs (amps, or the shell that redirects its stderr). */
  pid: number;
  /** Closes the terminal, as a dropped ssh session does: SIGHUP, and its reads and writes fail. */
  hangUp(): void;
}

export const KEYS = { up: '\u001b[A', down: '\u001b[B', enter: '\r', ctrlC: '\u0003', ctrlD: '\u0004', escape: '\u001b' };

/**
 * Runs the built amps in a real pseudo-terminal, so stdin and stdout are TTYs; stderr too, unless
 * `stderrTo` names a file to redirect it to, as a shell's `2>FILE` does.
 */
export function runInTerminal(args: string[], env: Record<string, string | undefined>, { stderrTo, cols = 120 }: { stderrTo?: string; cols?: number } = {}): Terminal {
  const [file, argv] = stderrTo === undefined ? [process.execPath, [BIN, ...args]] : ['/bin/sh', ['-c', 'file=$1; shift; exec "$@" 2>"$file"', 'sh', stderrTo, process.execPath, BIN, ...args]];
  const pty: IPty = spawnPty(file, argv, {
    name: 'xterm-256color',
    cols,
    rows: 40,
    env: { ...env, TERM: 'xterm-256color' } as Record<string, string>,
  });
  let output = '';
  pty.onData((data) => (output += data));
  // node-pty destroys its reading side 200 ms after the process exits unless it closed by then (a
  // macOS work-around), and what the terminal still held was lost: on a loaded machine the timer
  // fired before the loop had polled the last output (explain --list lost its last category). The
  // destroy waits for the loop's next poll (an immediate runs after it), which reads what the
  // exited process left in the terminal; a hang-up (below) still destroys at once.
  const socket = (pty as unknown as { _socket: { destroy(...args: unknown[]): unknown } })._socket;
  const destroySocket = socket.destroy.bind(socket);
  let hangingUp = false;
  socket.destroy = (...args: unknown[]) => (hangingUp ? destroySocket(...args) : setImmediate(() => setImmediate(() => destroySocket(...args))));
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
    pid: pty.pid,
    // node-pty's destroy() closes the terminal's master side, then sends SIGHUP.
    hangUp: () => {
      hangingUp = true;
      (pty as unknown as { destroy(): void }).destroy();
    },
  };
}

/**
 * Resolves once the process's event loop watches a terminal for input (Linux: a /dev/pts descriptor
 * in one of its epoll sets, seen in /proc): it is reading the terminal, not starting up. The event
 * to type on when what is typed must reach the read, and not the start.
 */
export async function readingTerminal(term: Terminal): Promise<void> {
  let exited = false;
  const gone = term.exit.then((code) => {
    exited = true;
    throw new Error(`exited ${code} before it read the terminal; screen:\n${term.text()}`);
  });
  await Promise.race([watching(term.pid, () => exited), gone]);
}

async function watching(pid: number, exited: () => boolean): Promise<void> {
  const link = (fd: string) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  };
  while (!exited()) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      // Not started yet, or gone (then the caller's exit says so).
    }
    for (const fd of fds.filter((fd) => link(fd) === 'anon_inode:[eventpoll]')) {
      let info = '';
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      } catch {
        continue;
      }
      if ([...info.matchAll(/^tfd:\s*(\d+)/gm)].some(([, watched]) => link(watched!).startsWith('/dev/pts/'))) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
