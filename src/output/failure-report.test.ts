import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../errors/failures.js';
import { testIO } from '../../test/helpers/io.js';
import { reportFailure } from './failure-report.js';

describe('a write Ctrl-C cut on its way', () => {
  it.each([
    ['POST /battery/bat_voltaro_01', "Read the device's actions (amps actions list --device bat_voltaro_01)"],
    ['POST /ev-charger/ev_wallbox_01/settings', "Read the device's settings (amps settings ev-charger ev_wallbox_01)"],
    ['PUT /hvac/hvac_thermia_01/schedule', "Read the device's schedule (amps schedule get hvac hvac_thermia_01)"],
    ['POST /actions/act_1/cancel', 'Read the action (amps actions get act_1)'],
    ['DELETE /schedules/sched_1', 'Read the schedule (amps schedules get sched_1)'],
    ['POST /schedules', "Read the device's schedules (amps schedules list --device ID)"],
    ['PATCH /webhooks/endpoints/we_1', 'Read back what it would change (amps api GET /webhooks/endpoints/we_1)'],
    ['POST /webhooks/endpoints', 'Read back what it would change (amps api GET /webhooks/endpoints)'],
    ['POST /webhooks/we_1/settings', 'Read back what it would change (amps api GET /webhooks/we_1/settings)'],
  ])('%s: names what shows whether it took effect', async (cut, readBack) => {
    const t = testIO({ env: {} });
    expect(await reportFailure(new InterruptedError('interrupted', cut), t.io, false)).toBe(130);
    expect(t.err()).toBe(`interrupted\n  ${cut} was on its way when it was interrupted: the API may have acted on it. ${readBack} before sending it again\n`);
  });

  it('an id that is no shell word is quoted, so the line can be pasted', async () => {
    const t = testIO({ env: {} });
    await reportFailure(new InterruptedError('interrupted', "POST /battery/it's%20mine/settings"), t.io, true);
    expect(JSON.parse(t.err()).error.hint).toContain("(amps settings battery 'it'\\''s mine')");
  });
});
