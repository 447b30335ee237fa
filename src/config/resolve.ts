// Where amps sends requests and with which key. Precedence: flags > AMPS_* environment > the
// selected profile > the embedded sandbox. This read path parses the config file directly, so
// commands that only read configuration never load conf (and its schema validator) at start-up;
// conf owns every write (config/store.ts).

import { UsageError } from '../errors/failures.js';
import { configFile } from './paths.js';
import type { Env } from '../contract/env.js';
import { API_KEY_PATTERN, holdsKeyShape, keyEnvironment, type KeyEnvironment } from '../contract/keys.js';
import { closest, isRecord, redactUrl } from '../lib/values.js';
import { jsonTextProblem } from '../lib/json-text.js';
import { appIdProblem } from '../domain/link.js';
import { readRegularFile } from '../output/read.js';
import { safeToPrint, shellQuote } from '../output/text.js';

export const DEFAULT_API_URL = 'https://api.amps.ai';
const DEFAULT_PROFILE = 'default';

export interface ProfileValues {
  apiUrl?: string;
  apiKey?: string;
  /** The app id of the Link UI URLs (`https://auth.amps.ai/{appId}`). */
  appId?: string;
}

/** The settings a profile holds, by the names `config set` and `config unset` take, and as the file names them. */
export const SETTING_NAMES: Readonly<Record<string, keyof ProfileValues>> = { 'api-key': 'apiKey', 'api-url': 'apiUrl', 'app-id': 'appId' };

export interface StoredConfig {
  currentProfile?: string;
  profiles?: Record<string, ProfileValues>;
}

export type Source = 'flag' | 'env' | 'profile' | 'default';

export interface Resolved<T> {
  value: T;
  source: Source;
}

interface TargetFlags {
  profile?: string;
  apiUrl?: string;
  /** A file (or - for stdin, read by the caller) holding the key: keys never ride on argv. */
  apiKey?: string;
  /** That file's name, as given: refused when empty. */
  apiKeyFile?: string;
}

export interface Target {
  profile: Resolved<string>;
  apiUrl: Resolved<string | undefined>;
  apiKey: Resolved<string | undefined>;
  /** No key and no URL anywhere: run against the embedded sandbox. */
  embedded: boolean;
  environment: KeyEnvironment;
  /** Set when a real target was meant but no key was found: why, for a one-line error (exit 3). */
  missingKey?: string;
  /** AMPS_APP_ID, else the profile's app-id: for the Link UI URLs a re-link needs. */
  appId: Resolved<string | undefined>;
}


export function readStoredConfig(env: Env): StoredConfig {
  const file = configFile(env);
  let text: string | undefined;
  try {
    // A config file is a few hundred bytes; a megabyte is no config.
    text = readRegularFile(file, 1024 * 1024, 'the config file');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(error.message, 'set AMPS_CONFIG_DIR to a directory amps can read and write, or move the file aside');
  }
  if (text === undefined) return {};
  // A Windows editor's byte-order mark: the file is otherwise fine, and conf (which writes it) would not read it either.
  if (text.startsWith('\uFEFF')) throw new UsageError(`the config file ${file} begins with a byte-order mark (a Windows editor's), which JSON does not allow`, `save it as UTF-8 without one, or remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' '${file}'`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
    if (!isRecord(parsed) || (parsed.profiles !== undefined && !isRecord(parsed.profiles))) throw new Error('not a config object');
    // A current profile that is not a name would otherwise be read as none (and the embedded sandbox chosen).
    if (parsed.currentProfile !== undefined && typeof parsed.currentProfile !== 'string') throw new Error('currentProfile is not a name');
  } catch {
    throw new UsageError(
      `the config file ${file} is corrupt (not a valid amps config)`,
      `move it aside and set things again: mv '${file}' '${file}.bak' && amps config set api-key`,
    );
  }
  // JSON.parse keeps the last of a name given twice: `"profiles"` twice read as the second, which
  // may hold nothing (the embedded sandbox served), or `"currentProfile"` twice as another profile.
  const problem = jsonTextProblem(text, 64);
  if (problem?.kind === 'repeated') {
    throw new UsageError(`the config file ${file} names '${problem.path}' twice, so amps cannot tell where you meant to send requests`, `keep one of them in the file, or move the file aside and set things again: mv '${file}' '${file}.bak' && amps config set api-key`);
  }
  unknownSetting(parsed as Record<string, unknown>, file);
  return parsed as StoredConfig;
}

