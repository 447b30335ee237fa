// `amps schedules list|get|create|cancel`: /schedules, with the documented filters and pagination.
// One docs version answers GET /schedules with 501 NOT_IMPLEMENTED: amps says so in one line and
// lists from the devices' currentSchedule instead, saying that it did. Cancel is DELETE
// /schedules/{id}, inferred (the docs name no cancel route).

import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { oneOf, repeatable, wholeNumber } from '../../config/option-parsers.js';
import type { DeviceType } from '../../contract/devices.js';
import { EXIT, type ExitCode, listExitCode } from '../../contract/exit-codes.js';
import { SCHEDULABLE_TYPES, SCHEDULE_STATES, type ScheduleRecord } from '../../contract/schedules.js';
import { deviceTypeFromId, requireDeviceType } from '../../domain/device-types.js';
import { requireId } from '../../domain/ids.js';
import { recurrenceText } from '../../domain/schedule.js';
import { displayZone } from '../../domain/time.js';
import { ApiFailure, refuseKeyInBody, UsageError } from '../../errors/failures.js';
import { isRecord } from '../../lib/values.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, startJsonList, writeJson, writeLine, writeNotice } from '../../output/io.js';
import { formatTable } from '../../output/table.js';
import { leftOutText, show } from '../../output/text.js';
import { timeText } from '../../output/views.js';
import { announceWrite, type Session, withSession } from '../../session/connect.js';
import { whereSuffix } from '../../config/resolve.js';
import { otherLiveSchedules, pendingWarning, prepareSlots, readSlots, reportScheduleChanges, scheduleClock, scheduleLines, scheduleZone, writeDryRunNotices, writeOtherSchedules, writePreview } from '../schedule/slots.js';

export interface SchedulesOptions extends GlobalOptions {
  verb: 'list' | 'get' | 'create' | 'cancel';
  id?: string;
  device?: string;
  deviceType?: string;
  state?: string;
  user?: string;
  limit?: number;
  offset?: number;
  all?: boolean;
  slot?: string[];
  daily?: boolean;
  tz?: string;
  dryRun?: boolean;
  preflight?: boolean;
}

/** When GET /schedules is not implemented: each schedulable device's currentSchedule, from list pages. */
async function fromDevices(session: Session, options: SchedulesOptions, io: IO): Promise<Array<Record<string, unknown>>> {
  const { listDevices, listPages } = await import('../../api/resources.js');
  const found: Array<Record<string, unknown>> = [];
  for (const type of SCHEDULABLE_TYPES) {
    const onCapped = (_next: number, why: string) => writeNotice(io, options.json, `stopped reading ${type} devices ${why}; the list is incomplete`);
    for await (const page of listPages((offset) => listDevices(session.client, type, { limit: 50, offset, userId: options.user }), { onCapped })) {
      for (const device of page.items) {
        const schedule = device.currentSchedule;
        if (!isRecord(schedule) || typeof schedule.scheduleId !== 'string') continue;
        if (options.device && device.id !== options.device) continue;
        if (options.state && schedule.state !== options.state) continue;
        found.push({ id: schedule.scheduleId, deviceId: device.id, state: schedule.state, timezone: schedule.timezone ?? null, recurrence: schedule.recurrence ?? null, nextFireAt: schedule.nextFireAt ?? null });
      }
    }
  }
  return found;
}

