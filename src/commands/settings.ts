import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { requestIdOf } from '../contract/ids.js';
import { checkSettingNames, checkSettings } from '../domain/capabilities.js';
import { pathSegment, requireDeviceType, WITH_SETTINGS } from '../domain/device-types.js';
import { conversionLine, fitQuantities, type TypedQuantity } from '../domain/action.js';
import { requireId } from '../domain/ids.js';
import { parseQuantity } from '../domain/quantity.js';
import { preflightError } from '../errors/decode.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { PreflightError, UsageError } from '../errors/failures.js';
import { announceWrite, withSession } from '../session/connect.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine, type Run } from '../output/io.js';
import { setOwn } from '../lib/values.js';
import { show } from '../output/text.js';
import { settingsTable } from '../output/views.js';

export interface SettingsOptions extends GlobalOptions {
  type: string;
  id: string;
  assignments: string[];
  preflight?: boolean;
}

/** `safety_reserve=20%` pairs, syntax checked: name -> typed quantity. */
/** `NAME=VALUE` pairs: name -> the value as typed (read as a quantity once the name is known to be right). */
function parseAssignments(pairs: string[]): Record<string, string> {
  const typed: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`'${pair}' is not NAME=VALUE`, 'e.g. safety_reserve=20%');
    const name = pair.slice(0, eq).trim();
    if (!/^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(name)) throw new UsageError(`'${name}' is not a setting name`, 'e.g. safety_reserve, max_charge_rate');
    if (Object.hasOwn(typed, name)) throw new UsageError(`${name} is set twice`);
    setOwn(typed, name, pair.slice(eq + 1));
  }
  return typed;
}

function quantitiesOf(texts: Record<string, string>): Record<string, TypedQuantity> {
  const typed: Record<string, TypedQuantity> = {};
  for (const [name, text] of Object.entries(texts)) {
    const parsed = parseQuantity(text);
    if (!parsed) throw new UsageError(`${name}: '${text}' is not a quantity`, 'write a number and a unit, e.g. 20%, 7kw, 3680w, 16a (a bare number is read in the unit the device declares)');
    setOwn(typed, name, { ...parsed, text });
  }
  return typed;
}

export async function run(options: SettingsOptions, io: IO): Promise<ExitCode> {
  const type = requireDeviceType(options.type, WITH_SETTINGS);
  requireId(options.id, 'device');
  const assignments = parseAssignments(options.assignments);
  const { getDeviceSettings, updateSettings } = await import('../api/resources.js');
  return withSession(options, io, async (session) => {
    const needsRead = Object.keys(assignments).length === 0 || options.preflight !== false;
    const device = needsRead ? (await getDeviceSettings(session.client, type, options.id)).data : undefined;
    if (Object.keys(assignments).length === 0) {
      if (options.json) writeJson(io, { ...device!.settings, environment: session.environment });
      else io.stdout.write(await settingsTable(device!.settings ?? {}, io));
      return EXIT.ok;
    }
    if (device) {
      const named = checkSettingNames(Object.keys(assignments), device.settings ?? {});
      if (named) throw new PreflightError(preflightError(named.code, named.details));
    }
    // Units convert to what the device's settings map declares (export_limit=3kw sent as 3000 watts).
    const { values: body, conversions } = fitQuantities(quantitiesOf(assignments), device?.settings, (name) => name);
    if (!options.quiet && (options.verbose || !options.json)) for (const c of conversions) writeLine(io.stderr, io.err.dim(conversionLine(c, c.name)));
    if (device) {
      const violation = checkSettings(body, device.settings ?? {});
      if (violation) throw new PreflightError(preflightError(violation.code, violation.details));
    }
    announceWrite(session, io, options);
    const { data, meta } = await updateSettings(session.client, type, options.id, body);
    // What was sent, as converted (export_limit=3kw as 3000 watts), and the answer's request id.
    if (options.json) writeJson(io, { ...data, sent: body, environment: session.environment, requestId: requestIdOf(meta) });
    else if (!options.quiet) writeLine(io.stdout, `Updated ${data.updated.map(show).join(', ')} on ${pathSegment(type)} ${show(data.deviceId)}`);
    return EXIT.ok;
  });
}

export function settingsCommand(state: CommandState, runF: Run<SettingsOptions> = run) {
  const command = new Command('settings')
    .description('Show a device\'s settings, or change them (checked against its settings map first)')
    .argument('<type>', 'battery or ev-charger')
    .argument('<id>', 'device id')
    .argument('[assignments...]', 'NAME=VALUE with a unit, e.g. safety_reserve=20%')
    .option('--no-preflight', 'skip the check against the device\'s settings map')
    .action(async (type, id, assignments, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, type, id, assignments }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps settings battery bat_voltaro_01',
    'amps settings battery bat_voltaro_01 safety_reserve=20% charge_ceiling=95%',
    'amps settings ev-charger ev_wallbox_01 max_charge_rate=7kw --json',
  ]);
}
