// `amps push TYPE ID COMMAND`: one device. Read the flags, read the device (the preflight), fit the
// body to it, send it once, resolve a 409 with consent, and report where the action went and any
// time the API moved.

import { readApiTime } from '../../contract/api-time.js';
import { requestIdOf } from '../../contract/ids.js';
import type { ActionRecord, PushBody } from '../../contract/actions.js';
import type { DeviceRead } from '../../contract/devices.js';
import { SCHEDULABLE_TYPES } from '../../contract/schedules.js';
import type { GlobalOptions } from '../../config/globals.js';
import { untypedTargetFlags, whereSuffix } from '../../config/resolve.js';
import { conversionLine, hasWallClockTime } from '../../domain/action.js';
import { pendingActionOf } from '../../domain/capabilities.js';
import { CONTROLLABLE, pathSegment, requireDeviceType } from '../../domain/device-types.js';
import { requireId } from '../../domain/ids.js';
import { apiRelativeMs, parseApiTime, plantZone } from '../../domain/time.js';
import { preflightError } from '../../errors/decode.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { ApiFailure, PreflightError, refuseKeyInBody, UsageError } from '../../errors/failures.js';
import { type IO, noPromptReason, writeChange, writeJson, writeLine } from '../../output/io.js';
import { claimStdinInputs } from '../../output/read.js';
import { shellQuote, suggestedCommand } from '../../output/text.js';
import { printAction, stateColour } from '../../output/views.js';
import { announceWrite, relinkFor, withSession } from '../../session/connect.js';
import { DEFAULT_WAIT_MS, followAction } from '../../session/follow.js';
import { pendingWarning } from '../schedule/slots.js';
import { timeArgs, type RunTimes } from './rerun.js';
import { movedLines, movedTimes, type PreparedPush, preflight, preflightStrategy, preparePush, type PushFlags, type PushInputs, readBodyFile, readPushInputs, refuseDirectiveOnLive, timeLines, writeTimeNote, type Zone, zoneFor } from './body.js';
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

/** The body a consented resend carries: without --simulate-failure's directive, which is a rehearsal of the 409, not of its resolution (as NOT_REPEATED). */
function resentBody(body: PushBody, rehearsed: boolean): PushBody {
  if (!rehearsed) return body;
  const { sandbox: _rehearsal, ...rest } = body;
  return rest;
}

/**
 * The command that resubmits this push with `strategy`. With `times` (a push of typed flags), its
 * time flags become the instants it used, so a rerun lands where this push would have.
 */
export function rerunLine(argv: string[], strategy: Strategy, times?: { at: boolean } & RunTimes, where: string[] = []): string {
  // `where`: what sends it where this push went, beyond the flags typed (untypedTargetFlags), as every printed follow-up carries.
  if (!times) return suggestedCommand(argv, NOT_REPEATED, [...where, '--on-conflict', strategy]);
  return suggestedCommand(argv, [...NOT_REPEATED, '--at', '--start', '--end'], [...timeArgs(times.at, times), ...where, '--on-conflict', strategy]);
}

/**
 * A raw --body as a prepared push: sent as is. Its times are placed as the API will read them
 * where amps can: an offset, or a naive time in the device's plant zone (when the preflight read
 * it). A naive one without the device is NaN: asked, but not placeable, so never reported as
 * moved; a relative one is placed once the API answers, after the action's createdAt.
 */
function preparedFromRaw(body: PushBody, zone: Zone, device: DeviceRead | undefined, now: Date): PreparedPush {
  // A dated time without an offset: read on the device's clock (a wall-clock time). Its spellings
  // are the API's (contract/api-time.ts), as are those of one with an offset.
  const naive = (text: string | null | undefined): text is string => typeof text === 'string' && readApiTime(text.trim())?.zoned === false;
  const wallClock = naive(body.action.start) || naive(body.action.end);
  // Only a body with such a time needs the plant zone (and ICU's zone data with it).
  const plant = wallClock ? plantZone(device) : undefined;
  const instant = (text: string | null | undefined) => {
    if (text === undefined || text === null) return undefined;
    const read = readApiTime(text.trim());
    if (read?.zoned) return read.instant;
    return read && plant ? parseApiTime(text, now, plant)?.getTime() ?? Number.NaN : Number.NaN;
  };
  // Sent as written all the same: a time the API does not read (decision 6, as its sandbox reads it:
  // years from 1970; the zone does not matter to whether it is one) is said, so that a dry run that
  // passes does not pass it for one the API will read.
  const unread = (['start', 'end'] as const).filter((key) => {
    const text = body.action[key];
    return typeof text === 'string' && parseApiTime(text, now, 'UTC') === undefined;
  });
  const notes = unread.map((key) => `--body's action.${key} '${String(body.action[key]).slice(0, 64)}' is no time the API reads (a date of the calendar, ISO with or without an offset; or a length such as 30m): sent as written, the API may refuse it`);
  // A time without a zone is read on the device's clock: by amps too when it knows it, else by the API alone, said so.
  if (wallClock && !plant) notes.push(`--body's times without a zone are read by the API on the device's clock, which amps ${device ? 'does not know (the device names no plant zone amps knows)' : 'did not read (--no-preflight)'}: sent as written, shown on no clock`);
  // A relative time (`30m`) counts from the API's now as it takes the push: placed after the action's createdAt once it answers (movedTimes).
  const relativeMs = (text: string | null | undefined) => (typeof text === 'string' ? apiRelativeMs(text) : undefined);
  const relative = { start: relativeMs(body.action.start), end: relativeMs(body.action.end) };
  return { body, zone, wallClock: plant !== undefined, start: instant(body.action.start), end: instant(body.action.end), relative, conversions: [], notes };
}