async function list(session: Session, options: SchedulesOptions, io: IO): Promise<ExitCode> {
  const { listPages, listSchedules } = await import('../../api/resources.js');
  const query = { deviceId: options.device, state: options.state, userId: options.user, limit: options.limit ?? 50 };
  let items: Array<Record<string, unknown>> = [];
  // What the pages held, items that were no object included: where the next page starts.
  let received = 0;
  let fallback = false;
  let pagination: Record<string, unknown> | null = null;
  /** Set when --all stopped before the list's end: the list is not complete, whatever the last page said. */
  let cut = false;
  try {
    const onCapped = (next: number, why: string) => {
      cut = true;
      writeNotice(io, options.json, `--all stopped ${why}; more remain (the next offset is ${next})`);
    };
    for await (const page of listPages((offset) => listSchedules(session.client, { ...query, offset }), { offset: options.offset, onCapped })) {
      items.push(...(page.items as unknown as Array<Record<string, unknown>>));
      received += page.received ?? page.items.length;
      pagination = isRecord(page.pagination) ? page.pagination : null;
      if (!options.all) break;
    }
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.decoded.code !== 'NOT_IMPLEMENTED') throw error;
    fallback = true;
    // One notice (a JSON line with --json, as every notice there is).
    if (!options.quiet) writeNotice(io, options.json, `the API does not list schedules here (501 NOT_IMPLEMENTED, as one version of the docs says); listed from the devices' currentSchedule instead, which may be incomplete: a device shows one schedule at most (a pending action in its place), and only ${SCHEDULABLE_TYPES.join(' and ')} devices are read. amps schedules get ID reads any one.`);
    items = await fromDevices(session, options, io);
  }
  const more = !options.all && pagination?.hasMore === true;
  const next = (options.offset ?? 0) + received;
  const leftOut = fallback ? '' : leftOutText(received, items.length, 'the pages', 'schedule');
  if (leftOut) writeNotice(io, options.json, leftOut);
  if (more && !options.quiet && !options.json) writeLine(io.stderr, io.err.dim(`${items.length} shown${typeof pagination?.total === 'number' ? ` of ${pagination.total}` : ''}; --offset ${next} shows the next page, --all reads every page`));
  if (options.json) {
    // Written item by item: --all's list is not cut at the 10,000 items of any other JSON value.
    const out = startJsonList(io, 'items');
    for (const item of items) out.add(item);
    out.end({ source: fallback ? 'devices' : 'schedules', complete: !fallback && !more && !cut, pagination: fallback ? null : pagination, environment: session.environment });
    return listExitCode(cut);
  }
  if (items.length === 0) {
    if (!options.quiet) writeLine(io.stderr, 'No schedules.');
    return listExitCode(cut);
  }
  const zone = displayZone(io.env);
  const text = (value: unknown) => (value === null || value === undefined ? '-' : show(String(value)));
  const rows = items.map((s) => [text(s.id), text(s.deviceId), text(s.state), text(recurrenceText(s.recurrence)), text(s.timezone), s.nextFireAt === null || s.nextFireAt === undefined ? '-' : timeText(s.nextFireAt, scheduleClock(s, zone))]);
  io.stdout.write(await formatTable(['id', 'device', 'state', 'repeats', 'zone', 'next fire'], rows, { tty: io.stdoutIsTTY, style: io.out, columns: io.columns }));
  return listExitCode(cut);
}

/** `zone`: the one to show a record without its own in; after a write, worked out before it (a bad AMPS_TZ must not fail a write that was made). */
function printSchedule(io: IO, session: Session, options: SchedulesOptions, record: ScheduleRecord, zone: string, extra: Record<string, unknown> = {}): void {
  if (options.json) writeJson(io, { ...record, ...extra, environment: session.environment });
  // As push -q gives the action's: id=$(amps schedules create … -q).
  else if (options.quiet) writeLine(io.stdout, show(record.id));
  else writeLine(io.stdout, scheduleLines(record, zone).join('\n'));
}

export async function run(options: SchedulesOptions, io: IO): Promise<ExitCode> {
  if (options.state !== undefined && !(SCHEDULE_STATES as readonly string[]).includes(options.state)) throw new UsageError(`--state takes ${SCHEDULE_STATES.join(', ')}, not '${options.state}'`);
  const id = options.id !== undefined ? requireId(options.id, 'schedule') : undefined;
  // An empty filter would be sent as none: every device's schedules, to an operator who named one.
  if (options.device !== undefined) requireId(options.device, 'device');
  if (options.user !== undefined) requireId(options.user, 'user');
  if (options.all && options.offset !== undefined) throw new UsageError('--all follows every page; it does not combine with --offset');
  const typed = options.verb === 'create' ? readSlots(options.slot) : [];
  let type: DeviceType | undefined;
  if (options.verb === 'create') {
    if (!options.device) throw new UsageError('name the device: --device ID');
    type = options.deviceType !== undefined ? requireDeviceType(options.deviceType) : deviceTypeFromId(options.device);
    if (!type && options.preflight !== false) throw new UsageError(`cannot tell the device type of '${options.device}' from its id`, 'add --device-type battery (or hvac), or --no-preflight');
  }
  const resources = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    if (options.verb === 'list') return list(session, options, io);
    if (options.verb === 'get') {
      printSchedule(io, session, options, (await resources.getSchedule(session.client, id!)).data, displayZone(io.env));
      return EXIT.ok;
    }
    if (options.verb === 'cancel') {
      const shownIn = displayZone(io.env);
      announceWrite(session, io, options);
      printSchedule(io, session, options, (await resources.cancelSchedule(session.client, id!)).data, shownIn);
      return EXIT.ok;
    }
    const device = options.preflight !== false && type ? (await resources.getDeviceForPreflight(session.client, type, options.device!)).data : undefined;
    const zone = scheduleZone(options.tz, io, device);
    const prepared = prepareSlots(typed, device, zone.name, io.now().getTime(), Boolean(options.daily));
    const body = {
      deviceId: options.device, timezone: zone.name, ...(options.daily ? { recurrence: { rule: 'daily' as const } } : {}),
      slots: prepared.slots.map(({ command, parameters, ...slot }) => ({ ...slot, action: { command, ...(parameters ? { parameters } : {}) } })),
    };
    // Before the preview and --dry-run show it; the client refuses to send it too.
    refuseKeyInBody(JSON.stringify(body));
    const warning = pendingWarning(device, 'schedule', undefined, whereSuffix(session.target, options));
    if (!options.quiet && !options.json) writePreview(io, prepared, zone, Boolean(options.daily), warning);
    if (options.dryRun) {
      if (options.json) writeDryRunNotices(io, prepared, warning);
      writeJson(io, body);
      if (!options.quiet && !options.json) writeLine(io.stderr, io.err.dim('dry run: nothing was sent (would POST /schedules)'));
      return EXIT.ok;
    }
    announceWrite(session, io, options);
    const { data } = await resources.createSchedule(session.client, body);
    const changed = reportScheduleChanges(io, options.json, body, data, { preview: prepared.preview, zone: zone.name });
    // The device's own schedule, or another made here, runs beside this one: said, as a set says it.
    const others = await otherLiveSchedules(session.client, type, options.device!, data.id);
    writeOtherSchedules(io, options, options.device!, others, whereSuffix(session.target, options));
    printSchedule(io, session, options, data, zone.name, { preview: prepared.preview, notes: prepared.notes, warning: warning ?? null, changed, alsoLive: others ?? null, timesReadIn: { zone: zone.name, source: zone.source } });
    return EXIT.ok;
  });
}

