import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { configFile } from '../config/paths.js';
import { checkApiUrl, checkKey as checkKeyShape, DEFAULT_API_URL, maskKey, profileNames, readStoredConfig, resolveTarget, selectProfile } from '../config/resolve.js';
import type { ProfileKey } from '../config/store.js';
import { EXIT, type ExitCode } from '../errors/exit-codes.js';
import { NeedsInputError, UsageError } from '../errors/failures.js';
import { withExamples } from '../output/command-help.js';
import { canPrompt, type CommandState, type IO, writeJson, writeLine } from '../output/io.js';
import { readStream } from '../output/read.js';
import { fieldLines, scrub } from '../output/text.js';
import { closest, redactUrl } from '../lib/values.js';
import { keyEnvironment } from '../contract/keys.js';

const KEYS: Record<string, ProfileKey> = { 'api-key': 'apiKey', 'api-url': 'apiUrl' };

function settingName(name: string): ProfileKey {
  const key = KEYS[name];
  if (!key) throw new UsageError(`unknown setting '${name}'`, 'settings: api-key, api-url');
  return key;
}

function checkKey(key: string): string {
  return checkKeyShape(key, 'the input');
}

/** The key from a hidden prompt at a terminal, or from stdin otherwise; never from argv. */
async function readKey(options: GlobalOptions, io: IO): Promise<string> {
  if (io.stdinIsTTY) {
    if (!canPrompt(io, options.input === false)) throw new NeedsInputError('the API key is read from a hidden prompt', 'the key on stdin: amps config set api-key < keyfile');
    const { password } = await import('@inquirer/prompts');
    return checkKey((await password({ message: 'API key', mask: '*' }, { input: io.stdin, output: io.stderr })).trim());
  }
  const key = (await readStream(io.stdin)).trim();
  if (key === '') throw new NeedsInputError('no API key arrived on stdin', 'the key on stdin: amps config set api-key < keyfile');
  return checkKey(key);
}

/** The profile a config command acts on: the one requests would use, or one being created. */
function profileFor(options: GlobalOptions, io: IO, creating = false): string {
  const stored = readStoredConfig(io.env);
  if (creating && options.profile !== undefined && options.profile !== '') return checkProfileName(options.profile);
  return selectProfile(options.profile, io.env, stored).value;
}

function checkProfileName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new UsageError(`'${name}' is not a profile name (letters, digits, _ . -)`);
  return name;
}

export async function runSet(options: GlobalOptions & { name: string; value?: string }, io: IO): Promise<ExitCode> {
  const key = settingName(options.name);
  if (key === 'apiKey' && options.value !== undefined) {
    throw new UsageError('the API key is never taken from the command line (it would stay in shell history and the process list)', 'amps config set api-key, then paste it at the prompt; or pipe it: amps config set api-key < keyfile');
  }
  if (key === 'apiUrl' && options.value === undefined) throw new UsageError('give the URL: amps config set api-url https://api.amps.ai');
  // --profile NAME creates the profile; otherwise the one in use, which must exist.
  const profile = profileFor(options, io, true);
  const value = key === 'apiKey' ? await readKey(options, io) : checkApiUrl(options.value!);
  const { openConfigStore } = await import('../config/store.js');
  const store = await openConfigStore(io.env);
  store.setValue(profile, key, value);
  if (!options.quiet) writeLine(io.stderr, `Set ${options.name} for profile ${profile}${key === 'apiKey' ? ` (${maskKey(value)}, ${keyEnvironment(value)})` : ''}.`);
  return EXIT.ok;
}

export async function runUnset(options: GlobalOptions & { name: string }, io: IO): Promise<ExitCode> {
  const key = settingName(options.name);
  const profile = profileFor(options, io);
  const { openConfigStore } = await import('../config/store.js');
  const removed = (await openConfigStore(io.env)).unsetValue(profile, key);
  if (!options.quiet) writeLine(io.stderr, removed ? `Unset ${options.name} for profile ${profile}.` : `${options.name} was not set for profile ${profile}.`);
  return EXIT.ok;
}

export async function runUse(options: GlobalOptions & { name: string }, io: IO): Promise<ExitCode> {
  const stored = readStoredConfig(io.env);
  const names = profileNames(stored);
  if (!names.includes(options.name)) {
    const near = closest(options.name, names);
    throw new UsageError(
      `no profile named '${options.name}'`,
      `${near.length > 0 ? `did you mean ${near.join(', ')}? ` : names.length > 0 ? `profiles: ${names.join(', ')}. ` : ''}Create one with amps config set api-key --profile ${options.name}, or amps login`,
    );
  }
  const { openConfigStore } = await import('../config/store.js');
  (await openConfigStore(io.env)).setCurrentProfile(options.name);
  if (!options.quiet) writeLine(io.stderr, `Using profile ${options.name}.`);
  return EXIT.ok;
}

