import { Command } from '@commander-js/extra-typings';
import { ENVIRONMENT_VARIABLES, PRECEDENCE } from '../config/environment.js';
import { EXIT, EXIT_CODE_TABLE, type ExitCode } from '../contract/exit-codes.js';
import { UsageError } from '../errors/failures.js';
import { closest } from '../lib/values.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeLine } from '../output/io.js';
import { fieldLines } from '../output/text.js';

export const HELP_TOPICS = ['exit-codes', 'environment'] as const;

function exitCodes(io: IO): void {
  writeLine(io.stdout, 'Exit codes (stable; scripts may branch on them):');
  for (const row of EXIT_CODE_TABLE) writeLine(io.stdout, `  ${String(row.code).padStart(3)}  ${row.meaning}${row.from ? ` (${row.from})` : ''}`);
}

function environment(io: IO): void {
  writeLine(io.stdout, 'Environment variables:');
  writeLine(io.stdout, fieldLines(ENVIRONMENT_VARIABLES.map((v) => [v.name, v.description] as const), '  ').join('\n'));
  writeLine(io.stdout, `\n${PRECEDENCE}`);
}

/** `amps help [topic|command]`: a topic, or the named command's help. */
export async function run(topic: string[], program: Command, io: IO): Promise<ExitCode> {
  if (topic.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  // A topic is one word: `amps help exit-codes extra` names no topic.
  if ((topic[0] === 'exit-codes' || topic[0] === 'environment') && topic.length > 1) throw new UsageError(`no help topic '${topic.join(' ')}'`, `amps help ${topic[0]}`);
  if (topic[0] === 'exit-codes') exitCodes(io);
  else if (topic[0] === 'environment') environment(io);
  else {
    let command: Command = program;
    for (const [i, name] of topic.entries()) {
      const next = command.commands.find((c) => c.name() === name || c.aliases().includes(name)) as Command | undefined;
      if (!next) {
        // The closest names where the path went wrong, as a mistyped command gets.
        const names = command.commands.flatMap((c) => [c.name(), ...c.aliases()]);
        const near = closest(name, command === program ? [...HELP_TOPICS, ...names] : names);
        const path = topic.slice(0, i).map((word) => `${word} `).join('');
        throw new UsageError(`no help topic or command '${topic.join(' ')}'`, near.length > 0 ? `did you mean ${near.map((n) => `amps help ${path}${n}`).join(', ')}?` : `topics: ${HELP_TOPICS.join(', ')}; or a command name`);
      }
      command = next;
    }
    command.outputHelp();
  }
  return EXIT.ok;
}

export function helpCommand(state: CommandState, program: Command) {
  const command = new Command('help')
    .description(`Show help for a command, or a topic: ${HELP_TOPICS.join(', ')}`)
    .argument('[topic...]', 'a topic or a command')
    .action(async (topic) => {
      state.exitCode = await run(topic, program, state.io);
    });
  return withExamples(command, ['amps help exit-codes', 'amps help environment', 'amps help push']);
}
