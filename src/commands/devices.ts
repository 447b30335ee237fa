import { Command, Option } from '@commander-js/extra-typings';
import type { ApiClient } from '../api/client.js';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { wholeNumber } from '../config/option-parsers.js';
import { pathSegment, requireDeviceType } from '../domain/device-types.js';
import { EXIT, type ExitCode, listExitCode } from '../contract/exit-codes.js';
import { UsageError } from '../errors/failures.js';
import { requireId } from '../domain/ids.js';
import { withSession } from '../session/connect.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, startJsonList, writeJson, writeLine, writeNotice, type Run } from '../output/io.js';
import { formatTable } from '../output/table.js';
import { leftOutText, show, truncate } from '../output/text.js';
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

/** Characters of a table cell: a server's long string would otherwise make every line of the table that wide. */
const CELL_MAX = 200;

interface TypeTally {
  count: number;
  total: number;
  /** Items the pages held that were no object, left out (objectItems). */
  omitted?: number;
  /** The API's pagination object of the last page read, whole (--json). */
  pagination: unknown;
  /** Set when --all stopped before the list's end (the page cap, an empty page that said more). */
  cut?: boolean;
}

/**
 * One type's devices, page by page (counted into `tally`), each page handed to `take` as it is read
 * and not kept: `--all` over a fleet of half a million devices (or a server's pages of megabytes)
 * holds one page at a time.
 */
async function eachPage(client: ApiClient, type: DeviceType, options: DevicesOptions, io: IO, take: (devices: DeviceRead[]) => void | Promise<void>, tally: TypeTally = { count: 0, total: 0, pagination: null }): Promise<TypeTally> {
  const { listDevices, listPages } = await import('../api/resources.js');
  const limit = options.all ? PAGE_MAX : options.limit ?? PAGE_MAX;
  const onCapped = (next: number, why: string) => {
    tally.cut = true;
    writeNotice(io, options.json, options.all ? `--all stopped reading ${type} devices ${why}; more remain (the next offset is ${next})` : `the ${type} devices page was not read: it came back ${why.replace(/^at a page /, 'as a page ')}`);
  };
  for await (const page of listPages((offset) => listDevices(client, type, { limit, offset, userId: options.user }), { offset: options.offset, onCapped })) {
    await take(page.items);
    tally.count += page.items.length;
    tally.omitted = (tally.omitted ?? 0) + (page.received ?? page.items.length) - page.items.length;
    tally.pagination = page.pagination ?? null;
    tally.total = page.pagination?.total ?? tally.count;
    // Once stdout is closed (`| head`), no page more is read: no one would see it.
    if (!options.all || io.outputClosed.aborted) break;
  }
  return tally;
}

/** Items of the pages that were no device: left out, and said (with --json, as a JSON notice on stderr). */
function leftOut(tallies: TypeTally[]): string {
  const kept = tallies.reduce((sum, t) => sum + t.count, 0);
  return leftOutText(kept + tallies.reduce((sum, t) => sum + (t.omitted ?? 0), 0), kept, 'the pages', 'device');
}

function rowOf(type: DeviceType, device: DeviceRead): string[] {
  return [
    show(device.id), pathSegment(type), show(device.vendor), show(device.metadata?.model), show(device.state?.status ?? '-'),
    mainReading(type, device.state ?? {}), currentMode(type, device.state ?? {}), syncText(device),
  ].map((cell) => truncate(cell, CELL_MAX));
}