/**
 * How amps read the typed values: the times in whose zone and the units it converted (shown by
 * --dry-run and --verbose), and what an operator must always hear (`now`, daylight saving, and the
 * clock a time typed without a zone was read on, and why that one: the device's may not be it).
 */
function preparationLines(prepared: PreparedPush, all: boolean): string[] {
  const lines: string[] = [];
  if (all || prepared.wallClock) lines.push(...timeLines(prepared.start, prepared.end, prepared.zone, prepared.wallClock));
  if (all) lines.push(...prepared.conversions.map((c) => conversionLine(c)));
  return [...lines, ...prepared.notes];
}

export async function run(options: SinglePushOptions, io: IO, argv: string[] = []): Promise<ExitCode> {
  const type = requireDeviceType(options.type);
  if (options.id === undefined) throw new UsageError('name the device: amps push TYPE ID COMMAND');
  const deviceId = requireId(options.id, 'device');
  claimStdinInputs(io, options.apiKeyFile, [[`--body ${options.body}`, options.body]]);
  // Syntax first: a typo opens nothing and sends nothing.
  let inputs: PushInputs | undefined;
  let raw: PushBody | undefined;
  if (options.body !== undefined) {
    raw = await readBodyFile(options.body, io, options);
    // The body says what is sent: a command word beside it that says otherwise is a mistake to catch, not to drop.
    if (options.command !== undefined && options.command !== raw.action.command) {
      throw new UsageError(`the command '${options.command}' and the --body command '${raw.action.command}' differ; the body is sent as it is`, 'leave the command out with --body: amps push TYPE ID --body FILE');
    }
    // The body goes as written: a time in it without an offset is read by the API on the device's
    // clock, whatever --tz or AMPS_TZ say, so amps reads it there too and never claims another zone.
    if (options.tz !== undefined) {
      throw new UsageError('--tz does not apply to --body: the body is sent as written, and the API reads a time in it without an offset on the device\'s clock', 'write the offset into the body\'s times, e.g. "start": "2026-06-10T22:00-05:00"');
    }
    // AMPS_TZ does not apply to a body (above): not read, so not refused either.
    inputs = { ...readPushInputs(raw.action.command, {}, { ...io.env, AMPS_TZ: undefined }), zone: undefined };
  } else {
    if (!options.command) throw new UsageError('name the command to push, e.g. charge, discharge, idle, auto.balanced', 'amps get TYPE ID lists what the device supports');
    inputs = readPushInputs(options.command, options, io.env);
    // Without the preflight the device's plant zone is not read: a time on no one's clock in particular is not guessed.
    if (options.preflight === false && !inputs.zone && hasWallClockTime(inputs.times)) {
      throw new UsageError('a time without a zone is read on the device\'s clock, which --no-preflight does not read', 'add --tz ZONE (or set AMPS_TZ), or give the time with its offset: 2026-06-10T22:00+01:00');
    }
  }
  if (options.preflight !== false && !CONTROLLABLE.includes(type)) {
    throw new PreflightError(preflightError('DIRECT_ACTION_UNSUPPORTED', { deviceType: type }));
  }
  const prepare = (device: DeviceRead | undefined) => {
    const zone = zoneFor(inputs!, device, io.env);
    const prepared = raw ? preparedFromRaw(raw, zone, device, io.now()) : preparePush(inputs!, device, io.now().getTime(), zone);
    // Before anything shows it (--dry-run prints the body); the client refuses to send it too.
    refuseKeyInBody(JSON.stringify(prepared.body));
    return prepared;
  };
  const dryRun = (prepared: PreparedPush) => {
    writeJson(io, prepared.body);
    if (options.quiet) return EXIT.ok;
    // With --json stderr holds JSON alone: the preview is for people, the notes on the times are notices.
    if (options.json) {
      // Whose clock a time typed without a zone was read on: a sent push's result says it (timesReadIn); a dry run's is the body alone.
      if (prepared.wallClock) writeTimeNote(io, true, `times typed without a zone are read in ${prepared.zone.name}: ${prepared.zone.source}`);
      for (const note of prepared.notes) writeTimeNote(io, true, note);
      return EXIT.ok;
    }
    for (const line of preparationLines(prepared, true)) writeLine(io.stderr, line);
    writeLine(io.stderr, io.err.dim(`dry run: nothing was sent (would POST /${pathSegment(type)}/${deviceId})`));
    return EXIT.ok;
  };
  if (options.dryRun && options.preflight === false) return dryRun(prepare(undefined));

  const { getDeviceForPreflight, pushAction } = await import('../../api/resources.js');
  return withSession(options, io, async (session) => {
    refuseDirectiveOnLive(raw?.sandbox ?? inputs!.directive, session, raw?.sandbox ? `--body's "sandbox"` : undefined);
    const device = options.preflight !== false ? (await getDeviceForPreflight(session.client, type, deviceId)).data : undefined;
    const prepared = prepare(device);
    if (device) {
      preflight(device, prepared.body, io.now());
      preflightStrategy(device, prepared.body);
    }
    if (options.dryRun) return dryRun(prepared);
    // --verbose is for people: with it, --json's stderr has its lines too (as every --verbose's).
    if (options.json && !options.verbose) for (const note of prepared.notes) writeTimeNote(io, true, note);
    else if (!options.quiet) for (const line of preparationLines(prepared, Boolean(options.verbose))) writeLine(io.stderr, io.err.dim(line));
    // A scheduled or windowed push meets a pending action however far apart the windows are (the docs).
    const pending = prepared.start !== undefined && !options.quiet && !options.json ? pendingWarning(device, 'push', prepared.body.onConflict, whereSuffix(session.target, options)) : undefined;
    if (pending) writeLine(io.stderr, pending.startsWith('note:') ? io.err.dim(pending) : io.err.yellow(pending));
    announceWrite(session, io, options);
    const zone = prepared.zone.name;
    // The request id of the answer that accepted the push: what support asks for, in --json.
    let requestId: string | null = null;
    const send = async (body: PushBody) => {
      const response = await pushAction(session.client, type, deviceId, body, options.retry);
      requestId = requestIdOf(response.meta);
      return response.data;
    };

    let action: ActionRecord;
    try {
      action = await send(prepared.body);
    } catch (error) {
      // A conflict amps can resolve is a 409 whose code is a conflict's (exit 5); any other code a
      // 409 carries (one not in the catalogue, DEVICE_OFFLINE) is reported with its own exit code, and no strategy is offered for it.
      if (!(error instanceof ApiFailure) || error.decoded.status !== 409 || error.decoded.exitCode !== EXIT.conflict) throw error;
      const { resolveConflict } = await import('../../conflict/resolve.js');
      const notAsking = noPromptReason(io, options);
      const { waitForAction } = await import('../../api/wait.js');
      const outcome = await resolveConflict({
        decoded: error.decoded,
        io,
        client: session.client,
        interactive: notAsking === undefined,
        notAsking,
        json: Boolean(options.json),
        deviceStrategies: device?.conflictStrategies,
        pendingAction: pendingActionOf(device),
        zone,
        scheduleClear: (SCHEDULABLE_TYPES as readonly string[]).includes(type) ? `amps schedule clear ${pathSegment(type)} ${shellQuote(deviceId)}` : undefined,
        rerunLine: (strategy) => rerunLine(argv, strategy, raw ? undefined : { at: inputs!.times.at !== undefined, start: prepared.start, end: prepared.end, zone }, untypedTargetFlags(session.target, options)),
        resubmit: (strategy) => send({ ...resentBody(prepared.body, options.simulateFailure !== undefined), ...(strategy ? { onConflict: strategy } : {}) }),
        waitFor: (id) => waitForAction(session.client, id, { signal: io.signal, timeoutMs: options.waitTimeout ?? DEFAULT_WAIT_MS }),
      });
      if (!outcome.action) return outcome.exitCode;
      action = outcome.action;
    }

    const moved = movedTimes(prepared, action);
    if (moved) for (const line of movedLines(moved, zone)) writeChange(io, options.json, line);
    // Whose clock a time typed without a zone was read on, and why (--json's counterpart of the preview line).
    const extra = { environment: session.environment, requestId, moved, timesReadIn: prepared.wallClock ? { zone: prepared.zone.name, source: prepared.zone.source } : null };
    const where = whereSuffix(session.target, options);
    if (options.wait) {
      if (!options.json && !options.quiet) writeLine(io.stderr, `Pushed ${action.command} to ${pathSegment(type)} ${deviceId}: ${stateColour(action.state, io.err)}; following it…`);
      return followAction(session.client, action.id, { io, json: options.json, quiet: options.quiet, timeoutMs: options.waitTimeout, zone, extra, initial: action, relink: () => relinkFor(session, type), where });
    }
    printAction(action, io, { json: options.json, quiet: options.quiet, zone, extra });
    if (!options.json && !options.quiet) writeLine(io.stderr, io.err.dim(`Follow it: amps actions wait ${action.id}${where}`));
    return EXIT.ok;
  });
}
