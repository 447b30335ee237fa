// The process entry (bin/amps requires dist/boot.cjs): loads the program bundle with a compile
// cache, runs it, and saves what the cache missed once the command is done. The cache is
// lib/compile-cache.ts, V8's code cache taken after the command ran, on every Node; Node's own
// `module.enableCompileCache()` (22.1 and later) only where that one cannot run. A cache can only
// save time: `AMPS_DISABLE_COMPILE_CACHE=1` turns it off, `AMPS_CACHE_DIR` moves it
// (bench/startup.mjs measures both).

import type NodeModule from 'node:module';
import { isAbsolute, join } from 'node:path';
import { CompileCache, compileCacheSupported, installFolder } from './lib/compile-cache.js';
import { versionLine } from './lib/version.js';
import { outputLostText, readerWentAway } from './lib/system-errors.js';
import { EXIT } from './contract/exit-codes.js';
import { standardStream } from './output/stdio.js';

/** What a bundle of the program exports (cli.ts). */
type Program = { main(argv: string[]): Promise<number>; commandBundleIn(argv: string[]): string | undefined };

/** A digest of the bundles this entry loads, written in by bin/build.mjs; absent when run from source. */
declare const AMPS_BUILD_DIGEST: string | undefined;
/**
 * Each command's names (aliases too) to the name of its own bundle, `cli-<name>.cjs`, which holds
 * the program with that command alone, and `help` to the bundle with none (bin/build.mjs); absent
 * when run from source.
 */
declare const AMPS_COMMAND_BUNDLES: Record<string, string> | undefined;

/**
 * The home directory as os.homedir() finds it: $HOME first (node:os itself costs ~0.25 ms to load).
 * An empty or relative HOME (`HOME= amps …`) would put the cache under the current folder: the
 * account's own home then, as with HOME unset.
 */
function homedir(): string {
  const home = process.env.HOME;
  if (home && isAbsolute(home)) return home;
  const os = process.getBuiltinModule('node:os');
  if (home === undefined) return os.homedir();
  // Throws without one: then amps runs uncached (never a shared folder such as /tmp, where another
  // user could leave compiled code for it to run).
  return os.userInfo().homedir;
}

/** Where amps keeps what it can rebuild: AMPS_CACHE_DIR, else the platform's cache directory. */
export function cacheDirectory(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home: () => string = homedir): string {
  if (env.AMPS_CACHE_DIR) return env.AMPS_CACHE_DIR;
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home(), 'AppData', 'Local'), 'amps', 'Cache');
  if (platform === 'darwin') return join(home(), 'Library', 'Caches', 'amps');
  // The XDG spec: a relative XDG_CACHE_HOME is ignored (it would put a cache in every folder amps runs in).
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home(), '.cache'), 'amps');
}

/**
 * What a run does, naming its cache entries: its command's name (`get`, `push`), else `other`; with
 * `-fleet` for a fleet (`--devices`, `--resume`) and `-dry` for a run that sends nothing (`--dry-run`,
 * `--plan`). An entry holds what its first run compiled and is not written again: a push whose
 * entry a dry run wrote compiled the whole request path afresh on every run (14 M instructions,
 * bench/startup.mjs, which dry-runs a push before it pushes).
 */
