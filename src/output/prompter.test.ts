import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminalPrompter } from './prompter.js';

/** A terminal's two ends as inquirer sees them; `hangUp` ends the input as a gone terminal's read does, after which its mode cannot be set. */
function fakeTerminal() {
  let gone = false;
  const modes: boolean[] = [];
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    setRawMode(mode: boolean) {
      if (gone) throw Object.assign(new Error('setRawMode EIO'), { code: 'EIO' });
      modes.push(mode);
      return input;
    },
  });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24 });
  output.resume();
  return {
    input,
    output,
    modes,
    hangUp: () => {
      gone = true;
      input.end();
    },
  };
}

describe('the terminal prompter', () => {
  it('a terminal that hangs up (its read ends, its mode can no longer be set) ends the question as an abort, never an uncaught EIO or a wait for ever', async () => {
    const terminal = fakeTerminal();
    const never = new AbortController();
    const prompter = terminalPrompter(() => terminal.input, () => terminal.output, () => never.signal, () => false);
    const answer = prompter.select('Pick one', [{ name: 'a', value: 'a' }, { name: 'b', value: 'b' }]);
    await new Promise<void>((resolve) => terminal.output.once('data', () => resolve()));
    expect(terminal.modes).toEqual([true]);
    terminal.hangUp();
    // An abort is what the error boundary maps to exit 130, as Ctrl-C and Escape.
    await expect(answer).rejects.toMatchObject({ name: 'AbortPromptError' });
  });

  it('a mode change that fails for any other reason than a gone terminal still throws', () => {
    const terminal = fakeTerminal();
    const failing = Object.assign(terminal.input, {
      setRawMode: () => {
        throw Object.assign(new Error('setRawMode EBADF'), { code: 'EBADF' });
      },
    });
    const prompter = terminalPrompter(() => failing, () => terminal.output, () => new AbortController().signal, () => false);
    return expect(prompter.confirm('Sure?', false)).rejects.toThrow(/EBADF/);
  });
});
