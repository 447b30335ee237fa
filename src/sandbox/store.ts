// Persisted sandbox state. The fleet itself is derived from the seed and never stored; the state
// holds only what requests changed: actions, settings, modes, cleared scheduler rows, the clock.
// Writes are atomic (write a temp file, then rename), and the file store serialises whole
// read-modify-write transactions across processes with a lock file, so two `amps` commands at
// once never corrupt the file nor lose each other's writes.

import { readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { MinHeap } from '../lib/min-heap.js';
import { InterruptedError, UsageError } from '../errors/failures.js';
import { ACTION_STATES, type ActionRecord } from '../contract/actions.js';
import type { ScheduleRecord } from '../contract/schedules.js';
import { isSlot } from '../domain/schedule.js';
import { unusableSecret } from '../domain/webhooks.js';
import type { WebhookEvent } from '../contract/webhooks.js';
import { isRecord, systemErrorText } from '../lib/values.js';
import { lockWaiting } from '../lib/file-lock.js';
import { makeDirs } from '../lib/make-dirs.js';
import { writeFileWhole } from '../lib/write-whole.js';

/** What the sandbox keeps beside the public record. */
export interface StoredAction extends ActionRecord {
  userId: string;
  /** The mode to restore when a windowed action's end passes. */
  revertTo?: string;
  revertedAt?: string;
  /** The sandbox directive's code (or the device's dispatch profile), for an action that fails when dispatched. */
  failWith?: string;
  /** Completes without the device's state following (a manufacturer that acknowledged and did nothing). */
  drift?: boolean;
}

export interface DeviceChanges {
  mode?: string;
  settings?: Record<string, number>;
  /** Manufacturer schedule groups cleared by cancel_and_replace. */
  clearedGroups?: string[];
  /** The platform-clearable schedule behind a MODE_OVERRIDDEN, once cancel_and_replace cleared it. */
  overrideCleared?: boolean;
}

export interface SandboxState {
  version: 1;
  clockOffsetMs: number;
  actionCounter: number;
  actions: StoredAction[];
  devices: Record<string, DeviceChanges>;
  /** The webhook signing secret (`whsec_…`), made on first use. Absent in files written before webhooks. */
  webhookSecret?: string;
  eventCounter?: number;
  /**
   * The last event listed as published (GET /_sandbox/events' readySeq): once published, an event
   * stays so, whatever the clock does after (a step back would hold it back again).
   */
  publishedSeq?: number;
  /** The latest events, oldest first (a bounded history: see Transaction.eventHistory). */
  events?: WebhookEvent[];
  scheduleCounter?: number;
  schedules?: StoredSchedule[];
}

/** A schedule as the sandbox keeps it: the public record, and what firing it needs. */
export interface StoredSchedule extends ScheduleRecord {
  deviceType: string;
  userId: string;
  /** Which endpoint made it: its slots keep that endpoint's wire form. */
  via: 'device' | 'schedules';
  /** Fires up to this instant (epoch ms) are done. */
  firedUntil: number;
}

/** A live action and when the lifecycle next changes it; `order` keeps actions due at once in the order they came. */
export interface DueEntry {
  at: number;
  order: number;
  action: StoredAction;
}

/**
 * Lookups the request path needs in constant time, derived from the state (never stored): by id,
 * by device, and the actions the lifecycle still has to move (not terminal, or a window still to
 * revert). Built once per state object; a load test's 100,000 actions cost no scan per request.
 */
interface ActionIndex {
  byId: Map<string, StoredAction>;
  byDevice: Map<string, StoredAction[]>;
  live: Set<StoredAction>;
  /**
   * The live actions by when they fall due (an entry whose action has changed since is stale, and
   * skipped): the lifecycle takes only what is due, never a walk of every live action, which a
   * fleet of 100,000 in flight made a walk per request.
   */
  due: MinHeap<DueEntry>;
  /** Entries made so far: the order of actions due at once. */
  entries: number;
  /** The ack delay the due times were worked out with; another one works them out again. */
  ackDelayMs: number;
}

const indexes = new WeakMap<SandboxState, ActionIndex>();

/** True while the lifecycle may still change the action or the device because of it. */
export function isLive(action: StoredAction): boolean {
  return action.state === 'scheduled' || action.state === 'acknowledged' || (action.state === 'completed' && action.end !== null && !action.revertedAt);
}

export function indexOf(state: SandboxState): ActionIndex {
  let index = indexes.get(state);
  if (!index) {
    index = { byId: new Map(), byDevice: new Map(), live: new Set(), due: new MinHeap(dueFirst), entries: 0, ackDelayMs: 0 };
    for (const action of state.actions) track(index, action);
    indexes.set(state, index);
  }
  return index;
}

function track(index: ActionIndex, action: StoredAction): void {
  index.byId.set(action.id, action);
  const list = index.byDevice.get(action.deviceId);
  if (list) list.push(action);
  else index.byDevice.set(action.deviceId, [action]);
  if (isLive(action)) {
    index.live.add(action);
    scheduleDue(index, action);
  }
}

const dueFirst = (a: DueEntry, b: DueEntry) => a.at < b.at || (a.at === b.at && a.order < b.order);

/** Files a live action under when it next falls due (nothing for one that never will). */
export function scheduleDue(index: ActionIndex, action: StoredAction): void {
  const at = dueOf(action, index.ackDelayMs);
  // A time no one can read (a state file edited by hand) is never due: filed, it would sit at the
  // top of the heap, before nothing and after nothing, and hold every other action back.
  if (at !== Number.POSITIVE_INFINITY && !Number.isNaN(at)) index.due.push({ at, order: index.entries++, action });
}

/** When the lifecycle next changes a live action (epoch ms; Infinity when nothing is due). */
export function dueOf(action: StoredAction, ackDelayMs: number): number {
  if (action.state === 'scheduled') return action.start ? Date.parse(action.start) : Number.NEGATIVE_INFINITY;
  if (action.state === 'acknowledged') return action.acknowledgedAt ? Date.parse(action.acknowledgedAt) + ackDelayMs : Number.NEGATIVE_INFINITY;
  if (action.state === 'completed' && action.end && !action.revertedAt) return Date.parse(action.end);
  return Number.POSITIVE_INFINITY;
}


/** The years the sandbox clock keeps to: amps reads no time outside them, and every formatter prints them. */
export const CLOCK_RANGE_TEXT = 'the years 1970 to 9999';
export function clockInRange(instant: number): boolean {
  return instant >= 0 && instant < Date.UTC(10_000, 0, 1);
}

/** Back to the seeded fleet, in place (the stores hold on to the state object). */
export function resetState(state: SandboxState): void {
  // The webhook secret outlives a reset: handlers are configured with it.
  const secret = state.webhookSecret;
  for (const key of Object.keys(state)) delete (state as unknown as Record<string, unknown>)[key];
  Object.assign(state, emptyState(), secret ? { webhookSecret: secret } : {});
  indexes.delete(state);
}

export function addAction(state: SandboxState, action: StoredAction): void {
  state.actions.push(action);
  track(indexOf(state), action);
}

function emptyState(): SandboxState {
  return { version: 1, clockOffsetMs: 0, actionCounter: 0, actions: [], devices: {} };
}

export interface Transaction {
  state: SandboxState;
  /** Call after changing the state, so it is written. */
  changed(): void;
  /**
   * How many events the state keeps: a file rewritten on every request keeps 1,000; a served
   * sandbox's memory 100,000. Deliveries never depend on it (they take each event as it happens).
   */
  eventHistory: number;
  /** Told of each event as it is emitted: `sandbox serve --webhook` delivers from here. */
  onEvent?: (event: WebhookEvent) => void;
}

const FILE_EVENT_HISTORY = 1_000;
const MEMORY_EVENT_HISTORY = 100_000;

export interface StateStore {
  transact<T>(work: (tx: Transaction) => T): Promise<T>;
  /** Writes anything pending (a no-op for stores that write as they go). */
  flush(): void;
  /**
   * Before serving: reads the state once (taking the lock), so a file amps cannot read or write, a
   * foreign one or a held lock is said in one line before any request. Returns what it repaired.
   */
  check(): Promise<string[]>;
  /** What was repaired since the last check or call (a file made junk while a command ran): said after the command. */
  notices(): string[];
}

/** The state file or its directory cannot be used: said in one line with the fix, exit 2 (nothing was sent). */
export class StateFileError extends UsageError {
  constructor(message: string, hint: string) {
    super(message, hint);
    this.name = 'StateFileError';
  }
}

/** Why a parsed file is not a state amps wrote, or undefined when it is one. */
function stateProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'it is not a JSON object';
  if (value.version !== 1) return typeof value.version === 'number' && value.version > 1 ? `it was written by a newer amps (version ${value.version})` : 'it has no version amps knows';
  if (!Number.isFinite(value.clockOffsetMs) || !Number.isInteger(value.actionCounter)) return 'its clock or counter is not a number';
  // The counters go into ids (act_…000042): a count, or ids no client reads as ids.
  // Below the largest safe integer: the next id is one more.
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) < Number.MAX_SAFE_INTEGER;
  if (!count(value.actionCounter) || [value.scheduleCounter, value.eventCounter, value.publishedSeq].some((n) => n !== undefined && !count(n))) return 'its counter is not a count';
  // A date at all (±8.64e15 ms); the 1970-9999 rule is for steps: time passing may carry a clock set near 9999 past it.
  if (Number.isNaN(new Date(Date.now() + (value.clockOffsetMs as number)).getTime())) return 'its clock is no date';
  if (!isRecord(value.devices) || !Object.values(value.devices).every(isRecord)) return 'its devices are not objects';
  const changes = Object.values(value.devices) as Array<Record<string, unknown>>;
  if (!changes.every((d) => (d.mode === undefined || typeof d.mode === 'string') && (d.settings === undefined || (isRecord(d.settings) && Object.values(d.settings).every(Number.isFinite))) && (d.clearedGroups === undefined || (Array.isArray(d.clearedGroups) && d.clearedGroups.every((g) => typeof g === 'string'))))) {
    return 'its devices\' modes or settings are not what amps writes';
  }
  if (!Array.isArray(value.actions)) return 'its actions are not a list';
  if (value.webhookSecret !== undefined && (typeof value.webhookSecret !== 'string' || unusableSecret(value.webhookSecret))) return 'its webhook secret cannot sign (it is not base64, as the whsec_ secret amps makes is)';
  if (value.schedules !== undefined && (!Array.isArray(value.schedules) || !value.schedules.every((s) => isRecord(s) && typeof s.id === 'string' && typeof s.deviceId === 'string' && Array.isArray(s.slots) && s.slots.every(isSlot) && typeof s.firedUntil === 'number'))) return 'its schedules are not schedules amps wrote';
  if (value.events !== undefined && (!Array.isArray(value.events) || !value.events.every((e) => isRecord(e) && typeof e.id === 'string' && typeof e.seq === 'number'))) return 'its events are not events amps wrote';
  const bad = value.actions.findIndex((a) => !isRecord(a) || typeof a.id !== 'string' || typeof a.deviceId !== 'string' || !(ACTION_STATES as readonly unknown[]).includes(a.state) || typeof a.createdAt !== 'string' || (a.start !== null && typeof a.start !== 'string'));
  return bad === -1 ? undefined : `action ${bad + 1} is not an action amps wrote`;
}

