import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_DOCS, BIN, cleanEnv } from './helpers/cli.js';

// Start-up is measured by bench/startup.mjs, not timed here. What is checked here is what makes it:
// the Node modules a short command loads beyond what every Node process has. Each costs from ~0.3
// M instructions (node:vm) to ~5 M (node:http), and they creep in through one import.

/** The built-in modules a run of `amps args` loaded after Node's own start, as Node names them. */
function modulesLoaded(args: string[]): { code: number | null; modules: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'amps-startup-'));
  const preload = join(dir, 'modules.cjs');
  const out = join(dir, 'modules.json');
  writeFileSync(
    preload,
    `const atStart = new Set(process.moduleLoadList);
     process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList.filter((m) => !atStart.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13)))));`,
  );
  const run = spawnSync(process.execPath, ['-r', preload, BIN, ...args], { env: cleanEnv({ AMPS_CACHE_DIR: join(dir, 'cache') }) as NodeJS.ProcessEnv, stdio: 'ignore' });
  return { code: run.status, modules: JSON.parse(spawnSync('cat', [out], { encoding: 'utf8' }).stdout) as string[] };
}

describe('what a command that sends nothing loads', () => {
  // node:vm compiles the bundles with their code cache; `process` is commander's.
  const ALLOWED = ['vm', 'process'];
  // decode exits with the exit code of the error it decodes (DEVICE_OFFLINE: 7).
  const runs: Array<[string[], number]> = [
    [['explain', 'SCHEDULER_ACTIVE'], 0],
    [['decode', join(API_DOCS, 'examples/error-device-offline-manufacturer.json')], 7],
    [['config', 'list'], 0],
    [['help'], 0],
    [['help', 'exit-codes'], 0],
    [['--version'], 0],
  ];
  for (const [args, exitCode] of runs) {
    it(`amps ${args.join(' ')}: no stream, network, os or AbortController code`, () => {
      const { code, modules } = modulesLoaded(args);
      expect(code).toBe(exitCode);
      expect(modules.filter((name) => !ALLOWED.includes(name))).toEqual([]);
    });
  }
});

describe('the signal a read asks for only when it waits', () => {
  it('a Ctrl-C that came before a file could not be read still ends the run as interrupted, exit 130', () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-startup-'));
    const missing = join(dir, 'missing.json');
    // Ctrl-C lands as amps opens the file (as while its bundle loads): the open then fails.
    const preload = join(dir, 'interrupt.cjs');
    writeFileSync(preload, `const fs = require('node:fs'); const open = fs.openSync;
      fs.openSync = function (path, ...rest) { if (String(path) === ${JSON.stringify(missing)}) process.emit('SIGINT'); return open.call(this, path, ...rest); };`);
    const run = spawnSync(process.execPath, ['-r', preload, BIN, 'decode', missing], { encoding: 'utf8', env: cleanEnv({ AMPS_CACHE_DIR: join(dir, 'cache') }) as NodeJS.ProcessEnv });
    expect([run.status, run.stderr.split('\n')[0]]).toEqual([130, expect.stringContaining('interrupted')]);
  });
});