export async function run(options: DevicesOptions, io: IO): Promise<ExitCode> {
  const types = options.type ? [requireDeviceType(options.type)] : [...DEVICE_TYPES];
  if (options.user !== undefined) requireId(options.user, 'user');
  if (options.all && (options.limit !== undefined || options.offset !== undefined)) {
    throw new UsageError('--all follows every page; it does not combine with --limit or --offset');
  }
  return withSession(options, io, async (session) => {
    // Per type read so far (all of them, but for a page that failed part-way with --all --json).
    const paginationOf = (tallies: TypeTally[]) => Object.fromEntries(tallies.map((tally, i) => [types[i], tally.pagination]));
    const totalOf = (tallies: TypeTally[]) => tallies.reduce((sum, t) => sum + t.total, 0);
    if (options.json && options.all) {
      // Every page: written as it is read, one type after another, so no list of them all is kept.
      const list = startJsonList(io, 'items');
      const tallies: TypeTally[] = [];
      const rest = () => ({ total: totalOf(tallies), pagination: paginationOf(tallies), environment: session.environment });
      try {
        for (const type of types) {
          // No type more once stdout is closed (`| head`): no one would see it.
          if (io.outputClosed.aborted) break;
          // Kept before the pages are read: a page failing part-way still counts what came before it.
          const tally: TypeTally = { count: 0, total: 0, pagination: null };
          tallies.push(tally);
          await eachPage(session.client, type, options, io, (page) => page.forEach((device) => list.add({ deviceType: type, ...device })), tally);
        }
      } catch (error) {
        // A page that could not be read: the document still ends, saying it is not the whole list; the error follows on stderr.
        list.end({ ...rest(), incomplete: true });
        throw error;
      }
      // A list --all stopped before its end is no whole list either.
      list.end({ ...rest(), ...(tallies.some((t) => t.cut) ? { incomplete: true } : {}) });
      const dropped = leftOut(tallies);
      if (dropped) writeNotice(io, true, dropped);
      return listExitCode(tallies.some((t) => t.cut));
    }
    if (options.all) return allAsTable(session.client, types, options, io);
    const perType: Array<Array<{ type: DeviceType; device: DeviceRead }>> = types.map(() => []);
    const rows: string[][][] = types.map(() => []);
    // One page a type, read at once.
    const tallies = await Promise.all(types.map((type, i) => eachPage(session.client, type, options, io, (page) => {
      // --json keeps the devices; the table keeps only its cells.
      if (options.json) perType[i]!.push(...page.map((device) => ({ type, device })));
      else rows[i]!.push(...page.map((device) => rowOf(type, device)));
    })));
    const total = totalOf(tallies);
    if (options.json) {
      // The API's pagination object, whole, per type.
      writeJson(io, { items: perType.flat().map(({ type, device }) => ({ deviceType: type, ...device })), total, pagination: paginationOf(tallies), environment: session.environment });
      const dropped = leftOut(tallies);
      if (dropped) writeNotice(io, true, dropped);
      return listExitCode(tallies.some((t) => t.cut));
    }
    const listed = rows.flat();
    io.stdout.write(await formatTable(TABLE_HEAD, listed, { tty: io.stdoutIsTTY, style: io.out, columns: io.columns }));
    if (!options.quiet) {
      // "--all" is named only when a page is left past this one (not for an --offset past the end).
      const left = tallies.some((t) => (options.offset ?? 0) + t.count + (t.omitted ?? 0) < t.total);
      const more = total > listed.length ? ` of ${total}${left ? ' (--all shows every page)' : ''}` : '';
      const dropped = leftOut(tallies);
      writeLine(io.stderr, io.err.dim(`${listed.length} device${listed.length === 1 ? '' : 's'}${more}${dropped ? `; ${dropped}` : ''}`));
    }
    return listExitCode(tallies.some((t) => t.cut));
  });
}

const TABLE_HEAD = ['id', 'type', 'vendor', 'model', 'status', 'reading', 'mode', 'sync'];
/** Rows a boxed table of `--all` holds before it is drawn (and the next begins): its widths need them all. */
const BOXED_ROWS = 1_000;

/**
 * `--all` as a table, one type after another, written as it is read: piped, each page's rows as
 * they come; on a terminal, a boxed table every BOXED_ROWS rows. Memory stays flat however many
 * pages the API has.
 */
async function allAsTable(client: ApiClient, types: DeviceType[], options: DevicesOptions, io: IO): Promise<ExitCode> {
  let held: string[][] = [];
  let written = 0;
  const tallies: TypeTally[] = [];
  const draw = async () => {
    if (held.length === 0) return;
    io.stdout.write(await formatTable(TABLE_HEAD, held, { tty: io.stdoutIsTTY, style: io.out, columns: io.columns }));
    written += held.length;
    held = [];
  };
  try {
    for (const type of types) {
      if (io.outputClosed.aborted) break;
      const tally: TypeTally = { count: 0, total: 0, pagination: null };
      tallies.push(tally);
      await eachPage(client, type, options, io, async (page) => {
        held.push(...page.map((device) => rowOf(type, device)));
        if (!io.stdoutIsTTY || held.length >= BOXED_ROWS) await draw();
      }, tally);
    }
  } finally {
    // The rows read before a page failed are shown too, above its error.
    await draw();
  }
  if (io.outputClosed.aborted) return EXIT.ok;
  const dropped = leftOut(tallies);
  if (!options.quiet) writeLine(io.stderr, io.err.dim(`${written} device${written === 1 ? '' : 's'}${dropped ? `; ${dropped}` : ''}`));
  return listExitCode(tallies.some((t) => t.cut));
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
