// `amps link url TYPE [--user EMAIL]`: the Link UI URL to send an end user who must (re-)link a
// device: the configured app id, the device type pre-selected, the user when known, and
// `sandbox=true` unless the key is live. The same URL the re-link errors print.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { requireDeviceType } from '../../domain/device-types.js';
import { externalUserRefProblem } from '../../domain/link.js';
import { UsageError } from '../../errors/failures.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { relinkFor, withSession } from '../../session/connect.js';

export interface LinkUrlOptions extends GlobalOptions {
  type?: string;
  user?: string;
}

export async function run(options: LinkUrlOptions, io: IO): Promise<ExitCode> {
  const type = requireDeviceType(options.type ?? '');
  if (options.user !== undefined) {
    const problem = externalUserRefProblem(options.user);
    if (problem) throw new UsageError(`--user ${problem}`, 'leave --user out and the Link UI gives the user an anonymous id');
  }
  return withSession(options, io, async (session) => {
    const link = relinkFor(session, type, options.user);
    if (!('url' in link)) throw new UsageError(session.target.appId.source === 'env' ? 'AMPS_APP_ID is set but empty, and the Link UI URL starts with the app id' : 'no app id is configured, and the Link UI URL starts with it', session.target.appId.source === 'env' ? 'give AMPS_APP_ID the id in https://auth.amps.ai/ID, or unset it to use the profile\'s app-id' : 'amps config set app-id ID (or AMPS_APP_ID): the id in https://auth.amps.ai/ID');
    if (options.json) writeJson(io, { url: link.url, deviceType: type, externalUserRef: options.user ?? null, sandbox: session.environment !== 'live' });
    else writeLine(io.stdout, link.url);
    return EXIT.ok;
  });
}

export function linkCommand(state: CommandState, runF: Run<LinkUrlOptions> = run) {
  const url = new Command('url')
    .description('Print the Link UI URL that (re-)links a device of this type: send it to the device\'s user')
    .argument('<type>', 'battery, ev-charger, hvac, solar-inverter or vehicle')
    .option('--user <email>', 'the user\'s email (externalUserRef), so the link joins their existing devices')
    .action(async (type, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, type }, state.io, state.argv);
    });
  const link = new Command('link').description('Link UI URLs for end users who must link or re-link a device');
  link.addCommand(withExamples(url, ['amps link url battery', 'amps link url ev-charger --user ada@example.com']) as unknown as Command);
  return withExamples(link, ['amps link url battery --user ada@example.com']);
}
