import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../errors/failures.js';
import { cleanEnv } from '../../../test/helpers/cli.js';
import { parsedOptions, ScriptedPrompter, testIO } from '../../../test/helpers/io.js';
import { type TestSandbox, useSandbox } from '../../../test/helpers/sandbox.js';
import { pushCommand, run } from './index.js';
import { movedLines, movedTimes } from './body.js';

// In-process: what commander hands `run`, and every branch of a push at a terminal (the conflict
// resolver included) with scripted answers, against a real sandbox over loopback HTTP.

const KEY = 'amps_sk_test_inprocess01';
let sandbox: TestSandbox;
let env: Record<string, string | undefined>;
const posts = () => sandbox.requests.filter((r) => r.method === 'POST') as Array<{ body: any; path: string }>;

useSandbox({}, KEY, (started, startedEnv) => {
  sandbox = started;
  env = startedEnv;
});

describe('what commander parses', () => {
  it('reads quantities, repeated params, times, a strategy and the mode', async () => {
    const options = await parsedOptions(pushCommand, ['push', 'hvac', 'h1', 'auto', '--param', 'heatSetpoint=19c', '--param', 'coolSetpoint=24c', '--at', '22:00', '--tz', 'Europe/London', '--on-conflict', 'queue_after', '--json']);
    expect(options).toMatchObject({ type: 'hvac', id: 'h1', command: 'auto', param: ['heatSetpoint=19c', 'coolSetpoint=24c'], at: '22:00', tz: 'Europe/London', onConflict: 'queue_after', json: true });
    expect((await parsedOptions(pushCommand, ['push', 'battery', '--devices', 'f.txt', 'charge', '--concurrency', '32'])).concurrency).toBe(32);
  });

  it.each([
    [['--at', '22:00', '--start', '23:00'], "option '--at <time>' cannot be used with option '--start <time>'"],
    [['--body', 'b.json', '--power', '5kw'], "option '--body <file>' cannot be used with option '--power <quantity>'"],
    [['--devices', 'f', '--dry-run'], "option '--devices <file>' cannot be used with option '--dry-run'"],
    [['--on-conflict', 'yolo'], "--on-conflict takes one of cancel_and_replace, queue_after, not 'yolo'"],
    [['--retry', '11'], '--retry takes a whole number from 0 to 10'],
  ])('refuses %j before running', async (flags, message) => {
    await expect(parsedOptions(pushCommand, ['push', 'battery', 'b1', 'charge', ...flags])).rejects.toThrow(message);
  });
});

