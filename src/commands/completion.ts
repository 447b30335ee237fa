import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { COMPLETION_FILES, completionModel, completionScript, SHELLS, type Shell } from '../completion/scripts.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { UsageError } from '../errors/failures.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeLine } from '../output/io.js';
import { HELP_TOPICS } from './help-topics.js';
import { makeDirs } from '../lib/make-dirs.js';
import { systemErrorText } from '../lib/system-errors.js';

/** Prints a shell's completion script; never edits rc files. `--write DIR` writes all three. */
export async function run(options: { shell?: string; write?: string }, program: Command, io: IO): Promise<ExitCode> {
  const model = completionModel(program, HELP_TOPICS);
  if (options.write !== undefined) {
    if (options.write.trim() === '') throw new UsageError('--write is empty', 'name the folder to write the scripts to, e.g. --write completions');
    try {
      makeDirs(options.write);
      for (const shell of SHELLS) writeFileSync(join(options.write, COMPLETION_FILES[shell]), completionScript(shell, model));
    } catch (error) {
      throw new UsageError(`cannot write the completion scripts to ${options.write}: ${systemErrorText(error)}`, 'name a folder amps can make and write');
    }
    writeLine(io.stderr, `Wrote ${SHELLS.map((s) => COMPLETION_FILES[s]).join(', ')} to ${options.write}`);
    return EXIT.ok;
  }
  if (!options.shell || !(SHELLS as readonly string[]).includes(options.shell)) {
    throw new UsageError(options.shell ? `amps has no completion for ${options.shell.slice(0, 40)}: it writes ${SHELLS.join(', ')}` : `name a shell: ${SHELLS.join(', ')}`, 'mkdir -p ~/.local/share/bash-completion/completions && amps completion bash > ~/.local/share/bash-completion/completions/amps');
  }
  io.stdout.write(completionScript(options.shell as Shell, model));
  return EXIT.ok;
}

export function completionCommand(state: CommandState, program: Command) {
  const command = new Command('completion')
    .description('Print the completion script for bash, zsh or fish (it never edits your shell\'s files)')
    .argument('[shell]', SHELLS.join(', '))
    .addOption(new Option('--write <dir>', 'write all three scripts into a directory (npm run completions)').hideHelp())
    .action(async (shell, options) => {
      state.exitCode = await run({ shell, ...options }, program, state.io);
    });
  return withExamples(command, [
    'amps completion zsh > "${fpath[1]}/_amps"',
    'mkdir -p ~/.local/share/bash-completion/completions && amps completion bash > ~/.local/share/bash-completion/completions/amps',
    'mkdir -p ~/.config/fish/completions && amps completion fish > ~/.config/fish/completions/amps.fish',
  ]);
}