const FILE_SETTINGS = ['currentProfile', 'profiles'];
const PROFILE_SETTINGS: Array<keyof ProfileValues> = Object.values(SETTING_NAMES);

/**
 * A setting amps does not know, refused: a key under a name amps never reads (`api-key` for
 * `apiKey`, `profile` for `profiles`) would leave the file configuring nothing, and every write
 * would go to the embedded sandbox and report success.
 */
function unknownSetting(parsed: Record<string, unknown>, file: string): void {
  const refuse = (name: string, where: string, known: string[]) => {
    const near = closest(name, known);
    // amps config set reads the file first, so the fix is in the file itself.
    throw new UsageError(
      `the config file ${file} has a setting amps does not know: '${name}' ${where}, so amps cannot tell where you meant to send requests`,
      `${near.length > 0 ? `rename it to ${near[0]}` : 'remove it'} in the file (amps reads ${known.join(', ')} there), or move the file aside and set things again: mv '${file}' '${file}.bak' && amps config set api-key`,
    );
  };
  for (const name of Object.keys(parsed)) if (!FILE_SETTINGS.includes(name)) refuse(name, 'at the top', FILE_SETTINGS);
  // An empty value read as "not set" would pick the embedded sandbox, or the live default URL for a profile's key.
  const empty = (name: string, where: string) => {
    throw new UsageError(`the config file ${file} has an empty ${name} ${where}, so amps cannot tell where you meant to send requests`, 'give it a value in the file, or remove it there (amps reads the file before any config command changes it)');
  };
  if (parsed.currentProfile === '') empty('currentProfile', 'at the top');
  for (const [profile, values] of Object.entries((parsed.profiles ?? {}) as Record<string, unknown>)) {
    if (!isRecord(values)) {
      throw new UsageError(`the config file ${file} has a profile '${profileShown(profile)}' that is not a set of settings`, `make it {"apiKey": …} in the file, or move the file aside and set things again: mv '${file}' '${file}.bak' && amps config set api-key`);
    }
    for (const name of Object.keys(values)) if (!(PROFILE_SETTINGS as string[]).includes(name)) refuse(name, `in profile ${profileShown(profile)}`, PROFILE_SETTINGS);
    for (const name of PROFILE_SETTINGS) if (values[name] === '') empty(name, `in profile ${profileShown(profile)}`);
  }
}

/** Enough to recognise a key, never enough to use it: `amps_sk_test_…k3Zq`. */
export function maskKey(key: string): string {
  const prefix = /^(amps_)?sk_(test|live)_/.exec(key)?.[0] ?? '';
  return `${prefix}…${key.length > prefix.length + 8 ? key.slice(-4) : ''}`;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** https anywhere; plain http only to this machine, so a key never crosses a network in clear. */
export function checkApiUrl(value: string): string {
  // A key pasted into the URL would be printed wherever the URL is (the LIVE line, config list, doctor).
  if (holdsKeyShape(value)) throw new UsageError('the API URL holds what looks like an API key, so it is not shown, nor used: it would be printed wherever the URL is', 'give the key with AMPS_API_KEY, --api-key-file or amps login; the URL is the base alone, e.g. https://api.amps.ai');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`the API URL '${redactUrl(value)}' is not a URL`, 'use e.g. https://api.amps.ai or http://127.0.0.1:4010');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new UsageError(`plain http:// is allowed only for loopback addresses, not ${url.hostname}`, 'use https://');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the API URL must be http(s), not ${url.protocol}`);
  }
  // A backslash is read as / by the URL parser: kept as that, the URL stored was not the one typed.
  if (value.includes('\\')) throw new UsageError(`the API URL '${redactUrl(value)}' holds a backslash, which URL parsers read as /`, 'give the base URL with / alone, e.g. https://api.amps.ai/v1');
  // A path led by // would be read as another host once amps adds its own paths: `//v1/battery` is
  // a URL of the host v1. Slashes at the end are dropped below (`http://127.0.0.1:4010//` is that base).
  if (url.pathname.replace(/\/+$/, '').startsWith('//')) {
    throw new UsageError(`the API URL '${redactUrl(value)}' has a path led by //, which would name another host`, 'give the base URL alone, e.g. https://api.amps.ai or https://api.amps.ai/v1');
  }
  // amps adds its own paths and queries: one the URL carried would be dropped without a word.
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    throw new UsageError(`the API URL '${redactUrl(value)}' has a query or a fragment, which amps would drop`, 'give the base URL alone, e.g. https://api.amps.ai');
  }
  return url.toString().replace(/\/+$/, '');
}