function runKind(argv: string[]): string {
  const word = argv.find((arg) => !arg.startsWith('-'));
  if (word === undefined || !/^[a-z][a-z-]{0,15}$/.test(word)) return 'other';
  const given = (...flags: string[]) => argv.some((arg) => flags.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
  return `${word}${given('--devices', '--resume') ? '-fleet' : ''}${given('--dry-run', '--plan') ? '-dry' : ''}`;
}

/**
 * Node 22.1 and later cache compiled code themselves (`module.enableCompileCache()`), but take the
 * cache as a bundle is compiled, before it runs: it holds the bundle's top level, not the functions
 * a command then compiles. Measured on Node 22.23 (instructions, less the hash-seed search, beside
 * `node -e 0` at 80 M): `explain` 120 M with Node's cache, 100 M with amps' own, 130 M with none;
 * `get` 189 M, 159 M, 211 M. So Node's serves only where amps' own cannot run (no WebAssembly).
 */
function nativeCompileCache(): ((dir: string) => unknown) | undefined {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major! < 22 || (major === 22 && minor! < 1)) return undefined;
  return (require('node:module') as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
}

/**
 * The bundle a command line most likely needs: its first word's command's; help's for `help` and
 * its topics or no word at all, unless a later word names a command (`help push`: the bundle of
 * them all). The bundle has the last word (loadProgram): `--profile get explain X` guesses get,
 * and explain's is loaded after.
 */
function guessBundle(argv: string[]): string | undefined {
  const bundles = typeof AMPS_COMMAND_BUNDLES === 'object' ? AMPS_COMMAND_BUNDLES : {};
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const bundle = words.length === 0 ? 'help' : Object.hasOwn(bundles, words[0]!) ? bundles[words[0]!] : undefined;
  if (bundle !== 'help') return bundle;
  return words.some((word) => word === 'completion' || (word !== 'help' && Object.hasOwn(bundles, word))) ? undefined : bundle;
}

/** How this run loads a bundle: through the compile cache where it can, else as `require` does. */
function bundleLoader(env: NodeJS.ProcessEnv, argv: string[]): { load: (file: string) => Program; cache?: CompileCache } {
  const load = (file: string) => require(file) as Program;
  if (env.AMPS_DISABLE_COMPILE_CACHE) return { load };
  let dir: string;
  try {
    dir = cacheDirectory(env);
  } catch {
    // No home directory to put it in: run uncached.
    return { load };
  }
  if (!compileCacheSupported()) {
    nativeCompileCache()?.(join(dir, 'node-compile-cache'));
    return { load };
  }
  // Node's CommonJS loader class, as node:module exports it, without loading node:module's wrapper.
  const digest = typeof AMPS_BUILD_DIGEST === 'string' ? AMPS_BUILD_DIGEST : 'unbuilt';
  const cache = new CompileCache(installFolder(join(dir, 'v8'), __dirname), runKind(argv), module.constructor as typeof NodeModule, digest);
  // The program reaches its vendored bundles (undici, conf…) through `require('./vendor/….cjs')`.
  const route = (id: string) => (id.startsWith('./vendor/') ? cache.load(join(__dirname, id), route) : undefined);
  return { load: (file) => cache.load(file, route) as Program, cache };
}

/**
 * The program, from the bundle of its command alone where there is one (a third of the bundle of
 * them all to read and deserialise), or help's, else from the bundle of them all (completion,
 * `help COMMAND`, a typo as the first word).
 */
function loadProgram(env: NodeJS.ProcessEnv, argv: string[]): { program: Program; cache?: CompileCache } {
  const { load, cache } = bundleLoader(env, argv);
  const file = (command: string | undefined) => join(__dirname, command === undefined ? 'cli.cjs' : `cli-${command}.cjs`);
  const guess = guessBundle(argv);
  const program = load(file(guess));
  if (guess === undefined) return { program, cache };
  // The bundle reads the command line as the program will: a wrong guess loads the right bundle.
  const command = program.commandBundleIn(argv);
  if (command === guess) return { program, cache };
  cache?.discard(file(guess));
  return { program: load(file(command)), cache };
}

export function boot(argv: string[]): void {
  // `amps --version` alone needs nothing of the program: answered here, it costs what Node's start does.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    // Written as every command writes stdout (output/stdio.ts): to a file or /dev/null without
    // Node's stream, whose making would cost more than the rest of this answer. As for every other
    // command (cli.ts outputChecked), a reader that went away (`amps --version | true`) is no
    // failure; a line that could not be written (a full disk) is said, and exits 11.
    const { stream } = standardStream(1, () => process.stdout);
    stream.on('error', (error: Error) => {
      if (readerWentAway(error)) return;
      process.stderr.on('error', () => {});
      process.stderr.write(`amps: ${outputLostText(error)}\n`);
      process.exitCode = EXIT.outputLost;
    });
    stream.write(`${versionLine()}\n`);
    return;
  }
  // The exit code comes back from main() so stdout drains before the process ends.
  const { program, cache } = loadProgram(process.env, argv);
  void program.main(argv).then((code) => {
    process.exitCode = code;
    cache?.save();
  });
}
