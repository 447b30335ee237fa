import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDirectory } from '../src/boot.js';
import { checksum, referenceChecksum } from '../src/lib/checksum.js';
import { CompileCache, installFolder } from '../src/lib/compile-cache.js';
import { BIN, cleanEnv, runCli } from './helpers/cli.js';

// The compile cache may only ever cost a recompile: a missing, damaged, stale or unwritable cache
// gives the same run as no cache. A damaged entry handed to V8 would stop the process with a fatal
// error (Node 20), so the in-process tests below would kill the test worker if one slipped through.

function bundle(body = 'module.exports = { answer: () => 6 * 7, name: require("node:path").basename(__filename) };'): string {
  const dir = mkdtempSync(join(tmpdir(), 'amps-cc-bundle-'));
  const file = join(dir, 'program.cjs');
  writeFileSync(file, `${body}\n${'function unused() { return [1, 2, 3].map((n) => n * 2); }\n'.repeat(200)}`);
  return file;
}

/** What one finished run of `kind` leaves: the bundle loaded through the cache, and its entry written. */
function finishedRun(dir: string, file: string, kind = 'get', digest?: string): void {
  const cache = new CompileCache(dir, kind, Module, digest);
  cache.load(file);
  cache.save();
}

const entries = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.v8')).sort();

function flipByte(path: string, at: (length: number) => number): void {
  const data = readFileSync(path);
  data[at(data.length)] ^= 0xff;
  writeFileSync(path, data);
}

describe("the entries' checksum (WebAssembly)", () => {
  it('equals the plain JavaScript reference at every length around a word and a memory page', () => {
    const lengths = [0, 1, 7, 8, 9, 63, 64, 65, 65_535, 65_536, 65_537, 200_003, 140_000];
    for (const length of lengths) {
      const data = randomBytes(length);
      expect(checksum(data), `length ${length}`).toBe(referenceChecksum(data));
    }
  });

  it('changes with any one byte, with the length, and not with what a longer earlier buffer left behind', () => {
    const data = randomBytes(4_099);
    const sum = checksum(data);
    for (const at of [0, 7, 8, 2_048, 4_098]) {
      const damaged = Buffer.from(data);
      damaged[at] ^= 0x01;
      expect(checksum(damaged), `byte ${at}`).not.toBe(sum);
    }
    expect(checksum(Buffer.concat([data, Buffer.alloc(1)]))).not.toBe(sum);
    // A pattern across two words that cancelled out in the first version (one multiply per word).
    const pattern = Buffer.from(data);
    pattern[7] ^= 0x80;
    pattern[15] ^= 0x80;
    pattern[12] ^= 0x04;
    expect(checksum(pattern)).not.toBe(sum);
    checksum(randomBytes(300_000));
    expect(checksum(data)).toBe(sum);
  });
});

