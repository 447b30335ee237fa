// `amps actions wait ID`: follow an action to its end (exit 10 if it is still pending then).

import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf } from '../../config/globals.js';
import { duration } from '../../config/option-parsers.js';
import { normaliseDeviceType } from '../../domain/device-types.js';
import { requireId } from '../../domain/ids.js';
import { displayZone } from '../../domain/time.js';
import type { ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import type { CommandState, IO, Run } from '../../output/io.js';
import { relinkFor, withSession } from '../../session/connect.js';
import { followAction } from '../../session/follow.js';
import { whereSuffix } from '../../config/resolve.js';
import type { ActionOptions } from './get.js';

export interface WaitOptions extends ActionOptions {
  waitTimeout?: number;
}

export async function run(options: WaitOptions, io: IO): Promise<ExitCode> {
  requireId(options.id, 'action');
  return withSession(options, io, (session) =>
    followAction(session.client, options.id, {
      io, json: options.json, quiet: options.quiet, timeoutMs: options.waitTimeout, zone: displayZone(io.env), extra: { environment: session.environment },
      relink: (action) => relinkFor(session, normaliseDeviceType(action.deviceType)), where: whereSuffix(session.target, options),
    }),
  );
}

export function waitCommand(state: CommandState, runF: Run<WaitOptions> = run) {
  const command = new Command('wait')
    .description('Follow an action until it completes (exit 0), fails (its code\'s exit code) or is cancelled (5); exit 10 if still pending when the wait ends')
    .argument('<id>', 'action id')
    .addOption(new Option('--wait-timeout <duration>', 'give up after this long (default 10m)').argParser(duration('--wait-timeout', 24 * 86_400_000)))
    .action(async (id, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, id }, state.io, state.argv);
    });
  return withExamples(command, ['amps actions wait act_19b5e0c2a10000001 --wait-timeout 2m']);
}
