// One body builder and one preflight for both pushes (one device, a fleet): the flags are read and
// syntax-checked once, then fitted to a device (units converted to what it declares, times read in
// one named zone) and checked against its commands map.

import { apiInstant } from '../../contract/api-time.js';
import { type ActionRecord, DIRECTIVE_KEYS, PUSH_ACTION_KEYS, PUSH_BODY_KEYS, type PushBody, QUANTITY_KEYS, type SandboxDirective, STRATEGIES, type Strategy } from '../../contract/actions.js';
import type { RunInputs } from '../../contract/ledger.js';
import type { DeviceRead } from '../../contract/devices.js';
import type { Env } from '../../contract/env.js';
import { buildPushBody, type Conversion, fitQuantities, hasWallClockTime, parseQuantityFlags, parseTimeFlags, type ParsedTimes, resolveTimes, type TypedQuantity } from '../../domain/action.js';
import { checkAction, checkNames } from '../../domain/capabilities.js';
import { isQuantity } from '../../domain/quantity.js';
import { describeInstant, deviceOrLocalZone, type DeviceClockSource, namedZone, parseApiTime, plantZone } from '../../domain/time.js';
import { isKnownCode, normaliseCode, suggestCodes } from '../../errors/catalogue.js';
import { preflightError } from '../../errors/decode.js';
import { PreflightError, UsageError } from '../../errors/failures.js';
import { jsonTextProblem } from '../../lib/json-text.js';
import { isRecord, own, unknownKeys } from '../../lib/values.js';
import { type IO, writeLine, writeNotice } from '../../output/io.js';
import { readFileBounded, readStdin, withoutBom } from '../../output/read.js';

/** The flags that shape a push, as commander hands them over: the ledger's RunInputs, quantities still flags. */
export interface PushFlags extends Omit<RunInputs, 'type' | 'command' | 'quantities'> {
  power?: string;
  target?: string;
  reserve?: string;
  param?: string[];
}

/** What was typed, read once: syntax errors surface here, before anything is sent. */
export interface PushInputs {
  command: string;
  quantities: Record<string, TypedQuantity>;
  times: ParsedTimes;
  onConflict?: Strategy;
  directive?: SandboxDirective;
  /** A zone the operator named (--tz, else AMPS_TZ); undefined: the device's, else the local one. */
  zone?: { name: string; source: '--tz' | 'AMPS_TZ' };
}


function simulatedCode(code: string): string {
  const normalised = normaliseCode(code);
  if (!isKnownCode(normalised)) {
    const near = suggestCodes(code);
    throw new UsageError(`--simulate-failure '${code}' is not a canonical code`, near.length ? `did you mean ${near.join(', ')}?` : 'amps explain --list shows every code');
  }
  return normalised;
}

/** The sandbox directive (decision 9) the flags ask for, if any. */
function directiveFrom(flags: PushFlags): SandboxDirective | undefined {
  if (flags.simulateFailure === undefined) {
    if (flags.simulateAt !== undefined) throw new UsageError('--simulate-at goes with --simulate-failure');
    return undefined;
  }
  return { result: 'failed', errorCode: simulatedCode(flags.simulateFailure), ...(flags.simulateAt === 'dispatch' ? { phase: 'dispatch' as const } : {}) };
}

/** `fromLedger`: a resume's flags, as its run recorded them (parseTimeFlags `typed`). */
export function readPushInputs(command: string, flags: PushFlags, env: Env, fromLedger = false): PushInputs {
  return {
    command,
    quantities: parseQuantityFlags({ power: flags.power, target: flags.target, reserve: flags.reserve }, flags.param ?? []),
    times: parseTimeFlags({ at: flags.at, start: flags.start, end: flags.end }, { typed: !fromLedger }),
    onConflict: flags.onConflict,
    directive: directiveFrom(flags),
    zone: namedZone(flags.tz, env),
  };
}

/** Whose clock a typed time is read on, and why that one. */
export interface Zone {
  name: string;
  source: '--tz' | 'AMPS_TZ' | 'the local zone' | 'the run\'s (its ledger)' | DeviceClockSource;
}

/**
 * The zone a push's typed times are read in. Decided on first use: checking a zone name loads ICU's
 * zone data (~12 ms of a start, bench/startup.mjs), which a push without times never needs.
 */
export function zoneFor(inputs: Pick<PushInputs, 'zone'>, device: DeviceRead | undefined, env: Env): Zone {
  if (inputs.zone) return inputs.zone;
  let decided: Zone | undefined;
  const decide = () => (decided ??= deviceOrLocalZone(device, env));
  return {
    get name() {
      return decide().name;
    },
    get source() {
      return decide().source;
    },
  };
}

