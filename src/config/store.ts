// Writes to the config file, through conf (atomic writes, file mode 0600). Reads on the hot path
// go through resolve.ts, which parses the same file without loading conf.

import { chmodSync, rmSync } from 'node:fs';
import { configDir, configFile } from './paths.js';
import { readStoredConfig, type ProfileValues, type StoredConfig } from './resolve.js';
import type { Env } from '../contract/env.js';
import { InterruptedError, UsageError } from '../errors/failures.js';
import { lockWaiting } from '../lib/file-lock.js';
import { systemErrorText } from '../lib/values.js';
import { makeDirs } from '../lib/make-dirs.js';

export type ProfileKey = keyof ProfileValues;

export interface ConfigStore {
  path: string;
  read(): StoredConfig;
  setValue(profile: string, key: ProfileKey, value: string): Promise<void>;
  /** Values of a profile and, with `current`, the profile made the current one: one change, under one take of the lock (login's). */
  setProfile(profile: string, values: Partial<Record<ProfileKey, string>>, current: boolean): Promise<void>;
  unsetValue(profile: string, key: ProfileKey): Promise<boolean>;
  setCurrentProfile(profile: string): Promise<void>;
}

/** A file-system refusal on amps's own config as one line naming the place, exit 2. */
function configWriteError(error: unknown, path: string): UsageError {
  return new UsageError(`cannot write the config ${path}: ${systemErrorText(error)}`, 'set AMPS_CONFIG_DIR to a directory amps can write');
}

/** `stop` (the command's Ctrl-C) ends a wait for another amps's change (underLock). */
export async function openConfigStore(env: Env, stop?: () => AbortSignal): Promise<ConfigStore> {
  // Reading first turns a corrupt file into a clear message instead of conf's exception.
  readStoredConfig(env);
  const { default: Conf } = await import('conf');
  try {
    makeDirs(configDir(env), 0o700);
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
  const setProfile: ConfigStore['setProfile'] = async (profile, values, makeCurrent) => {
    await underLock(path, stop, () => {
      const current = conf.store;
      const profiles = { ...current.profiles, [profile]: { ...current.profiles?.[profile], ...values } };
      save({ ...current, ...(makeCurrent ? { currentProfile: profile } : {}), profiles });
    });
  };
  return {
    path,
    read: () => conf.store,
    setValue: (profile, key, value) => setProfile(profile, { [key]: value }, false),
    setProfile,
    unsetValue(profile, key) {
      return underLock(path, stop, () => {
        const current = conf.store;
        const values = { ...current.profiles?.[profile] };
        if (!(key in values)) return false;
        delete values[key];
        save({ ...current, profiles: { ...current.profiles, [profile]: values } });
        return true;
      });
    },
    setCurrentProfile: (profile) => setProfile(profile, {}, true),
  };
}

/** How long a change waits for another amps's change of the same file. */
const LOCK_WAIT_MS = 5_000;

/**
 * Runs a read-change-write of the config file holding `FILE.lock` (lib/file-lock.ts): two amps
 * changing it at once (`config set` in parallel, a login beside a set) would each write back what
 * it read, and one change would be lost. A lock whose holder is gone is taken over; one held
 * longer than LOCK_WAIT_MS is refused, naming it; something there that is no file, at once. The
 * wait is on the event loop: Ctrl-C ends it (exit 130), nothing written.
 */
async function underLock<T>(path: string, stop: (() => AbortSignal) | undefined, change: () => T): Promise<T> {
  const lock = `${path}.lock`;
  let step: Awaited<ReturnType<typeof lockWaiting>>;
  try {
    step = await lockWaiting(lock, LOCK_WAIT_MS, stop);
  } catch (error) {
    throw configWriteError(error, lock);
  }
  if (step === 'stopped') throw new InterruptedError();
  if (step === 'foreign') throw new UsageError(`${lock} is in the way of the config file's lock: it is not a file amps wrote`, 'remove it, then try again');
  if (step !== 'taken') throw new UsageError(`the config ${path} is being changed by another amps (${step.holder !== undefined ? `process ${step.holder}` : 'a process that has not named itself yet'}), for more than ${LOCK_WAIT_MS / 1000} s`, `let it finish; if no amps runs, remove ${lock}`);
  try {
    return change();
  } finally {
    rmSync(lock, { force: true });
  }
}
