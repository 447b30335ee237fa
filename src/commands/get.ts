import { Command, Option } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { pathSegment, requireDeviceType } from '../domain/device-types.js';
import { requireId } from '../domain/ids.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { withSession } from '../session/connect.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine, type Run } from '../output/io.js';
import { formatTable } from '../output/table.js';
import { fieldLines, show } from '../output/text.js';
import { bounded, isRecord, TEXT_BOUNDS } from '../lib/values.js';
import { rangeText, settingsTable, stateColour, timeText } from '../output/views.js';
import { recurrenceText } from '../domain/schedule.js';
import { displayZone } from '../domain/time.js';
import { commandsProblem, type DeviceRead, settingsProblem } from '../contract/devices.js';

export interface GetOptions extends GlobalOptions {
  type: string;
  id: string;
  expedite?: boolean;
}

/** A map from the response, as entries, whatever it really is (a hostile server may send anything). */
const entriesOf = (value: unknown): Array<[string, unknown]> => (isRecord(value) ? Object.entries(value) : []);
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

async function render(raw: DeviceRead, type: string, io: IO): Promise<void> {
  // A screenful of whatever arrived: every value is bounded and scrubbed (show) before it is printed.
  const device = bounded(raw, { ...TEXT_BOUNDS, items: 100 }) as DeviceRead;
  const s = io.out;
  const tty = io.stdoutIsTTY;
  const section = (title: string) => writeLine(io.stdout, `\n${s.bold(title)}`);
  writeLine(io.stdout, `${s.bold(show(device.id))}  ${type} · ${show(device.vendor)} ${show(device.metadata?.model)}`);
  writeLine(
    io.stdout,
    fieldLines([
      ['source', `${show(device.metadata?.source)}${device.metadata?.cacheType ? ` (${show(device.metadata.cacheType)} cache)` : ''}`],
      ['last pull', `${show(device.sync?.lastPulledAt)}${device.sync?.available === false ? s.yellow(' (sync unavailable: last known state)') : ''}`],
      // The clock a push's times typed without a zone are read on (as sent: checking the name would cost every read ICU's start).
      ['plant zone', show(device.metadata?.timeZone)],
    ]).join('\n'),
  );
  section('State');
  writeLine(io.stdout, fieldLines(entriesOf(device.state).map(([k, v]) => [show(k), show(v)] as const), '  ').join('\n'));
  const commandsTrouble = commandsProblem(device.commands);
  if (commandsTrouble) {
    // Shown as what it is, not as commands (a push's preflight refuses such a read).
    section('Commands');
    writeLine(io.stdout, `  not shown: the answer's ${commandsTrouble} (--json shows it as it came)`);
  } else if (isRecord(device.commands)) {
    section('Commands');
    const rows = entriesOf(device.commands).map(([name, spec]) => {
      const command = isRecord(spec) ? spec : {};
      const parameters = entriesOf(command.parameters).map(([p, ps]) => {
        const param = isRecord(ps) ? ps : {};
        return `${show(p)} (${[show(param.unit), rangeText(param as { min?: number; max?: number })].filter(Boolean).join(' ')})`;
      });
      return [show(name), parameters.join(', ') || '-', listOf(command.execution).map(show).join(', ')];
    });
    io.stdout.write(await formatTable(['command', 'parameters', 'execution'], rows, { tty, style: s, columns: io.columns }));
  }
  const settingsTrouble = settingsProblem(device.settings);
  if (settingsTrouble) {
    // Shown as what it is, not as settings (amps settings refuses such a read).
    section('Settings');
    writeLine(io.stdout, `  not shown: the answer's ${settingsTrouble} (--json shows it as it came)`);
  } else if (isRecord(device.settings)) {
    section('Settings');
    io.stdout.write(await settingsTable(device.settings, io));
  }
  if (device.conflictStrategies !== undefined) {
    section('Conflicts');
    const strategies = listOf(device.conflictStrategies);
    writeLine(io.stdout, `  strategies  ${strategies.length ? strategies.map(show).join(', ') : 'none'}`);
  }
  if (device.lastAction !== undefined || device.currentSchedule !== undefined) {
    section('Activity');
    const last = device.lastAction;
    writeLine(
      io.stdout,
      fieldLines(
        [
          ['last action', last ? `${show(last.id)} ${show(last.command)} ${stateColour(show(last.state), s)} (updated ${show(last.updatedAt)})` : 'none'],
          ['current schedule', device.currentSchedule ? currentScheduleText(device.currentSchedule, displayZone(io.env)) : 'none'],
        ],
        '  ',
      ).join('\n'),
    );
  }
}

/**
 * A device read's currentSchedule for people: its pending deferred action (id, command, state,
 * window) or its schedule (id, state, recurrence, next fire), times in `zone` and UTC. Any other
 * shape (the docs show it only as null) as it came.
 */
function currentScheduleText(current: Record<string, unknown>, zone: string): string {
  if (current.actionId !== undefined) {
    const window = current.start ? ` from ${timeText(current.start, zone)}${current.end ? ` to ${timeText(current.end, zone)}` : ''}` : '';
    return `action ${show(current.actionId)} ${show(current.command)} ${show(current.state)}${window}`;
  }
  if (current.scheduleId !== undefined) {
    const next = current.nextFireAt ? `, next fire ${timeText(current.nextFireAt, zone)}` : '';
    return `schedule ${show(current.scheduleId)} ${show(current.state)}, ${recurrenceText(current.recurrence)}${next}`;
  }
  return show(current);
}

export async function run(options: GetOptions, io: IO): Promise<ExitCode> {
  const type = requireDeviceType(options.type);
  requireId(options.id, 'device');
  const { getDevice } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    const { data } = await getDevice(session.client, type, options.id, options.expedite);
    if (options.json) writeJson(io, { ...data, environment: session.environment });
    else await render(data, pathSegment(type), io);
    return EXIT.ok;
  });
}

export function getCommand(state: CommandState, runF: Run<GetOptions> = run) {
  const command = new Command('get')
    .alias('inspect')
    .description('Show a device: state, commands with parameters and execution shapes, settings, conflict strategies, activity')
    .argument('<type>', 'battery, ev-charger, hvac, solar-inverter or vehicle')
    .argument('<id>', 'device id')
    .addOption(new Option('--expedite', 'ask for fresh state (1-minute cache instead of 15)'))
    .action(async (type, id, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, type, id }, state.io, state.argv);
    });
  return withExamples(command, ['amps get battery bat_voltaro_01', 'amps inspect hvac hvac_thermia_01 --expedite', 'amps get ev-charger ev_wallbox_01 --json | jq .state']);
}
