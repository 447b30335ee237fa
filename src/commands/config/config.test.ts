import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InterruptedError, NeedsInputError, UsageError } from '../../errors/failures.js';
import { cleanEnv } from '../../../test/helpers/cli.js';
import { parsedOptions, ScriptedPrompter, testIO } from '../../../test/helpers/io.js';
import { run as login } from './login.js';
import { run as set, setCommand } from './set.js';
import { run as use } from './use.js';

// In-process, with scripted answers: every branch of login and of setting a key at a terminal.

const stored = (env: Record<string, string | undefined>) => JSON.parse(readFileSync(join(env.AMPS_CONFIG_DIR!, 'config.json'), 'utf8'));

describe('amps login', () => {
  it('asks for the profile, a hidden key and the URL, saves them and makes the profile current', async () => {
    const env = cleanEnv();
    const prompter = new ScriptedPrompter([
      { ask: /^Profile$/, answer: 'prod' },
      { ask: /^API key/, answer: 'amps_sk_live_loginKey4321' },
      { ask: /^API URL$/, answer: 'https://api.amps.ai' },
    ]);
    const t = testIO({ env, tty: true, prompter });
    expect(await login({}, t.io)).toBe(0);
    expect(stored(env)).toEqual({ currentProfile: 'prod', profiles: { prod: { apiKey: 'amps_sk_live_loginKey4321', apiUrl: 'https://api.amps.ai' } } });
    expect(t.err()).toContain('key amps_sk_live_…4321 (live)');
    expect(t.err()).not.toContain('loginKey4321');
  });

  it('says what in the environment still wins over the profile it saved (AMPS_PROFILE, AMPS_API_KEY)', async () => {
    const env = { ...cleanEnv(), AMPS_PROFILE: 'staging', AMPS_API_KEY: 'amps_sk_live_envKey98765' };
    const prompter = new ScriptedPrompter([
      { ask: /^Profile$/, answer: 'newp' },
      { ask: /^API key/, answer: 'amps_sk_test_loginKey4321' },
      { ask: /^API URL$/, answer: 'https://api.amps.ai' },
    ]);
    const t = testIO({ env, tty: true, prompter });
    expect(await login({}, t.io)).toBe(0);
    expect(t.err()).toContain('warning: AMPS_PROFILE staging still selects staging ahead of the current profile, where it is given');
    expect(t.err()).toContain("warning: AMPS_API_KEY is set: where it is, its key is used, not profile newp's");
  });

  it('refuses a malformed key or profile name, and never asks without a terminal', async () => {
    const badKey = testIO({ env: cleanEnv(), tty: true, prompter: new ScriptedPrompter([{ ask: /Profile/, answer: 'prod' }, { ask: /API key/, answer: 'not-a-key' }]) });
    await expect(login({}, badKey.io)).rejects.toBeInstanceOf(UsageError);
    const badName = testIO({ env: cleanEnv(), tty: true, prompter: new ScriptedPrompter([{ ask: /Profile/, answer: 'no spaces please' }]) });
    await expect(login({}, badName.io)).rejects.toThrow("'no spaces please' is not a profile name");
    await expect(login({}, testIO({ env: cleanEnv(), tty: false }).io)).rejects.toBeInstanceOf(NeedsInputError);
    await expect(login({ input: false }, testIO({ env: cleanEnv(), tty: true }).io)).rejects.toBeInstanceOf(NeedsInputError);
    // An empty profile, URL, key file or variable is refused before any question, not read as "default".
    for (const [options, env] of [[{ profile: '' }, {}], [{ apiUrl: '' }, {}], [{ apiKeyFile: '' }, {}], [{}, { AMPS_PROFILE: '' }], [{}, { AMPS_API_URL: '' }], [{}, { AMPS_API_KEY: '' }]] as const) {
      const t = testIO({ env: cleanEnv(env), tty: true, prompter: new ScriptedPrompter([]) });
      await expect(login(options, t.io), JSON.stringify([options, env])).rejects.toThrow('is given but empty');
    }
  });

  it('Ctrl-C at a question saves nothing', async () => {
    const env = cleanEnv();
    const t = testIO({ env, tty: true, prompter: new ScriptedPrompter([{ ask: /Profile/, answer: 'prod' }, { ask: /API key/, answer: new InterruptedError() }]) });
    await expect(login({}, t.io)).rejects.toBeInstanceOf(InterruptedError);
    expect(() => stored(env)).toThrow();
  });
});

describe('amps config set and use', () => {
  it('reads the key from a hidden prompt at a terminal, from stdin otherwise, never from argv', async () => {
    const env = cleanEnv();
    const prompted = testIO({ env, tty: true, prompter: new ScriptedPrompter([{ ask: /^API key$/, answer: 'amps_sk_test_hidden98765' }]) });
    expect(await set({ name: 'api-key', profile: 'staging' }, prompted.io)).toBe(0);
    const piped = testIO({ env, stdin: 'amps_sk_test_piped123456\n' });
    expect(await set({ name: 'api-key', profile: 'other' }, piped.io)).toBe(0);
    expect(stored(env).profiles).toEqual({ staging: { apiKey: 'amps_sk_test_hidden98765' }, other: { apiKey: 'amps_sk_test_piped123456' } });
    await expect(set({ name: 'api-key', value: 'amps_sk_test_onargv1234' }, testIO({ env }).io)).rejects.toThrow('never taken from the command line');
    expect(await use({ name: 'staging' }, testIO({ env }).io)).toBe(0);
    // The environment's URL wins over any profile's: said, and named in --json.
    const overridden = testIO({ env: { ...env, AMPS_API_URL: 'http://127.0.0.1:4010' } });
    expect(await use({ name: 'staging' }, overridden.io)).toBe(0);
    expect(overridden.err()).toContain("warning: AMPS_API_URL is set: where it is, its URL is used, not profile staging's");
    const json = testIO({ env: { ...env, AMPS_API_URL: 'http://127.0.0.1:4010' } });
    expect(await use({ name: 'staging', json: true }, json.io)).toBe(0);
    expect(JSON.parse(json.out())).toEqual({ currentProfile: 'staging', overriddenBy: null, alsoOverriddenBy: ['AMPS_API_URL'] });
    expect(stored(env).currentProfile).toBe('staging');
    await expect(use({ name: 'stagin' }, testIO({ env }).io)).rejects.toThrow(/no profile named 'stagin'/);
  });

  it('parses the setting, its value and --profile', async () => {
    expect(await parsedOptions(setCommand, ['set', 'api-url', 'https://api.amps.ai', '--profile', 'prod'])).toMatchObject({ name: 'api-url', value: 'https://api.amps.ai', profile: 'prod' });
  });
});