/** Where a state file's place is chosen: the embedded sandbox's by AMPS_CONFIG_DIR, a served one's by --state. */
const placeHint = (can: string) => `put the state in a directory amps can ${can} (AMPS_CONFIG_DIR for the embedded sandbox, --state FILE for sandbox serve)`;

/** The largest state file read: a 100,000-device fleet's actions are about 40 MiB. */
const MAX_STATE_BYTES = 256 * 1_048_576;

/**
 * The state in `file`: the seeded fleet when there is none. A file that is not a state amps wrote
 * is moved aside (kept, never overwritten) and the fleet restored; `repaired` says so.
 */
function readState(file: string, repaired: string[]): SandboxState {
  let text: string;
  try {
    // A FIFO would be waited on with the event loop held (Ctrl-C too), a device such as /dev/zero read for ever.
    const info = statSync(file);
    if (!info.isFile()) throw new StateFileError(`cannot read the sandbox state file ${file}: it is not a regular file`, `${placeHint('read and write')}, or move it aside`);
    // Read whole into one string (and parsed): bounded, or a junk file of gigabytes is read each command.
    if (info.size > MAX_STATE_BYTES) return keptAside(file, `it is larger than amps reads (${Math.round(info.size / 1_048_576)} MiB; at most ${MAX_STATE_BYTES / 1_048_576})`, repaired);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof StateFileError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new StateFileError(`cannot read the sandbox state file ${file}: ${systemErrorText(error)}`, `${placeHint('read and write')}, or fix the file's permissions`);
  }
  let parsed: unknown;
  let problem: string | undefined;
  try {
    parsed = JSON.parse(text);
    problem = stateProblem(parsed);
  } catch {
    problem = 'it is not valid JSON';
  }
  if (!problem) return parsed as SandboxState;
  if (/newer amps/.test(problem)) throw new StateFileError(`the sandbox state file ${file} was not read: ${problem}`, 'use that amps, or start afresh with amps sandbox reset (it keeps a copy)');
  return keptAside(file, problem, repaired);
}

