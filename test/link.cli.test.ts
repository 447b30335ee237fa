import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './helpers/cli.js';

// Re-link, not just "re-link": a failure only the device's user can fix prints the Link UI URL to
// send them (the configured app id, the device type, sandbox=true for test keys), or how to get it.

const firstJson = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!);

describe('the Link UI URL of a re-link', () => {
  it('a re-link error without an app id says how to get the URL; with one, prints it (text and --json)', async () => {
    const env = cleanEnv();
    const bare = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'INVALID_CREDENTIALS'], { env });
    expect(bare.code).toBe(3);
    expect(bare.stderr).toContain("Re-link: only the device's user can fix this; amps config set app-id ID (or AMPS_APP_ID) gives the Link UI URL to send the user");
    expect((await runCli(['config', 'set', 'app-id', 'app_8f2c'], { env })).code).toBe(0);
    const text = await runCli(['get', 'battery', 'bat_voltaro_01'], { env });
    expect(text.code).toBe(0);
    const linked = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'DEVICE_UNAUTHORIZED'], { env });
    expect([linked.code, linked.stderr]).toEqual([3, expect.stringContaining("Re-link: send the device's user https://auth.amps.ai/app_8f2c?deviceType=battery&sandbox=true")]);
    const json = await runCli(['push', 'ev-charger', 'ev_wallbox_01', 'charge', '--simulate-failure', 'CREDENTIAL_NOT_FOUND', '--json'], { env });
    expect(firstJson(json.stderr).relink).toEqual({ url: 'https://auth.amps.ai/app_8f2c?deviceType=ev_charger&sandbox=true' });
    // A code the caller fixes is not a re-link.
    const own = await runCli(['push', 'battery', 'bat_voltaro_01', 'charge', '--simulate-failure', 'PARAMETER_OUT_OF_RANGE'], { env });
    expect(own.stderr).not.toContain('Re-link');
  });

  it('a failure that arrives while following (push --wait, actions wait) prints the URL too', async () => {
    const env = cleanEnv({ AMPS_APP_ID: 'app_8f2c' });
    const url = 'https://auth.amps.ai/app_8f2c?deviceType=ev_charger&sandbox=true';
    const text = await runCli(['push', 'ev-charger', 'ev_wallbox_01', 'idle', '--simulate-failure', 'MFA_REQUIRED', '--simulate-at', 'dispatch', '--wait'], { env });
    expect([text.code, text.stderr]).toEqual([3, expect.stringContaining(`Re-link: send the device's user ${url}`)]);
    const json = await runCli(['push', 'ev-charger', 'ev_wallbox_02', 'idle', '--simulate-failure', 'MFA_REQUIRED', '--simulate-at', 'dispatch', '--wait', '--json'], { env });
    const action = JSON.parse(json.stdout);
    expect([json.code, action.relink]).toEqual([3, { url }]);
    const again = await runCli(['actions', 'wait', action.id], { env });
    expect([again.code, again.stderr]).toEqual([3, expect.stringContaining(`Re-link: send the device's user ${url}`)]);
    // A code with a platform meaning too fails at dispatch with the manufacturer's: its message, its class, the re-link.
    const namesake = await runCli(['push', 'ev-charger', 'ev_wallbox_02', 'idle', '--simulate-failure', 'DEVICE_NOT_FOUND', '--simulate-at', 'dispatch', '--wait', '--json'], { env });
    expect([namesake.code, JSON.parse(namesake.stdout)]).toEqual([3, expect.objectContaining({ errorMessage: 'No matching device was found for the supplied details.', relink: { url } })]);
  }, 30_000);

  it('amps link url: app id from AMPS_APP_ID or the profile, the user when an email, refused without an app id', async () => {
    const env = cleanEnv();
    const none = await runCli(['link', 'url', 'battery'], { env });
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([2, 'amps: no app id is configured, and the Link UI URL starts with it']);
    const fromEnv = await runCli(['link', 'url', 'hvac', '--user', 'ada@example.com'], { env: { ...env, AMPS_APP_ID: 'app_env1' } });
    expect(fromEnv.stdout.trim()).toBe('https://auth.amps.ai/app_env1?deviceType=hvac&externalUserRef=ada%40example.com&sandbox=true');
    const notEmail = await runCli(['link', 'url', 'hvac', '--user', 'user_alba'], { env: { ...env, AMPS_APP_ID: 'app_env1' } });
    expect([notEmail.code, notEmail.stderr]).toEqual([2, expect.stringContaining('is not an email of at most 100 characters')]);
    for (const user of ['ada@example.com&sandbox=false', 'ada@example.com#x', 'ada@example', 'ada@exa mple.com']) {
      const r = await runCli(['link', 'url', 'hvac', '--user', user], { env: { ...env, AMPS_APP_ID: 'app_env1' } });
      expect([r.code, r.stdout], user).toEqual([2, '']);
    }
    expect((await runCli(['link', 'url', 'hvac', '--user', 'ada.o+x@mail.bücher.de'], { env: { ...env, AMPS_APP_ID: 'app_env1' } })).code).toBe(0);
    // A control character (a terminal escape) is in no email: until now it went into the link.
    const escaped = await runCli(['link', 'url', 'hvac', '--user', 'a\u001b[31m@x.co'], { env: { ...env, AMPS_APP_ID: 'app_env1' } });
    expect([escaped.code, escaped.stdout, escaped.stderr]).toEqual([2, '', expect.stringContaining('is not an email of at most 100 characters')]);
    expect(escaped.stderr).not.toContain('\u001b');
    // A key inside what was typed never goes into a link sent to an end user, nor is it echoed.
    const keyed = await runCli(['link', 'url', 'hvac', '--user', 'amps_sk_test_secret12345@x.com'], { env: { ...env, AMPS_APP_ID: 'app_env1' } });
    expect([keyed.code, keyed.stdout, keyed.stderr.split('\n')[0]]).toEqual([2, '', 'amps: --user holds what looks like an API key, so it is not put in a link (nor shown)']);
    // Given but empty: no app id at all, never the profile's (which may be another app's).
    expect((await runCli(['config', 'set', 'app-id', 'app_profile1'], { env })).code).toBe(0);
    const empty = await runCli(['link', 'url', 'hvac'], { env: { ...env, AMPS_APP_ID: '' } });
    expect([empty.code, empty.stdout, empty.stderr.split('\n')[0]]).toEqual([2, '', 'amps: AMPS_APP_ID is set but empty, and the Link UI URL starts with the app id']);
    expect((await runCli(['config', 'unset', 'app-id'], { env })).code).toBe(0);
    const badId = await runCli(['link', 'url', 'hvac'], { env: { ...env, AMPS_APP_ID: 'app/../x' } });
    expect([badId.code, badId.stderr]).toEqual([2, expect.stringContaining('the app id from AMPS_APP_ID is not an app id')]);
    expect((await runCli(['config', 'set', 'app-id', 'bad id'], { env })).code).toBe(2);
  });

  it('a fleet lists the devices whose users must re-link, with their URLs, and each ledger line carries it', async () => {
    const env = cleanEnv({ AMPS_APP_ID: 'app_fleet' });
    const r = await runCli(['push', 'battery', '--devices', '-', 'idle', '--simulate-failure', 'INVALID_MFA_CODE', '--json'], { env, input: 'bat_voltaro_01\nbat_voltaro_02\n' });
    expect(r.code).toBe(3);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.relinkUrl)).toEqual(['https://auth.amps.ai/app_fleet?deviceType=battery&sandbox=true', 'https://auth.amps.ai/app_fleet?deviceType=battery&sandbox=true']);
    expect(firstJson(r.stderr).summary.relink).toBe(2);
    const text = await runCli(['push', 'battery', '--devices', '-', 'idle', '--simulate-failure', 'INVALID_MFA_CODE'], { env, input: 'bat_voltaro_01\n' });
    expect(text.stderr).toContain('1 device(s) need their user to re-link them:\n  bat_voltaro_01  https://auth.amps.ai/app_fleet?deviceType=battery&sandbox=true');
  });
});
