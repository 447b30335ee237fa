// `amps config unset api-key|api-url|app-id`.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { profileFor, settingName } from './profile.js';

export interface UnsetOptions extends GlobalOptions {
  name: string;
}

export async function run(options: UnsetOptions, io: IO): Promise<ExitCode> {
  const key = settingName(options.name);
  const profile = profileFor(options, io);
  const { openConfigStore } = await import('../../config/store.js');
  const removed = await (await openConfigStore(io.env, () => io.signal)).unsetValue(profile, key);
  if (options.json) writeJson(io, { profile, unset: options.name, removed });
  else if (!options.quiet) writeLine(io.stderr, removed ? `Unset ${options.name} for profile ${profile}.` : `${options.name} was not set for profile ${profile}.`);
  return EXIT.ok;
}

export function unsetCommand(state: CommandState, runF: Run<UnsetOptions> = run) {
  const command = new Command('unset')
    .description('Remove a setting from the profile')
    .argument('<name>', 'api-key, api-url or app-id')
    .action(async (name, _o, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), name }, state.io, state.argv);
    });
  return withExamples(command, ['amps config unset api-url']);
}