/** A state file amps cannot use, moved aside (kept, never overwritten) with a notice; the seeded fleet in its place. */
function keptAside(file: string, problem: string, repaired: string[]): SandboxState {
  const backup = `${file}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(file, backup);
  } catch (error) {
    throw new StateFileError(`the sandbox state file ${file} is unreadable (${problem}) and could not be moved aside: ${systemErrorText(error)}`, 'amps sandbox reset writes a fresh one');
  }
  repaired.push(`the sandbox state file was unreadable (${problem}); it was kept as ${backup} and the seeded fleet restored`);
  return emptyState();
}

function writeStateAtomically(file: string, state: SandboxState): void {
  makeDirs(dirname(file), 0o700);
  writeFileWhole(file, JSON.stringify(state));
}

/** Writes the state, turning a file-system refusal into a one-line error naming the place. */
function writeState(file: string, state: SandboxState): void {
  try {
    writeStateAtomically(file, state);
  } catch (error) {
    throw new StateFileError(`cannot write the sandbox state ${file}: ${systemErrorText(error)}`, placeHint('write'));
  }
}

/** In memory, optionally saved to a file on flush (amps sandbox serve --state FILE). */
export function memoryStore(file?: string): StateStore {
  const repaired: string[] = [];
  let state = file ? readState(file, repaired) : emptyState();
  let dirty = false;
  return {
    async transact(work) {
      return work({ state, changed: () => (dirty = true), eventHistory: MEMORY_EVENT_HISTORY });
    },
    flush() {
      if (file && dirty) writeState(file, state);
      dirty = false;
    },
    async check() {
      return repaired.splice(0);
    },
    notices: () => repaired.splice(0),
  };
}

const LOCK_WAIT_MS = 10_000;

/**
 * Takes the state's lock (lib/file-lock.ts), waiting for another process's transaction. A lock
 * whose holder is gone (killed mid-transaction) is taken over at once; something there that is no
 * file is an error, not a wait. `stop` (the command's Ctrl-C) ends a wait as an interruption; it is
 * asked for only once there is one (a command's signal is made on first use).
 */
async function acquireLock(lock: string, waitMs = LOCK_WAIT_MS, stop?: () => AbortSignal): Promise<void> {
  try {
    makeDirs(dirname(lock), 0o700);
  } catch (error) {
    throw new StateFileError(`cannot create the sandbox state directory ${dirname(lock)}: ${systemErrorText(error)}`, placeHint('write'));
  }
  let step: Awaited<ReturnType<typeof lockWaiting>>;
  try {
    step = await lockWaiting(lock, waitMs, stop);
  } catch (error) {
    throw new StateFileError(`cannot lock the sandbox state (${lock}): ${systemErrorText(error)}`, placeHint('write'));
  }
  if (step === 'taken') return;
  if (step === 'stopped') throw new InterruptedError();
  if (step === 'foreign') throw new StateFileError(`the sandbox lock ${lock} is not amps's lock file`, `remove it: rm -r '${lock}'`);
  throw new StateFileError(`the sandbox state is locked by ${step.holder !== undefined ? `amps process ${step.holder}` : 'an amps process that has not named itself yet'} (${lock})`, `wait for it to finish (sandbox serve --state holds it until it stops); if no amps is running, remove ${lock}`);
}