/** The instants a push names, in its zone, and whose zone that is: "times that say whose clock they are in". */
export function timeLines(start: number | undefined, end: number | undefined, zone: Zone, wallClock: boolean): string[] {
  const lines: string[] = [];
  if (start !== undefined && Number.isFinite(start)) lines.push(`start ${describeInstant(start, zone.name)}`);
  if (end !== undefined && Number.isFinite(end)) lines.push(`end   ${describeInstant(end, zone.name)}`);
  // Only a time typed without a zone was read in it; one with an offset, or relative, is only shown there.
  if (lines.length > 0) lines.push(wallClock ? `(times typed without a zone are read in ${zone.name}: ${zone.source})` : `(shown in ${zone.name}: ${zone.source})`);
  return lines;
}

/**
 * A note on the times an operator must always hear (a time daylight saving skips or repeats, and
 * which was taken; `now` sent as an immediate push): for people a line, with --json a notice line,
 * stderr's JSON, since stdout is the body or the action alone.
 */
export function writeTimeNote(io: IO, json: boolean, note: string): void {
  if (json) writeNotice(io, true, note);
  else writeLine(io.stderr, io.err.dim(note));
}

/** The sandbox directive is for rehearsals: one with a live key is refused before anything is sent. */
export function refuseDirectiveOnLive(directive: SandboxDirective | undefined, session: { live: boolean }, from = '--simulate-failure'): void {
  if (directive && session.live) throw new UsageError(`${from} is a sandbox directive; it is refused with a live key`);
}

/** A push ready to send: the body, and what amps did to the typed values on the way. */
export interface PreparedPush {
  body: PushBody;
  zone: Zone;
  /** A time was typed without a zone (a wall-clock time), and so read in `zone`. */
  wallClock: boolean;
  start?: number;
  end?: number;
  /** A raw --body's relative times (`"start": "30m"`), in ms: placed after the action's createdAt, the API's own now, to tell whether it moved them. */
  relative?: { start?: number; end?: number };
  conversions: Conversion[];
  notes: string[];
}

/**
 * Fits the inputs (and a fleet row's overrides) to a device, or to no device when the preflight is
 * off. `now` is the clock relative times count from.
 */
export function preparePush(inputs: PushInputs, device: DeviceRead | undefined, now: number, zone: Zone): PreparedPush {
  if (device) {
    const named = checkNames(inputs.command, Object.keys(inputs.quantities), device.commands ?? {});
    if (named) throw new PreflightError(preflightError(named.code, named.details));
  }
  const spec = device?.commands ? own(device.commands, inputs.command) : undefined;
  const { values, conversions } = fitQuantities(inputs.quantities, spec?.parameters);
  const times = resolveTimes(inputs.times, now, zone, spec?.execution);
  const body = buildPushBody({ command: inputs.command, parameters: values, times, zone, onConflict: inputs.onConflict, directive: inputs.directive });
  return { body, zone, wallClock: hasWallClockTime(inputs.times), start: times.start, end: times.end, conversions, notes: times.notes };
}

/** The device's view of the body: command, parameters, units, bounds, execution shape, window. */
export function preflight(device: DeviceRead, body: PushBody, now: Date): void {
  // Only a push with times needs the zone (and ICU's zone data with it).
  const zone = () => plantZone(device) ?? 'UTC';
  const time = (text: string | null | undefined) => (text === undefined || text === null ? undefined : parseApiTime(text, now, zone()) ?? new Date(Number.NaN));
  const parameters = Object.fromEntries(Object.entries(body.action.parameters ?? {}).filter(([, q]) => isQuantity(q)));
  const violation = checkAction({ command: body.action.command, parameters, start: time(body.action.start), end: time(body.action.end) }, device.commands ?? {}, now);
  if (violation) throw new PreflightError(preflightError(violation.code, violation.details));
}

/**
 * The strategies a device's own read says it accepts for onConflict (conflictStrategies): another
 * is refused. Only against the device's own read: devices of one model may accept different ones,
 * so a fleet's read of one device per model cannot say.
 */
export function preflightStrategy(device: DeviceRead, body: PushBody): void {
  const accepted = device.conflictStrategies;
  if (body.onConflict && Array.isArray(accepted) && !accepted.includes(body.onConflict)) {
    throw new PreflightError(preflightError('VALIDATION_ERROR', { fields: [{ path: 'onConflict', problem: `the device accepts ${accepted.join(', ') || 'no strategy'} (its conflictStrategies), not ${body.onConflict}` }] }));
  }
}

