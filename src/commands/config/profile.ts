// What the config sub-verbs share: the setting names, which profile a command acts on, and how a
// key is read (a hidden prompt at a terminal, stdin otherwise; never argv).

import type { GlobalOptions } from '../../config/globals.js';
import { checkKey, checkProfileName, SETTING_NAMES, readStoredConfig, refuseEmptyTarget, selectProfile } from '../../config/resolve.js';
import { readKeyFile } from '../../config/key-file.js';
import type { ProfileKey } from '../../config/store.js';
import { NeedsInputError, UsageError } from '../../errors/failures.js';
import { canPrompt, type IO, noPromptReason } from '../../output/io.js';
import { readStdin } from '../../output/read.js';

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

/** The key from --api-key-file, else a hidden prompt at a terminal, else stdin; never from argv. */
export async function readKey(options: GlobalOptions, io: IO): Promise<string> {
  if (options.apiKeyFile !== undefined) return checkKey(await readKeyFile(options.apiKeyFile, io), `--api-key-file ${options.apiKeyFile}`);
  if (io.stdinIsTTY) {
    if (!canPrompt(io, options)) throw Object.assign(new NeedsInputError('the API key is read from a hidden prompt', 'the key on stdin: amps config set api-key < keyfile'), { reason: noPromptReason(io, options) });
    return checkKey((await io.prompter.password('API key')).trim(), 'the input');
  }
  const key = (await readStdin(io, { limit: 4096, what: 'the key on stdin' })).trim();
  if (key === '') throw new NeedsInputError('no API key arrived on stdin', 'the key on stdin: amps config set api-key < keyfile');
  return checkKey(key, 'the input');
}
