// Writes to the config file, through conf (atomic writes, file mode 0600). Reads on the hot path
// go through resolve.ts, which parses the same file without loading conf.

import { chmodSync, mkdirSync } from 'node:fs';
import { configDir, configFile } from './paths.js';
import { readStoredConfig, type ProfileValues, type StoredConfig } from './resolve.js';
import type { Env } from '../contract/env.js';
import { UsageError } from '../errors/failures.js';
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
  return {
    path,
    read: () => conf.store,
    setValue(profile, key, value) {
      const current = conf.store;
      const profiles = { ...current.profiles, [profile]: { ...current.profiles?.[profile], [key]: value } };
      save({ ...current, profiles });
    },
    unsetValue(profile, key) {
      const current = conf.store;
      const values = { ...current.profiles?.[profile] };
      if (!(key in values)) return false;
      delete values[key];
      save({ ...current, profiles: { ...current.profiles, [profile]: values } });
      return true;
    },
    setCurrentProfile(profile) {
      const current = conf.store;
      save({ ...current, currentProfile: profile, profiles: { ...current.profiles, [profile]: current.profiles?.[profile] ?? {} } });
    },
  };
}
