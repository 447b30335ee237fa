import { Command, Option } from '@commander-js/extra-typings';
import type { ApiClient } from '../api/client.js';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { wholeNumber } from '../config/option-parsers.js';
import { pathSegment, requireDeviceType } from '../domain/device-types.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { UsageError } from '../errors/failures.js';
import { requireId } from '../domain/ids.js';
import { withSession } from '../session/connect.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine, type Run } from '../output/io.js';
import { formatTable } from '../output/table.js';
import { show } from '../output/text.js';
import { currentMode, mainReading, syncText } from '../output/views.js';
import { type DeviceRead, DEVICE_TYPES, type DeviceType } from '../contract/devices.js';

export interface DevicesOptions extends GlobalOptions {
  type?: string;
  limit?: number;
  offset?: number;
  all?: boolean;
  user?: string;
}

const PAGE_MAX = 50;

interface Listed {
  type: DeviceType;
  device: DeviceRead;
}

/** One type's devices, and the API's pagination object of the last page read (kept whole for --json). */
async function listType(client: ApiClient, type: DeviceType, options: DevicesOptions, io: IO): Promise<{ items: Listed[]; total: number; pagination: unknown }> {
  const { listDevices, listPages, MAX_LIST_PAGES } = await import('../api/resources.js');
  const items: Listed[] = [];
  let total = 0;
  let pagination: unknown = null;
  const limit = options.all ? PAGE_MAX : options.limit ?? PAGE_MAX;
  const onCapped = (next: number) => writeLine(io.stderr, io.err.yellow(`amps: --all stopped after ${MAX_LIST_PAGES} pages of ${type} devices; more remain (the next offset is ${next})`));
  for await (const page of listPages((offset) => listDevices(client, type, { limit, offset, userId: options.user }), { offset: options.offset, onCapped })) {
    items.push(...page.items.map((device) => ({ type, device })));
    pagination = page.pagination ?? null;
    total = page.pagination?.total ?? items.length;
    if (!options.all) break;
  }
  return { items, total, pagination };
}

export async function run(options: DevicesOptions, io: IO): Promise<ExitCode> {
  const types = options.type ? [requireDeviceType(options.type)] : [...DEVICE_TYPES];
  if (options.user !== undefined) requireId(options.user, 'user');
  if (options.all && (options.limit !== undefined || options.offset !== undefined)) {
    throw new UsageError('--all follows every page; it does not combine with --limit or --offset');
  }
  return withSession(options, io, async (session) => {
    const results = await Promise.all(types.map((type) => listType(session.client, type, options, io)));
    const listed = results.flatMap((r) => r.items);
    const total = results.reduce((sum, r) => sum + r.total, 0);
    if (options.json) {
      // The API's pagination object, whole, per type (the last page read with --all).
      const pagination = Object.fromEntries(types.map((type, i) => [type, results[i].pagination]));
      writeJson(io, { items: listed.map(({ type, device }) => ({ deviceType: type, ...device })), total, pagination, environment: session.environment });
      return EXIT.ok;
    }
    const rows = listed.map(({ type, device }) => [
      show(device.id), pathSegment(type), show(device.vendor), show(device.metadata?.model), show(device.state?.status ?? '-'),
      mainReading(type, device.state ?? {}), currentMode(type, device.state ?? {}), syncText(device),
    ]);
    io.stdout.write(await formatTable(['id', 'type', 'vendor', 'model', 'status', 'reading', 'mode', 'sync'], rows, { tty: io.stdoutIsTTY, style: io.out }));
    if (!options.quiet) {
      const more = total > listed.length ? ` of ${total} (--all shows every page)` : '';
      writeLine(io.stderr, io.err.dim(`${listed.length} device${listed.length === 1 ? '' : 's'}${more}`));
    }
    return EXIT.ok;
  });
}

export function devicesCommand(state: CommandState, runF: Run<DevicesOptions> = run) {
  const command = new Command('devices')
    .description('List devices: id, type, vendor, model, status, main reading, current mode, sync')
    .argument('[type]', 'only this type (battery, ev-charger, hvac, solar-inverter, vehicle)')
    .addOption(new Option('--limit <n>', `devices per type, 1-${PAGE_MAX} (default ${PAGE_MAX})`).argParser(wholeNumber('--limit', 1, PAGE_MAX)))
    .addOption(new Option('--offset <n>', 'skip this many per type').argParser(wholeNumber('--offset', 0, Number.MAX_SAFE_INTEGER)))
    .option('--all', 'follow every page')
    .option('--user <id>', 'only devices of this end user')
    .action(async (type, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, type }, state.io, state.argv);
    });
  return withExamples(command, ['amps devices', 'amps devices battery --all', 'amps devices ev-charger --user user_alba --json']);
}
