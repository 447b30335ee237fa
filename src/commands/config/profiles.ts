// `amps config profiles`: one name a line; shell completion reads it.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { profileNames, readStoredConfig } from '../../config/resolve.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeLine } from '../../output/io.js';
import { scrub } from '../../output/text.js';
import { profileFor } from './profile.js';

/** The profile names, one a line (the current one marked unless --quiet). */
export async function run(options: GlobalOptions, io: IO): Promise<ExitCode> {
  const stored = readStoredConfig(io.env);
  let current: string | undefined;
  try {
    current = profileFor(options, io);
  } catch {
    // A current profile that no longer exists marks nothing; the names still list.
  }
  for (const name of profileNames(stored)) writeLine(io.stdout, scrub(options.quiet || name !== current ? name : `${name} (current)`));
  return EXIT.ok;
}

export function profilesCommand(state: CommandState, runF: Run<GlobalOptions> = run) {
  const command = new Command('profiles')
    .description('List the profiles, one a line')
    .action(async (_o, cmd) => {
      state.exitCode = await runF(globalsOf(cmd), state.io, state.argv);
    });
  return withExamples(command, ['amps config profiles']);
}
