import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { checkSettings } from '../domain/capabilities.js';
import { pathSegment, requireDeviceType, WITH_SETTINGS } from '../domain/device-types.js';
import { parseQuantity } from '../domain/quantity.js';
import { preflightError } from '../errors/decode.js';
import { EXIT, type ExitCode } from '../errors/exit-codes.js';
import { PreflightError, UsageError } from '../errors/failures.js';
import { withSession } from '../session/connect.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine } from '../output/io.js';
import { show } from '../output/text.js';
import { settingsTable } from '../output/views.js';
import type { DeviceRead, Quantity } from '../contract/devices.js';

export interface SettingsOptions extends GlobalOptions {
  type: string;
  id: string;
  assignments: string[];
  preflight?: boolean;
}

interface Assignment {
  name: string;
  value: number;
  unit?: string;
  text: string;
}

function parseAssignments(pairs: string[]): Assignment[] {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`'${pair}' is not NAME=VALUE`, 'e.g. safety_reserve=20%');
    const name = pair.slice(0, eq).trim();
    const parsed = parseQuantity(pair.slice(eq + 1));
    if (!parsed) throw new UsageError(`${name}: '${pair.slice(eq + 1)}' is not a quantity`, 'write a number and a unit, e.g. 20%, 7kw, 3680w, 16a');
    return { name, value: parsed.value, unit: parsed.unit, text: pair };
  });
}

function bodyFrom(assignments: Assignment[], device: DeviceRead | undefined): Record<string, Quantity> {
  const body: Record<string, Quantity> = {};
  for (const a of assignments) {
    if (body[a.name]) throw new UsageError(`${a.name} is set twice`);
    const unit = a.unit ?? device?.settings?.[a.name]?.unit;
    if (!unit) throw new UsageError(`${a.text} needs a unit`, 'e.g. safety_reserve=20%');
    body[a.name] = { value: a.value, unit };
  }
  return body;
}

export async function run(options: SettingsOptions, io: IO): Promise<ExitCode> {
  const type = requireDeviceType(options.type, WITH_SETTINGS);
  const assignments = parseAssignments(options.assignments);
  const { getDevice, updateSettings } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    const needsRead = assignments.length === 0 || options.preflight !== false;
    const device = needsRead ? (await getDevice(session.client, type, options.id)).data : undefined;
    if (assignments.length === 0) {
      if (options.json) writeJson(io, device!.settings ?? {});
      else io.stdout.write(await settingsTable(device!.settings ?? {}, io));
      return EXIT.ok;
    }
    const body = bodyFrom(assignments, device);
    if (device) {
      const violation = checkSettings(body, device.settings ?? {});
      if (violation) throw new PreflightError(preflightError(violation.code, violation.details));
    }
    const { data } = await updateSettings(session.client, type, options.id, body);
    if (options.json) writeJson(io, data);
    else if (!options.quiet) writeLine(io.stdout, `Updated ${data.updated.map(show).join(', ')} on ${pathSegment(type)} ${show(data.deviceId)}`);
    return EXIT.ok;
  });
}

export function settingsCommand(state: CommandState) {
  const command = new Command('settings')
    .description('Show a device\'s settings, or change them (checked against its settings map first)')
    .argument('<type>', 'battery or ev-charger')
    .argument('<id>', 'device id')
    .argument('[assignments...]', 'NAME=VALUE with a unit, e.g. safety_reserve=20%')
    .option('--no-preflight', 'skip the check against the device\'s settings map')
    .action(async (type, id, assignments, options, cmd) => {
      state.exitCode = await run({ ...globalsOf(cmd), ...options, type, id, assignments }, state.io);
    });
  return withExamples(command, [
    'amps settings battery bat_voltaro_01',
    'amps settings battery bat_voltaro_01 safety_reserve=20% charge_ceiling=95%',
    'amps settings ev-charger ev_wallbox_01 max_charge_rate=7kw --json',
  ]);
}