/**
 * The state's lock, held for as long as `sandbox serve --state FILE` runs (released by the
 * function it returns): it writes the file when it stops, so a reset, another serve or an
 * embedded command meanwhile would be undone, or undo it. Another holder is refused at once.
 */
export async function holdStateFile(file: string): Promise<() => void> {
  const lock = `${file}.lock`;
  await acquireLock(lock, 0);
  return () => rmSync(lock, { force: true });
}

/** Re-reads the file inside a lock for every transaction: the embedded sandbox's store. `stop` ends a wait for the lock (acquireLock). */
export function fileStore(file: string, stop?: () => AbortSignal): StateStore {
  const lock = `${file}.lock`;
  const repaired: string[] = [];
  const transact = async <T>(work: (tx: Transaction) => T): Promise<T> => {
    await acquireLock(lock, LOCK_WAIT_MS, stop);
    try {
      const state = readState(file, repaired);
      let dirty = false;
      const result = work({ state, changed: () => (dirty = true), eventHistory: FILE_EVENT_HISTORY });
      if (dirty) writeState(file, state);
      return result;
    } finally {
      rmSync(lock, { force: true });
    }
  };
  return {
    transact,
    flush() {},
    async check() {
      // Proves the directory is writable (the lock is a file in it) and the file readable.
      await transact(() => undefined);
      return repaired.splice(0);
    },
    notices: () => repaired.splice(0),
  };
}