function pick<T>(candidates: Array<[T | undefined, Source]>, fallback: Resolved<T>): Resolved<T> {
  for (const [value, source] of candidates) {
    if (value !== undefined && value !== '') return { value, source };
  }
  return fallback;
}

/**
 * Whether `name` can be a profile's: letters, digits, `_ . -`, and not an API key (a key pasted at
 * login's first prompt would be printed wherever the profile is named). A shell completion offers
 * these names, so nothing in them may mean anything to a shell.
 */
export function isProfileName(name: string): boolean {
  // Not led by `-`: `amps config use -x` would be read as an option, and completion offers these names.
  return /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/.test(name) && !holdsKeyShape(name);
}

/** A profile name fit to print, whatever a hand-edited config holds: no key, no escape sequence. */
export function profileShown(name: string): string {
  return safeToPrint(name);
}

/** `name`, when it can be a profile's (isProfileName); else a usage error, saying where it came from when `from` does. */
export function checkProfileName(name: string, from?: string): string {
  if (!isProfileName(name)) throw new UsageError(`'${profileShown(name)}'${from ? ` (from ${from})` : ''} is not a profile name (letters, digits, _ . -, not led by -, at most 64; not an API key)`, from ? 'amps config profiles lists the profiles' : undefined);
  return name;
}

/** The profiles in the file, by their own names only (`constructor` is not a profile). */
export function profileNames(stored: StoredConfig): string[] {
  return isRecord(stored.profiles) ? Object.keys(stored.profiles) : [];
}

function profileValues(stored: StoredConfig, name: string): ProfileValues | undefined {
  if (!isRecord(stored.profiles) || !Object.hasOwn(stored.profiles, name)) return undefined;
  const values = stored.profiles[name];
  return isRecord(values) ? (values as ProfileValues) : {};
}

/**
 * A target setting given empty (`AMPS_API_KEY=` from a CI secret that is not there, `--api-url
 * "$UNSET"`) is refused, never read as "not given": that reading would send the operator's writes
 * to another profile or to the embedded sandbox, and report success.
 */
function refuseEmpty(value: string | undefined, name: string, isVariable: boolean): void {
  if (value !== '') return;
  throw new UsageError(
    `${name} is given but empty, so amps cannot tell where you meant to send requests`,
    isVariable ? `give it a value, or unset it (unset ${name}) to use the configured profile` : `give it a value, or leave ${name} out`,
  );
}

/**
 * The one rule for which profile is in use: --profile, else AMPS_PROFILE, else the file's current
 * profile, else `default`. An empty --profile or AMPS_PROFILE is refused. A profile named by any
 * of the three must exist; config commands and requests both ask here.
 */
export function selectProfile(flag: string | undefined, env: Env, stored: StoredConfig): Resolved<string> {
  refuseEmpty(flag, '--profile', false);
  refuseEmpty(env.AMPS_PROFILE, 'AMPS_PROFILE', true);
  const current = typeof stored.currentProfile === 'string' ? stored.currentProfile : undefined;
  const profile = pick<string>([[flag, 'flag'], [env.AMPS_PROFILE, 'env'], [current, 'profile']], { value: DEFAULT_PROFILE, source: 'default' });
  const from = sourceName('profile', profile.source, profile.value);
  if (profile.source !== 'default') checkProfileName(profile.value, from);
  if (profile.source !== 'default' && !profileValues(stored, profile.value)) {
    const names = profileNames(stored).filter(isProfileName);
    const near = closest(profile.value, names);
    throw new UsageError(
      `no profile named '${profile.value}' (from ${from})`,
      near.length > 0 ? `did you mean ${near.join(', ')}?` : names.length > 0 ? `profiles: ${names.join(', ')}` : `create it: amps config set api-key --profile ${profile.value}, or amps login`,
    );
  }
  return profile;
}