describe('a push at a terminal, in-process', () => {
  const terminal = (answers: ConstructorParameters<typeof ScriptedPrompter>[0]) => {
    const prompter = new ScriptedPrompter(answers);
    return { prompter, ...testIO({ env, tty: true, prompter }) };
  };
  const pending = async (device = 'bat_voltaro_01', window = true) =>
    (await sandbox.call('POST', `/battery/${device}`, { action: { command: 'charge', start: '2h', ...(window ? { end: '3h' } : {}) } })).body.data;

  it('cancel_and_replace, confirmed: resubmits once with the strategy', async () => {
    const inTheWay = await pending();
    const t = terminal([{ ask: /How do you want to resolve/, answer: 'cancel_and_replace' }, { ask: new RegExp(`This cancels the pending action ${inTheWay.id} \\(charge, `), answer: true }]);
    expect(await run({ type: 'battery', id: 'bat_voltaro_01', command: 'discharge' }, t.io, ['push', 'battery', 'bat_voltaro_01', 'discharge'])).toBe(0);
    expect(posts().slice(-2).map((p) => p.body.onConflict)).toEqual([undefined, 'cancel_and_replace']);
    expect(t.prompter.asked[0]).toMatch(/\[cancel_and_replace: .* \| queue_after: .* \| show the raw details \| abort/);
    expect(t.out()).toMatch(/state\s+acknowledged/);
  });

  it('a rehearsed 409 (--simulate-failure), resolved at the question: the resend goes without the directive, as the rerun line does', async () => {
    const t = terminal([{ ask: /How do you want to resolve/, answer: 'cancel_and_replace' }, { ask: /This cancels/, answer: true }]);
    const argv = ['push', 'battery', 'bat_voltaro_02', 'idle', '--simulate-failure', 'SCHEDULER_ACTIVE'];
    expect(await run({ type: 'battery', id: 'bat_voltaro_02', command: 'idle', simulateFailure: 'SCHEDULER_ACTIVE' }, t.io, argv)).toBe(0);
    expect(posts().slice(-2).map((p) => [p.body.sandbox?.errorCode, p.body.onConflict])).toEqual([['SCHEDULER_ACTIVE', undefined], [undefined, 'cancel_and_replace']]);
  });

  it('declining the confirmation sends nothing more and prints the command that would resolve it', async () => {
    await pending();
    const t = terminal([{ ask: /How do you want/, answer: 'cancel_and_replace' }, { ask: /This cancels/, answer: false }]);
    expect(await run({ type: 'battery', id: 'bat_voltaro_01', command: 'discharge', target: '30%' }, t.io, ['push', 'battery', 'bat_voltaro_01', 'discharge', '--target', '30%'])).toBe(5);
    expect(posts()).toHaveLength(2);
    expect(t.err()).toContain('Nothing sent. To resolve with cancel_and_replace later, run:\n  amps push battery bat_voltaro_01 discharge --target 30% --on-conflict cancel_and_replace');
  });

  it('the raw details, then abort', async () => {
    await pending();
    const t = terminal([{ ask: /How do you want/, answer: 'raw' }, { ask: /How do you want/, answer: 'abort' }]);
    expect(await run({ type: 'battery', id: 'bat_voltaro_01', command: 'discharge' }, t.io, [])).toBe(5);
    expect(t.err()).toContain('"reason": "no_strategy_supplied"');
  });

  it('queue_after: resubmits with it, and the moved start is said', async () => {
    const inTheWay = await pending();
    const t = terminal([{ ask: /How do you want/, answer: 'queue_after' }]);
    expect(await run({ type: 'battery', id: 'bat_voltaro_01', command: 'discharge', json: false }, t.io, [])).toBe(0);
    expect(posts().at(-1)!.body.onConflict).toBe('queue_after');
    expect(t.err()).toMatch(/The API moved the start: asked immediately, got /);
    expect(t.out()).toContain(inTheWay.end.slice(11, 16));
  });

  it('offers no queue_after when the action in the way has no end', async () => {
    await pending('bat_voltaro_01', false);
    const t = terminal([{ ask: /How do you want/, answer: 'abort' }]);
    await run({ type: 'battery', id: 'bat_voltaro_01', command: 'discharge' }, t.io, []);
    expect(t.prompter.asked[0]).not.toContain('queue_after');
  });

  it('an action in flight: waits for it when told to, then pushes again', async () => {
    const first = (await sandbox.call('POST', '/battery/bat_voltaro_02', { action: { command: 'charge' } })).body.data;
    // Yes, and the action in the way finishes (the sandbox clock moves on) as the operator answers.
    const t = terminal([{ ask: new RegExp(`Wait for ${first.id} to finish`), answer: async () => (await sandbox.advance(10), true) }]);
    expect(await run({ type: 'battery', id: 'bat_voltaro_02', command: 'idle' }, t.io, [])).toBe(0);
    expect(t.err()).toContain(`${first.id} is completed; pushing again.`);
    expect(posts().at(-1)!.body.onConflict).toBeUndefined();
  });

  it('no strategy on offer (VPP_LOCKED): no question, the next step, exit 5', async () => {
    const t = terminal([]);
    expect(await run({ type: 'battery', id: 'bat_nimbus_02', command: 'charge' }, t.io, [])).toBe(5);
    expect(t.prompter.asked).toEqual([]);
    expect(t.err()).toContain('opt out of the programme');
  });

  it('Ctrl-C at the question sends nothing more', async () => {
    const t = terminal([{ ask: /How do you want/, answer: new InterruptedError() }]);
    await expect(run({ type: 'battery', id: 'bat_foxgrid_01', command: 'idle' }, t.io, [])).rejects.toBeInstanceOf(InterruptedError);
    expect(posts()).toHaveLength(1);
  });

  it('cancel_and_replace on SCHEDULER_ACTIVE names the pending action it cancels with the schedule rows', async () => {
    // A window clear of the device's scheduler rows (00:30-04:30, 07:00-08:00, 16:00-19:00 on its clock), whatever the time now.
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const inTheWay = (await sandbox.call('POST', '/battery/bat_foxgrid_01', { action: { command: 'charge', start: `${day}T10:00`, end: `${day}T11:00` } })).body.data;
    const t = terminal([{ ask: /How do you want/, answer: 'cancel_and_replace' }, { ask: /This cancels/, answer: false }]);
    expect(await run({ type: 'battery', id: 'bat_foxgrid_01', command: 'idle', at: '+3h' }, t.io, [])).toBe(5);
    expect(t.prompter.asked[1]).toMatch(new RegExp(`This cancels the manufacturer schedule rows grp_\\w+ .*, and the device's pending action ${inTheWay.id} \\(scheduled\\)\\. Go ahead\\?`));
    expect((await sandbox.call('GET', `/actions/${inTheWay.id}`)).body.data.state).toBe('scheduled');
  });

  it('a conflict naming many actions: reads and lists the first 20, and says how many more', async () => {
    await pending();
    for (let i = 0; i < 22; i++) await sandbox.call('POST', '/battery/bat_voltaro_01', { action: { command: 'discharge', start: '2h', end: '130m' }, onConflict: 'queue_after' });
    const reads = () => sandbox.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/actions/')).length;
    const before = reads();
    const t = terminal([{ ask: /How do you want/, answer: 'cancel_and_replace' }, { ask: /This cancels/, answer: false }]);
    expect(await run({ type: 'battery', id: 'bat_voltaro_01', command: 'idle', at: '+1h' }, t.io, [])).toBe(5);
    expect(reads() - before).toBe(20);
    expect(t.err()).toContain('Conflicting actions: ');
    expect(t.err()).toMatch(/Conflicting actions: (act_\w+, ){20}… 3 more\n/);
    expect(t.err()).toContain('… 3 more, not read (the raw details list them)');
    expect(t.prompter.asked[1]).toMatch(/^This cancels the pending actions act_.*\), … 3 more\. Go ahead\?$/);
    expect(t.prompter.asked[1].match(/act_\w+/g)).toHaveLength(20);
    // 3 of the actions in the way were not read, so their ends are unknown: no queue_after.
    expect(t.prompter.asked[0]).not.toContain('queue_after');
  });

  it('--json at a terminal never asks', async () => {
    await pending();
    const t = terminal([]);
    expect(await run({ type: 'battery', id: 'bat_voltaro_01', command: 'discharge', json: true }, t.io, [])).toBe(5);
    expect(JSON.parse(t.err()).resolution.strategies).toEqual(['cancel_and_replace', 'queue_after']);
  });
});

