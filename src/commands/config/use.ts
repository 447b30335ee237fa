// `amps config use NAME`: only a profile that exists (creating one is config set or login).

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { checkProfileName, isProfileName, profileNames, profileShown, readStoredConfig, refuseEmptyTarget } from '../../config/resolve.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { UsageError } from '../../errors/failures.js';
import { closest } from '../../lib/values.js';
import { withExamples } from '../../output/command-help.js';
import { stillOverriding } from './profile.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';

export interface UseOptions extends GlobalOptions {
  name: string;
}

export async function run(options: UseOptions, io: IO): Promise<ExitCode> {
  refuseEmptyTarget(options, io.env);
  checkProfileName(options.name);
  const names = profileNames(readStoredConfig(io.env)).filter(isProfileName);
  if (!names.includes(options.name)) {
    const near = closest(options.name, names);
    throw new UsageError(
      `no profile named '${options.name}'`,
      `${near.length > 0 ? `did you mean ${near.join(', ')}? ` : names.length > 0 ? `profiles: ${names.join(', ')}. ` : ''}Create one with amps config set api-key --profile ${options.name}, or amps login`,
    );
  }
  const { openConfigStore } = await import('../../config/store.js');
  await (await openConfigStore(io.env, () => io.signal)).setCurrentProfile(options.name);
  const overriding = stillOverriding(options, io.env, options.name);
  const selector = overriding.find((o) => o.selects !== undefined);
  if (options.json) {
    writeJson(io, { currentProfile: options.name, overriddenBy: selector ? { [selector.by]: profileShown(selector.selects!) } : null, alsoOverriddenBy: overriding.filter((o) => o.selects === undefined).map((o) => o.by) });
    return EXIT.ok;
  }
  if (!options.quiet) writeLine(io.stderr, `Using profile ${options.name}.`);
  for (const o of overriding) writeLine(io.stderr, io.err.yellow(`warning: ${o.line}`));
  return EXIT.ok;
}

export function useCommand(state: CommandState, runF: Run<UseOptions> = run) {
  const command = new Command('use')
    .description('Make an existing profile the current one (config set --profile NAME or login creates one)')
    .argument('<profile>', 'profile name')
    .action(async (name, _o, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), name }, state.io, state.argv);
    });
  return withExamples(command, ['amps config use prod']);
}