const FLAG_OF = { profile: '--profile', apiUrl: '--api-url', apiKey: '--api-key-file', appId: undefined };
const VARIABLE_OF = { profile: 'AMPS_PROFILE', apiUrl: 'AMPS_API_URL', apiKey: 'AMPS_API_KEY', appId: 'AMPS_APP_ID' };

/** Where a setting came from, named as the operator would change it: the flag, the variable, the profile (`profile`: the one in use). */
export function sourceName(setting: keyof typeof FLAG_OF, source: Source, profile: string): string {
  if (source === 'flag') return FLAG_OF[setting] ?? 'a flag';
  if (source === 'env') return VARIABLE_OF[setting];
  if (source === 'profile') return setting === 'profile' ? 'the current profile in the config file' : `profile ${profile}`;
  return 'the default';
}

/** sourceName as config list and doctor show it beside a value: `from AMPS_API_KEY`, `the default`. */
export function sourceText(setting: keyof typeof FLAG_OF, source: Source, profile: string): string {
  return source === 'default' ? 'the default' : `from ${sourceName(setting, source, profile)}`;
}

/** A key is checked once, where it is read: a bad one is never sent (nor saved, `for: 'saving'`), nor printed. */
export function checkKey(key: unknown, from: string, purpose: 'sending' | 'saving' = 'sending'): string {
  if (typeof key !== 'string') throw new UsageError(`the API key in ${from} is not a string`, 'amps config set api-key stores one');
  if (!API_KEY_PATTERN.test(key)) {
    throw new UsageError(`the API key from ${from} does not look like an Amps key, so it was not ${purpose === 'saving' ? 'saved' : 'sent'}`, 'keys look like amps_sk_test_… or amps_sk_live_… (or sk_test_… / sk_live_…), letters and digits only');
  }
  return key;
}

function anythingConfigured(stored: StoredConfig): boolean {
  return profileNames(stored).some((name) => {
    const values = profileValues(stored, name);
    return values !== undefined && (values.apiKey !== undefined || values.apiUrl !== undefined);
  });
}

/**
 * Every flag and variable that says where requests go, refused when given but empty: for requests
 * (resolveTarget) and for the config commands, which read and write the same profiles.
 */
export function refuseEmptyTarget(flags: { profile?: string; apiUrl?: string; apiKeyFile?: string }, env: Env): void {
  refuseEmpty(flags.profile, '--profile', false);
  refuseEmpty(flags.apiUrl, '--api-url', false);
  refuseEmpty(flags.apiKeyFile, '--api-key-file', false);
  refuseEmpty(env.AMPS_PROFILE, 'AMPS_PROFILE', true);
  refuseEmpty(env.AMPS_API_URL, 'AMPS_API_URL', true);
  refuseEmpty(env.AMPS_API_KEY, 'AMPS_API_KEY', true);
}

/**
 * Whether requests would go to the embedded sandbox, known before a session opens (and without
 * reading a key file: a key given at all is not the embedded sandbox). For the commands that act
 * on the sandbox's own state rather than through it.
 */
export function targetsEmbedded(flags: { profile?: string; apiUrl?: string; apiKeyFile?: string }, env: Env): boolean {
  return flags.apiKeyFile === undefined && resolveTarget({ profile: flags.profile, apiUrl: flags.apiUrl }, env).embedded;
}

/**
 * A profile named on the command line (`--profile prod`) while AMPS_API_KEY or AMPS_API_URL,
 * which win over a profile's, says otherwise: the operator typed where to send, and the variables
 * (`amps sandbox serve` prints them to export) would send it elsewhere, with a line at most to say
 * so. Refused, since either reading sends writes where one of the two did not mean. A variable
 * equal to the profile's value says nothing otherwise; flags given beside --profile are typed too.
 */