/** Deeper than any push body (the API's are four levels); far short of what would overflow the stack when it is written out again. */
const MAX_BODY_DEPTH = 64;

/** `--body FILE|-`: a raw body, sent as is but for --on-conflict and the directive. */
export async function readBodyFile(source: string, io: IO, flags: PushFlags): Promise<PushBody> {
  // The API takes bodies up to 1 MiB; nothing larger is worth reading.
  const limit = 1024 * 1024;
  const text = source === '-' ? await readStdin(io, { limit, what: '--body -', strict: true }) : await readFileBounded(source, { limit, what: '--body', stop: () => io.signal, strict: true });
  let parsed: unknown;
  try {
    // The body is sent re-serialised: a byte-order mark before it is no part of it.
    parsed = JSON.parse(withoutBom(text));
  } catch {
    throw new UsageError(`--body ${source} is not valid JSON`);
  }
  // JSON.parse keeps the last of a name given twice: what was sent would not be what was written.
  const structure = jsonTextProblem(text, MAX_BODY_DEPTH);
  if (structure?.kind === 'repeated') throw new UsageError(`--body ${source} gives ${structure.path.length <= 100 ? structure.path : `${structure.path.slice(0, 100)}…`} twice; JSON keeps only the last, so the body would not go as written`, 'keep one');
  if (structure?.kind === 'deep') throw new UsageError(`--body ${source} nests deeper than ${MAX_BODY_DEPTH} levels; a push body is a few levels deep`);
  const action = (parsed as { action?: { command?: unknown } } | null)?.action;
  if (typeof action?.command !== 'string') throw new UsageError(`--body ${source} needs {"action": {"command": ...}}`);
  // The API refuses a key it does not know (VALIDATION_ERROR): a --dry-run must not pass one.
  const unknown = [...unknownKeys(parsed as object, PUSH_BODY_KEYS), ...unknownKeys(action, PUSH_ACTION_KEYS, 'action')];
  // The sandbox's directive has its keys too (unless --simulate-failure replaces it); a Quantity only its value and unit.
  const sandboxGiven = flags.simulateFailure === undefined ? (parsed as Record<string, unknown>).sandbox : undefined;
  if (sandboxGiven !== undefined && !isRecord(sandboxGiven)) throw new UsageError(`--body ${source}: sandbox is not an object of ${DIRECTIVE_KEYS.join(', ')}`);
  if (isRecord(sandboxGiven)) unknown.push(...unknownKeys(sandboxGiven, DIRECTIVE_KEYS, 'sandbox'));
  const parametersGiven = (action as Record<string, unknown>).parameters;
  if (isRecord(parametersGiven)) {
    for (const [name, value] of Object.entries(parametersGiven)) if (isRecord(value)) unknown.push(...unknownKeys(value, QUANTITY_KEYS, `action.parameters.${name}`));
  }
  if (unknown.length > 0) {
    const named = unknown[0]!.length <= 64 ? unknown[0] : `${unknown[0]!.slice(0, 64)}…`;
    throw new UsageError(`--body ${source}: ${named} is no key of a push body, and the API refuses keys it does not know`, `a push body holds action (${PUSH_ACTION_KEYS.join(', ')}; each parameter a value and a unit), onConflict and sandbox (${DIRECTIVE_KEYS.join(', ')})`);
  }
  // The API's times are text (contract: `"start"?: "<time>"`); null is read as none, as the sandbox reads it.
  for (const key of ['start', 'end'] as const) {
    const time = (action as Record<string, unknown>)[key];
    if (time !== undefined && time !== null && typeof time !== 'string') throw new UsageError(`--body ${source}: action.${key} is ${Array.isArray(time) ? 'an array' : typeof time === 'object' ? 'an object' : `a ${typeof time}`}, not a time such as "2026-06-10T22:00:00Z"`);
  }
  // JSON.parse reads 1e400 as Infinity, which JSON sends as null: the body would not go as it is.
  const unsendable = infiniteNumberIn(parsed, '');
  if (unsendable !== undefined) throw new UsageError(`--body ${source} has a number too large for JSON to carry at ${unsendable || 'its top'}, so it cannot be sent as it is`);
  // The canonical schema's parameters are Quantities, and onConflict one of its strategies: a body
  // that says otherwise would be refused (VALIDATION_ERROR), so a --dry-run must not pass it.
  const parameters = (action as Record<string, unknown>).parameters;
  if (parameters !== undefined && parameters !== null) {
    if (!isRecord(parameters)) throw new UsageError(`--body ${source}: action.parameters is not an object of parameters`);
    const notQuantity = Object.entries(parameters).find(([, value]) => !isQuantity(value));
    if (notQuantity) throw new UsageError(`--body ${source}: action.parameters.${notQuantity[0].length <= 64 ? notQuantity[0] : `${notQuantity[0].slice(0, 64)}…`} is not a quantity: give { "value": 5, "unit": "kw" }`);
  }
  // An --on-conflict replaces the body's, which then is not sent to be refused.
  const onConflict = (parsed as Record<string, unknown>).onConflict;
  if (!flags.onConflict && onConflict !== undefined && !STRATEGIES.includes(onConflict as Strategy)) {
    throw new UsageError(`--body ${source}: onConflict is not one of ${STRATEGIES.join(', ')}`, onConflict === null ? 'leave it out for none: the API refuses null' : undefined);
  }
  const directive = directiveFrom(flags);
  return { ...(parsed as PushBody), ...(flags.onConflict ? { onConflict: flags.onConflict } : {}), ...(directive ? { sandbox: directive } : {}) };
}

