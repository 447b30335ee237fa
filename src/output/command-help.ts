import type { Command } from '@commander-js/extra-typings';

/** Adds an EXAMPLES section to a command's help; every command has at least one (a test checks). */
export function withExamples<C extends Command<any, any, any>>(command: C, examples: string[]): C {
  command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  return command;
}
