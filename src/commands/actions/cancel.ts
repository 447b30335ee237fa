// `amps actions cancel ID`: only a scheduled action can be; the write names its target.

import { Command } from '@commander-js/extra-typings';
import { globalsOf } from '../../config/globals.js';
import { requestIdOf } from '../../contract/ids.js';
import { requireId } from '../../domain/ids.js';
import { displayZone } from '../../domain/time.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeLine } from '../../output/io.js';
import { printAction } from '../../output/views.js';
import { announceWrite, withSession } from '../../session/connect.js';
import type { ActionOptions } from './get.js';

export async function run(options: ActionOptions, io: IO): Promise<ExitCode> {
  requireId(options.id, 'action');
  const { cancelAction } = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    // Worked out before the cancel: a bad AMPS_TZ must not fail (exit 2, "nothing was sent") a cancel that was made.
    const zone = displayZone(io.env);
    announceWrite(session, io, options);
    const { data, meta } = await cancelAction(session.client, options.id);
    printAction(data, io, { ...options, zone, extra: { environment: session.environment, requestId: requestIdOf(meta) } });
    if (!options.json && !options.quiet) writeLine(io.stderr, `Cancelled ${data.id}.`);
    return EXIT.ok;
  });
}

export function cancelCommand(state: CommandState, runF: Run<ActionOptions> = run) {
  const command = new Command('cancel')
    .description('Cancel a scheduled action (one already dispatched cannot be recalled)')
    .argument('<id>', 'action id')
    .action(async (id, _options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), id }, state.io, state.argv);
    });
  return withExamples(command, ['amps actions cancel act_19b5e0c2a10000001']);
}