describe('the compile cache, in process', () => {
  it('misses, saves, then serves the same program from the entry', () => {
    const file = bundle();
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-'));
    const first = new CompileCache(dir, 'explain', Module);
    const program = first.load(file) as { answer(): number; name: string };
    expect([program.answer(), program.name]).toEqual([42, 'program.cjs']);
    expect(first.report().map((r) => r.hit)).toEqual([false]);
    first.save();
    expect(entries(dir)).toEqual([expect.stringMatching(/^program\.cjs-[0-9a-f]{8}\.explain\.v8$/)]);

    const second = new CompileCache(dir, 'explain', Module);
    expect((second.load(file) as { answer(): number }).answer()).toBe(42);
    expect(second.report().map((r) => r.hit)).toEqual([true]);
  });

  it('never serves one build\'s entry to another build of the same size and date (npm dates every file 1985)', () => {
    const file = bundle();
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-'));
    finishedRun(dir, file, 'get', 'build-a');
    const same = new CompileCache(dir, 'get', Module, 'build-a');
    same.load(file);
    expect(same.report()[0]!.hit).toBe(true);
    const other = new CompileCache(dir, 'get', Module, 'build-b');
    expect((other.load(file) as { answer(): number }).answer()).toBe(42);
    expect(other.report()[0]!.hit).toBe(false);
    // The built entry knows its build's digest.
    expect(readFileSync(new URL('../dist/boot.cjs', import.meta.url), 'utf8')).toMatch(/"[0-9a-f]{32}"/);
  });

  it('keeps an entry per command', () => {
    const file = bundle();
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-'));
    for (const kind of ['get', 'explain', 'get']) finishedRun(dir, file, kind);
    expect(entries(dir).map((name) => name.split('.').at(-2))).toEqual(['explain', 'get']);
  });

  it('a damaged, truncated or foreign entry is never handed to V8: the run compiles afresh and rewrites it', () => {
    const file = bundle();
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-'));
    finishedRun(dir, file);
    const [entry] = entries(dir);
    const path = join(dir, entry!);
    const good = readFileSync(path);
    const damage: Array<[string, () => void]> = [
      ['a byte flipped in the middle', () => flipByte(path, (n) => Math.floor(n / 2))],
      ['a byte flipped at the end', () => flipByte(path, (n) => n - 1)],
      ['truncated', () => writeFileSync(path, good.subarray(0, good.length - 100))],
      ['only a header', () => writeFileSync(path, good.subarray(0, 12))],
      ['empty', () => writeFileSync(path, '')],
      ['something else entirely', () => writeFileSync(path, 'not a cache at all\n'.repeat(50))],
    ];
    for (const [what, harm] of damage) {
      writeFileSync(path, good);
      harm();
      const cache = new CompileCache(dir, 'get', Module);
      expect((cache.load(file) as { answer(): number }).answer(), what).toBe(42);
      expect(cache.report()[0]!.hit, what).toBe(false);
      cache.save();
      const again = new CompileCache(dir, 'get', Module);
      again.load(file);
      expect(again.report()[0]!.hit, `${what}: rewritten`).toBe(true);
    }
  });

  it('an entry made for another bundle under the same name is not used', () => {
    const file = bundle();
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-'));
    // The same length: V8's own check compares a cache's source by length only.
    const other = bundle('module.exports = { answer: () => 6 * 8, name: require("node:path").basename(__filename) };');
    finishedRun(dir, other);
    const othersBytes = readFileSync(join(dir, entries(dir)[0]!));
    finishedRun(dir, file);
    // As if the two names collided: this bundle's entry now holds the other's bytes.
    writeFileSync(join(dir, entries(dir)[0]!), othersBytes);
    const cache = new CompileCache(dir, 'get', Module);
    expect((cache.load(file) as { answer(): number }).answer()).toBe(42);
    expect(cache.report()[0]!.hit).toBe(false);
  });

  it('a rebuilt bundle gets a new entry, and the old one is removed', () => {
    const file = bundle();
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-'));
    finishedRun(dir, file);
    const [old] = entries(dir);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nmodule.exports.answer = () => 43;\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const after = new CompileCache(dir, 'get', Module);
    expect((after.load(file) as { answer(): number }).answer()).toBe(43);
    expect(after.report()[0]!.hit).toBe(false);
    after.save();
    expect(entries(dir)).toHaveLength(1);
    expect(entries(dir)[0]).not.toBe(old);
  });

  it('a cache directory that cannot be made costs nothing but the cache', () => {
    const file = bundle();
    const blocker = join(mkdtempSync(join(tmpdir(), 'amps-cc-')), 'a-file');
    writeFileSync(blocker, 'in the way');
    const cache = new CompileCache(join(blocker, 'v8'), 'get', Module);
    expect((cache.load(file) as { answer(): number }).answer()).toBe(42);
    expect(() => cache.save()).not.toThrow();
    expect(statSync(blocker).isFile()).toBe(true);
  });
});

describe('where the cache lives', () => {
  it('a folder per installation, so a global amps and a clone never prune each other\'s entries', () => {
    expect(installFolder('/c/v8', '/usr/lib/node_modules/amps/dist')).toMatch(/^\/c\/v8\/[0-9a-f]{8}$/);
    expect(installFolder('/c/v8', '/home/op/amps/dist')).not.toBe(installFolder('/c/v8', '/usr/lib/node_modules/amps/dist'));
    expect(installFolder('/c/v8', '/home/op/amps/dist')).toBe(installFolder('/c/v8', '/home/op/amps/dist'));
  });

  it('AMPS_CACHE_DIR, else the platform\'s cache directory', () => {
    const home = () => '/home/op';
    expect(cacheDirectory({ AMPS_CACHE_DIR: '/var/cache/amps' }, 'linux', home)).toBe('/var/cache/amps');
    expect(cacheDirectory({ XDG_CACHE_HOME: '/xdg' }, 'linux', home)).toBe('/xdg/amps');
    expect(cacheDirectory({}, 'linux', home)).toBe('/home/op/.cache/amps');
    // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
    expect(cacheDirectory({ XDG_CACHE_HOME: 'relative' }, 'linux', home)).toBe('/home/op/.cache/amps');
    expect(cacheDirectory({ AMPS_CACHE_DIR: '' }, 'linux', home)).toBe('/home/op/.cache/amps');
    expect(cacheDirectory({}, 'darwin', home)).toBe('/home/op/Library/Caches/amps');
    expect(cacheDirectory({ LOCALAPPDATA: 'C:\\Users\\op\\AppData\\Local' }, 'win32', home)).toMatch(/AppData.Local.amps.Cache$/);
  });
});

