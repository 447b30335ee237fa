// The options every command accepts, declared once on the root program (cli.ts) and read by each
// command through commander's optsWithGlobals().

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  input?: boolean;
  verbose?: boolean;
  profile?: string;
  apiUrl?: string;
  apiKeyFile?: string;
  timeout?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The global options as a command sees them (commander merges them with its own). `--json` wins
 * over `--quiet` (README): a script that asks for JSON gets all of it, so no command sees both.
 */
export function globalsOf(command: { optsWithGlobals(): object }): GlobalOptions {
  const globals = command.optsWithGlobals() as GlobalOptions;
  return globals.json && globals.quiet ? { ...globals, quiet: false } : globals;
}
