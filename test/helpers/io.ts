import { Readable, Writable } from 'node:stream';
import { Command } from '@commander-js/extra-typings';
import { globalOptions } from '../../src/cli.js';
import type { CommandState, IO, Run } from '../../src/output/io.js';
import type { Choice, Prompter } from '../../src/output/prompter.js';
import { PLAIN } from '../../src/output/style.js';
import { assertNoKeyIn } from './cli.js';

/** A stream that keeps what was written to it. */
class Buffered extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/**
 * One scripted answer: the question it expects (a pattern), and what to answer: a value, an error
 * to throw (as Ctrl-C), or a function run at the moment of the question (to make something happen then).
 */
export interface Answer {
  ask: RegExp;
  answer: unknown;
}

/** Answers questions in order; fails the test on a question it did not expect, or one too many. */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  constructor(private readonly answers: Answer[]) {}

  private async next(message: string, choices?: ReadonlyArray<Choice<unknown>>): Promise<unknown> {
    this.asked.push(choices ? `${message} [${choices.map((c) => c.name).join(' | ')}]` : message);
    const answer = this.answers.shift();
    if (!answer) throw new Error(`unexpected question: ${message}`);
    if (!answer.ask.test(message)) throw new Error(`asked "${message}", the script expected ${answer.ask}`);
    if (answer.answer instanceof Error) throw answer.answer;
    if (typeof answer.answer === 'function') return (answer.answer as () => unknown)();
    if (choices && !choices.some((c) => c.value === answer.answer)) throw new Error(`"${String(answer.answer)}" is not on offer: ${choices.map((c) => String(c.value)).join(', ')}`);
    return answer.answer;
  }

  get unanswered(): number {
    return this.answers.length;
  }

  async select<T>(message: string, choices: ReadonlyArray<Choice<T>>): Promise<T> {
    return (await this.next(message, choices as ReadonlyArray<Choice<unknown>>)) as T;
  }
  async confirm(message: string): Promise<boolean> {
    return (await this.next(message)) as boolean;
  }
  async input(message: string): Promise<string> {
    return (await this.next(message)) as string;
  }
  async password(message: string): Promise<string> {
    return (await this.next(message)) as string;
  }
}

export interface TestIO {
  io: IO;
  out(): string;
  err(): string;
}

/**
 * An IO for running a command in-process: buffers for stdout and stderr, chosen TTY flags, an env
 * of the test's own (never process.env), stdin from a string, a scripted prompter and a clock.
 */
export function testIO(options: { env: Record<string, string | undefined>; stdin?: string; tty?: boolean; prompter?: Prompter; now?: () => Date; signal?: AbortSignal }): TestIO {
  const stdout = new Buffered();
  const stderr = new Buffered();
  const io: IO = {
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    stdout,
    stderr,
    stdinIsTTY: Boolean(options.tty),
    stdoutIsTTY: Boolean(options.tty),
    stderrIsTTY: Boolean(options.tty),
    env: options.env,
    columns: 120,
    out: PLAIN,
    err: PLAIN,
    now: options.now ?? (() => new Date()),
    signal: options.signal ?? new AbortController().signal,
    outputClosed: new AbortController().signal,
    stdoutClosed: new AbortController().signal,
    prompter: options.prompter ?? new ScriptedPrompter([]),
  };
  return {
    io,
    out: () => {
      assertNoKeyIn(options.env, stdout.text);
      return stdout.text;
    },
    err: () => {
      assertNoKeyIn(options.env, stderr.text);
      return stderr.text;
    },
  };
}

/**
 * What commander hands a command's run for `argv`: the factory is built with a runF that only
 * records its options, under a root with amps's global options, as cli.ts builds it.
 */
export async function parsedOptions<O>(factory: (state: CommandState, runF: Run<O>) => Command<any, any, any>, argv: string[]): Promise<O> {
  let seen: O | undefined;
  const state: CommandState = { io: testIO({ env: {} }).io, exitCode: 0, argv };
  const root = new Command('amps').exitOverride();
  for (const option of globalOptions()) root.addOption(option as never);
  const command = factory(state, async (options) => {
    seen = options;
    return 0;
  });
  (command as unknown as Command).exitOverride();
  root.addCommand(command as unknown as Command);
  await root.parseAsync(argv, { from: 'user' });
  if (seen === undefined) throw new Error(`the command did not run for ${argv.join(' ')}`);
  return seen;
}
