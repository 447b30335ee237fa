// amps's own file: the fleet ledger, one JSON object a line. A push writes it; `amps watch` and
// `amps push --resume` read it. Every input device has exactly one device line; the other records
// have no `id` and say what the run was (the first line), how far it read before sending
// (horizons), the API's clock beside its own, what became of its actions (outcomes) and that it ended.

import { apiInstant } from './api-time.js';
import type { ExitCode } from './exit-codes.js';
import type { Strategy } from './actions.js';
import type { TargetEnvironment } from './keys.js';

/** Bumped when a reader of an older amps could misread the file: a newer one is refused, not guessed. */
export const LEDGER_VERSION = 1;

export type Outcome = 'accepted' | 'conflict' | 'rejected' | 'failed' | 'preflight_failed' | 'invalid_input' | 'not_sent';

/**
 * The code of a resume's `not_sent` line for a device the earlier run may have sent already (a
 * crash, a lost answer) and the resume stopped before reading its actions: the next resume reads
 * them before it sends, as this one would have.
 */
export const NOT_RECONCILED = 'NOT_RECONCILED';

/** One input device: exactly one such line per device in a ledger. */
export interface LedgerEntry {
  id: string | null;
  outcome: Outcome;
  actionId: string | null;
  state: string | null;
  code: string | null;
  status: number | null;
  requestId: string | null;
  attempts: number;
  exitCode: ExitCode;
  /** The input line the device came from. */
  line: number;
  environment: TargetEnvironment;
  /** The action's start and end as the API set them. */
  start: string | null;
  end: string | null;
  /** Set when the API moved a start or end from what was sent (queue_after). */
  moved: unknown;
  /** For a conflict a strategy can resolve: the strategy a rerun should use. */
  resolveWith: Strategy | null;
  /** Why, in words, for rows that were not sent or not readable, and for reconciled ones. */
  reason: string | null;
  /** For a failure only the device's user can fix: the Link UI URL to send them (null without an app id). */
  relinkUrl: string | null;
}

/** What was typed for the run: enough to send the same body again, and to tell another run apart. */
export interface RunInputs {
  type: string;
  command: string;
  /** name -> quantity as typed (`5kw`, `90%`). */
  quantities: Record<string, string>;
  at?: string;
  start?: string;
  end?: string;
  tz?: string;
  onConflict?: Strategy;
  simulateFailure?: string;
  simulateAt?: 'request' | 'dispatch';
}

/** The flags that shape how a run sends and follows its devices (not what it sends: that is `inputs`). */
export interface RunShape {
  wait: boolean;
  verify: boolean;
  waitTimeout: number | null;
  waves: string | null;
  abortIf: string | null;
  canaryPerModel: boolean;
  /** How it sent (absent in ledgers written before they were kept): --fail-fast, --retry, --no-preflight, --timeout. */
  failFast?: boolean | string | null;
  retry?: number | null;
  preflight?: boolean;
  timeoutMs?: number | null;
}

/** The first line: what the run was. */
export interface RunRecord {
  run: {
    version: number;
    command: 'push';
    inputs: RunInputs;
    /** A hash of `inputs`: a resume with other inputs is refused. */
    fingerprint: string;
    /** The instants the typed times resolved to when the run began, and in whose zone. */
    times: { start: number | null; end: number | null; zone: string };
    /** Where the devices came from (a file's absolute path, or - for stdin). */
    devices: string;
    /** SHA-256 of the devices file's bytes (none for stdin; absent in ledgers of earlier versions): what a resume checks. */
    devicesDigest?: string | null;
    /** How the run sent and followed (absent in ledgers of earlier versions): a resume follows the same way, and refuses to undo waves. */
    shape?: RunShape;
    startedAt: string;
    concurrency: number;
    environment: TargetEnvironment;
    /**
     * The API URL the run sent to, its credentials left out; null for the embedded sandbox (absent in
     * ledgers of earlier versions): a resume or watch against another API is refused.
     */
    api?: string | null;
    /** The ledger this run resumed, when it did. */
    resumedFrom: string | null;
    /**
     * The process writing the ledger (absent in ledgers of earlier versions): a ledger with no end
     * record whose writer still runs is not resumed, which would send what that run is sending.
     */
    writer?: { pid: number; host: string; start?: string };
    /**
     * The ledger's own real path as its run wrote it (absent in ledgers of earlier versions): a copy
     * taken while the run was still writing lacks its later lines, and is not resumed.
     */
    ledger?: string;
  };
}

/** No input row after `line` had been sent when this was written: rows beyond it are known unsent. */
export interface HorizonRecord {
  horizon: number;
}

/**
 * The API's clock beside the run's, read from the run's first accepted push: `server` is its
 * action's `createdAt`, the very field a resume compares to find the run's own actions, and `local`
 * the run's time when the answer came (after the action was made). A resume reads a device's
 * actions from the run's start on the API's clock, so that an earlier run's action of the same
 * command and values is not taken for this one's. Written once, by the run; each resume carries it.
 */
export interface ClockRecord {
  clock: { server: string; local: string };
}

/** A clock record as amps writes it: `{"clock": {"server", "local"}}` and nothing else, so that a device row that happens to carry a `clock` field is not taken for one. */
export function isClockRecord(value: Record<string, unknown>): value is { clock: { server: unknown; local: unknown } } {
  const clock = value.clock;
  return Object.keys(value).length === 1 && typeof clock === 'object' && clock !== null && !Array.isArray(clock) && Object.keys(clock).every((k) => k === 'server' || k === 'local');
}

/** How far the API's clock stood ahead of the run's (ms; negative: behind, by any amount) by a clock record, or undefined for one that holds no time. */
export function clockOffset(clock: { server?: unknown; local?: unknown }): number | undefined {
  const server = apiInstant(clock.server);
  const local = apiInstant(clock.local);
  return server === undefined || local === undefined ? undefined : server - local;
}

/** What became of an accepted action, as followed (--wait, amps watch). */
export interface OutcomeRecord {
  outcome: {
    id: string;
    actionId: string;
    state: string;
    errorCode: string | null;
    start: string | null;
    /** --verify: whether the device's state shows the command (null: not checked, or cannot tell). */
    effect: 'shown' | 'drift' | null;
    exitCode: ExitCode;
    at: string;
    /** The environment the run sent to (absent in ledgers of earlier versions): a rerun line that greps outcomes sends there only. */
    environment?: TargetEnvironment;
  };
}

/** The last line of a run that ended (not one that was killed). */
export interface EndRecord {
  end: { at: string; exitCode: ExitCode; stoppedBy: string | null };
}
