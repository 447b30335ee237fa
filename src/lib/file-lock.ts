// The lock files around a read-change-write of amps's own files (the config file, the embedded
// sandbox's state): one made exclusively, naming its holder by pid and start time, so that one
// left by a process that is gone (killed mid-change, or its pid since reused) is taken over, by
// one process at a time (takeOverStale). Callers wait for a live holder as suits them (tryLock).

import { closeSync, lstatSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { ownStart, writerRuns } from './process.js';

/** A lock with no readable holder is taken as one being written (made, then written) this long at most. */
const UNREADABLE_MS = 2_000;

/**
 * Makes the lock, naming this process; false when it exists. Any other failure is thrown, and a
 * lock made but not written (a full disk) is removed first.
 */
function takeLock(lock: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, start: ownStart() })}\n`);
  } catch (error) {
    closeSync(fd);
    rmSync(lock, { force: true });
    throw error;
  }
  closeSync(fd);
  return true;
}

/**
 * Who holds the lock: its pid while that process runs; 'stale' when it is gone (or the lock has
 * been unreadable too long to be one being written); 'gone' when the lock went meanwhile;
 * 'foreign' when what stands there is no file (a folder, a FIFO: never read, a FIFO would wait).
 */
function lockHolder(lock: string): number | 'stale' | 'gone' | 'foreign' {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(lock);
  } catch {
    return 'gone';
  }
  if (!info.isFile()) return 'foreign';
  let holder: { pid?: unknown; start?: unknown } | number | undefined;
  try {
    holder = JSON.parse(readFileSync(lock, 'utf8')) as typeof holder;
  } catch {
    // Being written this instant, or damaged.
  }
  // A bare pid: the lock of an amps before locks named their holder's start.
  if (typeof holder === 'number') holder = { pid: holder };
  const pid = typeof holder?.pid === 'number' ? holder.pid : Number.NaN;
  if (!Number.isSafeInteger(pid)) return Date.now() - info.mtimeMs > UNREADABLE_MS ? 'stale' : Number.NaN;
  return writerRuns(pid, typeof holder?.start === 'string' ? holder.start : undefined) ? pid : 'stale';
}

/** A take-over's own guard is held for an instant: one older than this was left by a process killed in that instant. */
const GUARD_STALE_MS = 2_000;

/**
 * Removes a lock found stale, if it still is. Two processes that both found it stale must not both
 * remove it: the second would remove the fresh lock the first has made since, and two changes
 * would run at once. So the removal is done under a guard (`LOCK.takeover`, made exclusively),
 * after reading the lock again: while the stale lock stands no one else can replace it, and while
 * the guard is held no one else removes it. False when another process holds the guard: wait a little, and look again.
 */
function takeOverStale(lock: string): boolean {
  const guard = `${lock}.takeover`;
  try {
    closeSync(openSync(guard, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - lstatSync(guard).mtimeMs > GUARD_STALE_MS) rmSync(guard, { force: true });
    } catch {
      // Gone meanwhile.
    }
    return false;
  }
  try {
    if (lockHolder(lock) === 'stale') rmSync(lock, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
  return true;
}

/**
 * One try at the lock: 'taken' (it is this process's until removed); 'foreign' when what stands
 * there is no file; else the holder to wait for (undefined: one that has not named itself yet). A
 * lock that went meanwhile, or a stale one taken over, is tried again at once. A failure to make
 * the lock (not EEXIST) is thrown.
 */
export function tryLock(lock: string): 'taken' | 'foreign' | { holder: number | undefined } {
  for (;;) {
    if (takeLock(lock)) return 'taken';
    const holder = lockHolder(lock);
    if (holder === 'gone') continue;
    if (holder === 'foreign') return 'foreign';
    if (holder === 'stale' && takeOverStale(lock)) continue;
    return { holder: typeof holder === 'number' && !Number.isNaN(holder) ? holder : undefined };
  }
}

/**
 * Tries for the lock until `waitMs` has passed, pausing 5 to 25 ms between tries on the event loop,
 * so that Ctrl-C is heard: 'stopped' once `stop` (the command's signal, asked for only once there
 * is a wait) is aborted, else what the last try found. A failure to make the lock is thrown.
 */
export async function lockWaiting(lock: string, waitMs: number, stop?: () => AbortSignal): Promise<ReturnType<typeof tryLock> | 'stopped'> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const step = tryLock(lock);
    if (step === 'taken' || step === 'foreign' || Date.now() >= deadline) return step;
    if (stop?.().aborted) return 'stopped';
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    if (stop?.().aborted) return 'stopped';
  }
}

/**
 * Tries for the lock until `waitMs` has passed, a synchronous pause of 20 ms between tries (for a
 * caller whose work is synchronous: a ledger's outcome appends, `amps watch`; Ctrl-C is not heard
 * meanwhile, which lockWaiting avoids): what the last try found. A failure to make the lock is thrown.
 */
export function lockWithin(lock: string, waitMs: number): ReturnType<typeof tryLock> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const step = tryLock(lock);
    if (step === 'taken' || step === 'foreign' || Date.now() >= deadline) return step;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}
