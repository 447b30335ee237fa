// `amps schedule get|set|clear TYPE ID`: the per-device schedule (PUT /battery/{id}/schedule,
// DELETE /hvac/{id}/schedule in the docs; the rest of both families by symmetry; the other
// families have none, refused here). `set` takes slots as an operator thinks of them, checks each
// against the device's commands map before sending, and previews the fire times in the zone and
// in UTC, across daylight-saving changes.

import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { repeatable } from '../../config/option-parsers.js';
import type { DeviceType } from '../../contract/devices.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { requestIdOf } from '../../contract/ids.js';
import { SCHEDULABLE_TYPES } from '../../contract/schedules.js';
import { pathSegment, requireDeviceType } from '../../domain/device-types.js';
import { requireId } from '../../domain/ids.js';
import { displayZone } from '../../domain/time.js';
import { ApiFailure, refuseKeyInBody, UsageError } from '../../errors/failures.js';
import { withExamples } from '../../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';
import { show } from '../../output/text.js';
import { announceWrite, withSession } from '../../session/connect.js';
import { whereSuffix } from '../../config/resolve.js';
import { otherLiveSchedules, pendingWarning, prepareSlots, readSlots, reportScheduleChanges, scheduleLines, scheduleZone, writeDryRunNotices, writeOtherSchedules, writePreview } from './slots.js';

export interface ScheduleOptions extends GlobalOptions {
  verb: 'get' | 'set' | 'clear';
  type?: string;
  id?: string;
  slot?: string[];
  daily?: boolean;
  tz?: string;
  dryRun?: boolean;
  preflight?: boolean;
}

function schedulable(text: string | undefined): DeviceType {
  const type = requireDeviceType(text ?? '');
  if (!(SCHEDULABLE_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`the docs show no schedule endpoint for ${pathSegment(type)}`, 'schedules are for battery and hvac; schedule a push instead: amps push … --start … --end …');
  }
  return type;
}

export async function run(options: ScheduleOptions, io: IO): Promise<ExitCode> {
  const type = schedulable(options.type);
  const id = requireId(options.id ?? '', 'device');
  const typed = options.verb === 'set' ? readSlots(options.slot) : [];
  const resources = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    /**
     * A clear leaves the device without a schedule only if none other is live on it: one made
     * through /schedules runs on, said (always, -q or not) and exit 5, as a state left unresolved.
     */
    const leftLive = (others: string[] | undefined): ExitCode => {
      sayOthers(others, others !== undefined);
      return others?.length ? EXIT.conflict : EXIT.ok;
    };
    const sayOthers = (others: string[] | undefined, always = false, after = '') => writeOtherSchedules(io, options, id, others, whereSuffix(session.target, options), { always, after });
    if (options.verb === 'get') {
      const { data } = await resources.getDeviceSchedule(session.client, type, id).catch(async (error: unknown) => {
        // The API's 404 speaks of a schedule id, which the operator never gave: say what it means here.
        if (error instanceof ApiFailure && error.decoded.code === 'NOT_FOUND' && !options.json) {
          const others = await otherLiveSchedules(session.client, type, id);
          writeLine(io.stderr, `${pathSegment(type)} ${show(id)} has no schedule of its own now (none was set, it was cleared, or a one-off one has run).`);
          sayOthers(others, false, others?.length ? `; amps schedules get ${show(others[0]!)} shows ${others.length === 1 ? 'it' : 'one'}` : '');
        }
        throw error;
      });
      if (options.json) writeJson(io, { ...data, environment: session.environment });
      else writeLine(io.stdout, scheduleLines(data, displayZone(io.env)).join('\n'));
      return EXIT.ok;
    }
    if (options.verb === 'clear') {
      announceWrite(session, io, options);
      let data: unknown;
      let meta: Record<string, unknown> = {};
      try {
        ({ data, meta } = await resources.clearDeviceSchedule(session.client, type, id));
      } catch (error) {
        // The API's 404 for a device with no schedule ("Schedule not found…"): what a clear asks
        // for is so already. Any other 404 (no such route on this API) is the failure it is.
        const noSchedule = error instanceof ApiFailure && error.decoded.code === 'NOT_FOUND' && /^Schedule not found/i.test(error.decoded.message);
        if (!noSchedule) throw error;
        const others = await otherLiveSchedules(session.client, type, id);
        // The answer's shape when it clears one ({deviceId, scheduleId, cleared}), its id null: one shape for scripts.
        if (options.json) writeJson(io, { deviceId: id, scheduleId: null, cleared: false, alsoLive: others ?? null, environment: session.environment, requestId: error.decoded.requestId ?? null });
        else if (!options.quiet || others?.length) writeLine(io.stderr, `${pathSegment(type)} ${show(id)} has no schedule of its own now: nothing to clear.`);
        return leftLive(others);
      }
      const others = await otherLiveSchedules(session.client, type, id);
      if (options.json) writeJson(io, { ...(data as object), alsoLive: others ?? null, environment: session.environment, requestId: requestIdOf(meta) });
      else if (!options.quiet || others?.length) writeLine(io.stderr, `Cleared the schedule of ${pathSegment(type)} ${show(id)}.`);
      return leftLive(others);
    }
    const device = options.preflight !== false ? (await resources.getDeviceForPreflight(session.client, type, id)).data : undefined;
    const zone = scheduleZone(options.tz, io, device);
    const prepared = prepareSlots(typed, device, zone.name, io.now().getTime(), Boolean(options.daily));
    const body = { timezone: zone.name, ...(options.daily ? { recurrence: { rule: 'daily' as const } } : {}), slots: prepared.slots };
    // Before the preview and --dry-run show it; the client refuses to send it too.
    refuseKeyInBody(JSON.stringify(body));
    const warning = pendingWarning(device, 'schedule', undefined, whereSuffix(session.target, options));
    if (!options.quiet && !options.json) writePreview(io, prepared, zone, Boolean(options.daily), warning);
    if (options.dryRun) {
      if (options.json) writeDryRunNotices(io, prepared, warning);
      writeJson(io, body);
      if (!options.quiet && !options.json) writeLine(io.stderr, io.err.dim(`dry run: nothing was sent (would PUT /${pathSegment(type)}/${id}/schedule)`));
      return EXIT.ok;
    }
    announceWrite(session, io, options);
    const { data, meta } = await resources.setDeviceSchedule(session.client, type, id, body);
    const changed = reportScheduleChanges(io, options.json, body, data, { preview: prepared.preview, zone: zone.name });
    // The set replaced the device's own schedule; one made through /schedules stays beside it.
    const others = await otherLiveSchedules(session.client, type, id, data.id);
    sayOthers(others);
    if (options.json) writeJson(io, { ...data, preview: prepared.preview, notes: prepared.notes, warning: warning ?? null, changed, alsoLive: others ?? null, timesReadIn: { zone: zone.name, source: zone.source }, environment: session.environment, requestId: requestIdOf(meta) });
    else if (options.quiet) writeLine(io.stdout, show(data.id));
    else writeLine(io.stdout, scheduleLines(data, zone.name).join('\n'));
    return EXIT.ok;
  });
}

