import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../contract/env.js';

/** AMPS_CONFIG_DIR, else $XDG_CONFIG_HOME/amps, else ~/.config/amps. */
export function configDir(env: Env): string {
  if (env.AMPS_CONFIG_DIR) return env.AMPS_CONFIG_DIR;
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && xdg !== '' ? xdg : join(env.HOME ?? homedir(), '.config'), 'amps');
}

export function configFile(env: Env): string {
  return join(configDir(env), 'config.json');
}

/** Where the embedded sandbox keeps its state between commands. */
export function sandboxStateFile(env: Env): string {
  return join(configDir(env), 'sandbox-state.json');
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
      mode = statSync(path).mode & 0o777;
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
