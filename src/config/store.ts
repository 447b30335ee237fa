// Writes to the config file, through conf (atomic writes, file mode 0600). Reads on the hot path
// go through resolve.ts, which parses the same file without loading conf.

import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { configDir, configFile } from './paths.js';
import { readStoredConfig, type ProfileValues, type StoredConfig } from './resolve.js';
import type { Env } from '../contract/env.js';
import { UsageError } from '../errors/failures.js';
import { processStart, writerRuns } from '../lib/process.js';
import { systemErrorText } from '../lib/values.js';

export type ProfileKey = keyof ProfileValues;

export interface ConfigStore {
  path: string;
  read(): StoredConfig;
  setValue(profile: string, key: ProfileKey, value: string): void;
  unsetValue(profile: string, key: ProfileKey): boolean;
  setCurrentProfile(profile: string): void;
}

/** A file-system refusal on amps's own config as one line naming the place, exit 2. */
function configWriteError(error: unknown, path: string): UsageError {
  return new UsageError(`cannot write the config ${path}: ${systemErrorText(error)}`, 'set AMPS_CONFIG_DIR to a directory amps can write');
}

export async function openConfigStore(env: Env): Promise<ConfigStore> {
  // Reading first turns a corrupt file into a clear message instead of conf's exception.
  readStoredConfig(env);
  const { default: Conf } = await import('conf');
  try {
    mkdirSync(configDir(env), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw configWriteError(error, configDir(env));
  }
  let conf: InstanceType<typeof Conf<StoredConfig>>;
  try {
    conf = new Conf<StoredConfig>({
    cwd: configDir(env),
    configName: 'config',
    projectName: 'amps',
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
    });
  } catch (error) {
    throw configWriteError(error, configFile(env));
  }
  const path = configFile(env);
  const save = (next: StoredConfig) => {
    try {
      conf.store = next;
      chmodSync(path, 0o600);
    } catch (error) {
      throw configWriteError(error, path);
    }
  };
  // Each change reads the file (conf's store reads it afresh) and writes it back under the lock.
  return {
    path,
    read: () => conf.store,
    setValue(profile, key, value) {
      underLock(path, () => {
        const current = conf.store;
        const profiles = { ...current.profiles, [profile]: { ...current.profiles?.[profile], [key]: value } };
        save({ ...current, profiles });
      });
    },
    unsetValue(profile, key) {
      return underLock(path, () => {
        const current = conf.store;
        const values = { ...current.profiles?.[profile] };
        if (!(key in values)) return false;
        delete values[key];
        save({ ...current, profiles: { ...current.profiles, [profile]: values } });
        return true;
      });
    },
    setCurrentProfile(profile) {
      underLock(path, () => {
        const current = conf.store;
        save({ ...current, currentProfile: profile, profiles: { ...current.profiles, [profile]: current.profiles?.[profile] ?? {} } });
      });
    },
  };
}

/** How long a change waits for another amps's change of the same file. */
const LOCK_WAIT_MS = 5_000;
/** A lock without a readable holder is taken as one being written this long at most (create, then write). */
const LOCK_UNREADABLE_MS = 2_000;

/**
 * Runs a read-change-write of the config file holding `FILE.lock` (made exclusively): two amps
 * changing it at once (`config set` in parallel, a login beside a set) would each write back what
 * it read, and one change would be lost. The lock names its holder by pid and start time, so a lock
 * whose process is gone (killed mid-change, or its pid since reused) is taken over; one held longer
 * than LOCK_WAIT_MS is refused, naming it. Something there that is no file (a FIFO, a folder) is
 * refused at once: reading a FIFO would wait with the event loop held.
 */
function underLock<T>(path: string, change: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (takeLock(lock)) break;
    const holder = lockHolder(lock);
    if (holder === 'gone') continue;
    if (holder === 'stale') {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new UsageError(`the config ${path} is being changed by another amps (process ${holder}), for more than ${LOCK_WAIT_MS / 1000} s`, `let it finish; if no amps runs, remove ${lock}`);
    // A synchronous pause (conf's writes are synchronous): 20 ms.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  try {
    return change();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Makes the lock, naming this process; false when another holds it. A lock made but not written (a full disk) is removed. */
function takeLock(lock: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw configWriteError(error, lock);
  }
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, start: processStart(process.pid) })}\n`);
  } catch (error) {
    closeSync(fd);
    rmSync(lock, { force: true });
    throw configWriteError(error, lock);
  }
  closeSync(fd);
  return true;
}

/** Who holds the lock: its pid while it runs; 'stale' when it is gone (or unreadable for long); 'gone' when the lock went meanwhile. */
function lockHolder(lock: string): number | 'stale' | 'gone' {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(lock);
  } catch {
    return 'gone';
  }
  if (!info.isFile()) throw new UsageError(`${lock} is in the way of the config file's lock: it is not a file amps wrote`, 'remove it, then try again');
  let holder: { pid?: unknown; start?: unknown } | undefined;
  try {
    holder = JSON.parse(readFileSync(lock, 'utf8')) as typeof holder;
  } catch {
    // Being written this instant, or damaged.
  }
  const pid = typeof holder?.pid === 'number' ? holder.pid : Number.NaN;
  if (!Number.isSafeInteger(pid)) return Date.now() - info.mtimeMs > LOCK_UNREADABLE_MS ? 'stale' : pid;
  return writerRuns(pid, typeof holder?.start === 'string' ? holder.start : undefined) ? pid : 'stale';
}
