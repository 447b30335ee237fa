import { describe, expect, it } from 'vitest';
import { cleanEnv, freshConfigDir } from '../../../test/helpers/cli.js';
import { testIO } from '../../../test/helpers/io.js';
import { run as scheduleRun } from './index.js';
import { run as schedulesRun } from '../schedules/index.js';

// In-process, on a clock the day before the clocks go forward in London: what a dry run with --json
// says beside the body (nothing is sent, so no API is needed: --no-preflight reads no device).

const beforeSpring = () => new Date('2027-03-27T12:00:00Z');

describe('a schedule dry run with --json', () => {
  it('says on stderr, as notice lines, what daylight saving did to a fire (it said nothing); the zone is the body\'s timezone', async () => {
    const common = { slot: ['01:30/1h charge'], daily: true, dryRun: true, json: true, tz: 'Europe/London', preflight: false };
    for (const [name, runIt] of [
      ['schedule set', (io: ReturnType<typeof testIO>['io']) => scheduleRun({ verb: 'set' as const, type: 'battery', id: 'bat_voltaro_01', ...common }, io)],
      ['schedules create', (io: ReturnType<typeof testIO>['io']) => schedulesRun({ verb: 'create' as const, deviceType: 'battery', device: 'bat_voltaro_01', ...common }, io)],
    ] as const) {
      const t = testIO({ env: cleanEnv({ AMPS_CONFIG_DIR: freshConfigDir() }), now: beforeSpring });
      expect(await runIt(t.io), name).toBe(0);
      const notices = t.err().trim().split('\n').map((line) => JSON.parse(line) as { notice: string });
      expect(notices.map((n) => n.notice).some((text) => /^slot 01:30: 2027-03-28 01:30 Europe\/London does not exist/.test(text)), name).toBe(true);
      expect(JSON.parse(t.out()), name).toMatchObject({ timezone: 'Europe/London' });
    }
  });
});

describe('what the API changed of a schedule set', () => {
  it('an answer with no next fire (null) where the preview showed one is said as a change, and carried in changed', async () => {
    const { reportScheduleChanges } = await import('./slots.js');
    const t = testIO({ env: cleanEnv({ AMPS_CONFIG_DIR: freshConfigDir() }) });
    const preview = [{ firesAt: ['2027-03-28T02:00:00.000Z'] }] as unknown as Parameters<typeof reportScheduleChanges>[4] extends infer P ? P extends { preview: infer Q } ? Q : never : never;
    const answer = { timezone: 'UTC', slots: [], nextFireAt: null } as unknown as Parameters<typeof reportScheduleChanges>[3];
    const changed = reportScheduleChanges(t.io, false, { timezone: 'UTC', slots: [] }, answer, { preview, zone: 'UTC' });
    // It said "next fire: none" and nothing else.
    expect(changed).toEqual([{ field: 'nextFireAt', sent: '2027-03-28T02:00:00.000Z', got: null }]);
    expect(t.err()).toContain('The API gives the schedule no next fire, where the preview showed 2027-03-28 02:00 UTC (02:00Z)');
  });
});
