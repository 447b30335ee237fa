// Questions go through a Prompter on IO, so every branch that asks (the conflict resolver, login,
// a hidden key) runs the same in a terminal and in a test with scripted answers. The terminal
// prompter loads @inquirer/prompts only when it first asks.

import type { Readable, Writable } from 'node:stream';
import { maskKeyBeingTyped } from '../contract/keys.js';
import { NeedsInputError } from '../errors/failures.js';

export interface Choice<T> {
  name: string;
  value: T;
}

export interface Prompter {
  select<T>(message: string, choices: ReadonlyArray<Choice<T>>): Promise<T>;
  confirm(message: string, defaultAnswer: boolean): Promise<boolean>;
  input(message: string, defaultAnswer?: string): Promise<string>;
  /** Hidden input, masked with `*`. */
  password(message: string): Promise<string>;
}

/**
 * inquirer's look without colour, for when amps' is off (--no-color as well as NO_COLOR and
 * TERM=dumb, which inquirer's own colour library reads, but not --no-color): its marks, no escapes.
 */
const PLAIN = (text: string) => text;
const PLAIN_THEME = {
  prefix: { idle: '?', done: '✔' },
  spinner: { interval: 80, frames: ['-', '\\', '|', '/'] },
  style: {
    answer: PLAIN, message: PLAIN, help: PLAIN, highlight: PLAIN, description: PLAIN,
    error: (text: string) => `> ${text}`,
    defaultAnswer: (text: string) => `(${text})`,
    key: (text: string) => `<${text}>`,
    disabled: (text: string) => `- ${text}`,
    keysHelpTip: (keys: Array<[string, string]>) => keys.map(([key, action]) => `${key} ${action}`).join(' • '),
  },
};

/**
 * The terminal's prompter: prompts on `output()` (stderr, so stdout stays data), answers from
 * `stdin()` (functions: the process makes those streams only when something uses them). Ctrl-C,
 * Escape on its own (arrow keys also start with ESC), Ctrl-D and a terminal that hangs up abort the
 * question; the error boundary maps that to exit 130. `signal()` (the process's Ctrl-C, SIGTERM
 * and SIGHUP, made when first asked for) aborts it too.
 */
export function terminalPrompter(stdin: () => Readable, output: () => Writable, signal: () => AbortSignal, colour: () => boolean = () => true): Prompter {
  const ask = async <T>(question: (prompts: typeof import('@inquirer/prompts'), context: object) => Promise<T>): Promise<T> => {
    const prompts = await import('@inquirer/prompts');
    const input = stdin();
    keepRawModeFromThrowingOnHangUp(input);
    // Escape, or the terminal's end: in raw mode Ctrl-D is a key, so the input ends only when the
    // terminal is gone. A hang-up's SIGHUP ends the question too, but a process the terminal does
    // not signal (not its session's) has only the end to go by; inquirer would wait on for ever.
    const abandoned = new AbortController();
    // Ctrl-D too: at a prompt it means "no more input", as at a shell's, never an answer.
    const onData = (chunk: Buffer | string) => {
      if (chunk.toString() === '\u001b' || chunk.toString() === '\u0004') abandoned.abort();
    };
    const onEnd = () => abandoned.abort();
    input.on('data', onData);
    input.once('end', onEnd);
    try {
      return await question(prompts, { input, output: output(), signal: AbortSignal.any([abandoned.signal, signal()]), clearPromptOnDone: false });
    } finally {
      input.off('data', onData);
      input.off('end', onEnd);
      // inquirer leaves stdin flowing; pausing it lets the process exit.
      input.pause();
    }
  };
  const theme = () => (colour() ? {} : { theme: PLAIN_THEME });
  return {
    select: (message, choices) => ask((p, context) => p.select({ message, choices: [...choices], ...theme() }, context)),
    confirm: (message, defaultAnswer) => ask((p, context) => p.confirm({ message, default: defaultAnswer, ...theme() }, context)),
    // A key pasted where a name or URL was asked for is not echoed, as typed nor as the answer. A
    // transformer takes the place of the theme's answer style: the answer is shown in its cyan here.
    input: (message, defaultAnswer) => ask((p, context) => p.input({
      message, default: defaultAnswer, ...theme(),
      transformer: (value: string, { isFinal }: { isFinal: boolean }) => (isFinal && colour() ? `\u001b[36m${maskKeyBeingTyped(value)}\u001b[39m` : maskKeyBeingTyped(value)),
    }, context)),
    password: (message) => ask((p, context) => p.password({ message, mask: '*', ...theme() }, context)),
  };
}

/**
 * A terminal that hung up (an ssh session dropped) ends its read (EIO reads as the end), and
 * readline, closing on that end, puts the terminal back out of raw mode: that throws EIO from an
 * event handler, which would end amps with a stack trace and exit 1. The terminal is gone, so
 * there is no mode to put back: EIO there is let go.
 */
function keepRawModeFromThrowingOnHangUp(input: Readable): void {
  const terminal = input as Readable & { setRawMode?: (mode: boolean) => unknown; [GUARDED]?: true };
  if (typeof terminal.setRawMode !== 'function' || terminal[GUARDED]) return;
  const setRawMode = terminal.setRawMode.bind(terminal);
  terminal.setRawMode = (mode: boolean) => {
    try {
      return setRawMode(mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EIO') return terminal;
      throw error;
    }
  };
  terminal[GUARDED] = true;
}
const GUARDED = Symbol('raw mode guarded');

/** Where nobody can answer: asking is a bug in the caller (it must check canPrompt first). */
export const NO_PROMPTER: Prompter = {
  select: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
  confirm: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
  input: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
  password: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
};