describe('the compile cache, as amps runs', () => {
  /** The entries of the one installation under AMPS_CACHE_DIR. */
  const folder = (cacheDir: string) => join(cacheDir, 'v8', readdirSync(join(cacheDir, 'v8'))[0]!);
  const mtimes = (cacheDir: string) => Object.fromEntries(entries(folder(cacheDir)).map((name) => [name, statSync(join(folder(cacheDir), name)).mtimeMs]));

  it('writes its entries on the first run, and none on the next: the undici bundle\'s too, made before V8\'s flags change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-cli-'));
    const env = cleanEnv({ AMPS_CACHE_DIR: dir });
    // A fleet push: it loads undici, which sets --liftoff-only once loaded. Other devices the
    // second time, so its pushes meet no pending action of the first's.
    const push = (ids: string) => {
      const devices = join(dir, `${ids.split(',')[0]}.txt`);
      writeFileSync(devices, `${ids.split(',').join('\n')}\n`);
      return runCli(['push', 'battery', '--devices', devices, 'auto.balanced', '--json'], { env });
    };
    const first = await push('bat_voltaro_01,bat_voltaro_02');
    expect(first.code).toBe(0);
    const written = mtimes(dir);
    expect(Object.keys(written).map((name) => name.replace(/-[0-9a-f]{8}/, ''))).toEqual(['cli-push.cjs.push-fleet.v8', 'undici.cjs.push-fleet.v8']);
    const second = await push('bat_helio_01,bat_nimbus_01');
    expect([second.code, second.stdout.trim().split('\n').length]).toEqual([0, 2]);
    expect(mtimes(dir)).toEqual(written);
  });

  it('a dry run writes an entry of its own: the push after it does not run on one that lacks the request path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-cli-'));
    const env = cleanEnv({ AMPS_CACHE_DIR: dir });
    expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'idle', '--dry-run', '--no-preflight'], { env })).code).toBe(0);
    expect((await runCli(['push', 'battery', 'bat_voltaro_01', 'idle'], { env })).code).toBe(0);
    const names = entries(folder(dir)).map((name) => name.replace(/-[0-9a-f]{8}/, '')).filter((name) => name.startsWith('cli-push.cjs'));
    expect(names.sort()).toEqual(['cli-push.cjs.push-dry.v8', 'cli-push.cjs.push.v8']);
  });

  it('damaged entries: the same output, exit 0, and the entries made good again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-cli-'));
    const env = cleanEnv({ AMPS_CACHE_DIR: dir });
    const clean = await runCli(['explain', 'SCHEDULER_ACTIVE'], { env });
    for (const name of entries(folder(dir))) flipByte(join(folder(dir), name), (n) => Math.floor(n / 3));
    const damaged = await runCli(['explain', 'SCHEDULER_ACTIVE'], { env });
    expect([damaged.code, damaged.stdout, damaged.stderr]).toEqual([0, clean.stdout, clean.stderr]);
    const mended = mtimes(dir);
    const after = await runCli(['explain', 'SCHEDULER_ACTIVE'], { env });
    expect([after.code, after.stdout]).toEqual([0, clean.stdout]);
    expect(mtimes(dir)).toEqual(mended);
  });

  it('an entry that is a FIFO, a device or a huge file is no entry: the same output, exit 0, never a wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-cli-'));
    const env = cleanEnv({ AMPS_CACHE_DIR: dir });
    const clean = await runCli(['explain', 'SCHEDULER_ACTIVE'], { env });
    const entry = join(folder(dir), entries(folder(dir))[0]!);
    for (const replace of [
      () => execFileSync('mkfifo', [entry]),
      () => symlinkSync('/dev/zero', entry),
      () => {
        writeFileSync(entry, '');
        truncateSync(entry, 200 * 1024 * 1024);
      },
    ]) {
      rmSync(entry, { force: true });
      replace();
      const odd = await runCli(['explain', 'SCHEDULER_ACTIVE'], { env, timeoutMs: 20_000 });
      expect([odd.code, odd.stdout, odd.stderr]).toEqual([0, clean.stdout, clean.stderr]);
    }
  });

  it('a cache directory under a file, or the cache turned off: the same output, exit 0, nothing written', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'amps-cc-cli-')), 'a-file');
    writeFileSync(blocker, 'in the way');
    const reference = await runCli(['explain', 'SCHEDULER_ACTIVE']);
    const blocked = await runCli(['explain', 'SCHEDULER_ACTIVE'], { env: cleanEnv({ AMPS_CACHE_DIR: join(blocker, 'cache') }) });
    expect([blocked.code, blocked.stdout, blocked.stderr]).toEqual([0, reference.stdout, reference.stderr]);
    const dir = join(mkdtempSync(join(tmpdir(), 'amps-cc-cli-')), 'cache');
    const off = await runCli(['explain', 'SCHEDULER_ACTIVE'], { env: cleanEnv({ AMPS_CACHE_DIR: dir, AMPS_DISABLE_COMPILE_CACHE: '1' }) });
    expect([off.code, off.stdout]).toEqual([0, reference.stdout]);
    expect(() => statSync(dir)).toThrow();
  });

  it('WebAssembly that cannot run (no memory for it) costs the cache, not the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-cli-'));
    const env = cleanEnv({ AMPS_CACHE_DIR: dir, NO_COLOR: '1' }) as NodeJS.ProcessEnv;
    const { spawnSync } = await import('node:child_process');
    const run = (flags: string[]) => spawnSync(process.execPath, [...flags, BIN, 'explain', 'NOT_FOUND'], { encoding: 'utf8', env });
    const first = run([]);
    expect(first.status).toBe(0);
    expect(entries(folder(dir)).length).toBeGreaterThan(0);
    // One page of WebAssembly memory: the checksum of an entry cannot grow into it.
    const starved = run(['--wasm-max-mem-pages=1']);
    expect([starved.status, starved.stdout, starved.stderr]).toEqual([0, first.stdout, '']);
  });

  it('amps --version is answered before the program loads, the same as through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-cli-'));
    const alone = await runCli(['--version'], { env: cleanEnv({ AMPS_CACHE_DIR: dir }) });
    const through = await runCli(['--no-color', '--version']);
    expect([alone.code, alone.stdout]).toEqual([0, expect.stringMatching(/^amps \d+\.\d+\.\d+ \(node v\d+\.\d+\.\d+, [a-z0-9]+-[a-z0-9]+\)\n$/)]);
    expect([through.code, through.stdout]).toEqual([0, alone.stdout]);
    expect(() => statSync(join(dir, 'v8'))).toThrow();
    // A reader that goes away is no failure, as through the program.
    const { spawnSync } = await import('node:child_process');
    const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" --version | true; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8', env: cleanEnv() as NodeJS.ProcessEnv });
    expect([piped.stdout.trim(), piped.stderr]).toEqual(['0', '']);
  });
});

