import { describe, expect, it } from 'vitest';
import { PLAIN } from './style.js';
import { formatTable } from './table.js';

const widest = (text: string) => Math.max(...text.split('\n').map((line) => [...line].length));

describe('a boxed table at a narrow terminal', () => {
  it('wraps its cells between words to fit the terminal, never cutting a word (an id)', async () => {
    const rows = [['bat_voltaro_01', 'Fix each field listed in details.fields, then send the request again'], ['bat_ampere_02', 'Retry with backoff']];
    const natural = await formatTable(['device', 'what to do'], rows, { tty: true, style: PLAIN });
    expect(widest(natural)).toBeGreaterThan(60);
    const fitted = await formatTable(['device', 'what to do'], rows, { tty: true, style: PLAIN, columns: 40 });
    expect(widest(fitted)).toBeLessThanOrEqual(40);
    expect(fitted).toContain('bat_voltaro_01');
    expect(fitted).not.toContain('…');
    // What fits is drawn as it always was.
    expect(await formatTable(['device', 'what to do'], rows, { tty: true, style: PLAIN, columns: 200 })).toBe(natural);
  });

  it('is left wider than the terminal rather than cut, where its words do not fit', async () => {
    const rows = [['bat_voltaro_01', '2026-11-27T22:30:00.000Z', 'act_1a21f117e39000001']];
    const drawn = await formatTable(['device', 'at', 'action'], rows, { tty: true, style: PLAIN, columns: 30 });
    for (const word of rows[0]!) expect(drawn).toContain(word);
  });
});
