// The 409 flow. At a terminal it shows the conflict, offers exactly the strategies the response
// allows (cancel_and_replace first), confirms before cancelling anything, and resubmits once.
// Without a terminal it never asks: it prints the conflict and the command line that resolves it,
// and exits 5. `--on-conflict` given up front is consent and never reaches here.

import type { ApiClient } from '../api/client.js';
import { WaitTimeout } from '../api/wait.js';
import type { ActionRecord, Strategy } from '../contract/actions.js';
import type { DecodedError } from '../errors/decode.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { ApiFailure, InterruptedError } from '../errors/failures.js';
import { conflictingActionIds, strategiesOnOffer } from '../errors/strategies.js';
import { bounded, isRecord, jsonText, TEXT_BOUNDS } from '../lib/values.js';
import { errorToJson, writeErrorText } from '../output/error-view.js';
import { type IO, writeLine } from '../output/io.js';
import { formatTable } from '../output/table.js';
import { scrub, show } from '../output/text.js';
import { timeText } from '../output/views.js';

export interface ConflictInput {
  decoded: DecodedError;
  io: IO;
  client: ApiClient;
  /** Both ends a terminal, not CI, not --no-input, not --json. */
  interactive: boolean;
  /** Why not interactive, for "…, so not asking" (output/io.ts noPromptReason). */
  notAsking?: string;
  json: boolean;
  /** The device's conflictStrategies, when the preflight read them. */
  deviceStrategies?: string[];
  /** The device's pending action, when the preflight read one: a cancel_and_replace cancels it too. */
  pendingAction?: { id: string; state: string };
  /** Whose clock windows are shown on. */
  zone: string;
  /** The command that clears the device's own schedule (`amps schedule clear battery bat_1`), where its type has one. */
  scheduleClear?: string;
  rerunLine(strategy: Strategy): string;
  /** Sends the same body again, with onConflict set (or unset, after waiting). */
  resubmit(strategy?: Strategy): Promise<ActionRecord>;
  /** Follows an action to a terminal state (for the in-flight case). */
  waitFor(actionId: string): Promise<ActionRecord>;
}

interface ConflictOutcome {
  action?: ActionRecord;
  exitCode: ExitCode;
}

const STRATEGY_TEXT: Record<Strategy, string> = {
  cancel_and_replace: 'cancel what is in the way and run this command instead',
  queue_after: 'keep what is scheduled and start this command when it ends (never earlier than you asked)',
};

/**
 * The strategies the response allows, less queue_after unless every action in the way was read and
 * has an end: one that could not be read may have none, and queueing after it would be refused.
 */
function offeredStrategies(decoded: DecodedError, deviceStrategies: string[] | undefined, fetched: Array<ActionRecord | undefined> = []): Strategy[] {
  const offered = strategiesOnOffer(decoded, deviceStrategies);
  return fetched.some((a) => !a?.end) ? offered.filter((s) => s !== 'queue_after') : offered;
}

/**
 * What to do when no strategy can help: amps' words, never the docs' "what to do" (the error above
 * quotes it), which for SCHEDULER_ACTIVE says to resubmit with a strategy this answer does not offer.
 */
function nextStep(decoded: DecodedError, scheduleClear: string | undefined): string {
  const ids = conflictingActionIds(decoded);
  switch (decoded.code) {
    case 'SCHEDULER_FULL':
      return 'Cancel a scheduled action (amps actions list --state scheduled, then amps actions cancel ID), or ask the end user to clear rows in the manufacturer app; then push again.';
    case 'MODE_OVERRIDDEN':
      return 'Clear the controlling schedule or override on the device (or ask the end user to), then push again.';
    case 'VPP_LOCKED':
      return 'The end user must opt out of the programme at the manufacturer before Amps can write to this device.';
    case 'CONFLICT':
      return ids.length > 0
        ? `Wait for the action in the way to finish (amps actions wait ${ids[0]}), then push again.`
        : 'Wait for the conflicting action to finish, then push again.';
    case 'SCHEDULER_ACTIVE':
      return `The answer offers no strategy amps can send for this device, so onConflict cannot clear the schedule: have it cleared on the device (by the end user in the manufacturer app${scheduleClear ? `; one set through Amps: ${scheduleClear}` : ''}), then push again.`;
    default:
      return 'Resolve the conflicting state, then push again.';
  }
}

