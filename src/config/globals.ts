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

/** The global options as a command sees them (commander merges them with its own). */
export function globalsOf(command: { optsWithGlobals(): object }): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}