function refuseProfileOverridden(profile: Resolved<string>, values: ProfileValues, flags: TargetFlags, env: Env): void {
  if (profile.source !== 'flag') return;
  const overriding: Array<[variable: string, holds: string]> = [];
  // A profile says what it holds: a key (and with it, the default URL when it holds none), a URL.
  // One holding a URL alone, the key in AMPS_API_KEY (CI's way), is no contradiction.
  if (flags.apiKey === undefined && env.AMPS_API_KEY !== undefined && values.apiKey !== undefined && env.AMPS_API_KEY !== values.apiKey) overriding.push(['AMPS_API_KEY', 'another key']);
  const profileUrl = values.apiUrl ?? (values.apiKey !== undefined ? DEFAULT_API_URL : undefined);
  if (flags.apiUrl === undefined && env.AMPS_API_URL !== undefined && profileUrl !== undefined && sameUrl(env.AMPS_API_URL, profileUrl) === false) overriding.push(['AMPS_API_URL', 'another URL']);
  if (overriding.length === 0) return;
  const names = overriding.map(([variable]) => variable);
  const one = overriding.length === 1;
  throw new UsageError(
    `--profile ${profileShown(profile.value)} is given, and ${overriding.map(([variable, holds]) => `${variable} holds ${holds}`).join(' and ')} (the variable${one ? '' : 's'} would win over the profile's), so amps cannot tell where you meant to send requests`,
    `unset ${names.join(' ')} to use profile ${profileShown(profile.value)}, or leave out --profile to use ${one ? 'it' : 'them'}`,
  );
}

/** Whether two API URLs name one base (as checkApiUrl normalises them); undefined when either is no API URL (refused where it is read). */
function sameUrl(a: string, b: unknown): boolean | undefined {
  if (typeof b !== 'string') return undefined;
  try {
    return checkApiUrl(a) === checkApiUrl(b);
  } catch {
    return undefined;
  }
}

/**
 * What a command amps prints to be run next (a rerun line, `Follow it: amps actions wait ID`)
 * needs, beyond the flags typed, to be sent where this one went, from another shell or after
 * `amps config use`: the untyped profile (the config file's current one, AMPS_PROFILE) when it gave
 * the key, with the URL the environment gave beside it as a flag (a typed --profile beside an
 * AMPS_API_URL of another URL is refused); when it gave the URL alone (the key from AMPS_API_KEY or
 * a flag), that URL, since a typed --profile beside another key in AMPS_API_KEY is refused. With
 * the key from a flag, the URL AMPS_API_URL gave too: the typed --api-key-file is carried, and
 * without the URL beside it the follow-up went to the current profile's URL from another shell (a
 * cancel sent elsewhere). A key and URL the environment gave are this shell's, and nothing is added;
 * a typed flag is carried as typed (whereFlags).
 */
export function untypedTargetFlags(target: Target, typed: { profile?: string; apiUrl?: string }): string[] {
  if (target.embedded || typed.profile !== undefined) return [];
  const envUrl = target.apiUrl.source === 'env' && typed.apiUrl === undefined ? ['--api-url', redactUrl(target.apiUrl.value!)] : [];
  if (target.apiKey.source === 'profile') return ['--profile', target.profile.value, ...envUrl];
  if (target.apiUrl.source === 'profile' && typed.apiUrl === undefined) return ['--api-url', redactUrl(target.apiUrl.value!)];
  return target.apiKey.source === 'flag' ? envUrl : [];
}

/** What a printed follow-up command needs to go where this one went (whereFlags), as the text after it: ` --profile staging`, or ''. */
export function whereSuffix(target: Target, typed: Parameters<typeof whereFlags>[1]): string {
  const flags = whereFlags(target, typed);
  return flags.length === 0 ? '' : ` ${flags.map(shellQuote).join(' ')}`;
}

/**
 * The flags that send a printed follow-up command where this one went: those typed that say where
 * (`--api-key-file -` as typed: the key can be piped to a follow-up again), and untypedTargetFlags.
 */
