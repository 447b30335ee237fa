import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEPT_RUN_LEDGERS, runLedgerPath } from '../src/config/paths.js';
import { processStart, writerRuns } from '../src/lib/process.js';
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

  it('a ledger a run still writes is never removed, however old: a long run outlives twenty short ones', async () => {
    const { beingWritten } = await import('../src/batch/ledger.js');
    const dir = freshConfigDir();
    runLedgerPath({ AMPS_CONFIG_DIR: dir }, new Date('2026-11-25T00:00:00Z'));
    const stand = spawn(process.execPath, ['-e', 'console.log("ready"); setTimeout(() => {}, 30_000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => stand.stdout!.once('data', resolve));
      const running = join(dir, 'runs', 'push-20261101T000000Z-aaaaaa.ndjson');
      writeFileSync(running, `${JSON.stringify({ run: { writer: { pid: stand.pid, host: hostname(), start: processStart(stand.pid!) } } })}\n`);
      for (let i = 1; i < 30; i++) writeFileSync(join(dir, 'runs', `push-202611${String(i + 1).padStart(2, '0')}T000000Z-abcdef.ndjson`), '');
      runLedgerPath({ AMPS_CONFIG_DIR: dir }, new Date('2026-12-01T00:00:00Z'), beingWritten);
      const left = readdirSync(join(dir, 'runs'));
      expect(left).toContain('push-20261101T000000Z-aaaaaa.ndjson');
      expect(left).not.toContain('push-20261102T000000Z-abcdef.ndjson');
    } finally {
      stand.kill();
    }
  });
});

describe('whether a writer still runs (src/lib/process.ts)', () => {
  it('a pid names the writer only with its start: another start (a reused pid), this process, or none running is gone', async () => {
    expect(processStart(process.pid)).toMatch(/^\d+$/);
    // Under any name: a run started through an alias of amps is a writer like any other.
    const stand = spawn(process.execPath, ['-e', 'console.log("ready"); setTimeout(() => {}, 30_000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => stand.stdout!.once('data', resolve));
      expect(writerRuns(stand.pid!)).toBe(true);
      expect(writerRuns(stand.pid!, processStart(stand.pid!))).toBe(true);
      expect(writerRuns(stand.pid!, '1')).toBe(false);
    } finally {
      stand.kill();
    }
    // In a container a crashed writer's pid can be the resume's own.
    expect(writerRuns(process.pid)).toBe(false);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(writerRuns(gone)).toBe(false);
  });
});

describe('the config folder', () => {
  it('AMPS_CONFIG_DIR, else an absolute XDG_CONFIG_HOME, else ~/.config (a relative XDG_CONFIG_HOME is ignored)', async () => {
    const { configDir } = await import('../src/config/paths.js');
    expect(configDir({ AMPS_CONFIG_DIR: '/x/amps', XDG_CONFIG_HOME: '/y', HOME: '/h' })).toBe('/x/amps');
    expect(configDir({ XDG_CONFIG_HOME: '/y', HOME: '/h' })).toBe('/y/amps');
    expect(configDir({ XDG_CONFIG_HOME: 'relative/dir', HOME: '/h' })).toBe('/h/.config/amps');
    expect(configDir({ XDG_CONFIG_HOME: '', HOME: '/h' })).toBe('/h/.config/amps');
  });
});