/** Restores the seeded fleet; a file that was there is kept as a copy first. */
export async function resetStateFile(file: string, stop?: () => AbortSignal): Promise<string | undefined> {
  // Under the lock: a transaction of another amps at the same time would write back the state
  // it read, undoing the reset.
  const lock = `${file}.lock`;
  await acquireLock(lock, LOCK_WAIT_MS, stop);
  try {
    return resetUnlocked(file);
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * A state as a reset leaves it: no action, schedule or event, no device changed, the clock not moved.
 * One of another version (a newer amps's, whose other fields this one cannot judge) never is: it is kept.
 */
function isFresh(state: unknown): boolean {
  const empty = (list: unknown) => list === undefined || (Array.isArray(list) && list.length === 0);
  return isRecord(state) && state.version === 1 && state.clockOffsetMs === 0 && empty(state.actions) && empty(state.schedules) && empty(state.events)
    && isRecord(state.devices) && Object.keys(state.devices).length === 0;
}

function resetUnlocked(file: string): string | undefined {
  let kept: string | undefined;
  let secret: string | undefined;
  try {
    // Something there that is no file (a FIFO, a folder): refused, as every other command refuses it, never replaced.
    if (!statSync(file).isFile()) throw new StateFileError(`cannot reset the sandbox state file ${file}: it is not a regular file`, 'move it aside, or set AMPS_CONFIG_DIR (or --state) to another place');
    {
      let fresh = false;
      try {
        const old: unknown = JSON.parse(readFileSync(file, 'utf8'));
        if (isRecord(old) && typeof old.webhookSecret === 'string') secret = old.webhookSecret;
        fresh = isFresh(old);
      } catch {
        // An unreadable state has no secret to keep.
      }
      // A state nothing has happened in since a reset is not kept: the one kept before it stays.
      if (!fresh) {
        kept = `${file}.before-reset`;
        renameSync(file, kept);
      }
    }
  } catch (error) {
    if (error instanceof StateFileError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new StateFileError(`cannot reset the sandbox state ${file}: ${systemErrorText(error)}`, placeHint('write'));
  }
  writeState(file, { ...emptyState(), ...(secret ? { webhookSecret: secret } : {}) });
  return kept;
}