/** The actions in the way read, and shown, at most: a response may name thousands. */
const READ_AT_MOST = TEXT_BOUNDS.items;
/** Reads of them at once. */
const READS_AT_ONCE = 4;

/** Names, the first READ_AT_MOST of them, and how many more. */
function listed(names: string[]): string {
  return names.length > READ_AT_MOST ? `${names.slice(0, READ_AT_MOST).join(', ')}, … ${names.length - READ_AT_MOST} more` : names.join(', ');
}

/**
 * The actions a CONFLICT names, fetched, READS_AT_ONCE at a time, the first READ_AT_MOST of them
 * (undefined for any that could not be read, or was not: such an action's end is unknown).
 */
async function fetchConflicting(input: ConflictInput): Promise<Array<ActionRecord | undefined>> {
  const ids = input.decoded.code === 'CONFLICT' ? conflictingActionIds(input.decoded) : [];
  if (ids.length === 0) return [];
  const { getAction } = await import('../api/resources.js');
  const fetched: Array<ActionRecord | undefined> = new Array<ActionRecord | undefined>(ids.length).fill(undefined);
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < Math.min(ids.length, READ_AT_MOST); i = next++) {
      try {
        fetched[i] = (await getAction(input.client, ids[i])).data;
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: READS_AT_ONCE }, reader));
  return fetched;
}

/** Shows the conflict, and for a CONFLICT the actions in the way with their windows. */
async function showConflict(input: ConflictInput, fetched: Array<ActionRecord | undefined>): Promise<void> {
  const { io, decoded } = input;
  await writeErrorText(io, decoded);
  const ids = conflictingActionIds(decoded);
  if (fetched.length === 0) return;
  const rows = ids.slice(0, READ_AT_MOST).map((id, i) => {
    const a = fetched[i];
    return a ? [show(a.id), show(a.command), show(a.state), timeText(a.start, input.zone), timeText(a.end, input.zone)] : [id, '?', 'unavailable', '-', '-'];
  });
  writeLine(io.stderr, io.err.bold('\nConflicting actions'));
  io.stderr.write(await formatTable(['action', 'command', 'state', 'start', 'end'], rows, { tty: true, style: io.err, columns: io.stderrColumns }));
  if (ids.length > READ_AT_MOST) writeLine(io.stderr, `… ${ids.length - READ_AT_MOST} more, not read (the raw details list them)`);
}

function nonInteractive(input: ConflictInput, offered: Strategy[]): ConflictOutcome {
  const { io, decoded } = input;
  const rerun = offered[0] ? input.rerunLine(offered[0]) : null;
  if (input.json) {
    io.stderr.write(`${jsonText({ ...errorToJson(decoded), resolution: { strategies: offered, rerun, nextStep: rerun ? null : nextStep(decoded, input.scheduleClear) } })}\n`);
  } else if (rerun) {
    const why = input.notAsking ?? 'not a terminal';
    writeLine(io.stderr, `\n${why[0].toUpperCase()}${why.slice(1)}, so not asking. To resolve with ${offered[0]}, rerun:\n  ${rerun}`);
  } else {
    writeLine(io.stderr, `\n${nextStep(decoded, input.scheduleClear)}`);
  }
  return { exitCode: EXIT.conflict };
}

/**
 * What cancel_and_replace will cancel, named with ids and windows: what the response names (the
 * schedule rows, or the actions in the way), and the device's pending action the preflight read,
 * which is cancelled with them (any pending action conflicts with a new one).
 */
