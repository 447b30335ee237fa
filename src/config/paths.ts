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
