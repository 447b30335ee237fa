import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Env } from '../contract/env.js';
import { UsageError } from '../errors/failures.js';
import { checkFileOrUrl } from './file-or-url.js';
import { makeDirs } from '../lib/make-dirs.js';

/**
 * AMPS_CONFIG_DIR, else $XDG_CONFIG_HOME/amps (when absolute), else ~/.config/amps. An empty AMPS_CONFIG_DIR (a CI
 * variable that is not there) is refused: read as unset, it would select the home config's
 * current profile, and send the writes there.
 */
export function configDir(env: Env): string {
  if (env.AMPS_CONFIG_DIR !== undefined && env.AMPS_CONFIG_DIR.trim() === '') throw new UsageError('AMPS_CONFIG_DIR is set but empty, so amps cannot tell which configuration you meant', 'give it a directory, or unset it (unset AMPS_CONFIG_DIR) to use ~/.config/amps');
  // A `~` no shell expanded (a dotenv or systemd file) would name a folder called `~` under the current one.
  if (env.AMPS_CONFIG_DIR && /^~(\/|$)/.test(env.AMPS_CONFIG_DIR)) throw new UsageError(`AMPS_CONFIG_DIR is '${env.AMPS_CONFIG_DIR}': its ~ was not expanded (a shell does that; a dotenv or service file does not), so it would name a folder '~' here`, 'give the full path, e.g. AMPS_CONFIG_DIR=$HOME/.config/amps');
  // A variable no shell expanded (`$HOME/.config/amps` from a systemd Environment= line) names a
  // folder called `$HOME` here, as a relative path names another configuration in every folder:
  // both would be read as "nothing configured", and the writes go to the embedded sandbox.
  if (env.AMPS_CONFIG_DIR && /\$[{A-Za-z_]|%[A-Za-z_]+%/.test(env.AMPS_CONFIG_DIR)) throw new UsageError(`AMPS_CONFIG_DIR is '${env.AMPS_CONFIG_DIR}': a variable in it was not expanded (a shell does that; a dotenv or service file may not), so it would name a folder of that name here`, 'give the full path, e.g. AMPS_CONFIG_DIR=/home/me/.config/amps');
  if (env.AMPS_CONFIG_DIR && !isAbsolute(env.AMPS_CONFIG_DIR)) throw new UsageError(`AMPS_CONFIG_DIR is '${env.AMPS_CONFIG_DIR}', not an absolute path, so it would name another configuration in every folder amps runs in`, isAbsolute(env.AMPS_CONFIG_DIR.trim()) ? 'remove the spaces around it' : `give the full path, e.g. AMPS_CONFIG_DIR="$PWD/${env.AMPS_CONFIG_DIR}"`);
  // Its files are named in what amps prints (`Ledger:`, config list, sandbox reset).
  if (env.AMPS_CONFIG_DIR) return checkFileOrUrl('AMPS_CONFIG_DIR', env.AMPS_CONFIG_DIR);
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec: a relative XDG_CONFIG_HOME is ignored (it would name another config in every folder).
  if (xdg && isAbsolute(xdg)) return join(xdg, 'amps');
  // An empty or relative HOME would name a config under the current folder (and its sandbox, for
  // writes): refused, as an empty AMPS_CONFIG_DIR is, rather than read as unset.
  const home = env.HOME;
  if (home !== undefined && !isAbsolute(home)) {
    throw new UsageError(`HOME is ${home.trim() === '' ? 'set but empty' : `'${home}', not an absolute path`}, so amps cannot tell which configuration you meant`, 'set HOME to your home folder, or AMPS_CONFIG_DIR to the configuration folder');
  }
  return join(home ?? accountHome(), '.config', 'amps');
}

/**
 * The account's home folder, with HOME unset: the system's record of it, which a container's user
 * may lack. node:os is loaded only here: imported, it cost every command that reads the config
 * ~1 M instructions at start (bench/startup.mjs --instructions).
 */
function accountHome(): string {
  try {
    return process.getBuiltinModule('node:os').homedir();
  } catch {
    throw new UsageError('HOME is unset and the system has no home folder for this user, so amps cannot tell which configuration you meant', 'set HOME, or AMPS_CONFIG_DIR to the configuration folder');
  }
}

export function configFile(env: Env): string {
  return join(configDir(env), 'config.json');
}

/** Where the embedded sandbox keeps its state between commands. */
export function sandboxStateFile(env: Env): string {
  return join(configDir(env), 'sandbox-state.json');
}

/** How many automatic fleet ledgers are kept: the newest; older ones are removed as new ones start. */
export const KEPT_RUN_LEDGERS = 20;

/**
 * A fresh ledger path for a fleet push given no --out, under `$AMPS_CONFIG_DIR/runs/`, named by
 * its start (UTC) so names sort by time: every run has a ledger to resume from or follow, and a
 * closed stdout loses nothing. Makes the folder (0700) and removes the oldest beyond the kept
 * count, but never one `beingWritten` says a run still writes (a long run outlives twenty short ones).
 */
export function runLedgerPath(env: Env, now: Date, beingWritten: (path: string) => boolean = () => false): string {
  const dir = join(configDir(env), 'runs');
  makeDirs(dir, 0o700);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const ledgers = readdirSync(dir).filter((name) => /^push-\d{8}T\d{6}Z-[0-9a-f]{6}\.ndjson$/.test(name)).sort();
  for (const old of ledgers.slice(0, Math.max(0, ledgers.length - (KEPT_RUN_LEDGERS - 1)))) {
    if (beingWritten(join(dir, old))) continue;
    try {
      unlinkSync(join(dir, old));
    } catch {
      // Another amps removed it first.
    }
  }
  // Six random hex digits keep two runs started in the same second apart. Math.random, not
  // node:crypto: the name needs no secrecy, and node:crypto costs every command that loads this file
  // (~1.5 ms of a start, bench/startup.mjs).
  const suffix = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0');
  return join(dir, `push-${stamp}-${suffix}.ndjson`);
}

/**
 * Warnings for secrets others can read: a key file or the config file readable by group or others,
 * a config directory anyone can write. Nothing for paths that do not exist.
 */
export function looseModeWarnings(paths: Array<{ path: string; what: string; directory?: boolean }>): string[] {
  const warnings: string[] = [];
  for (const { path, what, directory } of paths) {
    let mode: number;
    try {
      // The special bits too (a sticky /tmp is 1777): the mode shown is the one ls shows.
      mode = statSync(path).mode & 0o7777;
    } catch {
      continue;
    }
    const loose = directory ? mode & 0o022 : mode & 0o077;
    if (loose) {
      const fix = directory ? `chmod 700 '${path}'` : `chmod 600 '${path}'`;
      warnings.push(`warning: ${what} ${path} is ${directory ? 'writable' : 'readable'} by other users (mode ${mode.toString(8).padStart(4, '0')}); ${fix}`);
    }
  }
  return warnings;
}