export function scheduleCommand(state: CommandState, runF: Run<ScheduleOptions> = run) {
  const verb = (name: ScheduleOptions['verb'], description: string) =>
    new Command(name).description(description).argument('<type>', 'battery or hvac').argument('<id>', 'device id');
  const act = (command: Command<any, any, any>, name: ScheduleOptions['verb']) =>
    command.action(async (...args: any[]) => {
      const [type, id, options, cmd] = args as [string, string, object, Command];
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, verb: name, type, id }, state.io, state.argv);
    });
  const get = act(verb('get', 'Show a device\'s schedule: its slots and the next fire time'), 'get');
  const set = act(
    verb('set', 'Set a device\'s schedule (replacing any): slots checked against the device, fire times previewed')
      .option('--slot <slot>', "TIME/LENGTH COMMAND [--power|--target|--reserve Q] [--param N=V], e.g. '01:00/5h charge --target 100%' (repeatable)", repeatable)
      .option('--daily', 'every day (else each slot fires once, at its next time)')
      .option('--tz <zone>', 'the zone of the slot times (IANA); default AMPS_TZ, else the device\'s plant zone, else local')
      .addOption(new Option('--dry-run', 'check and preview; send nothing'))
      .option('--no-preflight', 'skip the read of the device and the checks against its commands map'),
    'set',
  );
  const clear = act(verb('clear', 'Clear a device\'s schedule'), 'clear');
  const schedule = new Command('schedule').description('A device\'s own schedule: get, set (slots checked and previewed), clear');
  withExamples(set, [
    "amps schedule set battery bat_voltaro_01 --slot '01:00/5h charge --target 100%' --slot '16:00/3h discharge --target 30%' --daily --tz Europe/London",
    "amps schedule set hvac hvac_thermia_01 --slot '06:30/2h heat --target 21c' --daily --dry-run",
  ]);
  withExamples(get, ['amps schedule get battery bat_voltaro_01', 'amps schedule get hvac hvac_thermia_01 --json']);
  withExamples(clear, ['amps schedule clear hvac hvac_thermia_01', 'amps schedule clear battery bat_voltaro_01 --json']);
  for (const sub of [get, set, clear]) schedule.addCommand(sub as unknown as Command);
  return withExamples(schedule, ['amps schedule get battery bat_voltaro_01', "amps schedule set battery bat_voltaro_01 --slot '01:00/5h charge --target 100%' --daily", 'amps schedule clear hvac hvac_thermia_01']);
}
