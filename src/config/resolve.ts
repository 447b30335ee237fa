// Where amps sends requests and with which key. Precedence: flags > AMPS_* environment > the
// selected profile > the embedded sandbox. This read path parses the config file directly, so
// commands that only read configuration never load conf (and its schema validator) at start-up;
// conf owns every write (config/store.ts).

import { readFileSync } from 'node:fs';
import { UsageError } from '../errors/failures.js';
import { configFile } from './paths.js';
import type { Env } from '../contract/env.js';
import { keyEnvironment, type KeyEnvironment } from '../contract/keys.js';

export const DEFAULT_API_URL = 'https://api.amps.ai';
export const DEFAULT_PROFILE = 'default';

export interface ProfileValues {
  apiUrl?: string;
  apiKey?: string;
}

export interface StoredConfig {
  currentProfile?: string;
  profiles?: Record<string, ProfileValues>;
}

export type Source = 'flag' | 'env' | 'profile' | 'default';

export interface Resolved<T> {
  value: T;
  source: Source;
}

export interface TargetFlags {
  profile?: string;
  apiUrl?: string;
  /** A file (or - for stdin, read by the caller) holding the key: keys never ride on argv. */
  apiKey?: string;
}

export interface Target {
  profile: Resolved<string>;
  apiUrl: Resolved<string | undefined>;
  apiKey: Resolved<string | undefined>;
  /** No key and no URL anywhere: run against the embedded sandbox. */
  embedded: boolean;
  environment: KeyEnvironment;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readStoredConfig(env: Env): StoredConfig {
  const file = configFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed) || (parsed.profiles !== undefined && !isRecord(parsed.profiles))) throw new Error('not a config object');
    return parsed as StoredConfig;
  } catch {
    throw new UsageError(
      `the config file ${file} is corrupt (not a valid amps config)`,
      `move it aside and set things again: mv '${file}' '${file}.bak' && amps config set api-key`,
    );
  }
}

/** Enough to recognise a key, never enough to use it: `amps_sk_test_…k3Zq`. */
export function maskKey(key: string): string {
  const prefix = /^(amps_)?sk_(test|live)_/.exec(key)?.[0] ?? '';
  return `${prefix}…${key.length > prefix.length + 8 ? key.slice(-4) : ''}`;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** https anywhere; plain http only to this machine, so a key never crosses a network in clear. */
export function checkApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`the API URL '${value}' is not a URL`, 'use e.g. https://api.amps.ai or http://127.0.0.1:4010');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new UsageError(`plain http:// is allowed only for loopback addresses, not ${url.hostname}`, 'use https://');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the API URL must be http(s), not ${url.protocol}`);
  }
  return url.toString().replace(/\/+$/, '');
}

function pick<T>(candidates: Array<[T | undefined, Source]>, fallback: Resolved<T>): Resolved<T> {
  for (const [value, source] of candidates) {
    if (value !== undefined && value !== '') return { value, source };
  }
  return fallback;
}

export function resolveTarget(flags: TargetFlags, env: Env, stored: StoredConfig = readStoredConfig(env)): Target {
  const profile = pick<string>(
    [[flags.profile, 'flag'], [env.AMPS_PROFILE, 'env'], [stored.currentProfile, 'profile']],
    { value: DEFAULT_PROFILE, source: 'default' },
  );
  const values = stored.profiles?.[profile.value] ?? {};
  if (profile.source !== 'default' && profile.value !== DEFAULT_PROFILE && !stored.profiles?.[profile.value]) {
    throw new UsageError(`no profile named '${profile.value}'`, 'amps config list shows the profiles; amps config set --profile NAME creates one');
  }
  const apiKey = pick<string | undefined>(
    [[flags.apiKey, 'flag'], [env.AMPS_API_KEY, 'env'], [values.apiKey, 'profile']],
    { value: undefined, source: 'default' },
  );
  const configuredUrl = pick<string | undefined>(
    [[flags.apiUrl, 'flag'], [env.AMPS_API_URL, 'env'], [values.apiUrl, 'profile']],
    { value: undefined, source: 'default' },
  );
  const embedded = apiKey.value === undefined && configuredUrl.value === undefined;
  const apiUrl: Resolved<string | undefined> = configuredUrl.value !== undefined
    ? { value: checkApiUrl(configuredUrl.value), source: configuredUrl.source }
    : { value: embedded ? undefined : DEFAULT_API_URL, source: 'default' };
  return { profile, apiUrl, apiKey, embedded, environment: embedded ? 'sandbox' : keyEnvironment(apiKey.value) };
}