export function whereFlags(target: Target, typed: { profile?: string; apiUrl?: string; apiKeyFile?: string }): string[] {
  return [
    ...(typed.profile !== undefined ? ['--profile', typed.profile] : []),
    ...(typed.apiUrl !== undefined ? ['--api-url', redactUrl(typed.apiUrl)] : []),
    ...(typed.apiKeyFile !== undefined ? ['--api-key-file', typed.apiKeyFile] : []),
    ...untypedTargetFlags(target, typed),
  ];
}

export function resolveTarget(flags: TargetFlags, env: Env, stored: StoredConfig = readStoredConfig(env)): Target {
  refuseEmptyTarget(flags, env);
  const profile = selectProfile(flags.profile, env, stored);
  const values = profileValues(stored, profile.value) ?? {};
  refuseProfileOverridden(profile, values, flags, env);
  const rawKey = pick<unknown>([[flags.apiKey, 'flag'], [env.AMPS_API_KEY, 'env'], [values.apiKey, 'profile']], { value: undefined, source: 'default' });
  const apiKey: Resolved<string | undefined> = rawKey.value === undefined ? { value: undefined, source: 'default' } : { value: checkKey(rawKey.value, sourceName('apiKey', rawKey.source, profile.value)), source: rawKey.source };
  const configuredUrl = pick<unknown>([[flags.apiUrl, 'flag'], [env.AMPS_API_URL, 'env'], [values.apiUrl, 'profile']], { value: undefined, source: 'default' });
  if (configuredUrl.value !== undefined && typeof configuredUrl.value !== 'string') throw new UsageError(`the API URL in profile ${profile.value} is not a string`);
  // The embedded sandbox serves only when nothing at all is configured: a chosen profile, a key or
  // a URL anywhere means the operator meant a real target, and a missing key is then an error.
  const embedded = apiKey.value === undefined && configuredUrl.value === undefined && profile.source === 'default' && !anythingConfigured(stored);
  const apiUrl: Resolved<string | undefined> = configuredUrl.value !== undefined
    ? { value: checkApiUrl(configuredUrl.value as string), source: configuredUrl.source }
    : { value: embedded ? undefined : DEFAULT_API_URL, source: 'default' };
  let missingKey: string | undefined;
  if (!embedded && apiKey.value === undefined) {
    // Configured elsewhere and not here: name where, since that is likely what was meant.
    const elsewhere = profileNames(stored).filter((name) => {
      const values = name === profile.value ? undefined : profileValues(stored, name);
      return values !== undefined && (values.apiKey !== undefined || values.apiUrl !== undefined);
    });
    const shown = elsewhere.map(profileShown);
    const others = shown.length > 0 ? ` (configured: profile ${shown.slice(0, 3).join(', ')}; --profile ${shown[0]} or amps config use ${shown[0]})` : '';
    missingKey = profile.source !== 'default' || anythingConfigured(stored)
      ? `profile ${profile.value} has no API key${others}`
      : `no API key for ${redactUrl(apiUrl.value!)} (the URL comes from ${sourceName('apiUrl', configuredUrl.source, profile.value)})`;
  }
  // Given but empty (a CI secret that did not arrive): no app id, not the profile's, which may be another app's.
  const rawAppId = env.AMPS_APP_ID === '' ? { value: undefined, source: 'env' as const } : pick<unknown>([[env.AMPS_APP_ID, 'env'], [values.appId, 'profile']], { value: undefined, source: 'default' });
  if (rawAppId.value !== undefined && (typeof rawAppId.value !== 'string' || appIdProblem(rawAppId.value))) {
    throw new UsageError(`the app id from ${sourceName('appId', rawAppId.source, profile.value)} ${typeof rawAppId.value === 'string' ? appIdProblem(rawAppId.value)!.replace(/^'.*?' /, '') : 'is not a string'}`, 'amps config set app-id ID');
  }
  const appId = rawAppId as Resolved<string | undefined>;
  return { profile, apiUrl, apiKey, embedded, environment: embedded ? 'sandbox' : keyEnvironment(apiKey.value), missingKey, appId };
}