/**
 * Where in `value` a number is not finite (`action.parameters.power.value`), else undefined. A loop,
 * not recursion: a body of a megabyte may nest deeper than the stack goes.
 */
function infiniteNumberIn(value: unknown, path: string): string | undefined {
  const pending: Array<[unknown, string]> = [[value, path]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, at] = next;
    if (typeof item === 'number' && !Number.isFinite(item)) return at;
    if (item !== null && typeof item === 'object') for (const [key, child] of Object.entries(item)) pending.push([child, at ? `${at}.${key}` : key]);
  }
  return undefined;
}

/** What the API did to the times it was sent: a start or end it moved (queue_after, a late clock). */
interface Moved {
  start?: { sent: string | null; got: string | null };
  end?: { sent: string | null; got: string | null };
}

/**
 * How far from a relative time placed after the action's createdAt the API's own time may lie and
 * not have moved: the API reads `30m` from its now as it takes the push, and stamps createdAt then
 * too, both within one request.
 */
const RELATIVE_SLACK_MS = 5_000;

export function movedTimes(sent: { start?: number; end?: number; relative?: { start?: number; end?: number } }, action: Pick<ActionRecord, 'start' | 'end'> & { createdAt?: unknown }): Moved | null {
  const moved: Moved = {};
  const created = typeof action.createdAt === 'string' ? apiInstant(action.createdAt) : undefined;
  for (const key of ['start', 'end'] as const) {
    const got = typeof action[key] === 'string' ? apiInstant(action[key]) ?? Number.NaN : undefined;
    const relative = sent.relative?.[key];
    const placed = relative !== undefined && created !== undefined;
    const wanted = placed ? created + relative : sent[key];
    // Asked for, but at an instant amps could not place (a naive time, the device's zone unknown; a
    // relative one in an answer without its createdAt): nothing to compare.
    if (wanted !== undefined && Number.isNaN(wanted)) continue;
    // An answer that leaves out a time it was sent (no `end` key at all) dropped it, as one that says null did.
    const dropped = action[key] === null || action[key] === undefined;
    const differs = got === undefined || Number.isNaN(got) ? wanted !== undefined && dropped : wanted === undefined || Math.abs(got - wanted) >= (placed ? RELATIVE_SLACK_MS : 1000);
    if (differs && !(wanted === undefined && (action[key] ?? null) === null)) {
      moved[key] = { sent: wanted === undefined ? null : new Date(wanted).toISOString(), got: action[key] ?? null };
    }
  }
  return moved.start || moved.end ? moved : null;
}

/** One line a moved time: what was asked, what the API will do, in the push's zone. */
export function movedLines(moved: Moved, zone: string): string[] {
  // No start is an immediate push; no end, a mode the device holds until the next push.
  const none = { start: 'immediately', end: 'no end (the device holds the mode until the next push)' };
  const when = (key: 'start' | 'end', iso: string | null) => (iso === null ? none[key] : describeInstant(apiInstant(iso)!, zone));
  return (['start', 'end'] as const)
    .filter((key) => moved[key])
    .map((key) => `The API moved the ${key}: asked ${when(key, moved[key]!.sent)}, got ${when(key, moved[key]!.got)}.`);
}
