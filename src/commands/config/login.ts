// `amps login`: a profile set up at a terminal: its name, a hidden key, the API URL.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { checkApiUrl, checkKey, checkProfileName, DEFAULT_API_URL, maskKey, refuseEmptyTarget } from '../../config/resolve.js';
import { keyEnvironment } from '../../contract/keys.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { NeedsInputError } from '../../errors/failures.js';
import { redactUrl } from '../../lib/values.js';
import { withExamples } from '../../output/command-help.js';
import { canPrompt, type CommandState, type IO, noPromptReason, type Run, writeLine } from '../../output/io.js';
import { profileFor, stillOverriding } from './profile.js';

export async function run(options: GlobalOptions, io: IO): Promise<ExitCode> {
  if (!canPrompt(io, options)) {
    throw Object.assign(new NeedsInputError('amps login asks for a key at a terminal', 'amps config set api-key < keyfile (and amps config set api-url URL)'), { reason: noPromptReason(io, options) });
  }
  // An empty setting is refused here as everywhere: the catch below is for a current profile that is gone.
  refuseEmptyTarget(options, io.env);
  let suggested = 'default';
  try {
    suggested = profileFor(options, io, true);
  } catch {
    // The current profile is gone: suggest the default name.
  }
  const profile = checkProfileName((await io.prompter.input('Profile', suggested)).trim());
  const key = checkKey((await io.prompter.password('API key (amps_sk_test_… or amps_sk_live_…)')).trim(), 'the input');
  const url = checkApiUrl(await io.prompter.input('API URL', DEFAULT_API_URL));
  const { openConfigStore } = await import('../../config/store.js');
  const store = await openConfigStore(io.env, () => io.signal);
  // One change: a Ctrl-C while another amps holds the config never leaves a key without its URL.
  await store.setProfile(profile, { apiKey: key, apiUrl: url }, true);
  writeLine(io.stderr, `Saved profile ${profile}: ${redactUrl(url)}, key ${maskKey(key)} (${keyEnvironment(key)}). Check it with: amps devices --limit 1`);
  // --profile named only this login's suggestion: what stays is what the environment selects.
  for (const o of stillOverriding({ ...options, profile: undefined }, io.env, profile)) writeLine(io.stderr, io.err.yellow(`warning: ${o.line}`));
  return EXIT.ok;
}

export function loginCommand(state: CommandState, runF: Run<GlobalOptions> = run) {
  const command = new Command('login')
    .description('Set up a profile interactively: key (hidden), API URL, profile name')
    .action(async (_o, cmd) => {
      state.exitCode = await runF(globalsOf(cmd), state.io, state.argv);
    });
  return withExamples(command, ['amps login', 'amps login --profile prod']);
}
