// `amps actions get ID`: one action, times in the display zone with their UTC instant.

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { requireId } from '../../domain/ids.js';
import { displayZone } from '../../domain/time.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import type { CommandState, IO, Run } from '../../output/io.js';
import { printAction } from '../../output/views.js';
import { withSession } from '../../session/connect.js';

export interface ActionOptions extends GlobalOptions {
  id: string;
}

export async function run(options: ActionOptions, io: IO): Promise<ExitCode> {
  requireId(options.id, 'action');
  const { getAction } = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    printAction((await getAction(session.client, options.id)).data, io, { ...options, zone: displayZone(io.env), extra: { environment: session.environment } });
    return EXIT.ok;
  });
}

export function getCommand(state: CommandState, runF: Run<ActionOptions> = run) {
  const command = new Command('get')
    .description('Show one action')
    .argument('<id>', 'action id')
    .action(async (id, _options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), id }, state.io, state.argv);
    });
  return withExamples(command, ['amps actions get act_19b5e0c2a10000001']);
}
