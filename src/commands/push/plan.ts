// `--plan`: what a fleet push would do, predicted from list pages (their items carry the commands
// map, the last action, the current schedule and the sync state), and, with --on-conflict
// queue_after, a read of each action queued behind the one a device shows. Sends no push. What
// list pages cannot show (a manufacturer scheduler's foreign rows: SCHEDULER_ACTIVE; an override
// on the device: MODE_OVERRIDDEN; a program's lock: VPP_LOCKED) is not predicted, and the summary says so.

import type { ApiClient } from '../../api/client.js';
import type { Strategy } from '../../contract/actions.js';
import type { DeviceRead, DeviceType } from '../../contract/devices.js';
import { ApiFailure, PreflightError, UsageError } from '../../errors/failures.js';
import { isRecord } from '../../lib/values.js';
import type { DeviceRow, InputRow } from '../../batch/input.js';
import { isInvalid } from '../../batch/input.js';

export type Prediction = 'accepted' | 'conflict_resolved' | 'conflict_resolvable' | 'conflict' | 'preflight_failed' | 'stale' | 'not_found' | 'not_reached' | 'invalid_input';

export const PREDICTION_TEXT: Record<Prediction, string> = {
  accepted: 'would be accepted',
  conflict_resolved: 'would meet a conflict that --on-conflict resolves',
  conflict_resolvable: 'would meet a conflict a strategy can resolve (rerun with --on-conflict)',
  conflict: 'would meet a conflict no strategy resolves (an action in flight)',
  preflight_failed: 'would fail the preflight (nothing sent)',
  stale: 'targets a device whose state is stale (sync unavailable): may be offline',
  not_found: 'is not in the device list (DEVICE_NOT_FOUND)',
  not_reached: 'was not reached: the device list stopped before its end (said on stderr), so nothing is predicted',
  invalid_input: 'is not a row amps can send',
};

export interface PlanReport {
  total: number;
  counts: Map<Prediction, number>;
  /** Preflight codes among the preflight failures. */
  codes: Map<string, number>;
  /** The device list's pages read. */
  listPages: number;
  /** Why the device list stopped before its end (listPages' page cap, a page that moved): its devices still wanted are `not_reached`. */
  listStopped?: string;
  /** The actions read for their end (queue_after behind another: behindIsOpenEnded). */
  actionReads: number;
}

const isPending = (state: unknown) => state === 'scheduled' || state === 'acknowledged';

/**
 * The action a device already has in the way, from its read: its state, and whether it has no end
 * (a scheduled action whose `end` is null: queue_after cannot wait for it); undefined when there is
 * none. `behind`: a newer pending action than the one currentSchedule shows (one queued after it),
 * whose end only its own read tells.
 */
function pendingOf(device: DeviceRead): { state: string; openEnded: boolean; behind?: string } | undefined {
  const schedule = device.currentSchedule;
  const last = device.lastAction;
  if (isRecord(schedule) && isPending(schedule.state)) {
    const behind = last && isPending(last.state) && schedule.actionId !== undefined && last.id !== schedule.actionId ? last.id : undefined;
    return { state: String(schedule.state), openEnded: 'end' in schedule && (schedule.end === null || schedule.end === undefined), behind };
  }
  return last && isPending(last.state) ? { state: last.state, openEnded: false } : undefined;
}

/**
 * The id of the action whose end decides whether queue_after resolves this device's conflict: the
 * one queued behind the shown action, where the answer is not already known without it (an
 * acknowledged action, one with no end, a device that does not offer queue_after).
 */
function behindToRead(device: DeviceRead, onConflict: Strategy | undefined): string | undefined {
  if (onConflict !== 'queue_after') return undefined;
  const pending = pendingOf(device);
  if (!pending?.behind || pending.state === 'acknowledged' || pending.openEnded || !(device.conflictStrategies ?? []).includes('queue_after')) return undefined;
  return pending.behind;
}

/** Reads of the actions behind, at most this many at once: a page holds 50 devices. */
const ACTION_READS_AT_ONCE = 8;

/**
 * The end of the action queued behind the shown one, read when queue_after is to resolve the
 * conflict (behindToRead says for which devices): true when it has none, or its read fails (not
 * known: not counted as resolved).
 */
