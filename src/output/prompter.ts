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
 * The terminal's prompter: prompts on `output()` (stderr, so stdout stays data), answers from
 * `stdin()` (functions: the process makes those streams only when something uses them). Ctrl-C, or Escape on its own (arrow keys also start with ESC), abort the question; the
 * error boundary maps that to exit 130. `signal()` (the process's Ctrl-C, made when first asked for) aborts it too.
 */
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

export function terminalPrompter(stdin: () => Readable, output: () => Writable, signal: () => AbortSignal, colour: () => boolean = () => true): Prompter {
  const ask = async <T>(question: (prompts: typeof import('@inquirer/prompts'), context: object) => Promise<T>): Promise<T> => {
    const prompts = await import('@inquirer/prompts');
    const input = stdin();
    const escape = new AbortController();
    const onData = (chunk: Buffer | string) => {
      if (chunk.toString() === '\u001b') escape.abort();
    };
    input.on('data', onData);
    try {
      return await question(prompts, { input, output: output(), signal: AbortSignal.any([escape.signal, signal()]), clearPromptOnDone: false });
    } finally {
      input.off('data', onData);
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

/** Where nobody can answer: asking is a bug in the caller (it must check canPrompt first). */
export const NO_PROMPTER: Prompter = {
  select: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
  confirm: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
  input: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
  password: () => Promise.reject(new NeedsInputError('a question needs a terminal', '--no-input')),
};
