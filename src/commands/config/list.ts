// `amps config list`: the effective configuration, each value with where it came from.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { readKeyFile } from '../../config/key-file.js';
import { configFile } from '../../config/paths.js';
import { maskKey, profileNames, profileShown, readStoredConfig, resolveTarget, sourceText } from '../../config/resolve.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { redactUrl } from '../../lib/values.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { fieldLines } from '../../output/text.js';

export async function run(options: GlobalOptions, io: IO): Promise<ExitCode> {
  const stored = readStoredConfig(io.env);
  // As a request would resolve it: --api-key-file too.
  const apiKey = options.apiKeyFile !== undefined && options.apiKeyFile !== '' ? await readKeyFile(options.apiKeyFile, io) : undefined;
  const target = resolveTarget({ profile: options.profile, apiUrl: options.apiUrl, apiKey, apiKeyFile: options.apiKeyFile }, io.env, stored);
  const profiles = profileNames(stored).map(profileShown);
  const url = target.embedded ? 'embedded sandbox' : redactUrl(target.apiUrl.value!);
  const key = target.apiKey.value ? maskKey(target.apiKey.value) : target.embedded ? 'the embedded sandbox key' : '(none)';
  if (options.json) {
    writeJson(io, {
      file: configFile(io.env),
      profile: target.profile,
      apiUrl: { value: target.embedded ? null : redactUrl(target.apiUrl.value!), source: target.apiUrl.source },
      apiKey: { value: target.apiKey.value ? maskKey(target.apiKey.value) : null, source: target.apiKey.source },
      environment: target.environment,
      embedded: target.embedded,
      missingKey: target.missingKey ?? null,
      appId: { value: target.appId.value ?? null, source: target.appId.source },
      profiles,
    });
    return EXIT.ok;
  }
  writeLine(
    io.stdout,
    fieldLines([
      ['profile', `${target.profile.value} (${sourceText('profile', target.profile.source, target.profile.value)})`],
      ['api-url', `${url} (${sourceText('apiUrl', target.apiUrl.source, target.profile.value)})`],
      ['api-key', `${key}${target.apiKey.source === 'default' ? '' : ` (${sourceText('apiKey', target.apiKey.source, target.profile.value)})`}${target.missingKey ? io.out.yellow(`: ${target.missingKey}; requests exit 3`) : ''}`],
      ['environment', target.environment === 'live' ? io.out.red(io.out.bold('LIVE')) : target.environment],
      ['app-id', target.appId.value ? `${target.appId.value} (${sourceText('appId', target.appId.source, target.profile.value)})` : '(not set: amps config set app-id ID, for re-link URLs)'],
      ['profiles', profiles.length ? profiles.map((p) => (p === target.profile.value ? `${p}*` : p)).join(', ') : '(none)'],
      ['file', configFile(io.env)],
    ]).join('\n'),
  );
  return EXIT.ok;
}

export function listCommand(state: CommandState, runF: Run<GlobalOptions> = run) {
  const command = new Command('list')
    .description('Show the effective configuration, each value with where it came from (the key masked)')
    .action(async (_o, cmd) => {
      state.exitCode = await runF(globalsOf(cmd), state.io, state.argv);
    });
  return withExamples(command, ['amps config list', 'amps config list --json']);
}