async function behindIsOpenEnded(client: ApiClient, id: string, report: PlanReport): Promise<boolean> {
  const { getAction } = await import('../../api/resources.js');
  report.actionReads++;
  try {
    const { data } = await getAction(client, id);
    return data.end === null || data.end === undefined;
  } catch (error) {
    if (error instanceof ApiFailure) return true;
    throw error;
  }
}

/** What the row's body for this device comes to before any conflict: failing the preflight (counted by code) or not sendable; undefined when it can be sent. */
function bodyFailure(row: DeviceRow, device: DeviceRead, bodyFor: (row: DeviceRow, device: DeviceRead) => unknown, codes: Map<string, number>): Prediction | undefined {
  try {
    bodyFor(row, device);
    return undefined;
  } catch (error) {
    if (error instanceof PreflightError) {
      codes.set(error.decoded.code, (codes.get(error.decoded.code) ?? 0) + 1);
      return 'preflight_failed';
    }
    if (error instanceof UsageError) return 'invalid_input';
    throw error;
  }
}

/** A sendable body's prediction, from the device's read (and, for queue_after, whether the action queued behind has no end). */
function predict(device: DeviceRead, onConflict: Strategy | undefined, behindOpenEnded = false): Prediction {
  const pending = pendingOf(device);
  if (pending) {
    // An action with no end cannot be queued after: the API then offers the other strategies only.
    const openEnded = pending.openEnded || behindOpenEnded;
    const strategies = (device.conflictStrategies ?? []).filter((s) => !(openEnded && s === 'queue_after'));
    if (pending.state === 'acknowledged' || strategies.length === 0) return 'conflict';
    if (onConflict && strategies.includes(onConflict)) return 'conflict_resolved';
    return 'conflict_resolvable';
  }
  if (device.sync?.available === false) return 'stale';
  return 'accepted';
}

/**
 * Predicts the run for the input rows: reads the type's device list page by page (50 a page) and
 * checks each listed device the input names. The input is held as a map of its rows.
 */
export async function planRun(
  client: ApiClient,
  type: DeviceType,
  rows: AsyncIterable<InputRow>,
  bodyFor: (row: DeviceRow, device: DeviceRead) => unknown,
  onConflict: Strategy | undefined,
): Promise<PlanReport> {
  const { listDevices, listPages } = await import('../../api/resources.js');
  const report: PlanReport = { total: 0, counts: new Map(), codes: new Map(), listPages: 0, actionReads: 0 };
  const count = (prediction: Prediction) => report.counts.set(prediction, (report.counts.get(prediction) ?? 0) + 1);
  const wanted = new Map<string, DeviceRow>();
  for await (const row of rows) {
    report.total++;
    if (isInvalid(row)) count('invalid_input');
    // A device listed twice: its second push meets the first's action.
    else if (wanted.has(row.id)) count('conflict');
    else wanted.set(row.id, row);
  }
  const pages = listPages((offset) => {
    report.listPages++;
    return listDevices(client, type, { limit: 50, offset });
  }, { onCapped: (_next, why) => (report.listStopped = why) });
  if (wanted.size > 0) {
    for await (const page of pages) {
      const named: Array<{ device: DeviceRead; failed?: Prediction; behind?: string; behindOpenEnded?: boolean }> = [];
      for (const device of page.items) {
        const row = wanted.get(device.id);
        if (!row) continue;
        wanted.delete(device.id);
        // A row whose body fails (the preflight, a bad value) is predicted so whatever a read says: none is made.
        const failed = bodyFailure(row, device, bodyFor, report.codes);
        named.push({ device, failed, behind: failed === undefined ? behindToRead(device, onConflict) : undefined });
      }
      const toRead = named.filter((n) => n.behind !== undefined);
      for (let i = 0; i < toRead.length; i += ACTION_READS_AT_ONCE) {
        await Promise.all(toRead.slice(i, i + ACTION_READS_AT_ONCE).map(async (n) => {
          n.behindOpenEnded = await behindIsOpenEnded(client, n.behind!, report);
        }));
      }
      for (const n of named) count(n.failed ?? predict(n.device, onConflict, n.behindOpenEnded ?? false));
      if (wanted.size === 0) break;
    }
  }
  // Not on the pages read: not found only when the list was read to its end.
  for (let i = 0; i < wanted.size; i++) count(report.listStopped === undefined ? 'not_found' : 'not_reached');
  return report;
}
