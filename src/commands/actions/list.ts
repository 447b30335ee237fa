// `amps actions list`: newest first, with the documented filters.

import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { oneOf, wholeNumber } from '../../config/option-parsers.js';
import { ACTION_STATES } from '../../contract/actions.js';
import { requireDeviceType } from '../../domain/device-types.js';
import { requireId } from '../../domain/ids.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine, writeNotice } from '../../output/io.js';
import { formatTable } from '../../output/table.js';
import { leftOutText, show } from '../../output/text.js';
import { parametersText, stateColour, tableTimeText } from '../../output/views.js';
import { withSession } from '../../session/connect.js';

export interface ListOptions extends GlobalOptions {
  device?: string;
  state?: string;
  type?: string;
  user?: string;
  limit?: number;
  offset?: number;
}

export async function run(options: ListOptions, io: IO): Promise<ExitCode> {
  const deviceType = options.type ? requireDeviceType(options.type) : undefined;
  if (options.device !== undefined) requireId(options.device, 'device');
  if (options.user !== undefined) requireId(options.user, 'user');
  const { listActions } = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    const { data } = await listActions(session.client, {
      deviceId: options.device, state: options.state, deviceType, userId: options.user, limit: options.limit, offset: options.offset,
    });
    if (options.json) {
      // `received` is amps' own count, not the API's page: said as a notice when items were left out.
      const { received, ...page } = data;
      writeJson(io, { ...page, environment: session.environment });
      const leftOut = leftOutText(received ?? data.items.length, data.items.length, 'the page', 'action');
      if (leftOut) writeNotice(io, true, leftOut);
      return EXIT.ok;
    }
    const rows = data.items.map((a) => [show(a.id), `${show(a.deviceType)} ${show(a.deviceId)}`, show(a.command), parametersText(a.parameters), stateColour(show(a.state), io.out), tableTimeText(a.start), tableTimeText(a.end), tableTimeText(a.createdAt)]);
    io.stdout.write(await formatTable(['action', 'device', 'command', 'parameters', 'state', 'start', 'end', 'created'], rows, { tty: io.stdoutIsTTY, style: io.out, columns: io.columns }));
    if (!options.quiet) {
      // The next page is named: actions has no --all (the list is the API's newest, which moves as it is read).
      const total = typeof data.pagination?.total === 'number' ? data.pagination.total : undefined;
      const received = data.received ?? data.items.length;
      const next = (options.offset ?? 0) + received;
      // The page's own word first: a total past what it holds is not "more" when hasMore says no.
      const more = typeof data.pagination?.hasMore === 'boolean' ? data.pagination.hasMore : total !== undefined && next < total;
      const counted = total !== undefined ? `${data.items.length} of ${total} action${total === 1 ? '' : 's'}` : `${data.items.length} shown`;
      const leftOut = leftOutText(received, data.items.length, 'the page', 'action');
      const omitted = leftOut ? ` (${leftOut})` : '';
      if (total !== undefined || more || omitted) writeLine(io.stderr, io.err.dim(`${counted}${omitted}, newest first${more && received > 0 ? `; --offset ${next} shows the next page` : ''}`));
    }
    return EXIT.ok;
  });
}

export function listCommand(state: CommandState, runF: Run<ListOptions> = run) {
  const command = new Command('list')
    .description('List actions, newest first')
    .option('--device <id>', 'only this device')
    .addOption(new Option('--state <state>', 'only actions in this state').choices(ACTION_STATES).argParser(oneOf('--state', ACTION_STATES)))
    .option('--type <type>', 'only this device type')
    .option('--user <id>', 'only this end user')
    .addOption(new Option('--limit <n>', '1-50 (default 10)').argParser(wholeNumber('--limit', 1, 50)))
    .addOption(new Option('--offset <n>', 'skip this many').argParser(wholeNumber('--offset', 0, Number.MAX_SAFE_INTEGER)))
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps actions list --device bat_voltaro_01 --state scheduled', 'amps actions list --json | jq ".items[].id"']);
}
