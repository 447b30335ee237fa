// What the config sub-verbs share: the setting names, which profile a command acts on, and how a
// key is read (a hidden prompt at a terminal, stdin otherwise; never argv).

import type { GlobalOptions } from '../../config/globals.js';
import { checkKey, checkProfileName, profileShown, SETTING_NAMES, readStoredConfig, refuseEmptyTarget, selectProfile } from '../../config/resolve.js';
import { readKeyFile } from '../../config/key-file.js';
import type { ProfileKey } from '../../config/store.js';
import { NeedsInputError, UsageError } from '../../errors/failures.js';
import { canPrompt, type IO, noPromptReason } from '../../output/io.js';
import { readStdin, stdinIsFile } from '../../output/read.js';

export function settingName(name: string): ProfileKey {
  const key = Object.hasOwn(SETTING_NAMES, name) ? SETTING_NAMES[name] : undefined;
  if (!key) throw new UsageError(`unknown setting '${name}'`, `settings: ${Object.keys(SETTING_NAMES).join(', ')}`);
  return key;
}


/** The profile a config command acts on: the one requests would use (selectProfile), or one `--profile` names to create. */
export function profileFor(options: GlobalOptions, io: IO, creating = false): string {
  refuseEmptyTarget(options, io.env);
  if (creating && options.profile !== undefined && options.profile !== '') return checkProfileName(options.profile);
  return selectProfile(options.profile, io.env, readStoredConfig(io.env)).value;
}

/** What still wins over a profile made current, so requests would not use it as "Using"/"Saved" says. */
export interface Overriding {
  /** The flag or variable: --profile, AMPS_PROFILE, AMPS_API_KEY, AMPS_API_URL. */
  by: string;
  /** The profile it selects instead, for a selector. */
  selects?: string;
  line: string;
}

/**
 * What the config file's current profile comes after, once `profile` is made current (config use,
 * login): another profile selected by --profile or AMPS_PROFILE, or the environment's key or URL,
 * which win over any profile's. Said, rather than let the line that names the profile mislead.
 */
export function stillOverriding(options: GlobalOptions, env: Record<string, string | undefined>, profile: string): Overriding[] {
  const found: Overriding[] = [];
  const [by, selects] = options.profile !== undefined ? ['--profile', options.profile] : env.AMPS_PROFILE !== undefined ? ['AMPS_PROFILE', env.AMPS_PROFILE] : [];
  if (by !== undefined && selects !== profile) found.push({ by, selects, line: `${by} ${profileShown(selects!)} still selects ${profileShown(selects!)} ahead of the current profile, where it is given` });
  for (const name of ['AMPS_API_KEY', 'AMPS_API_URL'] as const) {
    if (env[name] !== undefined) found.push({ by: name, line: `${name} is set: where it is, its ${name === 'AMPS_API_KEY' ? 'key' : 'URL'} is used, not profile ${profileShown(profile)}'s` });
  }
  return found;
}

/** The key from --api-key-file, else a hidden prompt at a terminal, else stdin; never from argv. */
export async function readKey(options: GlobalOptions, io: IO): Promise<string> {
  if (options.apiKeyFile !== undefined) return checkKey(await readKeyFile(options.apiKeyFile, io), `--api-key-file ${options.apiKeyFile}`, 'saving');
  if (io.stdinIsTTY) {
    if (!canPrompt(io, options)) throw Object.assign(new NeedsInputError('the API key is read from a hidden prompt', 'the key on stdin: amps config set api-key < keyfile'), { reason: noPromptReason(io, options) });
    return checkKey((await io.prompter.password('API key')).trim(), 'the input', 'saving');
  }
  const key = (await readStdin(io, { limit: 4096, what: 'the key on stdin' })).trim();
  if (key === '') {
    // A file given as stdin (`< key.txt`) that is empty is bad input, as an empty --api-key-file is;
    // a pipe or /dev/null that brought nothing is input not given: said as a prompt refused is.
    if (stdinIsFile()) throw new UsageError('the key file on stdin is empty', 'check the file: it should hold the key alone');
    throw new NeedsInputError('no API key arrived on stdin', 'the key on stdin: amps config set api-key < keyfile');
  }
  return checkKey(key, 'the input', 'saving');
}
