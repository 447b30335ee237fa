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
