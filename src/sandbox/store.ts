// Persisted sandbox state. The fleet itself is derived from the seed and never stored; the state
// holds only what requests changed: actions, settings, modes, cleared scheduler rows, the clock.
// Writes are atomic (write a temp file, then rename), and the file store serialises whole
// read-modify-write transactions across processes with a lock file, so two `amps` commands at
// once never corrupt the file nor lose each other's writes.

import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ActionRecord } from '../contract/actions.js';

/** What the sandbox keeps beside the public record. */
export interface StoredAction extends ActionRecord {
  userId: string;
  /** The mode to restore when a windowed action's end passes. */
  revertTo?: string;
  revertedAt?: string;
  /** The sandbox directive's code, for an action that fails when dispatched. */
  failWith?: string;
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
}

/**
 * Lookups the request path needs in constant time, derived from the state (never stored): by id,
 * by device, and the actions the lifecycle still has to move (not terminal, or a window still to
 * revert). Built once per state object; a load test's 100,000 actions cost no scan per request.
 */
export interface ActionIndex {
  byId: Map<string, StoredAction>;
  byDevice: Map<string, StoredAction[]>;
  live: Set<StoredAction>;
}

const indexes = new WeakMap<SandboxState, ActionIndex>();

/** True while the lifecycle may still change the action or the device because of it. */
export function isLive(action: StoredAction): boolean {
  return action.state === 'scheduled' || action.state === 'acknowledged' || (action.state === 'completed' && action.end !== null && !action.revertedAt);
}

export function indexOf(state: SandboxState): ActionIndex {
  let index = indexes.get(state);
  if (!index) {
    index = { byId: new Map(), byDevice: new Map(), live: new Set() };
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
  if (isLive(action)) index.live.add(action);
}

/** Back to the seeded fleet, in place (the stores hold on to the state object). */
export function resetState(state: SandboxState): void {
  Object.assign(state, emptyState());
  indexes.delete(state);
}

export function addAction(state: SandboxState, action: StoredAction): void {
  state.actions.push(action);
  track(indexOf(state), action);
}

export function emptyState(): SandboxState {
  return { version: 1, clockOffsetMs: 0, actionCounter: 0, actions: [], devices: {} };
}

export interface Transaction {
  state: SandboxState;
  /** Call after changing the state, so it is written. */
  changed(): void;
}

export interface StateStore {
  transact<T>(work: (tx: Transaction) => T): Promise<T>;
  /** Writes anything pending (a no-op for stores that write as they go). */
  flush(): void;
}

function readState(file: string): SandboxState {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    return parsed && parsed.version === 1 && Array.isArray(parsed.actions) ? parsed : emptyState();
  } catch {
    // Missing or unreadable: start from the seeded fleet. A corrupt file cannot arise from our
    // own writes (they are atomic), so this is a hand-edited or foreign file.
    return emptyState();
  }
}

function writeStateAtomically(file: string, state: SandboxState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
  renameSync(temp, file);
}

/** In memory, optionally saved to a file on flush (amps sandbox serve --state FILE). */
export function memoryStore(file?: string): StateStore {
  let state = file ? readState(file) : emptyState();
  let dirty = false;
  return {
    async transact(work) {
      return work({ state, changed: () => (dirty = true) });
    },
    flush() {
      if (file && dirty) writeStateAtomically(file, state);
      dirty = false;
    },
  };
}

const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 10_000;

async function acquireLock(lock: string): Promise<void> {
  mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        // A lock older than any transaction can take was left by a killed process.
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
      } catch {
        // It went away between the two calls: try again.
      }
      if (Date.now() > deadline) throw new Error(`the sandbox state is locked by another amps process (${lock})`);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
}

/** Re-reads the file inside a lock for every transaction: the embedded sandbox's store. */
export function fileStore(file: string): StateStore {
  const lock = `${file}.lock`;
  return {
    async transact(work) {
      await acquireLock(lock);
      try {
        const state = readState(file);
        let dirty = false;
        const result = work({ state, changed: () => (dirty = true) });
        if (dirty) writeStateAtomically(file, state);
        return result;
      } finally {
        rmSync(lock, { force: true });
      }
    },
    flush() {},
  };
}

export function resetStateFile(file: string): void {
  writeStateAtomically(file, emptyState());
}
