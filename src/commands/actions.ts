import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { duration, oneOf, wholeNumber } from '../config/option-parsers.js';
import { requireDeviceType } from '../domain/device-types.js';
import { EXIT, type ExitCode } from '../errors/exit-codes.js';
import { announceWrite, withSession } from '../session/connect.js';
import { displayZone } from '../domain/time.js';
import { requireId } from '../domain/ids.js';
import { followAction } from '../session/follow.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine } from '../output/io.js';
import { formatTable } from '../output/table.js';
import { show } from '../output/text.js';
import { parametersText, printAction, stateColour } from '../output/views.js';
import { ACTION_STATES } from '../contract/actions.js';

export interface ActionsListOptions extends GlobalOptions {
  device?: string;
  state?: string;
  type?: string;
  user?: string;
  limit?: number;
  offset?: number;
}

export interface ActionOptions extends GlobalOptions {
  id: string;
  waitTimeout?: number;
}

export async function runList(options: ActionsListOptions, io: IO): Promise<ExitCode> {
  const deviceType = options.type ? requireDeviceType(options.type) : undefined;
  if (options.device !== undefined) requireId(options.device, 'device');
  const { listActions } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    const { data } = await listActions(session.client, {
      deviceId: options.device, state: options.state, deviceType, userId: options.user, limit: options.limit, offset: options.offset,
    });
    if (options.json) {
      writeJson(io, { ...data, environment: session.environment });
      return EXIT.ok;
    }
    const rows = data.items.map((a) => [show(a.id), `${show(a.deviceType)} ${show(a.deviceId)}`, show(a.command), parametersText(a.parameters), stateColour(show(a.state), io.out), show(a.start), show(a.end), show(a.createdAt)]);
    io.stdout.write(await formatTable(['action', 'device', 'command', 'parameters', 'state', 'start', 'end', 'created'], rows, { tty: io.stdoutIsTTY, style: io.out }));
    const total = data.pagination?.total;
    if (!options.quiet && total !== undefined) writeLine(io.stderr, io.err.dim(`${data.items.length} of ${total} action${total === 1 ? '' : 's'}, newest first`));
    return EXIT.ok;
  });
}

export async function runGet(options: ActionOptions, io: IO): Promise<ExitCode> {
  requireId(options.id, 'action');
  const { getAction } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    printAction((await getAction(session.client, options.id)).data, io, { ...options, zone: displayZone(io.env), extra: { environment: session.environment } });
    return EXIT.ok;
  });
}

export async function runCancel(options: ActionOptions, io: IO): Promise<ExitCode> {
  requireId(options.id, 'action');
  const { cancelAction } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    announceWrite(session, io, options);
    const { data } = await cancelAction(session.client, options.id);
    printAction(data, io, { ...options, zone: displayZone(io.env), extra: { environment: session.environment } });
    if (!options.json && !options.quiet) writeLine(io.stderr, `Cancelled ${data.id}.`);
    return EXIT.ok;
  });
}

export async function runWait(options: ActionOptions, io: IO): Promise<ExitCode> {
  requireId(options.id, 'action');
  return withSession(options, io, (session) =>
    followAction(session.client, options.id, { io, json: options.json, quiet: options.quiet, timeoutMs: options.waitTimeout, zone: displayZone(io.env), extra: { environment: session.environment } }),
  );
}

export function actionsCommand(state: CommandState) {
  const actions = new Command('actions').description('List, inspect, cancel and follow actions');
  const list = new Command('list')
    .description('List actions, newest first')
    .option('--device <id>', 'only this device')
    .addOption(new Option('--state <state>', 'only actions in this state').choices(ACTION_STATES).argParser(oneOf('--state', ACTION_STATES)))
    .option('--type <type>', 'only this device type')
    .option('--user <id>', 'only this end user')
    .addOption(new Option('--limit <n>', '1-50 (default 10)').argParser(wholeNumber('--limit', 1, 50)))
    .addOption(new Option('--offset <n>', 'skip this many').argParser(wholeNumber('--offset', 0, Number.MAX_SAFE_INTEGER)))
    .action(async (options, cmd) => {
      state.exitCode = await runList({ ...globalsOf(cmd), ...options }, state.io);
    });
  const get = new Command('get')
    .description('Show one action')
    .argument('<id>', 'action id')
    .action(async (id, _options, cmd) => {
      state.exitCode = await runGet({ ...globalsOf(cmd), id }, state.io);
    });
  const cancel = new Command('cancel')
    .description('Cancel a scheduled action (one already dispatched cannot be recalled)')
    .argument('<id>', 'action id')
    .action(async (id, _options, cmd) => {
      state.exitCode = await runCancel({ ...globalsOf(cmd), id }, state.io);
    });
  const wait = new Command('wait')
    .description('Follow an action until it completes (exit 0), fails (its code\'s exit code) or is cancelled (5)')
    .argument('<id>', 'action id')
    .addOption(new Option('--wait-timeout <duration>', 'give up after this long (default 10m)').argParser(duration('--wait-timeout', 24 * 86_400_000)))
    .action(async (id, options, cmd) => {
      state.exitCode = await runWait({ ...globalsOf(cmd), ...options, id }, state.io);
    });
  withExamples(list, ['amps actions list --device bat_voltaro_01 --state scheduled', 'amps actions list --json | jq ".items[].id"']);
  withExamples(get, ['amps actions get act_19b5e0c2a10000001']);
  withExamples(cancel, ['amps actions cancel act_19b5e0c2a10000001']);
  withExamples(wait, ['amps actions wait act_19b5e0c2a10000001 --wait-timeout 2m']);
  for (const sub of [list, get, cancel, wait]) actions.addCommand(sub as unknown as Command);
  return withExamples(actions, ['amps actions list', 'amps actions wait ACTION_ID']);
}
