// `amps config set api-key|api-url|app-id [VALUE]`: --profile NAME creates the profile.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { checkApiUrl, maskKey } from '../../config/resolve.js';
import { keyEnvironment } from '../../contract/keys.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { UsageError } from '../../errors/failures.js';
import { appIdProblem } from '../../domain/link.js';
import { redactUrl } from '../../lib/values.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { profileFor, readKey, settingName } from './profile.js';

export interface SetOptions extends GlobalOptions {
  name: string;
  value?: string;
}

export async function run(options: SetOptions, io: IO): Promise<ExitCode> {
  const key = settingName(options.name);
  if (key === 'apiKey' && options.value !== undefined) {
    throw new UsageError('the API key is never taken from the command line (it would stay in shell history and the process list)', 'amps config set api-key, then paste it at the prompt; or pipe it: amps config set api-key < keyfile');
  }
  if (key === 'apiUrl' && options.value === undefined) throw new UsageError('give the URL: amps config set api-url https://api.amps.ai');
  if (key === 'appId') {
    if (options.value === undefined) throw new UsageError('give the app id: amps config set app-id ID (the one in your Link UI URL, https://auth.amps.ai/ID)');
    const problem = appIdProblem(options.value);
    if (problem) throw new UsageError(problem);
  }
  // --profile NAME creates the profile; otherwise the one in use, which must exist.
  const profile = profileFor(options, io, true);
  const value = key === 'apiKey' ? await readKey(options, io) : key === 'apiUrl' ? checkApiUrl(options.value!) : options.value!;
  const { openConfigStore } = await import('../../config/store.js');
  const store = await openConfigStore(io.env, () => io.signal);
  await store.setValue(profile, key, value);
  if (options.json) writeJson(io, { profile, set: options.name, ...(key === 'apiKey' ? { key: maskKey(value), environment: keyEnvironment(value) } : { value: key === 'apiUrl' ? redactUrl(value) : value }) });
  // The URL as stored, as --json says it: a look-alike host typed (`api.аmps.ai`, a Cyrillic а) reads as its punycode there.
  else if (!options.quiet) writeLine(io.stderr, `Set ${options.name} for profile ${profile}${key === 'apiKey' ? ` (${maskKey(value)}, ${keyEnvironment(value)})` : key === 'apiUrl' ? `: ${redactUrl(value)}` : ''}.`);
  return EXIT.ok;
}

export function setCommand(state: CommandState, runF: Run<SetOptions> = run) {
  const command = new Command('set')
    .description('Set api-key (from a hidden prompt, or stdin), api-url or app-id for the profile (--profile NAME creates it; else the current one)')
    .argument('<name>', 'api-key, api-url or app-id')
    .argument('[value]', 'the URL for api-url, the id for app-id')
    .action(async (name, value, _o, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), name, value }, state.io, state.argv);
    });
  return withExamples(command, ['amps config set api-key', 'amps config set api-key --profile prod < prod.key', 'amps config set api-url http://127.0.0.1:4010', 'amps config set app-id app_8f2c']);
}
