import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEPT_RUN_LEDGERS, runLedgerPath } from '../src/config/paths.js';
import { freshConfigDir } from './helpers/cli.js';

describe('the automatic ledgers of fleet pushes given no --out', () => {
  it('are named by their start in UTC, under runs/, and only the newest are kept', () => {
    const dir = freshConfigDir();
    const first = runLedgerPath({ AMPS_CONFIG_DIR: dir }, new Date('2026-11-25T15:04:05.678Z'));
    expect(first).toMatch(new RegExp(`^${dir}/runs/push-20261125T150405Z-[0-9a-f]{6}\\.ndjson$`));
    for (let i = 0; i < 30; i++) writeFileSync(join(dir, 'runs', `push-202611${String(i + 1).padStart(2, '0')}T000000Z-abcdef.ndjson`), '');
    writeFileSync(join(dir, 'runs', 'notes.txt'), 'mine');
    const next = runLedgerPath({ AMPS_CONFIG_DIR: dir }, new Date('2026-12-01T00:00:00Z'));
    writeFileSync(next, '');
    const left = readdirSync(join(dir, 'runs'));
    expect(left.filter((name) => name.startsWith('push-'))).toHaveLength(KEPT_RUN_LEDGERS);
    // The oldest went; the newest, and files that are not amps ledgers, stayed.
    expect(left).not.toContain('push-20261101T000000Z-abcdef.ndjson');
    expect(left).toContain('push-20261130T000000Z-abcdef.ndjson');
    expect(left).toContain('notes.txt');
  });
});