describe('the embedded sandbox, in-process', () => {
  it('serves a push with nothing configured, and names where it went', async () => {
    const t = testIO({ env: cleanEnv() });
    expect(await run({ type: 'battery', id: 'bat_voltaro_01', command: 'charge', power: '3500w', verbose: true }, t.io, [])).toBe(0);
    expect(t.err()).toContain('sandbox: embedded');
    expect(t.err()).toContain('--power 3500 W sent as 3.5 kw');
  });
});

describe('--abort-if at exactly its bound', () => {
  it('does not stop a wave whose share equals the bound (7 of 125 is 5.6%, not past it)', async () => {
    const { breach, parseAbortIf } = await import('./waves.js');
    const rules = parseAbortIf('offline>5.6%');
    expect(breach(rules, 125, new Map([[7, 7]]))).toBeUndefined();
    expect(breach(rules, 125, new Map([[7, 8]]))).toContain('8 of 125');
  });
});

describe('where waves end', () => {
  it('only grows: waves the canaries already cover are part of the first, the later ones stay apart', async () => {
    const { waveEnds } = await import('./waves.js');
    expect(waveEnds(100, [0.01, 0.1, 1])).toEqual([1, 10, 100]);
    expect(waveEnds(100, [0.01, 0.1, 1], 20)).toEqual([20, 100]);
    expect(waveEnds(100, [0.01, 0.3, 1], 20)).toEqual([20, 30, 100]);
    expect(waveEnds(10, [0.1, 0.3, 0.6, 1], 4)).toEqual([4, 6, 10]);
    expect(waveEnds(3, [0.5, 1], 0)).toEqual([2, 3]);
  });
});

describe('times the API moved', () => {
  const start = Date.parse('2026-12-10T22:00:00Z');
  const end = Date.parse('2026-12-10T23:00:00Z');

  it('an answer that leaves out a time it was sent dropped it, as one that says null did', () => {
    const moved = { end: { sent: '2026-12-10T23:00:00.000Z', got: null } };
    expect(movedTimes({ start, end }, { start: '2026-12-10T22:00:00Z' } as never)).toEqual(moved);
    expect(movedTimes({ start, end }, { start: '2026-12-10T22:00:00Z', end: null })).toEqual(moved);
    // Nothing sent, nothing answered: nothing moved.
    expect(movedTimes({}, {} as never)).toBeNull();
    expect(movedTimes({ start, end }, { start: '2026-12-10T22:00:00Z', end: '2026-12-10T23:00:00Z' })).toBeNull();
  });

  it('a --body time relative to the API\'s now is placed after the action\'s createdAt: moved when the API put it elsewhere, not when it kept it', () => {
    const sent = { start: Number.NaN, relative: { start: 30 * 60_000 } };
    const createdAt = '2026-12-10T21:30:00.400Z';
    expect(movedTimes(sent, { start: '2026-12-10T22:00:01Z', end: null, createdAt })).toBeNull();
    // queue_after put it behind the action in the way: 2 h 25 min later.
    expect(movedTimes(sent, { start: '2026-12-11T00:25:00Z', end: null, createdAt })).toEqual({ start: { sent: '2026-12-10T22:00:00.400Z', got: '2026-12-11T00:25:00Z' } });
    // No createdAt to place it after: nothing to compare, as before.
    expect(movedTimes(sent, { start: '2026-12-11T00:25:00Z', end: null })).toBeNull();
  });

  it('says a dropped end as no end, never as "immediately"', () => {
    expect(movedLines({ end: { sent: '2026-12-10T23:00:00.000Z', got: null } }, 'UTC')).toEqual(['The API moved the end: asked 2026-12-10 23:00 UTC (23:00Z), got no end (the device holds the mode until the next push).']);
    expect(movedLines({ start: { sent: '2026-12-10T22:00:00.000Z', got: null } }, 'UTC')).toEqual(['The API moved the start: asked 2026-12-10 22:00 UTC (22:00Z), got immediately.']);
  });
});
