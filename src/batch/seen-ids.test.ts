import { describe, expect, it } from 'vitest';
import { SeenIds } from './seen-ids.js';

describe('SeenIds', () => {
  it('takes 200,000 distinct ids as new, and each again as a repeat with the line it first came on', () => {
    const seen = new SeenIds();
    const ids = Array.from({ length: 200_000 }, (_, i) => `bat_load_${String(i).padStart(6, '0')}`);
    ids.forEach((id, i) => expect(seen.firstLineOf(id, i + 1)).toBeUndefined());
    for (const i of [0, 1, 777, 131_071, 199_999]) expect(seen.firstLineOf(ids[i], 300_000)).toBe(i + 1);
    // Ids that differ only in order, case or length are different devices.
    expect(seen.firstLineOf('BAT_LOAD_000001', 1)).toBeUndefined();
    expect(seen.firstLineOf('bat_load_100000x', 1)).toBeUndefined();
    expect(seen.firstLineOf('', 1)).toBeUndefined();
    expect(seen.firstLineOf('', 2)).toBe(1);
  });
});
