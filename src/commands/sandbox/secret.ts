// `amps sandbox secret`: the sandbox's webhook signing secret, for a handler's configuration or a
// script (stripe-cli #472: no way to get it non-interactively). The one command that prints it.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { withSession } from '../../session/connect.js';
import { sandboxSigningSecret } from '../../session/sandbox-routes.js';

export async function run(options: GlobalOptions, io: IO): Promise<ExitCode> {
  return withSession(options, io, async (session) => {
    const { data } = await sandboxSigningSecret(session, 'the webhook secret');
    if (options.json) writeJson(io, { secret: data.secret });
    else writeLine(io.stdout, data.secret);
    return EXIT.ok;
  });
}

export function secretCommand(state: CommandState, runF: Run<GlobalOptions> = run) {
  const command = new Command('secret')
    .description('Print the sandbox\'s webhook signing secret (whsec_…), embedded or served')
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps sandbox secret > secret.txt', 'WEBHOOK_SECRET=$(amps sandbox secret) node handler.js']);
}