export async function runList(options: GlobalOptions, io: IO): Promise<ExitCode> {
  const stored = readStoredConfig(io.env);
  const target = resolveTarget({ profile: options.profile, apiUrl: options.apiUrl }, io.env, stored);
  const profiles = profileNames(stored).map((p) => scrub(p));
  const url = target.embedded ? 'embedded sandbox' : redactUrl(target.apiUrl.value!);
  const key = target.apiKey.value ? maskKey(target.apiKey.value) : target.embedded ? 'the embedded sandbox key' : '(none)';
  if (options.json) {
    writeJson(io, {
      file: configFile(io.env),
      profile: target.profile,
      apiUrl: { value: target.embedded ? null : redactUrl(target.apiUrl.value!), source: target.apiUrl.source },
      apiKey: { value: target.apiKey.value ? maskKey(target.apiKey.value) : null, source: target.apiKey.source },
      environment: target.environment,
      embedded: target.embedded,
      profiles,
    });
    return EXIT.ok;
  }
  writeLine(
    io.stdout,
    fieldLines([
      ['profile', `${target.profile.value} (from ${target.profile.source})`],
      ['api-url', `${url} (from ${target.apiUrl.source})`],
      ['api-key', `${key} (from ${target.apiKey.source})`],
      ['environment', target.environment === 'live' ? io.out.red(io.out.bold('LIVE')) : target.environment],
      ['profiles', profiles.length ? profiles.map((p) => (p === target.profile.value ? `${p}*` : p)).join(', ') : '(none)'],
      ['file', configFile(io.env)],
    ]).join('\n'),
  );
  return EXIT.ok;
}

/** The profile names, one a line (the current one marked unless --quiet): shell completion reads it. */
export async function runProfiles(options: GlobalOptions, io: IO): Promise<ExitCode> {
  const stored = readStoredConfig(io.env);
  let current: string | undefined;
  try {
    current = profileFor(options, io);
  } catch {
    // A current profile that no longer exists marks nothing; the names still list.
  }
  for (const name of profileNames(stored)) writeLine(io.stdout, scrub(options.quiet || name !== current ? name : `${name} (current)`));
  return EXIT.ok;
}

export async function runLogin(options: GlobalOptions, io: IO): Promise<ExitCode> {
  if (!canPrompt(io, options.input === false)) {
    throw new NeedsInputError('amps login asks for a key at a terminal', 'amps config set api-key < keyfile (and amps config set api-url URL)');
  }
  const { input, password } = await import('@inquirer/prompts');
  const context = { input: io.stdin, output: io.stderr };
  let suggested = 'default';
  try {
    suggested = profileFor(options, io, true);
  } catch {
    // The current profile is gone: suggest the default name.
  }
  const profile = checkProfileName((await input({ message: 'Profile', default: suggested }, context)).trim());
  const key = checkKey((await password({ message: 'API key (amps_sk_test_… or amps_sk_live_…)', mask: '*' }, context)).trim());
  const url = checkApiUrl(await input({ message: 'API URL', default: DEFAULT_API_URL }, context));
  const { openConfigStore } = await import('../config/store.js');
  const store = await openConfigStore(io.env);
  store.setValue(profile, 'apiKey', key);
  store.setValue(profile, 'apiUrl', url);
  store.setCurrentProfile(profile);
  writeLine(io.stderr, `Saved profile ${profile}: ${redactUrl(url)}, key ${maskKey(key)} (${keyEnvironment(key)}). Check it with: amps devices --limit 1`);
  return EXIT.ok;
}

export function configCommand(state: CommandState) {
  const config = new Command('config').description('Profiles: where amps sends requests and with which key');
  const set = new Command('set')
    .description('Set api-key (from a hidden prompt, or stdin) or api-url for the profile (--profile, else the current one)')
    .argument('<name>', 'api-key or api-url')
    .argument('[value]', 'the URL, for api-url')
    .action(async (name, value, _o, cmd) => {
      state.exitCode = await runSet({ ...globalsOf(cmd), name, value }, state.io);
    });
  const unset = new Command('unset')
    .description('Remove a setting from the profile')
    .argument('<name>', 'api-key or api-url')
    .action(async (name, _o, cmd) => {
      state.exitCode = await runUnset({ ...globalsOf(cmd), name }, state.io);
    });
  const use = new Command('use')
    .description('Make an existing profile the current one (config set --profile NAME or login creates one)')
    .argument('<profile>', 'profile name')
    .action(async (name, _o, cmd) => {
      state.exitCode = await runUse({ ...globalsOf(cmd), name }, state.io);
    });
  const list = new Command('list')
    .description('Show the effective configuration, each value with where it came from (the key masked)')
    .action(async (_o, cmd) => {
      state.exitCode = await runList(globalsOf(cmd), state.io);
    });
  const profiles = new Command('profiles')
    .description('List the profiles, one a line')
    .action(async (_o, cmd) => {
      state.exitCode = await runProfiles(globalsOf(cmd), state.io);
    });
  withExamples(profiles, ['amps config profiles']);
  withExamples(set, ['amps config set api-key', 'amps config set api-key --profile prod < prod.key', 'amps config set api-url http://127.0.0.1:4010']);
  withExamples(unset, ['amps config unset api-url']);
  withExamples(use, ['amps config use prod']);
  withExamples(list, ['amps config list', 'amps config list --json']);
  for (const sub of [set, unset, use, list, profiles]) config.addCommand(sub as unknown as Command);
  return withExamples(config, ['amps config list', 'amps config use prod']);
}

export function loginCommand(state: CommandState) {
  const command = new Command('login')
    .description('Set up a profile interactively: key (hidden), API URL, profile name')
    .action(async (_o, cmd) => {
      state.exitCode = await runLogin(globalsOf(cmd), state.io);
    });
  return withExamples(command, ['amps login', 'amps login --profile prod']);
}
