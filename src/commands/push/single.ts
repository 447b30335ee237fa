// `amps push TYPE ID COMMAND`: one device. Read the flags, read the device (the preflight), fit the
// body to it, send it once, resolve a 409 with consent, and report where the action went and any
// time the API moved.

import type { ActionRecord, PushBody } from '../../contract/actions.js';
import type { DeviceRead } from '../../contract/devices.js';
import type { GlobalOptions } from '../../config/globals.js';
import { conversionLine } from '../../domain/action.js';
import { CONTROLLABLE, pathSegment, requireDeviceType } from '../../domain/device-types.js';
import { requireId } from '../../domain/ids.js';
import { describeInstant } from '../../domain/time.js';
import { preflightError } from '../../errors/decode.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { ApiFailure, PreflightError, UsageError } from '../../errors/failures.js';
import { canPrompt, type IO, writeJson, writeLine } from '../../output/io.js';
import { suggestedCommand } from '../../output/text.js';
import { printAction, stateColour } from '../../output/views.js';
import { announceWrite, withSession } from '../../session/connect.js';
import { DEFAULT_WAIT_MS, followAction } from '../../session/follow.js';
import { movedLines, movedTimes, type PreparedPush, preflight, preparePush, type PushFlags, type PushInputs, readBodyFile, readPushInputs, refuseDirectiveOnLive, zoneFor } from './body.js';
import type { Strategy } from '../../contract/actions.js';

export interface SinglePushOptions extends GlobalOptions, PushFlags {
  type: string;
  id?: string;
  command?: string;
  body?: string;
  dryRun?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  preflight?: boolean;
  retry?: number;
}

/** The flags a rerun line never repeats: a sandbox rehearsal is not what resolves a conflict. */
const NOT_REPEATED = ['--on-conflict', '--simulate-failure', '--simulate-at'];

export function rerunLine(argv: string[], strategy: Strategy): string {
  return suggestedCommand(argv, NOT_REPEATED, ['--on-conflict', strategy]);
}

/** A raw --body as a prepared push: sent as is; its absolute times are what a moved check compares. */
function preparedFromRaw(body: PushBody, inputs: Pick<PushInputs, 'zone'>, device: DeviceRead | undefined): PreparedPush {
  const instant = (text: string | undefined) => (text !== undefined && /(Z|[+-]\d{2}:?\d{2})$/i.test(text) && !Number.isNaN(Date.parse(text)) ? Date.parse(text) : undefined);
  return { body, zone: zoneFor(inputs, device), start: instant(body.action.start), end: instant(body.action.end), conversions: [], notes: [] };
}

/**
 * How amps read the typed values: the times in whose zone and the units it converted (shown by
 * --dry-run and --verbose), and what an operator must always hear (`now`, daylight saving).
 */
function preparationLines(prepared: PreparedPush, all: boolean): string[] {
  const lines: string[] = [];
  if (all) {
    if (prepared.start !== undefined) lines.push(`start ${describeInstant(prepared.start, prepared.zone.name)}`);
    if (prepared.end !== undefined) lines.push(`end   ${describeInstant(prepared.end, prepared.zone.name)}`);
    if (lines.length > 0) lines.push(`(times typed without a zone are read in ${prepared.zone.name}: ${prepared.zone.source})`);
    lines.push(...prepared.conversions.map((c) => conversionLine(c)));
  }
  return [...lines, ...prepared.notes];
}

export async function run(options: SinglePushOptions, io: IO, argv: string[] = []): Promise<ExitCode> {
  const type = requireDeviceType(options.type);
  if (options.id === undefined) throw new UsageError('name the device: amps push TYPE ID COMMAND');
  const deviceId = requireId(options.id, 'device');
  // Syntax first: a typo opens nothing and sends nothing.
  let inputs: PushInputs | undefined;
  let raw: PushBody | undefined;
  if (options.body !== undefined) {
    raw = await readBodyFile(options.body, io, options);
    inputs = { ...readPushInputs(raw.action.command, { tz: options.tz }, io.env) };
  } else {
    if (!options.command) throw new UsageError('name the command to push, e.g. charge, discharge, idle, auto.balanced', 'amps get TYPE ID lists what the device supports');
    inputs = readPushInputs(options.command, options, io.env);
  }
  if (options.preflight !== false && !CONTROLLABLE.includes(type)) {
    throw new PreflightError(preflightError('DIRECT_ACTION_UNSUPPORTED', { deviceType: type }));
  }
  const prepare = (device: DeviceRead | undefined) => (raw ? preparedFromRaw(raw, inputs!, device) : preparePush(inputs!, device, io.now().getTime()));
  const dryRun = (prepared: PreparedPush) => {
    writeJson(io, prepared.body);
    if (options.quiet) return EXIT.ok;
    for (const line of preparationLines(prepared, true)) writeLine(io.stderr, line);
    writeLine(io.stderr, io.err.dim(`dry run: nothing was sent (would POST /${pathSegment(type)}/${deviceId})`));
    return EXIT.ok;
  };
  if (options.dryRun && options.preflight === false) return dryRun(prepare(undefined));

  const { getDevice, pushAction } = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    refuseDirectiveOnLive(raw?.sandbox ?? inputs!.directive, session);
    const device = options.preflight !== false ? (await getDevice(session.client, type, deviceId)).data : undefined;
    const prepared = prepare(device);
    if (device) preflight(device, prepared.body, io.now());
    if (options.dryRun) return dryRun(prepared);
    if (!options.quiet) for (const line of preparationLines(prepared, Boolean(options.verbose))) writeLine(io.stderr, io.err.dim(line));
    announceWrite(session, io, options);
    const zone = prepared.zone.name;
    const send = async (body: PushBody) => (await pushAction(session.client, type, deviceId, body, options.retry)).data;

    let action: ActionRecord;
    try {
      action = await send(prepared.body);
    } catch (error) {
      if (!(error instanceof ApiFailure) || error.decoded.status !== 409) throw error;
      const { resolveConflict } = await import('../../conflict/resolve.js');
      const { waitForAction } = await import('../../api/wait.js');
      const outcome = await resolveConflict({
        decoded: error.decoded,
        io,
        client: session.client,
        interactive: canPrompt(io, options.input === false) && !options.json,
        json: Boolean(options.json),
        deviceStrategies: device?.conflictStrategies,
        zone,
        rerunLine: (strategy) => rerunLine(argv, strategy),
        resubmit: (strategy) => send({ ...prepared.body, ...(strategy ? { onConflict: strategy } : {}) }),
        waitFor: (id) => waitForAction(session.client, id, { signal: io.signal, timeoutMs: options.waitTimeout ?? DEFAULT_WAIT_MS }),
      });
      if (!outcome.action) return outcome.exitCode;
      action = outcome.action;
    }

    const moved = movedTimes(prepared, action);
    if (moved) for (const line of movedLines(moved, zone)) writeLine(io.stderr, io.err.yellow(line));
    const extra = { environment: session.environment, moved };
    if (options.wait) {
      if (!options.json && !options.quiet) writeLine(io.stderr, `Pushed ${action.command} to ${pathSegment(type)} ${deviceId}: ${stateColour(action.state, io.err)}; following it…`);
      return followAction(session.client, action.id, { io, json: options.json, quiet: options.quiet, timeoutMs: options.waitTimeout, zone, extra, initial: action });
    }
    printAction(action, io, { json: options.json, quiet: options.quiet, zone, extra });
    if (!options.json && !options.quiet) writeLine(io.stderr, io.err.dim(`Follow it: amps actions wait ${action.id}`));
    return EXIT.ok;
  });
}