export function schedulesCommand(state: CommandState, runF: Run<SchedulesOptions> = run) {
  const act = (command: Command<any, any, any>, verb: SchedulesOptions['verb'], takesId: boolean) =>
    command.action(async (...args: any[]) => {
      const cmd = args.at(-1) as Command;
      const options = args.at(-2) as object;
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, verb, ...(takesId ? { id: args[0] as string } : {}) }, state.io, state.argv);
    });
  const list = act(
    new Command('list').description('List schedules (GET /schedules; from the devices when the API answers 501)')
      .option('--device <id>', 'only this device\'s')
      .addOption(new Option('--state <state>', SCHEDULE_STATES.join(', ')).argParser(oneOf('--state', SCHEDULE_STATES)))
      .option('--user <id>', 'only this user\'s (userId)')
      .addOption(new Option('--limit <n>', 'a page of at most this many (1-50, default 50)').argParser(wholeNumber('--limit', 1, 50)))
      .addOption(new Option('--offset <n>', 'skip this many').argParser(wholeNumber('--offset', 0, Number.MAX_SAFE_INTEGER)))
      .option('--all', 'every page'),
    'list', false,
  );
  const get = act(new Command('get').description('Show one schedule').argument('<id>', 'schedule id (sched_…)'), 'get', true);
  const create = act(
    new Command('create').description('Create a schedule for a device (POST /schedules): slots checked against it and previewed')
      .option('--device <id>', 'the device')
      .addOption(new Option('--device-type <type>', 'its type, when its id does not say (bat_, hvac_…)'))
      .option('--slot <slot>', "TIME/LENGTH COMMAND [flags], e.g. '01:00/5h charge --target 100%' (repeatable)", repeatable)
      .option('--daily', 'every day (else each slot fires once)')
      .option('--tz <zone>', 'the zone of the slot times (IANA); default AMPS_TZ, else the device\'s plant zone, else local')
      .addOption(new Option('--dry-run', 'check and preview; send nothing'))
      .option('--no-preflight', 'skip the read of the device and the checks against its commands map'),
    'create', false,
  );
  const cancel = act(new Command('cancel').description('Cancel a schedule (DELETE /schedules/{id}: the route is inferred)').argument('<id>', 'schedule id'), 'cancel', true);
  const schedules = new Command('schedules').description('Schedules across devices: list, get, create, cancel');
  withExamples(list, ['amps schedules list --state active', 'amps schedules list --device bat_voltaro_01 --json']);
  withExamples(get, ['amps schedules get sched_abc123']);
  withExamples(create, [
    "amps schedules create --device bat_voltaro_01 --slot '00:30/5h charge --target 100%' --daily --tz Europe/London",
    "amps schedules create --device hvac_thermia_01 --slot '06:30/2h heat --target 21c' --dry-run",
  ]);
  withExamples(cancel, ['amps schedules cancel sched_abc123']);
  for (const sub of [list, get, create, cancel]) schedules.addCommand(sub as unknown as Command);
  return withExamples(schedules, [
    'amps schedules list --state active',
    "amps schedules create --device bat_voltaro_01 --slot '00:30/5h charge --target 100%' --daily --tz Europe/London",
    'amps schedules cancel sched_abc123',
  ]);
}
