// `amps sandbox reset`: the seeded fleet again (the previous state kept as a copy).

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { sandboxStateFile } from '../../config/paths.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';

export interface ResetOptions extends GlobalOptions {
  state?: string;
}

export async function run(options: ResetOptions, io: IO): Promise<ExitCode> {
  const { resetStateFile } = await import('../../sandbox/store.js');
  const file = options.state ?? sandboxStateFile(io.env);
  const kept = await resetStateFile(file);
  if (options.json) writeJson(io, { reset: true, state: file, keptAs: kept ?? null });
  else if (!options.quiet) writeLine(io.stderr, `Sandbox reset to the seeded fleet (${file}).${kept ? ` The state before is kept as ${kept}.` : ''}`);
  return EXIT.ok;
}

export function resetCommand(state: CommandState, runF: Run<ResetOptions> = run) {
  const command = new Command('reset')
    .description('Restore the seeded fleet: forget every action, setting change and cleared schedule')
    .option('--state <file>', 'reset this state file instead of the embedded sandbox\'s')
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps sandbox reset']);
}