describe('the bundles', () => {
  // One character beyond ASCII makes V8 hold a whole bundle as two-byte text: ~2 M instructions more
  // of every start. The build refuses one (bin/build.mjs); this checks what it left.
  it('are ASCII, every one', () => {
    const dist = new URL('../dist/', import.meta.url);
    const bundles = [...readdirSync(dist).filter((n) => n.endsWith('.cjs')), ...readdirSync(new URL('vendor/', dist)).map((n) => `vendor/${n}`)];
    expect(bundles.length).toBeGreaterThan(20);
    expect(bundles.filter((name) => readFileSync(new URL(name, dist)).some((byte) => byte > 0x7f))).toEqual([]);
  });
});

describe("each command's own bundle", () => {
  /** The bundles a run of `args` loaded, as the entries it wrote name them (`cli-get.cjs`). */
  const bundlesLoaded = async (args: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'amps-cc-own-'));
    const run = await runCli(args, { env: cleanEnv({ AMPS_CACHE_DIR: dir }) });
    const folder = join(dir, 'v8', readdirSync(join(dir, 'v8'))[0]!);
    return { run, bundles: entries(folder).map((name) => name.replace(/-[0-9a-f]{8}\..*$/, '')) };
  };
  const COMMANDS = (JSON.parse(readFileSync(new URL('../src/commands/command-list.json', import.meta.url), 'utf8')) as Array<{ name: string; aliases: string[] }>).filter((c) => c.name !== 'completion');

  it('runs every command but completion, its aliases too; help has one with no command; completion and `help push` run the bundle of them all', async () => {
    expect(COMMANDS.length).toBeGreaterThan(15);
    for (const { name, aliases } of COMMANDS) {
      for (const word of [name, ...aliases]) {
        const { run, bundles } = await bundlesLoaded([word, '--help']);
        expect([run.code, run.stdout.split('\n')[0], bundles], word).toEqual([0, expect.stringContaining(`Usage: amps ${name}`), [`cli-${name}.cjs`]]);
      }
    }
    for (const args of [[], ['help'], ['--help'], ['help', 'exit-codes'], ['--json', 'help', 'environment']]) expect((await bundlesLoaded(args)).bundles, args.join(' ')).toEqual(['cli-help.cjs']);
    for (const args of [['help', 'push'], ['help', 'completion'], ['completion', 'bash'], ['pusj']]) expect((await bundlesLoaded(args)).bundles, args.join(' ')).toEqual(['cli.cjs']);
  });

  it('a first word that is the value of a global option (`--profile get explain`) ends in the right bundle, with the same output', async () => {
    const direct = await runCli(['explain', 'NOT_FOUND']);
    const { run, bundles } = await bundlesLoaded(['--profile', 'get', 'explain', 'NOT_FOUND']);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, direct.stdout, direct.stderr]);
    // The guess was loaded, asked, and left for the right one; only the right one's entry is written
    // (the guess's, named for get with only its top level, would serve every later get).
    expect(bundles).toEqual(['cli-explain.cjs']);
    // A typo names no command: help's bundle lists every name for the suggestion.
    const typo = await bundlesLoaded(['--profile', 'get', 'pusj']);
    expect([typo.run.code, typo.run.stderr, typo.bundles]).toEqual([2, "amps: unknown command 'pusj'\n(Did you mean push?)\n", ['cli-help.cjs']]);
  });

  it("holds its command's code alone: explain's and help's leave push's out", () => {
    const dist = new URL('../dist/', import.meta.url);
    const read = (name: string) => readFileSync(new URL(name, dist), 'utf8');
    const all = read('cli.cjs');
    // An option of push's (the help bundle lists push by its name and summary alone).
    const pushOnly = 'stop the rollout when a wave breaks this';
    expect([all, read('cli-push.cjs'), read('cli-explain.cjs'), read('cli-help.cjs')].map((text) => text.includes(pushOnly))).toEqual([true, true, false, false]);
    for (const name of ['cli-explain.cjs', 'cli-help.cjs']) expect(read(name).length, name).toBeLessThan(all.length / 2);
  });
});

describe('a cache or config folder where no folder can be made', () => {
  // Node 20's recursive mkdir never returns under /proc: amps printed its answer, then spun for ever.
  it.skipIf(process.platform !== 'linux')('under /proc: the command ends, with its answer (cache) or one line, exit 2 (config)', async () => {
    for (const dir of ['/proc/1', '/proc/1/amps/cache']) {
      const r = await runCli(['explain', 'DEVICE_OFFLINE'], { env: cleanEnv({ AMPS_CACHE_DIR: dir }), timeoutMs: 10_000 });
      expect([r.code, r.stdout], dir).toEqual([0, expect.stringContaining('DEVICE_OFFLINE')]);
    }
    const config = await runCli(['config', 'set', 'api-url', 'http://127.0.0.1:9'], { env: cleanEnv({ AMPS_CONFIG_DIR: '/proc/1/amps' }), timeoutMs: 10_000 });
    expect([config.code, config.stderr.split('\n')[0]]).toEqual([2, 'amps: cannot write the config /proc/1/amps: no such file or directory (ENOENT)']);
  });
});