function cancellationTarget(input: ConflictInput, actions: ActionRecord[]): string {
  const { decoded, zone } = input;
  const window = (start: unknown, end: unknown) => `${timeText(start, zone)} to ${timeText(end, zone)}`;
  const details = isRecord(decoded.details) ? decoded.details : {};
  const ids = conflictingActionIds(decoded);
  const pending = input.pendingAction && !ids.includes(input.pendingAction.id) ? input.pendingAction : undefined;
  const alsoPending = pending ? `, and the device's pending action ${show(pending.id)} (${show(pending.state)})` : '';
  if (Array.isArray(details.overlappingGroups)) {
    const named = details.overlappingGroups.map((g) => {
      const group = isRecord(g) ? g : {};
      return `${show(group.groupId)} (${window(group.start, group.end)})`;
    });
    return `the manufacturer schedule rows ${listed(named) || '(none listed)'}${alsoPending}`;
  }
  if (ids.length === 0) return `what the device reports is in the way${alsoPending}`;
  const named = ids.map((id) => {
    const action = actions.find((a) => a.id === id);
    return action ? `${show(id)} (${show(action.command)}, ${action.start ? window(action.start, action.end) : 'immediate'})` : show(id);
  });
  return `the pending action${ids.length > 1 ? 's' : ''} ${listed(named)}${alsoPending}`;
}

async function interactive(input: ConflictInput, offered: Strategy[], conflicting: ActionRecord[]): Promise<ConflictOutcome> {
  const { io, decoded } = input;
  const { prompter } = io;
  const declined = (strategy: Strategy) => {
    writeLine(io.stderr, `Nothing sent. To resolve with ${strategy} later, run:\n  ${input.rerunLine(strategy)}`);
    return { exitCode: EXIT.conflict };
  };
  if (offered.length === 0) {
    writeLine(io.stderr, `\n${nextStep(decoded, input.scheduleClear)}`);
    const ids = conflictingActionIds(decoded);
    if (decoded.code !== 'CONFLICT' || ids.length === 0) return { exitCode: EXIT.conflict };
    if (!(await prompter.confirm(`Wait for ${ids[0]} to finish, then push again?`, false))) return { exitCode: EXIT.conflict };
    let finished: ActionRecord;
    try {
      finished = await input.waitFor(ids[0]);
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      writeLine(io.stderr, `${show(error.id)} is ${error.last ? `still ${show(error.last.state)}` : 'not known to be done'} after the wait (--wait-timeout); nothing was pushed; push again once it is done (amps actions wait ${show(error.id)}).`);
      return { exitCode: EXIT.conflict };
    }
    writeLine(io.stderr, `${finished.id} is ${finished.state}; pushing again.`);
    return { action: await input.resubmit(), exitCode: EXIT.ok };
  }
  for (;;) {
    const choice = await prompter.select<Strategy | 'raw' | 'abort'>('How do you want to resolve this conflict?', [
      ...offered.map((s) => ({ name: `${s}: ${STRATEGY_TEXT[s]}`, value: s })),
      { name: 'show the raw details', value: 'raw' as const },
      { name: 'abort: send nothing more', value: 'abort' as const },
    ]);
    if (choice === 'abort') return declined(offered[0]);
    if (choice === 'raw') {
      writeLine(io.stderr, scrub(JSON.stringify(bounded(decoded.details ?? null, { ...TEXT_BOUNDS, depth: 12, items: 100, string: 2000 }), null, 2), true));
      continue;
    }
    if (choice === 'cancel_and_replace' && !(await prompter.confirm(`This cancels ${cancellationTarget(input, conflicting)}. Go ahead?`, false))) return declined(choice);
    try {
      return { action: await input.resubmit(choice), exitCode: EXIT.ok };
    } catch (error) {
      // A second 409 is shown, not looped on.
      if (error instanceof ApiFailure && error.decoded.status === 409) {
        await writeErrorText(io, error.decoded);
        return { exitCode: error.decoded.exitCode };
      }
      throw error;
    }
  }
}

export async function resolveConflict(input: ConflictInput): Promise<ConflictOutcome> {
  // The actions in the way are read when a person will see them, or when queue_after is on offer
  // (only an action with an end can be queued after).
  const needed = input.interactive || strategiesOnOffer(input.decoded, input.deviceStrategies).includes('queue_after');
  const fetched = needed ? await fetchConflicting(input) : [];
  const conflicting = fetched.filter((a): a is ActionRecord => a !== undefined);
  const offered = offeredStrategies(input.decoded, input.deviceStrategies, fetched);
  if (!input.interactive) {
    if (!input.json) await writeErrorText(input.io, input.decoded);
    return nonInteractive(input, offered);
  }
  await showConflict(input, fetched);
  return interactive(input, offered, conflicting);
}
