// `amps push --resume LEDGER`: a run continued from its ledger without sending any device twice.
// Devices the API already answered are carried over; not_sent ones are sent; failures that prove
// nothing ran are sent again; and those whose outcome is unknown (a timeout, a lost response, a
// crash between send and ledger line) are first reconciled against the device's actions since the
// run began, and sent only when no action of the run exists.

import { createHash } from 'node:crypto';
import { codeProvesNothingRan, type ApiClient } from '../../api/client.js';
import type { ActionRecord } from '../../contract/actions.js';
import { type LedgerEntry, NOT_RECONCILED, type RunInputs, type RunRecord } from '../../contract/ledger.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import type { DeviceType } from '../../contract/devices.js';
import { UsageError } from '../../errors/failures.js';
import { holdsRunRecord, type ParsedLedger } from '../../batch/ledger.js';
import type { DeviceRow } from '../../batch/input.js';
import { QUANTITY_FLAGS, type PushFlags } from './body.js';

/** Sorted keys, so the same inputs always hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function fingerprintOf(inputs: RunInputs): string {
  return createHash('sha256').update(canonical(inputs)).digest('hex').slice(0, 32);
}

/** What was typed, as a ledger records it: quantities as text, whichever flag they came by. */
export function runInputs(type: DeviceType, command: string, flags: PushFlags): RunInputs {
  const quantities: Record<string, string> = {};
  for (const name of QUANTITY_FLAGS) if (flags[name] !== undefined) quantities[name] = flags[name]!;
  for (const pair of flags.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0) quantities[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return {
    type, command, quantities, at: flags.at, start: flags.start, end: flags.end, tz: flags.tz,
    onConflict: flags.onConflict, simulateFailure: flags.simulateFailure, simulateAt: flags.simulateAt,
  };
}

/** The flags a ledger's inputs stand for, to build the same body again. */
export function flagsOf(inputs: RunInputs): PushFlags {
  return {
    param: Object.entries(inputs.quantities).map(([name, text]) => `${name}=${text}`),
    at: inputs.at, start: inputs.start, end: inputs.end, tz: inputs.tz,
    onConflict: inputs.onConflict, simulateFailure: inputs.simulateFailure, simulateAt: inputs.simulateAt,
  };
}

/** True when any flag that shapes the body was given (a resume then checks they match the ledger's). */
export function bodyFlagsGiven(command: string | undefined, flags: PushFlags): boolean {
  return command !== undefined || QUANTITY_FLAGS.some((n) => flags[n] !== undefined) || Boolean(flags.param?.length) ||
    [flags.at, flags.start, flags.end, flags.tz, flags.onConflict, flags.simulateFailure, flags.simulateAt].some((v) => v !== undefined);
}

/** Where the resumed run's ledger goes: --out, else beside the old one; never over an existing file. */
export function resumedLedgerPath(from: string, out: string | undefined): string {
  if (out !== undefined) return out;
  const path = from.replace(/(\.ndjson|\.jsonl|\.json)?$/, (ext) => `.resumed${ext || '.ndjson'}`);
  // An earlier resume of this run that got as far as its run record may have sent devices this
  // ledger says were not: only its own ledger knows. One killed before that sent nothing.
  if (holdsRunRecord(path)) throw new UsageError(`${path} is the ledger of an earlier resume of this run: it knows what that resume sent`, `continue from it: amps push --resume ${path}`);
  return path;
}

/** Outcomes the API answered: their lines are carried over, never sent again. */
const ANSWERED = new Set(['accepted', 'conflict', 'rejected', 'preflight_failed', 'invalid_input']);

export type Decision = 'carry' | 'send' | 'reconcile';

/**
 * What to do with a device the ledger knows (or does not). A device with no line was in flight at
 * the crash if its row lies within the last horizon, and was never sent if beyond it.
 */
export function decide(ledger: ParsedLedger, row: { id: string; line: number }): Decision {
  const entry = ledger.entries.get(row.id);
  if (!entry) return row.line <= ledger.horizon ? 'reconcile' : 'send';
  if (ANSWERED.has(entry.outcome)) return 'carry';
  // An earlier resume stopped before it read this device's actions: read them now.
  if (entry.outcome === 'not_sent' && entry.code === NOT_RECONCILED) return 'reconcile';
  if (entry.outcome === 'not_sent' || entry.attempts === 0) return 'send';
  return codeProvesNothingRan(entry.code) ? 'send' : 'reconcile';
}

/** A margin for the clocks of amps and the API: an action created this long before the run's start may still be its own. */
const CLOCK_MARGIN_MS = 5 * 60_000;

/**
 * The run's own action on the device, if one exists: the newest action created since the run began
 * (less a margin for clock skew) that `isThisPush` (its command, its row's values). Undefined when
 * there is none.
 */
export async function reconcile(client: ApiClient, row: DeviceRow, run: RunRecord['run'], isThisPush: (action: ActionRecord) => boolean): Promise<{ id: string; state: string; start: string | null; end: string | null } | undefined> {
  const { listActions } = await import('../../api/resources.js');
  const since = new Date(Date.parse(run.startedAt) - CLOCK_MARGIN_MS).toISOString();
  const { data } = await listActions(client, { deviceId: row.id, limit: 50 });
  const mine = data.items.find((a) => typeof a.createdAt === 'string' && a.createdAt >= since && isThisPush(a));
  return mine ? { id: mine.id, state: mine.state, start: mine.start ?? null, end: mine.end ?? null } : undefined;
}

/** The ledger line of a device whose push turned out to have gone through. */
export function reconciledEntry(row: DeviceRow, action: { id: string; state: string; start: string | null; end: string | null }, environment: LedgerEntry['environment']): LedgerEntry {
  return {
    id: row.id, outcome: 'accepted', actionId: action.id, state: action.state, code: null, status: null, requestId: null, attempts: 0, exitCode: 0,
    line: row.line, environment, start: action.start, end: action.end, moved: null, resolveWith: null,
    reason: 'reconciled: the earlier run\'s push went through (found among the device\'s actions); not sent again', relinkUrl: null,
  };
}

/**
 * The line of a device whose earlier outcome is still not known (its actions not read: the resume
 * stopped first, or the read failed): not sent, and read first by the next resume.
 */
export function unreconciledEntry(row: DeviceRow, environment: LedgerEntry['environment'], reason: string, exitCode: ExitCode = EXIT.ok): LedgerEntry {
  return {
    id: row.id, outcome: 'not_sent', actionId: null, state: null, code: NOT_RECONCILED, status: null, requestId: null, attempts: 0, exitCode,
    line: row.line, environment, start: null, end: null, moved: null, resolveWith: null,
    reason: `not sent: ${reason}; the earlier run may have sent it, so a resume reads its actions first`, relinkUrl: null,
  };
}

/** The ledger, checked against what this resume was asked to do. */
export function checkResumable(ledger: ParsedLedger, path: string, type: DeviceType | undefined, inputs: RunInputs | undefined): void {
  if (type !== undefined && type !== ledger.run.inputs.type) throw new UsageError(`the ledger ${path} is a push to ${ledger.run.inputs.type}, not ${type}`);
  if (inputs && fingerprintOf(inputs) !== ledger.run.fingerprint) {
    throw new UsageError(`the ledger ${path} is of another run (${ledger.run.inputs.command} with other flags): a resume sends the same command and body`, 'give no command or body flags with --resume, and the ledger\'s are used');
  }
}
