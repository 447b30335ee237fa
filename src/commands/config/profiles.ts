// `amps config profiles`: one name a line; shell completion reads it.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { isProfileName, profileNames, profileShown, readStoredConfig, refuseEmptyTarget } from '../../config/resolve.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { profileFor } from './profile.js';

/** The profile names, one a line (the current one marked unless --quiet); --json, a list of {name, current, usable}. */
export async function run(options: GlobalOptions, io: IO): Promise<ExitCode> {
  refuseEmptyTarget(options, io.env);
  const stored = readStoredConfig(io.env);
  let current: string | undefined;
  try {
    current = profileFor(options, io);
  } catch {
    // A current profile that no longer exists marks nothing; the names still list.
  }
  if (options.json) {
    writeJson(io, profileNames(stored).map((name) => ({ name: profileShown(name), current: name === current, usable: isProfileName(name) })));
    return EXIT.ok;
  }
  for (const name of profileNames(stored)) {
    // --quiet is what shell completion reads: only names a command can take, and nothing a shell would expand.
    if (options.quiet) {
      if (isProfileName(name)) writeLine(io.stdout, name);
    } else writeLine(io.stdout, `${profileShown(name)}${name === current ? ' (current)' : isProfileName(name) ? '' : ' (not a usable name: letters, digits, _ . -)'}`);
  }
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
