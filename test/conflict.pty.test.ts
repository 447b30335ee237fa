import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeInstant } from '../src/domain/time.js';
import { runCli } from './helpers/cli.js';
import { KEYS, runInTerminal } from './helpers/pty.js';
import { relayTo, startTestSandbox, type TestSandbox, useSandbox } from './helpers/sandbox.js';

let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
const posts = () => sandbox.requests.filter((r) => r.method === 'POST');
const PROMPT = 'How do you want to resolve this conflict?';

useSandbox({}, 'amps_sk_test_ptytests1', (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});

describe('the conflict resolver at a terminal', () => {
  it('with stderr on a full disk (/dev/full): no question can be seen, so none is asked; the conflict exits 5, never a crash', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle'], env, { stderrTo: '/dev/full' });
    expect(await term.exit).toBe(5);
    // One request: nothing was sent without consent.
    expect(posts()).toHaveLength(1);
  });

  it('with the body typed on the terminal (--body -, ended by Ctrl-D): stdin is spent, so no question is asked; the conflict exits 5 with its rerun line', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', '--body', '-'], env);
    term.type('{"action":{"command":"idle"}}\r');
    term.type('\u0004');
    expect(await term.exit).toBe(5);
    expect(term.text()).not.toContain(PROMPT);
    expect(term.text()).toContain('Stdin was read for --body -, so not asking.');
    expect(posts()).toHaveLength(1);
  });

  it('--no-color reaches the question too, as NO_COLOR does: no colour escape anywhere on the screen', async () => {
    const colour = /\u001b\[[0-9;]*m/;
    // Left out, not set to undefined: a pty's environment would hold the word "undefined".
    const coloured = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'NO_COLOR' && name !== 'FORCE_COLOR'));
    for (const [flags, plain] of [[[], false], [['--no-color'], true]] as const) {
      const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle', ...flags], coloured);
      await term.waitFor(PROMPT);
      // The key help under the menu is the last thing drawn.
      await term.waitFor(/navigate/);
      expect(colour.test(term.raw()), flags.join(' ') || 'no flag').toBe(!plain);
      term.type(KEYS.ctrlC);
      expect(await term.exit).toBe(130);
    }
    expect(posts()).toHaveLength(2);
  });

  it('a terminal that hangs up at the question (an ssh session dropped) ends amps as Ctrl-C does: 130, nothing more sent, no crash', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle'], env);
    await term.waitFor(PROMPT);
    await term.waitFor(/navigate/);
    term.hangUp();
    // Until now readline, closing on the terminal's end, threw EIO putting back a mode the gone
    // terminal no longer had: a stack trace and exit 1. (A question whose terminal ends with no
    // SIGHUP: src/output/prompter.test.ts.)
    expect(await term.exit).toBe(130);
    expect(posts()).toHaveLength(1);
  });

  it('shows the foreign rows, resolves with cancel_and_replace picked by arrow keys, and the rows are gone', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle'], env);
    await term.waitFor(PROMPT);
    // The menu may be drawn after its question (a busy machine): the key help under it comes last.
    await term.waitFor(/navigate/);
    const screen = term.text();
    expect(screen).toContain('SCHEDULER_ACTIVE');
    expect(screen).toMatch(/│ grp_homeapp_evening .*│ homeowner_app/);
    expect(screen).toContain('the device holds 3 in all');
    // cancel_and_replace is first; the offered list holds nothing the response did not offer.
    expect(screen).toMatch(/❯ cancel_and_replace/);
    expect(screen).not.toContain('queue_after');
    term.type(KEYS.down);
    await term.waitFor(/❯ show the raw details/);
    term.type(KEYS.up);
    await term.waitFor(/❯ cancel_and_replace/);
    term.type(KEYS.enter);
    await term.waitFor(/This cancels the manufacturer schedule rows grp_/);
    expect(posts()).toHaveLength(1);
    term.type('y');
    term.type(KEYS.enter);
    expect(await term.exit).toBe(0);
    expect(term.text()).toMatch(/state\s+acknowledged/);
    expect(posts().map((p) => (p.body as { onConflict?: string }).onConflict)).toEqual([undefined, 'cancel_and_replace']);
    // The rows are gone: once the new action completes, a plain push goes through.
    await sandbox.advance(10);
    expect((await sandbox.call('POST', '/battery/bat_foxgrid_01', { action: { command: 'idle' } })).status).toBe(202);
  });

  it('fetches and shows the conflicting actions of a CONFLICT with their windows in the plant zone, and offers both strategies in order', async () => {
    const pending = (await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '2h', end: '3h' } })).body.data;
    sandbox.requests.length = 0;
    const term = runInTerminal(['push', 'battery', 'bat_voltaro_01', 'discharge'], env);
    await term.waitFor(PROMPT);
    expect(term.text()).toMatch(new RegExp(`│ ${pending.id} .*│ charge .*│ scheduled`));
    expect(term.text().indexOf('cancel_and_replace:')).toBeLessThan(term.text().indexOf('queue_after:'));
    term.type(KEYS.enter);
    const window = `${describeInstant(Date.parse(pending.start), 'Europe/London')} to ${describeInstant(Date.parse(pending.end), 'Europe/London')}`;
    // The prompt may wrap at the terminal's width: any run of white space matches.
    const words = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+'));
    await term.waitFor(words(`This cancels the pending action ${pending.id} (charge, ${window})`));
    term.type('n');
    term.type(KEYS.enter);
    expect(await term.exit).toBe(5);
    // Declining still leaves the command that would resolve it.
    expect(term.text()).toContain('amps push battery bat_voltaro_01 discharge --on-conflict cancel_and_replace');
    expect(posts()).toHaveLength(1);
  }, 15_000);

  it('does not offer queue_after when the action in the way has no end', async () => {
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '2h' } });
    const term = runInTerminal(['push', 'battery', 'bat_voltaro_01', 'discharge'], env);
    await term.waitFor(PROMPT);
    expect(term.text()).toContain('cancel_and_replace:');
    expect(term.text()).not.toContain('queue_after:');
    term.type(KEYS.ctrlC);
    expect(await term.exit).toBe(130);
  });

  it('does not offer queue_after when the action in the way cannot be read (it may have no end)', async () => {
    await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge', start: '2h', end: '3h' } });
    // In front of the sandbox: every read of one action is refused.
    const proxy = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.startsWith('/actions/')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: false, error: { code: 'NOT_FOUND', message: 'Action not found' }, meta: { requestId: 'req_proxy' } }));
        return;
      }
      relayTo(sandbox.url, req, res);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const term = runInTerminal(['push', 'battery', 'bat_voltaro_01', 'discharge'], { ...env, AMPS_API_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      await term.waitFor(PROMPT);
      expect(term.text()).toContain('cancel_and_replace:');
      expect(term.text()).not.toContain('queue_after:');
      term.type(KEYS.ctrlC);
      expect(await term.exit).toBe(130);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('abort sends nothing more and exits 5', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle'], env);
    await term.waitFor(PROMPT);
    term.type(KEYS.down + KEYS.down);
    await term.waitFor(/❯ abort/);
    term.type(KEYS.enter);
    expect(await term.exit).toBe(5);
    expect(posts()).toHaveLength(1);
  });

  it.each([
    ['Ctrl-C', KEYS.ctrlC],
    ['Escape', KEYS.escape],
    // In raw mode Ctrl-D is a key: the prompt waited on for ever.
    ['Ctrl-D', KEYS.ctrlD],
  ])('%s at the prompt exits 130, sends nothing more, and gives the cursor back', async (_name, key) => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle'], env);
    await term.waitFor(PROMPT);
    term.type(key);
    expect(await term.exit).toBe(130);
    expect(posts()).toHaveLength(1);
    expect(term.raw()).toContain('\u001b[?25h');
  });

  it('offers to wait for an in-flight action, then pushes again', async () => {
    const slow = await startTestSandbox({ ackDelayMs: 1500 });
    try {
      await slow.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge' } });
      const term = runInTerminal(['push', 'battery', 'bat_voltaro_01', 'discharge'], { ...env, AMPS_API_URL: slow.url });
      await term.waitFor(/Wait for act_\w+ to finish, then push again\?/);
      expect(term.text()).toContain('already in progress');
      term.type('y');
      term.type(KEYS.enter);
      expect(await term.exit).toBe(0);
      expect(slow.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([202, 409, 202]);
    } finally {
      await slow.close();
    }
  });

  it('a wait for the in-flight action that outlasts --wait-timeout pushes nothing: exit 5, said', async () => {
    const slow = await startTestSandbox({ ackDelayMs: 600_000 });
    try {
      await slow.call('POST', '/battery/bat_voltaro_01', { action: { command: 'charge' } });
      const term = runInTerminal(['push', 'battery', 'bat_voltaro_01', 'discharge', '--wait-timeout', '1s'], { ...env, AMPS_API_URL: slow.url });
      await term.waitFor(/Wait for act_\w+ to finish, then push again\?/);
      term.type('y');
      term.type(KEYS.enter);
      expect(await term.exit).toBe(5);
      expect(term.text()).toMatch(/act_\w+ is still \w+ after the wait \(--wait-timeout\); nothing was pushed/);
      expect(slow.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([202, 409]);
    } finally {
      await slow.close();
    }
  });

  it('explains conflicts no strategy can fix without asking, exit 5', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_nimbus_01', 'charge', '--at', '+1h'], env);
    expect(await term.exit).toBe(5);
    expect(term.text()).toContain('SCHEDULER_FULL');
    expect(term.text()).toContain('Cancel a scheduled action');
    expect(term.text()).not.toContain(PROMPT);
  });

  it('colours the terminal, and NO_COLOR turns it off', async () => {
    const coloured = runInTerminal(['explain', 'VPP_LOCKED'], env);
    expect(await coloured.exit).toBe(0);
    expect(coloured.raw()).toMatch(/\u001b\[1m/);
    const plain = runInTerminal(['explain', 'VPP_LOCKED'], { ...env, NO_COLOR: '1' });
    expect(await plain.exit).toBe(0);
    expect(plain.raw()).not.toMatch(/\u001b\[1m/);
  });
});

describe('without a terminal', () => {
  it('never prompts: stdin closed and stdout piped exits 5 promptly with the rerun line and one request', async () => {
    const r = await runCli(['push', 'battery', 'bat_foxgrid_01', 'idle', '--no-preflight'], { env, timeoutMs: 10_000 });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('Not a terminal, so not asking');
    expect(r.stderr).toContain('amps push battery bat_foxgrid_01 idle --no-preflight --on-conflict cancel_and_replace');
    expect(sandbox.requests).toHaveLength(1);
  });

  it('--no-input at a terminal does not prompt either', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle', '--no-input'], env);
    expect(await term.exit).toBe(5);
    expect(term.text()).not.toContain(PROMPT);
    expect(term.text()).toContain('--no-input is given, so not asking.');
    const login = runInTerminal(['login', '--no-input'], env);
    expect([await login.exit, login.text()]).toEqual([9, expect.stringContaining('(--no-input is given, so not asking: pass amps config set api-key < keyfile')]);
  });

  it('CI set at a terminal does not prompt, and says that is why', async () => {
    const term = runInTerminal(['push', 'battery', 'bat_foxgrid_01', 'idle'], { ...env, CI: 'true' });
    expect(await term.exit).toBe(5);
    expect(term.text()).not.toContain(PROMPT);
    expect(term.text()).toContain('CI is set, so not asking. To resolve with cancel_and_replace, rerun:');
  });
});
